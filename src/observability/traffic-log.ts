/**
 * The metrics log: one line per request, written by NGINX (`log_format gatehouse_metrics` in
 * templates/nginx.conf.njk) and read here. A line is `gh1`, then the fields of `TRAFFIC_LOG_FIELDS` in that
 * order, each after a tab; the config checksum and route say which Ingress path served it. NGINX's default
 * escaping (`\xHH` for control characters, quotes and backslashes) means no value holds a tab, and prints
 * `-` for an empty or unset value. Compact and in a fixed order because every request writes one and the
 * controller reads each on the same cores (it was a 16-key JSON object, `escape=json`).
 */
export interface TrafficLine {
  /** Checksum of the config whose worker logged the request. */
  readonly config: string;
  /** Index into that config's routes; -1 when the request ended before any location (a bad request). */
  readonly route: number;
  /** The method, or `OTHER` for methods outside HTTP's registered ones (keeps label values bounded). */
  readonly method: string;
  /** `1xx` … `5xx`; empty for anything else. */
  readonly status: string;
  readonly requestSeconds: number;
  readonly requestBytes: number;
  readonly responseBytes: number;
  /** One entry per pod NGINX tried, in order (empty when no pod was asked, e.g. none was ready). */
  readonly upstream: readonly UpstreamAttempt[];
  /** `HTTP/1.1`, `HTTP/2.0`, …; OTHER for anything unexpected. */
  readonly httpVersion: string;
  /** `TLSv1.3`, `TLSv1.2`, …; empty for plain HTTP. */
  readonly tlsVersion: string;
  readonly tlsResumed: boolean;
  /** True for the first request of a client connection: its protocols and handshake are counted once. */
  readonly newConnection: boolean;
  /** The canary backend (`<namespace>_<service>_<port>`) the request went to; empty for the main one. */
  readonly canary: string;
}

export interface UpstreamAttempt {
  /** The status NGINX recorded for this try: the pod's, or its own 502/504 when the pod did not answer. */
  readonly status: number;
  /** NaN when no connection was established. */
  readonly connectSeconds: number;
  /** NaN when no response header arrived. */
  readonly headerSeconds: number;
  readonly responseSeconds: number;
}

/** The marker a metrics line starts with (`1`: this field order). */
export const TRAFFIC_LOG_MARK = 'gh1';

/** The NGINX values of a metrics line after its mark, in order (the template prints them so). */
export const TRAFFIC_LOG_FIELDS = [
  'config checksum',
  '$gatehouse_route',
  '$request_method',
  '$status',
  '$request_time',
  '$request_length',
  '$bytes_sent',
  '$upstream_status',
  '$upstream_connect_time',
  '$upstream_header_time',
  '$upstream_response_time',
  '$server_protocol',
  '$ssl_protocol',
  '$ssl_session_reused',
  '$connection_requests',
  '$gatehouse_canary',
  '$gatehouse_unavailable',
] as const;

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);
const HTTP_VERSIONS = new Set(['HTTP/1.0', 'HTTP/1.1', 'HTTP/2.0', 'HTTP/3.0', 'HTTP/0.9']);
const TLS_VERSIONS = new Set(['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3', 'SSLv3']);
const MARK = `${TRAFFIC_LOG_MARK}\t`;

/**
 * Reads one metrics log line (or syslog message from NGINX: `<190>Dec  1 10:00:00 nginx: gh1\t…`). Returns
 * undefined for anything that is not a metrics line; never throws. Every value becomes a bounded label
 * value or a number, so a client cannot grow the label space with odd methods or protocols. It runs for
 * every request NGINX serves, on the cores NGINX uses: one split, and the usual single upstream try
 * without splitting.
 */
export function parseTrafficLine(message: string): TrafficLine | undefined {
  const at = message.startsWith(MARK) ? 0 : message.indexOf(MARK);
  if (at < 0) return undefined;
  // Trailing white space (a newline) goes, but not a tab: an empty last value leaves the line ending in one.
  let end = message.length;
  while (end > at && message.charCodeAt(end - 1) <= 32 && message.charCodeAt(end - 1) !== 9) end--;
  const f = message.slice(at + MARK.length, end).split('\t');
  if (f.length !== TRAFFIC_LOG_FIELDS.length) return undefined;
  const [config = '', route = '', method = '', status = '', rt = '', rl = '', bs = ''] = f;
  const [us = '', uc = '', uh = '', ur = '', http = '', tls = '', sr = '', cr = '', cn = '', ne = ''] =
    f.slice(7);
  if (config === '' || !isDigits(status, 3, 3)) return undefined;
  return {
    config,
    route: isDigits(route, 1, 9) ? Number(route) : -1,
    method: METHODS.has(method) ? method : 'OTHER',
    status: status >= '100' && status < '600' ? `${status[0] ?? ''}xx` : '',
    requestSeconds: num(rt),
    requestBytes: num(rl),
    responseBytes: num(bs),
    upstream: attempts(us, uc, uh, ur, ne === '1'),
    httpVersion: HTTP_VERSIONS.has(http) ? http : 'OTHER',
    tlsVersion: tls === '' || tls === '-' ? '' : TLS_VERSIONS.has(tls) ? tls : 'OTHER',
    tlsResumed: sr === 'r',
    newConnection: cr === '1',
    canary: cn === '-' || !CANARY.test(cn) ? '' : cn,
  };
}

const CANARY = /^[A-Za-z0-9_.-]{1,253}$/;

/** Whether `s` is `min` to `max` ASCII digits. */
function isDigits(s: string, min: number, max: number): boolean {
  if (s.length < min || s.length > max) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** A number NGINX printed, NaN for `-` or empty. */
function num(v: string): number {
  return v !== '' && v !== '-' ? Number(v) : NaN;
}

/**
 * NGINX lists one value per upstream server tried, separated by `, ` (and by ` : ` across internal
 * redirects); `-` marks a step that did not happen (no connection, no header). `unavailable`: the balancer
 * found no ready endpoint and sent the last try to the local listener that answers 503 (`ne` in the log), so
 * no pod answered it: it is left out.
 */
function attempts(
  status: string,
  connect: string,
  header: string,
  response: string,
  unavailable: boolean,
): UpstreamAttempt[] {
  if (status === '' || status === '-' || (unavailable && status.length === 3)) return [];
  if (status.length === 3 && isDigits(status, 3, 3)) {
    // One try, the usual case: its times are the first (only) values.
    return [
      {
        status: Number(status),
        connectSeconds: num(first(connect)),
        headerSeconds: num(first(header)),
        responseSeconds: num(first(response)),
      },
    ];
  }
  const split = (s: string): string[] => s.split(/, | : /);
  const c = split(connect);
  const h = split(header);
  const t = split(response);
  const tries = split(status).map((s, i) => ({
    status: isDigits(s, 3, 3) ? Number(s) : NaN,
    connectSeconds: num(c[i] ?? ''),
    headerSeconds: num(h[i] ?? ''),
    responseSeconds: num(t[i] ?? ''),
  }));
  return unavailable ? tries.slice(0, -1) : tries;
}

/** A list's first value (see attempts). */
function first(list: string): string {
  const comma = list.indexOf(', ');
  const colon = list.indexOf(' : ');
  const end = comma < 0 ? colon : colon < 0 ? comma : Math.min(comma, colon);
  return end < 0 ? list : list.slice(0, end);
}
