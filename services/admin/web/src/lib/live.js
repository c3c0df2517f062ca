// Live state shared by every page: health, accounts and metrics, polled
// every few seconds while signed in; the metrics history feeds the charts.
import { reactive } from 'vue';
import { get, auth } from './api.js';
import { parsePrometheus, summarize } from './prometheus.js';
import { derivePoint, History } from './history.js';

export const POLL_MS = 3000;
const WINDOW_MS = 60 * 60 * 1000;
const STORE_KEY = 'kiro-bridge.metricsHistory';

export const live = reactive({
  health: null,
  accounts: [],
  metrics: null,
  points: [],
  lastUpdate: 0,
  error: '',
  online: false,
});

const history = new History(Math.ceil(WINDOW_MS / POLL_MS) + 10, WINDOW_MS);
let previous = null;
let timer = null;

function restoreHistory() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(STORE_KEY) || '[]');
    for (const p of saved) if (p && typeof p.t === 'number') history.push(p);
    live.points = history.points();
  } catch { /* a bad saved copy is dropped */ }
}

function saveHistory() {
  try { sessionStorage.setItem(STORE_KEY, JSON.stringify(history.points())); } catch { /* full */ }
}

async function pollMetrics(now) {
  const text = await get('/metrics');
  const cur = { ...summarize(parsePrometheus(text)), t: now };
  live.metrics = cur;
  if (previous) {
    const point = derivePoint(previous, cur);
    if (point) {
      history.push(point);
      live.points = history.points();
      saveHistory();
    }
  }
  previous = cur;
}

export async function refreshNow() {
  const now = Date.now();
  try {
    const [health, accounts] = await Promise.all([
      get('/api/health'),
      get('/api/accounts'),
      pollMetrics(now),
    ]);
    live.health = health;
    live.accounts = accounts?.accounts ?? [];
    live.online = true;
    live.error = '';
  } catch (err) {
    live.online = err.status !== 0;
    live.error = err.message;
  }
  live.lastUpdate = Date.now();
}

export function startPolling() {
  if (timer) return;
  restoreHistory();
  refreshNow();
  timer = setInterval(() => {
    if (auth.mode === 'login' || auth.mode === 'forbidden') return;
    refreshNow();
  }, POLL_MS);
}
