// Account states as the supervisor reports them, and what the UI shows for them.

export const STATES = [
  { id: 'active', label: 'Active', color: '#16a34a', hint: 'serving requests' },
  { id: 'cooldown', label: 'Cooldown', color: '#d97706', hint: 'rate limited; back after a pause' },
  { id: 'exhausted', label: 'Exhausted', color: '#ea580c', hint: 'monthly quota used up' },
  { id: 'error', label: 'Error', color: '#dc2626', hint: 'token or upstream failure' },
  { id: 'disabled', label: 'Disabled', color: '#64748b', hint: 'switched off or suspended' },
];

export function stateInfo(id) {
  return STATES.find((s) => s.id === id) ?? { id, label: id || 'unknown', color: '#64748b', hint: '' };
}

/** {state: count} over every known state (zeros included) plus any unknown ones. */
export function countByState(accounts) {
  const counts = Object.fromEntries(STATES.map((s) => [s.id, 0]));
  for (const a of accounts) counts[a.status] = (counts[a.status] || 0) + 1;
  return counts;
}

/**
 * The account the supervisor tries first: an active one with the lowest
 * priority, the earlier one in file order on a tie; null when none is active.
 */
export function preferredAccount(accounts) {
  let best = null;
  for (const a of accounts) {
    if (a.status !== 'active') continue;
    if (!best || a.priority < best.priority) best = a;
  }
  return best;
}

/** The label of an account: its email, else its id. */
export function accountName(a) {
  return a?.email || a?.id || '—';
}

/** Quota bar color: green below 70 %, amber below 90 %, red above. */
export function usageLevel(percent) {
  if (!(percent >= 0)) return 'unknown';
  if (percent >= 90) return 'high';
  if (percent >= 70) return 'mid';
  return 'low';
}
