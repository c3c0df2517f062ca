// Starts kiro-sim (TLS) + kiro-bridge for one test file and tears them down.
//
//   const stack = await startStack({ apiKeys: ['sk-good'] });
//   stack.baseURL      -> give to the Anthropic SDK
//   stack.sim.script({...}), stack.sim.requests(), stack.sim.reset(), ...
//   await stack.stop();
//
// Binaries come from $KB_BIN_DIR (default <repo>/build/bin).

import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');
export const binDir = process.env.KB_BIN_DIR || path.join(repoRoot, 'build', 'bin');

const READY_TIMEOUT_MS = 20000;
const LOG_KEEP_BYTES = 64 * 1024;

// Every child we start, so a crashing or interrupted test run never leaks one.
const liveChildren = new Set();
function killAllChildren() {
  for (const child of liveChildren) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
  liveChildren.clear();
}
process.on('exit', killAllChildren);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => { killAllChildren(); process.exit(128 + os.constants.signals[signal]); });
}

/** The accounts both sides know: one social, one IdC (ids are shared). */
export const ACCOUNTS = [
  {
    id: 'acct-a', email: 'a@example.test', authMethod: 'social',
    accessToken: 'aoa-access-token-account-a-0001', refreshToken: 'aor-refresh-token-account-a-0001',
    clientId: '', clientSecret: '',
    profileArn: 'arn:aws:codewhisperer:us-east-1:699475941385:profile/EHGA3GRVQMUK',
  },
  {
    id: 'acct-b', email: 'b@example.test', authMethod: 'IdC',
    accessToken: 'aoa-access-token-account-b-0002', refreshToken: 'aor-refresh-token-account-b-0002',
    clientId: 'client-id-b', clientSecret: 'client-secret-b', profileArn: '',
  },
];

function makeCertificate(dir) {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  return { cert, key };
}

/** Spawns `binary`; resolves with the regex match of its ready line on stdout. */
function startProcess(name, binary, args, readyPattern) {
  if (!fs.existsSync(binary)) {
    throw new Error(`${name}: binary not found at ${binary} (build it or set KB_BIN_DIR)`);
  }
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  liveChildren.add(child);
  const logs = { stdout: '', stderr: '' };
  const keep = (stream, chunk) => {
    logs[stream] = (logs[stream] + chunk.toString()).slice(-LOG_KEEP_BYTES);
  };
  child.stderr.on('data', (c) => keep('stderr', c));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    liveChildren.delete(child);
    resolve({ code, signal });
  }));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${name} did not print its ready line within ${READY_TIMEOUT_MS} ms\n` +
        `stdout:\n${logs.stdout}\nstderr:\n${logs.stderr}`));
    }, READY_TIMEOUT_MS);
    child.stdout.on('data', (c) => {
      keep('stdout', c);
      const m = logs.stdout.match(readyPattern);
      if (m) { clearTimeout(timer); resolve(m); }
    });
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (code ${code}, signal ${signal}) before it was ready\n` +
        `stdout:\n${logs.stdout}\nstderr:\n${logs.stderr}`));
    });
  });
  // The ready promise loses the race with exit once ready: swallow that.
  ready.catch(() => {});
  return { name, child, ready, exited, logs };
}

async function stopProcess(proc) {
  if (!proc || proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  proc.child.kill('SIGTERM');
  const timeout = new Promise((r) => setTimeout(() => r('timeout'), 5000));
  if (await Promise.race([proc.exited, timeout]) === 'timeout') {
    proc.child.kill('SIGKILL');
    await proc.exited;
  }
}

async function simControl(simUrl, method, route, body) {
  const res = await fetch(simUrl + route, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`kiro-sim ${method} ${route} -> ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

function simAccountsFile(accounts) {
  return accounts.map((a) => ({
    id: a.id, email: a.email, accessToken: a.accessToken, refreshToken: a.refreshToken,
    authMethod: a.authMethod, clientId: a.clientId, clientSecret: a.clientSecret,
    profileArn: a.profileArn, accessTokenExpiresInSeconds: 3600,
    usageLimit: 500, currentUsage: 0,
  }));
}

function bridgeAccountsFile(accounts) {
  const expiresAt = Date.now() + 3600 * 1000;
  return {
    version: '1.0.0',
    accounts: accounts.map((a, i) => ({
      id: a.id, email: a.email,
      credentials: {
        accessToken: a.accessToken, refreshToken: a.refreshToken, expiresAt,
        authMethod: a.authMethod, clientId: a.clientId, clientSecret: a.clientSecret,
        region: 'us-east-1', ...(a.profileArn ? { profileArn: a.profileArn } : {}),
      },
      priority: i,
    })),
    groups: [],
    tags: [],
  };
}

/**
 * Starts kiro-sim + kiro-bridge. Options:
 *   apiKeys: string[]       client keys the bridge accepts ([] = any)
 *   strategy: string        account selection strategy (default "first")
 *   workersPerAccount, queueTimeoutMs: numbers
 *   accounts: account list  (default ACCOUNTS)
 */
/** KB_CONFORMANCE_MODE=split runs the stack as three daemons. */
export const splitMode = process.env.KB_CONFORMANCE_MODE === 'split';

/** Waits until a split gateway has connected to its supervisor. */
async function waitForSupervisor(gatewayUrl) {
  for (let i = 0; i < 100; ++i) {
    const health = await fetch(`${gatewayUrl}/api/health`).then((r) => r.json()).catch(() => ({}));
    if (health.supervisor === 'connected')
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the split gateway did not connect to its supervisor within 10 s');
}

export async function startStack(options = {}) {
  const accounts = options.accounts ?? ACCOUNTS;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kb-conf-'));
  const configDir = path.join(dir, 'config');
  fs.mkdirSync(configDir);
  let sim;
  let bridge;
  const daemons = []; // stopped last-started first, the sim after them
  const stop = async () => {
    for (const d of daemons.reverse())
      await stopProcess(d);
    await stopProcess(sim);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const { cert, key } = makeCertificate(dir);
    const simAccounts = path.join(dir, 'sim-accounts.json');
    fs.writeFileSync(simAccounts, JSON.stringify(simAccountsFile(accounts), null, 2));
    // A kiro-sim thread serves one connection for as long as it is kept
    // alive, and one whose client left sleeps out its scripted delays: room
    // for every worker's and maintainer's connection plus such leftovers.
    sim = startProcess('kiro-sim', path.join(binDir, 'kiro-sim'), [
      '--host', '127.0.0.1', '--port', '0', '--tls-port', '0',
      '--cert', cert, '--key', key, '--accounts', simAccounts, '--threads', '32',
    ], /kiro-sim listening http=([\d.]+):(\d+) https=([\d.]+):(\d+)/);
    const simMatch = await sim.ready;
    const simUrl = `http://127.0.0.1:${simMatch[2]}`;
    const simTlsUrl = `https://127.0.0.1:${simMatch[4]}`;

    const serverConfig = {
      host: '127.0.0.1',
      port: 3000,
      strategy: options.strategy ?? 'first',
      autoSwitchOnError: true,
      workersPerAccount: options.workersPerAccount ?? 4,
      queueTimeoutMs: options.queueTimeoutMs ?? 10000,
      apiKeys: options.apiKeys ?? [],
      adminToken: '',
      logLevel: 'info',
      logDir: path.join(dir, 'logs'),
      tokenRefresh: { bufferSeconds: 60, retryAttempts: 1 },
      kiro: {
        apiBaseUrl: simTlsUrl,
        socialRefreshUrl: `${simTlsUrl}/refreshToken`,
        idcRefreshUrl: `${simTlsUrl}/token`,
        usageUrl: simTlsUrl,
        caFile: cert,
      },
    };
    fs.writeFileSync(path.join(configDir, 'server-config.json'), JSON.stringify(serverConfig, null, 2));
    fs.writeFileSync(path.join(configDir, 'kiro-accounts.json'),
      JSON.stringify(bridgeAccountsFile(accounts), null, 2));
    fs.copyFileSync(path.join(repoRoot, 'config', 'model-mapping.json'),
      path.join(configDir, 'model-mapping.json'));

    let bridgeUrl;
    let adminUrl;
    if (splitMode) {
      // The same suite through the split daemons: supervisor, gateway and
      // admin as separate processes over CAF's middleman.
      const supervisor = startProcess('kiro-supervisor', path.join(binDir, 'kiro-supervisor'), [
        '--config-dir', configDir, '--bind', '127.0.0.1', '--supervisor-port', '0',
        '--health-port', '0',
      ], /kiro-supervisor listening cluster=([\d.]+):(\d+)/);
      daemons.push(supervisor);
      const cluster = ['--supervisor-host', '127.0.0.1', '--supervisor-port',
        (await supervisor.ready)[2]];
      const gateway = startProcess('kiro-gateway', path.join(binDir, 'kiro-gateway'), [
        '--config-dir', configDir, '--host', '127.0.0.1', '--port', '0', ...cluster,
      ], /kiro-gateway listening on http:\/\/([^:\s]+):(\d+)/);
      daemons.push(gateway);
      const admin = startProcess('kiro-admin', path.join(binDir, 'kiro-admin'), [
        '--config-dir', configDir, '--host', '127.0.0.1', '--port', '0', ...cluster,
      ], /kiro-admin listening on http:\/\/([^:\s]+):(\d+)/);
      daemons.push(admin);
      bridgeUrl = `http://127.0.0.1:${(await gateway.ready)[2]}`;
      adminUrl = `http://127.0.0.1:${(await admin.ready)[2]}`;
      await waitForSupervisor(bridgeUrl);
    } else {
      bridge = startProcess('kiro-bridge', path.join(binDir, 'kiro-bridge'), [
        '--config-dir', configDir, '--port', '0', '--host', '127.0.0.1',
      ], /kiro-bridge listening on http:\/\/([^:\s]+):(\d+)/);
      daemons.push(bridge);
      bridgeUrl = `http://127.0.0.1:${(await bridge.ready)[2]}`;
      adminUrl = bridgeUrl;
    }

    const control = (method, route, body) => simControl(simUrl, method, route, body);
    return {
      baseURL: bridgeUrl,
      bridgeUrl,
      adminUrl,
      split: splitMode,
      dir,
      configDir,
      accounts,
      pids: { daemons: daemons.map((d) => d.child.pid), sim: sim.child.pid },
      sim: {
        url: simUrl,
        tlsUrl: simTlsUrl,
        control,
        script: (rule) => control('POST', '/__sim/script', rule),
        reset: () => control('POST', '/__sim/reset', {}),
        requests: () => control('GET', '/__sim/requests'),
        expire: (id) => control('POST', '/__sim/expire', { id }),
        stats: () => control('GET', '/__sim/stats'),
      },
      /** stderr of both daemons so far, for failure messages. */
      logs: () => daemons.map((d) => `--- ${d.name} stderr ---\n${d.logs.stderr}`).join('\n') +
        `\n--- kiro-sim stderr ---\n${sim.logs.stderr}`,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** GET/POST against the bridge with fetch; returns {status, headers, body(parsed or text)}. */
export async function bridgeFetch(stack, route, init = {}) {
  // The admin API lives on kiro-admin in split mode.
  const base = route.startsWith('/api/') && route !== '/api/health' ? stack.adminUrl : stack.bridgeUrl;
  const res = await fetch(base + route, init);
  const text = await res.text();
  let body = text;
  try { body = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, body };
}
