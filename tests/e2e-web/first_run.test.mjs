// The first run in the web UI: with no Kiro account the dashboard says the
// service is down and why, with how to add an account, instead of "Healthy";
// once an account is added it turns healthy. Screenshots go to
// $KB_ARTIFACTS_DIR (default build/test-artifacts/e2e-web).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ADMIN_TOKEN, SIM_ACCOUNTS, admin, chat, repoRoot, startStack } from './stack.mjs';
import { launchBrowser } from './browser.mjs';

const artifacts = process.env.KB_ARTIFACTS_DIR || path.join(repoRoot, 'build', 'test-artifacts', 'e2e-web');
fs.mkdirSync(artifacts, { recursive: true });

async function eventually(what, probe, ms = 15000) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      last = await probe();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${last})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('web admin UI on a first run', { timeout: 180000 }, () => {
  let stack;
  let browser;
  let page;
  const pageErrors = [];
  const shot = async (name) => {
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
  };
  const statValue = (name) => page.locator(`[data-test=stat-${name}] [data-test=stat-value]`).innerText();

  before(async () => {
    stack = await startStack({ accounts: [] });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  after(async () => {
    if (browser) await browser.close();
    if (stack) await stack.stop();
    assert.deepEqual(pageErrors, [], 'uncaught errors in the page');
  });

  it('shows the service down with the reason and how to add an account', async () => {
    await page.goto(`${stack.url}/`);
    await page.waitForSelector('[data-test=login-form]');
    await page.fill('[data-test=token]', ADMIN_TOKEN);
    await page.click('[data-test=sign-in]');
    await page.waitForSelector('[data-test=stat-service]');
    // A Claude request fails now: the dashboard must not say Healthy.
    assert.equal(await chat(stack), 503);
    await eventually('the service card to say Down', async () => (await statValue('service')) === 'Down');
    const banner = await page.innerText('[data-test=health-banner]');
    assert.match(banner, /no Kiro account is configured/);
    assert.match(await page.innerText('[data-test=health-add-account]'), /kiro-auth-token\.json/);
    assert.match(await page.innerText('[data-test=service-status]'), /Down/);
    await shot('20-first-run-down');
  });

  it('turns healthy once the Kiro IDE token is imported, and a second import updates it in place', async () => {
    const a = SIM_ACCOUNTS[0];
    const tokenFile = {
      accessToken: a.accessToken, refreshToken: a.refreshToken, profileArn: a.profileArn,
      expiresAt: new Date(Date.now() + 3600e3).toISOString(), authMethod: 'social', provider: 'Google',
    };
    await page.click('[data-test=health-add-account] a');
    await page.waitForSelector('[data-test=import-account]');
    for (const round of [1, 2]) {
      await page.click('[data-test=import-account]');
      await page.fill('[data-test=import-text]', JSON.stringify(tokenFile, null, 2));
      await page.click('[data-test=submit-import]');
      await page.waitForSelector('[data-test=import-result]');
      const result = await page.innerText('[data-test=import-result]');
      if (round === 1) {
        assert.match(result, /Added 1/);
      } else {
        assert.match(result, /Added 0/);
        assert.match(result, /updated 1 in place \(already present: .*same refresh token\)/);
        await shot('22-import-again-updates');
      }
      await page.click('.modal-foot .btn:not(.primary)');
    }
    assert.equal((await admin(stack, 'GET', '/api/accounts')).body.accounts.length, 1);
    await page.click('[data-test=nav-dashboard]');
    await eventually('the service card to say Healthy', async () => (await statValue('service')) === 'Healthy', 20000);
    assert.equal(await page.locator('[data-test=health-banner]').count(), 0);
    assert.equal(await chat(stack), 200);
    await shot('21-first-run-healthy');
  });
});
