// Stopping without dropping requests: after SIGTERM Gatehouse keeps serving for --shutdown-grace-period
// (while load balancers and kube-proxy withdraw the pod) with /healthz failing so readiness drops it too,
// then NGINX finishes the requests in flight; the ConfigMap's worker-shutdown-timeout bounds how long.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { ingress } from '../support/fixtures.ts';
import { request } from '../support/http-client.ts';
import { describeReply, serveFolder, type ServedFolder } from '../support/integration.ts';

const web = ingress({
  name: 'web',
  rules: [{ host: 'web.example.com', paths: [{ service: 'web', port: 80 }] }],
});
const configMap = (data: Record<string, string>): KubernetesObject =>
  ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'gatehouse', namespace: 'ops' },
    data,
  }) as KubernetesObject;

const exited = (served: ServedFolder): Promise<number | null> =>
  new Promise((resolve) => {
    const child = served.gatehouse.process;
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

describe('draining on SIGTERM', () => {
  const running: ServedFolder[] = [];
  after(async () => {
    await Promise.all(running.map((s) => s.stop()));
  });

  it('keeps serving through the grace period with /healthz failing, then finishes requests in flight', async () => {
    const served = await serveFolder(['web'], [web], ['--shutdown-grace-period', '2']);
    running.push(served);
    const { httpPort, healthzPort } = served.gatehouse;
    const inFlight = request('http', httpPort, 'web.example.com', '/?delay=2800', { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 100));
    const stopped = Date.now();
    served.gatehouse.process.kill('SIGTERM');
    const exit = exited(served);

    // A client that keeps sending during the grace period gets every answer.
    const answers: string[] = [];
    let health = 0;
    while (Date.now() - stopped < 1800) {
      answers.push(describeReply(await request('http', httpPort, 'web.example.com', '/')));
      health = await fetch(`http://127.0.0.1:${healthzPort}/healthz`).then((r) => r.status);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(answers.length > 10, `${answers.length} requests`);
    assert.deepEqual([...new Set(answers)], ['200 web']);
    assert.equal(health, 503, '/healthz fails while draining');

    assert.equal(describeReply(await inFlight), '200 web', 'the request in flight was finished');
    assert.equal(await exit, 0);
    const took = Date.now() - stopped;
    assert.ok(took >= 2000 && took < 8000, `stopped after ${took} ms`);
    assert.match(served.gatehouse.logs(), /still serving while this instance is withdrawn/);
  });

  it('stops waiting for requests in flight after worker-shutdown-timeout', async () => {
    const served = await serveFolder(
      ['web'],
      [web, configMap({ 'worker-shutdown-timeout': '1' })],
      ['--configmap', 'ops/gatehouse'],
    );
    running.push(served);
    const slow = request('http', served.gatehouse.httpPort, 'web.example.com', '/?delay=20000', {
      timeoutMs: 30_000,
    }).then(
      (r) => `HTTP ${r.status}`,
      (e: unknown) => `closed: ${(e as Error).message}`,
    );
    await new Promise((r) => setTimeout(r, 200));
    const stopped = Date.now();
    served.gatehouse.process.kill('SIGTERM');
    assert.equal(await exited(served), 0);
    const took = Date.now() - stopped;
    assert.ok(took < 6000, `NGINX waited ${took} ms for a 20 s request`);
    assert.match(await slow, /^closed|^HTTP 5/);
  });
});
