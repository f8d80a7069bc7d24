// The config history (src/observability/config-history.ts) names the objects that triggered each config,
// but keeps at most 100 of their names: the first config of a large cluster is triggered by every object.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigHistory } from '../../src/observability/config-history.ts';
import { render } from '../../src/render/render.ts';
import { translate } from '../../src/translate/translate.ts';
import { ingress, ingressClass } from '../support/fixtures.ts';
import { OPTIONS, PATHS, snapshotOf } from './harness.ts';

describe('config history', () => {
  it('names at most 100 triggering objects and counts the rest', () => {
    const objects = [
      ingressClass(),
      ...Array.from({ length: 150 }, (_, i) =>
        ingress({
          name: `app-${i}`,
          rules: [{ host: `app-${i}.test`, paths: [{ service: 'svc', port: 80 }] }],
        }),
      ),
    ];
    const snapshot = snapshotOf(objects);
    const result = translate(snapshot, OPTIONS);
    const rendered = render(result.model, PATHS);
    const history = new ConfigHistory();
    const report = { snapshot, result, rendered, checksum: rendered.checksum, seconds: 1 } as const;
    history.observe({ ...report, outcome: 'started' }, new Date());
    const triggers = history.history()[0]?.triggers ?? [];
    assert.equal(triggers.length, 101);
    assert.equal(triggers[0], '+Ingress default/app-0');
    assert.equal(triggers.at(-1), '(and 51 more)');

    const one = snapshotOf([...objects.slice(0, -1), ingress({ name: 'app-149', rules: [] })]);
    const next = translate(one, OPTIONS);
    const nextRendered = render(next.model, PATHS);
    history.observe(
      {
        snapshot: one,
        result: next,
        rendered: nextRendered,
        checksum: nextRendered.checksum,
        outcome: 'reloaded',
        seconds: 1,
      },
      new Date(),
    );
    assert.deepEqual(history.history()[0]?.triggers, ['~Ingress default/app-149']);
  });
});
