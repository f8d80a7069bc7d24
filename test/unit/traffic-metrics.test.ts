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
});
