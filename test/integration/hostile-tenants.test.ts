// Objects a hostile (or careless) tenant can create with rights in its own namespace only, each of which used
// to freeze every other tenant's config: certificates NGINX's OpenSSL refuses, host names too long for
// NGINX's default server-name hash, an Ingress of 10,000 paths, and a TLS section for another team's host.
// After they arrive an unrelated tenant's change (a new path, an endpoint move) still goes live at once, and
// each hostile object is named in the log with the reason.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  certificateFor,
  ingress,
  serviceWithEndpoints,
  tlsSecret,
  writeManifest,
  type TestCertificate,
} from '../support/fixtures.ts';
import { startGatehouse, type RunningGatehouse } from '../support/gatehouse-process.ts';
import { request } from '../support/http-client.ts';
import {
  Backends,
  eventuallyServed,
  manifestsFolder,
  removeFolder,
  served,
  waitForLog,
} from '../support/integration.ts';
import { weakCertificates, type WeakCertificates } from '../support/weak-certificates.ts';

const DEFAULT_CN = 'Gatehouse Default Certificate';
const GOOD = 'good.example.com';
const WEAK_KINDS = ['rsa1024', 'p192', 'dsa', 'sha1Leaf', 'weakCa'] as const;

/** What real NGINX says of a certificate on its own: `ok`, or its refusal. */
function nginxVerdict(cert: TestCertificate): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'gh-nginx-verdict-'));
  try {
    writeFileSync(path.join(dir, 'cert.pem'), cert.cert + cert.key);
    writeFileSync(
      path.join(dir, 'nginx.conf'),
      `pid ${dir}/nginx.pid; error_log stderr; events {} http { server { listen 127.0.0.1:1 ssl; ssl_certificate ${dir}/cert.pem; ssl_certificate_key ${dir}/cert.pem; } }`,
    );
    const check = spawnSync('nginx', ['-t', '-q', '-p', dir, '-c', path.join(dir, 'nginx.conf')], {
      encoding: 'utf8',
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    return check.status === 0 ? 'ok' : check.stderr;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('hostile tenants', () => {
  let manifests = '';
  let backends: Backends | undefined;
  let gatehouse: RunningGatehouse | undefined;
  let weak: WeakCertificates;
  let shopCert: TestCertificate;
  const long = (n: number): string => {
    // Labels of up to 63 characters, dot-separated, exactly n characters in all.
    const labels: string[] = [];
    let left = n - '.example.com'.length;
    while (left > 0) {
      const take = Math.min(63, left - (labels.length > 0 ? 1 : 0));
      labels.push('a'.repeat(take));
      left -= take + (labels.length > 1 ? 1 : 0);
    }
    return `${labels.join('.')}.example.com`;
  };
  const hosts = { long130: long(130), long253: long(253) };

  const goodTenant = (endpoint: string, paths: string[]): KubernetesObject[] => [
    ...serviceWithEndpoints('web', [
      { ip: backends!.get(endpoint).host, port: backends!.get(endpoint).port },
    ]),
    ingress({
      name: 'good',
      rules: [{ host: GOOD, paths: paths.map((p) => ({ path: p, service: 'web', port: 80 })) }],
    }),
  ];

  /** The unrelated tenant's change goes live promptly, whatever else is in the folder. */
  const unrelatedChangeGoesLive = async (step: string): Promise<void> => {
    const target = step === 'a' ? 'good-2' : 'good-1';
    await writeManifest(manifests, 'good.yaml', goodTenant(target, ['/', `/new-${step}`]));
    assert.equal(
      await eventuallyServed(gatehouse!, GOOD, `/new-${step}`, `200 ${target}`, 20_000),
      `200 ${target}`,
    );
    assert.equal(await served('http', gatehouse!.httpPort, GOOD, '/'), `200 ${target}`);
  };

  before(async () => {
    [weak, shopCert] = await Promise.all([
      weakCertificates('weak.example.com'),
      certificateFor('shop.example.com'),
    ]);
    manifests = await manifestsFolder();
    backends = await Backends.start(['good-1', 'good-2', 'tenant']);
    await writeManifest(manifests, 'good.yaml', goodTenant('good-1', ['/']));
    await writeManifest(manifests, 'tenant-services.yaml', [
      ...['team-a', 'team-b', 'weak', 'long', 'huge'].flatMap((namespace) =>
        serviceWithEndpoints(
          'app',
          [{ ip: backends!.get('tenant').host, port: backends!.get('tenant').port }],
          { namespace },
        ),
      ),
    ]);
    gatehouse = await startGatehouse(manifests);
  });

  after(async () => {
    await gatehouse?.stop();
    await backends?.close();
    await removeFolder(manifests);
  });

  it('the weak certificates are ones real NGINX refuses', () => {
    for (const kind of WEAK_KINDS) {
      const verdict = nginxVerdict(weak[kind]);
      assert.match(verdict, /too small|too weak/, `${kind}: ${verdict}`);
    }
    assert.equal(nginxVerdict(weak.sound), 'ok');
  });

  it('certificates NGINX would refuse cost only their own hosts, which get the default certificate', async () => {
    await writeManifest(manifests, 'weak.yaml', [
      ...WEAK_KINDS.map((kind) => tlsSecret(kind.toLowerCase(), weak[kind], 'weak')),
      ...WEAK_KINDS.map((kind) =>
        ingress({
          name: kind.toLowerCase(),
          namespace: 'weak',
          tls: [{ hosts: [`${kind.toLowerCase()}.weak.example.com`], secretName: kind.toLowerCase() }],
          rules: [{ host: `${kind.toLowerCase()}.weak.example.com`, paths: [{ service: 'app', port: 80 }] }],
        }),
      ),
    ]);
    await unrelatedChangeGoesLive('a');
    for (const kind of WEAK_KINDS) {
      const reply = await request(
        'https',
        gatehouse!.httpsPort,
        `${kind.toLowerCase()}.weak.example.com`,
        '/',
      );
      assert.equal(reply.certificateCN, DEFAULT_CN, kind);
      assert.equal(reply.status, 200, kind);
    }
    const logs = await waitForLog(gatehouse!, 'Ingress weak/weakca');
    for (const [kind, why] of [
      ['rsa1024', 'certificate has a 1024-bit RSA key'],
      ['p192', 'certificate uses the elliptic curve prime192v1'],
      ['dsa', 'certificate has a dsa key'],
      ['sha1leaf', 'certificate is signed with sha1WithRSAEncryption'],
      ['weakca', 'chain certificate 1 has a 1024-bit RSA key'],
    ])
      assert.match(
        logs,
        new RegExp(`Ingress weak/${kind}: spec\\.tls\\[0\\]\\.secretName: Secret weak/${kind}: ${why}`),
      );
  });

  it('host names of 130 and 253 characters are served, and so is everyone else', async () => {
    await writeManifest(manifests, 'long.yaml', [
      ingress({
        name: 'long',
        namespace: 'long',
        rules: Object.values(hosts).map((host) => ({ host, paths: [{ service: 'app', port: 80 }] })),
      }),
    ]);
    await unrelatedChangeGoesLive('b');
    for (const host of Object.values(hosts))
      assert.equal(
        await served('http', gatehouse!.httpPort, host, '/'),
        '200 tenant',
        `${host.length} characters`,
      );
  });

  it('an Ingress of 10,000 paths is refused alone, before it costs anything', async () => {
    await writeManifest(manifests, 'huge.yaml', [
      ingress({
        name: 'huge',
        namespace: 'huge',
        rules: [
          {
            host: 'huge.example.com',
            paths: Array.from({ length: 10_000 }, (_, i) => ({ path: `/p${i}`, service: 'app', port: 80 })),
          },
        ],
      }),
    ]);
    await unrelatedChangeGoesLive('a');
    await waitForLog(
      gatehouse!,
      /Ingress huge\/huge: spec: lists 10000 paths; an Ingress may list at most 1000/,
    );
    assert.equal(await served('http', gatehouse!.httpPort, 'huge.example.com', '/p1'), '404');
  });

  it('a TLS section for another team’s host gives that host neither its certificate nor a redirect', async () => {
    await writeManifest(manifests, 'takeover.yaml', [
      ingress({
        name: 'shop',
        namespace: 'team-a', // the shop's owner: no TLS of its own
        rules: [{ host: 'shop.example.com', paths: [{ path: '/', service: 'app', port: 80 }] }],
      }),
      tlsSecret('stolen', shopCert, 'team-b'),
      ingress({
        name: 'intruder', // folder mode has no creation times: team-b sorts after team-a, so it is newer
        namespace: 'team-b',
        tls: [{ hosts: ['shop.example.com'], secretName: 'stolen' }],
        rules: [{ host: 'shop.example.com', paths: [{ path: '/intruder', service: 'app', port: 80 }] }],
      }),
    ]);
    await unrelatedChangeGoesLive('b');
    await waitForLog(gatehouse!, /host shop\.example\.com belongs to an older Ingress in another namespace/);
    assert.equal(
      await served('http', gatehouse!.httpPort, 'shop.example.com', '/'),
      '200 tenant',
      'no redirect',
    );
    const https = await request('https', gatehouse!.httpsPort, 'shop.example.com', '/');
    assert.equal(https.certificateCN, DEFAULT_CN);
  });
});
