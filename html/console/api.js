// The SRS HTTP API as the console reaches it: where it is (SRS console conventions: ?host=&port=
// &schema=, also after '#...?'; ?api=host:port as before), and HTTP basic auth when
// `http_api { auth { ... } }` is on.

/** Thrown on 401: the console asks for a user and password. `cors` when credentials were sent but
 *  the browser refused the request (a cross-origin API whose CORS answer does not allow the
 *  Authorization header). */
export class AuthRequired extends Error {
  constructor(cors) {
    super(cors ? 'the API refused the Authorization header cross-origin (CORS)' : 'the API asks for a user and password');
    this.cors = cors;
  }
}

/** Where the API and the HTTP server (previews) are, from the page's URL. */
export function addresses(loc = location) {
  const q = new URLSearchParams(loc.search);
  const hashQuery = loc.hash.includes('?') ? new URLSearchParams(loc.hash.slice(loc.hash.indexOf('?') + 1)) : null;
  const param = (name) => q.get(name) ?? hashQuery?.get(name) ?? null;
  const schema = param('schema') || loc.protocol.replace(':', '');
  const pageHost = loc.hostname.includes(':') ? `[${loc.hostname}]` : loc.hostname;
  let api;
  if (param('api')) api = `${schema}://${param('api')}`;
  else if (param('host') || param('port')) api = `${schema}://${param('host') || pageHost}:${param('port') || 1985}`;
  else api = loc.port === '1985' ? loc.origin : `${schema}://${pageHost}:1985`;
  // Previews come from the HTTP server: the page's own origin unless the page is the API's.
  let http = param('http') ? `${schema}://${param('http')}` : loc.origin;
  if (!param('http') && http === api) http = `${schema}://${pageHost}:8080`;
  return { api, http };
}

export class API {
  constructor(base) {
    this.base = base;
    this.key = `srs-console-auth ${base}`;
    this.authorization = sessionStorage.getItem(this.key);
  }

  /** Remembers the credentials for this API (for this browser tab's session). */
  login(user, password) {
    const bytes = new TextEncoder().encode(`${user}:${password}`);
    this.authorization = 'Basic ' + btoa(String.fromCharCode(...bytes));
    sessionStorage.setItem(this.key, this.authorization);
  }

  logout() {
    this.authorization = null;
    sessionStorage.removeItem(this.key);
  }

  get(path) { return this.request('GET', path); }
  delete(path) { return this.request('DELETE', path); }

  /** The JSON answer; throws AuthRequired on 401, Error on other failures. */
  async request(method, path) {
    const headers = this.authorization ? { Authorization: this.authorization } : {};
    let res;
    try {
      // 'omit': the browser's own login prompt never shows; the console sends the credentials.
      res = await fetch(this.base + path, { method, headers, credentials: 'omit', cache: 'no-store' });
    } catch (e) {
      if (this.authorization && this.needsAuth) throw new AuthRequired(true);
      throw new Error(`${this.base} unreachable (${e.message})`);
    }
    if (res.status === 401) {
      this.needsAuth = true;
      throw new AuthRequired(false);
    }
    const text = await res.text();
    let json;
    try { json = JSON.parse(text); } catch { throw new Error(`${method} ${path}: HTTP ${res.status}, not JSON`); }
    if (!res.ok && json.code === undefined) throw new Error(`${method} ${path}: HTTP ${res.status}`);
    return json;
  }

  /** `ready` or `draining` from /readyz (the Kubernetes readiness probe), null when unknown. */
  async readiness() {
    try {
      const res = await fetch(this.base + '/readyz', { credentials: 'omit', cache: 'no-store' });
      return res.status === 200 ? 'ready' : res.status === 503 ? 'draining' : null;
    } catch {
      return null;
    }
  }
}
