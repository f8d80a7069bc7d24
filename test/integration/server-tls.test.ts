// Per-host TLS settings as a TLS 1.2 client sees them: a host with ssl-ciphers refuses a cipher outside
// its list that another host still accepts, agrees on one of its list, and still presents its own
// certificate (it has an SSL context of its own); with ssl-prefer-server-ciphers false the client's order
// wins there. TLS 1.3 suites are not set by ssl_ciphers, hence TLS 1.2.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { certificateFor, ingress, tlsSecret } from '../support/fixtures.ts';
import { request, tls12Handshake } from '../support/http-client.ts';
import { echoOf, serveFolder, type ServedFolder } from '../support/integration.ts';

const AES128 = 'ECDHE-ECDSA-AES128-GCM-SHA256';
const AES256 = 'ECDHE-ECDSA-AES256-GCM-SHA384';
const CHACHA = 'ECDHE-ECDSA-CHACHA20-POLY1305';

describe('ssl-ciphers and ssl-prefer-server-ciphers', () => {
  let served: ServedFolder | undefined;
  const site = async (name: string, annotations: Record<string, string>) => [
    tlsSecret(`${name}-tls`, await certificateFor(`${name}.example.com`)),
    ingress({
      name,
      tls: [{ hosts: [`${name}.example.com`], secretName: `${name}-tls` }],
      annotations: Object.fromEntries(
        Object.entries(annotations).map(([k, v]) => [`nginx.ingress.kubernetes.io/${k}`, v]),
      ),
      rules: [{ host: `${name}.example.com`, paths: [{ service: 'web', port: 80 }] }],
    }),
  ];

  before(async () => {
    served = await serveFolder(
      ['web'],
      [
        ...(await site('strict', { 'ssl-ciphers': `${AES256}:${CHACHA}` })),
        ...(await site('other', {})),
        ...(await site('client-order', { 'ssl-prefer-server-ciphers': 'false' })),
      ],
    );
  });
  after(() => served?.stop());

  const handshake = (host: string, ciphers: string) =>
    tls12Handshake(served!.gatehouse.httpsPort, `${host}.example.com`, ciphers);

  it('refuses a cipher outside the host’s list, which another host accepts', async () => {
    await assert.rejects(handshake('strict', AES128), /handshake failure|alert/i);
    assert.deepEqual(await handshake('other', AES128), {
      cipher: AES128,
      certificateCN: 'other.example.com',
    });
  });

  it('agrees on a cipher of its list, with the host’s own certificate, and serves the request', async () => {
    assert.deepEqual(await handshake('strict', `${AES128}:${AES256}`), {
      cipher: AES256,
      certificateCN: 'strict.example.com',
    });
    const reply = await request('https', served!.gatehouse.httpsPort, 'strict.example.com', '/');
    assert.equal(reply.status, 200);
    assert.equal(reply.certificateCN, 'strict.example.com');
    assert.equal(echoOf(reply).backend, 'web');
  });

  it('lets the client’s order win with ssl-prefer-server-ciphers false, and only there', async () => {
    // The http block's list offers AES128 before CHACHA20, and its order wins elsewhere.
    assert.equal((await handshake('other', `${CHACHA}:${AES128}`)).cipher, AES128);
    assert.deepEqual(await handshake('client-order', `${CHACHA}:${AES128}`), {
      cipher: CHACHA,
      certificateCN: 'client-order.example.com',
    });
  });
});
