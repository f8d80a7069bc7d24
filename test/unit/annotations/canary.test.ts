import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { canaryFamily } from '../../../src/annotations/canary.ts';
import { ingress, ingressClass, serviceWithEndpoints } from '../../support/fixtures.ts';
import { messages, outcome, renderObjects } from '../harness.ts';
import { familyTable, prefixed } from './table.ts';

// The table's Ingress (`web`) is the canary here; `main` serves its host and path.
const MAIN = ingress({
  name: 'main',
  rules: [{ host: 'web.example.com', paths: [{ service: 'main', port: 80 }] }],
});
const objects = [MAIN, ...serviceWithEndpoints('main', [{ ip: '10.0.0.9', port: 8080 }])];
const RULE = `policy_${createHash('sha256').update('web.example.com Prefix /').digest('hex').slice(0, 16)}`;
const attached = { objects, has: [], conf: [`set $gatehouse_policy ${RULE};`] };
const on = { canary: 'true' };
const BASIC = 'of letters, digits and / - . _ ~ : (at most 256)';

familyTable(
  canaryFamily,
  [
    { annotation: 'canary', value: 'true', ...attached },
    { annotation: 'canary-weight', value: '20', with: on, ...attached },
    { annotation: 'canary-weight-total', value: '1000', with: { ...on, 'canary-weight': '5' }, ...attached },
    { annotation: 'canary-by-header', value: 'X-Canary', with: on, ...attached },
    {
      annotation: 'canary-by-header-value',
      value: 'beta/v2:1',
      with: { ...on, 'canary-by-header': 'X-Group' },
      ...attached,
    },
    {
      annotation: 'canary-by-header-pattern',
      value: '^(qa|beta)-[0-9]+$',
      with: { ...on, 'canary-by-header': 'X-Group' },
      ...attached,
    },
    { annotation: 'canary-by-cookie', value: 'use_canary', with: on, ...attached },
    { annotation: 'affinity-canary-behavior', value: ' legacy ', with: on, ...attached },
    { annotation: 'affinity-canary-behavior', value: 'sticky', with: on, ...attached },
  ],
  [
    { annotation: 'canary', value: 'maybe', objects, reason: 'must be "true" or "false"' },
    {
      annotation: 'canary',
      value: 'false',
      with: { 'canary-weight': '10' },
      objects,
      reason: 'must be "true" when canary-weight is set',
    },
    {
      annotation: 'canary-weight',
      value: '-1',
      with: on,
      objects,
      reason: 'must be a whole number from 0 to 1000000',
    },
    {
      annotation: 'canary-weight-total',
      value: '0',
      with: on,
      objects,
      reason: 'must be a whole number from 1 to 1000000',
    },
    {
      annotation: 'canary-by-header',
      value: 'X Canary',
      with: on,
      objects,
      reason: 'must be a header name (letters, digits, "-" and "_")',
    },
    {
      annotation: 'canary-by-header-value',
      value: 'a"; return 200',
      with: { ...on, 'canary-by-header': 'X-Group' },
      objects,
      reason: `must be a header value ${BASIC}`,
    },
    {
      annotation: 'canary-by-header-pattern',
      value: '(unclosed',
      with: { ...on, 'canary-by-header': 'X-Group' },
      objects,
      reason: 'must be a valid regular expression',
    },
    {
      annotation: 'canary-by-header-pattern',
      value: 'a b',
      with: { ...on, 'canary-by-header': 'X-Group' },
      objects,
      reason:
        'must be a regular expression of letters, digits and / - . _ ~ : ^ $ [ ] ( ) { } * + ? | & = \\ (at most 256)',
    },
    {
      annotation: 'canary-by-cookie',
      value: 'a=b',
      with: on,
      objects,
      reason: 'must be a cookie name (letters, digits, "-", "_" and ".")',
    },
    {
      annotation: 'affinity-canary-behavior',
      value: 'Legacy',
      with: on,
      objects,
      reason: 'must be "sticky" or "legacy"',
    },
  ],
);

function canaryOf(annotations: Record<string, string>, extra: readonly KubernetesObject[] = []) {
  const rendered = renderObjects([
    ingressClass(),
    ...objects,
    ...serviceWithEndpoints('preview', [{ ip: '10.0.0.7', port: 8080 }]),
    ingress({
      name: 'web',
      annotations: prefixed(annotations),
      rules: [{ host: 'web.example.com', paths: [{ service: 'preview', port: 80 }] }],
    }),
    ...extra,
  ]);
  return { ...rendered, policy: rendered.dynamic.canaries[RULE] };
}

describe('canary traffic policy (the dynamic state the Lua balancer reads)', () => {
  it('carries the canary backend, weight, header, value and cookie', () => {
    const { policy, result, conf } = canaryOf({
      canary: 'true',
      'canary-weight': '30',
      'canary-by-header': 'X-Group',
      'canary-by-header-value': 'beta',
      'canary-by-header-pattern': '^never-used$',
      'canary-by-cookie': 'canary',
    });
    assert.deepEqual(messages(result), []);
    // The value wins over the pattern, as in ingress-nginx.
    assert.deepEqual(policy, {
      backend: 'default_preview_80',
      weight: 30,
      total: 100,
      header: 'X-Group',
      value: 'beta',
      cookie: 'canary',
    });
    // The canary's Service is not routed to by any location of its own, and nothing user-written is.
    assert.ok(!conf.includes('beta'), 'a header value reached nginx.conf');
    assert.equal(outcome(result, 'web'), 'served');
  });

  it('sends every request to the canary when the weight exceeds the total, with a warning', () => {
    const { policy, result } = canaryOf({
      canary: 'true',
      'canary-weight': '150',
      'canary-weight-total': '100',
    });
    assert.equal(policy?.weight, 100);
    assert.deepEqual(messages(result), [
      'warning: Ingress default/web: metadata.annotations[nginx.ingress.kubernetes.io/canary-weight]: is more than canary-weight-total (100); every request goes to the canary',
    ]);
  });

  it('warns that a header value or pattern does nothing without canary-by-header', () => {
    const { policy, result } = canaryOf({ canary: 'true', 'canary-by-header-value': 'beta' });
    assert.deepEqual(policy, { backend: 'default_preview_80', weight: 0, total: 100 });
    assert.deepEqual(messages(result), [
      'warning: Ingress default/web: metadata.annotations[nginx.ingress.kubernetes.io/canary-by-header-value]: has no effect without canary-by-header',
    ]);
  });

  it('joins only a main Ingress of its own namespace, without naming the other tenant', () => {
    const { result, dynamic } = renderObjects([
      ingressClass(),
      ...objects,
      ...serviceWithEndpoints('preview', [{ ip: '10.0.0.7', port: 8080 }], { namespace: 'other' }),
      ingress({
        name: 'web',
        namespace: 'other',
        annotations: prefixed({ canary: 'true', 'canary-weight': '100' }),
        rules: [{ host: 'web.example.com', paths: [{ service: 'preview', port: 80 }] }],
      }),
    ]);
    assert.deepEqual(dynamic.canaries, {});
    assert.deepEqual(messages(result), [
      'warning: Ingress other/web: spec.rules[0].http.paths[0].path: canary: no Ingress in namespace other serves host web.example.com path / (Prefix); this canary takes no traffic there',
    ]);
  });

  it('leaves a path that already has a canary to the older one', () => {
    const { policy, result } = canaryOf({ canary: 'true', 'canary-weight': '10' }, [
      ...serviceWithEndpoints('late', [{ ip: '10.0.0.8', port: 8080 }]),
      ingress({
        name: 'zz-late',
        creationTimestamp: '2030-01-01T00:00:00Z',
        annotations: prefixed({ canary: 'true', 'canary-weight': '90' }),
        rules: [{ host: 'web.example.com', paths: [{ service: 'late', port: 80 }] }],
      }),
    ]);
    assert.equal(policy?.backend, 'default_preview_80');
    assert.deepEqual(messages(result), [
      'warning: Ingress default/zz-late: spec.rules[0].http.paths[0].path: canary: host web.example.com path / already has the canary of the older Ingress default/web; this canary takes no traffic there',
    ]);
  });

  it('adds no location for a canary Ingress, and takes no traffic when its Service is missing', () => {
    const { result, conf, dynamic } = renderObjects([
      ingressClass(),
      ...objects,
      ingress({
        name: 'web',
        annotations: prefixed({ canary: 'true', 'canary-weight': '50' }),
        rules: [{ host: 'web.example.com', paths: [{ service: 'absent', port: 80 }] }],
      }),
    ]);
    assert.ok(!conf.includes('# ingress default/web'), 'the canary got a location');
    assert.deepEqual(dynamic.canaries, {});
    assert.deepEqual(messages(result), [
      'warning: Ingress default/web: spec.rules[0].http.paths[0].backend: Service default/absent does not exist; the canary takes no traffic',
    ]);
  });
});

describe('affinity-canary-behavior', () => {
  it('legacy travels with the canary policy; sticky, the default, adds nothing', () => {
    const legacy = canaryOf({ canary: 'true', 'affinity-canary-behavior': 'legacy' });
    assert.deepEqual(messages(legacy.result), []);
    assert.deepEqual(legacy.policy, { backend: 'default_preview_80', weight: 0, total: 100, legacy: true });
    const sticky = canaryOf({ canary: 'true', 'affinity-canary-behavior': 'sticky' });
    assert.deepEqual(sticky.policy, { backend: 'default_preview_80', weight: 0, total: 100 });
  });

  it('on an Ingress that is not a canary, does nothing and says so (the Ingress is served)', () => {
    const { result } = renderObjects([
      ingressClass(),
      ...objects,
      ingress({
        name: 'web',
        annotations: prefixed({ affinity: 'cookie', 'affinity-canary-behavior': 'legacy' }),
        rules: [{ host: 'other.example.com', paths: [{ service: 'main', port: 80 }] }],
      }),
    ]);
    assert.equal(outcome(result, 'web'), 'served');
    assert.deepEqual(messages(result), [
      'warning: Ingress default/web: metadata.annotations[nginx.ingress.kubernetes.io/affinity-canary-behavior]: has no effect on an Ingress that is not a canary',
    ]);
  });
});
