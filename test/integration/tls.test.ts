// TLS: certificates from kubernetes.io/tls Secrets chosen by SNI, the default certificate for hosts without
// one, a broken Secret costing only its own TLS entry, and the HTTP → HTTPS redirect.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { certificateFor, ingress, tlsSecret, writeManifest } from '../support/fixtures.ts';
import { startGatehouse, type RunningGatehouse } from '../support/gatehouse-process.ts';
import { request } from '../support/http-client.ts';
import {
  Backends,
  describeReply,
  manifestsFolder,
  removeFolder,
  waitForLog,
} from '../support/integration.ts';

const DEFAULT_CN = 'Gatehouse Default Certificate';

/** A Secret of the right type whose PEM blocks look plausible but hold no certificate or key. */
function garbageSecret(name: string): KubernetesObject {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'default' },
    type: 'kubernetes.io/tls',
    data: {
      'tls.crt': b64(
        '-----BEGIN CERTIFICATE-----\nAAAAbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n',
      ),
      'tls.key': b64('-----BEGIN PRIVATE KEY-----\nAAAAbm90IGEga2V5\n-----END PRIVATE KEY-----\n'),
    },
  } as KubernetesObject;
}

describe('TLS', () => {
  let manifests: string | undefined;
  let backends: Backends | undefined;
  let gatehouse: RunningGatehouse | undefined;
  const https = (host: string, path = '/'): ReturnType<typeof request> => {
    assert.ok(gatehouse);
    return request('https', gatehouse.httpsPort, host, path);
  };
  const http = (host: string, path = '/'): ReturnType<typeof request> => {
    assert.ok(gatehouse);
    return request('http', gatehouse.httpPort, host, path);
  };

  before(async () => {
    manifests = await manifestsFolder();
    backends = await Backends.start(['site-a', 'site-b', 'plain', 'broken', 'relaxed']);
    const [certA, certB, certRelaxed] = await Promise.all([
      certificateFor('a.secure.test'),
      certificateFor('b.secure.test'),
      certificateFor('relaxed.secure.test'),
    ]);
    await writeManifest(manifests, 'services.yaml', backends.services());
    await writeManifest(manifests, 'secrets.yaml', [
      tlsSecret('tls-a', certA),
      tlsSecret('tls-b', certB),
      tlsSecret('tls-relaxed', certRelaxed),
      garbageSecret('tls-garbage'),
    ]);
    await writeManifest(manifests, 'ingresses.yaml', [
      ingress({
        name: 'site-a',
        tls: [{ hosts: ['a.secure.test'], secretName: 'tls-a' }],
        rules: [{ host: 'a.secure.test', paths: [{ service: 'site-a', port: 80 }] }],
      }),
      // One good TLS entry and one with a broken Secret in the same Ingress.
      ingress({
        name: 'mixed',
        tls: [
          { hosts: ['b.secure.test'], secretName: 'tls-b' },
          { hosts: ['broken.secure.test'], secretName: 'tls-garbage' },
        ],
        rules: [
          { host: 'b.secure.test', paths: [{ service: 'site-b', port: 80 }] },
          { host: 'broken.secure.test', paths: [{ service: 'broken', port: 80 }] },
        ],
      }),
      ingress({
        name: 'plain',
        rules: [{ host: 'plain.secure.test', paths: [{ service: 'plain', port: 80 }] }],
      }),
      ingress({
        name: 'relaxed',
        annotations: { 'nginx.ingress.kubernetes.io/ssl-redirect': 'false' },
        tls: [{ hosts: ['relaxed.secure.test'], secretName: 'tls-relaxed' }],
        rules: [{ host: 'relaxed.secure.test', paths: [{ service: 'relaxed', port: 80 }] }],
      }),
      // A second Ingress on the relaxed host keeps the default: one path of the host redirects, one not.
      ingress({
        name: 'strict',
        rules: [
          {
            host: 'relaxed.secure.test',
            paths: [{ path: '/strict', pathType: 'Prefix', service: 'relaxed', port: 80 }],
          },
        ],
      }),
    ]);
    gatehouse = await startGatehouse(manifests);
  });

  after(async () => {
    await gatehouse?.stop();
    await backends?.close();
    await removeFolder(manifests);
  });

  it('serves the certificate of the Secret named for the host (SNI)', async () => {
    const reply = await https('a.secure.test');
    assert.equal(describeReply(reply), '200 site-a');
    assert.equal(reply.certificateCN, 'a.secure.test');
    assert.equal(reply.certificateSAN, 'DNS:a.secure.test');
  });

  it('serves each host its own certificate', async () => {
    const [a, b] = await Promise.all([https('a.secure.test'), https('b.secure.test')]);
    assert.equal(a.certificateCN, 'a.secure.test');
    assert.equal(b.certificateCN, 'b.secure.test');
    assert.equal(describeReply(b), '200 site-b');
  });

  it('a host without TLS gets the default certificate over HTTPS', async () => {
    const reply = await https('plain.secure.test');
    assert.equal(describeReply(reply), '200 plain');
    assert.equal(reply.certificateCN, DEFAULT_CN);
  });

  it('an unknown SNI name gets the default certificate', async () => {
    const reply = await https('unknown.secure.test');
    assert.equal(reply.status, 404);
    assert.equal(reply.certificateCN, DEFAULT_CN);
  });

  it('a Secret with garbage PEM drops only its own TLS entry', async () => {
    assert.ok(gatehouse);
    const broken = await https('broken.secure.test');
    assert.equal(describeReply(broken), '200 broken', 'the host is still served');
    assert.equal(broken.certificateCN, DEFAULT_CN);
    const sibling = await https('b.secure.test');
    assert.equal(sibling.certificateCN, 'b.secure.test', 'the good entry of the same Ingress keeps its cert');
    const logs = await waitForLog(gatehouse, 'Secret default/tls-garbage');
    assert.match(logs, /Ingress default\/mixed: spec\.tls\[1\]\.secretName: Secret default\/tls-garbage: /);
  });

  it('redirects HTTP to HTTPS with 308 for a host with TLS', async () => {
    assert.ok(gatehouse && backends);
    const hitsBefore = backends.get('site-a').hits();
    const reply = await http('a.secure.test', '/some/path?q=1');
    assert.equal(reply.status, 308);
    // No port: clients reach NGINX's HTTPS port on 443 (use-port-in-redirects would add it).
    assert.equal(reply.headers.location, 'https://a.secure.test/some/path?q=1');
    assert.equal(backends.get('site-a').hits(), hitsBefore, 'NGINX answers the redirect itself');
  });

  it('does not redirect a host without TLS', async () => {
    assert.equal(describeReply(await http('plain.secure.test')), '200 plain');
  });

  it('does not redirect when ssl-redirect is "false", and still serves the host its certificate', async () => {
    assert.equal(describeReply(await http('relaxed.secure.test')), '200 relaxed');
    const reply = await https('relaxed.secure.test');
    assert.equal(describeReply(reply), '200 relaxed');
    assert.equal(reply.certificateCN, 'relaxed.secure.test');
  });

  it('on a host where only some paths redirect, redirects those paths alone', async () => {
    const redirected = await http('relaxed.secure.test', '/strict/page?q=1');
    assert.equal(redirected.status, 308);
    assert.equal(redirected.headers.location, 'https://relaxed.secure.test/strict/page?q=1');
    assert.equal(describeReply(await http('relaxed.secure.test', '/other')), '200 relaxed');
    assert.equal(describeReply(await https('relaxed.secure.test', '/strict/page')), '200 relaxed');
  });
});
