// The informers read lists and Secrets as plain JSON (src/sources/kube/api-get.ts), not through client-node's
// typed API: the objects cached must be plain, with timestamps as the strings a watch event carries; the
// kubeconfig's credentials and CA still apply, pages go on with the server's continue token, and an error
// answer carries its HTTP status (what the informers' restart and the auth-map refetch read).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError, getJson, listPage } from '../../src/sources/kube/api-get.ts';
import { certificateFor } from '../support/fixtures.ts';

const SLICE = {
  metadata: { name: 'web-x1', namespace: 'shop', creationTimestamp: '2026-12-01T19:49:09Z' },
  addressType: 'IPv4',
  endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: true } }],
  ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
};

/** A loopback HTTPS server answering like the API server: a list page, a forbidden Secret. */
async function fakeApiServer(): Promise<{
  url: string;
  ca: string;
  asked: URL[];
  auth: string[];
  close: () => Promise<void>;
}> {
  const certificate = await certificateFor('localhost');
  const asked: URL[] = [];
  const auth: string[] = [];
  const server = https.createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://localhost');
    asked.push(url);
    auth.push(req.headers.authorization ?? '');
    res.setHeader('content-type', 'application/json');
    if (url.pathname.startsWith('/api/v1/namespaces/shop/secrets/')) {
      res.statusCode = 403;
      res.end(
        JSON.stringify({
          kind: 'Status',
          status: 'Failure',
          message: 'secrets "users" is forbidden',
          code: 403,
        }),
      );
      return;
    }
    const last = url.searchParams.get('continue') === 'page-2';
    res.end(
      JSON.stringify({
        kind: 'EndpointSliceList',
        apiVersion: 'discovery.k8s.io/v1',
        metadata: { resourceVersion: '42', ...(last ? {} : { continue: 'page-2' }) },
        items: [SLICE],
      }),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://localhost:${port}`,
    ca: certificate.cert,
    asked,
    auth,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

function configFor(server: { url: string; ca: string }): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'c', server: server.url, caData: Buffer.from(server.ca).toString('base64') }],
    users: [{ name: 'u', token: 'secret-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return config;
}

describe('API reads as plain JSON', () => {
  let server: Awaited<ReturnType<typeof fakeApiServer>>;
  before(async () => {
    server = await fakeApiServer();
  });
  after(async () => {
    await server.close();
  });

  it('a list page: plain objects as the server sent them, the continue token, the query and credentials', async () => {
    const config = configFor(server);
    const path = '/apis/discovery.k8s.io/v1/endpointslices';
    const first = await listPage(config, path, { limit: 2 }, 'metadata.name=web-x1');
    assert.deepEqual(first.items, [SLICE]);
    const item = first.items[0] as object;
    assert.equal(Object.getPrototypeOf(item), Object.prototype, 'a plain object, not a model class');
    assert.equal(typeof (item as typeof SLICE).metadata.creationTimestamp, 'string');
    assert.deepEqual(first.metadata, { resourceVersion: '42', _continue: 'page-2' });
    const second = await listPage(config, path, { limit: 2, _continue: 'page-2' });
    assert.deepEqual(second.metadata, { resourceVersion: '42' }, 'the last page has no continue token');
    const [a, b] = server.asked.slice(-2);
    assert.ok(a && b);
    assert.equal(a.pathname, path);
    assert.deepEqual(Object.fromEntries(a.searchParams), {
      limit: '2',
      fieldSelector: 'metadata.name=web-x1',
    });
    assert.deepEqual(Object.fromEntries(b.searchParams), { limit: '2', continue: 'page-2' });
    assert.deepEqual(new Set(server.auth), new Set(['Bearer secret-token']));
  });

  it('an error answer rejects with its HTTP status and the server’s message', async () => {
    const error = await getJson(configFor(server), '/api/v1/namespaces/shop/secrets/users').then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof KubeApiError);
    assert.equal(error.code, 403);
    assert.match(error.message, /secrets "users" is forbidden/);
  });

  it('checks the server against the kubeconfig’s CA', async () => {
    const other = await certificateFor('localhost');
    await assert.rejects(getJson(configFor({ url: server.url, ca: other.cert }), '/api/v1/namespaces'));
  });
});
