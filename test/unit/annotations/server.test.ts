import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { serverFamily } from '../../../src/annotations/server.ts';
import { ingress, ingressClass, serviceWithEndpoints } from '../../support/fixtures.ts';
import { messages, renderObjects } from '../harness.ts';
import { familyTable } from './table.ts';

const NAMES = 'must be a comma-separated list of DNS names, each optionally starting with "*."';

familyTable(
  serverFamily,
  [
    // A server setting: the names are on the server_name line, checked below.
    { annotation: 'server-alias', value: 'www.web.example.com, Web.Example.NET', has: [] },
  ],
  [
    { annotation: 'server-alias', value: 'a.example.com;b', reason: NAMES },
    { annotation: 'server-alias', value: '~^(.+)\\.example\\.com$', reason: NAMES },
    { annotation: 'server-alias', value: '10.0.0.1', reason: NAMES },
    { annotation: 'server-alias', value: ' , ', reason: 'must list at least one name' },
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
