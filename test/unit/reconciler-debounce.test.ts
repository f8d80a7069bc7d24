import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import winston from 'winston';
import { Reconciler, type ConfigApplier } from '../../src/controller/reconciler.ts';
import type { RenderedConfig } from '../../src/render/render.ts';
import { ingress, ingressClass, serviceWithEndpoints } from '../support/fixtures.ts';
import { OPTIONS, PATHS, snapshotOf } from './harness.ts';

const silent = winston.createLogger({ silent: true });

/** NGINX that takes every config at once and remembers the hosts of the last one. */
class AcceptingNginx implements ConfigApplier {
  applied: string[] = [];
  check(): Promise<void> {
    return Promise.resolve();
  }
  apply(config: RenderedConfig): Promise<'reloaded'> {
    this.applied = [...config.nginxConf.matchAll(/server_name (\S+);/g)].map((m) => m[1] ?? '');
    return Promise.resolve('reloaded');
  }
}

const world = (hosts: string[]): ReturnType<typeof snapshotOf> =>
  snapshotOf([
    ingressClass(),
    ...hosts.map((host, i) =>
      ingress({ name: `app-${i}`, rules: [{ host, paths: [{ service: 'web', port: 80 }] }] }),
    ),
    ...serviceWithEndpoints('web', [{ ip: '10.0.0.1', port: 8080 }]),
  ]);

describe('Reconciler: debounce', () => {
  it('a steady stream of changes does not hold back the reconcile for as long as it lasts', async () => {
    const nginx = new AcceptingNginx();
    const reconciles: number[] = [];
    const r = new Reconciler({
      translate: OPTIONS,
      paths: PATHS,
      nginx,
      logger: silent,
      debounceMs: 20,
      onReconciled: () => reconciles.push(reconciles.length),
    });
    // A change every 5 ms for a second, each well inside the 20 ms quiet period (as the leader's status
    // writes echo back as Ingress updates): the first change must be served while the stream still runs.
    const first = world(['first.example.com']);
    r.update(first);
    const until = Date.now() + 1000;
    let servedDuringStream = false;
    while (Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      r.update(first);
      if (nginx.applied.includes('first.example.com')) servedDuringStream = true;
    }
    assert.ok(servedDuringStream, 'nothing was reconciled while changes kept coming');
    await r.idle();
    assert.ok(reconciles.length >= 1);
  });

  it('a burst of changes still gives one reconcile, with the last state', async () => {
    const nginx = new AcceptingNginx();
    let reconciles = 0;
    const r = new Reconciler({
      translate: OPTIONS,
      paths: PATHS,
      nginx,
      logger: silent,
      debounceMs: 50,
      onReconciled: () => (reconciles += 1),
    });
    for (let i = 0; i < 5; i++) r.update(world([`v${i}.example.com`]));
    await new Promise((resolve) => setTimeout(resolve, 10));
    await r.idle();
    assert.equal(reconciles, 1);
    assert.deepEqual(
      nginx.applied.filter((h) => h.startsWith('v')),
      ['v4.example.com'],
    );
  });

  it('counts a change that was already quiet when handed over (a settled file) towards the quiet period', async () => {
    const nginx = new AcceptingNginx();
    const r = new Reconciler({ translate: OPTIONS, paths: PATHS, nginx, logger: silent, debounceMs: 1000 });
    r.update(world(['first.example.com'])); // the first snapshot is reconciled at once
    await r.idle();
    // Quiet for 900 of the 1,000 ms already: served after about 100 ms, not a whole second.
    const t0 = Date.now();
    r.update(world(['settled.example.com']), 900);
    await r.idle();
    assert.ok(Date.now() - t0 < 700, `served after ${Date.now() - t0} ms`);
    assert.ok(nginx.applied.includes('settled.example.com'));
    // Without it, the whole quiet period.
    r.update(world(['fresh.example.com']));
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.ok(!nginx.applied.includes('fresh.example.com'), 'served before the quiet period ended');
    await r.idle();
    assert.ok(nginx.applied.includes('fresh.example.com'));
  });

  it('is not stale once a change that came during a reconcile is served, before its quiet period ends', async () => {
    // NGINX takes 200 ms for the first config; a change comes 50 ms into that, so the reconcile after it
    // starts (and ends) while the change's own quiet period (300 ms) still runs.
    let applies = 0;
    const nginx: ConfigApplier = {
      check: () => Promise.resolve(),
      apply: () => new Promise((resolve) => setTimeout(() => resolve('reloaded'), applies++ === 0 ? 200 : 0)),
    };
    const r = new Reconciler({ translate: OPTIONS, paths: PATHS, nginx, logger: silent, debounceMs: 300 });
    r.update(world(['first.example.com']));
    await new Promise((resolve) => setTimeout(resolve, 50));
    r.update(world(['first.example.com', 'second.example.com']));
    await r.idle();
    assert.equal(applies, 2);
    assert.equal(r.stale, undefined, 'the newest snapshot is served, yet the reconciler says it is stale');
  });
});
