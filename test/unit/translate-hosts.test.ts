import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { ingress, ingressClass, serviceWithEndpoints } from '../support/fixtures.ts';
import type { TranslateOptions } from '../../src/translate/translate.ts';
import { messages, renderObjects, routes, serverBlock, translateObjects } from './harness.ts';

const svc = (name: string, ip: string, namespace = 'default'): KubernetesObject[] =>
  serviceWithEndpoints(name, [{ ip, port: 8080 }], { namespace });

describe('translate: hosts', () => {
  const hostCases: { host: string; serverName: string }[] = [
    { host: 'shop.example.com', serverName: 'shop.example.com' },
    { host: '*.example.com', serverName: '~^[^.]+\\.example\\.com$' },
    { host: '*.a-b.example.co', serverName: '~^[^.]+\\.a-b\\.example\\.co$' },
    { host: 'localhost', serverName: 'localhost' },
  ];
  for (const c of hostCases) {
    it(`serves host ${c.host} with server_name ${c.serverName}`, () => {
      const { result, conf } = renderObjects([
        ingressClass(),
        ingress({ name: 'web', rules: [{ host: c.host, paths: [{ service: 'web', port: 80 }] }] }),
        ...svc('web', '10.0.0.1'),
      ]);
      assert.deepEqual(messages(result), []);
      assert.equal(result.model.servers[0]?.serverName, c.serverName);
      assert.match(
        serverBlock(conf, c.serverName),
        /location "\/" \{[^}]*set \$gatehouse_upstream default_web_80;/,
      );
    });
  }

  it('sends a wildcard and an exact host under it to separate servers', () => {
    const result = translateObjects([
      ingressClass(),
      ingress({
        name: 'web',
        rules: [
          { host: '*.example.com', paths: [{ service: 'any', port: 80 }] },
          { host: 'shop.example.com', paths: [{ service: 'shop', port: 80 }] },
        ],
      }),
      ...svc('any', '10.0.0.1'),
      ...svc('shop', '10.0.0.2'),
    ]);
    assert.deepEqual(routes(result.model, '*.example.com'), ['/ -> http://default_any_80']);
    assert.deepEqual(routes(result.model, 'shop.example.com'), ['/ -> http://default_shop_80']);
  });

  it('puts rules without a host on the default server', () => {
    const { result, conf } = renderObjects([
      ingressClass(),
      ingress({
        name: 'anyhost',
        rules: [{ paths: [{ path: '/health', pathType: 'Exact', service: 'web', port: 80 }] }],
      }),
      ...svc('web', '10.0.0.1'),
    ]);
    assert.deepEqual(result.model.servers, []);
    assert.deepEqual(routes(result.model, ''), ['/ -> 404', '= /health -> http://default_web_80']);
    assert.match(
      serverBlock(conf, '_'),
      /location = "\/health" \{[^}]*set \$gatehouse_upstream default_web_80;/,
    );
    assert.match(
      conf,
      /listen 80 default_server;\n\s+listen 443 ssl http2 default_server;\n\s+server_name _;/,
    );
  });

  it('merges the rules of several Ingresses for one host into one server', () => {
    const result = translateObjects([
      ingressClass(),
      ingress({
        name: 'tea',
        rules: [{ host: 'cafe.example.com', paths: [{ path: '/tea', service: 'tea', port: 80 }] }],
      }),
      ingress({
        name: 'coffee',
        rules: [
          {
            host: 'cafe.example.com',
            paths: [{ path: '/coffee', pathType: 'Exact', service: 'coffee', port: 80 }],
          },
        ],
      }),
      ...svc('tea', '10.0.0.1'),
      ...svc('coffee', '10.0.0.2'),
    ]);
    const server = result.model.servers[0];
    assert.deepEqual(server?.sources, ['ingress default/coffee', 'ingress default/tea']);
    assert.deepEqual(routes(result.model, 'cafe.example.com'), [
      '/ -> 404',
      '= /coffee -> http://default_coffee_80',
      '= /tea -> http://default_tea_80',
      '/tea/ -> http://default_tea_80',
    ]);
  });
});

describe('translate: default backends', () => {
  const cases: {
    name: string;
    objects: KubernetesObject[];
    options?: Partial<TranslateOptions>;
    defaultServer: string[];
    host?: string[];
    messages?: string[];
  }[] = [
    {
      name: 'without any default backend, unmatched requests get 404',
      objects: [
        ingress({
          name: 'web',
          rules: [{ host: 'a.example.com', paths: [{ path: '/x', service: 'web', port: 80 }] }],
        }),
      ],
      defaultServer: ['/ -> 404'],
      host: ['/ -> 404', '= /x -> http://default_web_80', '/x/ -> http://default_web_80'],
    },
    {
      name: "an Ingress's defaultBackend serves the default server and its own hosts",
      objects: [
        ingress({
          name: 'web',
          defaultBackend: { service: 'fallback', port: 80 },
          rules: [
            { host: 'a.example.com', paths: [{ path: '/x', pathType: 'Exact', service: 'web', port: 80 }] },
          ],
        }),
      ],
      defaultServer: ['/ -> http://default_fallback_80'],
      host: ['/ -> http://default_fallback_80', '= /x -> http://default_web_80'],
    },
    {
      name: 'a Prefix / rule takes precedence over the defaultBackend on its host',
      objects: [
        ingress({
          name: 'web',
          defaultBackend: { service: 'fallback', port: 80 },
          rules: [{ host: 'a.example.com', paths: [{ path: '/', service: 'web', port: 80 }] }],
        }),
      ],
      defaultServer: ['/ -> http://default_fallback_80'],
      host: ['/ -> http://default_web_80'],
    },
    {
      name: 'the defaultBackendService option serves what no Ingress matches',
      objects: [
        ingress({
          name: 'web',
          rules: [
            { host: 'a.example.com', paths: [{ path: '/x', pathType: 'Exact', service: 'web', port: 80 }] },
          ],
        }),
      ],
      options: { defaultBackendService: { namespace: 'ops', name: 'errors' } },
      defaultServer: ['/ -> http://ops_errors_80'],
      host: ['/ -> http://ops_errors_80', '= /x -> http://default_web_80'],
    },
    {
      name: "an Ingress's defaultBackend beats the defaultBackendService option",
      objects: [ingress({ name: 'web', defaultBackend: { service: 'fallback', port: 80 } })],
      options: { defaultBackendService: { namespace: 'ops', name: 'errors' } },
      defaultServer: ['/ -> http://default_fallback_80'],
    },
    {
      name: 'a defaultBackendService that does not exist gives 503 and a warning',
      objects: [],
      options: { defaultBackendService: { namespace: 'ops', name: 'gone' } },
      defaultServer: ['/ -> 503'],
      messages: [
        'warning: Service ops/gone: default backend Service does not exist or has no port; requests get 503',
      ],
    },
    {
      name: 'the oldest Ingress defaultBackend wins on the default server',
      objects: [
        ingress({
          name: 'young',
          creationTimestamp: '2024-05-01T00:00:00Z',
          defaultBackend: { service: 'web', port: 80 },
        }),
        ingress({
          name: 'old',
          creationTimestamp: '2024-01-01T00:00:00Z',
          defaultBackend: { service: 'fallback', port: 80 },
        }),
      ],
      defaultServer: ['/ -> http://default_fallback_80'],
    },
    {
      name: 'a defaultBackend Service that does not exist gives 503 and a warning on the Ingress',
      objects: [ingress({ name: 'web', defaultBackend: { service: 'nope', port: 80 } })],
      defaultServer: ['/ -> 503'],
      messages: [
        'warning: Ingress default/web: spec.defaultBackend: Service default/nope does not exist; requests get 503',
      ],
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const result = translateObjects(
        [
          ingressClass(),
          ...c.objects,
          ...svc('web', '10.0.0.1'),
          ...svc('fallback', '10.0.0.2'),
          ...svc('errors', '10.0.0.3', 'ops'),
        ],
        c.options,
      );
      assert.deepEqual(messages(result), c.messages ?? []);
      assert.deepEqual(routes(result.model, ''), c.defaultServer);
      if (c.host) assert.deepEqual(routes(result.model, 'a.example.com'), c.host);
    });
  }
});
