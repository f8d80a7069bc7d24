import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { errorsFamily } from '../../../src/annotations/errors.ts';
import { serviceWithEndpoints } from '../../support/fixtures.ts';
import { messages } from '../harness.ts';
import { familyTable, prefixed, renderWith } from './table.ts';

const PAGES = serviceWithEndpoints('error-pages', [{ ip: '10.0.0.9', port: 8080 }]);
const CODES = 'must be comma-separated status codes from 400 to 599';

familyTable(
  errorsFamily,
  [
    {
      annotation: 'custom-http-errors',
      value: '503, 404,404',
      with: { 'default-backend': 'error-pages' },
      objects: PAGES,
      has: [
        'proxy_intercept_errors on;',
        'set $gatehouse_error_ingress web;',
        'error_page 404 = @gatehouse_error_default_error-pages_80_404;',
        'error_page 503 = @gatehouse_error_default_error-pages_80_503;',
      ],
    },
    {
      // Without custom-http-errors, only NGINX's own 503 (no ready endpoint) goes to the default backend.
      annotation: 'default-backend',
      value: 'error-pages',
      objects: PAGES,
      has: ['error_page 503 = @gatehouse_error_default_error-pages_80_503;'],
      lacks: ['proxy_intercept_errors on;'],
    },
  ],
  [
    { annotation: 'custom-http-errors', value: '302', reason: CODES },
    { annotation: 'custom-http-errors', value: '404;', reason: CODES },
    {
      annotation: 'default-backend',
      value: 'other/error-pages',
      reason: 'must be a lowercase RFC 1123 DNS label',
    },
  ],
);

describe('custom-http-errors, beyond the table', () => {
  it('names the error location once per server, asking the error backend for / with X-Code', () => {
    const { conf } = renderWith(prefixed({ 'custom-http-errors': '404', 'default-backend': 'error-pages' }), {
      objects: PAGES,
    });
    const named = /location @gatehouse_error_default_error-pages_80_404 \{\n([^}]*)\}/.exec(conf)?.[1] ?? '';
    for (const line of [
      'set $gatehouse_upstream default_error-pages_80;',
      'proxy_set_header X-Code 404;',
      'proxy_set_header X-Original-URI $request_uri;',
      'rewrite ^ / break;',
    ])
      assert.ok(named.includes(line), `${line} missing in\n${named}`);
  });

  it('ignores custom-http-errors with a warning when there is no default backend', () => {
    const { result, location } = renderWith(prefixed({ 'custom-http-errors': '404' }));
    assert.deepEqual(messages(result), [
      'warning: Ingress default/web: metadata.annotations[nginx.ingress.kubernetes.io/custom-http-errors]: ignored: there is no default backend to serve the error pages (set default-backend or --default-backend-service)',
    ]);
    assert.ok(!location.some((l) => l.startsWith('error_page')));
  });
});
