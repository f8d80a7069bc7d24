import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { KubernetesObject } from '@kubernetes/client-node';
import { render } from '../../src/render/render.ts';
import {
  certificateFor,
  ingress,
  ingressClass,
  tlsSecret,
  type TestCertificate,
} from '../support/fixtures.ts';
import { messages, PATHS, serverFor, translateObjects } from './harness.ts';

describe('translate: --default-ssl-certificate', () => {
  let wildcard: TestCertificate;
  let rotated: TestCertificate;
  let own: TestCertificate;
  const secret = { namespace: 'gatehouse-system', name: 'default-tls' };
  const objects = (cert: TestCertificate): KubernetesObject[] => [
    ingressClass(),
    tlsSecret('default-tls', cert, 'gatehouse-system'),
    tlsSecret('shop-tls', own),
    ingress({
      name: 'web',
      tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
      rules: [
        { host: 'web.example.com', paths: [{ path: '/', service: 'web', port: 80 }] },
        { host: 'shop.example.com', paths: [{ path: '/', service: 'web', port: 80 }] },
      ],
    }),
  ];

  before(async () => {
    wildcard = await certificateFor('*.example.com');
    rotated = await certificateFor('*.example.com');
    own = await certificateFor('shop.example.com');
  });

  it('serves the Secret to hosts without a certificate of their own and to unknown hosts', () => {
    const result = translateObjects(objects(wildcard), { defaultCertificateSecret: secret });
    assert.deepEqual(
      messages(result).filter((m) => m.includes('Secret')),
      [],
    );
    const file = serverFor(result.model, 'web.example.com').certificate;
    assert.match(file, /^gatehouse-system_default-tls_[0-9a-f]{12}\.pem$/);
    assert.equal(result.model.defaultServer.certificate, file);
    assert.match(serverFor(result.model, 'shop.example.com').certificate, /^default_shop-tls_/);
    assert.ok(
      result.model.certificates.some(
        (c) => c.fileName === file && c.pem.includes(wildcard.cert.trim().split('\n')[1]!),
      ),
    );
    assert.ok(
      !result.model.certificates.some((c) => c.fileName === 'default.pem'),
      'the generated one is not needed',
    );
  });

  it('changes the checksum when the Secret is rotated, so NGINX reloads the new certificate', () => {
    const before = render(
      translateObjects(objects(wildcard), { defaultCertificateSecret: secret }).model,
      PATHS,
    );
    const after = render(
      translateObjects(objects(rotated), { defaultCertificateSecret: secret }).model,
      PATHS,
    );
    assert.notEqual(before.checksum, after.checksum);
  });

  it('falls back to the generated certificate, with a warning, when the Secret is missing or unusable', () => {
    const missing = translateObjects(objects(wildcard), {
      defaultCertificateSecret: { ...secret, name: 'nope' },
    });
    assert.ok(
      messages(missing).includes(
        'warning: Secret gatehouse-system/nope: --default-ssl-certificate: does not exist; the generated default certificate is served instead',
      ),
      messages(missing).join('\n'),
    );
    assert.equal(serverFor(missing.model, 'web.example.com').certificate, 'default.pem');

    const broken = objects(wildcard).map((o) =>
      o.metadata?.name === 'default-tls'
        ? { ...o, data: { 'tls.crt': 'bm90IGEgY2VydA==', 'tls.key': 'eA==' } }
        : o,
    );
    const result = translateObjects(broken, { defaultCertificateSecret: secret });
    assert.match(
      messages(result).find((m) => m.startsWith('warning: Secret')) ?? '',
      /^warning: Secret gatehouse-system\/default-tls: --default-ssl-certificate: tls\.crt holds no PEM certificate;/,
    );
    assert.equal(result.model.defaultServer.certificate, 'default.pem');
  });
});
