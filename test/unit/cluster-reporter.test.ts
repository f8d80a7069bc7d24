// The leader's reporting (Events, Ingress status) runs again after a reconcile whose Ingress outcomes or
// diagnostics changed, and not after an endpoint-only push that changed neither.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import winston from 'winston';
import type { CoreV1Api } from '@kubernetes/client-node';
import { ClusterReporter } from '../../src/controller/cluster-reporter.ts';
import { Reconciler, type ConfigApplier } from '../../src/controller/reconciler.ts';
import type { EventRecorder } from '../../src/status/events.ts';
import type { IngressLookup } from '../../src/status/ingress-status.ts';
import { ingress, ingressClass, serviceWithEndpoints } from '../support/fixtures.ts';
import { OPTIONS, PATHS, snapshotOf } from './harness.ts';

const nginx: ConfigApplier = {
  apply: () => Promise.resolve('updated'),
  check: () => Promise.resolve(),
};
const world = (...ips: string[]) =>
  snapshotOf([
    ingressClass(),
    ingress({ name: 'web', rules: [{ host: 'a.example.com', paths: [{ service: 'web', port: 80 }] }] }),
    ...serviceWithEndpoints(
      'web',
      ips.map((ip) => ({ ip, port: 8080 })),
    ),
  ]);

/** A leading ClusterReporter writing to `events` (no status writes), and a reconciler to feed it. */
function leaderWith(
  events: EventRecorder,
  currentIngress: IngressLookup,
  isLeader: () => boolean = () => true,
): { reporter: ClusterReporter; reconciler: Reconciler } {
  const logger = winston.createLogger({ silent: true });
  const reporter = new ClusterReporter({
    core: {} as CoreV1Api,
    statusWriter: undefined,
    events,
    addressOptions: {} as never,
    currentIngress,
    isLeader,
    logger,
    resyncMs: 3_600_000,
  });
  const reconciler = new Reconciler({ translate: OPTIONS, paths: PATHS, nginx, logger, debounceMs: 0 });
  return { reporter, reconciler };
}

describe('ClusterReporter', () => {
  it('reports again when outcomes or diagnostics change, not after an endpoint-only push', async () => {
    const synced: string[][] = [];
    const events = {
      update: (intents: readonly { reason?: string; message?: string }[]) =>
        synced.push(intents.map((i) => i.message ?? '')),
      stop: () => Promise.resolve(),
    } as unknown as EventRecorder;
    const { reporter, reconciler } = leaderWith(events, () => undefined);
    const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

    reporter.onReconciled(await reconciler.reconcile(world('10.0.0.1')));
    await settle();
    assert.equal(synced.length, 1, 'the first reconcile is reported');

    const moved = await reconciler.reconcile(world('10.0.0.2'));
    assert.equal(moved.outcome, 'updated');
    reporter.onReconciled(moved);
    await settle();
    assert.equal(synced.length, 1, 'an endpoint-only push reported again');

    // The last endpoint going: a warning (an Event) to report.
    reporter.onReconciled(await reconciler.reconcile(world()));
    await settle();
    assert.equal(synced.length, 2, 'a new warning was not reported');
    assert.match(synced[1]!.join('\n'), /no ready endpoints/);
    await reporter.stop();
  });

  it('names in Events the Ingresses as the cluster has them now, not the copies the reconcile read', async () => {
    // After the leader's first status writes every cached Ingress is a new copy: the reconcile's would be a
    // second copy of every Ingress kept alive for Events.
    const given: IngressLookup[] = [];
    const events = {
      update: (_: unknown, ingresses: IngressLookup) => given.push(ingresses),
      stop: () => Promise.resolve(),
    } as unknown as EventRecorder;
    const now = ingress({
      name: 'web',
      rules: [{ host: 'a.example.com', paths: [{ service: 'web', port: 80 }] }],
    });
    const cache: IngressLookup = (namespace, name) =>
      namespace === now.metadata?.namespace && name === now.metadata.name ? now : undefined;
    const { reporter, reconciler } = leaderWith(events, cache);
    reporter.onReconciled(await reconciler.reconcile(world('10.0.0.1')));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(given.length, 1);
    assert.equal(given[0]?.('default', 'web'), now);
    await reporter.stop();
  });

  it('tells nothing while following, and the last reconcile once it leads', async () => {
    const synced: string[][] = [];
    const events = {
      update: (intents: readonly { message?: string }[]) => synced.push(intents.map((i) => i.message ?? '')),
      stop: () => Promise.resolve(),
    } as unknown as EventRecorder;
    let leading = false;
    const { reporter, reconciler } = leaderWith(
      events,
      () => undefined,
      () => leading,
    );
    const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
    reporter.onReconciled(await reconciler.reconcile(world('10.0.0.1')));
    reporter.onReconciled(await reconciler.reconcile(world()));
    await settle();
    assert.equal(synced.length, 0, 'a follower reported');

    leading = true;
    reporter.kick();
    await settle();
    assert.equal(synced.length, 1);
    assert.match(synced[0]!.join('\n'), /no ready endpoints/, 'not the last reconcile reported');
    await reporter.stop();
  });
});
