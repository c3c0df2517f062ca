// What /api/health's verdict looks like in the UI: a label, a tone for the
// stat card, a class for the sidebar's dot, and the reasons to show.

const LOOKS = {
  ok: { text: 'Healthy', tone: 'good', cls: 'up' },
  degraded: { text: 'Degraded', tone: 'warn', cls: 'warn' },
  down: { text: 'Down', tone: 'bad', cls: 'down' },
};

/** {text, tone, cls, reasons, noAccount} for a /api/health body (or null). */
export function serviceHealth(health) {
  if (!health) return { text: '—', tone: '', cls: 'pending', reasons: [], noAccount: false };
  const reasons = Array.isArray(health.reasons) ? health.reasons
    : (health.reason ? [health.reason] : []);
  // An older bridge answered only "ok": nothing else is known.
  const look = LOOKS[health.status] ?? { text: String(health.status ?? '—'), tone: '', cls: 'pending' };
  return { ...look, reasons, noAccount: (health.accounts?.total ?? -1) === 0 };
}
