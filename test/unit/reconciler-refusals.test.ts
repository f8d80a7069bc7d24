import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import winston from 'winston';
import { Reconciler, type ConfigApplier } from '../../src/controller/reconciler.ts';
import { NginxConfigError } from '../../src/nginx/errors.ts';
import type { RenderedConfig } from '../../src/render/render.ts';
import type { KubernetesObject } from '@kubernetes/client-node';
import { ingress, ingressClass, serviceWithEndpoints } from '../support/fixtures.ts';
import { OPTIONS, PATHS, snapshotOf } from './harness.ts';

const silent = winston.createLogger({ silent: true });

/**
 * NGINX as far as the reconciler can tell: refuses any config that serves a host starting with `evil`,
 * with a message that names no line and no file (as OpenSSL's and hash-building errors do).
 */
class RefusingNginx implements ConfigApplier {
  applied: RenderedConfig | undefined;
  checks = 0;
  applies = 0;
  check(config: RenderedConfig): Promise<void> {
    this.checks += 1;
    return this.verdict(config);
  }
  async apply(config: RenderedConfig): Promise<'reloaded'> {
    this.applies += 1;
    await this.verdict(config);
    this.applied = config;
    return 'reloaded';
  }
  private verdict(config: RenderedConfig): Promise<void> {
    return /server_name evil/.test(config.nginxConf)
      ? Promise.reject(new NginxConfigError('nginx -t failed', 'nginx: [emerg] something went wrong\n'))
      : Promise.resolve();
  }
}

function world(evil: number[], endpoint = '10.0.0.1', changedEvil = false): ReturnType<typeof snapshotOf> {
  const tenants = Array.from({ length: 40 }, (_, i) =>
    ingress({
      name: `team-${i}`,
      namespace: `ns-${i}`,
      ...(changedEvil && evil.includes(i) ? { annotations: { changed: 'yes' } } : {}),
      rules: [
        {
          host: `${evil.includes(i) ? 'evil' : 'good'}-${i}.example.com`,
          paths: [{ service: 'web', port: 80 }],
        },
      ],
    }),
  );
  const services = Array.from({ length: 40 }, (_, i) =>
    serviceWithEndpoints('web', [{ ip: endpoint, port: 8080 }], { namespace: `ns-${i}` }),
  ).flat();
  return snapshotOf([ingressClass(), ...tenants, ...services]);
}

function reconciler(nginx: RefusingNginx): Reconciler {
  return new Reconciler({ translate: OPTIONS, paths: PATHS, nginx, logger: silent, debounceMs: 0 });
}

describe('Reconciler: objects NGINX refuses without naming them', () => {
  it('leaves out every culprit, however many, and applies the rest', async () => {
    const nginx = new RefusingNginx();
    const report = await reconciler(nginx).reconcile(world([3, 7, 11, 20, 31, 39]));
    assert.equal(report.outcome, 'reloaded');
    const rejected = report.result.ingresses.filter((i) => i.outcome === 'rejected').map((i) => i.ref.name);
    assert.deepEqual(rejected, ['team-11', 'team-20', 'team-3', 'team-31', 'team-39', 'team-7']);
    assert.match(nginx.applied?.nginxConf ?? '', /server_name good-0\.example\.com;/);
    assert.doesNotMatch(nginx.applied?.nginxConf ?? '', /evil/);
    const reasons = report.result.diagnostics.filter((d) => d.object.name === 'team-3').map((d) => d.reason);
    assert.deepEqual(reasons, [
      'NGINX refused the configuration made with this object: [emerg] something went wrong',
    ]);
  });

  it('does not search again while the culprits stay unchanged: an endpoint move applies at once', async () => {
    const nginx = new RefusingNginx();
    const r = reconciler(nginx);
    await r.reconcile(world([5, 6]));
    const checks = nginx.checks;
    const applies = nginx.applies;
    const report = await r.reconcile(world([5, 6], '10.0.0.9'));
    assert.equal(report.outcome, 'reloaded');
    assert.equal(nginx.checks, checks, 'no new search');
    assert.equal(nginx.applies, applies + 1, 'one apply, which NGINX accepts');
    assert.match(JSON.stringify(nginx.applied?.dynamic.backends), /10\.0\.0\.9:8080/);
  });

  it('tries a culprit again once it changes', async () => {
    const nginx = new RefusingNginx();
    const r = reconciler(nginx);
    await r.reconcile(world([5]));
    const checks = nginx.checks;
    const report = await r.reconcile(world([5], '10.0.0.1', true));
    assert.ok(nginx.checks > checks, 'searched again');
    assert.deepEqual(
      report.result.ingresses.filter((i) => i.outcome === 'rejected').map((i) => i.ref.name),
      ['team-5'],
    );
  });

  it('keeps the last config and blames nobody when NGINX refuses even without every object', async () => {
    const nginx = new RefusingNginx();
    const r = reconciler(nginx);
    const everyoneEvil = Array.from({ length: 40 }, (_, i) => i);
    // With every object left out only the default server remains, which NGINX here accepts; make it refuse.
    nginx.check = () => Promise.reject(new NginxConfigError('x', 'nginx: [emerg] broken everywhere\n'));
    nginx.apply = () => Promise.reject(new NginxConfigError('x', 'nginx: [emerg] broken everywhere\n'));
    const report = await r.reconcile(world(everyoneEvil));
    assert.equal(report.outcome, 'failed');
    assert.equal(report.error, '[emerg] broken everywhere');
  });
});

describe('Reconciler: a config over max-config-size', () => {
  it('leaves out the newest Ingresses until it fits, and keeps serving the oldest', async () => {
    const nginx = new RefusingNginx();
    const big = (i: number): KubernetesObject =>
      ingress({
        name: `big-${i}`,
        namespace: `ns-${i}`,
        creationTimestamp: `2026-0${i + 1}-01T00:00:00Z`,
        rules: [
          {
            host: `good-${i}.example.com`,
            paths: Array.from({ length: 400 }, (_, p) => ({ path: `/path-${p}`, service: 'web', port: 80 })),
          },
        ],
      });
    const objects = [
      ingressClass(),
      ...[0, 1, 2, 3].map(big),
      ...[0, 1, 2, 3].flatMap((i) =>
        serviceWithEndpoints('web', [{ ip: '10.0.0.1', port: 8080 }], { namespace: `ns-${i}` }),
      ),
    ];
    const configMap = (size: string): KubernetesObject =>
      ({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'gatehouse', namespace: 'ops' },
        data: { 'max-config-size': size },
      }) as KubernetesObject;
    const reconciler = (): Reconciler =>
      new Reconciler({
        translate: { ...OPTIONS, configMap: { namespace: 'ops', name: 'gatehouse' } },
        paths: PATHS,
        nginx,
        logger: silent,
        debounceMs: 0,
      });
    await reconciler().reconcile(snapshotOf([...objects, configMap('1g')]));
    const whole = nginx.applied?.nginxConf.length ?? 0;
    // Room for about two and a half of the four.
    const limitK = Math.max(64, Math.floor((whole * 0.6) / 1024));
    const snapshot = snapshotOf([...objects, configMap(`${limitK}k`)]);
    const r = reconciler();
    const report = await r.reconcile(snapshot);
    assert.equal(report.outcome, 'reloaded');
    const served = report.result.ingresses.filter((i) => i.outcome === 'served').map((i) => i.ref.name);
    assert.ok(served.length >= 1 && served.length < 4, `served ${served.join(', ')}`);
    assert.deepEqual(
      served,
      ['big-0', 'big-1', 'big-2', 'big-3'].slice(0, served.length),
      'the oldest keep serving',
    );
    assert.ok((nginx.applied?.nginxConf.length ?? Infinity) <= limitK * 1024);
    assert.match(
      report.result.diagnostics.find((d) => d.object.name === 'big-3')?.reason ?? '',
      /over max-config-size \([0-9.]+ MiB\); the newest Ingresses are left out until it fits/,
    );
  });
});
