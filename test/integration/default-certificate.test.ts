import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { certificateFor, ingress, tlsSecret, writeManifest } from '../support/fixtures.ts';
import { startGatehouse, type RunningGatehouse } from '../support/gatehouse-process.ts';
import { eventually, request } from '../support/http-client.ts';
import { Backends, manifestsFolder, removeFolder } from '../support/integration.ts';

describe('--default-ssl-certificate', () => {
  let dir: string | undefined;
  let backends: Backends | undefined;
  let gatehouse: RunningGatehouse | undefined;

  before(async () => {
    dir = await manifestsFolder();
    backends = await Backends.start(['web']);
    await writeManifest(dir, 'web.yaml', [
      tlsSecret('wildcard-tls', await certificateFor('*.example.com')),
      ingress({
        name: 'web',
        rules: [{ host: 'web.example.com', paths: [{ path: '/', service: 'web', port: 80 }] }],
      }),
      ...backends.services(),
    ]);
    gatehouse = await startGatehouse(dir, ['--default-ssl-certificate', 'default/wildcard-tls']);
  });

  after(async () => {
    await gatehouse?.stop();
    await backends?.close();
    await removeFolder(dir);
  });

  it('is what a host without its own certificate presents, and traffic flows', async () => {
    const reply = await request('https', gatehouse!.httpsPort, 'web.example.com', '/');
    assert.equal(reply.certificateCN, '*.example.com');
    assert.equal(reply.status, 200);
    assert.match(reply.body, /"backend":"web"/);
  });

  it('is what unknown hosts get too', async () => {
    const reply = await request('https', gatehouse!.httpsPort, 'other.example.org', '/');
    assert.equal(reply.certificateCN, '*.example.com');
    assert.equal(reply.status, 404);
  });

  it('follows a rotation of the Secret without a restart', async () => {
    await writeManifest(dir!, 'web.yaml', [
      tlsSecret('wildcard-tls', await certificateFor('*.example.com', 'rotated.example.com')),
      ingress({
        name: 'web',
        rules: [{ host: 'web.example.com', paths: [{ path: '/', service: 'web', port: 80 }] }],
      }),
      ...backends!.services(),
    ]);
    const reply = await eventually(
      () => request('https', gatehouse!.httpsPort, 'web.example.com', '/'),
      (r) => r.certificateSAN?.includes('rotated.example.com') === true,
    );
    assert.match(reply.certificateSAN ?? '', /DNS:rotated\.example\.com/);
  });
});
