/**
 * The metrics log: one JSON object per request, written by NGINX (`log_format gatehouse_metrics
 * escape=json` in templates/nginx.conf.njk) and read here. Keys are short because every request sends
 * one; the config checksum and route say which Ingress path served it.
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

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);
const HTTP_VERSIONS = new Set(['HTTP/1.0', 'HTTP/1.1', 'HTTP/2.0', 'HTTP/3.0', 'HTTP/0.9']);
const TLS_VERSIONS = new Set(['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3', 'SSLv3']);

type Raw = Record<string, unknown>;

/** The metrics log's fields, by their short keys; '' when absent. One shape, so reading them stays cheap. */
class Fields {
  c = '';
  r = '';
  m = '';
  s = '';
  rt = '';
  rl = '';
  bs = '';
  us = '';
  uc = '';
  uh = '';
  ur = '';
  p = '';
  t = '';
  sr = '';
  cr = '';
  cn = '';
  ne = '';

  /** Sets the field whose key is `text.slice(from, to)` (an unknown key is ignored), without slicing it. */
  set(text: string, from: number, to: number, value: string): void {
    const a = text.charCodeAt(from);
    const code = to - from === 1 ? a : to - from === 2 ? a * 256 + text.charCodeAt(from + 1) : 0;
    switch (code) {
      case 0x63: // c
        this.c = value;
        break;
      case 0x72: // r
        this.r = value;
        break;
      case 0x6d: // m
        this.m = value;
        break;
      case 0x73: // s
        this.s = value;
        break;
      case 0x7274: // rt
        this.rt = value;
        break;
      case 0x726c: // rl
        this.rl = value;
        break;
      case 0x6273: // bs
        this.bs = value;
        break;
      case 0x7573: // us
        this.us = value;
        break;
      case 0x7563: // uc
        this.uc = value;
        break;
      case 0x7568: // uh
        this.uh = value;
        break;
      case 0x7572: // ur
        this.ur = value;
        break;
      case 0x70: // p
        this.p = value;
        break;
      case 0x74: // t
        this.t = value;
        break;
      case 0x7372: // sr
        this.sr = value;
        break;
      case 0x6372: // cr
        this.cr = value;
        break;
      case 0x636e: // cn
        this.cn = value;
        break;
      case 0x6e65: // ne
        this.ne = value;
        break;
    }
  }
}

/**
 * Reads one metrics log line (or syslog message from NGINX: `<190>Dec  1 10:00:00 nginx: {...}`). Returns
 * undefined for anything that is not a metrics line; never throws. Every value becomes a bounded label
 * value or a number, so a client cannot grow the label space with odd methods or protocols. It runs for
 * every request NGINX serves, on the cores NGINX uses: it reads the fields in one pass into one object
 * shape, and the usual single upstream try without splitting.
 */
export function parseTrafficLine(message: string): TrafficLine | undefined {
  const start = message.indexOf('{"c":');
  if (start < 0) return undefined;
  const r = fields(message, start);
  if (r === undefined) return undefined;
  const config = r.c;
  const status = r.s;
  if (config === '' || !isDigits(status, 3, 3)) return undefined;
  const route = r.r;
  const method = r.m;
  const http = r.p;
  const tls = r.t;
  const canary = r.cn;
  return {
    config,
    route: isDigits(route, 1, 9) ? Number(route) : -1,
    method: METHODS.has(method) ? method : 'OTHER',
    status: status >= '100' && status < '600' ? `${status[0] ?? ''}xx` : '',
    requestSeconds: num(r.rt),
    requestBytes: num(r.rl),
    responseBytes: num(r.bs),
    upstream: attempts(r.us, r.uc, r.uh, r.ur, r.ne === '1'),
    httpVersion: HTTP_VERSIONS.has(http) ? http : 'OTHER',
    tlsVersion: tls === '' ? '' : TLS_VERSIONS.has(tls) ? tls : 'OTHER',
    tlsResumed: r.sr === 'r',
    newConnection: r.cr === '1',
    canary: canary === '' || !CANARY.test(canary) ? '' : canary,
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

/**
 * The object's fields (from `start`, trailing white space ignored). A line without escapes (nearly all:
 * only the method comes from the client, and NGINX accepts only letters, `_` and `-` there) is read
 * between quotes, since no quote inside an escaped value goes without a backslash; anything else goes
 * through JSON.parse.
 */
function fields(message: string, start: number): Fields | undefined {
  let end = message.length;
  while (end > start && message.charCodeAt(end - 1) <= 32) end--;
  if (message.indexOf('\\', start) >= 0 || end - start < 4 || !message.startsWith('"}', end - 2))
    return parseJson(message.slice(start, end));
  const out = new Fields();
  // At each step `pos` is the first character of a key, just after its opening quote.
  let pos = start + 2;
  for (;;) {
    const colon = message.indexOf('":"', pos);
    if (colon < 0 || colon >= end) return parseJson(message.slice(start, end));
    const close = message.indexOf('"', colon + 3);
    if (close < 0 || message.indexOf('"', pos) !== colon) return parseJson(message.slice(start, end));
    out.set(message, pos, colon, message.slice(colon + 3, close));
    if (close === end - 2) return out;
    if (message.charCodeAt(close + 1) !== 44 || message.charCodeAt(close + 2) !== 34)
      return parseJson(message.slice(start, end)); // not `","`
    pos = close + 3;
  }
}

function parseJson(body: string): Fields | undefined {
  try {
    const raw: unknown = JSON.parse(body);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
    const out = new Fields();
    for (const [key, value] of Object.entries(raw as Raw))
      if (typeof value === 'string') out.set(key, 0, key.length, value);
    return out;
  } catch {
    return undefined;
  }
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
