import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { affinityFamily } from '../../../src/annotations/affinity.ts';
import { messages } from '../harness.ts';
import { familyTable, prefixed, renderWith } from './table.ts';

const policyFor = (claim: string) =>
  `policy_${createHash('sha256').update(`web.example.com ${claim}`).digest('hex').slice(0, 16)}`;
const POLICY = policyFor('Prefix /');
const sticky = { has: [`set $gatehouse_policy ${POLICY};`] };
const on = { affinity: 'cookie' };
const COOKIE = 'must be a cookie name (letters, digits and - . _ ~)';
const SECONDS = 'must be a whole number from 0 to 2147483647';

familyTable(
  affinityFamily,
  [
    { annotation: 'affinity', value: 'cookie', ...sticky },
    { annotation: 'affinity-mode', value: 'persistent', with: on, ...sticky },
    { annotation: 'session-cookie-name', value: 'route', with: on, ...sticky },
    { annotation: 'session-cookie-path', value: '/app', with: on, ...sticky },
    { annotation: 'session-cookie-domain', value: '.Example.com', with: on, ...sticky },
    { annotation: 'session-cookie-max-age', value: '172800', with: on, ...sticky },
    { annotation: 'session-cookie-expires', value: '3600', with: on, ...sticky },
    { annotation: 'session-cookie-samesite', value: 'none', with: on, ...sticky },
    { annotation: 'session-cookie-conditional-samesite-none', value: 'true', with: on, ...sticky },
    { annotation: 'session-cookie-secure', value: 'false', with: on, ...sticky },
    { annotation: 'session-cookie-change-on-failure', value: 'true', with: on, ...sticky },
  ],
  [
    { annotation: 'affinity', value: 'ip', reason: 'must be "cookie"' },
    { annotation: 'affinity-mode', value: 'sticky', with: on, reason: 'must be "balanced" or "persistent"' },
    { annotation: 'session-cookie-name', value: 'a=b; Path=/', with: on, reason: COOKIE },
    {
      annotation: 'session-cookie-path',
      value: '/a;b',
      with: on,
      reason: 'must be a path of letters, digits and / - . _ ~ : starting with /',
    },
    {
      annotation: 'session-cookie-domain',
      value: 'example.com; Secure',
      with: on,
      reason: 'must be a domain name such as example.com or .example.com',
    },
    { annotation: 'session-cookie-max-age', value: '-1', with: on, reason: SECONDS },
    { annotation: 'session-cookie-expires', value: '1d', with: on, reason: SECONDS },
    {
      annotation: 'session-cookie-samesite',
      value: 'Sometimes',
      with: on,
      reason: 'must be "None", "Lax" or "Strict"',
    },
    {
      annotation: 'session-cookie-conditional-samesite-none',
      value: 'yes',
      with: on,
      reason: 'must be "true" or "false"',
    },
    { annotation: 'session-cookie-secure', value: 'on', with: on, reason: 'must be "true" or "false"' },
    {
      annotation: 'session-cookie-change-on-failure',
      value: '2',
      with: on,
      reason: 'must be "true" or "false"',
    },
  ],
);

describe('session affinity policy (the dynamic state the Lua balancer reads)', () => {
  it('carries the cookie settings, the path defaulting to the Ingress path', () => {
    const { result, dynamic } = renderWith(
      prefixed({ affinity: 'cookie', 'session-cookie-samesite': 'strict', 'session-cookie-max-age': '60' }),
      { paths: [{ path: '/shop/', pathType: 'Prefix' }] },
    );
    assert.deepEqual(messages(result), []);
    assert.deepEqual(dynamic.affinities, {
      [policyFor('Prefix /shop')]: {
        mode: 'balanced',
        name: 'INGRESSCOOKIE',
        path: '/shop',
        max_age: 60,
        samesite: 'Strict',
      },
    });
  });

  it('gives a regex path the cookie path / unless session-cookie-path says otherwise', () => {
    const regex = { paths: [{ path: '/api/(.*)', pathType: 'ImplementationSpecific' as const }] };
    const plain = renderWith(prefixed({ affinity: 'cookie', 'use-regex': 'true' }), regex);
    assert.deepEqual(
      Object.values(plain.dynamic.affinities).map((a) => a.path),
      ['/'],
    );
    const set = renderWith(
      prefixed({
        affinity: 'cookie',
        'use-regex': 'true',
        'session-cookie-path': '/api',
        'affinity-mode': 'persistent',
        'session-cookie-change-on-failure': 'true',
        'session-cookie-domain': 'Shop.Example.com',
      }),
      regex,
    );
    assert.deepEqual(Object.values(set.dynamic.affinities), [
      { mode: 'persistent', name: 'INGRESSCOOKIE', path: '/api', domain: 'shop.example.com', change: true },
    ]);
  });

  it('warns that the cookie settings do nothing without affinity: cookie', () => {
    const { result, dynamic, location } = renderWith(prefixed({ 'session-cookie-name': 'route' }));
    assert.deepEqual(messages(result), [
      'warning: Ingress default/web: metadata.annotations[nginx.ingress.kubernetes.io/session-cookie-name]: has no effect without affinity: "cookie"',
    ]);
    assert.deepEqual(dynamic.affinities, {});
    assert.ok(!location.some((l) => l.includes('gatehouse_policy')));
  });
});
