// Talking to the Kukan API: the key in localStorage, JSON requests, problem+json errors.
const KEY = 'kukan.apiKey';

export function getKey() {
  return localStorage.getItem(KEY) || '';
}

export function setKey(value) {
  if (value) localStorage.setItem(KEY, value.trim());
  else localStorage.removeItem(KEY);
}

export function authHeaders() {
  const key = getKey();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

export class ApiError extends Error {
  constructor(status, problem) {
    const detail = problem.detail || problem.title || `HTTP ${status}`;
    super(problem.reason ? `${detail} (reason: ${problem.reason})` : detail);
    this.status = status;
    this.problem = problem;
  }
}

// fetch JSON from the API; throws ApiError with the problem's detail on >= 400.
export async function api(path, { method = 'GET', body, params } = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params || {})) url.searchParams.set(k, v);
  const headers = { ...authHeaders(), Accept: 'application/json, application/problem+json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) throw new ApiError(res.status, data || {});
  return data;
}
