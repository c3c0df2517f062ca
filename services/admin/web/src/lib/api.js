// The admin REST API. The admin token lives in this browser only
// (localStorage); it is sent as a Bearer header and never displayed.
import { reactive } from 'vue';

const TOKEN_KEY = 'kiro-bridge.adminToken';

export const auth = reactive({
  /** 'unknown' until the first probe, then 'open' | 'token' | 'login' | 'forbidden'. */
  mode: 'unknown',
  hasToken: !!localStorage.getItem(TOKEN_KEY),
  /** The admin API's own words when it answered 403. */
  reason: '',
});

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

function token() {
  return localStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(value) {
  if (value) localStorage.setItem(TOKEN_KEY, value);
  else localStorage.removeItem(TOKEN_KEY);
  auth.hasToken = !!value;
}

async function send(method, path, body, bearer = token()) {
  const headers = {};
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(0, `kiro-bridge is not reachable (${err.message})`, null);
  }
  const text = await res.text();
  let parsed = text;
  if ((res.headers.get('content-type') || '').includes('json')) {
    try { parsed = text ? JSON.parse(text) : null; } catch { /* keep the text */ }
  }
  return { res, parsed };
}

function errorMessage(parsed, status) {
  if (parsed && typeof parsed === 'object') {
    if (parsed.error && typeof parsed.error === 'object' && parsed.error.message) return parsed.error.message;
    if (typeof parsed.error === 'string') return parsed.error;
    if (parsed.message) return parsed.message;
  }
  return `HTTP ${status}`;
}

/** JSON (or text) of a successful call; ApiError otherwise. A 401 sends the UI to the login page. */
export async function api(method, path, body) {
  const { res, parsed } = await send(method, path, body);
  if (res.status === 401) {
    auth.mode = 'login';
    throw new ApiError(401, errorMessage(parsed, 401), parsed);
  }
  if (!res.ok) throw new ApiError(res.status, errorMessage(parsed, res.status), parsed);
  return parsed;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body);
export const put = (path, body) => api('PUT', path, body);
export const patch = (path, body) => api('PATCH', path, body);
export const del = (path) => api('DELETE', path);

/** Finds out whether the admin API needs a token, and whether ours works. */
export async function probeAuth() {
  const { res, parsed } = await send('GET', '/api/config');
  auth.reason = res.status === 403 ? errorMessage(parsed, 403) : '';
  if (res.ok) auth.mode = token() ? 'token' : 'open';
  else if (res.status === 401) auth.mode = 'login';
  else if (res.status === 403) auth.mode = 'forbidden';
  else auth.mode = token() ? 'token' : 'open';
  return auth.mode;
}

/** Tries `candidate`; keeps it only when the admin API accepts it. */
export async function login(candidate) {
  const { res, parsed } = await send('GET', '/api/config', undefined, candidate);
  if (res.status === 401) throw new ApiError(401, 'That admin token was not accepted.', parsed);
  if (!res.ok) throw new ApiError(res.status, errorMessage(parsed, res.status), parsed);
  setToken(candidate);
  auth.mode = 'token';
}

export function logout() {
  setToken('');
  auth.mode = 'login';
}
