import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { snippetFamily } from '../../../src/annotations/snippet.ts';
import {
  parseDirectives,
  parseLocationSnippet,
  parseServerSnippet,
} from '../../../src/annotations/nginx-snippet.ts';
import { configMap, ingress, ingressClass, serviceWithEndpoints } from '../../support/fixtures.ts';
import { messages, outcome, renderObjects } from '../harness.ts';
import { SNIPPETS_ALLOWED, familyTable, prefixed, renderWith } from './table.ts';

const SNIPPETS = SNIPPETS_ALLOWED;

familyTable(
  snippetFamily,
  [
    {
      annotation: 'configuration-snippet',
      value: 'more_set_headers "X-Frame-Options: DENY";\nproxy_set_header X-Tenant "shop";\ndeny 10.0.0.0/8;',
      ...SNIPPETS,
      has: [
        'proxy_hide_header X-Frame-Options;',
        'add_header X-Frame-Options "DENY" always;',
        'proxy_set_header X-Tenant "shop";',
        'deny 10.0.0.0/8;',
      ],
    },
    {
      annotation: 'server-snippet',
      value: 'add_header X-Host-Wide "yes";\nproxy_set_header X-Tenant "shop";',
      ...SNIPPETS,
      has: ['add_header X-Host-Wide "yes" always;', 'proxy_set_header X-Tenant "shop";'],
    },
  ],
  [
    {
      annotation: 'configuration-snippet',
      value: 'more_set_headers "X-Frame-Options: DENY";',
      reason:
        'snippet annotations are disabled: they would paste raw configuration (ConfigMap allow-snippet-annotations)',
    },
    {
      annotation: 'configuration-snippet',
      value: 'proxy_pass http://169.254.169.254/;',
      ...SNIPPETS,
      reason:
        'proxy_pass is not allowed in a snippet (allowed: more_set_headers, add_header, proxy_set_header, allow, deny, return, rewrite)',
    },
    {
      annotation: 'server-snippet',
      value: 'location = /robots.txt { return 200 "ok"; }',
      reason:
        'snippet annotations are disabled: they would paste raw configuration (ConfigMap allow-snippet-annotations)',
    },
    {
      annotation: 'server-snippet',
      value: 'location /x { proxy_pass http://169.254.169.254/; }',
      ...SNIPPETS,
      reason:
        "location /x: proxy_pass is not allowed in a server-snippet's location (allowed: more_set_headers, add_header, allow, deny, return)",
    },
  ],
);

describe('configuration-snippet parser', () => {
  const refused: [string, string][] = [
    ['include /etc/passwd;', 'include is not allowed in a snippet'],
    ['location /x { return 200; }', 'location { … } is not allowed in a snippet'],
    ['more_set_headers "X-A: $host";', 'more_set_headers: the value of X-A must be printable text'],
    ['add_header X-A "a\\"; deny all; #";', 'add_header: the value of X-A must be printable text'],
    ['more_set_headers -s 404 "X-A: b";', 'more_set_headers: options (-s, -t) are not supported'],
    ['proxy_set_header Host evil.example.com;', 'proxy_set_header: "Host" is not a header name it may set'],
    ['proxy_set_header X-Real-IP 1.2.3.4;', 'proxy_set_header: Gatehouse sets X-Real-IP itself'],
    ['deny 10.0.0.0/33;', 'deny: takes "all", an IP address or a CIDR'],
    ['return 302 "javascript:alert(1)";', 'return: a redirect needs an absolute http(s) URL'],
    ['return 200 "a" "b";', 'return: takes a status code and an optional text or URL'],
    ['add_header X-A b', '"add_header" is not terminated by ";"'],
    ['add_header X-A b; }', 'unexpected "}"'],
    ['add_header X-A "b;', 'unterminated quoted string'],
    ['# nothing', 'holds no directive'],
    [
      'add_header Strict-Transport-Security "max-age=1";',
      'add_header: Strict-Transport-Security comes from the ConfigMap',
    ],
  ];
  for (const [text, reason] of refused)
    it(`refuses ${JSON.stringify(text)}`, () => {
      const parsed = parseLocationSnippet(text);
      assert.ok('error' in parsed && parsed.error.startsWith(reason), JSON.stringify(parsed));
    });

  it("reads NGINX's quoting: escapes, single quotes, comments", () => {
    assert.deepEqual(parseDirectives(`add_header 'X-A' "a \\"b\\"" always; # c\nreturn 200;`), [
      { name: 'add_header', args: ['X-A', 'a "b"', 'always'], block: false },
      { name: 'return', args: ['200'], block: false },
    ]);
  });

  it('re-prints a fixed answer from its parsed form', () => {
    const { location, result } = renderWith(
      prefixed({ 'configuration-snippet': 'return 200 "User-agent: *\\nDisallow: /\\n";' }),
      SNIPPETS,
    );
    assert.deepEqual(messages(result), []);
    assert.ok(location.includes('return 200 "User-agent: *\\nDisallow: /\\n";'), location.join('\n'));
  });

  it('lets the snippet win over custom-headers for the same name, once', () => {
    const { location } = renderWith(
      prefixed({ 'configuration-snippet': 'add_header x-team "b";', 'custom-headers': 'team' }),
      {
        objects: [
          configMap({ 'X-Team': 'a' }, 'default', 'team'),
          configMap(
            {
              'allow-snippet-annotations': 'true',
              'annotations-risk-level': 'Critical',
              'global-allowed-response-headers': 'X-Team',
            },
            'ops',
            'gatehouse',
          ),
        ],
        options: SNIPPETS.options,
      },
    );
    assert.deepEqual(
      location.filter((l) => /^add_header x-team/i.test(l)),
      ['add_header x-team "b" always;'],
    );
  });
});

describe('rewrite in snippets', () => {
  const refused: [string, string][] = [
    ['rewrite ^/a /b;', 'rewrite: needs the flag break, redirect or permanent'],
    ['rewrite ^/a /b last;', 'rewrite: needs the flag break, redirect or permanent (last'],
    ['rewrite ^/a /b break extra;', 'rewrite: takes a regex, a replacement and a flag'],
    ['rewrite *a /b break;', 'rewrite: the regex starts with a quantifier'],
    ['rewrite "^/(a+)+$" /b break;', 'rewrite: the regex must not repeat a group'],
    ['rewrite "^/a b" /b break;', 'rewrite: the regex must not contain " "'],
    ['rewrite "^/a\\nb" /b break;', 'rewrite: the regex must not contain "\\n"'],
    ['rewrite "^/a{1,9999}" /b break;', 'rewrite: the regex may use { and } only as quantifiers'],
    ['rewrite "^/[{]" /b break;', 'rewrite: the regex may use { and } only as quantifiers'],
    ['rewrite "^/(?=a)" /b break;', 'rewrite: the regex may use only "(" and "(?:" groups'],
    ['rewrite ^/a /b$host_x break;', 'rewrite: the replacement may hold only path characters'],
    ['rewrite ^/a /$http_cookie break;', 'rewrite: the replacement may hold only path characters'],
    ['rewrite ^/a "/b;c" break;', 'rewrite: the replacement may hold only path characters'],
    ['rewrite ^/a "/b${uri}" break;', 'rewrite: the replacement may hold only path characters'],
    ['rewrite ^/(a) /$2 break;', 'rewrite: the replacement uses $2, but the regex has only 1'],
    ['rewrite ^/a /$1 break;', 'rewrite: the replacement uses $1, but the regex has no capture group'],
    ['rewrite ^/a https://evil.example.com/ break;', 'rewrite: a replacement that is a URL redirects'],
    ['rewrite ^/a https://evil_host/ permanent;', "rewrite: the replacement's host must be"],
    ['rewrite ^/a b break;', 'rewrite: the replacement must start with /'],
    ['rewrite ^/a /b break; return 200;', 'return and rewrite may not be combined'],
    [
      Array.from({ length: 17 }, () => 'rewrite ^/a /b break;').join('\n'),
      'rewrite: may appear at most 16 times',
    ],
  ];
  for (const [text, reason] of refused)
    it(`refuses ${JSON.stringify(text.slice(0, 60))}`, () => {
      for (const parsed of [parseLocationSnippet(text), parseServerSnippet(text)])
        assert.ok('error' in parsed && parsed.error.startsWith(reason), JSON.stringify(parsed));
    });

  it('reads regex, replacement and flag', () => {
    const parsed = parseLocationSnippet(
      'rewrite ^/old/(.*)$ /new/$1?from=old break;\nrewrite ^ $scheme://$host/moved$request_uri permanent;',
    );
    assert.ok(!('error' in parsed));
    assert.deepEqual(parsed.rewrites, [
      { regex: '^/old/(.*)$', replacement: '/new/$1?from=old', flag: 'break' },
      { regex: '^', replacement: '$scheme://$host/moved$request_uri', flag: 'permanent' },
    ]);
  });

  it('keeps server-level rewrites off internal locations: the locations are searched again', () => {
    const parsed = parseServerSnippet('rewrite ^/(.*)$ /$1 break;');
    assert.ok(
      'error' in parsed &&
        parsed.error.startsWith('rewrite: at server level the locations are searched again'),
    );
    assert.ok(!('error' in parseServerSnippet('rewrite ^/v1/(.*)$ /v2/$1 break;')));
    assert.ok(!('error' in parseLocationSnippet('rewrite ^/api/(.*)$ /$1 break;')));
  });

  it("prints a location's rewrites after Gatehouse's own rewrite-phase lines", () => {
    const { location, result } = renderWith(
      prefixed({ 'configuration-snippet': 'rewrite ^/old/(.*)$ /new/$1 break;' }),
      SNIPPETS,
    );
    assert.deepEqual(messages(result), []);
    const rewrite = location.indexOf('rewrite "^/old/(.*)$" "/new/$1" break;');
    assert.ok(rewrite > location.indexOf('set $gatehouse_upstream default_web_80;'), location.join('\n'));
    assert.ok(rewrite < location.indexOf('proxy_pass http://gatehouse_balancer;'));
  });
});

describe('server-snippet parser', () => {
  const refused: [string, string][] = [
    ['listen 81;', 'listen is not allowed in a server-snippet'],
    ['ssl_certificate /etc/shadow;', 'ssl_certificate is not allowed in a server-snippet'],
    ['if ($host) { return 200; }', 'if { … } is not allowed in a server-snippet'],
    ['location;', 'location is not allowed in a server-snippet'],
    ['server { listen 81; }', 'server { … } is not allowed in a server-snippet'],
    ['location ^~ /x { deny all; }', 'location: takes a path, "= path", "~ regex" or "~* regex"'],
    ['location @named { deny all; }', 'location @named: the path must start with "/"'],
    ['location /a/../b { deny all; }', 'location /a/../b: the path must not contain "." or ".." segments'],
    ['location "/a b" { deny all; }', 'location /a b: the path must start with "/"'],
    ['location ~ \\.php$ { deny all; }', 'location ~ \\.php$: the regex must start with "/"'],
    ['location ~ "/(a+)+$" { deny all; }', 'location ~ /(a+)+$: the regex must not repeat a group'],
    [
      'location ~* "/a{1,9999}" { deny all; }',
      'location ~* /a{1,9999}: the regex must write "{" only as a quantifier',
    ],
    ['location ~ "/a\\"b" { deny all; }', 'location ~ /a"b: the regex must not contain'],
    ['location /x { }', 'location /x holds no directive'],
    ['location /x { deny all; } location /x/ { deny all; }', 'location /x appears twice'],
    [
      'location /x { location /y { deny all; } }',
      "location /x: location { … } is not allowed in a server-snippet's location",
    ],
    [
      'location /x { proxy_set_header X-A b; }',
      "location /x: proxy_set_header is not allowed in a server-snippet's location",
    ],
    ['location /x { return 200 "$host"; }', 'location /x: return: the text must be printable'],
    [
      'location /x { return 302 "javascript:alert(1)"; }',
      'location /x: return: a redirect needs an absolute http(s) URL',
    ],
    ['location /x { deny 10.0.0.0/99; }', 'location /x: deny: takes "all", an IP address or a CIDR'],
    ['location /x { deny all; }}', 'unexpected "}"'],
    ['location /x { deny all;', 'unterminated block'],
    ['add_header X-A "a\\"; include /etc/passwd; #";', 'add_header: the value of X-A must be printable text'],
    [
      Array.from({ length: 33 }, (_, i) => `location = /p${i} { deny all; }`).join('\n'),
      'may hold at most 32 locations',
    ],
  ];
  for (const [text, reason] of refused)
    it(`refuses ${JSON.stringify(text.slice(0, 80))}`, () => {
      const parsed = parseServerSnippet(text);
      assert.ok('error' in parsed && parsed.error.startsWith(reason), JSON.stringify(parsed));
    });

  it('reads nested locations into their matches and rules', () => {
    assert.deepEqual(
      parseServerSnippet(
        'allow 10.0.0.0/8;\nlocation = /robots.txt { return 200 "User-agent: *\\nDisallow: /\\n"; }\n' +
          'location /metrics/ { add_header X-A "b"; deny all; }\nlocation ~* ^/wp-(admin|login) { return 404; }',
      ),
      {
        responseHeaders: [],
        requestHeaders: [],
        access: [{ allow: true, range: '10.0.0.0/8' }],
        rewrites: [],
        locations: [
          {
            match: 'Exact',
            path: '/robots.txt',
            responseHeaders: [],
            access: [],
            answer: { code: 200, text: 'User-agent: *\nDisallow: /\n' },
          },
          {
            match: 'Prefix',
            path: '/metrics',
            responseHeaders: [{ name: 'X-A', value: 'b' }],
            access: [{ allow: false, range: 'all' }],
          },
          {
            match: 'Regex',
            path: '/wp-(admin|login)',
            responseHeaders: [],
            access: [],
            answer: { code: 404 },
          },
        ],
      },
    );
  });
});

describe('server-snippet on a host', () => {
  const admin = configMap({ 'allow-snippet-annotations': 'true', 'annotations-risk-level': 'Critical' });
  const options = { configMap: { namespace: 'ops', name: 'gatehouse' } };
  const web = (
    name: string,
    snippet: string | undefined,
    { namespace = 'default', path = '/', created = '2026-01-01T00:00:00Z', host = 'web.example.com' } = {},
  ) =>
    ingress({
      name,
      namespace,
      creationTimestamp: created,
      ...(snippet !== undefined && {
        annotations: { 'nginx.ingress.kubernetes.io/server-snippet': snippet },
      }),
      rules: [{ host, paths: [{ path, service: 'web', port: 80 }] }],
    });
  const objects = (...ingresses: object[]) => [
    ingressClass(),
    admin,
    ...serviceWithEndpoints('web', [{ ip: '10.0.0.1', port: 8080 }]),
    ...serviceWithEndpoints('web', [{ ip: '10.0.0.2', port: 8080 }], { namespace: 'other' }),
    ...(ingresses as ReturnType<typeof ingress>[]),
  ];
  const ROBOTS = 'location = /robots.txt { return 200 "User-agent: *\\nDisallow: /\\n"; }';
  const server = (conf: string) => conf.slice(conf.indexOf('server_name web.example.com;'));

  it('prints its locations as locations of its Ingress, with the server rules', () => {
    const { result, conf } = renderObjects(
      objects(web('web', `${ROBOTS}\nlocation /metrics { deny all; }\ndeny 192.0.2.1;`)),
      options,
    );
    assert.deepEqual(messages(result), []);
    const text = server(conf);
    assert.match(text, /server-snippet's rules for the whole host\n {8}deny 192\.0\.2\.1;\n/);
    assert.match(
      text,
      /location = "\/robots\.txt" \{\n {12}# server-snippet's return, re-printed from its parsed form\n {12}return 200 "User-agent: \*\\nDisallow: \/\\n";\n {8}\}/,
    );
    // Prefix /metrics as an Ingress Prefix path: /metrics and /metrics/…, both denied before the 404.
    assert.match(
      text,
      /location = "\/metrics" \{\n(?:(?!location)[^])*deny all;\n(?:(?!location)[^])*ngx\.exit/,
    );
    assert.match(text, /location "\/metrics\/" \{\n(?:(?!location)[^])*deny all;/);
  });

  it('is refused on a host another namespace serves, and keeps other namespaces off its host', () => {
    const older = renderObjects(
      objects(
        web('theirs', undefined, { namespace: 'other', created: '2026-01-01T00:00:00Z' }),
        web('mine', ROBOTS, { path: '/shop', created: '2026-01-02T00:00:00Z' }),
      ),
      options,
    );
    assert.deepEqual(messages(older.result), [
      'warning: Ingress default/mine: spec.rules[0].host: server-snippet applies to the whole host web.example.com, which an older Ingress in another namespace serves; this rule is not served',
    ]);
    assert.ok(!older.conf.includes('robots.txt'));

    const newer = renderObjects(
      objects(
        web('mine', ROBOTS, { created: '2026-01-01T00:00:00Z' }),
        web('theirs', undefined, { namespace: 'other', path: '/api', created: '2026-01-02T00:00:00Z' }),
      ),
      options,
    );
    assert.deepEqual(messages(newer.result), [
      'warning: Ingress other/theirs: spec.rules[0].host: host web.example.com carries the server-snippet of an older Ingress in another namespace, which no other namespace may share; this rule is not served',
    ]);
    assert.ok(!newer.conf.includes('other_web_80'));
  });

  it('takes the oldest of one namespace; a newer one with another snippet is not served there', () => {
    const { result, conf } = renderObjects(
      objects(
        web('first', ROBOTS, { created: '2026-01-01T00:00:00Z' }),
        web('same', ROBOTS, { path: '/same', created: '2026-01-02T00:00:00Z' }),
        web('second', 'location /admin { deny all; }', { path: '/app', created: '2026-01-03T00:00:00Z' }),
      ),
      options,
    );
    assert.deepEqual(messages(result), [
      'warning: Ingress default/second: spec.rules[0].host: host web.example.com already has the server-snippet of the older Ingress default/first (a host has one: the oldest); this rule carries another and is not served',
    ]);
    assert.ok(conf.includes('location = "/same"'));
    assert.ok(!conf.includes('location = "/app"') && !conf.includes('/admin'));
  });

  it('never takes a path another Ingress claimed first, nor lets another take its own', () => {
    const { result, conf } = renderObjects(
      objects(
        web('robots', undefined, { path: '/robots.txt', created: '2026-01-01T00:00:00Z' }),
        web('web', `${ROBOTS}\nlocation /metrics { deny all; }`, { created: '2026-01-02T00:00:00Z' }),
        web('metrics', undefined, { path: '/metrics', created: '2026-01-03T00:00:00Z' }),
      ),
      options,
    );
    assert.deepEqual(messages(result), [
      'warning: Ingress default/metrics: spec.rules[0].http.paths[0].path: Prefix path /metrics on host web.example.com is answered by location /metrics of the server-snippet of the older Ingress default/web; this path is not served',
      'warning: Ingress default/web: metadata.annotations[nginx.ingress.kubernetes.io/server-snippet]: location = /robots.txt on host web.example.com would take requests for Prefix path /robots.txt of the older Ingress default/robots; this location is not used',
    ]);
    assert.ok(!conf.includes('User-agent'));
  });

  it('refuses an Ingress whose rules name no host, and a canary', () => {
    const hostless = ingress({
      name: 'web',
      annotations: { 'nginx.ingress.kubernetes.io/server-snippet': ROBOTS },
      rules: [{ paths: [{ service: 'web', port: 80 }] }],
    });
    const { result } = renderObjects(objects(hostless), options);
    assert.equal(outcome(result, 'web'), 'rejected');
    assert.deepEqual(messages(result), [
      'error: Ingress default/web: metadata.annotations[nginx.ingress.kubernetes.io/server-snippet]: needs every rule to name a host: the default server (unknown hosts, rules without a host) is shared by every Ingress',
    ]);
    const canary = ingress({
      name: 'canary',
      annotations: {
        'nginx.ingress.kubernetes.io/canary': 'true',
        'nginx.ingress.kubernetes.io/server-snippet': ROBOTS,
      },
      rules: [{ host: 'web.example.com', paths: [{ service: 'web', port: 80 }] }],
    });
    const withCanary = renderObjects(objects(web('web', undefined), canary), options).result;
    assert.equal(outcome(withCanary, 'canary'), 'rejected');
    assert.deepEqual(messages(withCanary), [
      'error: Ingress default/canary: metadata.annotations[nginx.ingress.kubernetes.io/server-snippet]: a canary Ingress adds no server of its own; set server-snippet on the main Ingress',
    ]);
  });

  it("adds its headers to every location of the host; a location's own win", () => {
    const { result, conf } = renderObjects(
      objects(
        web('web', 'add_header X-Frame-Options "DENY";\nproxy_set_header X-Tenant "shop";\n' + ROBOTS, {
          created: '2026-01-01T00:00:00Z',
        }),
        ingress({
          name: 'api',
          creationTimestamp: '2026-01-02T00:00:00Z',
          annotations: {
            'nginx.ingress.kubernetes.io/configuration-snippet': 'add_header X-Frame-Options "SAMEORIGIN";',
          },
          rules: [{ host: 'web.example.com', paths: [{ path: '/api', service: 'web', port: 80 }] }],
        }),
      ),
      options,
    );
    assert.deepEqual(messages(result), []);
    const blocks = server(conf)
      .split(/\n {8}# /)
      .filter((b) => b.includes('location'));
    const api = blocks.find((b) => b.includes('location "/api/"')) ?? '';
    const root = blocks.find((b) => b.includes('location "/" {')) ?? '';
    const robots = blocks.find((b) => b.includes('location = "/robots.txt"')) ?? '';
    assert.match(api, /add_header X-Frame-Options "SAMEORIGIN" always;/);
    assert.match(api, /proxy_set_header X-Tenant "shop";/);
    assert.match(root, /add_header X-Frame-Options "DENY" always;/);
    assert.match(robots, /add_header X-Frame-Options "DENY" always;/);
  });
});
