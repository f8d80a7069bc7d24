/**
 * Named filters: the only way a value is printed into nginx.conf. Each one checks that the value has the
 * shape translate promised and prints it in its NGINX form. A value that fails the check is a broken
 * invariant (translate validates all user input first), so the filter throws instead of printing it.
 */

import { RenderedBlock } from './server-blocks.ts';

export class UnsafeValueError extends Error {
  override readonly name = 'UnsafeValueError';
}

function check(kind: string, value: unknown, pattern: RegExp): string {
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new UnsafeValueError(`render: ${kind} must be a string or number`);
  }
  const s = String(value);
  if (!pattern.test(s)) throw new UnsafeValueError(`render: refusing to print an unsafe ${kind}`);
  return s;
}

const PATH = /^\/[A-Za-z0-9._~!*+,=:@()/-]*$/;
const HOSTNAME = /^(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;
const SERVER_NAME_REGEX = /^~\^\[\^\.\]\+(\\\.[a-z0-9-]+)+\$$/;
const IP_OR_NAME = /^([0-9.]+|[0-9a-fA-F:.]+|[a-z0-9]([a-z0-9.-]*[a-z0-9])?)$/;
const TOKEN = /^[A-Za-z0-9_.-]+$/;
const CIDR = /^[0-9a-fA-F:.]+(\/\d{1,3})?$/;
const SIZE = /^\d{1,12}[kmg]?$/;
const ABS_PATH = /^\/[A-Za-z0-9._\-/+@=,]*$/;

/** The regex subset of src/translate/path-regex.ts, character by character (no quote, no NGINX escape). */
const PATH_REGEX = /^\/(?:[A-Za-z0-9\-._~/:,=@!&^$*+?()[\]{}|]|\\[dDwWsSbB.^$*+?()[\]{}|/-])*$/;
/** A block-user-agents regex: no quote, backslash only before a metacharacter or class. */
const USER_AGENT_REGEX = /^(?:[A-Za-z0-9 ._/();:+\-|*?^$[\]{},=!<>]|\\[.\-/()[\]{}*+?|^$dDsSwWb])+$/;
/** A snippet rewrite's regex: an optional `^`, then the regex subset of path-regex.ts. */
const SNIPPET_REGEX = /^\^?(?:[A-Za-z0-9\-._~/:,=@!&^$*+?()[\]{}|]|\\[dDwWsSbB.^$*+?()[\]{}|/-])*$/;
/** A snippet rewrite's replacement: path characters, `%XX`, captures and a few request variables. */
const REWRITE_REPLACEMENT =
  /^(?:[A-Za-z0-9\-._~/:@!&()*+,=?]|%[0-9A-Fa-f]{2}|\$[1-9]|\$(?:scheme|host|uri|request_uri|args|is_args)(?![A-Za-z0-9_]))+$/;
/** A URI path whose only `$` are capture references `$1`…`$9`. */
const URI_WITH_CAPTURES = /^\/?(?:[A-Za-z0-9\-._~/:]|\$[1-9])+$/;

export const filters = {
  /** A regex path, anchored at the start, double-quoted. */
  path_regex: (v: unknown): string => `"^${check('regex path', v, PATH_REGEX)}"`,
  /** A rewrite's regex: the location's regex, case-insensitive as the location is, double-quoted. */
  rewrite_regex: (v: unknown): string => `"(?i)^${check('regex path', v, PATH_REGEX)}"`,
  /** A snippet rewrite's regex, double-quoted. */
  snippet_regex: (v: unknown): string => `"${check('rewrite regex', v, SNIPPET_REGEX)}"`,
  /** A snippet rewrite's replacement, double-quoted. */
  rewrite_replacement: (v: unknown): string => `"${check('rewrite replacement', v, REWRITE_REPLACEMENT)}"`,
  /** A snippet rewrite's flag: never last (nor none), which would search the locations again. */
  rewrite_flag: (v: unknown): string => check('rewrite flag', v, /^(?:break|redirect|permanent)$/),
  /** A plain token of path and host characters (proxy_cookie_domain/path values). */
  plain: (v: unknown): string => check('value', v, /^[A-Za-z0-9\-._~/:]+$/),
  /** One side of proxy_redirect: off, default, a path or an http(s) URL prefix, double-quoted. */
  url_prefix: (v: unknown): string => {
    const s = check(
      'redirect prefix',
      v,
      /^((https?:\/\/[a-z0-9.-]+(:\d{1,5})?)?\/[A-Za-z0-9\-._~/:@!&()*+,=]*|off|default)$/,
    );
    return s === 'off' || s === 'default' ? s : `"${s}"`;
  },
  /** A Host header value: a host name or address and an optional port, double-quoted. */
  host_port: (v: unknown): string =>
    `"${check('host', v, /^([a-z0-9]([a-z0-9.-]*[a-z0-9])?|\[[0-9a-fA-F:.]+\])(:\d{1,5})?$/)}"`,
  /** A rewrite target or header value with capture references, double-quoted. */
  uri_with_captures: (v: unknown): string => `"${check('rewrite target', v, URI_WITH_CAPTURES)}"`,
  /** An exact path as an anchored, double-quoted regex; regex metacharacters become bracket classes. */
  exact_path_regex: (v: unknown): string => {
    const path = check('location path', v, PATH);
    return `"^${path.replace(/[.*+()]/g, (c) => `[${c}]`)}$"`;
  },
  /** A location path, double-quoted. */
  location_path: (v: unknown): string => `"${check('location path', v, PATH)}"`,
  /** A server_name: a host, `*.`-host, `_`, or the one-label wildcard regex translate builds. */
  server_name: (v: unknown): string => {
    const s = String(v);
    if (s === '_' || SERVER_NAME_REGEX.test(s)) return s;
    return check('server name', s, HOSTNAME);
  },
  /** A host as an Ingress names it: a DNS name, maybe `*.` and one more label. */
  server_host: (v: unknown): string => check('host', v, HOSTNAME),
  /** `host:port` for an upstream server line; IPv6 addresses are bracketed. */
  endpoint: (host: unknown, port: unknown): string => {
    const h = check('upstream host', host, IP_OR_NAME);
    const p = check('port', port, /^\d{1,5}$/);
    // Joined, not a template literal: the result is one flat string, not a tree of concatenations (the
    // dynamic state keeps 30,000 of them at 10,000 Ingresses: 40.7 bytes each kept instead of 72).
    return h.includes(':') ? ['[', h, ']:', p].join('') : [h, p].join(':');
  },
  /** An upstream or file name made of safe characters. */
  token: (v: unknown): string => check('name', v, TOKEN),
  /** The `:port` part of an https:// redirect target; empty for the default port 443. */
  https_port_suffix: (v: unknown): string => {
    const port = check('port', v, /^\d{1,5}$/);
    return port === '443' ? '' : `:${port}`;
  },
  /** The `:port` part of an http:// URL; empty for the default port 80. */
  http_port_suffix: (v: unknown): string => {
    const port = check('port', v, /^\d{1,5}$/);
    return port === '80' ? '' : `:${port}`;
  },
  /** A path (and query) on this host, starting with `/` (app-root): no quote, `$` or backslash. */
  uri_path: (v: unknown): string =>
    check('path', v, /^\/(?!\/)([A-Za-z0-9\-._~/:@!&()*+,=?]|%[0-9A-Fa-f]{2})*$/),
  /** An absolute http(s) URL rebuilt by translate (redirect targets), double-quoted. */
  redirect_url: (v: unknown): string =>
    `"${check('URL', v, /^https?:\/\/([a-z0-9.-]+|\[[0-9a-fA-F:.]+\])(:\d{1,5})?(\/([A-Za-z0-9\-._~/:@!&()*+,=?]|%[0-9A-Fa-f]{2})*)?$/)}"`,
  /** A response header value: printable, without quotes, backslashes or `$`; double-quoted. */
  header_value: (v: unknown): string =>
    `"${check('header value', v, /^[\x20-\x21\x23\x25-\x5b\x5d-\x7e]*$/)}"`,
  /** A comma-separated list of header names or methods, double-quoted. */
  header_list: (v: unknown): string => `"${check('header list', v, /^[A-Za-z0-9_*, -]+$/)}"`,
  /** The anchored regex of allowed CORS origins translate builds, double-quoted. */
  origin_pattern: (v: unknown): string =>
    `"${check('origin pattern', v, /^\^\((?:[a-z0-9:/.+\\[\]|-])+\)\$$/)}"`,
  /** A `block-user-agents` entry ({ match, value }), double-quoted: `~`/`~*` and a regex, or an exact value. */
  user_agent: (v: unknown): string => {
    const { match, value } = (v ?? {}) as { match?: unknown; value?: unknown };
    const prefix = match === '~' || match === '~*' ? match : match === 'exact' ? '' : undefined;
    if (prefix === undefined) throw new UnsafeValueError('render: a User-Agent match must be exact, ~ or ~*');
    const pattern = prefix === '' ? /^[A-Za-z0-9 ._/();:+-]+$/ : USER_AGENT_REGEX;
    return `"${prefix}${check('User-Agent', value, pattern)}"`;
  },
  /** An access-log format: printable text and `${name}` variables, single-quoted (no quote or backslash). */
  log_format: (v: unknown): string =>
    `'${check('log format', v, /^(?:[\x20-\x23\x25-\x26\x28-\x5b\x5d-\x7e]|\$\{[a-z0-9_]+\})+$/)}'`,
  /** A MIME type. */
  mime_type: (v: unknown): string => check('MIME type', v, /^[a-z0-9][a-z0-9.+-]*\/[a-z0-9*][a-z0-9.+-]*$/),
  /** A whole number. */
  int: (v: unknown): string => check('number', v, /^\d{1,10}$/),
  cidr: (v: unknown): string => check('CIDR', v, CIDR),
  /** The name of a variable Gatehouse defines (printed after its `$`). */
  variable: (v: unknown): string => check('variable name', v, /^gatehouse_[a-z0-9_]+$/),
  /** A short text (an auth realm), double-quoted: no `$`, quotes, backslashes, braces or control characters. */
  quoted_text: (v: unknown): string => `"${check('text', v, /^[A-Za-z0-9 _.,:!?@()/+'-]{1,128}$/)}"`,
  /** A `CN=a|CN=b` regex over the client certificate subject, double-quoted. */
  match_cn: (v: unknown): string =>
    `"${check('CN pattern', v, /^CN=[A-Za-z0-9 ._*@-]{1,64}(\|CN=[A-Za-z0-9 ._*@-]{1,64}){0,31}$/)}"`,
  /** An HTTP header name. */
  header_name: (v: unknown): string => check('header name', v, /^[A-Za-z0-9-]{1,64}$/),
  /** The `$upstream_http_…` name of a header (after the `$upstream_http_`): lowercase, `_` for `-`. */
  header_variable: (v: unknown): string =>
    check('header name', v, /^[A-Za-z0-9-]{1,64}$/)
      .toLowerCase()
      .replaceAll('-', '_'),
  /**
   * An auth check's cache key, double-quoted: its id and the host first, so no other Ingress or host ever
   * reads its verdicts, then the Ingress's key of literal characters and a few request variables.
   */
  auth_cache_key: (v: unknown, id: unknown): string =>
    `"${check('auth id', id, /^[0-9a-f]{12}$/)}:$host:${check(
      'auth cache key',
      v,
      /^(?:[A-Za-z0-9._:/-]|\$(?:(?:http|cookie|arg)_[a-z0-9_]{1,64}|remote_user|remote_addr|host|uri|request_uri|args|scheme|request_method)(?![A-Za-z0-9_]))+$/,
    )}"`,
  /** One proxy_cache_valid entry: status codes (or `any`) and a time. */
  cache_valid: (v: unknown): string => check('cache validity', v, /^(?:(?:[1-5]\d\d|any) )*\d{1,6}[smhd]$/),
  /** A host name or an unbracketed IP address (a TLS server name). */
  endpoint_host: (v: unknown): string => check('host', v, IP_OR_NAME),
  /**
   * A sign-in URL, double-quoted: absolute http(s) (or `$scheme`), whose only variables are the request's
   * scheme, host and escaped URI.
   */
  signin_url: (v: unknown): string =>
    `"${check(
      'sign-in URL',
      v,
      /^(?:https?|\$scheme):\/\/(?:[a-z0-9.-]+|\[[0-9a-fA-F:.]+\]|\$gatehouse_host)(?::\d{1,5})?(?:\/(?:[A-Za-z0-9\-._~/:@!&()*+,=?]|%[0-9A-Fa-f]{2}|\$(?:gatehouse_host|gatehouse_escaped_request_uri|scheme)(?![A-Za-z0-9_]))*)?$/,
    )}"`,
  /**
   * The proxy_pass URL of a mirror: scheme, upstream block and a URI of path characters and the variables
   * `$request_uri`, `$is_args`, `$args`; double-quoted (the variables still expand).
   */
  mirror_url: (https: unknown, upstream: unknown, uri: unknown): string =>
    `"${https === true ? 'https' : 'http'}://${check('name', upstream, TOKEN)}${check(
      'mirror URI',
      uri,
      /^(?:\/|\$request_uri(?![A-Za-z0-9_]))(?:[A-Za-z0-9\-._~/:@!&()*+,=?]|%[0-9A-Fa-f]{2}|\$(?:request_uri|is_args|args)(?![A-Za-z0-9_]))*$/,
    )}"`,
  /** A FastCGI parameter name. */
  fastcgi_name: (v: unknown): string => check('FastCGI parameter name', v, /^[A-Za-z0-9._-]{1,64}$/),
  /**
   * A FastCGI parameter value, double-quoted: printable, without quotes or backslashes; `$` only starts a
   * variable name (`$name`, `${name}`), which translate held to its allowlist.
   */
  fastcgi_value: (v: unknown): string =>
    `"${check(
      'FastCGI parameter value',
      v,
      /^(?:[\x20-\x21\x23\x25-\x5b\x5d-\x7e]|\$[a-z_]{1,32}(?![A-Za-z0-9_])|\$\{[a-z_]{1,32}\})*$/,
    )}"`,
  /** The text of a fixed answer, double-quoted: printable, new lines as `\\n`, no quote, backslash or `$`. */
  answer_text: (v: unknown): string =>
    `"${check('answer text', v, /^[\x20-\x21\x23\x25-\x5b\x5d-\x7e\n]{0,4096}$/).replaceAll('\n', '\\n')}"`,
  /** A ModSecurity transaction id, double-quoted: literal `_.:-` characters and `$request_id`. */
  transaction_id: (v: unknown): string =>
    `"${check('transaction id', v, /^(?:[A-Za-z0-9_.:-]|\$request_id(?![A-Za-z0-9_]))+$/)}"`,
  /** An OpenSSL cipher list, double-quoted. */
  cipher_list: (v: unknown): string =>
    `"${check('cipher list', v, /^[A-Za-z0-9!+@._=-]+(:[A-Za-z0-9!+@._=-]+)*$/)}"`,
  size: (v: unknown): string => check('size', v, SIZE),
  /** An absolute file path, double-quoted. Paths come from the operator's flags, never from objects. */
  file: (v: unknown): string => `"${check('file path', v, ABS_PATH)}"`,
  /** An access log target: an absolute path, or a syslog server on loopback (see access-log-relay.ts). */
  access_log_target: (v: unknown): string => {
    const s = String(v);
    if (/^syslog:server=127\.0\.0\.1:\d{1,5},nohostname,tag=nginx$/.test(s)) return s;
    return `"${check('access log path', s, ABS_PATH)}"`;
  },
  /** lua_package_path: absolute `?.lua` patterns, double-quoted (also a valid Lua string). */
  lua_path: (v: unknown): string => `"${check('Lua package path', v, /^(\/[A-Za-z0-9._\-/]*\?\.lua;)+;$/)}"`,
  /** A unix socket listen address. */
  unix: (v: unknown): string => `unix:${check('socket path', v, ABS_PATH)}`,
  /** A host's server block, printed by render.ts through these same filters (server-blocks.ts). */
  server_block: (v: unknown): string => {
    if (!(v instanceof RenderedBlock))
      throw new UnsafeValueError('render: a server block must come from render');
    return v.text;
  },
  /** A comment-safe label: names and kinds from validated objects, with nothing that could end the line. */
  comment: (v: unknown): string => check('comment', v, /^[A-Za-z0-9 _./:(),*-]*$/),
} as const;
