import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Route } from '../../src/model/routes.ts';
import { TrafficMetrics } from '../../src/observability/traffic-metrics.ts';
import { metricsLine } from '../support/metrics-line.ts';
import { parseMetrics, valueOf } from '../support/prometheus.ts';

const route = (ingress: string, path: string): Route => ({
  host: 'a.example.com',
  namespace: 'web',
  ingress,
  path,
  pathType: 'Prefix',
  field: 'spec.rules[0].http.paths[0]',
  service: ingress,
  servicePort: '80',
});

function line(config: string, routeIndex: number, status = '200'): string {
  return metricsLine({ c: config, r: String(routeIndex), s: status, us: '-', uc: '-', uh: '-', ur: '-' });
}

describe('traffic metrics across configs', () => {
  it('counts a line under the route of the config that logged it, even after a reload renumbered routes', () => {
    const m = new TrafficMetrics();
    m.addRoutes('old', [route('shop', '/cart'), route('blog', '/')]);
    m.addRoutes('new', [route('blog', '/')]); // route 0 is now blog
    m.served('new');
    m.recordMessage(line('old', 0)); // an old worker finishing a request
    m.recordMessage(line('new', 0));
    const samples = parseMetrics(m.exposition());
    const requests = (ingress: string) =>
      valueOf(samples, 'nginx_ingress_controller_requests', { ingress, status: '2xx' });
    assert.equal(requests('shop'), 1);
    assert.equal(requests('blog'), 1);
  });

  it('does not count lines of a config it never knew, and says so', () => {
    const m = new TrafficMetrics();
    m.addRoutes('known', [route('shop', '/')]);
    assert.equal(m.recordMessage(line('unknown', 0)), 'unknown_config');
    assert.equal(m.recordMessage('garbage'), 'malformed');
    const samples = parseMetrics(m.exposition());
    assert.equal(valueOf(samples, 'gatehouse_traffic_log_lines_total', { outcome: 'unknown_config' }), 1);
    assert.equal(valueOf(samples, 'gatehouse_traffic_log_lines_total', { outcome: 'malformed' }), 1);
    assert.equal(valueOf(samples, 'nginx_ingress_controller_requests'), undefined);
  });

  it('counts a route index the config does not have under no route rather than guessing', () => {
    const m = new TrafficMetrics();
    m.addRoutes('c', [route('shop', '/')]);
    m.recordMessage(line('c', 7, '400'));
    const samples = parseMetrics(m.exposition());
    assert.equal(valueOf(samples, 'nginx_ingress_controller_requests', { ingress: '', status: '4xx' }), 1);
  });

  it('drops the series of a route once the served config no longer has it', () => {
    const m = new TrafficMetrics();
    m.addRoutes('one', [route('shop', '/'), route('blog', '/')]);
    m.served('one');
    m.recordMessage(line('one', 0));
    m.recordMessage(line('one', 1));
    m.addRoutes('two', [route('blog', '/')]);
    m.served('two');
    const samples = parseMetrics(m.exposition());
    assert.equal(valueOf(samples, 'nginx_ingress_controller_requests', { ingress: 'shop' }), undefined);
    assert.equal(valueOf(samples, 'nginx_ingress_controller_requests', { ingress: 'blog' }), 1);
  });

  it('keeps each config’s own route where two configs differ in one field of it (configs share equal routes)', () => {
    const m = new TrafficMetrics();
    const before = route('shop', '/');
    m.addRoutes('one', [before, route('blog', '/')]);
    m.addRoutes('two', [{ ...before, service: 'shop-v2' }, route('blog', '/')]);
    m.recordMessage(line('one', 0));
    m.recordMessage(line('two', 0));
    m.recordMessage(line('two', 0));
    m.recordMessage(line('one', 1));
    m.recordMessage(line('two', 1));
    const samples = parseMetrics(m.exposition());
    const requests = (service: string) => valueOf(samples, 'nginx_ingress_controller_requests', { service });
    assert.equal(requests('shop'), 1);
    assert.equal(requests('shop-v2'), 2);
    assert.equal(requests('blog'), 2);
  });

  it('tells configs apart whose checksums share a beginning, whatever the order of their lines', () => {
    const m = new TrafficMetrics();
    m.addRoutes('c1', [route('shop', '/')]);
    m.addRoutes('c10', [route('blog', '/')]);
    for (const config of ['c1', 'c10', 'c10', 'c1', 'c10']) m.recordMessage(line(config, 0));
    const samples = parseMetrics(m.exposition());
    assert.equal(valueOf(samples, 'nginx_ingress_controller_requests', { ingress: 'shop' }), 2);
    assert.equal(valueOf(samples, 'nginx_ingress_controller_requests', { ingress: 'blog' }), 3);
  });

  it('forgets a config once eight newer ones are known, even the one its last line came from', () => {
    const m = new TrafficMetrics();
    m.addRoutes('first', [route('shop', '/')]);
    assert.equal(m.recordMessage(line('first', 0)), 'counted');
    for (let i = 0; i < 8; i++) m.addRoutes(`later-${i}`, [route('shop', '/')]);
    assert.equal(m.recordMessage(line('first', 0)), 'unknown_config');
    assert.equal(m.recordMessage(line('later-0', 0)), 'counted');
  });

  it('counts a canary backend under its own series, beside the main one of the same route', () => {
    const m = new TrafficMetrics();
    m.addRoutes('c', [route('shop', '/')]);
    const canary = metricsLine({ c: 'c', r: '0', cn: 'web_shop-preview_80' });
    m.recordMessage(canary);
    m.recordMessage(canary);
    m.recordMessage(line('c', 0));
    const samples = parseMetrics(m.exposition());
    const requests = (canaryLabel: string) =>
      valueOf(samples, 'nginx_ingress_controller_requests', { ingress: 'shop', canary: canaryLabel });
    assert.equal(requests('web_shop-preview_80'), 2);
    assert.equal(requests(''), 1);
  });

  it('counts from the bytes of the file as from the text over syslog', () => {
    const lines = [
      metricsLine({ c: 'c', r: '0', m: 'POST', s: '502', us: '502, 504', uc: '-, 0.001', uh: '-, -' }),
      metricsLine({ c: 'c', r: '0', t: 'TLSv1.3', sr: 'r' }, false),
      metricsLine({ c: 'c', r: '0', rt: '0.250', bs: '1000' }, false),
    ];
    const [text, bytes] = [new TrafficMetrics(), new TrafficMetrics()];
    for (const m of [text, bytes]) m.addRoutes('c', [route('shop', '/')]);
    for (const l of lines) {
      text.recordMessage(l);
      bytes.recordLine(Buffer.from(`${l}\n`));
    }
    assert.equal(bytes.exposition(), text.exposition());
    const samples = parseMetrics(bytes.exposition());
    assert.equal(
      valueOf(samples, 'gatehouse_upstream_errors_total', { ingress: 'shop', kind: 'connect' }),
      1,
    );
    assert.equal(
      valueOf(samples, 'gatehouse_upstream_errors_total', { ingress: 'shop', kind: 'no_response' }),
      1,
    );
    assert.equal(
      valueOf(samples, 'gatehouse_tls_handshakes_total', { tls_version: 'TLSv1.3', resumed: 'true' }),
      1,
    );
    assert.equal(
      valueOf(samples, 'nginx_ingress_controller_request_duration_seconds_bucket', {
        method: 'GET',
        le: '0.25',
      }),
      2,
    );
  });
});
