// kiro-sim's control-API vocabulary in one place: how scripted responses are
// written and how its recorded requests are read (services/sim is the
// source of truth for both).

/** Builders for `POST /__sim/script` response objects. */
export const reply = {
  text: (text, extra = {}) => ({ kind: 'text', text, ...extra }),
  tool: (name, input, extra = {}) => ({ kind: 'tool', name, input, ...extra }),
  tools: (calls, extra = {}) => ({ kind: 'tool', tools: calls, ...extra }),
  thinking: (thinking, text) => ({ kind: 'thinking', thinking, text }),
  exception: (fields) => ({ kind: 'exception', ...fields }),
  cutTool: (name, input) => ({ kind: 'cut_tool', name, input }),
  /** Kinds without parameters: quota, throttle, invalid_bearer, suspended, ... */
  simple: (kind) => ({ kind }),
};

function recordsOf(listing) {
  return Array.isArray(listing) ? listing : (listing?.requests ?? []);
}

/** Recorded generateAssistantResponse calls, oldest first. */
export function chatRequests(listing) {
  return recordsOf(listing).filter((r) => r.endpoint === 'generateAssistantResponse');
}

/** Recorded token-refresh calls (social /refreshToken or IdC /token). */
export function refreshRequests(listing) {
  return recordsOf(listing).filter((r) => r.endpoint === 'refreshToken' || r.endpoint === 'token');
}

/** Whether kiro-sim's strict validation accepted the recorded call. */
export function accepted(record) {
  return record.verdict === 'accepted';
}

/** The parsed Kiro request body of a recorded chat call (secrets and image bytes masked). */
export function kiroBody(record) {
  return record.body;
}

export function currentMessage(record) {
  return kiroBody(record).conversationState.currentMessage.userInputMessage;
}

export function historyOf(record) {
  return kiroBody(record).conversationState.history ?? [];
}

/** The sim account id a recorded request was made with. */
export function accountOf(record) {
  return record.accountId;
}
