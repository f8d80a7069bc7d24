import type { Location, NginxModel, RedirectServer, Server } from '../model/nginx.ts';

/**
 * NGINX's request routing, modelled on its source (ngx_http_validate_host, ngx_http_parse_complex_uri,
 * ngx_http_core_find_location) for the configs Gatehouse renders. Pure. `test/integration/explain.test.ts`
 * holds it against real NGINX on a table of URLs.
 */

/**
 * The Host header as NGINX uses it to pick a server: lowercase, without port and trailing dot. Undefined
 * where NGINX answers 400 (a `/`, a control character, `..`, nothing left).
 */
export function normaliseHost(header: string): string | undefined {
  let hostLength = header.length;
  let dot = -2;
  let literal = false;
  for (let i = 0; i < header.length; i++) {
    const ch = header[i] ?? '';
    const code = ch.charCodeAt(0);
    if (ch === '.') {
      if (dot === i - 1) return undefined;
      dot = i;
    } else if (ch === ':') {
      if (!literal && hostLength === header.length) hostLength = i;
    } else if (ch === '[') {
      if (i === 0) literal = true;
    } else if (ch === ']') {
      if (literal && hostLength === header.length) {
        hostLength = i + 1;
        literal = false;
      }
    } else if (ch === '/' || code <= 0x20 || code === 0x7f) {
      return undefined;
    }
  }
  if (dot === hostLength - 1) hostLength--;
  return hostLength <= 0 ? undefined : header.slice(0, hostLength).toLowerCase();
}

/**
 * The URI NGINX matches locations against: the path without the query, percent-decoded, `//` merged, `.`
 * and `..` segments resolved. Undefined where NGINX answers 400 (a bad escape, a NUL, `..` above `/`).
 */
export function normaliseUri(target: string): string | undefined {
  const path = target.split('?', 1)[0] ?? '';
  if (!path.startsWith('/')) return undefined;
  let decoded = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path[i] ?? '';
    if (ch !== '%') {
      decoded += ch;
      continue;
    }
    const hex = path.slice(i + 1, i + 3);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
    const byte = parseInt(hex, 16);
    if (byte === 0) return undefined;
    decoded += String.fromCharCode(byte);
    i += 2;
  }
  const out: string[] = [];
  const segments = decoded.split('/').slice(1);
  let trailingSlash = false;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    const last = i === segments.length - 1;
    if (segment === '' || segment === '.') {
      trailingSlash = last;
    } else if (segment === '..') {
      if (out.length === 0) throw new AboveRoot();
      out.pop();
      trailingSlash = last;
    } else {
      out.push(segment ?? '');
      trailingSlash = false;
    }
  }
  return `/${out.join('/')}${trailingSlash && out.length > 0 ? '/' : ''}`;
}

class AboveRoot extends Error {}

/** normaliseUri, with `..` above the root as undefined (NGINX's 400) instead of an exception. */
export function safeNormaliseUri(target: string): string | undefined {
  try {
    return normaliseUri(target);
  } catch (error) {
    if (error instanceof AboveRoot) return undefined;
    throw error;
  }
}

export type ServerMatch = 'exact name' | 'wildcard' | 'default server';

export type ServerChoice =
  | { readonly server: Server; readonly redirect?: undefined; readonly matchedBy: ServerMatch }
  | { readonly redirect: RedirectServer; readonly server?: undefined; readonly matchedBy: ServerMatch };

/**
 * The server NGINX picks for a (normalised) host, in ngx_http_find_virtual_server's order: an exact name
 * (a host, an alias, a from-to-www-redirect name), then the regex names (one-label wildcard hosts and
 * aliases, rendered as `~^[^.]+\.example\.com$`) in config order, else the default server.
 */
export function selectServer(model: NginxModel, host: string): ServerChoice {
  const names = (s: Server): string[] => [s.serverName, ...(s.aliases ?? [])];
  for (const s of model.servers) if (names(s).includes(host)) return { server: s, matchedBy: 'exact name' };
  const redirect = (model.redirectServers ?? []).find((r) => r.host === host);
  if (redirect !== undefined) return { redirect, matchedBy: 'exact name' };
  for (const s of model.servers) {
    if (names(s).some((n) => n.startsWith('~') && new RegExp(n.slice(1)).test(host)))
      return { server: s, matchedBy: 'wildcard' };
  }
  return { server: model.defaultServer, matchedBy: 'default server' };
}

export type LocationMatch = 'exact' | 'longest prefix' | 'regex' | 'slash redirect';

/**
 * The regular expression NGINX runs for a regex location, as render prints it: `~` an exact path as an
 * anchored literal (exact_path_regex), `~*` a validated regex path anchored at the start, case-insensitive
 * (path_regex). The accepted PCRE subset means the same in JavaScript (src/translate/path-regex.ts).
 */
export function locationRegex(loc: Location): RegExp | undefined {
  if (loc.modifier === '~') return new RegExp(`^${loc.path.replace(/[.*+()]/g, (c) => `[${c}]`)}$`);
  if (loc.modifier === '~*') return new RegExp(`^${loc.path}`, 'i');
  return undefined;
}

/**
 * The location NGINX picks for a URI, as ngx_http_core_find_location does: an exact `=` match wins;
 * otherwise the longest matching prefix is remembered; a prefix location named URI + `/` that proxies
 * answers 301 to add the slash; otherwise the first regex location (in config order) that matches wins;
 * otherwise the longest prefix.
 */
export function selectLocation(
  server: Server,
  uri: string,
): { location: Location; matchedBy: LocationMatch } | undefined {
  const exact = server.locations.find((l) => l.modifier === '=' && l.path === uri);
  if (exact !== undefined) return { location: exact, matchedBy: 'exact' };
  const redirect = server.locations.find(
    (l) => locationRegex(l) === undefined && l.path === `${uri}/` && l.action.kind === 'proxy',
  );
  if (redirect !== undefined) return { location: redirect, matchedBy: 'slash redirect' };
  let prefix: Location | undefined;
  for (const l of server.locations) {
    if (l.modifier === '' && uri.startsWith(l.path) && l.path.length > (prefix?.path.length ?? -1))
      prefix = l;
  }
  for (const l of server.locations) {
    if (locationRegex(l)?.test(uri) === true) return { location: l, matchedBy: 'regex' };
  }
  return prefix === undefined ? undefined : { location: prefix, matchedBy: 'longest prefix' };
}
