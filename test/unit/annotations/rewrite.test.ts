import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rewriteFamily } from '../../../src/annotations/rewrite.ts';
import { messages, outcome } from '../harness.ts';
import { familyTable, prefixed, renderWith } from './table.ts';

const CHARS = 'must start with "/" or $1 to $9 and use letters, digits, -._~/: and $1 to $9 (capture groups)';
const API = [{ path: '/api(/|$)(.*)', pathType: 'ImplementationSpecific' as const }];

familyTable(
  rewriteFamily,
  [
    {
      annotation: 'rewrite-target',
      value: '/$2',
      paths: API,
      has: ['location ~* "^/api(/|$)(.*)" {', 'rewrite "(?i)^/api(/|$)(.*)" "/$2" break;'],
    },
    {
      annotation: 'rewrite-target',
      value: '/',
      paths: [{ path: '/app', pathType: 'Prefix' }],
      has: ['location ~* "^/app" {', 'rewrite "(?i)^/app" "/" break;'],
    },
    {
      // ingress-nginx: a target equal to the path rewrites nothing and leaves the path literal.
      annotation: 'rewrite-target',
      value: '/app',
      paths: [{ path: '/app', pathType: 'Prefix' }],
      has: ['location = "/app" {'],
      lacks: ['rewrite "(?i)^/app" "/app" break;'],
    },
    {
      annotation: 'rewrite-target',
      value: '$1',
      paths: [{ path: '/v1(/.*)', pathType: 'Prefix' }],
      has: ['rewrite "(?i)^/v1(/.*)" "$1" break;'],
    },
    {
      // An Exact path is rewritten but stays an exact location, its regex written literally.
      annotation: 'rewrite-target',
      value: '/index.html',
      paths: [{ path: '/a.b', pathType: 'Exact' }],
      has: ['location = "/a.b" {', 'rewrite "(?i)^/a[.]b" "/index.html" break;'],
    },
    {
      annotation: 'use-regex',
      value: 'true',
      paths: [{ path: '/v[0-9]+/.*', pathType: 'ImplementationSpecific' }],
      has: ['location ~* "^/v[0-9]+/.*" {'],
      lacks: ['rewrite'],
    },
    {
      annotation: 'use-regex',
      value: 'false',
      paths: [{ path: '/v1', pathType: 'ImplementationSpecific' }],
      has: ['location = "/v1" {'],
    },
    {
      annotation: 'x-forwarded-prefix',
      value: '/api',
      with: { 'rewrite-target': '/$2' },
      paths: API,
      has: ['rewrite "(?i)^/api(/|$)(.*)" "/$2" break;', 'proxy_set_header X-Forwarded-Prefix "/api";'],
    },
    {
      annotation: 'x-forwarded-prefix',
      value: '/$1',
      with: { 'rewrite-target': '/$2' },
      paths: API,
      has: ['proxy_set_header X-Forwarded-Prefix "/$1";'],
    },
  ],
  [
    { annotation: 'rewrite-target', value: '/$host', reason: CHARS },
    { annotation: 'rewrite-target', value: '/${1}', reason: CHARS },
    { annotation: 'rewrite-target', value: 'http://evil.example.com/', reason: CHARS },
    { annotation: 'rewrite-target', value: '/a b', reason: CHARS },
    { annotation: 'rewrite-target', value: '/a";', reason: CHARS },
    { annotation: 'rewrite-target', value: '', reason: CHARS },
    {
      annotation: 'rewrite-target',
      value: '/$3',
      paths: API,
      reason: 'uses $3, but the path /api(/|$)(.*) (spec.rules[0].http.paths[0]) has only 2 capture groups',
    },
    {
      annotation: 'rewrite-target',
      value: '/$1',
      paths: [{ path: '/app', pathType: 'Prefix' }],
      reason: 'uses $1, but the path /app (spec.rules[0].http.paths[0]) has no capture group',
    },
    { annotation: 'use-regex', value: 'yes', reason: 'must be "true" or "false"' },
    {
      annotation: 'x-forwarded-prefix',
      value: '/$http_host',
      with: { 'rewrite-target': '/' },
      reason: CHARS,
    },
    {
      annotation: 'x-forwarded-prefix',
      value: '/$4',
      with: { 'rewrite-target': '/$2' },
      paths: API,
      reason: 'uses $4, but the path /api(/|$)(.*) (spec.rules[0].http.paths[0]) has only 2 capture groups',
    },
  ],
);

describe('rewrite family, beyond the table', () => {
  it('repeats the inherited request headers in a location that adds X-Forwarded-Prefix', () => {
    const { location } = renderWith(prefixed({ 'rewrite-target': '/$2', 'x-forwarded-prefix': '/api' }), {
      paths: API,
    });
    for (const header of [
      'Host $gatehouse_host',
      'X-Request-ID $gatehouse_request_id',
      'X-Real-IP $remote_addr',
    ])
      assert.ok(
        location.includes(`proxy_set_header ${header};`),
        `${header} missing:\n${location.join('\n')}`,
      );
  });

  it('warns that x-forwarded-prefix alone does nothing', () => {
    const { result, location } = renderWith(prefixed({ 'x-forwarded-prefix': '/api' }));
    assert.equal(outcome(result, 'web'), 'served');
    assert.deepEqual(messages(result), [
      'warning: Ingress default/web: metadata.annotations[nginx.ingress.kubernetes.io/x-forwarded-prefix]: has no effect without rewrite-target (it is sent with rewritten requests)',
    ]);
    assert.ok(!location.some((l) => l.includes('X-Forwarded-Prefix')));
  });
});
