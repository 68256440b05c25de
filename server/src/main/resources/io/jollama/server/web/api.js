// The page's only way to the server: Jollama's public HTTP API (the same endpoints Ollama's clients use).

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// A server with API keys (JOLLAMA keys) needs "Authorization: Bearer <key>" on every API call; the page keeps the key
// the user gave in this browser's localStorage and asks for it when the server answers 401.
const KEY = 'jollama.apiKey';
export const apiKey = {
  get: () => localStorage.getItem(KEY) || '',
  set: key => { if (key) localStorage.setItem(KEY, key); else localStorage.removeItem(KEY); },
};

function headers(extra = {}) {
  const key = apiKey.get();
  return key ? {...extra, Authorization: 'Bearer ' + key} : extra;
}

/** Tells the page that the server wants a (valid) key: app.js asks for one. */
function unauthorized(res) {
  if (res.status === 401) window.dispatchEvent(new CustomEvent('jollama-unauthorized'));
}

/** The error text of a non-2xx answer: Ollama's {"error"} or the extensions' {"error", "message"}. */
async function errorOf(res) {
  const text = await res.text();
  try {
    const j = JSON.parse(text);
    if (j && typeof j.error === 'string') {
      return new ApiError(res.status, j.message ? j.error + ': ' + j.message : j.error);
    }
  } catch (e) { /* not JSON */ }
  return new ApiError(res.status, text.trim() || res.status + ' ' + res.statusText);
}

/** One JSON request; resolves to the parsed answer (null for an empty body). */
export async function call(method, path, body, signal) {
  const init = {method, headers: headers(), signal};
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  unauthorized(res);
  if (!res.ok) throw await errorOf(res);
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

export const get = (path, signal) => call('GET', path, undefined, signal);
export const post = (path, body, signal) => call('POST', path, body, signal);
export const del = (path, body) => call('DELETE', path, body);

/**
 * A streamed request: POSTs `body`, reads the NDJSON answer line by line as it arrives and calls onLine with each
 * object. A line with "error" ends the stream with that error. Resolves to the last object. Aborting `signal`
 * closes the connection, which is how the server learns to stop (a generation stops at its next token).
 * onChunk, if given, is called after each network read (after its lines), so callers can render once per read.
 */
export async function stream(path, body, onLine, signal, onChunk) {
  const res = await fetch(path, {
    method: 'POST', headers: headers({'Content-Type': 'application/json'}), body: JSON.stringify(body), signal,
  });
  unauthorized(res);
  if (!res.ok) throw await errorOf(res);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let last = null;
  const handle = line => {
    if (!line.trim()) return;
    const obj = JSON.parse(line);
    if (obj && typeof obj.error === 'string' && obj.status === undefined) {
      throw new ApiError(res.status, obj.message ? obj.error + ': ' + obj.message : obj.error);
    }
    last = obj;
    onLine(obj);
  };
  for (;;) {
    const {done, value} = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, {stream: true});
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      handle(line);
    }
    if (onChunk) onChunk();
  }
  buffer += decoder.decode();
  handle(buffer);
  if (onChunk) onChunk();
  return last;
}
