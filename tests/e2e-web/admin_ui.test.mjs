// The web admin UI in headless chromium against a real kiro-bridge + kiro-sim:
// login, accounts, dashboard, a broken account, mappings, hot reload, logs.
// Screenshots of every page go to $KB_ARTIFACTS_DIR (default build/test-artifacts/e2e-web).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ADMIN_TOKEN, SIM_ACCOUNTS, admin, chat, repoRoot, startStack } from './stack.mjs';
import { launchBrowser } from './browser.mjs';

const artifacts = process.env.KB_ARTIFACTS_DIR || path.join(repoRoot, 'build', 'test-artifacts', 'e2e-web');
fs.mkdirSync(artifacts, { recursive: true });

/** Polls `probe` until it returns a truthy value; fails with `what` after `ms`. */
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

describe('web admin UI', { timeout: 420000 }, () => {
  let stack;
  let browser;
  let page;
  const pageErrors = [];

  const shot = async (name, opts = {}) => {
    await page.waitForTimeout(300); // let transitions settle
    await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true, ...opts });
  };
  const nav = async (name) => {
    await page.click(`[data-test=nav-${name}]`);
    await page.waitForSelector('.page h1');
  };
  const accountRow = (id) => page.locator(`tr[data-account="${id}"]`);
  const statValue = async (name) => page.locator(`[data-test=stat-${name}] [data-test=stat-value]`).innerText();
  const assertNoSecrets = async () => {
    const html = await page.content();
    for (const secret of [ADMIN_TOKEN, ...SIM_ACCOUNTS.flatMap((a) => [a.accessToken, a.refreshToken, a.clientSecret].filter(Boolean))]) {
      assert.ok(!html.includes(secret), `the page shows a secret (${secret.slice(0, 6)}…)`);
    }
  };

  before(async () => {
    stack = await startStack();
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  after(async () => {
    if (browser) await browser.close();
    if (stack) await stack.stop();
    assert.deepEqual(pageErrors, [], 'uncaught errors in the page');
  });

  it('asks for the admin token, refuses a wrong one and signs in with the right one', async () => {
    await page.goto(`${stack.url}/accounts`);
    await page.waitForSelector('[data-test=login-form]');
    assert.match(new URL(page.url()).pathname, /^\/login$/);
    await shot('01-login');
    await page.fill('[data-test=token]', 'not-the-token');
    await page.click('[data-test=sign-in]');
    await page.waitForSelector('[data-test=login-error]');
    assert.match(await page.innerText('[data-test=login-error]'), /not accepted/);
    await page.fill('[data-test=token]', ADMIN_TOKEN);
    await page.click('[data-test=sign-in]');
    await page.waitForSelector('[data-test=accounts-table]');
    assert.equal(new URL(page.url()).pathname, '/accounts', 'back to the page asked for');
    await assertNoSecrets();
  });

  it('is served with cache headers and a single-page-app fallback', async () => {
    const shell = await fetch(`${stack.url}/models`);
    assert.equal(shell.status, 200);
    assert.equal(shell.headers.get('cache-control'), 'no-cache');
    const html = await shell.text();
    const asset = html.match(/src="(\/assets\/[^"]+\.js)"/);
    assert.ok(asset, 'index.html names a hashed bundle');
    const js = await fetch(stack.url + asset[1]);
    assert.equal(js.status, 200);
    assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.match(js.headers.get('content-type'), /javascript/);
    const api = await fetch(`${stack.url}/api/no-such-route`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(api.status, 404);
    assert.match(api.headers.get('content-type'), /json/);
    assert.equal((await fetch(`${stack.url}/assets/missing-000.js`)).status, 404);
  });

  it('adds an account that turns active after a test request', async () => {
    await nav('accounts');
    const a = SIM_ACCOUNTS[0];
    await page.click('[data-test=add-account]');
    await page.fill('[data-test=add-form] [name=email]', a.email);
    await page.fill('[data-test=add-form] [name=refreshToken]', a.refreshToken);
    await page.fill('[data-test=add-form] [name=accessToken]', a.accessToken);
    await page.fill('[data-test=add-form] [name=priority]', '0');
    await shot('02a-add-account');
    await page.click('[data-test=submit-add]');
    const row = page.locator('tr[data-account]', { hasText: a.email });
    await row.waitFor();
    const id = await row.getAttribute('data-account');
    stack.addedId = id;
    await row.locator('[data-test=test]').click();
    const result = page.locator(`tr[data-account="${id}"] + tr.result-row [data-test=action-result]`);
    await result.waitFor({ timeout: 20000 });
    assert.match(await result.innerText(), /Test passed/);
    await eventually('the new account to be active', async () =>
      (await accountRow(id).locator('[data-test=state-badge]').innerText()) === 'Active');
    const listed = (await admin(stack, 'GET', '/api/accounts')).body.accounts.find((x) => x.id === id);
    assert.equal(listed.status, 'active');
    assert.equal(listed.email, a.email);
    await assertNoSecrets();
    await shot('02-accounts');
  });

  it('moves the dashboard counters and charts when chat requests go through', async () => {
    await nav('dashboard');
    await page.waitForSelector('[data-test=stat-requests]');
    const before = Number((await statValue('requests')).replace(/,/g, ''));
    for (let i = 0; i < 6; i++) assert.equal(await chat(stack, { text: `hello ${i}` }), 200);
    assert.equal(await chat(stack, { stream: true }), 200);
    assert.equal(await chat(stack, { model: '' }), 400);
    await eventually('the request counter to count 8 more', async () =>
      Number((await statValue('requests')).replace(/,/g, '')) >= before + 8);
    // The 400 is the client's mistake: counted, but not in the error rate.
    await eventually('the client error to be counted apart', async () =>
      /1 client/.test(await page.innerText('[data-test=stat-errors] .stat-sub')));
    assert.equal(await statValue('errors'), '0%');
    // The rate line rises once a scrape after the traffic has been compared
    // with one before it (the baseline y is the plot's height).
    await eventually('the request-rate line to rise above zero', async () => {
      const d = await page.getAttribute('[data-test=chart-requests] [data-test=chart-line-requests]', 'd');
      const ys = [...(d ?? '').matchAll(/[ML][\d.]+,([\d.]+)/g)].map((m) => Number(m[1]));
      return ys.length >= 2 && Math.min(...ys) < Math.max(...ys);
    }, 20000);
    await eventually('the latency chart to draw a line or a dot', async () =>
      /M/.test(await page.getAttribute('[data-test=chart-latency] [data-test=chart-line-mean]', 'd') ?? '') ||
      (await page.locator('[data-test=chart-latency] [data-test=chart-dots-mean] circle').count()) > 0);
    assert.match(await page.innerText('[data-test=preferred-account]'), /alice@example\.test/);
    assert.match(await page.innerText('[data-test=count-active]'), /3/);
    // A little more traffic over a few scrapes, so the screenshot shows lines.
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i <= round; i++) await chat(stack, { text: `round ${round}` });
      await page.waitForTimeout(3200);
    }
    await shot('03-dashboard');
  });

  it('imports a Kiro IDE token file', async () => {
    await nav('accounts');
    const d = SIM_ACCOUNTS[3];
    await page.click('[data-test=import-account]');
    await page.fill('[data-test=import-text]', '{ not json');
    await page.click('[data-test=submit-import]');
    assert.match(await page.innerText('.modal .banner.error'), /not valid JSON/);
    const tokenFile = {
      accessToken: d.accessToken, refreshToken: d.refreshToken, profileArn: d.profileArn,
      expiresAt: new Date(Date.now() + 3600e3).toISOString(), authMethod: 'social', provider: 'Google',
    };
    await page.fill('[data-test=import-text]', JSON.stringify(tokenFile, null, 2));
    await page.click('[data-test=submit-import]');
    await page.waitForSelector('[data-test=import-result]');
    assert.match(await page.innerText('[data-test=import-result]'), /Added 1/);
    await assertNoSecrets();
    await shot('02b-import');
    await page.click('.modal-foot .btn:not(.primary)');
    const before = (await admin(stack, 'GET', '/api/accounts')).body.accounts.length;
    assert.equal(before, 4);
    await eventually('four rows in the table', async () => (await page.locator('tr[data-account]').count()) === 4);
  });

  it('shows an account suspended in the sim as disabled', async () => {
    await nav('accounts');
    const id = stack.addedId;
    await stack.sim.script({ match: { account: SIM_ACCOUNTS[0].id }, times: -1, response: { kind: 'suspended' } });
    await accountRow(id).locator('[data-test=test]').click();
    const result = page.locator(`tr[data-account="${id}"] + tr.result-row [data-test=action-result]`);
    await eventually('a failed test result', async () => /Test failed/.test(await result.innerText()), 20000);
    await eventually('the account to be disabled', async () =>
      (await accountRow(id).locator('[data-test=state-badge]').innerText()) === 'Disabled');
    assert.notEqual(await accountRow(id).locator('[data-test=last-error]').innerText(), '');
    await nav('dashboard');
    await eventually('the dashboard to count one disabled account', async () =>
      /1/.test(await page.innerText('[data-test=count-disabled]')));
    await nav('accounts');
    await shot('04-accounts-suspended');
  });

  it('adds, resolves and removes a model mapping', async () => {
    await nav('models');
    await page.waitForSelector('[data-test=mappings-table] tr[data-claude]');
    await page.fill('[data-test=mapping-form] [name=claude]', 'claude-e2e-custom');
    await page.fill('[data-test=mapping-form] [name=kiro]', 'claude-haiku-4.5');
    await page.click('[data-test=save-mapping]');
    const row = page.locator('tr[data-claude="claude-e2e-custom"]');
    await row.waitFor();
    assert.match(await row.innerText(), /claude-haiku-4\.5/);
    assert.equal((await admin(stack, 'GET', '/api/models')).body.mappings['claude-e2e-custom'], 'claude-haiku-4.5');
    await page.fill('[data-test=resolve-input]', 'claude-e2e-custom');
    await page.click('[data-test=resolve]');
    await page.waitForSelector('[data-test=resolve-result]');
    assert.match(await page.innerText('[data-test=resolve-result]'), /claude-haiku-4\.5[\s\S]*exact mapping/);
    assert.ok(await page.locator('[data-test=available-models] .chip').count() > 3);
    await shot('05-models');
    await row.locator('[data-test=remove]').click();
    await page.click('[data-test=confirm-remove]');
    await row.waitFor({ state: 'detached' });
    assert.equal((await admin(stack, 'GET', '/api/models')).body.mappings['claude-e2e-custom'], undefined);
  });

  it('hot-reloads the config and shows why a bad file is refused', async () => {
    await nav('config');
    await page.waitForSelector('.config-item[data-key=strategy]');
    assert.match(await page.innerText('.config-item[data-key=strategy]'), /first/);
    assert.doesNotMatch(await page.innerText('.config-item[data-key=adminToken]'), new RegExp(ADMIN_TOKEN));
    await page.click('[data-test=hot-reload]');
    await page.waitForSelector('[data-test=reload-result].ok');
    assert.match(await page.innerText('[data-test=reload-result]'), /Reload applied/);
    const mappingFile = path.join(stack.configDir, 'model-mapping.json');
    const good = fs.readFileSync(mappingFile, 'utf8');
    fs.writeFileSync(mappingFile, '{ "mappings": { "a": 1 ');
    try {
      await page.click('[data-test=hot-reload]');
      await page.waitForSelector('[data-test=reload-result].bad');
      const text = await page.innerText('[data-test=reload-result]');
      assert.match(text, /Reload refused/);
      assert.match(text, /model-mapping\.json/);
      await shot('06-config');
    } finally {
      fs.writeFileSync(mappingFile, good);
    }
    await page.click('[data-test=hot-reload]');
    await page.waitForSelector('[data-test=reload-result].ok');
  });

  it('tails the logs live with level filter, search and pause', async () => {
    await nav('logs');
    await page.click('[data-test="log-claude-code.log"]');
    await eventually('client request lines', async () =>
      /\/v1\/messages 200/.test(await page.innerText('[data-test=log-view]')));
    await page.fill('[data-test=log-search]', 'messages 400');
    await eventually('the search to keep only the 400', async () => {
      const lines = await page.locator('[data-test=log-line]').allInnerTexts();
      return lines.length >= 1 && lines.every((l) => /messages 400/.test(l));
    });
    assert.ok(await page.locator('[data-test=log-view] mark').count() >= 1, 'hits are highlighted');
    await page.fill('[data-test=log-search]', '');

    await page.click('[data-test="log-server-debug.log"]');
    await eventually('debug lines', async () =>
      (await page.locator('[data-test=log-line] .log-level').allInnerTexts()).includes('DEBUG'));
    await page.click('[data-test=level-WARN]');
    await eventually('only WARN and ERROR lines', async () => {
      const levels = await page.locator('[data-test=log-line] .log-level').allInnerTexts();
      return levels.length > 0 && levels.every((l) => l === 'WARN' || l === 'ERROR');
    });
    await page.click('[data-test=level-filter] button:first-child');

    await page.click('[data-test="log-claude-code.log"]');
    await page.fill('[data-test=log-search]', 'tail-probe');
    await page.click('[data-test=pause]');
    assert.equal(await page.innerText('[data-test=tail-state]'), 'Paused');
    await chat(stack, { model: 'tail-probe-model' });
    await page.waitForTimeout(4500);
    assert.equal(await page.locator('[data-test=log-line]').count(), 0, 'a paused tail does not move');
    await page.click('[data-test=pause]');
    await eventually('the probe line after resuming', async () =>
      (await page.locator('[data-test=log-line]').count()) >= 1);
    await page.fill('[data-test=log-search]', '');
    await page.waitForTimeout(500);
    await shot('07-logs', { fullPage: false });
  });

  it('stays usable on a narrow screen', async () => {
    await page.setViewportSize({ width: 430, height: 900 });
    await nav('dashboard');
    await page.waitForSelector('[data-test=stat-requests]');
    await shot('08-dashboard-narrow');
    await page.setViewportSize({ width: 1440, height: 900 });
  });
});
