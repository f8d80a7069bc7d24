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
  /** One entry per pod NGINX tried, in order (empty when no pod was asked). */
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

/**
 * Reads one syslog message from NGINX (`<190>Dec  1 10:00:00 nginx: {...}`). Returns undefined for
 * anything that is not a metrics line; never throws. Every value becomes a bounded label value or a
 * number, so a client cannot grow the label space with odd methods or protocols.
 */
export function parseTrafficLine(message: string): TrafficLine | undefined {
  const start = message.indexOf('{"c":');
  if (start < 0) return undefined;
  const r = fields(message.slice(start).trimEnd());
  if (r === undefined) return undefined;
  const config = str(r['c']);
  const status = str(r['s']);
  if (config === '' || !/^\d{3}$/.test(status)) return undefined;
  const route = str(r['r']);
  const method = str(r['m']);
  const http = str(r['p']);
  const tls = str(r['t']);
  return {
    config,
    route: /^\d{1,9}$/.test(route) ? Number(route) : -1,
    method: METHODS.has(method) ? method : 'OTHER',
    status: status >= '100' && status < '600' ? `${status[0] ?? ''}xx` : '',
    requestSeconds: num(r['rt']),
    requestBytes: num(r['rl']),
    responseBytes: num(r['bs']),
    upstream: attempts(str(r['us']), str(r['uc']), str(r['uh']), str(r['ur'])),
    httpVersion: HTTP_VERSIONS.has(http) ? http : 'OTHER',
    tlsVersion: tls === '' ? '' : TLS_VERSIONS.has(tls) ? tls : 'OTHER',
    tlsResumed: str(r['sr']) === 'r',
    newConnection: str(r['cr']) === '1',
    canary: /^[A-Za-z0-9_.-]{1,253}$/.test(str(r['cn'])) ? str(r['cn']) : '',
  };
}

/**
 * The object's fields. A line without escapes (nearly all: only the method comes from the client, and
 * NGINX accepts only letters, `_` and `-` there) is split on `","`, which cannot occur inside an escaped
 * value since every quote in one is preceded by a backslash; anything else goes through JSON.parse.
 */
function fields(body: string): Raw | undefined {
  if (!body.includes('\\') && body.endsWith('"}')) {
    const out: Raw = {};
    for (const part of body.slice(2, -2).split('","')) {
      const colon = part.indexOf('":"');
      if (colon < 0 || part.includes('"', colon + 3)) return parseJson(body);
      out[part.slice(0, colon)] = part.slice(colon + 3);
    }
    return out;
  }
  return parseJson(body);
}

function parseJson(body: string): Raw | undefined {
  try {
    const raw: unknown = JSON.parse(body);
    return typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Raw) : undefined;
  } catch {
    return undefined;
  }
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** A number NGINX printed, NaN for `-` or empty. */
function num(v: unknown): number {
  return typeof v === 'string' && v !== '' && v !== '-' ? Number(v) : NaN;
}

/**
 * NGINX lists one value per upstream server tried, separated by `, ` (and by ` : ` across internal
 * redirects); `-` marks a step that did not happen (no connection, no header).
 */
function attempts(status: string, connect: string, header: string, response: string): UpstreamAttempt[] {
  if (status === '' || status === '-') return [];
  const split = (s: string): string[] => s.split(/, | : /);
  const c = split(connect);
  const h = split(header);
  const t = split(response);
  return split(status).map((s, i) => ({
    status: /^\d{3}$/.test(s) ? Number(s) : NaN,
    connectSeconds: num(c[i]),
    headerSeconds: num(h[i]),
    responseSeconds: num(t[i]),
  }));
}
