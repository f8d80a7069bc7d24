import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fastcgiFamily } from '../../../src/annotations/fastcgi.ts';
import { configMap } from '../../support/fixtures.ts';
import { messages, outcome } from '../harness.ts';
import { familyTable, prefixed, renderWith } from './table.ts';

const FCGI = { 'backend-protocol': 'FCGI' };
const PARAMS = configMap(
  { SCRIPT_FILENAME: '/var/www/html$fastcgi_script_name', APP_ENV: 'production', HTTP_PROXY: '' },
  'default',
  'php-params',
);
const FIELD = 'metadata.annotations[nginx.ingress.kubernetes.io/fastcgi-params-configmap]';

familyTable(
  fastcgiFamily,
  [
    {
      annotation: 'fastcgi-index',
      value: 'index.php',
      with: FCGI,
      has: ['fastcgi_index index.php;', 'fastcgi_pass gatehouse_balancer;'],
    },
    {
      annotation: 'fastcgi-params-configmap',
      value: 'php-params',
      with: FCGI,
      objects: [PARAMS],
      has: [
        'fastcgi_param APP_ENV "production";',
        'fastcgi_param SCRIPT_FILENAME "/var/www/html$fastcgi_script_name";',
        'fastcgi_param HTTP_PROXY "";',
        'fastcgi_param QUERY_STRING "$query_string";',
      ],
    },
    // ingress-nginx's namespace/name form, in the Ingress's own namespace.
    {
      annotation: 'fastcgi-params-configmap',
      value: 'default/php-params',
      with: FCGI,
      objects: [PARAMS],
      has: ['fastcgi_param APP_ENV "production";'],
    },
  ],
  [
    {
      annotation: 'fastcgi-index',
      value: '../index.php',
      with: FCGI,
      reason: 'must be a file name (letters, digits, ".", "_" and "-")',
    },
    {
      annotation: 'fastcgi-index',
      value: 'index.php; include /etc/passwd',
      with: FCGI,
      reason: 'must be a file name (letters, digits, ".", "_" and "-")',
    },
    {
      annotation: 'fastcgi-params-configmap',
      value: 'other/php-params',
      with: FCGI,
      reason: "must name a ConfigMap in the Ingress's own namespace",
    },
    {
      annotation: 'fastcgi-params-configmap',
      value: 'Bad Name',
      with: FCGI,
      reason: 'must name a ConfigMap: "name" or "namespace/name"',
    },
    {
      annotation: 'fastcgi-params-configmap',
      value: 'missing',
      with: FCGI,
      reason: 'ConfigMap default/missing does not exist',
    },
  ],
);

describe('backend-protocol FCGI', () => {
  it('sends the standard parameters (httpoxy-safe) to the balancer, without proxy_pass', () => {
    const { location, result } = renderWith(prefixed(FCGI));
    assert.deepEqual(messages(result), []);
    assert.ok(location.includes('set $gatehouse_upstream default_web_80;'), location.join('\n'));
    assert.ok(location.includes('fastcgi_param HTTPS "$https" if_not_empty;'), location.join('\n'));
    assert.ok(location.includes('fastcgi_param HTTP_PROXY "";'), location.join('\n'));
    assert.ok(location.includes('fastcgi_param SERVER_SOFTWARE "nginx";'), location.join('\n'));
    assert.equal(location.at(-1), 'fastcgi_pass gatehouse_balancer;');
    assert.ok(!location.some((l) => l.startsWith('proxy_pass')), location.join('\n'));
  });

  it("lets the ConfigMap's value replace a standard parameter", () => {
    const cm = configMap({ SERVER_NAME: 'shop' }, 'default', 'php-params');
    const { location } = renderWith(prefixed({ ...FCGI, 'fastcgi-params-configmap': 'php-params' }), {
      objects: [cm],
    });
    assert.deepEqual(
      location.filter((l) => l.startsWith('fastcgi_param SERVER_NAME')),
      ['fastcgi_param SERVER_NAME "shop";'],
    );
  });

  const hostile: [string, Record<string, string>, string][] = [
    ['a name with a space', { 'SCRIPT FILENAME': '/x' }, '"SCRIPT FILENAME" is not a parameter name'],
    ['a quote', { SCRIPT_FILENAME: '/x"; include /etc/passwd; "' }, 'the value of SCRIPT_FILENAME must be'],
    ['a variable off the list', { SECRET: '$http_authorization' }, 'the value of SECRET must be'],
    ['a variable run into a name', { X: '$urix' }, 'the value of X must be'],
    ['a new line', { X: 'a\nb' }, 'the value of X must be'],
  ];
  for (const [what, data, reason] of hostile) {
    it(`refuses the Ingress for a ConfigMap with ${what}`, () => {
      const cm = configMap(data, 'default', 'php-params');
      const { location, result } = renderWith(
        prefixed({ ...FCGI, 'fastcgi-params-configmap': 'php-params' }),
        { objects: [cm] },
      );
      assert.equal(outcome(result, 'web'), 'rejected');
      assert.deepEqual(location, []);
      const message = messages(result)[0] ?? '';
      assert.ok(
        message.startsWith(`error: Ingress default/web: ${FIELD}: ConfigMap default/php-params: `),
        message,
      );
      assert.ok(message.includes(reason), message);
    });
  }

  it('accepts ${name} and the allowlisted variables', () => {
    const cm = configMap(
      { PATH_INFO: '${fastcgi_path_info}', ROOT: '$document_root/app' },
      'default',
      'php-params',
    );
    const { location, result } = renderWith(prefixed({ ...FCGI, 'fastcgi-params-configmap': 'php-params' }), {
      objects: [cm],
    });
    assert.deepEqual(messages(result), []);
    assert.ok(location.includes('fastcgi_param PATH_INFO "${fastcgi_path_info}";'), location.join('\n'));
    assert.ok(location.includes('fastcgi_param ROOT "$document_root/app";'), location.join('\n'));
  });

  it('warns that fastcgi-* keys are ignored without backend-protocol FCGI', () => {
    const { location, result } = renderWith(prefixed({ 'fastcgi-index': 'index.php' }));
    assert.equal(outcome(result, 'web'), 'served');
    assert.ok(!location.some((l) => l.startsWith('fastcgi')), location.join('\n'));
    assert.deepEqual(messages(result), [
      'warning: Ingress default/web: metadata.annotations[nginx.ingress.kubernetes.io/fastcgi-index]: ignored: backend-protocol is not FCGI',
    ]);
  });
});
