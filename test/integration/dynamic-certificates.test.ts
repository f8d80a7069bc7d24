// Certificates without reloads (issue 9): every host's certificate is picked by SNI from the dynamic state
// (ssl_certificate_by_lua on the default server, the one SSL context), so a rotated Secret is served on the
// next handshake while NGINX keeps its worker generation; what each host gets is readable on the socket.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { socketRequest } from '../../src/nginx/dynamic-client.ts';
import { childPids } from '../../src/nginx/workers.ts';
import { certificateFor, ingress, tlsSecret, type TestCertificate } from '../support/fixtures.ts';
import { eventually, request } from '../support/http-client.ts';
import { countMatches, serveFolder, type ServedFolder } from '../support/integration.ts';

const HOST = 'rotate.example.com';
const WILDCARD = '*.wild.example.com';

const fingerprint = (c: TestCertificate): string => new X509Certificate(c.cert).fingerprint256;

describe('certificates change without a reload', () => {
  let served: ServedFolder | undefined;
  let first: TestCertificate;
  let second: TestCertificate;
  let wild: TestCertificate;

  const objects = (cert: TestCertificate) => [
    tlsSecret('rotate', cert),
    tlsSecret('wild', wild),
    ingress({
      name: 'rotate',
      tls: [{ hosts: [HOST], secretName: 'rotate' }],
      rules: [{ host: HOST, paths: [{ service: 'app', port: 80 }] }],
    }),
    ingress({
      name: 'wild',
      tls: [{ hosts: [WILDCARD], secretName: 'wild' }],
      rules: [{ host: WILDCARD, paths: [{ service: 'app', port: 80 }] }],
    }),
    // Another Ingress's host under the wildcard, without TLS: the wildcard's certificate is not its own.
    ingress({
      name: 'plain',
      rules: [{ host: 'plain.wild.example.com', paths: [{ service: 'app', port: 80 }] }],
    }),
  ];

  const presented = async (host: string): Promise<string | undefined> =>
    (await request('https', served!.gatehouse.httpsPort, host, '/')).certificateFingerprint;

  async function workerGeneration(): Promise<string> {
    const pidFile = path.join(served!.gatehouse.confDir, 'run', 'nginx.pid');
    const master = Number((await readFile(pidFile, 'utf8')).trim());
    return `${master}: ${(await childPids(master)).join(',')}`;
  }

  before(async () => {
    [first, second, wild] = await Promise.all([
      certificateFor(HOST),
      certificateFor(HOST),
      certificateFor(WILDCARD),
    ]);
    served = await serveFolder(['app'], objects(first));
  });

  after(async () => {
    await served?.stop();
  });

  it('each host gets its own certificate by SNI; a wildcard covers one label; others get the default', async () => {
    assert.equal(await presented(HOST), fingerprint(first));
    assert.equal(await presented('a.wild.example.com'), fingerprint(wild));
    // A host of its own, without TLS, is not covered by the wildcard above it.
    const plain = await presented('plain.wild.example.com');
    const unknown = await presented('unknown.example.com');
    assert.notEqual(plain, fingerprint(wild));
    assert.equal(plain, unknown, 'hosts without a certificate of their own share the default one');
    const reply = await request('https', served!.gatehouse.httpsPort, HOST, '/');
    assert.equal(reply.status, 200);
  });

  it('a rotated certificate is served on the next handshake, with no reload', async () => {
    const g = served!.gatehouse;
    const generation = await workerGeneration();
    const reloads = countMatches(g.logs(), 'nginx reloaded');
    await served!.write(objects(second));
    assert.equal(
      await eventually(
        () => presented(HOST),
        (f) => f === fingerprint(second),
      ),
      fingerprint(second),
    );
    assert.equal(await workerGeneration(), generation, 'NGINX started new workers: it reloaded');
    assert.equal(countMatches(g.logs(), 'nginx reloaded'), reloads);
    assert.equal(await presented('a.wild.example.com'), fingerprint(wild));
  });

  it('the status socket says which certificate each host gets, and never shows a key', async () => {
    const socket = path.join(served!.gatehouse.confDir, 'run', 'status.sock');
    const reply = await socketRequest(socket, 'GET', '/gatehouse/certificates');
    assert.equal(reply.status, 200);
    const { hosts } = JSON.parse(reply.body) as { hosts: Record<string, string> };
    assert.match(hosts[HOST] ?? '', /^default_rotate_[0-9a-f]{12}\.pem$/);
    assert.match(hosts[WILDCARD] ?? '', /^default_wild_[0-9a-f]{12}\.pem$/);
    assert.equal(hosts['plain.wild.example.com'], '');
    assert.doesNotMatch(reply.body, /PRIVATE KEY|BEGIN CERTIFICATE/);
  });
});
