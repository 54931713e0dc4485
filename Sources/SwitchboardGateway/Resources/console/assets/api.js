// The agent API, called with the session cookie; state-changing calls carry the CSRF token.

let csrfToken = null;

export function setCsrf(token) { csrfToken = token; }

/** The header state-changing calls carry (for callers that send other than JSON, like uploads). */
export function csrfHeader() { return csrfToken ? { 'X-CSRF-Token': csrfToken } : {}; }

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function request(method, path, body, { keepalive = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let response;
  try {
    response = await fetch(path, {
      method, headers, credentials: 'same-origin', keepalive,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, 'network', error.message);
  }
  if (response.status === 204) return null;
  let data = null;
  try { data = await response.json(); } catch { data = null; }
  if (!response.ok) {
    const detail = data?.error ?? {};
    throw new ApiError(response.status, detail.code ?? `http_${response.status}`, detail.message ?? response.statusText);
  }
  return data;
}

export const api = {
  session: () => request('GET', '/console/session'),
  signInOptions: () => request('GET', '/console/sign-in-options'),
  signIn: (fields) => request('POST', '/console/session', fields),
  signOut: () => request('DELETE', '/console/session'),
  me: () => request('GET', '/api/v1/me'),
  setStatus: (status) => request('PUT', '/api/v1/me/status', { status }),
  inbox: (status, scope) => request('GET', `/api/v1/inbox?status=${encodeURIComponent(status)}&scope=${encodeURIComponent(scope)}`),
  conversation: (id) => request('GET', `/api/v1/conversations/${encodeURIComponent(id)}`),
  reply: (id, body) => request('POST', `/api/v1/conversations/${encodeURIComponent(id)}/replies`, body),
  note: (id, body) => request('POST', `/api/v1/conversations/${encodeURIComponent(id)}/notes`, { body }),
  escalate: (id, reason) => request('POST', `/api/v1/conversations/${encodeURIComponent(id)}/escalations`, { reason }),
  resolve: (id) => request('POST', `/api/v1/conversations/${encodeURIComponent(id)}/resolve`),
  tag: (id, tag) => request('POST', `/api/v1/conversations/${encodeURIComponent(id)}/tags`, { tags: [tag] }),
  merge: (customer, other) => request('POST', `/api/v1/customers/${encodeURIComponent(customer)}/merge`, { other }),
  suggestions: () => request('GET', '/api/v1/suggestions'),
  // keepalive: a `left` sent while the page unloads still arrives.
  presence: (id, state, keepalive = false) =>
    request('POST', `/api/v1/conversations/${encodeURIComponent(id)}/presence`, { state }, { keepalive }),
  cannedResponses: () => request('GET', '/api/v1/canned-responses'),
  renderCannedResponse: (id, conversation) =>
    request('POST', `/api/v1/canned-responses/${encodeURIComponent(id)}/render`, { conversation }),
  mentions: () => request('GET', '/api/v1/mentions?limit=100'),
  search: (params) => request('GET', `/api/v1/search?${params}`),
  retry: (message) => request('POST', `/api/v1/messages/${encodeURIComponent(message)}/retry`),
};
