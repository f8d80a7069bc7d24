import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { corsFamily } from '../../../src/annotations/cors.ts';
import { messages } from '../harness.ts';
import { familyTable, prefixed, renderWith } from './table.ts';

const ON = { 'enable-cors': 'true' };
const ORIGINS =
  'must be "*" or comma-separated origins such as https://example.com, https://*.example.com:8443';

familyTable(
  corsFamily,
  [
    {
      annotation: 'cors-allow-credentials',
      value: 'false',
      with: ON,
      has: [],
      lacks: ['set $gatehouse_cors_credentials true;'],
    },
    {
      annotation: 'cors-allow-headers',
      value: 'X-Forwarded-For,Content-Type , X-Custom',
      with: ON,
      has: ['set $gatehouse_cors_headers "X-Forwarded-For, Content-Type, X-Custom";'],
    },
    {
      annotation: 'cors-allow-methods',
      value: 'GET,POST',
      with: ON,
      has: ['set $gatehouse_cors_methods "GET, POST";'],
    },
    {
      annotation: 'cors-allow-origin',
      value: 'https://App.example.com, https://*.example.org:8443, null',
      with: ON,
      has: [
        'if ($http_origin ~* "^(https://[a-z0-9-]+\\.example\\.org:8443|https://app\\.example\\.com|null)$") {',
        'set $gatehouse_cors_origin $http_origin;',
        'set $gatehouse_cors_vary Origin;',
      ],
    },
    {
      annotation: 'cors-allow-origin',
      value: 'https://a.example.com, *',
      with: ON,
      has: ["set $gatehouse_cors_origin '*';"],
    },
    {
      annotation: 'cors-expose-headers',
      value: 'X-Request-ID, *',
      with: ON,
      has: ['set $gatehouse_cors_expose "X-Request-ID, *";'],
    },
    { annotation: 'cors-max-age', value: '600', with: ON, has: ['set $gatehouse_cors_max_age 600;'] },
    {
      annotation: 'enable-cors',
      value: 'true',
      has: [
        "set $gatehouse_cors_origin '*';",
        'set $gatehouse_cors_credentials true;',
        'set $gatehouse_cors_methods "GET, PUT, POST, DELETE, PATCH, OPTIONS";',
        'set $gatehouse_cors_max_age 1728000;',
        'return 204;',
        'add_header Access-Control-Allow-Origin $gatehouse_cors_origin always;',
        'proxy_hide_header Access-Control-Allow-Origin;',
      ],
    },
    { annotation: 'enable-cors', value: 'false', has: [], lacks: ['return 204;'] },
  ],
  [
    {
      annotation: 'cors-allow-credentials',
      value: 'sometimes',
      with: ON,
      reason: 'must be "true" or "false"',
    },
    {
      annotation: 'cors-allow-headers',
      value: 'X-Header; add_header X 1',
      with: ON,
      reason: 'must be a comma-separated list of header names',
    },
    {
      annotation: 'cors-allow-methods',
      value: 'GET, $request_method',
      with: ON,
      reason: 'must be a comma-separated list of methods',
    },
    { annotation: 'cors-allow-origin', value: 'https://a.example.com/path', with: ON, reason: ORIGINS },
    { annotation: 'cors-allow-origin', value: 'https://a.example.com"', with: ON, reason: ORIGINS },
    { annotation: 'cors-allow-origin', value: 'a.example.com', with: ON, reason: ORIGINS },
    { annotation: 'cors-allow-origin', value: 'https://*', with: ON, reason: ORIGINS },
    {
      annotation: 'cors-expose-headers',
      value: 'X Y',
      with: ON,
      reason: 'must be a comma-separated list of header names or *',
    },
    {
      annotation: 'cors-max-age',
      value: '-1',
      with: ON,
      reason: 'must be a whole number from 0 to 31536000',
    },
    { annotation: 'enable-cors', value: 'yes', reason: 'must be "true" or "false"' },
  ],
);

describe('CORS, beyond the table', () => {
  it('warns that cors-* keys without enable-cors do nothing', () => {
    const { result, location } = renderWith(prefixed({ 'cors-allow-origin': 'https://a.example.com' }));
    assert.deepEqual(messages(result), [
      'warning: Ingress default/web: metadata.annotations[nginx.ingress.kubernetes.io/cors-allow-origin]: has no effect without enable-cors: "true"',
    ]);
    assert.ok(!location.some((l) => l.includes('cors')));
  });

  it("repeats the http block's HSTS header, which NGINX would not inherit", () => {
    const config = { namespace: 'gatehouse', name: 'config' };
    const { location } = renderWith(prefixed(ON), {
      options: { configMap: config },
      objects: [
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: config, data: { hsts: 'true' } } as KubernetesObject,
      ],
    });
    assert.ok(
      location.includes('add_header Strict-Transport-Security $gatehouse_hsts always;'),
      location.join('\n'),
    );
  });
});
