import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { snippetFamily } from '../../../src/annotations/snippet.ts';
import { parseDirectives, parseLocationSnippet } from '../../../src/annotations/nginx-snippet.ts';
import { configMap } from '../../support/fixtures.ts';
import { messages } from '../harness.ts';
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
        'proxy_pass is not allowed in a snippet (allowed: more_set_headers, add_header, proxy_set_header, allow, deny, return)',
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
