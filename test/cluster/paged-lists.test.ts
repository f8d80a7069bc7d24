// The informers list the real API server in pages (src/sources/kube/paged-list.ts): with pages of two
// objects, every object still reaches the snapshot, trimmed, and the watch goes on from where the list
// ended. Runs KubeSource with the controller's least-privilege kubeconfig.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { KubeConfig, type V1Secret } from '@kubernetes/client-node';
import winston from 'winston';
import type { Snapshot } from '../../src/model/snapshot.ts';
import { KubeSource } from '../../src/sources/kube/kube-source.ts';
import { startClusterEnv, type ClusterEnv } from '../support/cluster-env.ts';
import {
  certificateFor,
  ingress,
  ingressClass,
  serviceWithEndpoints,
  tlsSecret,
} from '../support/fixtures.ts';
import { eventually } from '../support/http-client.ts';

const app = (i: number): ReturnType<typeof ingress> =>
  ingress({
    name: `app-${i}`,
    rules: [{ host: `app-${i}.test`, paths: [{ service: `svc-${i}`, port: 80 }] }],
  });

describe('informers list in pages', () => {
  let env: ClusterEnv | undefined;
  let source: KubeSource | undefined;
  const snapshots: Snapshot[] = [];

  before(async () => {
    env = await startClusterEnv();
    const secret = tlsSecret('shop-tls', await certificateFor('app-0.test')) as V1Secret;
    secret.data = { ...secret.data, 'notes.txt': Buffer.from('not read').toString('base64') };
    await env.apply(ingressClass(), secret);
    for (let i = 0; i < 5; i++)
      await env.apply(...serviceWithEndpoints(`svc-${i}`, [{ ip: env.backendHost, port: 8080 + i }]), app(i));
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(env.controllerKubeconfig);
    source = new KubeSource({
      kubeConfig,
      watchNamespace: '',
      configMap: undefined,
      logger: winston.createLogger({ silent: true }),
      listPageSize: 2,
    });
    await source.start((s) => snapshots.push(s));
  });
  after(async () => {
    await source?.stop();
    await env?.stop();
  });

  it('every object of every page is in the first snapshot, trimmed', async () => {
    const first = await eventually(
      () => Promise.resolve(snapshots[0]),
      (s) => s !== undefined,
      20_000,
    );
    assert.ok(first);
    const names = (objects: readonly { metadata?: { name?: string } }[]): string[] =>
      objects.map((o) => o.metadata?.name ?? '').sort();
    const five = [0, 1, 2, 3, 4];
    assert.deepEqual(
      names(first.ingresses),
      five.map((i) => `app-${i}`),
    );
    assert.deepEqual(
      names(first.services).filter((n) => n !== 'kubernetes'), // the API server's own too
      five.map((i) => `svc-${i}`),
    );
    assert.equal(first.endpointSlices.filter((s) => s.metadata?.name?.startsWith('svc-')).length, 5);
    assert.ok(first.ingresses.every((o) => o.metadata?.managedFields === undefined));
    assert.deepEqual(Object.keys(first.secrets[0]?.data ?? {}).sort(), ['tls.crt', 'tls.key']);
  });

  it('the watch goes on from the version the list ended at', async () => {
    assert.ok(env);
    await env.apply(app(5));
    const latest = await eventually(
      () => Promise.resolve(snapshots.at(-1)),
      (s) => s?.ingresses.length === 6,
      20_000,
    );
    assert.equal(latest?.ingresses.length, 6);
  });
});
