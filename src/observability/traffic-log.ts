/**
 * The metrics log: one line per request, written by NGINX (`log_format gatehouse_metrics` in
 * templates/nginx.conf.njk) and read here. A line is `gh1`, then the fields of `TRAFFIC_LOG_FIELDS` in that
 * order, each after a tab; the config checksum and route say which Ingress path served it. NGINX prints
 * `-` for an unset value, nothing for an empty one. The line is not escaped (`escape=none`: escaping scans
 * every value twice, about 0.75k of the worker's instructions a request): no value can hold a tab or a line
 * break, being numbers, NGINX's own protocol and TLS names, a method NGINX's parser let through (HTTP/1 and
 * HTTP/2 take only `A`–`Z`, `_` and `-`) or a backend name the balancer set. A line that did not have the
 * fields in their places is refused whole (`malformed`). Compact and in a fixed order because every request
 * writes one and the controller reads each on the same cores (it was a 16-key JSON object, `escape=json`).
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

/** Label values of the small fixed sets, by the index the reader gives them (`OTHER` last). */
export const METHOD_NAMES = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
  'OTHER',
] as const;
export const STATUS_CLASSES = ['', '1xx', '2xx', '3xx', '4xx', '5xx'] as const;
export const HTTP_VERSION_NAMES = [
  'HTTP/1.0',
  'HTTP/1.1',
  'HTTP/2.0',
  'HTTP/3.0',
  'HTTP/0.9',
  'OTHER',
] as const;
/** `''`: plain HTTP. */
export const TLS_VERSION_NAMES = ['', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3', 'SSLv3', 'OTHER'] as const;

const bytesOf = (names: readonly string[]): Buffer[] => names.map((n) => Buffer.from(n, 'latin1'));
const METHOD_BYTES = bytesOf(METHOD_NAMES.slice(0, -1));
const HTTP_VERSION_BYTES = bytesOf(HTTP_VERSION_NAMES.slice(0, -1));
const TLS_VERSION_BYTES = bytesOf(TLS_VERSION_NAMES.slice(1, -1));
const MARK_BYTES = Buffer.from(`${TRAFFIC_LOG_MARK}\t`, 'latin1');
const FIELDS = TRAFFIC_LOG_FIELDS.length;
const TAB = 9;
const DASH = 45;
const CANARY = /^[A-Za-z0-9_.-]{1,253}$/;

/**
 * Reads metrics log lines straight from the bytes NGINX wrote, into its own fields, which the next line
 * overwrites: no string per field and no object per line (it runs for every request NGINX serves, on the
 * cores NGINX uses). Only the config checksum, a canary's name and the rare request NGINX sent to more than
 * one pod become strings. Every value becomes a bounded label value (an index into the fixed sets above)
 * or a number, so a client cannot grow the label space with odd methods or protocols.
 */
export class TrafficLineReader {
  /** The line last read, and where its config checksum is in it. */
  line: Buffer = MARK_BYTES;
  configStart = 0;
  configEnd = 0;
  /** Index into that config's routes; -1 when the request ended before any location (a bad request). */
  route = -1;
  /** Index into METHOD_NAMES, STATUS_CLASSES, HTTP_VERSION_NAMES, TLS_VERSION_NAMES. */
  method = 0;
  status = 0;
  httpVersion = 0;
  tlsVersion = 0;
  requestSeconds = NaN;
  requestBytes = NaN;
  responseBytes = NaN;
  tlsResumed = false;
  newConnection = false;
  canary = '';
  /** The pods NGINX tried, as UpstreamAttempt; the last one's times are also below. */
  tries = 0;
  connectSeconds = NaN;
  headerSeconds = NaN;
  responseSeconds = NaN;
  /** The first try's status when there was one try. */
  upstreamStatus = NaN;
  /** Every try when there were several (rare: a retry); undefined otherwise. */
  attempts: UpstreamAttempt[] | undefined;
  /** Failed tries by kind (see UpstreamErrorKind in traffic-metrics.ts): no connection, no header, 5xx. */
  connectErrors = 0;
  noResponseErrors = 0;
  serverErrors = 0;

  /**
   * Reads one metrics log line (or syslog message from NGINX: `<190>Dec  1 10:00:00 nginx: gh1\t…`): false,
   * leaving the fields undefined, for anything that is not a metrics line. Never throws.
   */
  read(line: Buffer): boolean {
    let at = 0;
    if (!startsWith(line, MARK_BYTES, 0)) {
      at = line.indexOf(MARK_BYTES);
      if (at < 0) return false;
    }
    // Trailing white space (a newline) goes, but not a tab: an empty last value leaves the line ending in one.
    let end = line.length;
    while (end > at && (line[end - 1] ?? 0) <= 32 && line[end - 1] !== TAB) end--;
    // Where each field starts, and one past its end (the tab after it, or the line's end).
    const starts = this.starts;
    let n = 0;
    starts[n++] = at + MARK_BYTES.length;
    for (let i = at + MARK_BYTES.length; i < end; i++) {
      if (line[i] !== TAB) continue;
      if (n === FIELDS) return false;
      starts[n++] = i + 1;
    }
    if (n !== FIELDS) return false;
    starts[n] = end + 1;
    const from = (i: number): number => starts[i] ?? 0;
    const e = (i: number): number => (starts[i + 1] ?? 0) - 1;
    // config, route, method, status
    if (e(0) === starts[0] || !digits(line, from(3), e(3), 3, 3)) return false;
    this.line = line;
    this.configStart = from(0);
    this.configEnd = e(0);
    this.route = digits(line, from(1), e(1), 1, 9) ? integer(line, from(1), e(1)) : -1;
    this.method = oneOf(line, from(2), e(2), METHOD_BYTES, 0);
    const status = (line[from(3)] ?? 0) - 48;
    this.status = status >= 1 && status <= 5 ? status : 0;
    this.requestSeconds = decimal(line, from(4), e(4));
    this.requestBytes = decimal(line, from(5), e(5));
    this.responseBytes = decimal(line, from(6), e(6));
    this.httpVersion = oneOf(line, from(11), e(11), HTTP_VERSION_BYTES, 0);
    const tls = from(12);
    this.tlsVersion =
      e(12) === tls || (e(12) === tls + 1 && line[tls] === DASH)
        ? 0
        : oneOf(line, tls, e(12), TLS_VERSION_BYTES, 1);
    this.tlsResumed = e(13) === from(13) + 1 && line[from(13)] === 114; // r
    this.newConnection = e(14) === from(14) + 1 && line[from(14)] === 49; // 1
    const cn = from(15);
    if (e(15) === cn + 1 && line[cn] === DASH) this.canary = '';
    else {
      const canary = line.toString('latin1', cn, e(15));
      this.canary = CANARY.test(canary) ? canary : '';
    }
    const unavailable = e(16) === from(16) + 1 && line[from(16)] === 49;
    this.readUpstream(line, from(7), e(7), unavailable);
    return true;
  }

  /** Field starts of the line being read (one more: past the last field's end). */
  private readonly starts = new Array<number>(FIELDS + 1).fill(0);

  /**
   * NGINX lists one value per upstream server tried, separated by `, ` (and by ` : ` across internal
   * redirects); `-` marks a step that did not happen (no connection, no header). `unavailable`: the balancer
   * found no ready endpoint and sent the last try to the local listener that answers 503 (`ne` in the log),
   * so no pod answered it: it is left out.
   */
  private readUpstream(line: Buffer, from: number, to: number, unavailable: boolean): void {
    this.attempts = undefined;
    this.tries = 0;
    this.connectErrors = 0;
    this.noResponseErrors = 0;
    this.serverErrors = 0;
    this.connectSeconds = NaN;
    this.headerSeconds = NaN;
    this.responseSeconds = NaN;
    this.upstreamStatus = NaN;
    const length = to - from;
    if (length === 0 || (length === 1 && line[from] === DASH) || (unavailable && length === 3)) return;
    const starts = this.starts;
    if (length === 3 && digits(line, from, to, 3, 3)) {
      // One try, the usual case: its times are the first (only) values.
      this.tries = 1;
      this.upstreamStatus = integer(line, from, to);
      this.connectSeconds = decimal(
        line,
        starts[8] ?? 0,
        firstEnd(line, starts[8] ?? 0, (starts[9] ?? 0) - 1),
      );
      this.headerSeconds = decimal(
        line,
        starts[9] ?? 0,
        firstEnd(line, starts[9] ?? 0, (starts[10] ?? 0) - 1),
      );
      this.responseSeconds = decimal(
        line,
        starts[10] ?? 0,
        firstEnd(line, starts[10] ?? 0, (starts[11] ?? 0) - 1),
      );
      this.count(this.upstreamStatus, this.connectSeconds, this.headerSeconds);
      return;
    }
    const text = (i: number): string => line.toString('utf8', starts[i] ?? 0, (starts[i + 1] ?? 0) - 1);
    const split = (s: string): string[] => s.split(/, | : /);
    const c = split(text(8));
    const h = split(text(9));
    const t = split(text(10));
    const tries = split(text(7)).map((s, i) => ({
      status: s.length === 3 && /^\d{3}$/.test(s) ? Number(s) : NaN,
      connectSeconds: num(c[i] ?? ''),
      headerSeconds: num(h[i] ?? ''),
      responseSeconds: num(t[i] ?? ''),
    }));
    if (unavailable) tries.pop();
    this.attempts = tries;
    this.tries = tries.length;
    for (const a of tries) this.count(a.status, a.connectSeconds, a.headerSeconds);
    const last = tries.at(-1);
    if (last !== undefined) {
      this.connectSeconds = last.connectSeconds;
      this.headerSeconds = last.headerSeconds;
      this.responseSeconds = last.responseSeconds;
    }
  }

  /** Counts a try that failed. */
  private count(status: number, connectSeconds: number, headerSeconds: number): void {
    if (Number.isNaN(connectSeconds)) this.connectErrors++;
    else if (Number.isNaN(headerSeconds)) this.noResponseErrors++;
    else if (status >= 500) this.serverErrors++;
  }

  /** The line last read as a TrafficLine. */
  toLine(): TrafficLine {
    return {
      config: this.line.toString('utf8', this.configStart, this.configEnd),
      route: this.route,
      method: METHOD_NAMES[this.method] ?? 'OTHER',
      status: STATUS_CLASSES[this.status] ?? '',
      requestSeconds: this.requestSeconds,
      requestBytes: this.requestBytes,
      responseBytes: this.responseBytes,
      upstream:
        this.attempts ??
        (this.tries === 0
          ? []
          : [
              {
                status: this.upstreamStatus,
                connectSeconds: this.connectSeconds,
                headerSeconds: this.headerSeconds,
                responseSeconds: this.responseSeconds,
              },
            ]),
      httpVersion: HTTP_VERSION_NAMES[this.httpVersion] ?? 'OTHER',
      tlsVersion: TLS_VERSION_NAMES[this.tlsVersion] ?? 'OTHER',
      tlsResumed: this.tlsResumed,
      newConnection: this.newConnection,
      canary: this.canary,
    };
  }
}

/**
 * Reads one metrics log line (or syslog message from NGINX); undefined for anything that is not a metrics
 * line; never throws. TrafficMetrics reads lines with a TrafficLineReader instead, without this object.
 */
export function parseTrafficLine(message: string): TrafficLine | undefined {
  const reader = new TrafficLineReader();
  return reader.read(Buffer.from(message, 'utf8')) ? reader.toLine() : undefined;
}

/** Whether `line` holds `bytes` at `at`. */
function startsWith(line: Buffer, bytes: Buffer, at: number): boolean {
  if (line.length - at < bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (line[at + i] !== bytes[i]) return false;
  return true;
}

/** The index in `names` (plus `offset`) of the bytes from..to, or the index past the last one (`OTHER`). */
function oneOf(line: Buffer, from: number, to: number, names: readonly Buffer[], offset: number): number {
  const length = to - from;
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    if (name !== undefined && name.length === length && startsWith(line, name, from)) return i + offset;
  }
  return names.length + offset;
}

/** Whether from..to is `min` to `max` ASCII digits. */
function digits(line: Buffer, from: number, to: number, min: number, max: number): boolean {
  if (to - from < min || to - from > max) return false;
  for (let i = from; i < to; i++) {
    const c = line[i] ?? 0;
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** The ASCII digits from..to as a number (at most 15 of them). */
function integer(line: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + (line[i] ?? 0) - 48;
  return n;
}

const POWERS = [1, 10, 100, 1000, 10_000, 100_000, 1e6, 1e7, 1e8, 1e9];

/**
 * A number NGINX printed (`123`, `0.005`), NaN for `-` or empty; the same double as `Number(text)`: all
 * digits make one integer below 2^53, divided once by an exact power of ten. Anything else NGINX would not
 * print goes through Number.
 */
function decimal(line: Buffer, from: number, to: number): number {
  if (to === from || (to === from + 1 && line[from] === DASH)) return NaN;
  let n = 0;
  let point = -1;
  for (let i = from; i < to; i++) {
    const c = line[i] ?? 0;
    if (c >= 48 && c <= 57) n = n * 10 + c - 48;
    else if (c === 46 && point < 0) point = i;
    else return Number(line.toString('latin1', from, to));
  }
  const fraction = point < 0 ? 0 : to - point - 1;
  if (to - from > 15 || fraction >= POWERS.length || point === from || point === to - 1)
    return Number(line.toString('latin1', from, to));
  return fraction === 0 ? n : n / (POWERS[fraction] ?? NaN);
}

/** Where a list's first value ends (see readUpstream). */
function firstEnd(line: Buffer, from: number, to: number): number {
  for (let i = from; i < to; i++) {
    const c = line[i];
    if (c === 44 && line[i + 1] === 32 && i + 1 < to) return i; // ", "
    if (c === 32 && line[i + 1] === 58 && line[i + 2] === 32 && i + 2 < to) return i; // " : "
  }
  return to;
}

/** A number NGINX printed, NaN for `-` or empty. */
function num(v: string): number {
  return v !== '' && v !== '-' ? Number(v) : NaN;
}
