// Which hosts get their HTTP → HTTPS redirect from the shared redirect server (no `if` per location), and
// which keep it in their locations because something there changes the redirect's answer.
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
import { renderObjects, serverFor } from './harness.ts';

/** The whole server block of a host, listen lines included. */
function hostBlock(conf: string, host: string): string {
  const start = conf.indexOf(`# host ${host} `);
  if (start < 0) throw new Error(`no server for ${host} in the config`);
  return conf.slice(start, conf.indexOf('\n    }\n', start));
}

const A = 'nginx.ingress.kubernetes.io/';
let cert: TestCertificate;
before(async () => {
  cert = await certificateFor('*.example.com');
});

/** A TLS host with paths / and /api, each Ingress's annotations as given. */
function site(host: string, annotations: Record<string, string> = {}, name = host.split('.')[0] ?? host) {
  return ingress({
    name,
    annotations: Object.fromEntries(Object.entries(annotations).map(([k, v]) => [A + k, v])),
    tls: [{ hosts: [host], secretName: 'tls' }],
    rules: [
      {
        host,
        paths: [
          { path: '/', service: 'web', port: 80 },
          { path: '/api', service: 'web', port: 80 },
        ],
      },
    ],
  });
}

const world = (...objects: KubernetesObject[]): KubernetesObject[] => [
  ingressClass(),
  tlsSecret('tls', cert),
  ...serviceWithEndpoints('web', [{ ip: '10.0.0.1', port: 8080 }]),
  ...objects,
];

describe('translate: shared HTTPS redirects', () => {
  it('answers plain HTTP for hosts whose every location redirects alike from one server, grouped by kind', () => {
    const { result, conf } = renderObjects(
      world(
        site('a.example.com'),
        site('b.example.com'),
        site('c.example.com', { 'preserve-trailing-slash': 'true' }),
        site('d.example.com', { 'use-port-in-redirects': 'true' }),
      ),
    );
    assert.deepEqual(result.model.httpsRedirects, [
      { serverNames: ['a.example.com', 'b.example.com'] },
      { serverNames: ['c.example.com'], preserveTrailingSlash: true },
      { serverNames: ['d.example.com'], port: true },
    ]);
    for (const host of ['a', 'b', 'c', 'd']) {
      assert.equal(serverFor(result.model, `${host}.example.com`).httpsOnly, true);
      const block = hostBlock(conf, `${host}.example.com`);
      assert.doesNotMatch(block, /if \(\$scheme = http\)/);
      assert.doesNotMatch(block, /listen 80;/);
    }
    assert.equal(conf.match(/if \(\$scheme = http\)/g), null);
  });

  it('keeps the redirect in the locations of a host where one path does not redirect', () => {
    const { result, conf } = renderObjects(
      world(
        site('mixed.example.com'),
        ingress({
          name: 'hook',
          annotations: { [`${A}ssl-redirect`]: 'false' },
          rules: [{ host: 'mixed.example.com', paths: [{ path: '/hook', service: 'web', port: 80 }] }],
        }),
      ),
    );
    assert.equal(result.model.httpsRedirects, undefined);
    assert.equal(serverFor(result.model, 'mixed.example.com').httpsOnly, undefined);
    const block = hostBlock(conf, 'mixed.example.com');
    assert.match(block, /listen 80;/);
    assert.equal(block.match(/if \(\$scheme = http\)/g)?.length, 3, '/, = /api and /api/; not /hook');
  });

  const kept: [string, Record<string, string>][] = [
    ['its answer carries CORS headers', { 'enable-cors': 'true' }],
    ['its redirect is not logged', { 'enable-access-log': 'false' }],
    ['app-root answers / first', { 'app-root': '/app' }],
    ['ModSecurity sees the request', { 'enable-modsecurity': 'true' }],
  ];
  for (const [why, annotations] of kept)
    it(`keeps the redirect in the locations when ${why}`, () => {
      const { result } = renderObjects(world(site('a.example.com', annotations), site('b.example.com')));
      assert.equal(serverFor(result.model, 'a.example.com').httpsOnly, undefined);
      assert.deepEqual(result.model.httpsRedirects, [{ serverNames: ['b.example.com'] }]);
    });
});
