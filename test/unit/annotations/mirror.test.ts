import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mirrorFamily } from '../../../src/annotations/mirror.ts';
import { externalNamesWanted } from '../../../src/translate/external-names.ts';
import { ingress, ingressClass, serviceWithEndpoints } from '../../support/fixtures.ts';
import { messages, OPTIONS, outcome, renderObjects, snapshotOf } from '../harness.ts';
import { familyTable, prefixed, renderWith } from './table.ts';

const TARGET = { 'mirror-target': 'https://192.0.2.50$request_uri' };
const MIRROR = /^mirror \/_gatehouse_mirror\/[0-9a-f]{12};$/;
const TARGET_SHAPE = 'must be an absolute http or https URL, such as https://mirror.example.com$request_uri';
const VARIABLES = 'may use only the variables $request_uri, $is_args, $args';
const VHOST = 'must be a host name or IP address, with an optional :port';

/** The internal mirror location of a rendered config, line by line (trimmed). */
function mirrorLocation(conf: string): string[] {
  const block = /\n {8}(location = \/_gatehouse_mirror\/[^\n]*\{\n[^]*?)\n {8}\}/.exec(conf)?.[1];
  return block === undefined ? [] : block.split('\n').map((l) => l.trim());
}

familyTable(
  mirrorFamily,
  [
    {
      annotation: 'mirror-target',
      value: 'https://192.0.2.50$request_uri',
      has: [],
      conf: [
        'server 192.0.2.50:443;',
        'proxy_set_header Host "192.0.2.50";',
        'proxy_ssl_name 192.0.2.50;',
        'proxy_read_timeout 1s;',
      ],
    },
    {
      annotation: 'mirror-target',
      value: 'http://192.0.2.50:8080/shadow$is_args$args',
      has: [],
      conf: ['server 192.0.2.50:8080;', 'proxy_set_header Host "192.0.2.50:8080";'],
    },
    {
      annotation: 'mirror-request-body',
      value: 'off',
      with: TARGET,
      has: ['mirror_request_body off;'],
      conf: ['proxy_pass_request_body off;', 'proxy_set_header Content-Length "";'],
    },
    {
      annotation: 'mirror-request-body',
      value: 'on',
      with: TARGET,
      has: [],
      lacks: ['mirror_request_body off;'],
    },
    {
      annotation: 'mirror-host',
      value: 'Test.Env.example.com',
      with: TARGET,
      has: [],
      conf: ['proxy_set_header Host "test.env.example.com";'],
    },
  ],
  [
    { annotation: 'mirror-target', value: 'IamNotAURL', reason: TARGET_SHAPE },
    { annotation: 'mirror-target', value: 'ftp://192.0.2.50/', reason: 'must be a http or https origin' },
    {
      annotation: 'mirror-target',
      value: 'http://some.test.env.com/$someparam',
      reason: `${VARIABLES} (found $someparam)`,
    },
    // CVE-2025-1098: the target was pasted into proxy_pass.
    {
      annotation: 'mirror-target',
      value: 'https://m.example.com/$request_uri; } location /x { return 200',
      reason: 'must use only letters, digits and -._~/:@!&()*+,=?% in its path and query',
    },
    {
      annotation: 'mirror-target',
      value: 'https://m.example.com$request_uri"',
      reason: 'must use only letters, digits and -._~/:@!&()*+,=?% in its path and query',
    },
    {
      annotation: 'mirror-target',
      value: 'https://m.example.com$request_urix',
      reason: `${VARIABLES} (found $request_urix)`,
    },
    {
      annotation: 'mirror-target',
      value: 'https://m.example.com/${request_uri}',
      reason: `${VARIABLES} (found a lone $)`,
    },
    {
      annotation: 'mirror-target',
      value: 'https://user:pw@m.example.com/',
      reason: 'must not carry a user name or password',
    },
    { annotation: 'mirror-target', value: 'https://m.example.com#top', reason: TARGET_SHAPE },
    { annotation: 'mirror-request-body', value: 'yes', with: TARGET, reason: 'must be "on" or "off"' },
    { annotation: 'mirror-host', value: 'someInvalidParam.%^&*()_=!@#\'"', with: TARGET, reason: VHOST },
    { annotation: 'mirror-host', value: '_sbrubles-i"@xpto:12345', with: TARGET, reason: VHOST },
  ],
);

describe('mirror-target', () => {
  it('sends a copy from every path of the Ingress to one internal location per server', () => {
    const { location, conf } = renderWith(prefixed(TARGET), { paths: [{ path: '/a' }, { path: '/b' }] });
    assert.ok(
      location.some((l) => MIRROR.test(l)),
      location.join('\n'),
    );
    assert.equal(conf.match(/location = \/_gatehouse_mirror\//g)?.length, 1);
    const internal = mirrorLocation(conf);
    assert.ok(internal.includes('internal;'), internal.join('\n'));
    assert.match(
      internal.at(-1) ?? '',
      /^proxy_pass "https:\/\/gatehouse_mirror_[0-9a-f]{12}\$request_uri";$/,
    );
    // The inherited request headers are repeated, since the location sets its own Host.
    assert.ok(internal.includes('proxy_set_header X-Forwarded-For $remote_addr;'), internal.join('\n'));
    assert.ok(internal.includes('proxy_set_header Connection close;'), internal.join('\n'));
    assert.ok(internal.includes('proxy_next_upstream off;'), internal.join('\n'));
  });

  it('sends / when the target has no path, and a query after it', () => {
    const bare = mirrorLocation(renderWith(prefixed({ 'mirror-target': 'http://192.0.2.50' })).conf);
    assert.match(bare.at(-1) ?? '', /^proxy_pass "http:\/\/gatehouse_mirror_[0-9a-f]{12}\/";$/);
    const query = mirrorLocation(renderWith(prefixed({ 'mirror-target': 'http://192.0.2.50?copy=1' })).conf);
    assert.match(query.at(-1) ?? '', /^proxy_pass "http:\/\/gatehouse_mirror_[0-9a-f]{12}\/\?copy=1";$/);
  });

  it('warns about mirror-host and mirror-request-body without a target, and serves the Ingress', () => {
    const { result, location } = renderWith(
      prefixed({ 'mirror-host': 'a.example.com', 'mirror-request-body': 'off' }),
    );
    assert.equal(outcome(result, 'web'), 'served');
    assert.ok(!location.some((l) => l.startsWith('mirror')));
    assert.deepEqual(messages(result), [
      'warning: Ingress default/web: metadata.annotations[nginx.ingress.kubernetes.io/mirror-host]: ignored without mirror-target',
      'warning: Ingress default/web: metadata.annotations[nginx.ingress.kubernetes.io/mirror-request-body]: ignored without mirror-target',
    ]);
  });

  const objects = [
    ingressClass(),
    ingress({
      name: 'web',
      annotations: prefixed({ 'mirror-target': 'http://Mirror.Example.net:8080$request_uri' }),
      rules: [{ host: 'web.example.com', paths: [{ service: 'web', port: 80 }] }],
    }),
    ...serviceWithEndpoints('web', [{ ip: '10.0.0.1', port: 8080 }]),
  ];

  it('has its host resolved by the controller: NGINX only sees the addresses', () => {
    assert.deepEqual(externalNamesWanted(snapshotOf(objects), OPTIONS), ['mirror.example.net']);
    const resolved = renderObjects(
      objects,
      {},
      { externalNames: new Map([['mirror.example.net', { addresses: ['192.0.2.9', '192.0.2.8'] }]]) },
    );
    assert.deepEqual(messages(resolved.result), []);
    assert.match(resolved.conf, /server 192\.0\.2\.8:8080;\n {8}server 192\.0\.2\.9:8080;/);
    assert.ok(resolved.conf.includes('proxy_set_header Host "mirror.example.net:8080";'));
    assert.ok(!resolved.conf.includes('Mirror.Example'));
  });

  it('serves the Ingress without its mirror while the host is being resolved', () => {
    const pending = renderObjects(objects);
    assert.equal(outcome(pending.result, 'web'), 'served');
    assert.ok(!pending.conf.includes('mirror'), 'no mirror is printed');
    assert.deepEqual(messages(pending.result), [
      'warning: Ingress default/web: metadata.annotations[nginx.ingress.kubernetes.io/mirror-target]: mirror-target host mirror.example.net is still being resolved; requests are not mirrored until it is fixed',
    ]);
  });

  const refused: [string, string, string][] = [
    [
      'loopback',
      'http://127.0.0.1:10254$request_uri',
      'mirror-target must not lead to 127.0.0.1 is a loopback address',
    ],
    ['a metadata name', 'http://metadata.google.internal/', 'names this machine or a cloud metadata service'],
    ['IPv4-mapped link-local', 'http://[::ffff:169.254.169.254]/', 'is a link-local address'],
  ];
  for (const [what, url, reason] of refused) {
    it(`never mirrors to ${what}`, () => {
      const { location, result, conf } = renderWith(prefixed({ 'mirror-target': url }));
      assert.equal(outcome(result, 'web'), 'served');
      assert.ok(!location.some((l) => l.startsWith('mirror')), location.join('\n'));
      assert.ok(!conf.includes('_gatehouse_mirror'));
      assert.ok(messages(result)[0]?.includes(reason), messages(result)[0]);
    });
  }
});
