// Which informer updates make a new Snapshot, and which copies the endpoint fast path takes as the same
// (`sameContent`, src/model/object-content.ts): a status write or a bookkeeping change is the same content,
// anything translate may read is not, and an object is the same typed from a list as raw from a watch event.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
// What the typed list calls (listIngressForAllNamespaces and the like) turn each item into.
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { sameContent } from '../../src/model/object-content.ts';

/** An Ingress as a watch event brings it: plain JSON. */
const raw = (): KubernetesObject & Record<string, unknown> => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: {
    name: 'shop',
    namespace: 'web',
    uid: 'a1b2',
    resourceVersion: '41',
    generation: 1,
    creationTimestamp: '2026-12-01T10:00:00Z' as unknown as Date,
    annotations: { 'nginx.ingress.kubernetes.io/rewrite-target': '/' },
    managedFields: [{ manager: 'kubectl', operation: 'Apply' }],
  },
  spec: {
    ingressClassName: 'gatehouse',
    rules: [
      {
        host: 'shop.test',
        http: {
          paths: [
            { path: '/', pathType: 'Prefix', backend: { service: { name: 'shop', port: { number: 80 } } } },
          ],
        },
      },
    ],
  },
  status: { loadBalancer: {} },
});

describe('same content', () => {
  it('is the same for the typed copy a list gives (Dates, the client key order)', () => {
    // A typed list's items also lose apiVersion and kind.
    const item: Partial<ReturnType<typeof raw>> = raw();
    delete item.apiVersion;
    delete item.kind;
    const typed = ObjectSerializer.deserialize(item, 'V1Ingress', '') as KubernetesObject;
    assert.ok(typed.metadata?.creationTimestamp instanceof Date);
    assert.ok(sameContent(typed, raw()));
  });

  it('ignores status, resourceVersion, generation and managedFields', () => {
    const o = raw();
    o.status = { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } };
    Object.assign(o.metadata!, { resourceVersion: '42', generation: 2, managedFields: [] });
    assert.ok(sameContent(o, raw()));
  });

  it('changes with an annotation, a label, the spec or a deletion', () => {
    const changes: ((o: ReturnType<typeof raw>) => void)[] = [
      (o) => (o.metadata!.annotations!['nginx.ingress.kubernetes.io/rewrite-target'] = '/x'),
      (o) => (o.metadata!.labels = { team: 'a' }),
      (o) => ((o['spec'] as { ingressClassName: string }).ingressClassName = 'other'),
      (o) => (o.metadata!.deletionTimestamp = new Date('2026-12-01T11:00:00Z')),
    ];
    for (const change of changes) {
      const o = raw();
      change(o);
      assert.ok(!sameContent(o, raw()), String(change));
      assert.ok(!sameContent(raw(), o), String(change));
    }
  });
});
