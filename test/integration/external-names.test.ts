// ExternalName Services as a hostile tenant would use them: names that never resolve, a DNS server that
// answers only after seconds, and targets that lead back to the controller's own host or a cloud metadata
// service. NGINX never resolves a name: the controller does, in the background, so none of this holds up an
// unrelated tenant's change; each bad target answers 503 alone and is named in the log.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KubernetesObject } from '@kubernetes/client-node';
import { fetchBackends } from '../../src/nginx/dynamic-client.ts';
import { externalNameService, ingress, serviceWithEndpoints, writeManifest } from '../support/fixtures.ts';
import { startGatehouse, type RunningGatehouse } from '../support/gatehouse-process.ts';
import { request } from '../support/http-client.ts';
import {
  Backends,
  eventuallyServed,
  liveConfig,
  manifestsFolder,
  removeFolder,
  served,
  waitForLog,
} from '../support/integration.ts';
import { createTestHost, type HostedBackend, type TestHost } from '../support/netns.ts';

const HOSTILE = 'hostile.example.com';
const GOOD = 'good.example.com';
const UNRESOLVABLE = Array.from({ length: 6 }, (_, i) => `gone-${i}`);

describe('ExternalName targets, as a hostile tenant would set them', () => {
  let manifests = '';
  let host: TestHost | undefined;
  let external: HostedBackend | undefined;
  let backends: Backends | undefined;
  let gatehouse: RunningGatehouse | undefined;
  const get = (h: string, path: string): Promise<string> => served('http', gatehouse!.httpPort, h, path);

  before(async () => {
    host = await createTestHost();
    external = await host.backend('external');
    const dns = await host.dnsServer('dns', {
      'api.partner.test': { addresses: [host.address] },
      'slow.partner.test': { addresses: [host.address], delayMs: 60_000 },
      'meta.partner.test': { addresses: ['169.254.169.254'] },
      'self.partner.test': { addresses: ['127.0.0.1'] },
      'mixed.partner.test': { addresses: [host.address, '::ffff:127.0.0.1'] },
    });
    manifests = await manifestsFolder();
    backends = await Backends.start(['good-1', 'good-2']);
    await writeManifest(manifests, 'good.yaml', [
      ...serviceWithEndpoints('good', [
        { ip: backends.get('good-1').host, port: backends.get('good-1').port },
      ]),
      ingress({
        name: 'good',
        namespace: 'default',
        rules: [{ host: GOOD, paths: [{ path: '/', service: 'good', port: 80 }] }],
      }),
    ]);
    gatehouse = await startGatehouse(manifests, ['--external-name-resolver', dns.address]);
  });

  after(async () => {
    await gatehouse?.stop();
    await backends?.close();
    await host?.remove();
    await removeFolder(manifests);
  });

  it('proxies to a resolved name, and does not let hostile targets hold up anyone else', async () => {
    const port = external!.port;
    const targets: [string, string][] = [
      ['api', 'api.partner.test'],
      ['slow', 'slow.partner.test'],
      ['meta', 'meta.partner.test'],
      ['self', 'self.partner.test'],
      ['mixed', 'mixed.partner.test'],
      ['localhost', 'localhost'],
      ['loopback', '127.0.0.1'],
      ['metadata', '169.254.169.254'],
      ...UNRESOLVABLE.map((n): [string, string] => [n, `${n}.partner.test`]),
    ];
    const objects: KubernetesObject[] = [
      ...targets.map(([name, target]) => externalNameService(name, target, 'tenant', port)),
      // The controller's own health and metrics port, through the public ingress.
      externalNameService('metrics', '127.0.0.1', 'tenant', gatehouse!.healthzPort),
      ingress({
        name: 'hostile',
        namespace: 'tenant',
        rules: [
          {
            host: HOSTILE,
            paths: [
              ...targets.map(([name]) => ({ path: `/${name}`, service: name, port })),
              { path: '/metrics', service: 'metrics', port: gatehouse!.healthzPort },
            ],
          },
        ],
      }),
    ];
    await writeManifest(manifests, 'hostile.yaml', objects);
    assert.equal(await eventuallyServed(gatehouse!, HOSTILE, '/api', '200 external'), '200 external');

    // Meanwhile an unrelated tenant's change (a new path, an endpoint move) goes live without waiting for
    // DNS: well before the slow name's answer (60 s) or even the resolver's timeout.
    await writeManifest(manifests, 'good.yaml', [
      ...serviceWithEndpoints('good', [
        { ip: backends!.get('good-2').host, port: backends!.get('good-2').port },
      ]),
      ingress({
        name: 'good',
        rules: [
          {
            host: GOOD,
            paths: [
              { path: '/', service: 'good', port: 80 },
              { path: '/new', service: 'good', port: 80 },
            ],
          },
        ],
      }),
    ]);
    assert.equal(await eventuallyServed(gatehouse!, GOOD, '/new', '200 good-2', 20_000), '200 good-2');
    assert.equal(await get(GOOD, '/'), '200 good-2');

    for (const name of [
      'slow',
      'meta',
      'self',
      'mixed',
      'localhost',
      'loopback',
      'metadata',
      ...UNRESOLVABLE,
    ])
      assert.equal(await get(HOSTILE, `/${name}`), '503', `/${name}`);
  });

  it('never proxies to the controller itself: its metrics are not reachable through the ingress', async () => {
    const reply = await request('http', gatehouse!.httpPort, HOSTILE, '/metrics');
    assert.equal(reply.status, 503);
    assert.doesNotMatch(reply.body, /gatehouse_/);
  });

  it('names each refused or unresolvable target in the log, with why', async () => {
    const logs = await waitForLog(gatehouse!, 'gone-5.partner.test does not resolve (no such name)');
    for (const expected of [
      'ExternalName Service tenant/meta: 169.254.169.254 is a link-local address',
      'ExternalName Service tenant/self: 127.0.0.1 is a loopback address',
      'ExternalName Service tenant/mixed: ::ffff:127.0.0.1 is a loopback address',
      'ExternalName Service tenant/localhost: localhost names this machine',
      'ExternalName Service tenant/metadata: 169.254.169.254 is a link-local address',
      'ExternalName Service tenant/slow: slow.partner.test is still being resolved',
    ])
      assert.ok(logs.includes(expected), `log lacks: ${expected}`);
  });

  it('writes no name into nginx.conf for NGINX to resolve, and no refused address', async () => {
    const conf = await liveConfig(gatehouse!);
    assert.doesNotMatch(
      conf,
      /partner\.test|localhost:|169\.254\.169\.254|server 127\.0\.0\.1:\d+ .*\n[^}]*# service tenant/,
    );
    // The resolved address is among the endpoints pushed to NGINX (not in nginx.conf), and no refused one.
    const live = await fetchBackends(path.join(gatehouse!.confDir, 'run', 'status.sock'));
    const endpoints = Object.values(live.backends).flat();
    assert.ok(endpoints.includes(`${host!.address}:${external!.port}`), JSON.stringify(live.backends));
    const tenants = Object.entries(live.backends).filter(([name]) => name.startsWith('tenant_'));
    assert.deepEqual(
      tenants.flatMap(([, list]) => list).filter((e) => /^(127\.|169\.254\.|\[::1\])/.test(e)),
      [],
    );
  });

  it('serves a hostile tenant once it points its Service at a name that resolves, touching no one else', async () => {
    // The slow answer (60 s) outlasts the resolver's timeout: it stays 503, and says so, without ever
    // holding a reconcile. Pointing the Service at a fast name makes it work without touching others.
    await writeManifest(manifests, 'hostile.yaml', [
      externalNameService('slow', 'api.partner.test', 'tenant', external!.port),
      ingress({
        name: 'hostile',
        namespace: 'tenant',
        rules: [{ host: HOSTILE, paths: [{ path: '/slow', service: 'slow', port: external!.port }] }],
      }),
    ]);
    assert.equal(await eventuallyServed(gatehouse!, HOSTILE, '/slow', '200 external'), '200 external');
    assert.equal(await get(GOOD, '/'), '200 good-2');
  });
});
