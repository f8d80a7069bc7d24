// --tcp-services-configmap / --udp-services-configmap: which entries become stream servers, and what a bad
// entry costs (only itself).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { configMap, ingressClass, serviceWithEndpoints } from '../support/fixtures.ts';
import { messages, renderObjects, translateObjects } from './harness.ts';

const TCP = { tcpServices: { namespace: 'ops', name: 'tcp' } } as const;
const BOTH = { ...TCP, udpServices: { namespace: 'ops', name: 'udp' } } as const;

const backends = (): KubernetesObject[] => [
  ingressClass(),
  ...serviceWithEndpoints('db', [{ ip: '10.0.0.5', port: 5432 }], { port: 5432, portName: 'pg' }),
  ...serviceWithEndpoints('dns', [{ ip: '10.0.0.8', port: 5353 }], { port: 53 }),
];

const tcp = (data: Record<string, string>): KubernetesObject => configMap(data, 'ops', 'tcp');

describe('translate: TCP and UDP services', () => {
  it('serves each entry on its port, with the PROXY protocol in and out as its fields ask', () => {
    const { result, conf } = renderObjects(
      [
        ...backends(),
        tcp({ '5432': 'default/db:5432', '15432': 'default/db:pg:proxy', '25432': 'default/db:5432::PROXY' }),
        configMap(
          { '53': 'default/dns:53', '54': 'default/dns:53:PROXY', '55': 'default/dns:53::PROXY' },
          'ops',
          'udp',
        ),
      ],
      BOTH,
    );
    assert.deepEqual(messages(result), [
      'error: ConfigMap ops/udp: data.54: a UDP service takes no :PROXY fields; this udp service is not served',
      'error: ConfigMap ops/udp: data.55: a UDP service takes no :PROXY fields; this udp service is not served',
    ]);
    assert.deepEqual(
      result.model.stream?.servers.map((s) => [
        s.protocol,
        s.port,
        s.upstream,
        s.proxyProtocolIn,
        s.proxyProtocolOut,
      ]),
      [
        ['tcp', 5432, 'default_db_5432', false, false],
        ['tcp', 15432, 'default_db_pg', true, false],
        ['tcp', 25432, 'default_db_5432', false, true],
        ['udp', 53, 'default_dns_53', false, false],
      ],
    );
    const stream = conf.slice(conf.indexOf('\nstream {'));
    for (const line of [
      'listen 15432 proxy_protocol;',
      'listen 53 udp;',
      'proxy_responses 1;',
      'proxy_protocol on;',
      'server 10.0.0.5:5432;',
      'server 10.0.0.8:5353;',
    ])
      assert.ok(stream.includes(line), `missing ${line} in\n${stream}`);
    assert.ok(conf.includes('load_module "/usr/lib/nginx/modules/ngx_stream_module.so";'));
    // Without passthrough, HTTPS stays on its own port.
    assert.match(conf, /listen 443 ssl http2 default_server;/);
  });

  it('reports each bad entry alone, naming its key, and serves the rest', () => {
    const result = translateObjects(
      [
        ...backends(),
        tcp({
          '5432': 'default/db:5432',
          '443': 'default/db:5432',
          '10254': 'default/db:5432',
          '70000': 'default/db:5432',
          '6000': 'default/db:5432\n}\nserver { listen 1',
          '6001': 'default/db:5432;',
          '6002': 'default/db:5432:PROXY:PROXY:PROXY',
          '6003': 'default/db:5432:SEND',
          '6004': 'Default/db:5432',
          '6005': 'default/db:9999',
        }),
      ],
      { ...TCP, reservedPorts: [10254] },
    );
    const bad = (key: string, reason: string): string =>
      `error: ConfigMap ops/tcp: data.${key}: ${reason}; this tcp service is not served`;
    const shape = 'must be namespace/service:port, optionally followed by :PROXY and :PROXY';
    assert.deepEqual(messages(result).sort(), [
      bad('10254', 'port 10254 is one Gatehouse listens on itself'),
      bad('443', 'port 443 is one Gatehouse listens on itself'),
      bad('6000', shape),
      bad('6001', shape),
      bad('6002', shape),
      bad('6003', shape),
      bad('6004', shape),
      bad('6005', 'Service default/db has no port 9999'),
      bad('70000', 'the key must be a port number from 1 to 65535'),
    ]);
    assert.deepEqual(
      result.model.stream?.servers.map((s) => s.port),
      [5432],
    );
  });

  it('has no stream block without the flags, or when the ConfigMap is absent', () => {
    const objects = [...backends(), tcp({ '5432': 'default/db:5432' })];
    assert.equal(translateObjects(objects).model.stream, undefined);
    assert.equal(translateObjects(backends(), TCP).model.stream, undefined);
  });
});
