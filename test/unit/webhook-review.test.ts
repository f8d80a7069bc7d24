// The admission review: the reconciler's verdict, at a cost that does not grow with the cluster.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { reviewIngress } from '../../src/webhook/review.ts';
import type { Snapshot } from '../../src/model/snapshot.ts';
import {
  certificateFor,
  ingress,
  ingressClass,
  serviceWithEndpoints,
  tlsSecret,
} from '../support/fixtures.ts';
import { OPTIONS, snapshotOf } from './harness.ts';

let world: Snapshot;
before(async () => {
  world = snapshotOf([
    tlsSecret('partner-tls', await certificateFor('shop.example.com'), 'team-b'),
    ingressClass(),
    ingress({
      name: 'shop',
      namespace: 'team-a',
      creationTimestamp: '2026-01-01T00:00:00Z',
      rules: [{ host: 'shop.example.com', paths: [{ path: '/', service: 'web', port: 80 }] }],
    }),
    ...Array.from({ length: 2000 }, (_, i) =>
      ingress({
        name: `app-${i}`,
        namespace: `ns-${i % 50}`,
        creationTimestamp: '2026-01-02T00:00:00Z',
        rules: [{ host: `app-${i}.example.com`, paths: [{ path: '/', service: 'web', port: 80 }] }],
      }),
    ),
    ...serviceWithEndpoints('web', [{ ip: '10.0.0.1', port: 8080 }], { namespace: 'team-a' }),
  ]);
});

const review = (object: ReturnType<typeof ingress>): ReturnType<typeof reviewIngress> =>
  reviewIngress(world, OPTIONS, object);

describe('admission review', () => {
  it('refuses a path another namespace already serves, without naming that namespace or Ingress', () => {
    const verdict = review(
      ingress({
        name: 'intruder',
        namespace: 'team-b',
        rules: [{ host: 'shop.example.com', paths: [{ path: '/', service: 'web', port: 80 }] }],
      }),
    );
    assert.equal(verdict.allowed, false);
    assert.match(verdict.message, /already served by an older Ingress in another namespace/);
    assert.doesNotMatch(verdict.message, /team-a|shop\b(?!\.example)/);
  });

  it('admits a TLS entry for another namespace’s host with a warning: it only does not apply', () => {
    const verdict = review(
      ingress({
        name: 'partner',
        namespace: 'team-b',
        tls: [{ hosts: ['shop.example.com'], secretName: 'partner-tls' }],
        rules: [{ host: 'shop.example.com', paths: [{ path: '/partner', service: 'web', port: 80 }] }],
      }),
    );
    assert.equal(verdict.allowed, true);
    assert.ok(verdict.warnings.some((w) => /belongs to an older Ingress in another namespace/.test(w)));
  });

  it('refuses an Ingress over the path limit, whatever else is in the cluster', () => {
    const verdict = review(
      ingress({
        name: 'huge',
        namespace: 'team-c',
        rules: [
          {
            host: 'huge.example.com',
            paths: Array.from({ length: 5000 }, (_, i) => ({ path: `/p${i}`, service: 'web', port: 80 })),
          },
        ],
      }),
    );
    assert.equal(verdict.allowed, false);
    assert.match(verdict.message, /lists 5000 paths; an Ingress may list at most 1000/);
  });

  it('admits an unrelated new host among thousands of Ingresses', () => {
    const verdict = review(
      ingress({
        name: 'fresh',
        namespace: 'team-c',
        rules: [{ host: 'fresh.example.com', paths: [{ path: '/', service: 'web', port: 80 }] }],
      }),
    );
    assert.equal(verdict.allowed, true, verdict.message);
  });
});
