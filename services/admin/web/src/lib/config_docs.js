// What each server-config.json key means, for the read-only config page.

export const CONFIG_SECTIONS = [
  {
    title: 'Listening', keys: [
      ['host', 'Interface the Claude API and this admin UI listen on (default 127.0.0.1). Beyond loopback the admin API needs adminToken. Changing it needs a restart.'],
      ['port', 'TCP port of the Claude API and the admin UI. Changing it needs a restart.'],
    ],
  },
  {
    title: 'Account selection', keys: [
      ['strategy', 'How an account is picked per request: auto, first (lowest priority first), round-robin, random or least-inflight.'],
      ['autoSwitchOnError', 'Retry a failed request on another account when Kiro refuses it (quota, suspension, expired token).'],
      ['multiAccountEnabled', 'Use the whole pool; when off, only the first account serves.'],
      ['workersPerAccount', 'Requests one account runs at the same time; more wait in the queue.'],
      ['queueTimeoutMs', 'How long a request may wait for a free account before it fails with 529 overloaded.'],
    ],
  },
  {
    title: 'Access', keys: [
      ['apiKeys', 'Keys Claude clients must send (x-api-key or Bearer); empty accepts any key. Shown masked.'],
      ['adminToken', 'Bearer token of the admin API and this UI; without one only loopback clients are served, and nobody when the bridge listens beyond loopback or sits behind a proxy. Shown masked.'],
      ['adminHosts', 'Extra Host names the admin API answers without an adminToken (localhost, 127.0.0.1, [::1] and the listen address always are).'],
    ],
  },
  {
    title: 'Token refresh', keys: [
      ['tokenRefresh.bufferSeconds', 'Refresh an access token this long before it expires (at or above its lifetime, refreshes still wait a minute).'],
      ['tokenRefresh.retryAttempts', 'Attempts per refresh before the account is marked as failing.'],
      ['tokenRefresh.retryIntervalMs', 'Pause between refresh attempts.'],
    ],
  },
  {
    title: 'Upstream connections', keys: [
      ['connectionPool.maxSockets', 'Accepted for compatibility with the seed only, not used: each worker keeps one connection to Kiro, so workersPerAccount × accounts bounds them.'],
      ['connectionPool.maxFreeSockets', 'Accepted for compatibility only, not used (see maxSockets).'],
      ['connectionPool.socketTimeout', 'Milliseconds an idle upstream socket may stay silent.'],
      ['connectionPool.requestTimeout', 'Milliseconds one non-streamed request may take in all.'],
      ['connectionPool.streamTimeout', 'Milliseconds one streamed answer may run in all; then it ends with an error event.'],
    ],
  },
  {
    title: 'Logging', keys: [
      ['logLevel', 'debug, info, warn or error; a hot reload applies it at once.'],
      ['logDir', 'Folder of server-debug.log, server-error.log, claude-code.log and kiro-api.log.'],
      ['logRotation.maxSize', 'A log file rotates when it would grow past this many bytes.'],
      ['logRotation.maxFiles', 'Files kept per log, the live one included.'],
      ['watchConfig', 'Reload automatically when one of the three config files changes on disk.'],
    ],
  },
  {
    title: 'Kiro endpoints', keys: [
      ['kiro.region', 'AWS region of the CodeWhisperer endpoint.'],
      ['kiro.apiBaseUrl', 'Where generateAssistantResponse, ListAvailableModels and getUsageLimits go.'],
      ['kiro.socialRefreshUrl', 'Token refresh for social (Google / GitHub) sign-ins.'],
      ['kiro.idcRefreshUrl', 'Token refresh for IAM Identity Center / Builder ID sign-ins.'],
      ['kiro.usageUrl', 'Usage limits endpoint (quota bars).'],
      ['kiro.caFile', 'Extra CA certificate trusted for the upstream, e.g. a test stand-in.'],
      ['kiro.kiroVersion', 'Kiro IDE version the bridge presents itself as.'],
    ],
  },
  {
    title: 'Split deployment', keys: [
      ['cluster.supervisorHost', 'Where the supervisor daemon runs when the actors run as separate processes.'],
      ['cluster.supervisorPort', 'The supervisor daemon\'s port.'],
      ['cluster.gatewayPort', 'The gateway daemon\'s port (empty in all-in-one mode).'],
      ['cluster.bindHost', 'The address the supervisor\'s inter-daemon port binds to (loopback by default).'],
      ['cluster.maxMessageBytes', 'The largest message a connected daemon may announce on the inter-daemon port.'],
      ['cluster.tls.caFile', 'Mutual TLS between the daemons: the CA that signed every daemon\'s certificate.'],
      ['cluster.tls.certFile', 'Mutual TLS: this daemon\'s certificate (PEM).'],
      ['cluster.tls.keyFile', 'Mutual TLS: this daemon\'s private key (PEM, unencrypted).'],
    ],
  },
  {
    title: 'HTTP limits', keys: [
      ['http.headerTimeoutMs', 'A client\'s whole header block must arrive within this, else 408 (slowloris bound).'],
      ['http.maxConnections', 'Open client connections, idle ones included; beyond them 503 and close.'],
      ['http.maxBodyBytesInFlight', 'Request-body bytes read at once over all connections; beyond it 503 before reading.'],
    ],
  },
];

/** `obj` at a dotted `path` ('a.b'); undefined when absent. */
export function valueAt(obj, path) {
  let cur = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !(part in cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

/** Dotted paths of every leaf of `obj` (arrays are leaves). */
export function leafKeys(obj, prefix = '') {
  const out = [];
  for (const [k, v] of Object.entries(obj || {})) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) out.push(...leafKeys(v, path));
    else out.push(path);
  }
  return out;
}

/** Leaf keys of `obj` that no section above explains. */
export function undocumentedKeys(obj) {
  const documented = new Set(CONFIG_SECTIONS.flatMap((s) => s.keys.map(([k]) => k)));
  return leafKeys(obj).filter((k) => !documented.has(k));
}
