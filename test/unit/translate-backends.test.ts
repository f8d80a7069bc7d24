import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { externalNameService, ingress, ingressClass, serviceWithEndpoints } from '../support/fixtures.ts';
import { messages, renderObjects } from './harness.ts';

interface SliceSpec {
  name?: string;
  service?: string;
  namespace?: string;
  addressType?: string;
  ports?: { name?: string; port: number }[];
  endpoints: { addresses: string[]; ready?: boolean }[];
}

function slice(s: SliceSpec): KubernetesObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: s.name ?? 'web-abc',
      namespace: s.namespace ?? 'default',
      labels: { 'kubernetes.io/service-name': s.service ?? 'web' },
    },
    addressType: s.addressType ?? 'IPv4',
    ...(s.ports ? { ports: s.ports } : {}),
    endpoints: s.endpoints.map((e) => ({
      addresses: e.addresses,
      ...(e.ready === undefined ? {} : { conditions: { ready: e.ready } }),
    })),
  } as KubernetesObject;
}

function service(ports: { name?: string; port: number; targetPort?: number | string }[]): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default' },
    spec: { ports },
  } as KubernetesObject;
}

const web = (port: number | string = 80): KubernetesObject =>
  ingress({ name: 'web', rules: [{ host: 'web.example.com', paths: [{ service: 'web', port }] }] });

const WARN = 'warning: Ingress default/web: spec.rules[0].http.paths[0].backend:';

const cases: {
  name: string;
  objects: KubernetesObject[];
  port?: number | string;
  /**
   * The backend the location names and its endpoints (pushed to NGINX at run time), with the warning if
   * any; or the status code the location returns.
   */
  expect: { upstream: string; servers: string[]; message?: string } | { status: number; message: string };
}[] = [
  {
    name: 'a Service that does not exist gives 503',
    objects: [],
    expect: { status: 503, message: `${WARN} Service default/web does not exist; requests get 503` },
  },
  {
    name: 'a Service without EndpointSlices gives 503',
    objects: [service([{ name: 'http', port: 80, targetPort: 8080 }])],
    expect: {
      upstream: 'default_web_80',
      servers: [],
      message: `${WARN} Service default/web has no ready endpoints; requests get 503`,
    },
  },
  {
    name: 'a Service whose endpoints are all not ready gives 503',
    objects: serviceWithEndpoints('web', [
      { ip: '10.0.0.1', port: 8080, ready: false },
      { ip: '10.0.0.2', port: 8080, ready: false },
    ]),
    expect: {
      upstream: 'default_web_80',
      servers: [],
      message: `${WARN} Service default/web has no ready endpoints; requests get 503`,
    },
  },
  {
    name: 'a port the Service does not have gives 503',
    objects: serviceWithEndpoints('web', [{ ip: '10.0.0.1', port: 8080 }]),
    port: 81,
    expect: { status: 503, message: `${WARN} Service default/web has no port 81; requests get 503` },
  },
  {
    name: 'a port name the Service does not have gives 503',
    objects: serviceWithEndpoints('web', [{ ip: '10.0.0.1', port: 8080 }]),
    port: 'grpc',
    expect: { status: 503, message: `${WARN} Service default/web has no port grpc; requests get 503` },
  },
  {
    name: 'not-ready endpoints are left out; endpoints without conditions count as ready',
    objects: [
      service([{ name: 'http', port: 80, targetPort: 8080 }]),
      slice({
        ports: [{ name: 'http', port: 8080 }],
        endpoints: [
          { addresses: ['10.0.0.3'], ready: false },
          { addresses: ['10.0.0.2'] },
          { addresses: ['10.0.0.1'], ready: true },
        ],
      }),
    ],
    expect: {
      upstream: 'default_web_80',
      servers: ['10.0.0.1:8080', '10.0.0.2:8080'],
    },
  },
  {
    name: 'a named port resolves through the Service to the EndpointSlice port of that name',
    objects: [
      service([
        { name: 'admin', port: 81, targetPort: 9000 },
        { name: 'http', port: 80, targetPort: 'web' },
      ]),
      slice({
        ports: [
          { name: 'admin', port: 9000 },
          { name: 'http', port: 3000 },
        ],
        endpoints: [{ addresses: ['10.0.0.1'] }],
      }),
    ],
    port: 'http',
    expect: { upstream: 'default_web_http', servers: ['10.0.0.1:3000'] },
  },
  {
    name: 'the target port comes from the EndpointSlice, not the Service port',
    objects: [
      service([{ name: 'http', port: 80, targetPort: 8080 }]),
      slice({ ports: [{ name: 'http', port: 9090 }], endpoints: [{ addresses: ['10.0.0.1'] }] }),
    ],
    expect: { upstream: 'default_web_80', servers: ['10.0.0.1:9090'] },
  },
  {
    name: 'an unnamed port matches the unnamed slice port',
    objects: [
      service([{ port: 80, targetPort: 8080 }]),
      slice({ ports: [{ port: 7070 }], endpoints: [{ addresses: ['10.0.0.1'] }] }),
    ],
    expect: { upstream: 'default_web_80', servers: ['10.0.0.1:7070'] },
  },
  {
    name: 'a slice without ports falls back to the numeric targetPort',
    objects: [
      service([{ name: 'http', port: 80, targetPort: 8080 }]),
      slice({ endpoints: [{ addresses: ['10.0.0.1'] }] }),
    ],
    expect: { upstream: 'default_web_80', servers: ['10.0.0.1:8080'] },
  },
  {
    name: 'IPv6 endpoints are bracketed',
    objects: [
      service([{ name: 'http', port: 80, targetPort: 8080 }]),
      slice({
        addressType: 'IPv6',
        ports: [{ name: 'http', port: 8080 }],
        endpoints: [{ addresses: ['fd00::2'] }, { addresses: ['fd00::1'] }],
      }),
    ],
    expect: {
      upstream: 'default_web_80',
      servers: ['[fd00::1]:8080', '[fd00::2]:8080'],
    },
  },
  {
    name: 'endpoints of several slices are merged, deduplicated and sorted; FQDN slices and bad addresses are skipped',
    objects: [
      service([{ name: 'http', port: 80, targetPort: 8080 }]),
      slice({
        name: 'a',
        ports: [{ name: 'http', port: 8080 }],
        endpoints: [{ addresses: ['10.0.0.9', '10.0.0.1'] }],
      }),
      slice({
        name: 'b',
        ports: [{ name: 'http', port: 8080 }],
        endpoints: [{ addresses: ['10.0.0.1', '10.0.0.5; evil'] }],
      }),
      slice({
        name: 'c',
        addressType: 'FQDN',
        ports: [{ name: 'http', port: 8080 }],
        endpoints: [{ addresses: ['x.example.com'] }],
      }),
      slice({
        name: 'd',
        namespace: 'other',
        ports: [{ name: 'http', port: 8080 }],
        endpoints: [{ addresses: ['10.9.9.9'] }],
      }),
    ],
    expect: {
      upstream: 'default_web_80',
      servers: ['10.0.0.1:8080', '10.0.0.9:8080'],
    },
  },
  {
    name: 'an ExternalName Service proxies to the addresses the controller resolved its name to',
    objects: [externalNameService('web', 'api.example.net')],
    expect: {
      upstream: 'default_web_80',
      servers: ['192.0.2.7:80', '[2001:db8::7]:80'],
    },
  },
  {
    name: 'an ExternalName Service may name an IP address',
    objects: [externalNameService('web', '192.0.2.7')],
    expect: { upstream: 'default_web_80', servers: ['192.0.2.7:80'] },
  },
  {
    name: 'an ExternalName Service with a named port uses the Service port number',
    objects: [externalNameService('web', 'api.example.net')],
    port: 'http',
    expect: {
      upstream: 'default_web_http',
      servers: ['192.0.2.7:80', '[2001:db8::7]:80'],
    },
  },
  {
    name: 'an ExternalName that is not a DNS name gives 503',
    objects: [externalNameService('web', 'api.example.net; include /etc/passwd')],
    expect: {
      status: 503,
      message: `${WARN} ExternalName Service default/web has no usable name or port; requests get 503`,
    },
  },
  {
    name: 'an ExternalName Service without the named port gives 503',
    objects: [externalNameService('web', 'api.example.net')],
    port: 'grpc',
    expect: {
      status: 503,
      message: `${WARN} ExternalName Service default/web has no usable name or port; requests get 503`,
    },
  },
];

describe('translate: Service backends', () => {
  for (const c of cases) {
    it(c.name, () => {
      const { result, conf, backends } = renderObjects(
        [ingressClass(), web(c.port), ...c.objects],
        {},
        {
          externalNames: new Map([['api.example.net', { addresses: ['192.0.2.7', '2001:db8::7'] }]]),
        },
      );
      const location = /location "\/" \{([^}]*)\}/.exec(
        conf.slice(conf.indexOf('server_name web.example.com;')),
      )?.[1];
      if ('status' in c.expect) {
        assert.deepEqual(messages(result), [c.expect.message]);
        assert.match(location ?? '', new RegExp(`return ${c.expect.status};`));
        assert.deepEqual(result.model.upstreams, []);
        return;
      }
      assert.deepEqual(messages(result), c.expect.message === undefined ? [] : [c.expect.message]);
      assert.match(location ?? '', new RegExp(`set \\$gatehouse_upstream ${c.expect.upstream};`));
      assert.match(location ?? '', /proxy_pass http:\/\/gatehouse_balancer;/);
      assert.deepEqual(backends[c.expect.upstream], c.expect.servers);
    });
  }

  it('makes one backend per Service port, shared by every location that uses it', () => {
    const { result, conf, backends } = renderObjects([
      ingressClass(),
      ingress({
        name: 'web',
        rules: [
          { host: 'a.example.com', paths: [{ service: 'web', port: 80 }] },
          { host: 'b.example.com', paths: [{ service: 'web', port: 80 }] },
        ],
      }),
      ...serviceWithEndpoints('web', [{ ip: '10.0.0.1', port: 8080 }]),
    ]);
    assert.deepEqual(
      result.model.upstreams.map((u) => u.name),
      ['default_web_80'],
    );
    assert.deepEqual(backends, { default_web_80: ['10.0.0.1:8080'] });
    assert.equal(conf.match(/set \$gatehouse_upstream default_web_80;/g)?.length, 2);
  });
});
