// The Grafana dashboard shipped in the chart (charts/gatehouse/dashboards/gatehouse.json) must only ask for
// what the controller exports: every metric a query names, and every label it filters or groups by, is
// checked against a real controller's /metrics after real traffic.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../support/gatehouse-process.ts';
import { ingress, serviceWithEndpoints } from '../support/fixtures.ts';
import { eventually, request } from '../support/http-client.ts';
import { serveFolder, type ServedFolder } from '../support/integration.ts';
import { freePort } from '../support/ports.ts';
import { parseMetrics, scrape } from '../support/prometheus.ts';

/** Labels Prometheus adds from the scrape target (the controller pod), not the controller. */
const TARGET_LABELS = new Set(['pod', 'instance', 'job', 'container', 'endpoint']);
const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
]);

interface Selector {
  readonly metric: string;
  readonly labels: readonly string[];
}

/** The metric selectors of a PromQL expression, and the labels it groups by. */
export function readQuery(expr: string): { selectors: Selector[]; grouping: string[] } {
  const selectors: Selector[] = [];
  const grouping: string[] = [];
  let rest = expr.replace(/\[[^\]]*\]/g, ' ');
  rest = rest.replace(/\b(by|without|on|ignoring)\s*\(([^)]*)\)/g, (_, _kw: string, list: string) => {
    grouping.push(
      ...list
        .split(',')
        .map((l) => l.trim())
        .filter((l) => l !== ''),
    );
    return ' ';
  });
  const token = /([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{([^}]*)\})?\s*(\()?/g;
  for (const m of rest.matchAll(token)) {
    const [, name = '', , matchers, call] = m;
    if (call !== undefined || KEYWORDS.has(name) || /^\d/.test(name)) continue;
    const labels = [...(matchers ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)].map(
      (l) => l[1] ?? '',
    );
    selectors.push({ metric: name, labels });
  }
  return { selectors, grouping };
}

interface Dashboard {
  panels: { title: string; targets?: { expr: string }[] }[];
  templating: { list: { name: string; type: string; definition?: string }[] };
}

const DASHBOARD = JSON.parse(
  readFileSync(path.join(REPO_ROOT, 'charts/gatehouse/dashboards/gatehouse.json'), 'utf8'),
) as Dashboard;

describe('the Grafana dashboard', () => {
  let served: ServedFolder;
  let families: Map<string, { type: string; labels: Set<string> }>;

  before(async () => {
    const closed = await freePort();
    served = await serveFolder(
      ['app'],
      [
        ingress({
          name: 'shop',
          rules: [
            {
              host: 'shop.example.com',
              paths: [
                { path: '/', pathType: 'Prefix', service: 'app', port: 80 },
                { path: '/gone', pathType: 'Prefix', service: 'gone', port: 80 },
              ],
            },
          ],
        }),
        ...serviceWithEndpoints('gone', [{ ip: '127.0.0.1', port: closed }]),
      ],
    );
    const g = served.gatehouse;
    await request('http', g.httpPort, 'shop.example.com', '/');
    await request('http', g.httpPort, 'shop.example.com', '/gone');
    await request('https', g.httpsPort, 'shop.example.com', '/');
    // NGINX writes the metrics log in blocks, at least every second: wait until the 502 of /gone and the
    // HTTPS request are counted.
    await eventually(
      () => scrape(g.healthzPort),
      (s) =>
        s.some((x) => x.name === 'gatehouse_tls_handshakes_total') &&
        s.some((x) => x.name === 'nginx_ingress_controller_requests' && x.labels['status'] === '5xx'),
    );
    const text = await (await fetch(`http://127.0.0.1:${g.healthzPort}/metrics`)).text();
    families = new Map();
    for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm))
      families.set(m[1] ?? '', { type: m[2] ?? '', labels: new Set() });
    for (const s of parseMetrics(text)) {
      const family =
        families.get(s.name) ?? families.get(s.name.replace(/_(bucket|sum|count)$/, '')) ?? undefined;
      for (const l of Object.keys(s.labels)) family?.labels.add(l);
    }
  });
  after(async () => {
    await served.stop();
  });

  const exported = (metric: string) => {
    const direct = families.get(metric);
    if (direct !== undefined) return direct;
    const base = families.get(metric.replace(/_(bucket|sum|count)$/, ''));
    return base?.type === 'histogram' ? base : undefined;
  };

  it('has panels for traffic, errors and latency per Ingress, reloads, rejections, staleness and memory', () => {
    const all = DASHBOARD.panels
      .flatMap((p) => p.targets ?? [])
      .map((t) => t.expr)
      .join('\n');
    for (const metric of [
      'nginx_ingress_controller_requests',
      'nginx_ingress_controller_request_duration_seconds_bucket',
      'gatehouse_reconciles_total',
      'gatehouse_reconcile_duration_seconds_bucket',
      'gatehouse_ingresses',
      'gatehouse_config_stale_seconds',
      'gatehouse_process_resident_memory_bytes',
    ])
      assert.ok(all.includes(metric), metric);
  });

  for (const panel of DASHBOARD.panels.filter((p) => p.targets !== undefined)) {
    it(`"${panel.title}" asks only for exported metrics and labels`, () => {
      for (const { expr } of panel.targets ?? []) {
        const { selectors, grouping } = readQuery(expr);
        assert.ok(selectors.length > 0, `no metric in ${expr}`);
        for (const s of selectors) {
          const family = exported(s.metric);
          assert.ok(family, `${s.metric} is not exported (in ${expr})`);
          for (const l of s.labels) assert.ok(family.labels.has(l), `${s.metric} has no label ${l}`);
        }
        for (const l of grouping) {
          assert.ok(
            TARGET_LABELS.has(l) || l === 'le' || selectors.some((s) => exported(s.metric)?.labels.has(l)),
            `grouped by ${l}, which none of ${selectors.map((s) => s.metric).join(', ')} has`,
          );
        }
      }
    });
  }

  it('fills its variables from exported metrics', () => {
    for (const v of DASHBOARD.templating.list.filter((t) => t.type === 'query')) {
      const m = /^label_values\((\w+)(?:\{[^}]*\})?, *(\w+)\)$/.exec(v.definition ?? '');
      assert.ok(m, `${v.name}: ${v.definition ?? ''}`);
      assert.ok(exported(m[1] ?? '')?.labels.has(m[2] ?? ''), `${v.name}: ${v.definition ?? ''}`);
    }
  });

  it('reads queries as PromQL: metrics, matchers and grouping', () => {
    assert.deepEqual(
      readQuery('histogram_quantile(0.95, sum by (le, pod) (rate(a_bucket{x="1",y=~"$v"}[5m]))) / b'),
      {
        selectors: [
          { metric: 'a_bucket', labels: ['x', 'y'] },
          { metric: 'b', labels: [] },
        ],
        grouping: ['le', 'pod'],
      },
    );
  });
});
