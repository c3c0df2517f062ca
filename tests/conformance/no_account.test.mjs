// When nothing can serve (no account, or every account disabled), clients
// get a 503 api_error with `x-should-retry: false`, which the Anthropic SDK
// and Claude Code do not retry, instead of a 529 they retry for minutes.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Anthropic from '@anthropic-ai/sdk';
import { startStack, bridgeFetch, ACCOUNTS } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.join(here, 'node_modules', '@anthropic-ai', 'claude-code', 'cli-wrapper.cjs');
// Bounds the run, not a speed assertion: a CLI that retried would be killed
// here (it retried a 529 for 150 s+) and fail on its exit signal.
const CLI_KILL_MS = 60000;
const MODEL = 'claude-sonnet-4-6';
const HELLO = { model: MODEL, max_tokens: 32, messages: [{ role: 'user', content: 'Hello' }] };

/**
 * A pass-through proxy in front of the bridge that counts the Claude API
 * calls a client makes (the attempts, retries included), in either mode.
 */
async function countingProxy(target) {
  const calls = [];
  const server = http.createServer((req, res) => {
    if (req.url.startsWith('/v1/messages') && !req.url.startsWith('/v1/messages/count_tokens'))
      calls.push(req.method + ' ' + req.url);
    const up = http.request(target + req.url, { method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    });
    up.on('error', () => { res.writeHead(502); res.end(); });
    req.pipe(up);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    calls,
    close: () => new Promise((r) => server.close(r)),
  };
}

function runClaude(args, { env, cwd }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => { stdout += c; });
    child.stderr.on('data', (c) => { stderr = (stderr + c).slice(-64 * 1024); });
    const timer = setTimeout(() => child.kill('SIGKILL'), CLI_KILL_MS);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
}

describe('with no Kiro account', () => {
  let stack;
  before(async () => { stack = await startStack({ accounts: [] }); });
  after(async () => { await stack?.stop(); });

  test('the SDK gets one 503 api_error naming the cause, and does not retry it', { timeout: 30000 }, async () => {
    // The SDK's default retries (2) stay on: the header must stop them.
    let attempts = 0;
    const client = new Anthropic({
      baseURL: stack.baseURL, apiKey: 'sk-test',
      fetch: (url, init) => { attempts += 1; return fetch(url, init); },
    });
    await assert.rejects(client.messages.create(HELLO), (err) => {
      assert.equal(err.status, 503);
      assert.equal(err.error?.error?.type, 'api_error');
      assert.match(err.error?.error?.message, /no Kiro account is configured/);
      assert.match(err.error?.error?.message, /kiroctl accounts import/);
      assert.equal(err.headers.get('x-should-retry'), 'false');
      return true;
    });
    assert.equal(attempts, 1, 'the SDK retried the 503');
  });

  test('a stream gets the same 503 before any event', { timeout: 30000 }, async () => {
    const client = new Anthropic({ baseURL: stack.baseURL, apiKey: 'sk-test' });
    const stream = client.messages.stream(HELLO);
    await assert.rejects(stream.finalMessage(), (err) => err.status === 503);
  });

  test('/api/health and /health say down, with the reason', { timeout: 30000 }, async () => {
    for (const route of ['/api/health', '/health']) {
      const res = await fetch(stack.adminUrl + route);
      assert.equal(res.status, 200);
      const h = await res.json();
      assert.equal(h.status, 'down');
      assert.match(h.reason, /no Kiro account is configured/);
    }
  });

  test('Claude Code prints the message and exits instead of retrying', { timeout: CLI_KILL_MS + 30000 }, async () => {
    assert.ok(fs.existsSync(CLI), `Claude Code is not installed at ${CLI} (run npm ci in tests/conformance)`);
    const home = path.join(stack.dir, 'home');
    const work = path.join(stack.dir, 'work');
    fs.mkdirSync(home);
    fs.mkdirSync(work);
    const env = {
      PATH: process.env.PATH,
      HOME: home,
      ANTHROPIC_BASE_URL: stack.baseURL,
      ANTHROPIC_API_KEY: 'sk-test',
      DISABLE_TELEMETRY: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_AUTOUPDATER: '1',
    };
    const proxy = await countingProxy(stack.baseURL);
    env.ANTHROPIC_BASE_URL = proxy.url;
    const run = await runClaude(['-p', 'Hello', '--model', MODEL], { env, cwd: work })
      .finally(() => proxy.close());
    const diagnostics = () => `exit ${run.code}/${run.signal}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
    assert.equal(run.signal, null, `Claude Code was still retrying and had to be killed\n${diagnostics()}`);
    assert.notEqual(run.code, 0, diagnostics());
    assert.match(run.stdout + run.stderr, /no Kiro account is configured/, diagnostics());
    const calls = proxy.calls.length;
    assert.ok(calls >= 1 && calls <= 2,
      `Claude Code sent ${calls} requests (${proxy.calls.join(', ')}): it retried\n${diagnostics()}`);
  });
});

describe('with every Kiro account disabled', () => {
  let stack;
  before(async () => { stack = await startStack({ accounts: [ACCOUNTS[0]] }); });
  after(async () => { await stack?.stop(); });

  test('the SDK gets a 503 naming the disabled accounts', { timeout: 30000 }, async () => {
    const off = await bridgeFetch(stack, `/api/accounts/${ACCOUNTS[0].id}`, {
      method: 'PATCH', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ enabled: false }),
    });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    const client = new Anthropic({ baseURL: stack.baseURL, apiKey: 'sk-test' });
    await assert.rejects(client.messages.create(HELLO), (err) => {
      assert.equal(err.status, 503);
      assert.match(err.error?.error?.message, /1 disabled/);
      return true;
    });
    // The admin hears of the state change a moment after the supervisor.
    let h = {};
    for (let i = 0; i < 50 && h.status !== 'down'; ++i) {
      h = await (await fetch(stack.adminUrl + '/api/health')).json();
      if (h.status !== 'down') await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(h.status, 'down', JSON.stringify(h));
    assert.match(h.reason, /every Kiro account is disabled/);
  });
});
