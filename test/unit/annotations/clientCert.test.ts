import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { clientCertFamily } from '../../../src/annotations/client-cert.ts';
import { caSecret, clientCa } from '../../support/client-certs.ts';
import { certificateFor, tlsSecret } from '../../support/fixtures.ts';
import { opaqueSecret } from '../../support/htpasswd.ts';
import { messages } from '../harness.ts';
import { familyTable, prefixed, renderWith } from './table.ts';

const CA: KubernetesObject[] = [];
before(async () => {
  CA.push(caSecret('client-ca', await clientCa('Test CA')));
});

const SECRET = { 'auth-tls-secret': 'client-ca' };
const SERVER_LINES = (conf: string) =>
  conf
    .slice(conf.indexOf('server_name web.example.com;'))
    .split('\n')
    .map((l) => l.trim());
const MATCH_CN_REASON = 'must be CN=name alternatives separated by "|" (letters, digits, space and ._*@-)';

familyTable(
  clientCertFamily,
  [
    {
      annotation: 'auth-tls-secret',
      value: 'default/client-ca',
      objects: CA,
      has: ['if ($ssl_client_verify != SUCCESS) {', 'proxy_set_header ssl-client-verify $ssl_client_verify;'],
      conf: ['ssl_verify_client on;', 'ssl_verify_depth 1;'],
    },
    {
      annotation: 'auth-tls-verify-client',
      value: 'optional',
      with: SECRET,
      objects: CA,
      has: ['proxy_set_header ssl-client-subject-dn $ssl_client_s_dn;'],
      lacks: ['if ($ssl_client_verify != SUCCESS) {'],
      conf: ['ssl_verify_client optional;'],
    },
    // off without a CA is no access control: accepted, nothing printed (it used to refuse the Ingress).
    {
      annotation: 'auth-tls-verify-client',
      value: 'off',
      has: [],
      lacks: ['if ($ssl_client_verify != SUCCESS) {'],
    },
    {
      annotation: 'auth-tls-verify-depth',
      value: '3',
      with: SECRET,
      objects: CA,
      has: [],
      conf: ['ssl_verify_depth 3;'],
    },
    {
      annotation: 'auth-tls-error-page',
      value: 'https://example.com/help?why=cert',
      with: SECRET,
      objects: CA,
      has: [],
      conf: ['error_page 495 496 =302 "https://example.com/help?why=cert";'],
    },
    {
      annotation: 'auth-tls-pass-certificate-to-upstream',
      value: 'true',
      with: SECRET,
      objects: CA,
      has: ['proxy_set_header ssl-client-cert $ssl_client_escaped_cert;'],
    },
    {
      annotation: 'auth-tls-match-cn',
      value: 'CN=billing|CN=*.reports.example.com',
      with: SECRET,
      objects: CA,
      has: ['if ($ssl_client_s_dn !~ "CN=billing|CN=*.reports.example.com") {'],
    },
  ],
  [
    {
      annotation: 'auth-tls-secret',
      value: 'other/client-ca',
      reason: "must name a Secret in the Ingress's own namespace",
    },
    { annotation: 'auth-tls-secret', value: 'a/b/c', reason: 'must be a Secret name, or namespace/name' },
    {
      annotation: 'auth-tls-verify-client',
      value: 'on',
      reason: 'needs auth-tls-secret, the Secret holding the CA bundle',
    },
    {
      annotation: 'auth-tls-verify-client',
      value: 'required',
      reason: 'must be "on", "off", "optional" or "optional_no_ca"',
    },
    { annotation: 'auth-tls-verify-depth', value: '0', reason: 'must be a whole number between 1 and 10' },
    {
      annotation: 'auth-tls-error-page',
      value: 'https://x.example.com/$host',
      reason: 'must use only letters, digits and -._~/:@!&()*+,=?% in its path and query',
    },
    {
      annotation: 'auth-tls-error-page',
      value: 'javascript:alert(1)',
      reason: 'must be an absolute http or https URL',
    },
    {
      annotation: 'auth-tls-pass-certificate-to-upstream',
      value: 'yes',
      reason: 'must be "true" or "false"',
    },
    // CVE-2025-1097: the value closed the if and injected directives.
    { annotation: 'auth-tls-match-cn', value: 'CN=a") { } include /etc/passwd; #', reason: MATCH_CN_REASON },
    { annotation: 'auth-tls-match-cn', value: 'CN=a$host', reason: MATCH_CN_REASON },
    { annotation: 'auth-tls-match-cn', value: '.*', reason: MATCH_CN_REASON },
  ],
);

describe('client certificates from a Secret', () => {
  it("print the CA file and checks in the host's own server block", () => {
    const { conf, result } = renderWith(prefixed(SECRET), { objects: CA });
    assert.deepEqual(messages(result), []);
    const lines = SERVER_LINES(conf);
    assert.ok(
      lines.some((l) =>
        /^ssl_client_certificate "\/etc\/gatehouse\/certs\/default_client-ca_ca_[0-9a-f]{12}\.pem";$/.test(l),
      ),
    );
    assert.ok(lines.includes('ssl_certificate "/etc/gatehouse/certs/default.pem";'), 'its own SSL context');
    const ca = result.model.clientCaFiles[0];
    assert.match(ca?.pem ?? '', /^-----BEGIN CERTIFICATE-----\n[^]*\n-----END CERTIFICATE-----\n$/);
  });

  const unusable: [string, () => KubernetesObject[], string][] = [
    ['is missing', () => [], 'auth-tls-secret default/client-ca does not exist'],
    [
      'has no ca.crt',
      () => [opaqueSecret('client-ca', { 'tls.crt': 'x' })],
      'Secret default/client-ca has no ca.crt',
    ],
    [
      'holds no certificate',
      () => [opaqueSecret('client-ca', { 'ca.crt': 'hello' })],
      'holds no PEM certificate',
    ],
  ];
  for (const [what, objects, reason] of unusable)
    it(`answers 503 on the host when the CA Secret ${what}`, () => {
      const { location, result } = renderWith(prefixed(SECRET), { objects: objects() });
      assert.ok(location.includes('return 503;'), location.join('\n'));
      const [message] = messages(result);
      assert.ok(message?.includes(reason), message);
      assert.match(message ?? '', /host web\.example\.com answers 503 until it is fixed$/);
    });

  it('refuses a ca.crt holding a certificate that is not a CA', async () => {
    const leaf = await certificateFor('leaf.example.com');
    const notCa = {
      ...tlsSecret('client-ca', leaf),
      data: { 'ca.crt': Buffer.from(leaf.cert).toString('base64') },
    };
    const { location, result } = renderWith(prefixed(SECRET), { objects: [notCa] });
    assert.ok(location.includes('return 503;'));
    assert.match(messages(result)[0] ?? '', /holds a certificate that is not a CA \(CN=leaf\.example\.com\)/);
  });
});
