// The reconciler's endpoint fast path: an EndpointSlice-only change is pushed as the served config with a
// new dynamic state (no translate of everything, no render, no reload); anything else takes the full path.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import winston from 'winston';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Reconciler, type ConfigApplier } from '../../src/controller/reconciler.ts';
import type { ApplyOutcome } from '../../src/nginx/nginx-process.ts';
import type { RenderedConfig } from '../../src/render/render.ts';
import { ingress, ingressClass, serviceWithEndpoints } from '../support/fixtures.ts';
import { OPTIONS, PATHS, snapshotOf } from './harness.ts';

/** NGINX as the reconciler sees it: a config with the live checksum only updates the dynamic state. */
class RecordingNginx implements ConfigApplier {
  readonly applied: RenderedConfig[] = [];
  apply(config: RenderedConfig): Promise<ApplyOutcome> {
    const live = this.applied.at(-1);
    this.applied.push(config);
    return Promise.resolve(live?.checksum === config.checksum ? 'updated' : 'reloaded');
  }
  check(): Promise<void> {
    return Promise.reject(new Error('not expected'));
  }
}

const CLASS = ingressClass();
const INGRESS = ingress({
  name: 'web',
  rules: [{ host: 'a.example.com', paths: [{ service: 'web', port: 80 }] }],
});
const [SERVICE, ...SLICES] = serviceWithEndpoints('web', [{ ip: '10.0.0.1', port: 8080 }]);

function world(objects: { ingress?: KubernetesObject; slices?: KubernetesObject[] } = {}) {
  return snapshotOf([CLASS, objects.ingress ?? INGRESS, SERVICE!, ...(objects.slices ?? SLICES)]);
}

const slicesWith = (...ips: string[]): KubernetesObject[] =>
  serviceWithEndpoints(
    'web',
    ips.map((ip) => ({ ip, port: 8080 })),
  ).slice(1);

const reconciler = (nginx: ConfigApplier): Reconciler =>
  new Reconciler({
    translate: OPTIONS,
    paths: PATHS,
    nginx,
    logger: winston.createLogger({ silent: true }),
    debounceMs: 0,
  });

describe('Reconciler: endpoint changes', () => {
  it('pushes an EndpointSlice-only change as the served config with new endpoints; other changes render', async () => {
    const nginx = new RecordingNginx();
    const r = reconciler(nginx);
    assert.equal((await r.reconcile(world())).outcome, 'reloaded');
    const first = nginx.applied[0]!;

    const scaled = await r.reconcile(world({ slices: slicesWith('10.0.0.1', '10.0.0.2') }));
    assert.equal(scaled.outcome, 'updated');
    const pushed = nginx.applied[1]!;
    assert.equal(pushed.files, first.files, 'the served files themselves: nothing rendered again');
    assert.deepEqual(pushed.dynamic.backends, { default_web_80: ['10.0.0.1:8080', '10.0.0.2:8080'] });
    assert.deepEqual(
      scaled.result.model.upstreams.map((u) => u.endpoints.length),
      [2],
      'the report carries the new endpoints (explain, inspection)',
    );

    // The same again: nothing to do.
    assert.equal(
      (await r.reconcile(world({ slices: slicesWith('10.0.0.1', '10.0.0.2') }))).outcome,
      'unchanged',
    );
    assert.equal(nginx.applied.length, 2);

    // An Ingress change takes the full path: a new config.
    const edited = ingress({
      name: 'web',
      rules: [{ host: 'b.example.com', paths: [{ service: 'web', port: 80 }] }],
    });
    const reloaded = await r.reconcile(
      world({ ingress: edited, slices: slicesWith('10.0.0.1', '10.0.0.2') }),
    );
    assert.equal(reloaded.outcome, 'reloaded');
    assert.match(nginx.applied[2]!.nginxConf, /server_name b\.example\.com;/);
  });

  it('pushes a backend losing its last endpoint, and its first coming back, with the warning about it', async () => {
    const nginx = new RecordingNginx();
    const r = reconciler(nginx);
    await r.reconcile(world());
    const emptied = await r.reconcile(world({ slices: [] }));
    assert.equal(emptied.outcome, 'updated');
    assert.equal(nginx.applied[1]!.files, nginx.applied[0]!.files, 'nothing rendered again');
    assert.deepEqual(nginx.applied[1]!.dynamic.backends, { default_web_80: [] });
    assert.match(
      emptied.result.diagnostics.map((d) => d.reason).join('\n'),
      /Service default\/web has no ready endpoints; requests get 503/,
    );
    const back = await r.reconcile(world({ slices: slicesWith('10.0.0.3') }));
    assert.equal(back.outcome, 'updated');
    assert.equal(nginx.applied[2]!.files, nginx.applied[0]!.files, 'nothing rendered again');
    assert.deepEqual(nginx.applied[2]!.dynamic.backends, { default_web_80: ['10.0.0.3:8080'] });
    assert.deepEqual(back.result.diagnostics, []);
  });

  it('pushes an endpoint change without waiting out the debounce; an Ingress change still waits', async () => {
    const nginx = new RecordingNginx();
    const r = new Reconciler({
      translate: OPTIONS,
      paths: PATHS,
      nginx,
      logger: winston.createLogger({ silent: true }),
      debounceMs: 60_000,
    });
    await r.reconcile(world());
    r.update(world({ slices: slicesWith('10.0.0.1', '10.0.0.2') }));
    const pushed = await Promise.race([
      r.idle().then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 5000)),
    ]);
    assert.ok(pushed, 'the endpoint change waited for the 60 s debounce');
    assert.equal(nginx.applied.length, 2);

    const edited = ingress({
      name: 'web',
      rules: [{ host: 'b.example.com', paths: [{ service: 'web', port: 80 }] }],
    });
    r.update(world({ ingress: edited, slices: slicesWith('10.0.0.1', '10.0.0.2') }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(nginx.applied.length, 2, 'an Ingress change is debounced as before');
    await r.close();
  });
});
