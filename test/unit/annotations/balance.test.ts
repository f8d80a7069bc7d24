import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { balanceFamily } from '../../../src/annotations/balance.ts';
import { messages } from '../harness.ts';
import { familyTable, prefixed, renderWith } from './table.ts';

const POLICY = `policy_${createHash('sha256').update('web.example.com Prefix /').digest('hex').slice(0, 16)}`;
const hashed = { 'upstream-hash-by': '$request_uri' };
const HASH =
  'must be NGINX variables ($request_uri, $remote_addr, $http_<header>, $cookie_<name>, $arg_<name>, …) and text of letters, digits and _ . : / -';

familyTable(
  balanceFamily,
  [
    {
      annotation: 'load-balance',
      value: 'ewma',
      has: [`set $gatehouse_policy ${POLICY};`, 'require("gatehouse.balancer").log()'],
    },
    // The http level's own mode: nothing to say.
    {
      annotation: 'load-balance',
      value: 'round_robin',
      has: [],
      lacks: [`set $gatehouse_policy ${POLICY};`],
    },
    {
      annotation: 'upstream-hash-by',
      value: '$binary_remote_addr',
      has: [`set $gatehouse_policy ${POLICY};`],
    },
    {
      annotation: 'upstream-hash-by',
      value: 'user-${http_x_user}:$arg_id',
      has: [`set $gatehouse_policy ${POLICY};`],
    },
    {
      annotation: 'upstream-hash-by-subset',
      value: 'true',
      with: hashed,
      has: [`set $gatehouse_policy ${POLICY};`],
    },
    {
      annotation: 'upstream-hash-by-subset-size',
      value: '5',
      with: { ...hashed, 'upstream-hash-by-subset': 'true' },
      has: [`set $gatehouse_policy ${POLICY};`],
    },
    {
      annotation: 'service-upstream',
      value: 'true',
      has: ['set $gatehouse_upstream default_web_80_cluster;'],
    },
  ],
  [
    { annotation: 'load-balance', value: 'ip_hash', reason: 'must be "round_robin" or "ewma"' },
    { annotation: 'upstream-hash-by', value: '$request_uri; return 200', reason: HASH },
    { annotation: 'upstream-hash-by', value: '$ssl_client_raw_cert', reason: HASH },
    { annotation: 'upstream-hash-by', value: '"$uri"', reason: HASH },
    {
      annotation: 'upstream-hash-by-subset',
      value: 'yes',
      with: hashed,
      reason: 'must be "true" or "false"',
    },
    {
      annotation: 'upstream-hash-by-subset-size',
      value: '0',
      with: hashed,
      reason: 'must be a whole number from 1 to 1000',
    },
    { annotation: 'service-upstream', value: 'on', reason: 'must be "true" or "false"' },
  ],
);

describe('balancing policy (the dynamic state the Lua balancer reads)', () => {
  it('carries the hash key as variables and text, and the subset size', () => {
    const { dynamic } = renderWith(
      prefixed({
        'upstream-hash-by': 'user-${HTTP_X_USER}:$arg_id',
        'upstream-hash-by-subset': 'true',
      }),
    );
    assert.deepEqual(dynamic.balancing, {
      [POLICY]: { hash: [{ t: 'user-' }, { v: 'http_x_user' }, { t: ':' }, { v: 'arg_id' }], subset: 3 },
    });
  });

  it('warns about settings without effect, and lets the hash key decide over load-balance', () => {
    const { result, dynamic } = renderWith(
      prefixed({ 'upstream-hash-by': '$uri', 'load-balance': 'ewma', 'upstream-hash-by-subset-size': '4' }),
    );
    assert.deepEqual(messages(result), [
      'warning: Ingress default/web: metadata.annotations[nginx.ingress.kubernetes.io/load-balance]: has no effect with upstream-hash-by, which picks the pod',
    ]);
    assert.deepEqual(dynamic.balancing, { [POLICY]: { hash: [{ v: 'uri' }] } });
    const alone = renderWith(prefixed({ 'upstream-hash-by-subset': 'true' }));
    assert.deepEqual(messages(alone.result), [
      'warning: Ingress default/web: metadata.annotations[nginx.ingress.kubernetes.io/upstream-hash-by-subset]: has no effect without upstream-hash-by',
    ]);
  });

  it('overrides a ConfigMap ewma with round_robin per Ingress', () => {
    const { dynamic, location } = renderWith(prefixed({ 'load-balance': 'round_robin' }), {
      objects: [
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'cfg', namespace: 'gatehouse' },
          data: { 'load-balance': 'ewma' },
        } as never,
      ],
      options: { configMap: { namespace: 'gatehouse', name: 'cfg' } },
    });
    assert.deepEqual(dynamic.balancing, { [POLICY]: { mode: 'round_robin' } });
    assert.ok(!location.some((l) => l.includes('log()')), 'the http level already learns');
  });

  it('service-upstream proxies to the cluster IP, under its own backend name', () => {
    const { dynamic } = renderWith(prefixed({ 'service-upstream': 'true' }));
    assert.deepEqual(dynamic.backends['default_web_80_cluster'], ['10.96.0.10:80']);
  });
});
