// The admission webhook reads snippets with the controller's parser and host rules: a server-snippet the
// reconciler would refuse, or one on a host another namespace serves, is refused at `kubectl apply`.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject, V1Ingress } from '@kubernetes/client-node';
import { reviewIngress } from '../../src/webhook/review.ts';
import { configMap, ingress, ingressClass } from '../support/fixtures.ts';
import { OPTIONS, snapshotOf } from './harness.ts';

const CONFIG = { namespace: 'ops', name: 'gatehouse' };
const ALLOWED = { 'allow-snippet-annotations': 'true', 'annotations-risk-level': 'Critical' };

function review(snippet: string, { namespace = 'default', existing = [] as KubernetesObject[] } = {}) {
  const snapshot = snapshotOf([ingressClass(), configMap(ALLOWED), ...existing]);
  const incoming = ingress({
    name: 'web',
    namespace,
    annotations: { 'nginx.ingress.kubernetes.io/server-snippet': snippet },
    rules: [{ host: 'web.example.com', paths: [{ service: 'web', port: 80 }] }],
  }) as V1Ingress;
  return reviewIngress(snapshot, { ...OPTIONS, configMap: CONFIG }, incoming);
}

describe('admission review of server-snippet', () => {
  it('admits a snippet of listed directives', () => {
    const verdict = review('location /metrics { deny all; }');
    assert.equal(verdict.allowed, true, verdict.message);
  });

  it('refuses a directive outside the list, naming it', () => {
    const verdict = review('location /x { include /etc/nginx/secrets.conf; }');
    assert.equal(verdict.allowed, false);
    assert.match(
      verdict.message,
      /server-snippet\]: location \/x: include is not allowed in a server-snippet's location/,
    );
  });

  it('refuses a server-snippet on a host another namespace already serves', () => {
    const theirs = ingress({
      name: 'theirs',
      namespace: 'other',
      creationTimestamp: '2026-01-01T00:00:00Z',
      rules: [{ host: 'web.example.com', paths: [{ path: '/shop', service: 'web', port: 80 }] }],
    });
    const verdict = review('location = /robots.txt { return 200 "x"; }', { existing: [theirs] });
    assert.equal(verdict.allowed, false);
    assert.match(verdict.message, /server-snippet applies to the whole host web\.example\.com/);
  });
});
