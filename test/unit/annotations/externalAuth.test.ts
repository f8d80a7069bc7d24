import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { externalAuthFamily } from '../../../src/annotations/external-auth.ts';
import { CONFIGMAP_KEYS } from '../../../src/config/global-config.ts';
import { configMap, ingress, ingressClass, serviceWithEndpoints } from '../../support/fixtures.ts';
import { messages, outcome, renderObjects } from '../harness.ts';
import { familyTable, prefixed, renderWith } from './table.ts';

const URL = 'http://192.0.2.40:4180/oauth2/auth';
const AUTH = { 'auth-url': URL };
const ID = /^auth_request \/_gatehouse_auth\/[0-9a-f]{12};$/;
const HEADERS = configMap({ 'X-Tenant': 'shop' }, 'default', 'auth-headers');

familyTable(
  externalAuthFamily,
  [
    {
      annotation: 'auth-url',
      value: URL,
      has: ['auth_request_set $gatehouse_auth_cookie $upstream_http_set_cookie;'],
      conf: ['server 192.0.2.40:4180;'],
    },
    { annotation: 'auth-method', value: 'GET', with: AUTH, has: [], conf: ['proxy_method GET;'] },
    {
      annotation: 'auth-signin',
      value: 'https://$host/oauth2/start?rd=$escaped_request_uri',
      with: AUTH,
      has: [],
      conf: ['return 302 "https://$gatehouse_host/oauth2/start?rd=$gatehouse_escaped_request_uri";'],
    },
    {
      annotation: 'auth-signin-redirect-param',
      value: 'next',
      with: { ...AUTH, 'auth-signin': 'https://login.example.com/' },
      has: [],
      conf: [
        'return 302 "https://login.example.com/?next=$scheme://$gatehouse_host$gatehouse_escaped_request_uri";',
      ],
    },
    {
      annotation: 'auth-response-headers',
      value: 'X-Auth-Request-User, X-Auth-Request-Email',
      with: AUTH,
      has: [
        'auth_request_set $gatehouse_auth_response_1 $upstream_http_x_auth_request_email;',
        'proxy_set_header X-Auth-Request-User $gatehouse_auth_response_0;',
      ],
    },
    {
      annotation: 'auth-request-redirect',
      value: 'https://app.example.com/home',
      with: AUTH,
      has: [],
      conf: ['proxy_set_header X-Auth-Request-Redirect "https://app.example.com/home";'],
    },
    {
      annotation: 'auth-cache-key',
      value: '$remote_user$http_authorization',
      with: AUTH,
      has: [],
      conf: ['proxy_cache gatehouse_auth_cache;', 'proxy_cache_valid 200 202 401 5m;'],
    },
    {
      annotation: 'auth-cache-duration',
      value: '200 10m, 401   30s',
      with: { ...AUTH, 'auth-cache-key': '$cookie_session' },
      has: [],
      conf: ['proxy_cache_valid 200 10m;', 'proxy_cache_valid 401 30s;'],
    },
    {
      annotation: 'auth-keepalive',
      value: '16',
      with: AUTH,
      has: [],
      conf: ['keepalive 16;', 'proxy_set_header Connection "";'],
    },
    { annotation: 'auth-keepalive-share-vars', value: 'true', with: AUTH, has: [] },
    {
      annotation: 'auth-keepalive-requests',
      value: '50',
      with: { ...AUTH, 'auth-keepalive': '2' },
      has: [],
      conf: ['keepalive_requests 50;'],
    },
    {
      annotation: 'auth-keepalive-timeout',
      value: '15',
      with: { ...AUTH, 'auth-keepalive': '2' },
      has: [],
      conf: ['keepalive_timeout 15s;'],
    },
    {
      annotation: 'auth-always-set-cookie',
      value: 'true',
      with: AUTH,
      has: ['add_header Set-Cookie $gatehouse_auth_cookie always;'],
    },
    {
      annotation: 'auth-proxy-set-headers',
      value: 'auth-headers',
      with: AUTH,
      objects: [HEADERS],
      has: [],
      conf: ['proxy_set_header X-Tenant "shop";'],
    },
    { annotation: 'enable-global-auth', value: 'false', has: [], lacks: ['auth_request'] },
  ],
  [
    { annotation: 'auth-url', value: 'http://$host/auth', reason: 'must name a DNS host or an IP address' },
    {
      annotation: 'auth-url',
      value: 'http://auth.example.com/a";\n}\nlocation /x {',
      reason: 'must use only letters, digits and -._~/:@!&()*+,=?% in its path and query',
    },
    { annotation: 'auth-url', value: 'file:///etc/passwd', reason: 'must be an absolute http or https URL' },
    {
      annotation: 'auth-method',
      value: 'get;',
      with: AUTH,
      reason: 'must be an HTTP method in capitals (GET, HEAD, POST, …)',
    },
    {
      annotation: 'auth-signin',
      value: 'https://$host/start?rd=$request_body',
      with: AUTH,
      reason: 'may use only the variables $host, $escaped_request_uri and $scheme (found $request_body)',
    },
    {
      annotation: 'auth-signin',
      value: 'https://login.example.com/"; return 200 "owned',
      with: AUTH,
      reason: 'must use only letters, digits and -._~/:@!&()*+,=?% in its path and query',
    },
    {
      annotation: 'auth-signin-redirect-param',
      value: 'rd=1&x',
      with: AUTH,
      reason: 'must be a query parameter name (letters, digits, _.-)',
    },
    {
      annotation: 'auth-response-headers',
      value: 'X-User, X-Bad Header;',
      with: AUTH,
      reason: 'must be a comma-separated list of header names',
    },
    {
      annotation: 'auth-request-redirect',
      value: '/x"; deny all; "',
      with: AUTH,
      reason: 'must be an absolute http(s) URL or a path, without quotes, spaces or $',
    },
    {
      annotation: 'auth-cache-key',
      value: '$request_body',
      with: AUTH,
      reason:
        'must be letters, digits, ._:/- and the variables $http_*, $cookie_*, $arg_*, $remote_user, $remote_addr, $host, $uri, $request_uri, $args, $scheme, $request_method',
    },
    {
      annotation: 'auth-cache-duration',
      value: '200 forever',
      with: AUTH,
      reason: 'must be comma-separated "[codes] time" entries, e.g. "200 202 10m, 401 5m"',
    },
    {
      annotation: 'auth-keepalive',
      value: '-1',
      with: AUTH,
      reason: 'must be a whole number from 0 to 1024',
    },
    {
      annotation: 'auth-keepalive-share-vars',
      value: 'maybe',
      with: AUTH,
      reason: 'must be "true" or "false"',
    },
    {
      annotation: 'auth-keepalive-requests',
      value: '0',
      with: AUTH,
      reason: 'must be a whole number from 1 to 1000000',
    },
    {
      annotation: 'auth-keepalive-timeout',
      value: '1h',
      with: AUTH,
      reason: 'must be a whole number from 1 to 86400',
    },
    { annotation: 'auth-always-set-cookie', value: 'yes', with: AUTH, reason: 'must be "true" or "false"' },
    {
      annotation: 'auth-proxy-set-headers',
      value: 'kube-system/secrets',
      with: AUTH,
      reason: "must name a ConfigMap in the Ingress's own namespace",
    },
    { annotation: 'enable-global-auth', value: 'nope', reason: 'must be "true" or "false"' },
  ],
);

describe('external auth', () => {
  it('shares one check among the locations of an Ingress, and prints it once per server', () => {
    const { location, conf } = renderWith(prefixed(AUTH), { paths: [{ path: '/a' }, { path: '/b' }] });
    assert.ok(
      location.some((l) => ID.test(l)),
      location.join('\n'),
    );
    assert.equal(conf.match(/location = \/_gatehouse_auth\//g)?.length, 1);
    assert.match(conf, /upstream gatehouse_auth_[0-9a-f]{12} \{\n {8}server 192\.0\.2\.40:4180;\n {4}\}/);
  });

  it('resolves a host name through the controller: NGINX only sees the addresses', () => {
    const objects = [
      ingressClass(),
      ingress({
        name: 'web',
        annotations: prefixed({ 'auth-url': 'https://sso.example.net/check' }),
        rules: [{ host: 'web.example.com', paths: [{ service: 'web', port: 80 }] }],
      }),
      ...serviceWithEndpoints('web', [{ ip: '10.0.0.1', port: 8080 }]),
    ];
    const resolved = renderObjects(
      objects,
      {},
      {
        externalNames: new Map([['sso.example.net', { addresses: ['192.0.2.9', '192.0.2.8'] }]]),
      },
    );
    assert.deepEqual(messages(resolved.result), []);
    assert.match(resolved.conf, /server 192\.0\.2\.8:443;\n {8}server 192\.0\.2\.9:443;/);
    assert.match(resolved.conf, /proxy_ssl_name sso\.example\.net;/);
    assert.match(resolved.conf, /proxy_pass https:\/\/gatehouse_auth_[0-9a-f]{12}\/check;/);
    assert.match(resolved.conf, /proxy_set_header Host "sso\.example\.net";/);

    const pending = renderObjects(objects);
    assert.equal(outcome(pending.result, 'web'), 'served');
    assert.match(pending.conf, /return 503;/);
    assert.deepEqual(messages(pending.result), [
      'warning: Ingress default/web: metadata.annotations[nginx.ingress.kubernetes.io/auth-url]: auth-url host sso.example.net is still being resolved; its paths answer 503 until it is fixed',
    ]);
  });

  const refused: [string, string, string][] = [
    [
      'loopback',
      'http://127.0.0.1:10254/metrics',
      'auth-url must not lead to 127.0.0.1 is a loopback address',
    ],
    [
      'a metadata name',
      'http://metadata.google.internal/',
      'metadata.google.internal names this machine or a cloud metadata service',
    ],
    ['IPv4-mapped link-local', 'http://[::ffff:169.254.169.254]/', 'is a link-local address'],
  ];
  for (const [what, url, reason] of refused) {
    it(`denies (503) an auth-url that leads to ${what}`, () => {
      const { location, result, conf } = renderWith(prefixed({ 'auth-url': url }));
      assert.ok(location.includes('return 503;'), location.join('\n'));
      assert.ok(!conf.includes('_gatehouse_auth'));
      assert.ok(messages(result)[0]?.includes(reason), messages(result)[0]);
    });
  }

  it('denies (503) when auth-proxy-set-headers names a missing ConfigMap or an unsafe header', () => {
    const missing = renderWith(prefixed({ ...AUTH, 'auth-proxy-set-headers': 'nowhere' }));
    assert.ok(missing.location.includes('return 503;'));
    assert.ok(messages(missing.result)[0]?.includes('ConfigMap default/nowhere does not exist'));
    for (const [data, reason] of [
      [{ Host: 'internal.example.com' }, '"Host" is not a header name it may set'],
      [{ 'X-A': 'a"; deny all; "' }, 'the value of X-A must be printable, without quotes'],
      [{ 'X-A': '$request_body' }, 'the value of X-A must be printable, without quotes, backslashes or $'],
    ] as const) {
      const bad = renderWith(prefixed({ ...AUTH, 'auth-proxy-set-headers': 'h' }), {
        objects: [configMap(data, 'default', 'h')],
      });
      assert.ok(bad.location.includes('return 503;'));
      assert.ok(messages(bad.result)[0]?.includes(reason), messages(bad.result)[0]);
    }
  });

  it('keeps cached verdicts apart per check and host', () => {
    const { conf } = renderWith(prefixed({ ...AUTH, 'auth-cache-key': 'static' }));
    assert.match(conf, /proxy_cache_key "[0-9a-f]{12}:\$host:static";/);
    assert.match(conf, /proxy_cache_path "[^"]+\/auth-cache" .*keys_zone=gatehouse_auth_cache:10m/);
  });
});

describe('global auth (ConfigMap global-auth-*)', () => {
  const CM = (data: Record<string, string>) => configMap(data, 'ops', 'gatehouse');
  const options = { configMap: { namespace: 'ops', name: 'gatehouse' } };

  it('protects every Ingress that sets no auth-url, except no-auth-locations and opted-out Ingresses', () => {
    const objects = [CM({ 'global-auth-url': URL, 'global-auth-signin': 'https://login.example.com/' })];
    const { location, conf, result } = renderWith(
      {},
      { objects, options, paths: [{ path: '/' }, { path: '/.well-known/acme-challenge' }] },
    );
    assert.deepEqual(messages(result), []);
    assert.ok(
      location.some((l) => ID.test(l)),
      location.join('\n'),
    );
    assert.match(conf, /location "\/\.well-known\/acme-challenge\/" \{\n(?! *auth_request)/);
    const out = renderWith(prefixed({ 'enable-global-auth': 'false' }), { objects, options });
    assert.ok(!out.location.some((l) => l.startsWith('auth_request')));
  });

  it('answers 503 rather than open when global auth is misconfigured, naming the key', () => {
    const objects = [CM({ 'global-auth-url': URL, 'global-auth-method': 'get;' })];
    const { location, result } = renderWith({}, { objects, options });
    assert.ok(location.includes('return 503;'), location.join('\n'));
    assert.ok(
      messages(result).some((m) =>
        m.includes('global auth is misconfigured (global-auth-method must be an HTTP method'),
      ),
      messages(result).join('\n'),
    );
  });

  const globalValid: Record<string, [string, string]> = {
    'global-auth-url': [URL, 'proxy_pass http://gatehouse_auth_26bad5fca178/check;'],
    'global-auth-method': ['POST', 'proxy_method POST;'],
    'global-auth-signin': [
      'https://login.example.com/',
      'return 302 "https://login.example.com/?rd=$scheme://$gatehouse_host$gatehouse_escaped_request_uri";',
    ],
    'global-auth-signin-redirect-param': ['next', 'error_page 401 = @gatehouse_signin_'],
    'global-auth-response-headers': ['X-User', 'proxy_set_header X-User $gatehouse_auth_response_0;'],
    'global-auth-request-redirect': ['/home', 'proxy_set_header X-Auth-Request-Redirect "/home";'],
    'global-auth-cache-key': ['$http_authorization', 'proxy_cache gatehouse_auth_cache;'],
    'global-auth-cache-duration': ['200 1m', 'proxy_cache_valid 200 1m;'],
    'global-auth-always-set-cookie': ['true', 'add_header Set-Cookie $gatehouse_auth_cookie always;'],
  };
  const globalInvalid: Record<string, string> = {
    'global-auth-url': 'ftp://192.0.2.40/check',
    'global-auth-method': 'get',
    'global-auth-signin': 'https://$request_uri/',
    'global-auth-signin-redirect-param': 'a b',
    'global-auth-response-headers': 'X;Y',
    'global-auth-request-redirect': 'x y',
    'global-auth-cache-key': '${host}',
    'global-auth-cache-duration': 'forever',
    'global-auth-always-set-cookie': 'yes',
  };
  const base = (key: string) => ({
    'global-auth-url': 'http://192.0.2.40/check',
    ...(key === 'global-auth-signin-redirect-param' && {
      'global-auth-signin': 'https://login.example.com/',
    }),
    ...(key === 'global-auth-cache-duration' && { 'global-auth-cache-key': 'k' }),
  });
  it('has a valid and an invalid case for every global-auth-* key', () => {
    const keys = Object.keys(CONFIGMAP_KEYS)
      .filter((k) => k.startsWith('global-auth-'))
      .sort();
    assert.deepEqual(Object.keys(globalValid).sort(), keys);
    assert.deepEqual(Object.keys(globalInvalid).sort(), keys);
  });
  for (const [key, [value, line]] of Object.entries(globalValid)) {
    it(`${key}: ${JSON.stringify(value)} applies`, () => {
      const objects = [
        CM({ ...base(key), [key]: key === 'global-auth-url' ? 'http://192.0.2.40/check' : value }),
      ];
      const { result, conf } = renderWith({}, { objects, options });
      assert.deepEqual(messages(result), []);
      assert.ok(conf.includes(line), `missing ${line}`);
    });
  }
  for (const [key, value] of Object.entries(globalInvalid)) {
    it(`${key}: ${JSON.stringify(value)} denies (503), naming the key`, () => {
      const { result, location } = renderWith({}, { objects: [CM({ ...base(key), [key]: value })], options });
      assert.ok(location.includes('return 503;'), location.join('\n'));
      assert.ok(messages(result).some((m) => m.startsWith(`error: ConfigMap ops/gatehouse: data.${key}: `)));
      assert.ok(messages(result).some((m) => m.includes(`global auth is misconfigured (${key} `)));
    });
  }

  it('warns about global-auth-* keys without global-auth-url', () => {
    const { result, location } = renderWith({}, { objects: [CM({ 'global-auth-method': 'GET' })], options });
    assert.ok(!location.some((l) => l.startsWith('auth_request')));
    assert.deepEqual(messages(result), [
      'warning: ConfigMap ops/gatehouse: data.global-auth-method: ignored without global-auth-url',
    ]);
  });
});
