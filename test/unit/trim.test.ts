// What the informer caches keep of each object (src/sources/kube/trim.ts): only what translate reads, as a
// new object (the one that arrived is never changed).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1EndpointSlice, V1Ingress, V1Secret, V1Service } from '@kubernetes/client-node';
import { trimmed, withContentOf } from '../../src/sources/kube/trim.ts';

describe('informer cache trimming', () => {
  it('an EndpointSlice keeps its addresses, conditions, ports and Service label, not the pods and nodes behind them', () => {
    const slice = (): V1EndpointSlice => ({
      addressType: 'IPv4',
      metadata: {
        name: 'shop-abc12',
        namespace: 'web',
        uid: 'e1',
        resourceVersion: '7',
        generateName: 'shop-',
        generation: 3,
        labels: {
          'kubernetes.io/service-name': 'shop',
          'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
          'app.kubernetes.io/name': 'shop',
        },
        annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': '2026-12-02T01:00:00Z' },
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
        { addresses: ['10.1.2.4'] },
      ],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    });
    const arrived = slice();
    const kept = trimmed(arrived, 'EndpointSlice', false);
    assert.equal(kept.droppedData, false);
    // A typed list's items have no kind: the copy says what it is.
    assert.deepEqual(kept.object, {
      kind: 'EndpointSlice',
      addressType: 'IPv4',
      metadata: {
        name: 'shop-abc12',
        namespace: 'web',
        resourceVersion: '7',
        labels: { 'kubernetes.io/service-name': 'shop' },
      },
      endpoints: [
        { addresses: ['10.1.2.3'], conditions: { ready: true, serving: true, terminating: false } },
        { addresses: ['10.1.2.4'] },
      ],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    });
    assert.deepEqual(arrived, slice(), 'the object that arrived is not changed');
    // Parts many slices have alike are one copy: each endpoint's conditions, the ports.
    const other = trimmed(slice(), 'EndpointSlice', false).object as V1EndpointSlice;
    const first = kept.object as V1EndpointSlice;
    assert.equal(other.endpoints[0]?.conditions, first.endpoints[0]?.conditions);
    assert.equal(other.ports, first.ports);
    assert.notEqual(other.endpoints[0]?.addresses, undefined);
  });

  it('an Ingress keeps its spec, status, annotations, uid and creation time, without kubectl’s last-applied copy or labels', () => {
    const ingress: V1Ingress = {
      kind: 'Ingress',
      metadata: {
        name: 'shop',
        namespace: 'web',
        uid: 'i1',
        resourceVersion: '12',
        generation: 2,
        creationTimestamp: '2026-12-02T01:00:00Z' as unknown as Date,
        labels: { 'app.kubernetes.io/managed-by': 'Helm' },
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration': '{"a huge":"copy"}',
          'nginx.ingress.kubernetes.io/rewrite-target': '/',
        },
        finalizers: ['example.com/keep'],
        managedFields: [{ manager: 'kubectl' }],
      },
      spec: { ingressClassName: 'gatehouse' },
      status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } },
    };
    const kept = trimmed(ingress, 'Ingress', false).object as V1Ingress;
    assert.deepEqual(kept.metadata, {
      name: 'shop',
      namespace: 'web',
      uid: 'i1', // its Events name it
      resourceVersion: '12',
      creationTimestamp: '2026-12-02T01:00:00Z', // the older Ingress wins a conflict
      annotations: { 'nginx.ingress.kubernetes.io/rewrite-target': '/' },
    });
    assert.equal(kept.spec, ingress.spec);
    assert.deepEqual(kept.status, ingress.status);
    // The leader writes the same status on every Ingress: the copies share one.
    const echo: V1Ingress = { ...ingress, status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } } };
    const next = trimmed(echo, 'Ingress', false);
    assert.equal((next.object as V1Ingress).status, kept.status);
  });

  it('a Service keeps its type, address, external name and ports, not its status, labels or other settings', () => {
    const service = (): V1Service => ({
      metadata: { name: 'shop', namespace: 'web', uid: 's1', labels: { app: 'shop' } },
      spec: {
        type: 'LoadBalancer',
        clusterIP: '10.96.0.10',
        clusterIPs: ['10.96.0.10'],
        ipFamilies: ['IPv4'],
        ipFamilyPolicy: 'SingleStack',
        selector: { app: 'shop' },
        sessionAffinity: 'None',
        internalTrafficPolicy: 'Cluster',
        externalTrafficPolicy: 'Cluster',
        ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP', nodePort: 30080 }],
      },
      status: { loadBalancer: { ingress: [{ ip: '192.0.2.9' }] } },
    });
    const arrived = service();
    const kept = trimmed(arrived, 'Service', false).object;
    assert.deepEqual(kept, {
      kind: 'Service',
      metadata: { name: 'shop', namespace: 'web' },
      spec: { type: 'LoadBalancer', clusterIP: '10.96.0.10', ports: arrived.spec?.ports },
    });
    assert.equal((kept as V1Service).spec?.ports, arrived.spec?.ports, 'the ports are shared, not copied');
    const again = trimmed(service(), 'Service', false).object as V1Service;
    assert.equal(again.spec?.ports, arrived.spec?.ports, 'one copy of ports alike');
    assert.deepEqual(arrived, service());
    const external: V1Service = { spec: { type: 'ExternalName', externalName: 'db.example.com' } };
    assert.deepEqual(trimmed(external, 'Service', false).object, { kind: 'Service', spec: external.spec });
  });

  it('a Secret keeps the keys Gatehouse reads, or every key when it is an auth-map', () => {
    const secret = (): V1Secret => ({
      kind: 'Secret',
      metadata: { name: 's', namespace: 'web' },
      data: { 'tls.crt': 'Yw==', 'tls.key': 'aw==', 'notes.txt': 'bg==' },
    });
    const arrived = secret();
    const kept = trimmed(arrived, 'Secret', false);
    assert.equal(kept.droppedData, true);
    assert.deepEqual((kept.object as V1Secret).data, { 'tls.crt': 'Yw==', 'tls.key': 'aw==' });
    assert.deepEqual(arrived, secret());
    const whole = trimmed(secret(), 'Secret', true);
    assert.equal(whole.droppedData, false);
    assert.deepEqual((whole.object as V1Secret).data, secret().data);
    const onlyRead: V1Secret = { kind: 'Secret', data: { 'tls.crt': 'Yw==' } };
    assert.equal(trimmed(onlyRead, 'Secret', false).droppedData, false);
  });

  it('a status write’s echo shares what translate reads with the copy cached before, and takes its status', () => {
    const copy = (status: string, resourceVersion: string): V1Ingress => ({
      kind: 'Ingress',
      metadata: {
        name: 'shop',
        namespace: 'web',
        resourceVersion,
        annotations: { a: '1' },
        labels: { l: '2' },
      },
      spec: { rules: [{ host: 'shop.test' }] },
      status: { loadBalancer: { ingress: [{ ip: status }] } },
    });
    const before = copy('192.0.2.1', '1');
    const now = copy('192.0.2.2', '2');
    const kept = withContentOf(before, now) as V1Ingress;
    assert.equal(kept.spec, before.spec);
    assert.equal(kept.metadata?.annotations, before.metadata?.annotations);
    assert.equal(kept.metadata?.labels, before.metadata?.labels);
    assert.equal(kept.status, now.status);
    assert.equal(kept.metadata?.resourceVersion, '2');
    assert.deepEqual(before, copy('192.0.2.1', '1'), 'the copy cached before is not changed');
    assert.deepEqual(now, copy('192.0.2.2', '2'));
  });
});
