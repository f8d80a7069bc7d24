import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { certificateFor, ingress, tlsSecret } from '../support/fixtures.ts';
import { eventually, request } from '../support/http-client.ts';
import { serveFolder, type ServedFolder } from '../support/integration.ts';

describe('--default-ssl-certificate', () => {
  let served: ServedFolder | undefined;
  const web = ingress({
    name: 'web',
    rules: [{ host: 'web.example.com', paths: [{ path: '/', service: 'web', port: 80 }] }],
  });

  before(async () => {
    served = await serveFolder(
      ['web'],
      [tlsSecret('wildcard-tls', await certificateFor('*.example.com')), web],
      ['--default-ssl-certificate', 'default/wildcard-tls'],
    );
  });

  after(() => served?.stop());

  it('is what a host without its own certificate presents, and traffic flows', async () => {
    const reply = await request('https', served!.gatehouse.httpsPort, 'web.example.com', '/');
    assert.equal(reply.certificateCN, '*.example.com');
    assert.equal(reply.status, 200);
    assert.match(reply.body, /"backend":"web"/);
  });

  it('is what unknown hosts get too', async () => {
    const reply = await request('https', served!.gatehouse.httpsPort, 'other.example.org', '/');
    assert.equal(reply.certificateCN, '*.example.com');
    assert.equal(reply.status, 404);
  });

  it('follows a rotation of the Secret without a restart', async () => {
    await served!.write([
      tlsSecret('wildcard-tls', await certificateFor('*.example.com', 'rotated.example.com')),
      web,
    ]);
    const reply = await eventually(
      () => request('https', served!.gatehouse.httpsPort, 'web.example.com', '/'),
      (r) => r.certificateSAN?.includes('rotated.example.com') === true,
    );
    assert.match(reply.certificateSAN ?? '', /DNS:rotated\.example\.com/);
  });
});
