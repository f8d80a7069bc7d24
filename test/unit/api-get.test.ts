// The informers read lists and Secrets as plain JSON (src/sources/kube/api-get.ts), not through client-node's
// typed API: the objects cached must be plain, with timestamps as the strings a watch event carries; the
// kubeconfig's credentials and CA still apply, pages go on with the server's continue token, and an error
// answer carries its HTTP status (what the informers' restart and the auth-map refetch read).
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { KubeApiError, getJson, listPage } from '../../src/sources/kube/api-get.ts';
import { certificateFor } from '../support/fixtures.ts';
import {
  FAKE_API_TOKEN,
  fakeApiServer,
  kubeConfigFor,
  type FakeApiServer,
} from '../support/fake-api-server.ts';

const SLICE = {
  metadata: { name: 'web-x1', namespace: 'shop', creationTimestamp: '2026-12-01T19:49:09Z' },
  addressType: 'IPv4',
  endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: true } }],
  ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
};

/** Answers like the API server: a list page (two pages, by continue token), a forbidden Secret. */
function answer(url: URL, res: ServerResponse): void {
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
}

describe('API reads as plain JSON', () => {
  let server: FakeApiServer;
  before(async () => {
    server = await fakeApiServer(answer);
  });
  after(async () => {
    await server.close();
  });

  it('a list page: plain objects as the server sent them, the continue token, the query and credentials', async () => {
    const config = kubeConfigFor(server);
    const path = '/apis/discovery.k8s.io/v1/endpointslices';
    const first = await listPage(config, path, { limit: 2 }, 'metadata.name=web-x1');
    assert.deepEqual(first.items, [SLICE]);
    const item = first.items[0] as object;
    assert.equal(Object.getPrototypeOf(item), Object.prototype, 'a plain object, not a model class');
    assert.equal(typeof (item as typeof SLICE).metadata.creationTimestamp, 'string');
    assert.deepEqual(first.metadata, { resourceVersion: '42', _continue: 'page-2' });
    const second = await listPage(config, path, { limit: 2, _continue: 'page-2' });
    assert.deepEqual(second.metadata, { resourceVersion: '42' }, 'the last page has no continue token');
    const [a, b] = server.requests.slice(-2).map((r) => r.url);
    assert.ok(a && b);
    assert.equal(a.pathname, path);
    assert.deepEqual(Object.fromEntries(a.searchParams), {
      limit: '2',
      fieldSelector: 'metadata.name=web-x1',
    });
    assert.deepEqual(Object.fromEntries(b.searchParams), { limit: '2', continue: 'page-2' });
    assert.deepEqual(
      new Set(server.requests.map((r) => r.authorization)),
      new Set([`Bearer ${FAKE_API_TOKEN}`]),
    );
  });

  it('an error answer rejects with its HTTP status and the server’s message', async () => {
    const error = await getJson(kubeConfigFor(server), '/api/v1/namespaces/shop/secrets/users').then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof KubeApiError);
    assert.equal(error.code, 403);
    assert.match(error.message, /secrets "users" is forbidden/);
  });

  it('checks the server against the kubeconfig’s CA', async () => {
    const other = await certificateFor('localhost');
    await assert.rejects(getJson(kubeConfigFor({ url: server.url, ca: other.cert }), '/api/v1/namespaces'));
  });
});
