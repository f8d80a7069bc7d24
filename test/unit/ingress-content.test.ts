// What translate keeps per Ingress (src/translate/ingress-content.ts) is found again for a copy that shares
// the Ingress's spec and annotations (a status echo), and not for one that differs in anything translate
// reads of it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Ingress } from '@kubernetes/client-node';
import { ByIngressContent } from '../../src/translate/ingress-content.ts';
import { ingress } from '../support/fixtures.ts';

describe('values kept per Ingress content', () => {
  const original = ingress({
    name: 'web',
    annotations: { 'nginx.ingress.kubernetes.io/ssl-redirect': 'false' },
    creationTimestamp: '2024-01-01T00:00:00Z',
    rules: [{ host: 'web.example.com', paths: [{ path: '/', service: 'web', port: 80 }] }],
  }) as V1Ingress;
  const copy = (metadata: V1Ingress['metadata']): V1Ingress => ({
    ...original,
    metadata: { ...original.metadata, ...metadata },
    status: { loadBalancer: { ingress: [{ ip: '198.18.0.1' }] } },
  });

  it('finds the value of a copy with the same spec, annotations, name and creation time', () => {
    const kept = new ByIngressContent<string>();
    kept.set(original, 'judged');
    assert.equal(kept.get(original), 'judged');
    assert.equal(kept.get(copy({ resourceVersion: '2' })), 'judged');
  });

  it('not for a copy that differs in what translate reads', () => {
    const kept = new ByIngressContent<string>();
    kept.set(original, 'judged');
    assert.equal(kept.get(copy({ annotations: { ...original.metadata?.annotations } })), undefined);
    assert.equal(kept.get(copy({ name: 'other' })), undefined);
    assert.equal(kept.get(copy({ creationTimestamp: new Date('2024-01-02T00:00:00Z') })), undefined);
    assert.equal(kept.get({ ...original, spec: { ...original.spec } }), undefined);
  });

  it('keeps an Ingress without a spec by the object itself', () => {
    const kept = new ByIngressContent<string>();
    const bare: V1Ingress = { metadata: { name: 'web', namespace: 'default' } };
    kept.set(bare, 'judged');
    assert.equal(kept.get(bare), 'judged');
    assert.equal(kept.get({ ...bare }), undefined);
  });
});
