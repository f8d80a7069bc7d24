import assert from 'node:assert/strict';
import { once } from 'node:events';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { PooledKubeConfig } from '../../src/sources/kube/kube-connections.ts';
import { certificateFor } from '../support/fixtures.ts';

/** A loopback HTTPS server answering like the API server would, counting the TLS connections made to it. */
async function fakeApiServer(): Promise<{
  url: string;
  ca: string;
  connections: () => number;
  authorizations: string[];
  close: () => Promise<void>;
}> {
  const certificate = await certificateFor('localhost');
  let connections = 0;
  const authorizations: string[] = [];
  const server = https.createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    authorizations.push(req.headers.authorization ?? '');
    res.setHeader('content-type', 'application/json');
    if (req.url?.includes('watch=true')) {
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
  });
  server.on('secureConnection', () => (connections += 1));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://localhost:${port}`,
    ca: certificate.cert,
    connections: () => connections,
    authorizations,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

function configFor(config: KubeConfig, server: { url: string; ca: string }): KubeConfig {
  config.loadFromOptions({
    clusters: [{ name: 'c', server: server.url, caData: Buffer.from(server.ca).toString('base64') }],
    users: [{ name: 'u', token: 'secret-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return config;
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
  let server: Awaited<ReturnType<typeof fakeApiServer>>;
  before(async () => {
    server = await fakeApiServer();
  });
  after(async () => {
    await server.close();
  });

  it('sends API requests and watches over one kept-alive TLS connection', async () => {
    const start = server.connections();
    const config = configFor(new PooledKubeConfig(), server);
    const api = config.makeApiClient(CoreV1Api);
    for (let i = 0; i < 5; i++) await api.listNamespace();
    await watchOnce(config);
    await api.listNamespace();
    assert.equal(server.connections() - start, 1);
    assert.deepEqual(new Set(server.authorizations), new Set(['Bearer secret-token']));
  });

  it('is what makes the difference: client-node alone opens a connection per request', async () => {
    const start = server.connections();
    const api = configFor(new KubeConfig(), server).makeApiClient(CoreV1Api);
    for (let i = 0; i < 3; i++) await api.listNamespace();
    assert.equal(server.connections() - start, 3);
  });

  it('still authenticates and checks the server against the configured CA', async () => {
    const other = await certificateFor('localhost');
    const config = configFor(new PooledKubeConfig(), { url: server.url, ca: other.cert });
    await assert.rejects(config.makeApiClient(CoreV1Api).listNamespace());
  });
});
