// Translate's memo (src/translate/translate-memo.ts) keeps only the hosts of the last translate: a host
// that went away and comes back with the very same Ingress is built again from what is there then, not
// taken from a translate before it went away.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { translate } from '../../src/translate/translate.ts';
import { TranslateMemo } from '../../src/translate/translate-memo.ts';
import { ingress, ingressClass, serviceWithEndpoints } from '../support/fixtures.ts';
import { OPTIONS, snapshotOf } from './harness.ts';

describe('translate memo', () => {
  it('builds a host that comes back with the same Ingress from the Services of now', () => {
    const web = ingress({
      name: 'web',
      rules: [{ host: 'web.example.com', paths: [{ path: '/', service: 'web', port: 80 }] }],
    });
    const other = ingress({
      name: 'other',
      rules: [{ host: 'other.example.com', paths: [{ path: '/', service: 'web', port: 80 }] }],
    });
    const before = serviceWithEndpoints('web', [{ ip: '10.0.0.1', port: 8080 }]);
    const after = serviceWithEndpoints('web', [{ ip: '10.0.0.2', port: 8080 }]);
    const pods = (ip: string) => (ip === '10.0.0.1' ? before : after);
    const memo = new TranslateMemo();
    const run = (objects: KubernetesObject[]) => translate(snapshotOf(objects), OPTIONS, memo);
    run([ingressClass(), web, other, ...pods('10.0.0.1')]);
    run([ingressClass(), other, ...pods('10.0.0.1')]);
    // The pods change while web.example.com is gone; other.example.com keeps the namespace seen.
    run([ingressClass(), other, ...pods('10.0.0.2')]);
    const back = run([ingressClass(), web, other, ...pods('10.0.0.2')]);
    const fresh = translate(snapshotOf([ingressClass(), web, other, ...pods('10.0.0.2')]), OPTIONS);
    assert.deepEqual(back.model, fresh.model);
    assert.deepEqual(
      back.model.upstreams.map((u) => u.endpoints.map((e) => e.host)),
      [['10.0.0.2']],
    );
  });
});
