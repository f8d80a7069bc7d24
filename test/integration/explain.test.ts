// `gatehouse explain` must agree with NGINX. One folder holds the Ingress documentation's path-matching
// examples (one host each) and the cases where NGINX's own rules decide: URI normalisation, Host header
// forms, wildcard hosts, host-less rules, default backends, redirects, allow-lists and 503s. For every URL
// of the table, the live controller's explanation (/debug/explain) and a real request to NGINX must give
// the same answer: the backend that served it, or the status code (and redirect target).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Explanation } from '../../src/explain/explain.ts';
import { ingress, serviceWithEndpoints, type PathSpec } from '../support/fixtures.ts';
import { HASHES, opaqueSecret } from '../support/htpasswd.ts';
import { htdigestLine } from '../support/htdigest.ts';
import { request } from '../support/http-client.ts';
import { describeReply, echoOf, runCli, serveFolder, type ServedFolder } from '../support/integration.ts';

type P = readonly [NonNullable<PathSpec['pathType']>, string, string]; // pathType, path, service

function host(name: string, paths: readonly P[], extra: Partial<Parameters<typeof ingress>[0]> = {}) {
  return ingress({
    name,
    rules: [
      {
        host: `${name}.example.com`,
        paths: paths.map(([pathType, path, service]) => ({ path, pathType, service, port: 80 })),
      },
    ],
    ...extra,
  });
}

const OBJECTS: KubernetesObject[] = [
  host('prefix-root', [['Prefix', '/', 'b1']]),
  host('exact-foo', [['Exact', '/foo', 'b1']]),
  host('exact-foo-slash', [['Exact', '/foo/', 'b1']]),
  host('prefix-foo', [['Prefix', '/foo', 'b1']]),
  host('prefix-foo-slash', [['Prefix', '/foo/', 'b1']]),
  host('prefix-aaa-bb', [['Prefix', '/aaa/bb', 'b1']]),
  host('prefix-aaa-bbb', [['Prefix', '/aaa/bbb', 'b1']]),
  host('prefix-aaa-bbb-slash', [['Prefix', '/aaa/bbb/', 'b1']]),
  host('multi', [
    ['Prefix', '/', 'b1'],
    ['Prefix', '/aaa', 'b2'],
    ['Prefix', '/aaa/bbb', 'b3'],
  ]),
  host('prefix-aaa', [['Prefix', '/aaa', 'b1']]),
  host('mixed', [
    ['Prefix', '/foo', 'b1'],
    ['Exact', '/foo', 'b2'],
  ]),
  host('dflt', [['Prefix', '/app', 'b1']], { defaultBackend: { service: 'b2', port: 80 } }),
  host('redirect', [['Prefix', '/', 'b1']], {
    annotations: { 'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true' },
  }),
  host('private', [['Prefix', '/', 'b1']], {
    annotations: { 'nginx.ingress.kubernetes.io/allowlist-source-range': '10.0.0.0/8' },
  }),
  host('loopback-only', [['Prefix', '/', 'b2']], {
    annotations: { 'nginx.ingress.kubernetes.io/allowlist-source-range': '127.0.0.0/8' },
  }),
  host('empty', [['Prefix', '/', 'nothing']]),
  ingress({
    name: 'wild',
    rules: [{ host: '*.w.example.com', paths: [{ path: '/', service: 'b3', port: 80 }] }],
  }),
  ingress({
    name: 'anyhost',
    rules: [{ paths: [{ path: '/free', pathType: 'Prefix', service: 'b4', port: 80 }] }],
  }),
  host(
    'regex',
    [
      ['Prefix', '/api/v[0-9]+', 'b1'],
      ['Prefix', '/static', 'b2'],
      ['Exact', '/api/v1', 'b3'],
    ],
    { annotations: { 'nginx.ingress.kubernetes.io/use-regex': 'true' } },
  ),
  host('rewrite', [['ImplementationSpecific', '/api(/|$)(.*)', 'b4']], {
    annotations: { 'nginx.ingress.kubernetes.io/rewrite-target': '/$2' },
  }),
  host('aliased', [['Prefix', '/', 'b4']], {
    annotations: { 'nginx.ingress.kubernetes.io/server-alias': 'alias.example.net,*.any.example.net' },
  }),
  host('www', [['Prefix', '/', 'b3']], {
    annotations: { 'nginx.ingress.kubernetes.io/from-to-www-redirect': 'true' },
  }),
  host('approot', [['Prefix', '/', 'b1']], {
    annotations: { 'nginx.ingress.kubernetes.io/app-root': '/app' },
  }),
  host('moved', [['Prefix', '/', 'b1']], {
    annotations: { 'nginx.ingress.kubernetes.io/permanent-redirect': 'https://new.example.org/here' },
  }),
  host('locked', [['Prefix', '/', 'b1']], {
    annotations: {
      'nginx.ingress.kubernetes.io/auth-type': 'basic',
      'nginx.ingress.kubernetes.io/auth-secret': 'users',
    },
  }),
  host('unlocked', [['Prefix', '/', 'b1']], {
    annotations: {
      'nginx.ingress.kubernetes.io/auth-type': 'basic',
      'nginx.ingress.kubernetes.io/auth-secret': 'missing',
    },
  }),
  host('digested', [['Prefix', '/', 'b1']], {
    annotations: {
      'nginx.ingress.kubernetes.io/auth-type': 'digest',
      'nginx.ingress.kubernetes.io/auth-secret': 'digest-users',
    },
  }),
  opaqueSecret('users', { auth: `ann:${HASHES.sha512}\n` }),
  opaqueSecret('digest-users', { auth: `${htdigestLine('ann', 'Authentication Required', 'pw')}\n` }),
  ...serviceWithEndpoints('nothing', []),
];

/** [scheme, Host header, request target]. */
type Case = readonly ['http' | 'https', string, string];
const h = (name: string, ...targets: string[]): Case[] =>
  targets.map((t) => ['http', `${name}.example.com`, t] as const);

const CASES: readonly Case[] = [
  // The Ingress documentation's table.
  ...h('prefix-root', '/', '/foo', '/foo/bar', '/aaa/bbb/ccc?x=1'),
  ...h('exact-foo', '/foo', '/bar', '/foo/'),
  ...h('exact-foo-slash', '/foo', '/foo/'),
  ...h('prefix-foo', '/foo', '/foo/', '/foobar'),
  ...h('prefix-foo-slash', '/foo', '/foo/'),
  ...h('prefix-aaa-bb', '/aaa/bbb'),
  ...h('prefix-aaa-bbb', '/aaa/bbb', '/aaa/bbb/', '/aaa/bbb/ccc', '/aaa/bbbxyz'),
  ...h('prefix-aaa-bbb-slash', '/aaa/bbb'),
  ...h('multi', '/aaa/ccc', '/aaa/bbb', '/ccc'),
  ...h('prefix-aaa', '/ccc'),
  ...h('mixed', '/foo', '/foo/x'),
  // NGINX normalises the URI before matching.
  ...h('multi', '/aaa//bbb', '/aaa/./bbb', '/aaa/x/../bbb', '/%61aa/bbb', '/aaa%2Fbbb', '/aaa/bbb/..'),
  ...h('multi', '/aaa/%2e%2e/aaa/bbb', '/AAA/bbb', '/?/aaa/bbb', '/aaa/bbb?x=/../..'),
  ...h('multi', '/..', '/aaa/../..', '/aaa/%zz', '/aaa%00bbb'),
  // Host header forms, wildcards, rules without a host, unknown hosts.
  ['http', 'MULTI.Example.COM', '/aaa/bbb'],
  ['http', 'multi.example.com.', '/aaa/bbb'],
  ['http', 'a.w.example.com', '/x'],
  ['http', 'a.b.w.example.com', '/x'],
  ['http', 'w.example.com', '/x'],
  ['http', 'unknown.example.com', '/free/x'],
  ['http', 'unknown.example.com', '/x'],
  ['http', 'multi.example.com', '/free'],
  ['http', 'bad..example.com', '/'],
  // Default backends, redirects, allow-lists, Services without endpoints.
  ...h('dflt', '/app/x', '/other'),
  ...h('redirect', '/x?y=1'),
  ['https', 'redirect.example.com', '/x'],
  ...h('private', '/'),
  ...h('loopback-only', '/'),
  ...h('empty', '/x'),
  // Regex paths (use-regex, rewrite-target): case-insensitive regexes in ingress-nginx's order, Exact first.
  ...h(
    'regex',
    '/api/v2/x',
    '/API/V2/x',
    '/api/v1',
    '/api/v1/x',
    '/api/vx',
    '/static/x',
    '/staticx',
    '/Static',
  ),
  ...h('rewrite', '/api/users?x=1', '/api', '/API/a/b', '/apix'),
  // Server names beyond the host: aliases (exact and wildcard), from-to-www-redirect; app-root; redirects;
  // basic and digest authentication, and a location denied because its auth Secret is missing.
  ['http', 'alias.example.net', '/x'],
  ['http', 'x.any.example.net', '/x'],
  ['http', 'a.b.any.example.net', '/x'],
  ['http', 'any.example.net', '/x'],
  ['http', 'example.com', '/x?y=1'],
  ['https', 'example.com', '/x'],
  ...h('approot', '/', '/other'),
  ...h('moved', '/x'),
  ...h('locked', '/'),
  ...h('unlocked', '/'),
  ...h('digested', '/'),
];

describe('gatehouse explain agrees with NGINX', () => {
  let served: ServedFolder;
  before(async () => {
    served = await serveFolder(['b1', 'b2', 'b3', 'b4'], OBJECTS);
  });
  after(async () => {
    await served.stop();
  });

  for (const [scheme, hostHeader, target] of CASES) {
    it(`${scheme}://${hostHeader}${target}`, async () => {
      const g = served.gatehouse;
      const port = scheme === 'http' ? g.httpPort : g.httpsPort;
      const query = new URLSearchParams({
        url: `${scheme}://127.0.0.1:${port}${target}`,
        header: `Host: ${hostHeader}:${port}`,
        format: 'json',
      });
      const res = await fetch(`http://127.0.0.1:${g.healthzPort}/debug/explain?${query.toString()}`);
      assert.equal(res.status, 200);
      const e = (await res.json()) as Explanation;
      const predicted = e.result.kind === 'proxy' ? `200 ${e.route?.service ?? '?'}` : String(e.result.code);

      const reply = await request(scheme, port, hostHeader, target, {
        headers: { host: `${hostHeader}:${port}` },
        servername: 'redirect.example.com',
      });
      assert.equal(describeReply(reply), predicted, `explain said: ${e.reason}`);
      if (e.rewrittenTo !== undefined) assert.equal(echoOf(reply).url, e.rewrittenTo);
      if (e.result.kind === 'status' && e.result.location !== undefined) {
        assert.equal(reply.headers.location, e.result.location);
      }
    });
  }

  it('prints the explanation for people, naming the rule, the Service and the endpoints', async () => {
    const g = served.gatehouse;
    const { code, stdout, stderr } = await runCli([
      'explain',
      'http://multi.example.com/aaa/bbb/x',
      '--controller',
      `http://127.0.0.1:${g.healthzPort}`,
    ]);
    assert.equal(code, 0, stderr);
    const b3 = served.backends.get('b3');
    assert.match(
      stdout,
      /^server +multi\.example\.com \(server_name multi\.example\.com, exact name; from ingress default\/multi\)$/m,
    );
    assert.match(stdout, /^location +\/aaa\/bbb\/ \(longest prefix; ingress default\/multi\)$/m);
    assert.match(
      stdout,
      /^rule +Ingress default\/multi spec\.rules\[0\]\.http\.paths\[2\]: Prefix \/aaa\/bbb → Service b3 port 80$/m,
    );
    assert.match(
      stdout,
      new RegExp(`^upstream +default_b3_80: ${b3.host}:${b3.port} \\(live, from NGINX\\)$`, 'm'),
    );
  });

  it('says why a request gets 503, from the folder as well as from the live controller', async () => {
    const folder = await runCli(['explain', 'http://empty.example.com/', '--manifests', served.dir]);
    assert.equal(folder.code, 0, folder.stderr);
    assert.match(folder.stdout, /^result +503: .*Service default\/nothing has no ready endpoints/m);
    const live = await runCli([
      'explain',
      'http://empty.example.com/',
      '--controller',
      `http://127.0.0.1:${served.gatehouse.healthzPort}`,
    ]);
    assert.equal(live.stdout.replace(' (live, from NGINX)', ''), folder.stdout);
  });

  it('names the annotations of the Ingress and the allow-list that refuses the client', async () => {
    const { stdout } = await runCli(['explain', 'http://private.example.com/', '--manifests', served.dir]);
    assert.match(
      stdout,
      /^annotation +nginx\.ingress\.kubernetes\.io\/allowlist-source-range: "10\.0\.0\.0\/8"$/m,
    );
    assert.match(stdout, /^result +403: 127\.0\.0\.1 is not in the allow-list \(10\.0\.0\.0\/8\)$/m);
    const inside = await runCli([
      'explain',
      'http://private.example.com/',
      '--manifests',
      served.dir,
      '--source',
      '10.1.2.3',
    ]);
    assert.match(inside.stdout, /^result +proxied/m);
  });
});
