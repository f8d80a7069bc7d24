// Backends: Service ports map to EndpointSlice ports, only ready endpoints get traffic, Services without
// endpoints (or without a Service at all) answer 503, ExternalName works, and traffic follows the
// EndpointSlices as they change.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  externalNameService,
  ingress,
  serviceWithEndpoints,
  writeManifest,
  type PathSpec,
} from '../support/fixtures.ts';
import { startGatehouse, type RunningGatehouse } from '../support/gatehouse-process.ts';
import { Backends, eventuallyServed, manifestsFolder, removeFolder, served } from '../support/integration.ts';

const HOST = 'backends.example.com';

/** A Service with two ports (`http` 80 and `admin` 9000) whose pods listen on two different ports. */
function twoPortService(web: { host: string; port: number }, admin: { port: number }): KubernetesObject[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'two-ports', namespace: 'default' },
      spec: {
        ports: [
          { name: 'http', port: 80, targetPort: 8080 },
          { name: 'admin', port: 9000, targetPort: 'admin' },
        ],
      },
    } as KubernetesObject,
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: 'two-ports-x7k2p',
        namespace: 'default',
        labels: { 'kubernetes.io/service-name': 'two-ports' },
      },
      addressType: 'IPv4',
      ports: [
        { name: 'admin', port: admin.port, protocol: 'TCP' },
        { name: 'http', port: web.port, protocol: 'TCP' },
      ],
      endpoints: [{ addresses: [web.host], conditions: { ready: true } }],
    } as KubernetesObject,
  ];
}

describe('backends', () => {
  let manifests: string | undefined;
  let backends: Backends | undefined;
  let gatehouse: RunningGatehouse | undefined;
  const get = (urlPath: string): Promise<string> => {
    assert.ok(gatehouse);
    return served('http', gatehouse.httpPort, HOST, urlPath);
  };

  before(async () => {
    manifests = await manifestsFolder();
    backends = new Backends();
    // The two-port Service's pod answers on two ports of one address.
    await backends.add('two-ports-web');
    await backends.add('two-ports-admin');
    // A Service with three pods on distinct loopback addresses, one of them not ready.
    await backends.add('pod-a', '127.0.0.2');
    await backends.add('pod-b', '127.0.0.3');
    await backends.add('pod-unready', '127.0.0.4');
    await backends.add('drained-pod');
    await backends.add('external');
    await backends.add('moving-1', '127.0.0.5');
    await backends.add('moving-2', '127.0.0.6');

    const b = backends;
    const at = (name: string, ready = true): { ip: string; port: number; ready: boolean } => ({
      ip: b.get(name).host,
      port: b.get(name).port,
      ready,
    });
    await writeManifest(manifests, 'services.yaml', [
      ...twoPortService(b.get('two-ports-web'), b.get('two-ports-admin')),
      ...serviceWithEndpoints('pool', [at('pod-a'), at('pod-b'), at('pod-unready', false)]),
      ...serviceWithEndpoints('drained', [at('drained-pod', false)]),
      externalNameService('external', '127.0.0.1'),
    ]);
    await writeManifest(manifests, 'moving.yaml', serviceWithEndpoints('moving', [at('moving-1')]));
    const paths: PathSpec[] = [
      { path: '/web-by-number', service: 'two-ports', port: 80 },
      { path: '/web-by-name', service: 'two-ports', port: 'http' },
      { path: '/admin-by-number', service: 'two-ports', port: 9000 },
      { path: '/admin-by-name', service: 'two-ports', port: 'admin' },
      { path: '/pool', service: 'pool', port: 80 },
      { path: '/drained', service: 'drained', port: 80 },
      { path: '/ghost', service: 'ghost', port: 80 },
      { path: '/external', service: 'external', port: b.get('external').port },
      { path: '/moving', service: 'moving', port: 'http' },
    ];
    await writeManifest(manifests, 'ingress.yaml', [
      ingress({ name: 'backends', rules: [{ host: HOST, paths }] }),
    ]);
    // The ExternalName points at a loopback backend, which only an explicit allowance permits.
    gatehouse = await startGatehouse(manifests, ['--external-name-allowed-cidrs', '127.0.0.1/32']);
  });

  after(async () => {
    await gatehouse?.stop();
    await backends?.close();
    await removeFolder(manifests);
  });

  it('a numeric Service port reaches the EndpointSlice port of the same name', async () => {
    assert.equal(await get('/web-by-number'), '200 two-ports-web');
    assert.equal(await get('/admin-by-number'), '200 two-ports-admin');
  });

  it('a named Service port reaches the EndpointSlice port of that name', async () => {
    assert.equal(await get('/web-by-name'), '200 two-ports-web');
    assert.equal(await get('/admin-by-name'), '200 two-ports-admin');
  });

  it('spreads requests over every ready endpoint and never sends any to a not-ready one', async () => {
    assert.ok(backends);
    const seen = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const answer = await get('/pool');
      seen.set(answer, (seen.get(answer) ?? 0) + 1);
    }
    assert.deepEqual(
      [...seen.keys()].sort(),
      ['200 pod-a', '200 pod-b'],
      `answers: ${JSON.stringify([...seen])}`,
    );
    assert.equal(backends.get('pod-unready').hits(), 0);
  });

  it('a Service with no ready endpoints answers 503', async () => {
    assert.equal(await get('/drained'), '503');
    assert.equal(backends?.get('drained-pod').hits(), 0);
  });

  it('a missing Service answers 503', async () => {
    assert.equal(await get('/ghost'), '503');
  });

  it('an ExternalName Service pointing at an IP address an admin allowed is proxied to', async () => {
    assert.equal(await get('/external'), '200 external');
  });

  it('traffic follows the EndpointSlice when its endpoints change', async () => {
    assert.ok(gatehouse && manifests && backends);
    assert.equal(await get('/moving'), '200 moving-1');
    const b = backends;
    const move = (name: string): Promise<string> =>
      writeManifest(
        manifests ?? '',
        'moving.yaml',
        serviceWithEndpoints('moving', [{ ip: b.get(name).host, port: b.get(name).port }]),
      );
    await move('moving-2');
    assert.equal(await eventuallyServed(gatehouse, HOST, '/moving', '200 moving-2'), '200 moving-2');
    // The endpoint goes away (scaled to zero) → 503; it comes back → traffic again.
    await writeManifest(manifests, 'moving.yaml', serviceWithEndpoints('moving', []));
    assert.equal(await eventuallyServed(gatehouse, HOST, '/moving', '503'), '503');
    await move('moving-1');
    assert.equal(await eventuallyServed(gatehouse, HOST, '/moving', '200 moving-1'), '200 moving-1');
  });
});
