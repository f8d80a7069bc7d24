import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  certificateFor,
  ingress,
  ingressClass,
  serviceWithEndpoints,
  tlsSecret,
  type TestCertificate,
} from '../support/fixtures.ts';
import { DEFAULT_PEM, messages, renderObjects, serverBlock, serverFor, translateObjects } from './harness.ts';

let cafe: TestCertificate;
let shop: TestCertificate;
let wildcard: TestCertificate;

before(async () => {
  [cafe, shop, wildcard] = await Promise.all([
    certificateFor('cafe.example.com'),
    certificateFor('shop.example.com'),
    certificateFor('*.example.com'),
  ]);
});

const backend = serviceWithEndpoints('web', [{ ip: '10.0.0.1', port: 8080 }]);

function site(
  hosts: string[],
  tls: { hosts?: string[]; secretName: string }[],
  extra: { name?: string; createdAt?: string } = {},
): KubernetesObject {
  return ingress({
    name: extra.name ?? 'site',
    ...(extra.createdAt ? { creationTimestamp: extra.createdAt } : {}),
    tls,
    rules: hosts.map((host) => ({ host, paths: [{ service: 'web', port: 80 }] })),
  });
}

function secret(name: string, data: Record<string, string>, type = 'kubernetes.io/tls'): KubernetesObject {
  const encoded = Object.fromEntries(
    Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  );
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'default' },
    type,
    data: encoded,
  } as KubernetesObject;
}

/** The shared server that answers plain HTTP with the HTTPS redirect. */
function sharedRedirect(conf: string): string {
  const start = conf.indexOf('# HTTPS redirects');
  assert.ok(start >= 0, 'the config has a shared HTTPS redirect server');
  return conf.slice(start, conf.indexOf('\n    }\n', start));
}

const SECRET_FIELD = 'warning: Ingress default/site: spec.tls[0].secretName:';
const FALLBACK = 'its hosts use the default certificate';

describe('translate: TLS certificates', () => {
  const broken: { name: string; secret: () => KubernetesObject[]; reason: string }[] = [
    {
      name: 'a Secret that does not exist',
      secret: () => [],
      reason: `Secret default/cafe-tls does not exist; ${FALLBACK}`,
    },
    {
      name: 'a Secret in another namespace',
      secret: () => [tlsSecret('cafe-tls', cafe, 'other')],
      reason: `Secret default/cafe-tls does not exist; ${FALLBACK}`,
    },
    {
      name: 'a Secret whose tls.crt is not PEM',
      secret: () => [secret('cafe-tls', { 'tls.crt': 'hello', 'tls.key': cafe.key })],
      reason: `Secret default/cafe-tls: tls.crt holds no PEM certificate; ${FALLBACK}`,
    },
    {
      name: 'a Secret whose tls.key is not PEM',
      secret: () => [secret('cafe-tls', { 'tls.crt': cafe.cert, 'tls.key': 'secret' })],
      reason: `Secret default/cafe-tls: tls.key holds no PEM private key; ${FALLBACK}`,
    },
    {
      name: 'a Secret whose PEM blocks hold garbage',
      secret: () => [
        secret('cafe-tls', {
          'tls.crt': '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
          'tls.key': cafe.key,
        }),
      ],
      reason: 'Secret default/cafe-tls: certificate or key cannot be parsed',
    },
    {
      name: 'a Secret whose key belongs to another certificate',
      secret: () => [secret('cafe-tls', { 'tls.crt': cafe.cert, 'tls.key': shop.key })],
      reason: `Secret default/cafe-tls: tls.key does not match the certificate in tls.crt; ${FALLBACK}`,
    },
    {
      name: 'a Secret without tls.key',
      secret: () => [secret('cafe-tls', { 'tls.crt': cafe.cert })],
      reason: `Secret default/cafe-tls: Secret lacks tls.crt or tls.key; ${FALLBACK}`,
    },
    {
      name: 'a Secret that is not of type kubernetes.io/tls',
      secret: () => [secret('cafe-tls', { 'tls.crt': cafe.cert, 'tls.key': cafe.key }, 'Opaque')],
      reason: `Secret default/cafe-tls: Secret type is "Opaque", not kubernetes.io/tls; ${FALLBACK}`,
    },
  ];
  for (const c of broken) {
    it(`serves the default certificate, with a warning, for ${c.name}`, () => {
      const { result, conf, dynamic } = renderObjects([
        ingressClass(),
        site(['cafe.example.com'], [{ hosts: ['cafe.example.com'], secretName: 'cafe-tls' }]),
        ...c.secret(),
        ...backend,
      ]);
      const [message, ...rest] = messages(result);
      assert.deepEqual(rest, []);
      assert.ok(message?.startsWith(`${SECRET_FIELD} ${c.reason}`), message);
      const server = serverFor(result.model, 'cafe.example.com');
      assert.equal(server.certificate, 'default.pem');
      assert.equal(server.hasTls, false);
      // The default server's own certificate (`''`), picked at the handshake; nothing in its server block.
      assert.equal(dynamic.hosts['cafe.example.com'], '');
      assert.doesNotMatch(serverBlock(conf, 'cafe.example.com'), /ssl_certificate/);
      // Without a certificate of its own, a host does not redirect HTTP to HTTPS.
      assert.doesNotMatch(serverBlock(conf, 'cafe.example.com'), /return 308/);
      assert.deepEqual(result.model.certificates, [{ fileName: 'default.pem', pem: DEFAULT_PEM }]);
    });
  }

  it('gives every host its own certificate (SNI), written as chain then key', () => {
    const { result, conf, dynamic } = renderObjects([
      ingressClass(),
      site(
        ['cafe.example.com', 'shop.example.com', 'plain.example.com'],
        [
          { hosts: ['cafe.example.com'], secretName: 'cafe-tls' },
          { hosts: ['shop.example.com'], secretName: 'shop-tls' },
        ],
      ),
      tlsSecret('cafe-tls', cafe),
      tlsSecret('shop-tls', shop),
      ...backend,
    ]);
    assert.deepEqual(messages(result), []);
    const files = result.model.certificates.map((c) => c.fileName);
    assert.equal(files.length, 3);
    assert.equal(files[0], 'default.pem');
    assert.match(files[1] ?? '', /^default_cafe-tls_[0-9a-f]{12}\.pem$/);
    assert.match(files[2] ?? '', /^default_shop-tls_[0-9a-f]{12}\.pem$/);
    assert.equal(result.model.certificates[1]?.pem, `${cafe.cert.trim()}\n${cafe.key.trim()}\n`);
    // Picked at the handshake from what is pushed to NGINX; only the default server names a file.
    assert.deepEqual(dynamic.hosts, {
      '': '',
      'cafe.example.com': files[1],
      'plain.example.com': '',
      'shop.example.com': files[2],
    });
    assert.deepEqual(Object.keys(dynamic.certificates), [files[1], files[2]]);
    assert.equal(dynamic.certificates[files[1] ?? ''], cafe.cert.trim() + '\n' + cafe.key.trim() + '\n');
    assert.doesNotMatch(conf, /ssl_certificate "\/etc\/gatehouse\/certs\/default_/);
    assert.equal(conf.match(/ssl_certificate "\/etc\/gatehouse\/certs\/default\.pem";/g)?.length, 1);
    // Plain HTTP to the TLS host gets the shared HTTPS redirect; the host without TLS is served on HTTP.
    assert.match(
      sharedRedirect(conf),
      /server_name\s+cafe\.example\.com\s+shop\.example\.com;\s*return 308 https:\/\/\$host\$gatehouse_uri_without_slash;/,
    );
    assert.doesNotMatch(serverBlock(conf, 'plain.example.com'), /return 308/);
  });

  // As ingress-nginx: clients reach NGINX's 8443 through a Service on 443; use-port-in-redirects names it.
  it('names no HTTPS port in the redirect, even when NGINX listens on another than 443', () => {
    const { conf } = renderObjects(
      [
        ingressClass(),
        site(['cafe.example.com'], [{ secretName: 'cafe-tls' }]),
        tlsSecret('cafe-tls', cafe),
        ...backend,
      ],
      { listen: { httpPort: 8080, httpsPort: 8443 } },
    );
    assert.match(sharedRedirect(conf), /return 308 https:\/\/\$host\$gatehouse_uri_without_slash;/);
  });

  it('lets a wildcard TLS host cover exactly one label', () => {
    const result = translateObjects([
      ingressClass(),
      site(
        ['one.example.com', 'a.b.example.com', 'example.com', '*.example.com'],
        [{ hosts: ['*.example.com'], secretName: 'wild-tls' }],
      ),
      tlsSecret('wild-tls', wildcard),
      ...backend,
    ]);
    const certOf = (host: string): string => serverFor(result.model, host).certificate;
    assert.match(certOf('one.example.com'), /^default_wild-tls_/);
    assert.match(certOf('*.example.com'), /^default_wild-tls_/);
    assert.equal(certOf('a.b.example.com'), 'default.pem');
    assert.equal(certOf('example.com'), 'default.pem');
  });

  it('applies a TLS entry without hosts to every host of its Ingress', () => {
    const result = translateObjects([
      ingressClass(),
      site(['cafe.example.com', 'www.example.com'], [{ secretName: 'cafe-tls' }]),
      tlsSecret('cafe-tls', cafe),
      ...backend,
    ]);
    assert.match(serverFor(result.model, 'cafe.example.com').certificate, /^default_cafe-tls_/);
    assert.match(serverFor(result.model, 'www.example.com').certificate, /^default_cafe-tls_/);
    assert.equal(serverFor(result.model, '').certificate, 'default.pem');
  });

  it('keeps the older Ingress certificate when two name different ones for a host', () => {
    const result = translateObjects([
      ingressClass(),
      site(['cafe.example.com'], [{ secretName: 'shop-tls' }], {
        name: 'young',
        createdAt: '2024-06-01T00:00:00Z',
      }),
      site(['cafe.example.com'], [{ secretName: 'cafe-tls' }], {
        name: 'old',
        createdAt: '2024-01-01T00:00:00Z',
      }),
      tlsSecret('cafe-tls', cafe),
      tlsSecret('shop-tls', shop),
      ...backend,
    ]);
    assert.match(serverFor(result.model, 'cafe.example.com').certificate, /^default_cafe-tls_/);
    assert.ok(
      messages(result).includes(
        'warning: Ingress default/young: spec.tls[0].hosts: host cafe.example.com already has a certificate from the older Ingress default/old',
      ),
      messages(result).join('\n'),
    );
    assert.equal(result.model.certificates.length, 2, 'the unused certificate is not written');
  });

  it('keeps the first TLS entry of an Ingress when two of its entries name one host', () => {
    const result = translateObjects([
      ingressClass(),
      site(
        ['cafe.example.com'],
        [{ secretName: 'cafe-tls' }, { hosts: ['cafe.example.com'], secretName: 'shop-tls' }],
      ),
      tlsSecret('cafe-tls', cafe),
      tlsSecret('shop-tls', shop),
      ...backend,
    ]);
    assert.match(serverFor(result.model, 'cafe.example.com').certificate, /^default_cafe-tls_/);
    assert.deepEqual(messages(result), [
      'warning: Ingress default/site: spec.tls[1].hosts: host cafe.example.com already has a certificate from spec.tls[0] of this Ingress',
    ]);
  });

  it("never applies an Ingress's TLS section to the hosts of another Ingress", () => {
    const result = translateObjects([
      ingressClass(),
      // Older, and its wildcard (or an explicit host it has no rule for) would cover cafe.example.com.
      ingress({
        name: 'tenants',
        namespace: 'team-a',
        creationTimestamp: '2024-01-01T00:00:00Z',
        tls: [{ hosts: ['*.example.com', 'shop.example.com'], secretName: 'wild-tls' }],
        rules: [{ host: 'one.example.com', paths: [{ service: 'web', port: 80 }] }],
      }),
      site(['cafe.example.com'], [{ secretName: 'cafe-tls' }], { createdAt: '2024-06-01T00:00:00Z' }),
      site(['shop.example.com'], [], { name: 'shop', createdAt: '2024-06-01T00:00:00Z' }),
      tlsSecret('wild-tls', wildcard, 'team-a'),
      tlsSecret('cafe-tls', cafe),
      ...serviceWithEndpoints('web', [{ ip: '10.0.0.1', port: 8080 }], { namespace: 'team-a' }),
      ...backend,
    ]);
    assert.deepEqual(messages(result), []);
    assert.match(serverFor(result.model, 'one.example.com').certificate, /^team-a_wild-tls_/);
    assert.match(serverFor(result.model, 'cafe.example.com').certificate, /^default_cafe-tls_/);
    assert.equal(serverFor(result.model, 'shop.example.com').certificate, 'default.pem');
  });

  it('writes only the PEM blocks: nothing else from the Secret reaches disk', () => {
    const result = translateObjects([
      ingressClass(),
      site(['cafe.example.com'], [{ secretName: 'cafe-tls' }]),
      secret('cafe-tls', {
        'tls.crt': `junk before\n${cafe.cert}\nssl_certificate /etc/shadow;\n`,
        'tls.key': `${cafe.key}\ninclude /etc/passwd;\n`,
        'ca.crt': 'not used',
      }),
      ...backend,
    ]);
    const pem = result.model.certificates.find((c) => c.fileName.startsWith('default_cafe-tls_'))?.pem ?? '';
    assert.equal(pem, `${cafe.cert.trim()}\n${cafe.key.trim()}\n`);
  });
});
