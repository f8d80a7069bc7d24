// ConfigMap keys a client notices, against real NGINX: HSTS as ingress-nginx sends it by default, gzip,
// block-cidrs and block-user-agents on every host, server-tokens, generate-request-id, and the access log
// written in the format log-format-upstream gives (ingress-nginx's own variable names included).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { configMap, ingress, writeManifest } from '../support/fixtures.ts';
import { launchGatehouse, waitUntilHealthy, type LaunchedGatehouse } from '../support/gatehouse-process.ts';
import { eventually, request } from '../support/http-client.ts';
import {
  Backends,
  echoOf,
  manifestsFolder,
  removeFolder,
  serveFolder,
  type ServedFolder,
} from '../support/integration.ts';

const BLOCKED = '127.0.0.6';

describe('ConfigMap defaults a client sees', () => {
  let served: ServedFolder | undefined;
  before(async () => {
    served = await serveFolder(
      ['web'],
      [ingress({ name: 'web', rules: [{ host: 'web.example.com', paths: [{ service: 'web', port: 80 }] }] })],
    );
  });
  after(async () => {
    await served?.stop();
  });

  it('sends HSTS with includeSubDomains over HTTPS only, and hides the NGINX version', async () => {
    assert.ok(served);
    const https = await request('https', served.gatehouse.httpsPort, 'web.example.com', '/');
    assert.equal(https.status, 200);
    assert.equal(https.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
    assert.equal(https.headers['server'], 'nginx');
    const http = await request('http', served.gatehouse.httpPort, 'web.example.com', '/', {
      headers: { 'user-agent': 'BadBot/1.0' },
    });
    assert.equal(http.status, 200, 'no user agent is blocked by default');
    assert.equal(http.headers['strict-transport-security'], undefined, 'no HSTS over plain HTTP');
  });
});

describe('ConfigMap keys a client sees', () => {
  let served: ServedFolder | undefined;
  const get = (headers: Record<string, string>, localAddress?: string) => {
    assert.ok(served);
    return request('http', served.gatehouse.httpPort, 'web.example.com', '/', {
      headers,
      ...(localAddress === undefined ? {} : { localAddress }),
    });
  };

  before(async () => {
    served = await serveFolder(
      ['web'],
      [
        ingress({ name: 'web', rules: [{ host: 'web.example.com', paths: [{ service: 'web', port: 80 }] }] }),
        configMap({
          hsts: 'false',
          'server-tokens': 'true',
          'use-gzip': 'true',
          'gzip-min-length': '10',
          'block-cidrs': `${BLOCKED}/32`,
          'block-user-agents': 'BadBot/1.0, ~*(curl|wget)/',
          'generate-request-id': 'false',
        }),
      ],
      ['--configmap', 'ops/gatehouse'],
    );
  });
  after(async () => {
    await served?.stop();
  });

  it('compresses the gzip-types for a client that accepts gzip, and only then', async () => {
    const zipped = await get({ 'accept-encoding': 'gzip' });
    assert.equal(zipped.status, 200);
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.match(String(zipped.headers['vary']), /Accept-Encoding/);
    const plain = await get({});
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(echoOf(plain).backend, 'web');
  });

  it("with generate-request-id off, passes a client's X-Request-ID and makes none up", async () => {
    assert.equal(echoOf(await get({})).headers['x-request-id'], undefined);
    assert.equal(echoOf(await get({ 'x-request-id': 'trace-7' })).headers['x-request-id'], 'trace-7');
  });

  it('refuses a blocked user agent (exact or by regex) and a blocked client address with 403', async () => {
    assert.equal((await get({ 'user-agent': 'BadBot/1.0' })).status, 403);
    assert.equal((await get({ 'user-agent': 'curl/8.5.0' })).status, 403);
    assert.equal((await get({ 'user-agent': 'WGET/1.21' })).status, 403, '~* is case-insensitive');
    assert.equal((await get({ 'user-agent': 'BadBot/1.01' })).status, 200, 'an exact value is exact');
    assert.equal((await get({ 'user-agent': 'Mozilla/5.0' })).status, 200);
    assert.equal((await get({}, BLOCKED)).status, 403);
    assert.equal((await get({}, '127.0.0.7')).status, 200);
  });

  it('names the NGINX version with server-tokens and sends no HSTS with hsts off', async () => {
    assert.ok(served);
    const https = await request('https', served.gatehouse.httpsPort, 'web.example.com', '/');
    assert.match(String(https.headers['server']), /^nginx\/\d+\.\d+\.\d+/);
    assert.equal(https.headers['strict-transport-security'], undefined);
  });
});

describe('log-format-upstream', () => {
  let manifests = '';
  let backends: Backends | undefined;
  let gatehouse: LaunchedGatehouse | undefined;

  before(async () => {
    manifests = await manifestsFolder();
    backends = await Backends.start(['logged']);
    await writeManifest(manifests, 'app.yaml', [
      ...backends.services(),
      ingress({
        name: 'logged',
        rules: [{ host: 'log.example.com', paths: [{ service: 'logged', port: 80 }] }],
      }),
      configMap({
        'log-format-upstream': 'custom $remote_addr "$request" $status id=$req_id up=$proxy_upstream_name',
      }),
    ]);
  });
  after(async () => {
    await gatehouse?.stop();
    await backends?.close();
    await removeFolder(manifests);
  });

  it('writes each request in that format, ingress-nginx variable names included', async () => {
    gatehouse = await launchGatehouse(manifests, ['--configmap', 'ops/gatehouse'], { stdout: 'pipe' });
    await waitUntilHealthy(gatehouse, 8000);
    const reply = await request('http', gatehouse.httpPort, 'log.example.com', '/logged-check', {
      headers: { 'x-request-id': 'trace-42' },
    });
    assert.equal(reply.status, 200);
    const g = gatehouse;
    const output = await eventually(
      () => Promise.resolve(g.output()),
      (text) => text.includes('/logged-check'),
    );
    assert.match(
      output,
      /^custom 127\.0\.0\.1 "GET \/logged-check HTTP\/1\.1" 200 id=trace-42 up=default_logged_80$/m,
    );
  });
});
