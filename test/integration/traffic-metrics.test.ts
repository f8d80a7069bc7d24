import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ingress, serviceWithEndpoints } from '../support/fixtures.ts';
import { eventually, request } from '../support/http-client.ts';
import { serveFolder, type ServedFolder } from '../support/integration.ts';
import { freePort } from '../support/ports.ts';
import { scrape, samplesOf, valueOf, type Sample } from '../support/prometheus.ts';

// Per-Ingress traffic metrics, end to end: real NGINX logs each request to the controller, which counts
// it under the Ingress path that served it. After a known mix of requests, /metrics shows exactly it.
const HOST = 'shop.example.com';

function shop(paths: string[]) {
  return ingress({
    name: 'shop',
    rules: [
      {
        host: HOST,
        paths: paths.map((p) => ({ path: `/${p}`, pathType: 'Prefix' as const, service: p, port: 80 })),
      },
    ],
  });
}

const route = (path: string, service: string) => ({
  path,
  namespace: 'default',
  ingress: 'shop',
  service,
  host: HOST,
  canary: '',
});
const catchAll = { path: '', namespace: '', ingress: '', service: '', canary: '' };

describe('traffic metrics from real requests', () => {
  let served: ServedFolder;
  let samples: Sample[];
  let closedPort: number;

  before(async () => {
    closedPort = await freePort(); // nothing listens there: connections to it are refused
    const objects = [
      shop(['api', 'slow', 'empty', 'gone']),
      ...serviceWithEndpoints('empty', []),
      ...serviceWithEndpoints('gone', [{ ip: '127.0.0.1', port: closedPort }]),
    ];
    served = await serveFolder(['api', 'slow'], objects);
    const { httpPort, httpsPort, healthzPort } = served.gatehouse;
    const get = (path: string, options = {}) => request('http', httpPort, HOST, path, options);
    for (let i = 0; i < 3; i++) assert.equal((await get('/api/items')).status, 200);
    for (let i = 0; i < 2; i++) assert.equal((await get('/api', { method: 'POST', body: 'x' })).status, 200);
    assert.equal((await get('/slow?delay=300')).status, 200);
    for (let i = 0; i < 2; i++) assert.equal((await get('/empty')).status, 503);
    assert.equal((await get('/gone')).status, 502);
    for (let i = 0; i < 3; i++) assert.equal((await get('/nope')).status, 404);
    assert.equal((await request('http', httpPort, 'unknown.example.com', '/')).status, 404);
    assert.equal((await request('https', httpsPort, HOST, '/api')).status, 200);
    const total = 3 + 2 + 1 + 2 + 1 + 3 + 1 + 1;
    samples = await eventually(
      () => scrape(healthzPort),
      (s) => valueOf(s, 'gatehouse_traffic_log_lines_total', { outcome: 'counted' }) === total,
    );
    assert.equal(valueOf(samples, 'gatehouse_traffic_log_lines_total', { outcome: 'counted' }), total);
  });

  after(async () => {
    await served.stop();
  });

  const requests = (labels: Record<string, string>) =>
    valueOf(samples, 'nginx_ingress_controller_requests', labels);

  it('counts requests by Ingress, path as written, Service, method and status class', () => {
    assert.equal(requests({ ...route('/api', 'api'), method: 'GET', status: '2xx' }), 4);
    assert.equal(requests({ ...route('/api', 'api'), method: 'POST', status: '2xx' }), 2);
    assert.equal(requests({ ...route('/slow', 'slow'), method: 'GET', status: '2xx' }), 1);
  });

  it('counts the 503 of a Service without endpoints and the 502 of an unreachable pod', () => {
    assert.equal(requests({ ...route('/empty', 'empty'), method: 'GET', status: '5xx' }), 2);
    assert.equal(requests({ ...route('/gone', 'gone'), method: 'GET', status: '5xx' }), 1);
    const { path, namespace, ingress, service, host } = route('/gone', 'gone');
    const gone = { path, namespace, ingress, service, host };
    assert.equal(valueOf(samples, 'gatehouse_upstream_errors_total', { ...gone, kind: 'connect' }), 1);
    assert.deepEqual(
      samplesOf(samples, 'gatehouse_upstream_errors_total').map((s) => s.labels['path']),
      ['/gone'],
    );
  });

  it('counts 404s on a known host under the host, and unknown hosts under no host', () => {
    assert.equal(requests({ ...catchAll, host: HOST, method: 'GET', status: '4xx' }), 3);
    assert.equal(requests({ ...catchAll, host: '', method: 'GET', status: '4xx' }), 1);
  });

  it('has no other request series: label values come from routes, not from request URIs', () => {
    const all = samplesOf(samples, 'nginx_ingress_controller_requests');
    assert.equal(all.length, 7, JSON.stringify(all.map((s) => s.labels)));
    assert.equal(
      all.reduce((n, s) => n + s.value, 0),
      14,
    );
  });

  it('puts the slow request in the right latency buckets', () => {
    const slow = { ...route('/slow', 'slow'), method: 'GET', status: '2xx' };
    const bucket = (name: string, le: string) => valueOf(samples, `${name}_bucket`, { ...slow, le });
    for (const name of [
      'nginx_ingress_controller_request_duration_seconds',
      'nginx_ingress_controller_response_duration_seconds',
      'nginx_ingress_controller_header_duration_seconds',
    ]) {
      assert.equal(bucket(name, '0.25'), 0, name);
      assert.equal(bucket(name, '1'), 1, name);
    }
    const fast = { ...route('/api', 'api'), method: 'GET', status: '2xx' };
    assert.equal(
      valueOf(samples, 'nginx_ingress_controller_request_duration_seconds_bucket', { ...fast, le: '0.25' }),
      4,
    );
  });

  it('observes request and response sizes', () => {
    const post = { ...route('/api', 'api'), method: 'POST', status: '2xx' };
    assert.equal(valueOf(samples, 'nginx_ingress_controller_request_size_count', post), 2);
    const sum = valueOf(samples, 'nginx_ingress_controller_response_size_sum', post) ?? 0;
    assert.ok(sum > 2 * 200, `response sizes sum to ${sum}`); // the echo reply is a JSON of the request
  });

  it('counts client connections by protocol, and the TLS handshake', () => {
    assert.equal(
      valueOf(samples, 'gatehouse_client_connections_total', { http_version: 'HTTP/1.1', tls_version: '' }),
      13,
    );
    assert.equal(
      valueOf(samples, 'gatehouse_client_connections_total', {
        http_version: 'HTTP/1.1',
        tls_version: 'TLSv1.3',
      }),
      1,
    );
    assert.equal(
      valueOf(samples, 'gatehouse_tls_handshakes_total', { tls_version: 'TLSv1.3', resumed: 'false' }),
      1,
    );
  });

  it("has NGINX's own connection counters", () => {
    const accepted = valueOf(samples, 'nginx_ingress_controller_nginx_process_connections_total', {
      state: 'accepted',
    });
    assert.ok(accepted !== undefined && accepted >= 14, `accepted ${accepted}`);
    assert.ok(
      (valueOf(samples, 'nginx_ingress_controller_nginx_process_connections', { state: 'active' }) ?? 0) >= 1,
    );
    assert.equal(valueOf(samples, 'gatehouse_traffic_log_dropped_total', { reason: 'queue_full' }), 0);
  });

  it('removes the series of a path once the Ingress no longer has it', async () => {
    await served.write([
      shop(['api', 'empty', 'gone']),
      ...serviceWithEndpoints('empty', []),
      ...serviceWithEndpoints('gone', [{ ip: '127.0.0.1', port: closedPort }]),
    ]);
    const after = await eventually(
      () => scrape(served.gatehouse.healthzPort),
      (s) => samplesOf(s, 'nginx_ingress_controller_requests', { path: '/slow' }).length === 0,
    );
    assert.deepEqual(samplesOf(after, 'nginx_ingress_controller_requests', { path: '/slow' }), []);
    assert.deepEqual(
      samplesOf(after, 'nginx_ingress_controller_request_duration_seconds_count', { path: '/slow' }),
      [],
    );
    assert.equal(
      valueOf(after, 'nginx_ingress_controller_requests', {
        ...route('/api', 'api'),
        method: 'POST',
        status: '2xx',
      }),
      2,
    );
  });
});

/** Sends `head` as it is over one connection and resolves to the status line NGINX answers with. */
function rawRequest(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(Buffer.from(head, 'latin1')));
    let reply = '';
    socket.on('data', (chunk: Buffer) => (reply += chunk.toString('latin1')));
    socket.on('end', () => resolve(reply.split('\r\n')[0] ?? ''));
    socket.on('error', reject);
  });
}

// The metrics log is written unescaped (escape=none): whatever bytes a client sends, every line must still
// have its fields in their places, or it would be refused whole (counted as malformed).
describe('traffic metrics from odd requests', () => {
  let served: ServedFolder;
  let samples: Sample[];

  before(async () => {
    served = await serveFolder(['api'], [shop(['api'])]);
    const { httpPort, healthzPort } = served.gatehouse;
    const odd = [
      // A method outside HTTP's registered ones, proxied: counted as OTHER.
      [`PROPFIND /api HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`, '200'],
      // Bytes NGINX's parser refuses in a method or protocol: answered 400 before any location.
      [`G\tT /api HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`, '400'],
      [`GE\x01T /api HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`, '400'],
      [`GET /api HTTP/1.\t\r\nHost: ${HOST}\r\n\r\n`, '400'],
      [`GET /api HTTP/\xff.1\r\nHost: ${HOST}\r\n\r\n`, '400'],
      // Tabs and control bytes where NGINX lets them through (headers, the query): not in the line.
      [`GET /api?a=%01 HTTP/1.1\r\nHost: ${HOST}\r\nUser-Agent: a\tb\r\nConnection: close\r\n\r\n`, '200'],
    ] as const;
    for (const [head, status] of odd) {
      assert.match(
        await rawRequest(httpPort, head),
        new RegExp(`^HTTP/1\\.1 ${status} `),
        JSON.stringify(head),
      );
    }
    samples = await eventually(
      () => scrape(healthzPort),
      (s) => valueOf(s, 'gatehouse_traffic_log_lines_total', { outcome: 'counted' }) === odd.length,
    );
  });

  after(async () => {
    await served.stop();
  });

  it('counts every one, none as malformed', () => {
    assert.equal(valueOf(samples, 'gatehouse_traffic_log_lines_total', { outcome: 'counted' }), 6);
    assert.equal(valueOf(samples, 'gatehouse_traffic_log_lines_total', { outcome: 'malformed' }), 0);
  });

  it('counts them under the method and route they had', () => {
    const requests = (labels: Record<string, string>) =>
      valueOf(samples, 'nginx_ingress_controller_requests', labels);
    assert.equal(requests({ ...route('/api', 'api'), method: 'OTHER', status: '2xx' }), 1);
    assert.equal(requests({ ...route('/api', 'api'), method: 'GET', status: '2xx' }), 1);
    assert.equal(
      samplesOf(samples, 'nginx_ingress_controller_requests')
        .filter((s) => s.labels['status'] === '4xx' && s.labels['path'] === '')
        .reduce((sum, s) => sum + s.value, 0),
      4,
    );
  });
});
