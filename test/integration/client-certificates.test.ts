// Client certificates as a client sees them: a certificate signed by the Secret's CA (and, with
// auth-tls-match-cn, with a listed CN) gets through and the pod learns who it is; no certificate, one from
// another CA or another CN is refused with the configured answer; plain HTTP never slips past.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { certificateFor, ingress, tlsSecret } from '../support/fixtures.ts';
import { request, type RequestOptions } from '../support/http-client.ts';
import { caSecret, clientCa, clientCertificate } from '../support/client-certs.ts';
import { echoOf, serveFolder, type ServedFolder } from '../support/integration.ts';
import type { TestCertificate } from '../support/fixtures.ts';

describe('client certificates (auth-tls-*)', () => {
  let served: ServedFolder | undefined;
  let billing: TestCertificate | undefined;
  let intruder: TestCertificate | undefined;
  let stranger: TestCertificate | undefined;
  const https = (host: string, options: RequestOptions = {}) => {
    assert.ok(served);
    return request('https', served.gatehouse.httpsPort, host, '/', options);
  };
  const tls = (name: string, host: string, annotations: Record<string, string>, secretName?: string) =>
    ingress({
      name,
      ...(secretName !== undefined && { tls: [{ secretName }] }),
      annotations: {
        'nginx.ingress.kubernetes.io/auth-tls-secret': 'default/client-ca',
        'nginx.ingress.kubernetes.io/ssl-redirect': 'false',
        ...annotations,
      },
      rules: [{ host, paths: [{ service: 'app', port: 80 }] }],
    });

  before(async () => {
    const ca = await clientCa('Gatehouse test CA');
    const otherCa = await clientCa('Some other CA');
    billing = await clientCertificate('billing', ca);
    intruder = await clientCertificate('intruder', ca);
    stranger = await clientCertificate('billing', otherCa);
    served = await serveFolder(
      ['app'],
      [
        tls(
          'strict',
          'mtls.example.com',
          {
            'nginx.ingress.kubernetes.io/auth-tls-match-cn': 'CN=billing|CN=reports',
            'nginx.ingress.kubernetes.io/auth-tls-pass-certificate-to-upstream': 'true',
          },
          'mtls-tls',
        ),
        tlsSecret('mtls-tls', await certificateFor('mtls.example.com')),
        tls('optional', 'optional.example.com', {
          'nginx.ingress.kubernetes.io/auth-tls-verify-client': 'optional',
        }),
        tls('helpful', 'help.example.com', {
          'nginx.ingress.kubernetes.io/auth-tls-error-page':
            'https://help.example.com/certificates?from=gatehouse',
        }),
        caSecret('client-ca', ca),
      ],
    );
  });

  after(async () => {
    await served?.stop();
  });

  it('lets a certificate of the CA with a listed CN through, and tells the pod who it is', async () => {
    assert.ok(billing);
    const reply = await https('mtls.example.com', { clientCertificate: billing });
    assert.equal(reply.status, 200);
    assert.equal(
      reply.certificateCN,
      'mtls.example.com',
      "the host's own certificate, in its own SSL context",
    );
    const { headers } = echoOf(reply);
    assert.equal(headers['ssl-client-verify'], 'SUCCESS');
    assert.equal(headers['ssl-client-subject-dn'], 'CN=billing');
    assert.equal(headers['ssl-client-issuer-dn'], 'CN=Gatehouse test CA');
    assert.match(String(headers['ssl-client-cert']), /^-----BEGIN%20CERTIFICATE-----/);
  });

  it('refuses a missing certificate or one from another CA with 400, and another CN with 403', async () => {
    assert.ok(intruder && stranger);
    const none = await https('mtls.example.com');
    assert.equal(none.status, 400);
    assert.match(none.body, /No required SSL certificate was sent/);
    assert.equal((await https('mtls.example.com', { clientCertificate: stranger })).status, 400);
    assert.equal((await https('mtls.example.com', { clientCertificate: intruder })).status, 403);
  });

  it('does not let plain HTTP slip past a host that requires certificates', async () => {
    assert.ok(served);
    // help.example.com requires a certificate and lists no CN: only the verdict check stands in the way.
    const reply = await request('http', served.gatehouse.httpPort, 'help.example.com', '/');
    assert.equal(reply.status, 403);
    assert.equal((await request('http', served.gatehouse.httpPort, 'mtls.example.com', '/')).status, 403);
  });

  it('with verify optional, serves clients without a certificate and says so to the pod', async () => {
    assert.ok(billing);
    const anonymous = await https('optional.example.com');
    assert.equal(anonymous.status, 200);
    assert.equal(echoOf(anonymous).headers['ssl-client-verify'], 'NONE');
    const known = await https('optional.example.com', { clientCertificate: billing });
    assert.equal(echoOf(known).headers['ssl-client-verify'], 'SUCCESS');
  });

  it('redirects a client without a valid certificate to auth-tls-error-page', async () => {
    const reply = await https('help.example.com');
    assert.equal(reply.status, 302);
    assert.equal(reply.headers.location, 'https://help.example.com/certificates?from=gatehouse');
  });
});
