// What a TranslateResult keeps alive while it is served (until the next config is): its model and lists,
// not the working state of the translate that made it. A closure made in translate's body keeps that whole
// scope (V8 keeps one context per scope): the Service index over every Service and EndpointSlice, the
// host plans, the shared values: 11.6 MiB in the 10,000-Ingress leader at rest, 42 MiB after a whole build.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { queryObjects } from 'node:v8';
import { ServiceIndex } from '../../src/translate/backends.ts';
import { translate } from '../../src/translate/translate.ts';
import { TranslateMemo } from '../../src/translate/translate-memo.ts';
import { ingress, ingressClass, serviceWithEndpoints } from '../support/fixtures.ts';
import { OPTIONS, snapshotOf } from './harness.ts';

describe('translate result', () => {
  it('keeps no Service index alive, its objects read or not', () => {
    const snapshot = snapshotOf([
      ingressClass(),
      ingress({
        name: 'web',
        rules: [{ host: 'web.example.com', paths: [{ path: '/', service: 'web', port: 80 }] }],
      }),
      ...serviceWithEndpoints('web', [{ ip: '10.0.0.1', port: 8080 }]),
    ]);
    // queryObjects collects garbage first, then counts what is still reachable.
    const before = queryObjects(ServiceIndex, { format: 'count' });
    const result = translate(snapshot, OPTIONS, new TranslateMemo());
    assert.equal(queryObjects(ServiceIndex, { format: 'count' }), before);
    assert.deepEqual(
      result.objects.map((o) => `${o.kind} ${o.namespace}/${o.name}`),
      ['Ingress default/web', 'Service default/web'],
    );
    assert.equal(queryObjects(ServiceIndex, { format: 'count' }), before);
  });
});
