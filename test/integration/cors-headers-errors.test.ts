// What a browser and a client see of enable-cors, custom-headers and custom-http-errors through real
// NGINX: the preflight answer, CORS headers only for allowed origins, response headers replacing the
// pod's, and the error backend's page (told the code) in place of the pod's error or of a dead Service.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { ingress } from '../support/fixtures.ts';
import { request } from '../support/http-client.ts';
import { echoOf, serveFolder, type ServedFolder } from '../support/integration.ts';

const A = 'nginx.ingress.kubernetes.io/';
const site = (host: string, annotations: Record<string, string>, service = 'web') =>
  ingress({
    name: host.split('.')[0] ?? host,
    annotations: Object.fromEntries(Object.entries(annotations).map(([k, v]) => [A + k, v])),
    rules: [{ host, paths: [{ path: '/', pathType: 'Prefix', service, port: 80 }] }],
  });
const configMap = (namespace: string, name: string, data: Record<string, string>): KubernetesObject =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace, name }, data }) as KubernetesObject;

describe('CORS, response headers and error pages, through real NGINX', () => {
  let folder: ServedFolder | undefined;

  before(async () => {
    folder = await serveFolder(
      ['web', 'error-pages'],
      [
        configMap('gatehouse', 'config', { 'global-allowed-response-headers': 'X-Frame-Options, X-Backend' }),
        configMap('default', 'frame-headers', { 'X-Frame-Options': 'DENY', 'X-Backend': 'hidden' }),
        site('api.example.com', {
          'enable-cors': 'true',
          'cors-allow-origin': 'https://app.example.com, https://*.example.org',
          'cors-allow-methods': 'GET, POST',
          'cors-max-age': '600',
        }),
        site('public.example.com', { 'enable-cors': 'true', 'custom-headers': 'frame-headers' }),
        site('errors.example.com', { 'custom-http-errors': '404', 'default-backend': 'error-pages' }),
        site('dead.example.com', { 'default-backend': 'error-pages' }, 'missing'),
      ],
      ['--configmap', 'gatehouse/config'],
    );
  });

  after(async () => {
    await folder?.stop();
  });

  const send = async (host: string, path: string, headers: Record<string, string> = {}, method = 'GET') => {
    assert.ok(folder);
    return request('http', folder.gatehouse.httpPort, host, path, { method, headers });
  };

  it('answers the preflight of an allowed origin itself, with 204 and the CORS headers', async () => {
    const reply = await send(
      'api.example.com',
      '/orders',
      { origin: 'https://shop.example.org', 'access-control-request-method': 'POST' },
      'OPTIONS',
    );
    assert.equal(reply.status, 204);
    assert.equal(reply.headers['x-backend'], undefined, 'the pod never saw the preflight');
    assert.equal(reply.headers['access-control-allow-origin'], 'https://shop.example.org');
    assert.equal(reply.headers['access-control-allow-methods'], 'GET, POST');
    assert.equal(reply.headers['access-control-allow-credentials'], 'true');
    assert.equal(reply.headers['access-control-max-age'], '600');
    assert.equal(reply.headers.vary, 'Origin');
  });

  it("adds the CORS headers to the pod's answer for an allowed origin, and none for another", async () => {
    const allowed = await send('api.example.com', '/orders', { origin: 'https://app.example.com' });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://app.example.com');
    const other = await send('api.example.com', '/orders', { origin: 'https://evil.example.net' });
    assert.equal(other.status, 200);
    assert.equal(other.headers['access-control-allow-origin'], undefined);
    const preflight = await send(
      'api.example.com',
      '/orders',
      { origin: 'https://evil.example.net' },
      'OPTIONS',
    );
    assert.equal(
      preflight.headers['x-backend'],
      'web',
      'a preflight from elsewhere reaches the pod, as in ingress-nginx',
    );
  });

  it('answers any origin with * when cors-allow-origin is not set', async () => {
    const reply = await send('public.example.com', '/', { origin: 'https://anyone.example' });
    assert.equal(reply.headers['access-control-allow-origin'], '*');
  });

  it('sets the custom headers, replacing what the pod sent under the same name', async () => {
    const reply = await send('public.example.com', '/');
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['x-frame-options'], 'DENY');
    assert.equal(reply.headers['x-backend'], 'hidden');
  });

  it("serves the error backend's page for a listed code from the pod, telling it what happened", async () => {
    const reply = await send('errors.example.com', '/missing/page?status=404', { accept: 'text/html' });
    const echo = echoOf(reply);
    assert.equal(echo.backend, 'error-pages');
    assert.equal(echo.url, '/?status=404', 'asked for /, the query kept as ingress-nginx does');
    assert.equal(echo.headers['x-code'], '404');
    assert.equal(echo.headers['x-format'], 'text/html');
    assert.equal(echo.headers['x-original-uri'], '/missing/page?status=404');
    assert.equal(echo.headers['x-namespace'], 'default');
    assert.equal(echo.headers['x-ingress-name'], 'errors');
    assert.equal(echo.headers['x-service-name'], 'web');
    const fine = await send('errors.example.com', '/page');
    assert.equal(echoOf(fine).backend, 'web');
  });

  it('sends requests for a Service that does not exist to default-backend', async () => {
    const echo = echoOf(await send('dead.example.com', '/anything'));
    assert.equal(echo.backend, 'error-pages');
    assert.equal(echo.headers['x-code'], '503');
  });
});
