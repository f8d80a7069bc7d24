// NGINX speaks HTTP/1.1 with keep-alive to the pods: many requests ride on few TCP connections.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ingress, writeManifest } from '../support/fixtures.ts';
import { startGatehouse, type RunningGatehouse } from '../support/gatehouse-process.ts';
import { request } from '../support/http-client.ts';
import { Backends, echoOf, manifestsFolder, removeFolder } from '../support/integration.ts';

const HOST = 'keepalive.example.com';
const REQUESTS = 40;

describe('keep-alive to upstreams', () => {
  let manifests: string | undefined;
  let backends: Backends | undefined;
  let gatehouse: RunningGatehouse | undefined;

  before(async () => {
    manifests = await manifestsFolder();
    backends = await Backends.start(['pooled']);
    await writeManifest(manifests, 'services.yaml', backends.services());
    await writeManifest(manifests, 'ingress.yaml', [
      ingress({ name: 'pooled', rules: [{ host: HOST, paths: [{ service: 'pooled', port: 80 }] }] }),
    ]);
    gatehouse = await startGatehouse(manifests);
  });

  after(async () => {
    await gatehouse?.stop();
    await backends?.close();
    await removeFolder(manifests);
  });

  it(`${REQUESTS} sequential client requests reach the pod over far fewer connections`, async () => {
    assert.ok(gatehouse && backends);
    const pod = backends.get('pooled');
    const connectionsBefore = pod.connections();
    const hitsBefore = pod.hits();
    for (let i = 0; i < REQUESTS; i++) {
      // Each client request uses a new client connection (Connection: close) ...
      const reply = await request('http', gatehouse.httpPort, HOST, `/req/${i}`);
      assert.equal(reply.status, 200);
      const { headers } = echoOf(reply);
      // ... but NGINX does not pass that on: the upstream connection stays open.
      assert.notEqual(headers.connection, 'close');
    }
    const connections = pod.connections() - connectionsBefore;
    assert.equal(pod.hits() - hitsBefore, REQUESTS);
    assert.ok(
      connections <= REQUESTS / 4,
      `${REQUESTS} requests used ${connections} upstream connections; keep-alive should reuse them`,
    );
  });
});
