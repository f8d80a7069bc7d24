import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { PooledKubeConfig } from '../../src/sources/kube/kube-connections.ts';
import { certificateFor } from '../support/fixtures.ts';
import {
  FAKE_API_TOKEN,
  fakeApiServer,
  kubeConfigFor,
  type FakeApiServer,
} from '../support/fake-api-server.ts';

/** Answers like the API server: a watch sends one event, anything else an empty Namespace list. */
function answer(url: URL, res: ServerResponse): void {
  if (url.searchParams.get('watch') === 'true') {
    res.write(
      `${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a', resourceVersion: '2' } } })}\n`,
    );
    res.end();
    return;
  }
  res.end(
    JSON.stringify({
      kind: 'NamespaceList',
      apiVersion: 'v1',
      metadata: { resourceVersion: '1' },
      items: [],
    }),
  );
}

async function watchOnce(config: KubeConfig): Promise<void> {
  const seen = new Promise<void>((resolve, reject) => {
    void new Watch(config).watch(
      '/api/v1/namespaces',
      {},
      () => resolve(),
      (err) => {
        if (err !== null && err !== undefined) reject(err as Error);
      },
    );
  });
  await seen;
}

describe('PooledKubeConfig', () => {
  let server: FakeApiServer;
  before(async () => {
    server = await fakeApiServer(answer);
  });
  after(async () => {
    await server.close();
  });

  it('sends API requests and watches over one kept-alive TLS connection', async () => {
    const start = server.connections();
    const config = kubeConfigFor(server, new PooledKubeConfig());
    const api = config.makeApiClient(CoreV1Api);
    for (let i = 0; i < 5; i++) await api.listNamespace();
    await watchOnce(config);
    await api.listNamespace();
    assert.equal(server.connections() - start, 1);
    assert.deepEqual(
      new Set(server.requests.map((r) => r.authorization)),
      new Set([`Bearer ${FAKE_API_TOKEN}`]),
    );
  });

  it('is what makes the difference: client-node alone opens a connection per request', async () => {
    const start = server.connections();
    const api = kubeConfigFor(server).makeApiClient(CoreV1Api);
    for (let i = 0; i < 3; i++) await api.listNamespace();
    assert.equal(server.connections() - start, 3);
  });

  it('still authenticates and checks the server against the configured CA', async () => {
    const other = await certificateFor('localhost');
    const config = kubeConfigFor({ url: server.url, ca: other.cert }, new PooledKubeConfig());
    await assert.rejects(config.makeApiClient(CoreV1Api).listNamespace());
  });
});
