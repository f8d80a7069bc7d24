import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import {
  ANNOTATIONS,
  ANNOTATION_PREFIX,
  FAMILIES,
  IGNORED_TUNING,
  RETIRED,
  RISK_LEVELS,
  SNIPPET_ANNOTATIONS,
  UNSUPPORTED_ACCESS_CONTROL,
  UNSUPPORTED_ROUTING,
} from '../../../src/annotations/registry.ts';
import { messages, outcome } from '../harness.ts';
import { DEFAULT_LOCATION, prefixed, renderWith } from './table.ts';

const field = (name: string): string => `metadata.annotations[${ANNOTATION_PREFIX}${name}]`;

describe('annotation registry', () => {
  it('has a test file per family', () => {
    for (const f of FAMILIES)
      assert.ok(existsSync(new URL(`${f.concern}.test.ts`, import.meta.url)), `no ${f.concern}.test.ts`);
  });

  it('names every key once, in one family or one unsupported list', () => {
    const all = [
      ...ANNOTATIONS.map((a) => a.name),
      ...SNIPPET_ANNOTATIONS,
      ...UNSUPPORTED_ACCESS_CONTROL,
      ...UNSUPPORTED_ROUTING,
      ...IGNORED_TUNING,
      ...Object.keys(RETIRED),
    ];
    assert.deepEqual(
      all.filter((n, i) => all.indexOf(n) !== i),
      [],
    );
    for (const n of all) assert.match(n, /^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it('gives every key a risk level of ingress-nginx, a scope and docs', () => {
    for (const a of ANNOTATIONS) {
      assert.ok(RISK_LEVELS.includes(a.risk), a.name);
      assert.ok(['server', 'location'].includes(a.scope), a.name);
      assert.match(a.description, /^[A-Z].*\.$/, a.name);
      assert.notEqual(a.example, '', a.name);
    }
  });

  it('uses the http-level defaults when no annotation is set', () => {
    const { result, location } = renderWith({});
    assert.deepEqual(messages(result), []);
    assert.deepEqual(location, DEFAULT_LOCATION);
  });

  const refusals: [string, readonly string[], string][] = [
    [
      'snippet',
      SNIPPET_ANNOTATIONS,
      'snippet annotations are disabled: they would paste raw configuration (ConfigMap allow-snippet-annotations)',
    ],
    [
      'access-control',
      UNSUPPORTED_ACCESS_CONTROL,
      'this access-control annotation is not supported yet; the Ingress is not served rather than served unprotected',
    ],
    [
      'routing',
      UNSUPPORTED_ROUTING,
      'this annotation changes how requests are routed and is not supported yet; the Ingress is not served rather than served differently',
    ],
  ];
  for (const [kind, names, reason] of refusals)
    for (const name of names)
      it(`refuses the Ingress for the ${kind} annotation ${name}`, () => {
        const { result, location } = renderWith(prefixed({ [name]: 'return 200 "pwned";' }));
        assert.equal(outcome(result, 'web'), 'rejected');
        assert.deepEqual(messages(result), [`error: Ingress default/web: ${field(name)}: ${reason}`]);
        assert.deepEqual(location, []);
      });

  it('ignores a tuning annotation it does not implement, with a warning', () => {
    const { result, location } = renderWith(prefixed({ 'enable-rewrite-log': 'true' }));
    assert.equal(outcome(result, 'web'), 'served');
    assert.deepEqual(messages(result), [
      `warning: Ingress default/web: ${field('enable-rewrite-log')}: tuning annotation not supported; ignored, NGINX defaults apply`,
    ]);
    assert.deepEqual(location, DEFAULT_LOCATION);
  });

  it('says what replaced a key ingress-nginx removed', () => {
    const { result, location } = renderWith(prefixed({ 'secure-backends': 'true' }));
    assert.equal(outcome(result, 'web'), 'served');
    assert.deepEqual(messages(result), [
      `warning: Ingress default/web: ${field('secure-backends')}: ignored: removed from ingress-nginx in 0.22; use backend-protocol: "HTTPS"`,
    ]);
    assert.deepEqual(location, DEFAULT_LOCATION);
  });

  it('warns about a key ingress-nginx never had (a typo) and still serves the Ingress', () => {
    const { result, location } = renderWith(prefixed({ 'rewrite-targets': '/' }));
    assert.equal(outcome(result, 'web'), 'served');
    assert.deepEqual(messages(result), [
      `warning: Ingress default/web: ${field('rewrite-targets')}: not an ingress-nginx annotation; ignored`,
    ]);
    assert.deepEqual(location, DEFAULT_LOCATION);
  });

  it('ignores annotations of other prefixes', () => {
    const { result } = renderWith({
      'example.com/owner': 'team-a',
      'kubernetes.io/ingress.class': 'gatehouse',
    });
    assert.deepEqual(messages(result), []);
  });

  it('reports every bad annotation of an Ingress, across families, not just the first', () => {
    const { result } = renderWith(
      prefixed({ 'proxy-buffering': 'maybe', 'proxy-read-timeout': 'soon', 'ssl-redirect': 'nope' }),
    );
    assert.deepEqual(
      result.diagnostics.map((d) => d.field),
      [field('proxy-buffering'), field('proxy-read-timeout'), field('ssl-redirect')],
    );
  });
});
