// The web admin UI of a bridge without adminToken (the loopback rule only):
// its own mutations still work (same origin, JSON bodies), a page on another
// site cannot add an account (CSRF), and a name rebound to 127.0.0.1 gets
// no admin data (DNS rebinding).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { admin, startStack } from './stack.mjs';
import { launchBrowser } from './browser.mjs';

describe('web admin UI without adminToken', { timeout: 240000 }, () => {
  let stack;
  let browser;
  let page;
  const pageErrors = [];
  const accountCount = async () => (await admin(stack, 'GET', '/api/accounts')).body.accounts.length;

  before(async () => {
    stack = await startStack({ adminToken: '' });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  after(async () => {
    if (browser) await browser.close();
    if (stack) await stack.stop();
    assert.deepEqual(pageErrors, [], 'uncaught errors in the page');
  });

  it('adds and removes a model mapping and hot-reloads from its own origin', async () => {
    await page.goto(`${stack.url}/models`);
    await page.waitForSelector('[data-test=mappings-table] tr[data-claude]');
    const sent = [];
    page.on('request', (r) => { if (r.url().includes('/api/models/claude-open-e2e')) sent.push(r); });
    await page.fill('[data-test=mapping-form] [name=claude]', 'claude-open-e2e');
    await page.fill('[data-test=mapping-form] [name=kiro]', 'claude-haiku-4.5');
    await page.click('[data-test=save-mapping]');
    const row = page.locator('tr[data-claude="claude-open-e2e"]');
    await row.waitFor();
    assert.equal((await admin(stack, 'GET', '/api/models')).body.mappings['claude-open-e2e'], 'claude-haiku-4.5');
    // What the guard looks at: the browser's own Origin and a JSON body.
    const put = sent.find((r) => r.method() === 'PUT');
    assert.ok(put, 'the UI sent a PUT');
    const headers = await put.allHeaders();
    assert.equal(headers.origin, stack.url);
    assert.match(headers['content-type'], /^application\/json/);
    await row.locator('[data-test=remove]').click();
    await page.click('[data-test=confirm-remove]');
    await row.waitFor({ state: 'detached' });
    assert.equal((await admin(stack, 'GET', '/api/models')).body.mappings['claude-open-e2e'], undefined);
    await page.click('[data-test=nav-config]');
    await page.click('[data-test=hot-reload]');
    await page.waitForSelector('[data-test=reload-result].ok');
  });

  it('refuses a form-style POST that a page of another origin sends to the bridge', async () => {
    const before = await accountCount();
    // The other site is served from loopback too: chromium itself blocks a
    // public page's requests to loopback (Private Network Access), other
    // browsers do not, and a local page (another port) is a site of its own.
    const site = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>cats</title>');
    });
    await new Promise((r) => site.listen(0, '127.0.0.1', r));
    const siteUrl = `http://127.0.0.1:${site.address().port}`;
    const attacker = await browser.newPage();
    try {
      await attacker.goto(`${siteUrl}/`);
      const answered = attacker.waitForResponse((r) => r.url() === `${stack.url}/api/accounts`);
      // A simple request: no preflight, so the browser sends it as is.
      await attacker.evaluate((url) => fetch(`${url}/api/accounts`, {
        method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' },
        body: JSON.stringify({ refreshToken: 'aor-csrf-refresh-token', email: 'csrf@attacker.test' }),
      }).catch(() => null), stack.url);
      const res = await answered;
      // 403 is the Origin rule (the text/plain body alone would be 415); an
      // opaque (no-cors) answer's body cannot be read back.
      assert.equal(res.status(), 403);
    } finally {
      await attacker.close();
      site.close();
    }
    assert.equal(await accountCount(), before, 'no account was added');
  });

  it('shows no admin data when a rebound name points at the bridge', async () => {
    const port = new URL(stack.url).port;
    const rebound = await launchBrowser(['--host-resolver-rules=MAP rebind.attacker.test 127.0.0.1']);
    try {
      const p = await rebound.newPage();
      const config = p.waitForResponse((r) => r.url().endsWith('/api/config'));
      await p.goto(`http://rebind.attacker.test:${port}/accounts`);
      const res = await config;
      assert.equal(res.status(), 403);
      assert.equal((await res.json()).error.type, 'permission_error');
      await p.waitForSelector('[data-test=forbidden-reason]');
      assert.match(await p.innerText('[data-test=forbidden-reason]'),
        /^Host rebind\.attacker\.test is not a name of this bridge/);
      assert.equal(await p.locator('[data-test=accounts-table]').count(), 0);
    } finally {
      await rebound.close();
    }
  });
});
