// ssl-passthrough: the annotation's values, the flag it needs, and who may pass a host's TLS through.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { passthroughFamily } from '../../../src/annotations/passthrough.ts';
import { explain } from '../../../src/explain/explain.ts';
import { ingress, ingressClass, serviceWithEndpoints } from '../../support/fixtures.ts';
import { messages, outcome, renderObjects, translateObjects } from '../harness.ts';
import { DEFAULT_LOCATION, familyTable } from './table.ts';

const ON = { sslPassthrough: true } as const;
const FIELD = 'metadata.annotations[nginx.ingress.kubernetes.io/ssl-passthrough]';
const PASS = { 'nginx.ingress.kubernetes.io/ssl-passthrough': 'true' };

familyTable(
  passthroughFamily,
  [
    {
      annotation: 'ssl-passthrough',
      value: 'true',
      options: ON,
      // Plain HTTP for the host is still served by its location.
      has: DEFAULT_LOCATION,
      conf: [
        'listen unix:/etc/gatehouse/run/https.sock ssl proxy_protocol http2;',
        'web.example.com unix:/etc/gatehouse/run/passthrough.sock;',
        'web.example.com default_web_80;',
        'ssl_preread on;',
      ],
    },
    { annotation: 'ssl-passthrough', value: 'false', options: ON, has: DEFAULT_LOCATION },
  ],
  [
    { annotation: 'ssl-passthrough', value: 'yes', options: ON, reason: 'must be "true" or "false"' },
    {
      annotation: 'ssl-passthrough',
      value: 'true',
      reason:
        'needs the controller flag --enable-ssl-passthrough; the Ingress is not served rather than served with its TLS terminated',
    },
  ],
);

const web = (namespace: string): KubernetesObject[] =>
  serviceWithEndpoints('web', [{ ip: namespace === 'team-a' ? '10.0.0.1' : '10.0.0.2', port: 8443 }], {
    namespace,
    port: 443,
  });

describe('ssl-passthrough: whose host it is', () => {
  it('without the annotation there is no stream block, and HTTPS listens on its port', () => {
    const { conf } = renderObjects(
      [
        ingressClass(),
        ingress({
          name: 'web',
          rules: [{ host: 'web.example.com', paths: [{ service: 'web', port: 443 }] }],
        }),
        ...web('default'),
      ],
      ON,
    );
    assert.doesNotMatch(conf, /^stream \{/m);
    assert.ok(!conf.includes('ngx_stream_module'));
    assert.ok(conf.includes('listen 443 ssl http2;'));
  });

  it('a newer Ingress of another namespace owning path / cannot pass the older owner’s host through', () => {
    const objects = [
      ingressClass(),
      ingress({
        name: 'api',
        namespace: 'team-a',
        creationTimestamp: '2026-01-01T00:00:00Z',
        rules: [{ host: 'shop.example.com', paths: [{ path: '/api', service: 'web', port: 443 }] }],
      }),
      ingress({
        name: 'grab',
        namespace: 'team-b',
        creationTimestamp: '2026-02-01T00:00:00Z',
        annotations: PASS,
        rules: [{ host: 'shop.example.com', paths: [{ path: '/', service: 'web', port: 443 }] }],
      }),
      ...web('team-a'),
      ...web('team-b'),
    ];
    const result = translateObjects(objects, ON);
    assert.equal(result.model.stream, undefined, 'no passthrough route');
    assert.deepEqual(messages(result), [
      `warning: Ingress team-b/grab: ${FIELD}: ignored: host shop.example.com belongs to an older Ingress in another namespace, and only its namespace may pass the host's TLS through; TLS is terminated as usual`,
    ]);
    assert.equal(outcome(result, 'api', 'team-a'), 'served');
  });

  it('the owner passes its host through; the other Ingresses on it are told they get plain HTTP only', () => {
    const objects = [
      ingressClass(),
      ingress({
        name: 'argocd',
        namespace: 'team-a',
        creationTimestamp: '2026-01-01T00:00:00Z',
        annotations: PASS,
        rules: [{ host: 'cd.example.com', paths: [{ path: '/', service: 'web', port: 443 }] }],
      }),
      ingress({
        name: 'hooks',
        namespace: 'team-b',
        creationTimestamp: '2026-02-01T00:00:00Z',
        rules: [{ host: 'cd.example.com', paths: [{ path: '/hooks', service: 'web', port: 443 }] }],
      }),
      ...web('team-a'),
      ...web('team-b'),
    ];
    const result = translateObjects(objects, ON);
    assert.deepEqual(result.model.stream?.passthrough?.routes, [
      { serverName: 'cd.example.com', upstream: 'team-a_web_443', source: 'ingress team-a/argocd' },
    ]);
    assert.deepEqual(
      result.model.stream.upstreams.map((u) => [u.name, u.endpoints.map((e) => `${e.host}:${e.port}`)]),
      [['team-a_web_443', ['10.0.0.1:8443']]],
    );
    assert.deepEqual(messages(result), [
      `warning: Ingress team-b/hooks: ${FIELD}: TLS for cd.example.com goes unterminated to the Service of its path / (ssl-passthrough); this Ingress's paths on cd.example.com are served over plain HTTP only`,
    ]);
  });

  it('an Ingress asking without serving path / is told, and the host stays terminated', () => {
    const objects = [
      ingressClass(),
      ingress({
        name: 'site',
        creationTimestamp: '2026-01-01T00:00:00Z',
        rules: [{ host: 'site.example.com', paths: [{ path: '/', service: 'web', port: 443 }] }],
      }),
      ingress({
        name: 'api',
        creationTimestamp: '2026-02-01T00:00:00Z',
        annotations: PASS,
        rules: [{ host: 'site.example.com', paths: [{ path: '/api', service: 'web', port: 443 }] }],
      }),
      ...web('default'),
    ];
    const result = translateObjects(objects, ON);
    assert.equal(result.model.stream, undefined);
    assert.deepEqual(messages(result), [
      `warning: Ingress default/api: ${FIELD}: ignored: passthrough sends all of site.example.com's TLS to the Service of its path /, which this Ingress does not serve; TLS is terminated as usual`,
    ]);
  });

  it('a passthrough Service that does not exist leaves the host terminated, and says so', () => {
    const result = translateObjects(
      [
        ingressClass(),
        ingress({
          name: 'cd',
          annotations: PASS,
          rules: [{ host: 'cd.example.com', paths: [{ path: '/', service: 'missing', port: 443 }] }],
        }),
      ],
      ON,
    );
    assert.equal(result.model.stream, undefined);
    assert.ok(
      messages(result).includes(
        `warning: Ingress default/cd: ${FIELD}: Service default/missing does not exist; TLS for cd.example.com is terminated as usual`,
      ),
      messages(result).join('\n'),
    );
  });
});

describe('gatehouse explain on a passed-through host', () => {
  it('says HTTPS goes unterminated to the pods, and explains plain HTTP by its location', () => {
    const result = translateObjects(
      [
        ingressClass(),
        ingress({
          name: 'dash',
          annotations: PASS,
          rules: [{ host: '*.dash.example.com', paths: [{ path: '/', service: 'web', port: 443 }] }],
        }),
        ...web('default'),
      ],
      ON,
    );
    const context = { model: result.model, routes: result.routes, diagnostics: [], snapshot: undefined };
    const ask = (url: string) => explain({ url, method: 'GET', headers: {}, source: '192.0.2.1' }, context);
    const tls = ask('https://eu.dash.example.com/api?x=1');
    assert.deepEqual(tls.result, { kind: 'proxy' });
    assert.equal(tls.location, undefined, 'no location: NGINX sees no request');
    assert.deepEqual(tls.upstream, { name: 'default_web_443', endpoints: ['10.0.0.2:8443'], live: false });
    assert.match(
      tls.reason,
      /^ssl-passthrough \(ingress default\/dash\): the TLS connection goes unterminated/,
    );
    const plain = ask('http://eu.dash.example.com/api');
    assert.deepEqual(plain.result, { kind: 'proxy' });
    assert.equal(plain.location?.source, 'ingress default/dash');
    // Other names are terminated and routed as usual (here: the default server's 404).
    assert.deepEqual(ask('https://other.example.com/').result, { kind: 'status', code: 404 });
  });
});
