// What the pod sees of a proxied request: the Host as the client sent it, the X-Forwarded-* family,
// X-Real-IP and X-Request-ID (kept when sent, generated when not).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ingress, writeManifest } from '../support/fixtures.ts';
import { startGatehouse, type RunningGatehouse } from '../support/gatehouse-process.ts';
import { request, type RequestOptions } from '../support/http-client.ts';
import type { EchoReply } from '../support/echo-backend.ts';
import { Backends, echoOf, manifestsFolder, removeFolder } from '../support/integration.ts';

const HOST = 'headers.example.com';

describe('proxied request headers', () => {
  let manifests: string | undefined;
  let backends: Backends | undefined;
  let gatehouse: RunningGatehouse | undefined;
  const echo = async (
    scheme: 'http' | 'https',
    path = '/',
    options: RequestOptions = {},
  ): Promise<EchoReply> => {
    assert.ok(gatehouse);
    const reply = await request(
      scheme,
      scheme === 'http' ? gatehouse.httpPort : gatehouse.httpsPort,
      HOST,
      path,
      options,
    );
    assert.equal(reply.status, 200);
    return echoOf(reply);
  };

  before(async () => {
    manifests = await manifestsFolder();
    backends = await Backends.start(['headers']);
    await writeManifest(manifests, 'services.yaml', backends.services());
    await writeManifest(manifests, 'ingress.yaml', [
      ingress({
        name: 'headers',
        // No TLS section: HTTPS is served with the default certificate, and HTTP is not redirected.
        rules: [{ host: HOST, paths: [{ service: 'headers', port: 80 }] }],
      }),
    ]);
    gatehouse = await startGatehouse(manifests);
  });

  after(async () => {
    await gatehouse?.stop();
    await backends?.close();
    await removeFolder(manifests);
  });

  it('over HTTP: Host as sent (with port), X-Forwarded-*, X-Real-IP', async () => {
    assert.ok(gatehouse);
    const { headers, url, method } = await echo('http', '/path/to?x=1&y=2');
    const hostHeader = `${HOST}:${gatehouse.httpPort}`;
    assert.equal(method, 'GET');
    assert.equal(url, '/path/to?x=1&y=2', 'the URI reaches the pod unchanged');
    assert.equal(headers.host, hostHeader);
    assert.equal(headers['x-forwarded-host'], hostHeader);
    assert.equal(headers['x-forwarded-proto'], 'http');
    assert.equal(headers['x-forwarded-port'], String(gatehouse.httpPort));
    assert.equal(headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(headers['x-real-ip'], '127.0.0.1');
  });

  it('over HTTPS: X-Forwarded-Proto https and the HTTPS port', async () => {
    assert.ok(gatehouse);
    const { headers } = await echo('https');
    assert.equal(headers.host, `${HOST}:${gatehouse.httpsPort}`);
    assert.equal(headers['x-forwarded-host'], `${HOST}:${gatehouse.httpsPort}`);
    assert.equal(headers['x-forwarded-proto'], 'https');
    assert.equal(headers['x-forwarded-port'], String(gatehouse.httpsPort));
    assert.equal(headers['x-forwarded-for'], '127.0.0.1');
  });

  it('a Host header without a port reaches the pod without one', async () => {
    const { headers } = await echo('http', '/', { headers: { host: HOST } });
    assert.equal(headers.host, HOST);
    assert.equal(headers['x-forwarded-host'], HOST);
  });

  it('generates a distinct X-Request-ID when the client sends none', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(String((await echo('http')).headers['x-request-id']));
    for (const id of ids) assert.match(id, /^[0-9a-f]{32}$/);
    assert.equal(new Set(ids).size, ids.length);
    // Made by Gatehouse's generator (request_id.lua), not OpenSSL's per request: a worker's ids share their
    // first 24 digits, and 20 requests reach some worker twice.
    const prefixes = new Set(ids.map((id) => id.slice(0, 24)));
    assert.ok(prefixes.size < ids.length, `no two ids from one worker: ${ids.join(' ')}`);
  });

  it('passes a client X-Request-ID through unchanged', async () => {
    const { headers } = await echo('http', '/', { headers: { 'x-request-id': 'trace-1234-abcd' } });
    assert.equal(headers['x-request-id'], 'trace-1234-abcd');
  });

  it('does not trust X-Forwarded-For/Proto sent by the client (use-forwarded-headers is off)', async () => {
    const { headers } = await echo('http', '/', {
      headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https', 'x-real-ip': '203.0.113.9' },
    });
    assert.equal(headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(headers['x-forwarded-proto'], 'http');
    assert.equal(headers['x-real-ip'], '127.0.0.1');
  });

  it('passes the method and body through', async () => {
    const reply = await echo('http', '/submit', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"order":"flat white"}',
    });
    assert.equal(reply.method, 'POST');
    assert.equal(reply.body, '{"order":"flat white"}');
  });
});
