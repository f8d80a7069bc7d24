// The shape every annotation family's test takes: a table of valid values (what the location then
// holds), a table of invalid values (the diagnostic), and the check that both tables cover every key of
// the family. Each family has its own `<concern>.test.ts` beside this file.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { ANNOTATION_PREFIX, type AnnotationFamily } from '../../../src/annotations/spec.ts';
import {
  certificateFor,
  configMap,
  ingress,
  ingressClass,
  serviceWithEndpoints,
  tlsSecret,
  type PathSpec,
  type TestCertificate,
} from '../../support/fixtures.ts';
import type { TranslateOptions } from '../../../src/translate/translate.ts';
import { messages, outcome, renderObjects } from '../harness.ts';

let cert: TestCertificate | undefined;
before(async () => {
  cert = await certificateFor('web.example.com');
});

/** The location of an Ingress with no annotation: everything else is inherited from the http block. */
/** The admin's consent to snippets: allow-snippet-annotations and the Critical risk level. */
export const SNIPPETS_ALLOWED = {
  objects: [configMap({ 'allow-snippet-annotations': 'true', 'annotations-risk-level': 'Critical' })],
  options: { configMap: { namespace: 'ops', name: 'gatehouse' } },
};

export const DEFAULT_LOCATION = [
  'location "/" {',
  'set $gatehouse_upstream default_web_80;',
  'proxy_pass http://gatehouse_balancer;',
];

export interface RenderOptions {
  readonly tls?: boolean | undefined;
  /** Translate options (the controller ConfigMap). */
  readonly options?: Partial<TranslateOptions> | undefined;
  /** The Ingress's paths (service web, port 80); default one Prefix `/`. */
  readonly paths?: readonly Omit<PathSpec, 'service' | 'port'>[] | undefined;
  /** More objects in the snapshot (Secrets, ConfigMaps, Services the annotations name). */
  readonly objects?: readonly KubernetesObject[] | undefined;
}

/**
 * Renders one Ingress (`web`, host web.example.com) with the given annotations and returns its first
 * location block, from the `location` line on, line by line.
 */
export function renderWith(
  annotations: Record<string, string>,
  { tls = false, paths, objects: extra = [], options = {} }: RenderOptions = {},
) {
  if (cert === undefined) throw new Error('renderWith runs inside a test');
  const objects: KubernetesObject[] = [
    ingressClass(),
    ingress({
      name: 'web',
      annotations,
      ...(tls ? { tls: [{ secretName: 'web-tls' }] } : {}),
      rules: [
        {
          host: 'web.example.com',
          paths: (paths ?? [{}]).map((p) => ({ ...p, service: 'web', port: 80 })),
        },
      ],
    }),
    ...serviceWithEndpoints('web', [{ ip: '10.0.0.1', port: 8080 }], { clusterIP: '10.96.0.10' }),
    ...(tls ? [tlsSecret('web-tls', cert)] : []),
    ...extra,
  ];
  const { result, conf, dynamic } = renderObjects(objects, options);
  const server = conf.slice(conf.indexOf('server_name web.example.com;'));
  const location = /# ingress default\/web\n {8}(location [^\n]*\{\n[^]*?)\n {8}\}/.exec(server)?.[1];
  return {
    result,
    conf,
    /** What is pushed to NGINX at run time (canary and affinity policies among it). */
    dynamic,
    /** The location's lines, trimmed; empty when the Ingress was not served. */
    location: location === undefined ? [] : location.split('\n').map((l) => l.trim()),
  };
}

export interface ValidCase {
  readonly annotation: string;
  readonly value: string;
  /** Other annotations set alongside. */
  readonly with?: Record<string, string>;
  readonly tls?: boolean;
  readonly paths?: RenderOptions['paths'];
  readonly objects?: RenderOptions['objects'];
  readonly options?: RenderOptions['options'];
  /** Lines the location must hold (its `location … {` line included), and lines it must not. */
  readonly has: readonly string[];
  readonly lacks?: readonly string[];
  /** Lines the whole nginx.conf must hold (http-level blocks such as `geo`), trimmed. */
  readonly conf?: readonly string[];
}

export interface InvalidCase {
  readonly annotation: string;
  readonly value: string;
  readonly with?: Record<string, string>;
  readonly paths?: RenderOptions['paths'];
  readonly objects?: RenderOptions['objects'];
  readonly options?: RenderOptions['options'];
  readonly reason: string;
}

/** The valid/invalid tables of one family, and the check that they cover each of its keys. */
export function familyTable(
  family: AnnotationFamily,
  valid: readonly ValidCase[],
  invalid: readonly InvalidCase[],
): void {
  describe(`annotation family ${family.concern}`, () => {
    it('has a valid and an invalid case for every key and alias', () => {
      const names = family.specs.map((s) => s.name).sort();
      assert.deepEqual([...new Set(valid.map((c) => c.annotation))].sort(), names);
      assert.deepEqual([...new Set(invalid.map((c) => c.annotation))].sort(), names);
    });

    for (const c of valid) {
      it(`${c.annotation}: ${JSON.stringify(c.value)} is applied`, () => {
        const { result, location, conf } = renderWith(
          { ...prefixed(c.with ?? {}), [ANNOTATION_PREFIX + c.annotation]: c.value },
          { tls: c.tls, paths: c.paths, objects: c.objects, options: c.options },
        );
        const confLines = conf.split('\n').map((l) => l.trim());
        for (const line of c.conf ?? []) assert.ok(confLines.includes(line), `missing ${line} in nginx.conf`);
        assert.deepEqual(messages(result), []);
        assert.equal(outcome(result, 'web'), 'served');
        for (const line of c.has)
          assert.ok(location.includes(line), `missing ${line} in\n${location.join('\n')}`);
        for (const line of c.lacks ?? []) assert.ok(!location.includes(line), `unexpected ${line}`);
      });
    }

    for (const c of invalid) {
      it(`${c.annotation}: ${JSON.stringify(c.value)} rejects the Ingress`, () => {
        const key = ANNOTATION_PREFIX + c.annotation;
        const { result, location } = renderWith(
          { ...prefixed(c.with ?? {}), [key]: c.value },
          { paths: c.paths, objects: c.objects, options: c.options },
        );
        assert.equal(outcome(result, 'web'), 'rejected');
        assert.deepEqual(messages(result), [
          `error: Ingress default/web: metadata.annotations[${key}]: ${c.reason}`,
        ]);
        assert.deepEqual(location, []);
      });
    }
  });
}

export function prefixed(annotations: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(annotations).map(([k, v]) => [ANNOTATION_PREFIX + k, v]));
}
