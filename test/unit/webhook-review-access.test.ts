// The admission webhook applies the controller's access-control rules: what the reconciler would refuse
// (an annotation above annotations-risk-level, an invalid list) is refused at `kubectl apply`, with the
// same sentence.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Ingress } from '@kubernetes/client-node';
import { reviewIngress } from '../../src/webhook/review.ts';
import { configMap, ingress, ingressClass } from '../support/fixtures.ts';
import { OPTIONS, snapshotOf } from './harness.ts';

const CONFIG = { namespace: 'ops', name: 'gatehouse' };

function review(annotations: Record<string, string>, config: Record<string, string> = {}) {
  const snapshot = snapshotOf([ingressClass(), configMap(config)]);
  const incoming = ingress({
    name: 'web',
    annotations,
    rules: [{ host: 'web.example.com', paths: [{ service: 'web', port: 80 }] }],
  }) as V1Ingress;
  return reviewIngress(snapshot, { ...OPTIONS, configMap: CONFIG }, incoming);
}

describe('admission review of access control', () => {
  it('refuses an annotation above annotations-risk-level, naming it and the level', () => {
    const verdict = review(
      { 'nginx.ingress.kubernetes.io/allowlist-source-range': '10.0.0.0/8' },
      { 'annotations-risk-level': 'Low' },
    );
    assert.equal(verdict.allowed, false);
    assert.equal(
      verdict.message,
      "metadata.annotations[nginx.ingress.kubernetes.io/allowlist-source-range]: this annotation's risk level is Medium, above the Low the controller accepts (ConfigMap annotations-risk-level)",
    );
  });

  it('admits the same annotation at the default level (High)', () => {
    const verdict = review({ 'nginx.ingress.kubernetes.io/allowlist-source-range': '10.0.0.0/8' });
    assert.equal(verdict.allowed, true, verdict.message);
  });

  it("refuses a hostile denylist with the reconciler's reason", () => {
    const verdict = review({ 'nginx.ingress.kubernetes.io/denylist-source-range': '10.0.0.0/8; deny all' });
    assert.equal(verdict.allowed, false);
    assert.match(
      verdict.message,
      /denylist-source-range\]: must be a comma-separated list of IP addresses or CIDRs$/,
    );
  });
});
