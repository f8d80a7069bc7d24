import { NO_ROUTE, type Route } from '../model/routes.ts';
import {
  HTTP_VERSION_NAMES,
  METHOD_NAMES,
  STATUS_CLASSES,
  TLS_VERSION_NAMES,
  TrafficLineReader,
} from './traffic-log.ts';

/** ingress-nginx's request labels (with `--metrics-per-host`), so its dashboards and alerts carry over. */
const REQUEST_LABELS = [
  'status',
  'method',
  'path',
  'namespace',
  'ingress',
  'service',
  'canary',
  'host',
] as const;
type RequestLabels = Record<(typeof REQUEST_LABELS)[number], string>;

/** ingress-nginx's defaults: Prometheus' default time buckets; 10..100 for request lengths. */
const TIME_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const LENGTH_BUCKETS = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
const SIZE_BUCKETS = [10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000];

interface HistogramSpec {
  readonly name: string;
  readonly help: string;
  readonly buckets: readonly number[];
}

/** The per-request histograms, in the order of `Series.histograms`. */
const HISTOGRAMS: readonly HistogramSpec[] = [
  {
    name: 'nginx_ingress_controller_request_duration_seconds',
    help: 'The request processing time in seconds, from the first byte read from the client to the last byte sent.',
    buckets: TIME_BUCKETS,
  },
  {
    name: 'nginx_ingress_controller_connect_duration_seconds',
    help: 'The time spent on establishing a connection with the upstream server (the pod).',
    buckets: TIME_BUCKETS,
  },
  {
    name: 'nginx_ingress_controller_header_duration_seconds',
    help: 'The time spent on receiving the first header from the upstream server (the pod).',
    buckets: TIME_BUCKETS,
  },
  {
    name: 'nginx_ingress_controller_response_duration_seconds',
    help: 'The time spent on receiving the response from the upstream server (the pod).',
    buckets: TIME_BUCKETS,
  },
  {
    name: 'nginx_ingress_controller_request_size',
    help: 'The request length (including request line, header, and request body).',
    buckets: LENGTH_BUCKETS,
  },
  {
    name: 'nginx_ingress_controller_response_size',
    help: 'The response length (including status line, header, and body).',
    buckets: SIZE_BUCKETS,
  },
];
const [REQUEST_TIME, CONNECT_TIME, HEADER_TIME, RESPONSE_TIME, REQUEST_SIZE, RESPONSE_SIZE] = [
  0, 1, 2, 3, 4, 5,
];

/** Configs whose routes are kept: old workers finishing long requests still log with theirs. */
const RETAINED_CONFIGS = 8;

const UPSTREAM_ERROR_KINDS = ['connect', 'no_response', '5xx'] as const;
type UpstreamErrorKind = (typeof UPSTREAM_ERROR_KINDS)[number];

/** One label set of the request metrics: its counts and histograms. */
interface Series {
  readonly labels: RequestLabels;
  /** `status="2xx",method="GET",...`, formatted once. */
  readonly text: string;
  requests: number;
  /** Per histogram: one count per bucket (not cumulative), then the sum, then the count. */
  readonly histograms: Float64Array[];
}

/**
 * A config whose routes are known, and the series its lines found: by route (index + 1; 0 for a line whose
 * route the config does not have), then by method and status class. A canary's series are in `canaries`.
 */
interface ConfigSeries {
  readonly checksum: string;
  /** The checksum as NGINX writes it, compared with a line's bytes. */
  readonly bytes: Buffer;
  readonly routes: readonly Route[];
  readonly byRoute: ((Series | undefined)[] | undefined)[];
  /** By `route|method|status|canary` (indexes). */
  readonly canaries: Map<string, Series>;
}

const SLOTS = METHOD_NAMES.length * STATUS_CLASSES.length;

/** Label texts of the connection counters, by HTTP version and TLS version index (see traffic-log.ts). */
const CONNECTION_KEYS = HTTP_VERSION_NAMES.flatMap((http) =>
  TLS_VERSION_NAMES.map((tls) => `http_version="${http}",tls_version="${tls}"`),
);
/** … of the handshake counters, by TLS version index, then resumed (0, 1). */
const HANDSHAKE_KEYS = TLS_VERSION_NAMES.flatMap((tls) =>
  [false, true].map((resumed) => `tls_version="${tls}",resumed="${String(resumed)}"`),
);

/** The upstream errors of one route. */
interface RouteErrors {
  readonly text: string;
  readonly counts: Record<UpstreamErrorKind, number>;
}

export type LineOutcome = 'counted' | 'malformed' | 'unknown_config';

/**
 * Per-Ingress traffic metrics from the metrics log, under ingress-nginx's names and labels. Label values
 * come only from the routes of configs the controller rendered (paths as written in the Ingress, never
 * request URIs) and from small fixed sets (method, status class, protocol versions), so the series are
 * bounded by the config; the series of a route NGINX no longer serves are removed.
 *
 * Counting is hand-rolled rather than done with prom-client: a request updates one counter and six
 * histograms, and prom-client hashes the eight labels on each of those seven updates, which made it the
 * cost of a line (bench/traffic-metrics.bench.ts). Here a line is read from its bytes into fields that
 * the next line reuses (TrafficLineReader), and finds its series by indexes: the config of the line before
 * (its checksum compared as bytes), then route, method and status class.
 */
export class TrafficMetrics {
  private readonly configs = new Map<string, ConfigSeries>();
  /** The config of the line before: nearly every line has the same. */
  private last: ConfigSeries | undefined;
  /** The routes kept for a routes array addRoutes was given. */
  private readonly keptAs = new WeakMap<readonly Route[], readonly Route[]>();
  /** Series by their label text: two configs with the same route share one. */
  private readonly byLabels = new Map<string, Series>();
  private readonly errors = new Map<string, RouteErrors>();
  private readonly handshakes = new Map<string, number>();
  private readonly connections = new Map<string, number>();
  private readonly lines: Record<LineOutcome, number> = { counted: 0, malformed: 0, unknown_config: 0 };
  private readonly reader = new TrafficLineReader();

  /**
   * Makes a config's routes known; called before NGINX loads it, so its first requests are counted. A
   * route equal to one of the newest kept config is kept as that one's object: the configs kept differ in a
   * few routes, and each would otherwise keep its own copy of all of them alive (at 10,000 Ingresses about
   * 3 MB a config), long after the rest of its translate result is gone.
   */
  addRoutes(checksum: string, routes: readonly Route[]): void {
    const newest = [...this.configs.values()].at(-1)?.routes;
    // The same routes again (an endpoint change pushed without a reload keeps translate's result) are not
    // compared again.
    const kept = this.keptAs.get(routes) ?? (newest === undefined ? routes : sharing(routes, newest));
    this.keptAs.set(routes, kept);
    const before = this.configs.get(checksum);
    this.configs.delete(checksum);
    this.configs.set(checksum, {
      checksum,
      bytes: Buffer.from(checksum, 'utf8'),
      routes: kept,
      // The same config again: the series its lines found stay.
      byRoute: before?.byRoute ?? [],
      canaries: before?.canaries ?? new Map<string, Series>(),
    });
    this.last = undefined;
    while (this.configs.size > RETAINED_CONFIGS) {
      const oldest = this.configs.keys().next().value;
      if (oldest === undefined) break;
      this.configs.delete(oldest);
    }
  }

  /**
   * NGINX now serves this config: the series of routes it no longer has (a deleted Ingress or path) are
   * removed. A late line from an old worker may bring one back; it goes again at the next reload.
   */
  served(checksum: string): void {
    const config = this.configs.get(checksum);
    // Nothing counted yet (a first start): nothing to remove, so the routes are not written out.
    if (config === undefined || (this.byLabels.size === 0 && this.errors.size === 0)) return;
    const live = new Set(config.routes.map((r) => routeText(r)));
    const gone = (series: Series | undefined): boolean =>
      series !== undefined && !live.has(routeText(series.labels));
    for (const c of this.configs.values()) {
      for (const slots of c.byRoute) {
        if (slots === undefined) continue;
        for (let i = 0; i < slots.length; i++) if (gone(slots[i])) slots[i] = undefined;
      }
      for (const [key, series] of c.canaries) if (gone(series)) c.canaries.delete(key);
    }
    for (const [text, series] of this.byLabels) if (gone(series)) this.byLabels.delete(text);
    for (const text of this.errors.keys()) if (!live.has(text)) this.errors.delete(text);
  }

  /** One syslog message from NGINX, or one line of the metrics log. */
  recordMessage(message: string): LineOutcome {
    return this.recordLine(Buffer.from(message, 'utf8'));
  }

  /** One line of the metrics log (or syslog message) as NGINX wrote it: read without a string per field. */
  recordLine(line: Buffer): LineOutcome {
    const outcome = this.reader.read(line) ? this.record(this.reader) : 'malformed';
    this.lines[outcome] += 1;
    return outcome;
  }

  /** The metrics in Prometheus' text format. */
  exposition(): string {
    const out: string[] = [];
    header(
      out,
      'gatehouse_traffic_log_lines_total',
      'counter',
      'Metrics log lines received from NGINX, by outcome: counted, malformed, or unknown_config (logged by a config no longer known).',
    );
    for (const [outcome, n] of Object.entries(this.lines))
      out.push(`gatehouse_traffic_log_lines_total{outcome="${outcome}"} ${n}`);
    header(
      out,
      'nginx_ingress_controller_requests',
      'counter',
      'The total number of client requests (status is the class: 2xx, 4xx, ...).',
    );
    for (const s of this.byLabels.values())
      out.push(`nginx_ingress_controller_requests{${s.text}} ${s.requests}`);
    HISTOGRAMS.forEach((spec, h) => {
      header(out, spec.name, 'histogram', spec.help);
      for (const s of this.byLabels.values()) {
        const values = s.histograms[h];
        if (values === undefined) continue;
        const count = values[spec.buckets.length + 1] ?? 0;
        if (count === 0) continue;
        let cumulative = 0;
        spec.buckets.forEach((le, i) => {
          cumulative += values[i] ?? 0;
          out.push(`${spec.name}_bucket{${s.text},le="${le}"} ${cumulative}`);
        });
        out.push(`${spec.name}_bucket{${s.text},le="+Inf"} ${count}`);
        out.push(`${spec.name}_sum{${s.text}} ${values[spec.buckets.length] ?? 0}`);
        out.push(`${spec.name}_count{${s.text}} ${count}`);
      }
    });
    header(
      out,
      'gatehouse_upstream_errors_total',
      'counter',
      'Failed tries to reach a pod, by kind: connect (no connection), no_response (connected, no response header), 5xx (the pod answered 5xx).',
    );
    for (const e of this.errors.values()) {
      for (const kind of UPSTREAM_ERROR_KINDS) {
        if (e.counts[kind] > 0)
          out.push(`gatehouse_upstream_errors_total{${e.text},kind="${kind}"} ${e.counts[kind]}`);
      }
    }
    header(
      out,
      'gatehouse_tls_handshakes_total',
      'counter',
      'TLS handshakes of client connections that sent a request, by TLS version and whether the session was resumed.',
    );
    for (const [text, n] of this.handshakes) out.push(`gatehouse_tls_handshakes_total{${text}} ${n}`);
    header(
      out,
      'gatehouse_client_connections_total',
      'counter',
      'Client connections that sent a request, by HTTP version and TLS version (empty for plain HTTP).',
    );
    for (const [text, n] of this.connections) out.push(`gatehouse_client_connections_total{${text}} ${n}`);
    return `${out.join('\n')}\n`;
  }

  private record(line: TrafficLineReader): LineOutcome {
    const config = this.configOf(line);
    if (config === undefined) return 'unknown_config';
    const route = line.route >= 0 && line.route < config.routes.length ? line.route + 1 : 0;
    let series: Series | undefined;
    if (line.canary === '') {
      const slots = (config.byRoute[route] ??= new Array<Series | undefined>(SLOTS));
      const slot = line.method * STATUS_CLASSES.length + line.status;
      series = slots[slot] ??= this.seriesFor(line, config.routes[route - 1] ?? NO_ROUTE);
    } else {
      const key = `${route}|${line.method}|${line.status}|${line.canary}`;
      series = config.canaries.get(key);
      if (series === undefined) {
        series = this.seriesFor(line, config.routes[route - 1] ?? NO_ROUTE);
        config.canaries.set(key, series);
      }
    }
    series.requests += 1;
    const h = series.histograms;
    observe(h[REQUEST_TIME], TIME_BUCKETS, line.requestSeconds);
    observe(h[REQUEST_SIZE], LENGTH_BUCKETS, line.requestBytes);
    observe(h[RESPONSE_SIZE], SIZE_BUCKETS, line.responseBytes);
    if (line.tries > 0) {
      observe(h[CONNECT_TIME], TIME_BUCKETS, line.connectSeconds);
      observe(h[HEADER_TIME], TIME_BUCKETS, line.headerSeconds);
      observe(h[RESPONSE_TIME], TIME_BUCKETS, line.responseSeconds);
      if (line.connectErrors + line.noResponseErrors + line.serverErrors > 0) {
        const counts = this.errorsOf(series.labels).counts;
        counts.connect += line.connectErrors;
        counts.no_response += line.noResponseErrors;
        counts['5xx'] += line.serverErrors;
      }
    }
    if (line.newConnection) {
      bump(this.connections, CONNECTION_KEYS[line.httpVersion * TLS_VERSION_NAMES.length + line.tlsVersion]);
      if (line.tlsVersion !== 0)
        bump(this.handshakes, HANDSHAKE_KEYS[line.tlsVersion * 2 + (line.tlsResumed ? 1 : 0)]);
    }
    return 'counted';
  }

  /** The known config that logged the line: the one before when its checksum is the same bytes. */
  private configOf(line: TrafficLineReader): ConfigSeries | undefined {
    const last = this.last;
    if (last !== undefined && sameBytes(line.line, line.configStart, line.configEnd, last.bytes)) return last;
    const config = this.configs.get(line.line.toString('utf8', line.configStart, line.configEnd));
    if (config !== undefined) this.last = config;
    return config;
  }

  private seriesFor(line: TrafficLineReader, route: Route): Series {
    const labels: RequestLabels = {
      status: STATUS_CLASSES[line.status] ?? '',
      method: METHOD_NAMES[line.method] ?? 'OTHER',
      path: route.path,
      namespace: route.namespace,
      ingress: route.ingress,
      service: route.service,
      canary: line.canary,
      host: route.host,
    };
    const text = REQUEST_LABELS.map((l) => `${l}="${escapeLabel(labels[l])}"`).join(',');
    let series = this.byLabels.get(text);
    if (series === undefined) {
      series = {
        labels,
        text,
        requests: 0,
        histograms: HISTOGRAMS.map((spec) => new Float64Array(spec.buckets.length + 2)),
      };
      this.byLabels.set(text, series);
    }
    return series;
  }

  private errorsOf(labels: RequestLabels): RouteErrors {
    const text = routeText(labels);
    let errors = this.errors.get(text);
    if (errors === undefined) {
      errors = { text, counts: { connect: 0, no_response: 0, '5xx': 0 } };
      this.errors.set(text, errors);
    }
    return errors;
  }
}

/**
 * `routes`, with each route equal to one of `kept` replaced by that one. Translate's memo gives a host it
 * did not build again the very route objects of the config before, so only the others are compared, with
 * the kept routes of their hosts (an edit: a few routes, not every route written out as a key).
 */
function sharing(routes: readonly Route[], kept: readonly Route[]): readonly Route[] {
  const same = new Set(kept);
  const fresh = routes.filter((r) => !same.has(r));
  if (fresh.length === 0) return routes;
  const hosts = new Set(fresh.map((r) => r.host));
  const known = new Map(kept.filter((r) => hosts.has(r.host)).map((r) => [routeKey(r), r]));
  return routes.map((r) => (same.has(r) ? r : (known.get(routeKey(r)) ?? r)));
}

/** Every field of a route: equal keys, equal routes. */
function routeKey(r: Route): string {
  return [r.host, r.namespace, r.ingress, r.path, r.pathType, r.field, r.service, r.servicePort].join('\0');
}

/** The route's labels as text; also the route's identity. */
function routeText(r: Pick<Route, 'path' | 'namespace' | 'ingress' | 'service' | 'host'>): string {
  return `path="${escapeLabel(r.path)}",namespace="${escapeLabel(r.namespace)}",ingress="${escapeLabel(r.ingress)}",service="${escapeLabel(r.service)}",host="${escapeLabel(r.host)}"`;
}

function escapeLabel(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

function header(out: string[], name: string, type: string, help: string): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
}

/** Whether `line` holds exactly `bytes` from `from` to `to`. */
function sameBytes(line: Buffer, from: number, to: number, bytes: Buffer): boolean {
  if (to - from !== bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (line[from + i] !== bytes[i]) return false;
  return true;
}

function bump(map: Map<string, number>, key: string | undefined): void {
  if (key === undefined) return;
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Adds a value to a histogram laid out as in Series: bucket counts, then sum, then count. */
function observe(values: Float64Array | undefined, buckets: readonly number[], value: number): void {
  if (values === undefined || Number.isNaN(value)) return;
  let i = 0;
  while (i < buckets.length && value > (buckets[i] ?? Infinity)) i++;
  if (i < buckets.length) values[i] = (values[i] ?? 0) + 1;
  values[buckets.length] = (values[buckets.length] ?? 0) + value;
  values[buckets.length + 1] = (values[buckets.length + 1] ?? 0) + 1;
}
