// Log lines as kiro-bridge writes them:
//   2025-01-02T03:04:05.006Z INFO  [gateway] req=req_x acct=a1 text

const LINE = /^(\S+)\s+(DEBUG|INFO|WARN|ERROR)\s+\[([^\]]*)\]\s+req=(\S+)\s+acct=(\S+)\s?(.*)$/;

export const LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'];

export const LOG_FILES = [
  { file: 'server-debug.log', title: 'Server', hint: 'every event at the configured level' },
  { file: 'server-error.log', title: 'Errors', hint: 'warnings and errors only' },
  { file: 'claude-code.log', title: 'Client requests', hint: 'Claude API requests and replies' },
  { file: 'kiro-api.log', title: 'Kiro upstream', hint: 'calls to Kiro: generate, refresh, usage' },
];

/** One line split into fields; a line of another shape keeps only `message`. */
export function parseLogLine(raw) {
  const m = LINE.exec(raw);
  if (!m) return { raw, time: '', level: '', component: '', requestId: '', account: '', message: raw };
  const dash = (v) => (v === '-' ? '' : v);
  return {
    raw, time: m[1], level: m[2], component: m[3],
    requestId: dash(m[4]), account: dash(m[5]), message: m[6],
  };
}

/**
 * Lines at or above `minLevel` ('' = all) whose text contains `search`
 * (case-insensitive). Lines without a level pass only the "all" filter.
 */
export function filterLogLines(lines, { minLevel = '', search = '' } = {}) {
  const floor = minLevel ? LEVELS.indexOf(minLevel) : -1;
  const needle = search.trim().toLowerCase();
  return lines.filter((l) => {
    if (floor >= 0 && LEVELS.indexOf(l.level) < floor) return false;
    return !needle || l.raw.toLowerCase().includes(needle);
  });
}

/** `text` cut into [{text, hit}] parts around case-insensitive matches of `needle`. */
export function highlightParts(text, needle) {
  const n = needle.trim().toLowerCase();
  if (!n) return [{ text, hit: false }];
  const parts = [];
  const lower = text.toLowerCase();
  let i = 0;
  for (let at = lower.indexOf(n); at >= 0; at = lower.indexOf(n, i)) {
    if (at > i) parts.push({ text: text.slice(i, at), hit: false });
    parts.push({ text: text.slice(at, at + n.length), hit: true });
    i = at + n.length;
  }
  if (i < text.length) parts.push({ text: text.slice(i), hit: false });
  return parts;
}
