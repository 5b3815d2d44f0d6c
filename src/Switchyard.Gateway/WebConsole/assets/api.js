// The admin key lives in this tab's sessionStorage only (gone when the tab closes, never in localStorage), and is
// sent as a Bearer token to the gateway's own admin API on the same origin.

const KEY = 'switchyard.adminKey';

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

export const session = {
  get key() { return sessionStorage.getItem(KEY); },
  set key(value) { if (value) sessionStorage.setItem(KEY, value); else sessionStorage.removeItem(KEY); },
};

let onUnauthorized = () => {};
export function whenUnauthorized(handler) { onUnauthorized = handler; }

/** Calls the gateway with the admin key (or `key`); JSON in and out; throws ApiError with the gateway's message. */
export async function api(path, { method = 'GET', body, key, raw, contentType } = {}) {
  const headers = { authorization: 'Bearer ' + (key || session.key || '') };
  let payload;
  if (body !== undefined) {
    headers['content-type'] = contentType || 'application/json';
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const response = await fetch(path, { method, headers, body: payload });
  if (raw) return response;
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (!response.ok) {
    const message = (json && json.error && json.error.message) || `${response.status} ${response.statusText}`;
    if ((response.status === 401 || response.status === 403) && !key) onUnauthorized(message);
    throw new ApiError(response.status, message, json);
  }
  return json;
}

/** A query string from an object, skipping empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? '?' + s : '';
}

/** ISO time `ms` milliseconds before now. */
export function ago(ms) { return new Date(Date.now() - ms).toISOString(); }

export const ranges = [
  ['15m', 15 * 60e3], ['1h', 3600e3], ['6h', 6 * 3600e3], ['24h', 24 * 3600e3], ['7d', 7 * 86400e3], ['30d', 30 * 86400e3],
];
