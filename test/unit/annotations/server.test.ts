import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { serverFamily } from '../../../src/annotations/server.ts';
import { configMap, ingress, ingressClass, serviceWithEndpoints } from '../../support/fixtures.ts';
import { messages, renderObjects, serverBlock, serverFor } from '../harness.ts';
import { familyTable } from './table.ts';

const CIPHERS = 'must be an OpenSSL cipher list: names, "!", "+", "-" and "@" separated by ":"';
const NAMES = 'must be a comma-separated list of DNS names, each optionally starting with "*."';

familyTable(
  serverFamily,
  [
    // A server setting: the names are on the server_name line, checked below.
    { annotation: 'server-alias', value: 'www.web.example.com, Web.Example.NET', has: [] },
    // Server settings in the host's own SSL context: the server block holds them, checked below.
    {
      annotation: 'ssl-ciphers',
      value: ' ECDHE-ECDSA-AES256-GCM-SHA384:!aNULL:@STRENGTH ',
      tls: true,
      has: [],
      conf: ['ssl_ciphers "ECDHE-ECDSA-AES256-GCM-SHA384:!aNULL:@STRENGTH";'],
    },
    {
      annotation: 'ssl-prefer-server-ciphers',
      value: 'False',
      has: [],
      conf: ['ssl_prefer_server_ciphers off;'],
    },
  ],
  [
    { annotation: 'server-alias', value: 'a.example.com;b', reason: NAMES },
    { annotation: 'server-alias', value: '~^(.+)\\.example\\.com$', reason: NAMES },
    { annotation: 'server-alias', value: '10.0.0.1', reason: NAMES },
    { annotation: 'server-alias', value: ' , ', reason: 'must list at least one name' },
    { annotation: 'ssl-ciphers', value: 'HIGH"; ssl_verify_client off; #', reason: CIPHERS },
    { annotation: 'ssl-ciphers', value: 'HIGH MEDIUM', reason: CIPHERS },
    { annotation: 'ssl-ciphers', value: 'NO-SUCH-CIPHER', reason: 'matches no TLS 1.2 cipher OpenSSL knows' },
    // TLS 1.3 suites are OpenSSL's own; ssl_ciphers only sets TLS 1.2 ones.
    {
      annotation: 'ssl-ciphers',
      value: 'TLS_AES_128_GCM_SHA256',
      reason: 'matches no TLS 1.2 cipher OpenSSL knows',
    },
    { annotation: 'ssl-prefer-server-ciphers', value: 'off', reason: 'must be "true" or "false"' },
  ],
);

const A = 'nginx.ingress.kubernetes.io/';
const site = (
  name: string,
  host: string,
  alias: string | undefined,
  createdAt: string,
  namespace = 'default',
) =>
  ingress({
    name,
    namespace,
    annotations: alias === undefined ? {} : { [`${A}server-alias`]: alias },
    creationTimestamp: createdAt,
    rules: [{ host, paths: [{ service: 'web', port: 80 }] }],
  });

describe('server-alias', () => {
  it('adds the names to the server, wildcards as one label', () => {
    const { conf, dynamic } = renderObjects([
      ingressClass(),
      site('web', 'web.example.com', 'web.example.net, *.web.example.org', '2024-01-01T00:00:00Z'),
      ...serviceWithEndpoints('web', [{ ip: '10.0.0.1', port: 8080 }]),
    ]);
    assert.match(
      conf,
      /server_name web\.example\.com ~\^\[\^\.\]\+\\\.web\\\.example\\\.org\$ web\.example\.net;/,
    );
    // Their certificate is picked by SNI like the host's own (here: the default server's).
    assert.deepEqual(Object.keys(dynamic.hosts).sort(), [
      '',
      '*.web.example.org',
      'web.example.com',
      'web.example.net',
    ]);
  });

  it('never takes a name another Ingress serves, or an older Ingress aliased first', () => {
    const { result, conf } = renderObjects([
      ingressClass(),
      site('victim', 'bank.example.com', undefined, '2024-03-01T00:00:00Z', 'team-b'),
      site('older', 'a.example.com', 'shared.example.com', '2024-01-01T00:00:00Z'),
      site('thief', 'b.example.com', 'bank.example.com,shared.example.com', '2024-02-01T00:00:00Z'),
      ...serviceWithEndpoints('web', [{ ip: '10.0.0.1', port: 8080 }]),
      ...serviceWithEndpoints('web', [{ ip: '10.0.0.2', port: 8080 }], { namespace: 'team-b' }),
    ]);
    assert.match(conf, /server_name a\.example\.com shared\.example\.com;/);
    assert.match(conf, /server_name b\.example\.com;/);
    assert.match(conf, /server_name bank\.example\.com;/);
    assert.deepEqual(messages(result), [
      `warning: Ingress default/thief: metadata.annotations[${A}server-alias]: bank.example.com is already served by another rule or alias; it is not added to b.example.com`,
      `warning: Ingress default/thief: metadata.annotations[${A}server-alias]: shared.example.com is already served by another rule or alias; it is not added to b.example.com`,
    ]);
  });
});

const tlsSite = (
  name: string,
  host: string | undefined,
  annotations: Record<string, string>,
  createdAt: string,
  namespace = 'default',
  path = '/',
) =>
  ingress({
    name,
    namespace,
    annotations: Object.fromEntries(Object.entries(annotations).map(([k, v]) => [A + k, v])),
    creationTimestamp: createdAt,
    rules: [{ ...(host !== undefined && { host }), paths: [{ path, service: 'web', port: 80 }] }],
  });

describe('ssl-ciphers and ssl-prefer-server-ciphers', () => {
  const web = serviceWithEndpoints('web', [{ ip: '10.0.0.1', port: 8080 }]);

  it("give the host an SSL context of its own, with its certificate; other hosts keep the http block's", () => {
    const { result, conf } = renderObjects([
      ingressClass(),
      tlsSite(
        'strict',
        'strict.example.com',
        { 'ssl-ciphers': 'ECDHE-ECDSA-AES256-GCM-SHA384' },
        '2024-01-01T00:00:00Z',
      ),
      tlsSite('loose', 'loose.example.com', { 'ssl-prefer-server-ciphers': 'false' }, '2024-01-01T00:00:00Z'),
      tlsSite('plain', 'plain.example.com', { 'ssl-prefer-server-ciphers': 'true' }, '2024-01-01T00:00:00Z'),
      ...web,
    ]);
    assert.deepEqual(messages(result), []);
    const strict = serverBlock(conf, 'strict.example.com');
    assert.match(strict, /ssl_certificate "\/etc\/gatehouse\/certs\/[^"]+";/);
    assert.match(strict, /ssl_ciphers "ECDHE-ECDSA-AES256-GCM-SHA384";/);
    assert.doesNotMatch(strict, /ssl_prefer_server_ciphers/);
    const loose = serverBlock(conf, 'loose.example.com');
    assert.match(loose, /ssl_certificate /);
    assert.match(loose, /ssl_prefer_server_ciphers off;/);
    // true is what the http block says already: no SSL context of its own.
    assert.doesNotMatch(serverBlock(conf, 'plain.example.com'), /ssl_/);
    assert.equal(serverFor(result.model, 'plain.example.com').ownSslContext, undefined);
  });

  it('on a shared host, the oldest Ingress that sets one decides and a newer one that differs is told', () => {
    const { result, conf } = renderObjects([
      ingressClass(),
      tlsSite(
        'newer',
        'shop.example.com',
        { 'ssl-ciphers': 'AES128-SHA' },
        '2024-02-01T00:00:00Z',
        'team-b',
        '/checkout',
      ),
      tlsSite(
        'older',
        'shop.example.com',
        { 'ssl-ciphers': 'ECDHE-ECDSA-AES256-GCM-SHA384' },
        '2024-01-01T00:00:00Z',
        'team-b',
      ),
      ...serviceWithEndpoints('web', [{ ip: '10.0.0.1', port: 8080 }], { namespace: 'team-b' }),
    ]);
    assert.match(serverBlock(conf, 'shop.example.com'), /ssl_ciphers "ECDHE-ECDSA-AES256-GCM-SHA384";/);
    assert.doesNotMatch(conf, /AES128-SHA"/);
    assert.deepEqual(messages(result), [
      `warning: Ingress team-b/newer: metadata.annotations[${A}ssl-ciphers]: ignored: an older Ingress on shop.example.com sets ssl-ciphers for the whole host`,
    ]);
  });

  it('the same list as the http block needs no SSL context of its own', () => {
    const { result } = renderObjects(
      [
        ingressClass(),
        configMap({ 'ssl-ciphers': 'ECDHE-ECDSA-AES256-GCM-SHA384' }),
        tlsSite(
          'same',
          'same.example.com',
          { 'ssl-ciphers': 'ECDHE-ECDSA-AES256-GCM-SHA384' },
          '2024-01-01T00:00:00Z',
        ),
        ...web,
      ],
      { configMap: { namespace: 'ops', name: 'gatehouse' } },
    );
    assert.deepEqual(messages(result), []);
    assert.equal(serverFor(result.model, 'same.example.com').ownSslContext, undefined);
  });

  it("never change the default server's context, which every other host shares: host-less rules are told", () => {
    const { result, conf } = renderObjects([
      ingressClass(),
      tlsSite(
        'anyhost',
        undefined,
        { 'ssl-ciphers': 'AES128-SHA', 'ssl-prefer-server-ciphers': 'false' },
        '2024-01-01T00:00:00Z',
      ),
      ...web,
    ]);
    assert.doesNotMatch(conf, /AES128-SHA|ssl_prefer_server_ciphers off/);
    assert.deepEqual(messages(result), [
      `warning: Ingress default/anyhost: metadata.annotations[${A}ssl-ciphers]: ignored for rules without a host: TLS settings need a host (a TLS server name)`,
      `warning: Ingress default/anyhost: metadata.annotations[${A}ssl-prefer-server-ciphers]: ignored for rules without a host: TLS settings need a host (a TLS server name)`,
    ]);
  });
});
