import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { blameConfigLine } from '../../src/controller/blame.ts';
import type { ObjectRef } from '../../src/model/diagnostics.ts';
import { ingress, ingressClass, serviceWithEndpoints } from '../support/fixtures.ts';
import { renderObjects } from './harness.ts';

let conf: string;
let lines: string[];

before(() => {
  conf = renderObjects(
    [
      ingressClass(),
      ingress({
        name: 'tea',
        rules: [{ host: 'cafe.example.com', paths: [{ path: '/tea', service: 'tea', port: 80 }] }],
      }),
      ingress({
        name: 'coffee',
        namespace: 'shop',
        rules: [
          {
            host: 'cafe.example.com',
            paths: [{ path: '/coffee', pathType: 'Exact', service: 'coffee', port: 80 }],
          },
        ],
      }),
      ingress({
        name: 'web.v2',
        rules: [{ host: 'web.example.com', paths: [{ service: 'tea', port: 80 }] }],
      }),
      ingress({
        name: 'anyhost',
        rules: [{ paths: [{ path: '/health', pathType: 'Exact', service: 'tea', port: 80 }] }],
      }),
      ...serviceWithEndpoints('tea', [{ ip: '10.0.0.1', port: 8080 }]),
      ...serviceWithEndpoints('coffee', [{ ip: '10.0.0.2', port: 8080 }], { namespace: 'shop' }),
    ],
    { defaultBackendService: { namespace: 'ops', name: 'tea' } },
  ).conf;
  lines = conf.split('\n');
});

/** The 1-based number of the first line containing `text` after the first line containing `after`. */
function lineOf(text: string, after = ''): number {
  const start = lines.findIndex((l) => l.includes(after));
  const i = lines.findIndex((l, n) => n >= start && l.includes(text));
  if (start < 0 || i < 0) throw new Error(`no line ${text} after ${after}`);
  return i + 1;
}

const emerg = (message: string, line: number): string =>
  `nginx: [emerg] ${message} in /tmp/gatehouse-stage-1/nginx.conf:${line}\nnginx: configuration file /tmp/gatehouse-stage-1/nginx.conf test failed\n`;

const cases: { name: string; line: () => number; culprit: ObjectRef | undefined }[] = [
  {
    name: 'a line inside a location blames the Ingress it came from',
    line: () => lineOf('set $gatehouse_upstream shop_coffee_80', 'server_name cafe.example.com'),
    culprit: { kind: 'Ingress', namespace: 'shop', name: 'coffee' },
  },
  {
    name: 'a location line itself blames its Ingress',
    line: () => lineOf('location "/tea/"', 'server_name cafe.example.com'),
    culprit: { kind: 'Ingress', namespace: 'default', name: 'tea' },
  },
  {
    name: 'a host-less rule on the default server blames its Ingress',
    line: () => lineOf('location = "/health"'),
    culprit: { kind: 'Ingress', namespace: 'default', name: 'anyhost' },
  },
  {
    name: 'the server_name of a host from one Ingress blames that Ingress (dots in the name allowed)',
    line: () => lineOf('server_name web.example.com'),
    culprit: { kind: 'Ingress', namespace: 'default', name: 'web.v2' },
  },
  {
    name: 'the server_name of a host several Ingresses share blames nobody',
    line: () => lineOf('server_name cafe.example.com'),
    culprit: undefined,
  },
  {
    name: 'the listen line of the default server blames nobody',
    line: () => lineOf('listen 80 default_server'),
    culprit: undefined,
  },
  {
    name: 'a line of the http block blames nobody',
    line: () => lineOf('server_names_hash_bucket_size'),
    culprit: undefined,
  },
  {
    name: 'the first line blames nobody',
    line: () => 1,
    culprit: undefined,
  },
];

describe('blameConfigLine', () => {
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(blameConfigLine(conf, emerg('invalid parameter', c.line())), c.culprit);
    });
  }

  it('blames nobody when NGINX names no line of nginx.conf', () => {
    assert.equal(
      blameConfigLine(
        conf,
        'nginx: [emerg] cannot load certificate "/etc/gatehouse/certs/x.pem": PEM_read_bio failed\n',
      ),
      undefined,
    );
    assert.equal(blameConfigLine(conf, ''), undefined);
  });

  it('blames the Secret of a certificate file NGINX could not load', () => {
    const stderr =
      'nginx: [emerg] SSL_CTX_use_certificate("/etc/gatehouse/certs/team-a_shop.tls_0123456789ab.pem") failed (SSL: error:0A00018F:SSL routines::ee key too small)\n';
    assert.deepEqual(blameConfigLine(conf, stderr), {
      kind: 'Secret',
      namespace: 'team-a',
      name: 'shop.tls',
    });
  });

  it('reads the line from the first nginx.conf:N in the message', () => {
    const tea = lineOf('location "/tea/"', 'server_name cafe.example.com');
    const stderr = `nginx: [emerg] invalid parameter in /etc/gatehouse/nginx.conf:${tea}\nnginx: [emerg] also nginx.conf:1\n`;
    assert.deepEqual(blameConfigLine(conf, stderr), { kind: 'Ingress', namespace: 'default', name: 'tea' });
  });

  it('blames nobody for a line in the status server, which no object made', () => {
    assert.equal(
      blameConfigLine(
        conf,
        emerg(
          'too long path in the unix domain socket in "unix:/x" of the "listen" directive',
          lineOf('listen unix:'),
        ),
      ),
      undefined,
    );
  });
});
