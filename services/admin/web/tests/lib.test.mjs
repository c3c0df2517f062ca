// Unit tests of the UI's pure modules: `node --test services/admin/web/tests/`.
import test from 'node:test';
import assert from 'node:assert/strict';
import { parseLabels, parsePrometheus, summarize } from '../src/lib/prometheus.js';
import { counterDelta, derivePoint, History, quantileBetween, recentSummary } from '../src/lib/history.js';
import { filterLogLines, highlightParts, parseLogLine } from '../src/lib/logs.js';
import { isolatedPoints, linePath, nearestPoint, niceMax } from '../src/lib/chart.js';
import { countByState, preferredAccount, usageLevel } from '../src/lib/accounts.js';
import { formatMs, formatUptime, relativeTime } from '../src/lib/format.js';
import { undocumentedKeys, valueAt } from '../src/lib/config_docs.js';
import { serviceHealth } from '../src/lib/health.js';

const SCRAPE = `# HELP kiro_bridge_requests_total Claude API requests
# TYPE kiro_bridge_requests_total counter
kiro_bridge_requests_total{route="/v1/messages",status="200",model="claude-sonnet-4.5"} 7
kiro_bridge_requests_total{route="/v1/messages",status="400",model=""} 2
kiro_bridge_requests_total{route="/v1/messages",status="529",model="claude-haiku-4.5"} 1
kiro_bridge_request_duration_seconds_bucket{route="/v1/messages",le="0.1"} 4
kiro_bridge_request_duration_seconds_bucket{route="/v1/messages",le="1"} 9
kiro_bridge_request_duration_seconds_bucket{route="/v1/messages",le="+Inf"} 10
kiro_bridge_request_duration_seconds_sum{route="/v1/messages"} 3.5
kiro_bridge_request_duration_seconds_count{route="/v1/messages"} 10
kiro_bridge_tokens_total{direction="input",model="claude-sonnet-4.5"} 420
kiro_bridge_tokens_total{direction="output",model="claude-sonnet-4.5"} 77
kiro_bridge_upstream_errors_total{type="overloaded_error"} 3
kiro_bridge_client_errors_total{type="invalid_request_error"} 2
kiro_bridge_service_errors_total{type="api_error"} 1
kiro_bridge_queue_depth 2
kiro_bridge_accounts{state="active"} 2
kiro_bridge_accounts{state="disabled"} 1
garbage line without value
`;

test('label values keep escaped quotes, backslashes and newlines', () => {
  assert.deepEqual(parseLabels('a="x",b="y\\"z",c="p\\\\q",d="l\\nm"'),
    { a: 'x', b: 'y"z', c: 'p\\q', d: 'l\nm' });
  assert.equal(parseLabels('a=x'), null);
  assert.equal(parseLabels('a="unterminated'), null);
});

test('a scrape parses into samples and skips comments and bad lines', () => {
  const samples = parsePrometheus(SCRAPE);
  assert.equal(samples.length, 16);
  assert.deepEqual(samples[0], {
    name: 'kiro_bridge_requests_total',
    labels: { route: '/v1/messages', status: '200', model: 'claude-sonnet-4.5' },
    value: 7,
  });
  assert.equal(samples[5].value, 10);
  assert.equal(samples[5].labels.le, '+Inf');
});

test('the summary adds counters over labels and counts service and upstream failures as errors, not client mistakes', () => {
  const s = summarize(parsePrometheus(SCRAPE));
  assert.equal(s.requests, 10);
  assert.equal(s.errors, 4);
  assert.equal(s.upstreamErrors, 3);
  assert.equal(s.serviceErrors, 1);
  assert.equal(s.clientErrors, 2);
  assert.equal(s.tokensIn, 420);
  assert.equal(s.tokensOut, 77);
  assert.equal(s.durationSum, 3.5);
  assert.equal(s.durationCount, 10);
  assert.equal(s.queueDepth, 2);
  assert.deepEqual(s.accountsByState, { active: 2, disabled: 1 });
  assert.deepEqual([...s.buckets.entries()], [[0.1, 4], [1, 9], [Infinity, 10]]);
});

test('a counter that went down restarted from zero', () => {
  assert.equal(counterDelta(5, 9), 4);
  assert.equal(counterDelta(50, 3), 3);
});

test('the p95 interpolates inside the bucket that holds it', () => {
  const prev = new Map([[0.1, 0], [1, 0], [Infinity, 0]]);
  const cur = new Map([[0.1, 10], [1, 20], [Infinity, 20]]);
  // rank 19 of 20: 9 into the (0.1, 1] bucket's 10 observations.
  assert.ok(Math.abs(quantileBetween(prev, cur, 0.95) - (0.1 + 0.9 * 0.9)) < 1e-9);
  assert.equal(quantileBetween(cur, cur, 0.95), null);
});

test('a point between two scrapes holds per-minute rates and the window latency', () => {
  const a = { t: 0, requests: 10, errors: 1, upstreamErrors: 0, durationSum: 2, durationCount: 10,
    buckets: new Map([[1, 10], [Infinity, 10]]), queueDepth: 0 };
  const b = { t: 30000, requests: 40, errors: 7, upstreamErrors: 3, durationSum: 8, durationCount: 40,
    buckets: new Map([[1, 40], [Infinity, 40]]), queueDepth: 5 };
  const p = derivePoint(a, b);
  assert.equal(p.t, 30000);
  assert.equal(p.requestRate, 60);
  assert.equal(p.errorRate, 12);
  assert.equal(p.errorPercent, 20);
  assert.equal(p.latencyMs, 200);
  assert.equal(p.queueDepth, 5);
  assert.equal(derivePoint(b, b), null);
  const idle = derivePoint(b, { ...b, t: 33000 });
  assert.equal(idle.requestRate, 0);
  assert.equal(idle.latencyMs, null);
  assert.equal(idle.p95Ms, null);
});

test('the history keeps at most its capacity and forgets points older than its window', () => {
  const h = new History(3, 10000);
  for (const t of [1000, 2000, 3000, 4000]) h.push({ t, v: t / 1000 });
  assert.deepEqual(h.points().map((p) => p.t), [2000, 3000, 4000]);
  h.push({ t: 13500, v: null });
  assert.deepEqual(h.points().map((p) => p.t), [4000, 13500]);
  assert.deepEqual(h.series('v'), [{ t: 4000, v: 4 }]);
});

test('the recent summary weights rates by time and keeps the last latency seen', () => {
  const points = [
    { t: 0, requestRate: 100, latencyMs: 40, p95Ms: 90 },
    { t: 30000, requestRate: 60, latencyMs: 20, p95Ms: null },
    { t: 40000, requestRate: 0, latencyMs: null, p95Ms: null },
  ];
  const s = recentSummary(points, 40000, 60000);
  // (60/min × 0.5 min + 0 × 1/6 min) / (2/3 min) = 45/min, the first point has no interval in view.
  assert.ok(Math.abs(s.requestRate - 45) < 1e-9);
  assert.equal(s.latencyMs, 20);
  assert.equal(s.p95Ms, 90);
  assert.deepEqual(recentSummary([], 0), { requestRate: 0, latencyMs: null, p95Ms: null });
});

test('a log line splits into time, level, component, request and account', () => {
  const l = parseLogLine('2026-01-02T03:04:05.006Z WARN  [kiro-api] req=req_1 acct=acct-a generate failed quota');
  assert.deepEqual({ ...l, raw: undefined }, {
    raw: undefined, time: '2026-01-02T03:04:05.006Z', level: 'WARN', component: 'kiro-api',
    requestId: 'req_1', account: 'acct-a', message: 'generate failed quota',
  });
  const dashes = parseLogLine('2026-01-02T03:04:05.006Z INFO  [bridge] req=- acct=- listening');
  assert.equal(dashes.requestId, '');
  assert.equal(dashes.account, '');
  assert.equal(parseLogLine('free text').level, '');
  assert.equal(parseLogLine('free text').message, 'free text');
});

test('the level filter keeps that level and above, the search ignores case', () => {
  const lines = [
    'T DEBUG [a] req=- acct=- one', 'T INFO  [a] req=- acct=- Two', 'T WARN  [a] req=- acct=- three',
    'T ERROR [a] req=- acct=- four two', 'no level two',
  ].map(parseLogLine);
  assert.deepEqual(filterLogLines(lines, { minLevel: 'WARN' }).map((l) => l.message), ['three', 'four two']);
  assert.deepEqual(filterLogLines(lines, { search: 'TWO' }).map((l) => l.message), ['Two', 'four two', 'no level two']);
  assert.equal(filterLogLines(lines, {}).length, 5);
  assert.equal(filterLogLines(lines, { minLevel: 'DEBUG' }).length, 4);
});

test('search hits are cut out of the text for highlighting', () => {
  assert.deepEqual(highlightParts('abcABCx', 'bc'), [
    { text: 'a', hit: false }, { text: 'bc', hit: true }, { text: 'A', hit: false },
    { text: 'BC', hit: true }, { text: 'x', hit: false }]);
  assert.deepEqual(highlightParts('abc', ' '), [{ text: 'abc', hit: false }]);
});

test('chart axes end on four round steps', () => {
  assert.equal(niceMax(0), 4);
  assert.equal(niceMax(7), 8);
  assert.equal(niceMax(120), 200);
  assert.equal(niceMax(250), 400);
  assert.equal(niceMax(0.3), 0.4);
  assert.equal(niceMax(9), 10);
  assert.equal(niceMax(4), 4);
});

test('points too far from any other are the ones drawn as dots', () => {
  const pts = [{ t: 0, v: 1 }, { t: 10, v: 2 }, { t: 50, v: 3 }, { t: 90, v: null }, { t: 200, v: 4 }];
  assert.deepEqual(isolatedPoints(pts, { t0: 0, t1: 100, maxGap: 20 }), [{ t: 50, v: 3 }]);
  assert.deepEqual(isolatedPoints(pts, { t0: 5, t1: 300, maxGap: 20 }).map((p) => p.t), [10, 50, 200]);
});

test('a chart line maps time to x and value to y and breaks at gaps', () => {
  const geo = { t0: 0, t1: 100, yMax: 10, width: 200, height: 50, maxGap: 30 };
  assert.equal(linePath([{ t: 0, v: 0 }, { t: 25, v: 10 }, { t: 100, v: 5 }], geo),
    'M0.0,50.0L50.0,0.0M200.0,25.0');
  assert.equal(linePath([{ t: -5, v: 1 }, { t: 50, v: 20 }], geo), 'M100.0,0.0');
  assert.equal(linePath([{ t: 10, v: 1 }], { ...geo, t1: 0 }), '');
  assert.deepEqual(nearestPoint([{ t: 0 }, { t: 10 }, { t: 30 }], 18), { t: 10 });
  assert.equal(nearestPoint([], 5), null);
});

test('the preferred account is the active one with the lowest priority, first on ties', () => {
  const accounts = [
    { id: 'a', status: 'disabled', priority: 0 }, { id: 'b', status: 'active', priority: 3 },
    { id: 'c', status: 'active', priority: 1 }, { id: 'd', status: 'active', priority: 1 },
  ];
  assert.equal(preferredAccount(accounts).id, 'c');
  assert.equal(preferredAccount([{ id: 'x', status: 'error', priority: 0 }]), null);
  assert.deepEqual(countByState([...accounts, { id: 'e', status: 'weird' }]),
    { active: 3, cooldown: 0, exhausted: 0, error: 0, disabled: 1, weird: 1 });
  assert.deepEqual([10, 70, 95, undefined].map(usageLevel), ['low', 'mid', 'high', 'unknown']);
});

test('durations and dates read the way people say them', () => {
  assert.equal(formatUptime(59), '59s');
  assert.equal(formatUptime(3725), '1h 2m');
  assert.equal(formatUptime(90061), '1d 1h');
  assert.equal(formatMs(2.5), '2.5 ms');
  assert.equal(formatMs(250), '250 ms');
  assert.equal(formatMs(1500), '1.50 s');
  assert.equal(formatMs(null), '—');
  const now = Date.parse('2026-01-01T12:00:00Z');
  assert.equal(relativeTime('2026-01-01T12:05:00Z', now), 'in 5 min');
  assert.equal(relativeTime('2026-01-01T09:00:00Z', now), '3 h ago');
  assert.equal(relativeTime('', now), '—');
});

test('config keys the page does not explain are listed apart', () => {
  assert.equal(valueAt({ a: { b: 3 } }, 'a.b'), 3);
  assert.equal(valueAt({ a: 1 }, 'a.b'), undefined);
  assert.deepEqual(undocumentedKeys({ host: 'h', kiro: { region: 'r', extra: 1 }, newKey: [1] }),
    ['kiro.extra', 'newKey']);
});

test('the service health shows down and degraded with their reasons, not Healthy', () => {
  const down = serviceHealth({ status: 'down', reason: 'no Kiro account is configured',
    reasons: ['no Kiro account is configured'], accounts: { total: 0 } });
  assert.equal(down.text, 'Down');
  assert.equal(down.tone, 'bad');
  assert.equal(down.cls, 'down');
  assert.deepEqual(down.reasons, ['no Kiro account is configured']);
  assert.equal(down.noAccount, true);
  const degraded = serviceHealth({ status: 'degraded', reasons: ['1 of 2 account(s) disabled'], accounts: { total: 2 } });
  assert.equal(degraded.text, 'Degraded');
  assert.equal(degraded.tone, 'warn');
  assert.equal(degraded.noAccount, false);
  assert.equal(serviceHealth({ status: 'ok', reasons: [], accounts: { total: 1 } }).text, 'Healthy');
  assert.equal(serviceHealth(null).text, '—');
});
