// Prometheus text format (0.0.4) → samples, and the bridge's totals from them.

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$/;

/** `a="x",b="y\"z"` → {a: 'x', b: 'y"z'}; null when malformed. */
export function parseLabels(text) {
  const labels = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) return null;
    const name = text.slice(i, eq).trim();
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name) || text[eq + 1] !== '"') return null;
    let value = '';
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\' && j + 1 < text.length) {
        const next = text[++j];
        value += next === 'n' ? '\n' : next;
      } else {
        value += text[j];
      }
    }
    if (j >= text.length) return null;
    labels[name] = value;
    i = j + 1;
    while (i < text.length && (text[i] === ',' || text[i] === ' ')) i++;
  }
  return labels;
}

function parseValue(text) {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const v = Number(text);
  return Number.isNaN(v) ? null : v;
}

/** Every sample line as {name, labels, value}; comments and bad lines are skipped. */
export function parsePrometheus(text) {
  const samples = [];
  for (const raw of String(text).split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) continue;
    const labels = m[2] ? parseLabels(m[2]) : {};
    const value = parseValue(m[3]);
    if (labels === null || value === null) continue;
    samples.push({ name: m[1], labels, value });
  }
  return samples;
}

const N = {
  requests: 'kiro_bridge_requests_total',
  duration: 'kiro_bridge_request_duration_seconds',
  tokens: 'kiro_bridge_tokens_total',
  upstreamErrors: 'kiro_bridge_upstream_errors_total',
  clientErrors: 'kiro_bridge_client_errors_total',
  serviceErrors: 'kiro_bridge_service_errors_total',
  queueDepth: 'kiro_bridge_queue_depth',
  pending: 'kiro_bridge_pending_requests',
  inFlight: 'kiro_bridge_upstream_in_flight',
  accounts: 'kiro_bridge_accounts',
};

/**
 * The numbers the dashboard needs from one scrape: counters summed over
 * their labels, the latency histogram's cumulative buckets, the gauges.
 * `errors` are the failures of the service and of Kiro, not the client's
 * mistakes (a bad key, an invalid body), which `clientErrors` counts.
 */
export function summarize(samples) {
  const s = {
    requests: 0, errors: 0, clientErrors: 0, serviceErrors: 0, upstreamErrors: 0, tokensIn: 0, tokensOut: 0,
    durationSum: 0, durationCount: 0, buckets: new Map(),
    queueDepth: 0, pending: 0, inFlight: 0, byModel: {}, accountsByState: {},
  };
  for (const { name, labels, value } of samples) {
    if (name === N.requests) {
      s.requests += value;
      if (labels.model) s.byModel[labels.model] = (s.byModel[labels.model] || 0) + value;
    } else if (name === N.upstreamErrors) s.upstreamErrors += value;
    else if (name === N.serviceErrors) s.serviceErrors += value;
    else if (name === N.clientErrors) s.clientErrors += value;
    else if (name === N.tokens) {
      if (labels.direction === 'input') s.tokensIn += value;
      else if (labels.direction === 'output') s.tokensOut += value;
    } else if (name === `${N.duration}_sum`) s.durationSum += value;
    else if (name === `${N.duration}_count`) s.durationCount += value;
    else if (name === `${N.duration}_bucket`) {
      const le = labels.le === '+Inf' ? Infinity : Number(labels.le);
      s.buckets.set(le, (s.buckets.get(le) || 0) + value);
    } else if (name === N.queueDepth) s.queueDepth = value;
    else if (name === N.pending) s.pending = value;
    else if (name === N.inFlight) s.inFlight = value;
    else if (name === N.accounts && labels.state) s.accountsByState[labels.state] = value;
  }
  s.errors = s.serviceErrors + s.upstreamErrors;
  return s;
}
