import { NO_ROUTE, type Route } from '../model/routes.ts';
import { parseTrafficLine, type TrafficLine } from './traffic-log.ts';

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
 * cost of a line (bench/traffic-metrics.bench.ts). Here a request costs one map lookup.
 */
export class TrafficMetrics {
  private readonly routes = new Map<string, readonly Route[]>();
  /** The routes kept for a routes array addRoutes was given. */
  private readonly keptAs = new WeakMap<readonly Route[], readonly Route[]>();
  /** Series by `config|route|method|status`: what a line finds without building labels. */
  private readonly byLine = new Map<string, Series>();
  /** Series by their label text: two configs with the same route share one. */
  private readonly byLabels = new Map<string, Series>();
  private readonly errors = new Map<string, RouteErrors>();
  private readonly handshakes = new Map<string, number>();
  private readonly connections = new Map<string, number>();
  private readonly lines: Record<LineOutcome, number> = { counted: 0, malformed: 0, unknown_config: 0 };

  /**
   * Makes a config's routes known; called before NGINX loads it, so its first requests are counted. A
   * route equal to one of the newest kept config is kept as that one's object: the configs kept differ in a
   * few routes, and each would otherwise keep its own copy of all of them alive (at 10,000 Ingresses about
   * 3 MB a config), long after the rest of its translate result is gone.
   */
  addRoutes(checksum: string, routes: readonly Route[]): void {
    const newest = [...this.routes.values()].at(-1);
    // The same routes again (an endpoint change pushed without a reload keeps translate's result) are not
    // compared again.
    const kept = this.keptAs.get(routes) ?? (newest === undefined ? routes : sharing(routes, newest));
    this.keptAs.set(routes, kept);
    this.routes.delete(checksum);
    this.routes.set(checksum, kept);
    while (this.routes.size > RETAINED_CONFIGS) {
      const oldest = this.routes.keys().next().value;
      if (oldest === undefined) break;
      this.routes.delete(oldest);
      for (const key of this.byLine.keys()) if (key.startsWith(`${oldest}|`)) this.byLine.delete(key);
    }
  }

  /**
   * NGINX now serves this config: the series of routes it no longer has (a deleted Ingress or path) are
   * removed. A late line from an old worker may bring one back; it goes again at the next reload.
   */
  served(checksum: string): void {
    const routes = this.routes.get(checksum);
    // Nothing counted yet (a first start): nothing to remove, so the routes are not written out.
    if (
      routes === undefined ||
      (this.byLine.size === 0 && this.byLabels.size === 0 && this.errors.size === 0)
    )
      return;
    const live = new Set(routes.map((r) => routeText(r)));
    for (const [key, series] of this.byLine) {
      if (!live.has(routeText(series.labels))) this.byLine.delete(key);
    }
    for (const [text, series] of this.byLabels) {
      if (!live.has(routeText(series.labels))) this.byLabels.delete(text);
    }
    for (const text of this.errors.keys()) if (!live.has(text)) this.errors.delete(text);
  }

  /** One syslog message from NGINX. */
  recordMessage(message: string): LineOutcome {
    const line = parseTrafficLine(message);
    const outcome = line === undefined ? 'malformed' : this.record(line);
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

  private record(line: TrafficLine): LineOutcome {
    const key = `${line.config}|${line.route}|${line.method}|${line.status}|${line.canary}`;
    let series = this.byLine.get(key);
    if (series === undefined) {
      const routes = this.routes.get(line.config);
      if (routes === undefined) return 'unknown_config';
      series = this.seriesFor(line, routes[line.route] ?? NO_ROUTE);
      this.byLine.set(key, series);
    }
    series.requests += 1;
    const h = series.histograms;
    observe(h[REQUEST_TIME], TIME_BUCKETS, line.requestSeconds);
    observe(h[REQUEST_SIZE], LENGTH_BUCKETS, line.requestBytes);
    observe(h[RESPONSE_SIZE], SIZE_BUCKETS, line.responseBytes);
    const last = line.upstream[line.upstream.length - 1];
    if (last !== undefined) {
      observe(h[CONNECT_TIME], TIME_BUCKETS, last.connectSeconds);
      observe(h[HEADER_TIME], TIME_BUCKETS, last.headerSeconds);
      observe(h[RESPONSE_TIME], TIME_BUCKETS, last.responseSeconds);
    }
    for (const attempt of line.upstream) {
      const kind: UpstreamErrorKind | undefined = Number.isNaN(attempt.connectSeconds)
        ? 'connect'
        : Number.isNaN(attempt.headerSeconds)
          ? 'no_response'
          : attempt.status >= 500
            ? '5xx'
            : undefined;
      if (kind !== undefined) this.errorsOf(series.labels).counts[kind] += 1;
    }
    if (line.newConnection) {
      bump(this.connections, `http_version="${line.httpVersion}",tls_version="${line.tlsVersion}"`);
      if (line.tlsVersion !== '')
        bump(this.handshakes, `tls_version="${line.tlsVersion}",resumed="${String(line.tlsResumed)}"`);
    }
    return 'counted';
  }

  private seriesFor(line: TrafficLine, route: Route): Series {
    const labels: RequestLabels = {
      status: line.status,
      method: line.method,
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

function bump(map: Map<string, number>, key: string): void {
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
