// What the informer caches keep of each object (src/sources/kube/trim.ts): only what translate reads.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1EndpointSlice, V1Secret } from '@kubernetes/client-node';
import { trimObject } from '../../src/sources/kube/trim.ts';

describe('informer cache trimming', () => {
  it('an EndpointSlice keeps its addresses, conditions, ports and labels, not the pods and nodes behind them', () => {
    const slice: V1EndpointSlice = {
      kind: 'EndpointSlice',
      addressType: 'IPv4',
      metadata: {
        name: 'shop-abc12',
        namespace: 'web',
        labels: { 'kubernetes.io/service-name': 'shop' },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 'shop', uid: 'u1' }],
        managedFields: [{ manager: 'kube-controller-manager' }],
      },
      endpoints: [
        {
          addresses: ['10.1.2.3'],
          conditions: { ready: true, serving: true, terminating: false },
          nodeName: 'node-1',
          zone: 'zone-a',
          targetRef: { kind: 'Pod', name: 'shop-7d9f-x2', namespace: 'web', uid: 'p1' },
          hints: { forZones: [{ name: 'zone-a' }] },
        },
      ],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    };
    trimObject(slice, false);
    assert.deepEqual(slice, {
      kind: 'EndpointSlice',
      addressType: 'IPv4',
      metadata: { name: 'shop-abc12', namespace: 'web', labels: { 'kubernetes.io/service-name': 'shop' } },
      endpoints: [
        { addresses: ['10.1.2.3'], conditions: { ready: true, serving: true, terminating: false } },
      ],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    });
  });

  it('a Secret keeps the keys Gatehouse reads, or every key when it is an auth-map', () => {
    const secret = (): V1Secret => ({
      kind: 'Secret',
      metadata: { name: 's', namespace: 'web' },
      data: { 'tls.crt': 'Yw==', 'tls.key': 'aw==', 'notes.txt': 'bg==' },
    });
    const trimmed = secret();
    assert.equal(trimObject(trimmed, false), true);
    assert.deepEqual(trimmed.data, { 'tls.crt': 'Yw==', 'tls.key': 'aw==' });
    const whole = secret();
    assert.equal(trimObject(whole, true), false);
    assert.deepEqual(whole.data, secret().data);
  });
});
