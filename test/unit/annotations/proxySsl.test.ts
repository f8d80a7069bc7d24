// proxy-ssl-*: TLS to the pods. Each key's valid and invalid values, then what a proxy-ssl-secret brings
// (the CA bundle and client certificate files) and what a missing or unusable one costs (its paths: 503).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { proxySslFamily } from '../../../src/annotations/proxy-ssl.ts';
import { clientCa, clientCertificate } from '../../support/client-certs.ts';
import { certificateFor, opaqueSecret, type TestCertificate } from '../../support/fixtures.ts';
import { messages } from '../harness.ts';
import { familyTable, prefixed, renderWith } from './table.ts';

const SECRETS: KubernetesObject[] = [];
let ca: TestCertificate;
let client: TestCertificate;
before(async () => {
  ca = await clientCa('Pods CA');
  client = await clientCertificate('gatehouse', ca);
  SECRETS.push(
    opaqueSecret('backend-tls', { 'ca.crt': ca.cert, 'tls.crt': client.cert, 'tls.key': client.key }),
    opaqueSecret('ca-only', { 'ca.crt': ca.cert }),
  );
});

const HTTPS = { 'backend-protocol': 'HTTPS' };
const VERIFY = { ...HTTPS, 'proxy-ssl-secret': 'backend-tls', 'proxy-ssl-name': 'backend.internal' };
const SECRET_REASON = 'must be a Secret name, or namespace/name';
const ON_OFF = 'must be "on" or "off"';

familyTable(
  proxySslFamily,
  [
    {
      annotation: 'proxy-ssl-secret',
      value: 'backend-tls',
      with: HTTPS,
      objects: SECRETS,
      has: ['proxy_ssl_server_name on;'],
      // Through a keep-alive pool of its own (below), never the shared one.
      lacks: ['proxy_ssl_verify on;', 'proxy_pass https://gatehouse_balancer;'],
    },
    {
      annotation: 'proxy-ssl-secret',
      value: 'default/ca-only',
      with: HTTPS,
      objects: SECRETS,
      has: ['proxy_ssl_server_name on;'],
    },
    {
      annotation: 'proxy-ssl-verify',
      value: 'on',
      with: VERIFY,
      objects: SECRETS,
      has: ['proxy_ssl_verify on;', 'proxy_ssl_verify_depth 1;', 'proxy_ssl_name backend.internal;'],
    },
    {
      annotation: 'proxy-ssl-verify',
      value: 'off',
      with: VERIFY,
      objects: SECRETS,
      has: ['proxy_ssl_name backend.internal;'],
      lacks: ['proxy_ssl_verify on;'],
    },
    {
      annotation: 'proxy-ssl-verify-depth',
      value: '3',
      with: { ...VERIFY, 'proxy-ssl-verify': 'on' },
      objects: SECRETS,
      has: ['proxy_ssl_verify_depth 3;'],
    },
    {
      annotation: 'proxy-ssl-verify-depth',
      value: '0',
      with: { ...VERIFY, 'proxy-ssl-verify': 'on' },
      objects: SECRETS,
      has: ['proxy_ssl_verify_depth 1;'],
    },
    {
      annotation: 'proxy-ssl-server-name',
      value: 'off',
      with: HTTPS,
      has: ['proxy_ssl_server_name off;'],
      lacks: ['proxy_ssl_server_name on;'],
    },
    {
      annotation: 'proxy-ssl-name',
      value: 'Backend.Default.svc',
      with: HTTPS,
      has: ['proxy_ssl_name backend.default.svc;', 'proxy_ssl_server_name on;'],
    },
    // GRPCS pods get the same settings through grpc_ssl_*.
    {
      annotation: 'proxy-ssl-name',
      value: 'backend.internal',
      with: { 'backend-protocol': 'GRPCS' },
      has: ['grpc_ssl_name backend.internal;', 'grpc_ssl_server_name on;'],
      lacks: ['proxy_ssl_name backend.internal;', 'grpc_pass grpcs://gatehouse_balancer;'],
    },
    {
      annotation: 'proxy-ssl-protocols',
      value: 'TLSv1.3  TLSv1.2',
      with: HTTPS,
      has: ['proxy_ssl_protocols TLSv1.2 TLSv1.3;'],
    },
    {
      annotation: 'proxy-ssl-ciphers',
      value: 'ECDHE-RSA-AES128-GCM-SHA256:!aNULL',
      with: HTTPS,
      has: ['proxy_ssl_ciphers "ECDHE-RSA-AES128-GCM-SHA256:!aNULL";'],
    },
  ],
  [
    { annotation: 'proxy-ssl-secret', value: 'a/b/c', reason: SECRET_REASON },
    { annotation: 'proxy-ssl-secret', value: 'backend tls', reason: SECRET_REASON },
    {
      annotation: 'proxy-ssl-secret',
      value: 'other/backend-tls',
      reason: "must name a Secret in the Ingress's own namespace",
    },
    { annotation: 'proxy-ssl-verify', value: 'true', reason: ON_OFF },
    {
      annotation: 'proxy-ssl-verify',
      value: 'on',
      with: { 'proxy-ssl-name': 'backend.internal' },
      reason: 'on needs proxy-ssl-secret, whose ca.crt holds the CAs to verify against',
    },
    {
      annotation: 'proxy-ssl-verify',
      value: 'on',
      with: { 'proxy-ssl-secret': 'backend-tls' },
      reason: "on needs proxy-ssl-name, the name the pods' certificate is checked against",
    },
    { annotation: 'proxy-ssl-verify-depth', value: '-1', reason: 'must be a whole number from 0 to 100' },
    { annotation: 'proxy-ssl-verify-depth', value: '101', reason: 'must be a whole number from 0 to 100' },
    { annotation: 'proxy-ssl-server-name', value: 'yes', reason: ON_OFF },
    {
      annotation: 'proxy-ssl-name',
      value: 'backend.internal;\nproxy_pass http://evil',
      reason: 'must be a DNS name',
    },
    { annotation: 'proxy-ssl-name', value: '$host', reason: 'must be a DNS name' },
    { annotation: 'proxy-ssl-protocols', value: 'TLSv1 TLSv1.2', reason: 'must list TLSv1.2 and/or TLSv1.3' },
    {
      annotation: 'proxy-ssl-ciphers',
      value: 'HIGH";\nproxy_pass http://evil;',
      reason: 'must be an OpenSSL cipher list: names, "!", "+", "-" and "@" separated by ":"',
    },
  ],
);

describe('proxy-ssl-secret: the files it brings, and what a bad one costs', () => {
  it('writes the CA bundle and the client certificate for NGINX to load, re-encoded from the Secret', () => {
    const { result, location } = renderWith(prefixed({ ...VERIFY, 'proxy-ssl-verify': 'on' }), {
      objects: SECRETS,
    });
    const files = result.model.upstreamTlsFiles;
    assert.equal(files.length, 2);
    const bundle = files.find((f) => f.fileName.includes('_ca_'));
    const certificate = files.find((f) => !f.fileName.includes('_ca_'));
    assert.ok(bundle && certificate);
    assert.equal(bundle.pem, ca.cert.replace(/\r/g, '').trim() + '\n');
    assert.ok(certificate.pem.includes('PRIVATE KEY'));
    assert.ok(!bundle.pem.includes('PRIVATE KEY'), "the CA's file holds no key");
    for (const line of [
      `proxy_ssl_trusted_certificate "/etc/gatehouse/certs/${bundle.fileName}";`,
      `proxy_ssl_certificate "/etc/gatehouse/certs/${certificate.fileName}";`,
      `proxy_ssl_certificate_key "/etc/gatehouse/certs/${certificate.fileName}";`,
    ])
      assert.ok(location.includes(line), `missing ${line} in\n${location.join('\n')}`);
    assert.ok(result.objects.some((o) => o.kind === 'Secret' && o.name === 'backend-tls'));
  });

  it('proxies through an upstream block of its settings alone, so keep-alive connections are never shared', () => {
    const { result, conf, location } = renderWith(prefixed({ ...VERIFY, 'proxy-ssl-verify': 'on' }), {
      objects: SECRETS,
    });
    const pools = result.model.upstreamTlsPools;
    assert.equal(pools.length, 1);
    const pool = pools[0] ?? '';
    assert.match(pool, /^gatehouse_tls_[0-9a-f]{12}$/);
    assert.ok(location.includes(`proxy_pass https://${pool};`), location.join('\n'));
    const block = conf.slice(conf.indexOf(`upstream ${pool} {`));
    assert.match(
      block,
      /^upstream gatehouse_tls_[0-9a-f]{12} \{\n\s+server 0\.0\.0\.1:1;\n\s+balancer_by_lua_block \{/,
    );
    // Other settings (here: no verification), another pool.
    const other = renderWith(prefixed({ ...HTTPS, 'proxy-ssl-secret': 'backend-tls' }), { objects: SECRETS });
    assert.notDeepEqual(other.result.model.upstreamTlsPools, pools);
  });

  const denied = (secret: KubernetesObject[], annotations: Record<string, string>, reason: string): void => {
    const { result, location } = renderWith(prefixed(annotations), { objects: secret });
    assert.deepEqual(messages(result), [
      `warning: Ingress default/web: metadata.annotations[nginx.ingress.kubernetes.io/proxy-ssl-secret]: ${reason}; its paths answer 503 until it is fixed`,
    ]);
    // Answered in the rewrite phase: the request never reaches the pods without the TLS it asks for.
    assert.ok(location.includes('return 503;'), location.join('\n'));
    assert.deepEqual(result.model.upstreamTlsFiles, []);
  };

  it('a missing Secret denies the paths (503), never proxies without it', () =>
    denied([], { ...HTTPS, 'proxy-ssl-secret': 'gone' }, 'proxy-ssl-secret default/gone does not exist'));

  it('verify on with a Secret that has no ca.crt', async () => {
    const leaf = await certificateFor('client.internal');
    denied(
      [opaqueSecret('cert-only', { 'tls.crt': leaf.cert, 'tls.key': leaf.key })],
      { ...VERIFY, 'proxy-ssl-secret': 'cert-only', 'proxy-ssl-verify': 'on' },
      'Secret default/cert-only has no ca.crt, which proxy-ssl-verify on checks the pods against',
    );
  });

  it('a ca.crt that holds no CA', async () => {
    const leaf = await certificateFor('leaf.internal');
    denied(
      [opaqueSecret('leaf', { 'ca.crt': leaf.cert })],
      { ...HTTPS, 'proxy-ssl-secret': 'leaf' },
      'ca.crt of Secret default/leaf holds a certificate that is not a CA (CN=leaf.internal)',
    );
  });

  it('a client key that does not match its certificate', async () => {
    const other = await certificateFor('other.internal');
    denied(
      [opaqueSecret('mismatch', { 'ca.crt': ca.cert, 'tls.crt': client.cert, 'tls.key': other.key })],
      { ...HTTPS, 'proxy-ssl-secret': 'mismatch' },
      'Secret default/mismatch: tls.key does not match the certificate in tls.crt',
    );
  });

  it('a Secret with nothing for TLS', () =>
    denied(
      [opaqueSecret('empty', { password: 'x' })],
      { ...HTTPS, 'proxy-ssl-secret': 'empty' },
      'Secret default/empty has neither ca.crt nor tls.crt and tls.key',
    ));
});
