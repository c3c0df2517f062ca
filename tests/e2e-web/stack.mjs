// Starts kiro-sim (TLS) + kiro-bridge with an adminToken (or none) for the
// browser tests, and stops them. Binaries come from $KB_BIN_DIR (default
// <repo>/build/bin); the UI is served from $KB_WEB_DIR when set, else from
// the folder compiled into kiro-bridge.

import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');
export const binDir = process.env.KB_BIN_DIR || path.join(repoRoot, 'build', 'bin');
export const ADMIN_TOKEN = 'e2e-admin-token-5f1c9a';

const READY_TIMEOUT_MS = 20000;
const live = new Set();
process.on('exit', () => { for (const c of live) { try { c.kill('SIGKILL'); } catch { /* gone */ } } });

/**
 * The accounts kiro-sim knows. The bridge starts with b and c; the test adds
 * a through the form and imports d as a Kiro IDE token file. c has used 62 % of its quota, so the bars have something to show.
 */
export const SIM_ACCOUNTS = [
  { id: 'acct-a', email: 'alice@example.test', authMethod: 'social',
    accessToken: 'aoa-access-token-account-a-0001', refreshToken: 'aor-refresh-token-account-a-0001',
    clientId: '', clientSecret: '', profileArn: 'arn:aws:codewhisperer:us-east-1:699475941385:profile/EHGA3GRVQMUK',
    usageLimit: 500, currentUsage: 40 },
  { id: 'acct-b', email: 'bob@example.test', authMethod: 'IdC',
    accessToken: 'aoa-access-token-account-b-0002', refreshToken: 'aor-refresh-token-account-b-0002',
    clientId: 'client-id-b', clientSecret: 'client-secret-b', profileArn: '',
    usageLimit: 500, currentUsage: 120 },
  { id: 'acct-c', email: 'carol@example.test', authMethod: 'social',
    accessToken: 'aoa-access-token-account-c-0003', refreshToken: 'aor-refresh-token-account-c-0003',
    clientId: '', clientSecret: '', profileArn: 'arn:aws:codewhisperer:us-east-1:699475941385:profile/EHGA3GRVQMUK',
    usageLimit: 500, currentUsage: 310 },
  { id: 'acct-d', email: 'dave@example.test', authMethod: 'social',
    accessToken: 'aoa-access-token-account-d-0004', refreshToken: 'aor-refresh-token-account-d-0004',
    clientId: '', clientSecret: '', profileArn: 'arn:aws:codewhisperer:us-east-1:699475941385:profile/EHGA3GRVQMUK',
    usageLimit: 500, currentUsage: 455 },
];

function startProcess(name, binary, args, readyPattern, env = process.env) {
  if (!fs.existsSync(binary)) throw new Error(`${name}: no binary at ${binary} (build it or set KB_BIN_DIR)`);
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  live.add(child);
  const logs = { stdout: '', stderr: '' };
  const keep = (k, c) => { logs[k] = (logs[k] + c.toString()).slice(-65536); };
  child.stderr.on('data', (c) => keep('stderr', c));
  const exited = new Promise((r) => child.on('exit', (code, signal) => { live.delete(child); r({ code, signal }); }));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} not ready in ${READY_TIMEOUT_MS} ms\n${logs.stderr}`)),
      READY_TIMEOUT_MS);
    child.stdout.on('data', (c) => {
      keep('stdout', c);
      const m = logs.stdout.match(readyPattern);
      if (m) { clearTimeout(timer); resolve(m); }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready\n${logs.stderr}`));
    });
  });
  ready.catch(() => {});
  return { child, ready, exited, logs };
}

async function stopProcess(p) {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const t = new Promise((r) => setTimeout(() => r('timeout'), 5000));
  if (await Promise.race([p.exited, t]) === 'timeout') { p.child.kill('SIGKILL'); await p.exited; }
}

function bridgeAccount(a, priority) {
  return {
    id: a.id, email: a.email, priority,
    credentials: {
      accessToken: a.accessToken, refreshToken: a.refreshToken, expiresAt: Date.now() + 3600e3,
      authMethod: a.authMethod, clientId: a.clientId, clientSecret: a.clientSecret, region: 'us-east-1',
      ...(a.profileArn ? { profileArn: a.profileArn } : {}),
    },
  };
}

/**
 * `options.adminToken`: '' starts the bridge without one (loopback rule only).
 * `options.accounts`: the ids of SIM_ACCOUNTS the bridge starts with (default b and c).
 */
export async function startStack(options = {}) {
  const adminToken = options.adminToken ?? ADMIN_TOKEN;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kb-e2e-web-'));
  const configDir = path.join(dir, 'config');
  fs.mkdirSync(configDir);
  let sim;
  let bridge;
  const stop = async () => {
    await stopProcess(bridge);
    await stopProcess(sim);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
      '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const simAccounts = path.join(dir, 'sim-accounts.json');
    fs.writeFileSync(simAccounts, JSON.stringify(SIM_ACCOUNTS.map((a) => ({
      ...a, accessTokenExpiresInSeconds: 3600,
    }))));
    sim = startProcess('kiro-sim', path.join(binDir, 'kiro-sim'), [
      '--host', '127.0.0.1', '--port', '0', '--tls-port', '0', '--cert', cert, '--key', key,
      '--accounts', simAccounts, '--threads', '8',
    ], /kiro-sim listening http=([\d.]+):(\d+) https=([\d.]+):(\d+)/);
    const sm = await sim.ready;
    const simUrl = `http://127.0.0.1:${sm[2]}`;
    const simTls = `https://127.0.0.1:${sm[4]}`;

    const serverConfig = {
      host: '127.0.0.1', port: 3000, strategy: 'first', autoSwitchOnError: true,
      workersPerAccount: 4, queueTimeoutMs: 10000, apiKeys: [], adminToken,
      logLevel: 'debug', logDir: path.join(dir, 'logs'),
      tokenRefresh: { bufferSeconds: 60, retryAttempts: 1 },
      kiro: { apiBaseUrl: simTls, socialRefreshUrl: `${simTls}/refreshToken`,
              idcRefreshUrl: `${simTls}/token`, usageUrl: simTls, caFile: cert },
    };
    fs.writeFileSync(path.join(configDir, 'server-config.json'), JSON.stringify(serverConfig, null, 2));
    fs.writeFileSync(path.join(configDir, 'kiro-accounts.json'), JSON.stringify({
      version: '1.0.0',
      accounts: (options.accounts ?? ['acct-b', 'acct-c']).map((id, i) =>
        bridgeAccount(SIM_ACCOUNTS.find((a) => a.id === id), i + 1)),
      groups: [], tags: [],
    }, null, 2));
    fs.copyFileSync(path.join(repoRoot, 'config', 'model-mapping.json'), path.join(configDir, 'model-mapping.json'));

    bridge = startProcess('kiro-bridge', path.join(binDir, 'kiro-bridge'),
      ['--config-dir', configDir, '--port', '0', '--host', '127.0.0.1'],
      /kiro-bridge listening on http:\/\/([^:\s]+):(\d+)/);
    const bm = await bridge.ready;
    const url = `http://127.0.0.1:${bm[2]}`;
    const simControl = async (method, route, body) => {
      const res = await fetch(simUrl + route, {
        method, headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`kiro-sim ${method} ${route} -> ${res.status}: ${text}`);
      return text ? JSON.parse(text) : null;
    };
    return {
      url, dir, configDir,
      sim: { url: simUrl, script: (rule) => simControl('POST', '/__sim/script', rule),
             reset: () => simControl('POST', '/__sim/reset', {}) },
      logs: () => `--- kiro-bridge stderr ---\n${bridge.logs.stderr.slice(-8000)}\n--- kiro-sim stderr ---\n${sim.logs.stderr.slice(-4000)}`,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** One Claude Messages request through the bridge; resolves with the HTTP status. */
export async function chat(stack, { model = 'claude-sonnet-4-5-20250929', text = 'Say hi', stream = false } = {}) {
  const res = await fetch(`${stack.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'any', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model, max_tokens: 64, stream, messages: [{ role: 'user', content: text }] }),
  });
  await res.text();
  return res.status;
}

/** An admin API call with the token. */
export async function admin(stack, method, route, body) {
  const res = await fetch(stack.url + route, {
    method,
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let parsed = text;
  try { parsed = JSON.parse(text); } catch { /* text */ }
  return { status: res.status, headers: res.headers, body: parsed };
}
