import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { findCulprits } from '../../src/controller/culprit-search.ts';
import { refKey, type ObjectRef } from '../../src/model/diagnostics.ts';

const objects = (n: number): ObjectRef[] =>
  Array.from({ length: n }, (_, i) => ({ kind: 'Ingress', namespace: 'team', name: `ing-${i}` }));

/** NGINX as the search sees it: a config fails while it holds any culprit. */
function nginxRefusing(culprits: readonly ObjectRef[]): {
  passes: (excluded: ReadonlySet<string>) => Promise<boolean>;
  tests: () => number;
} {
  let tests = 0;
  return {
    passes: (excluded) => {
      tests += 1;
      return Promise.resolve(culprits.every((c) => excluded.has(refKey(c))));
    },
    tests: () => tests,
  };
}

describe('findCulprits: the objects behind a refusal NGINX does not attribute', () => {
  it('finds every culprit, however many, and nothing else', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: 300 })
          .chain((n) =>
            fc.tuple(fc.constant(n), fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: 12 })),
          ),
        async ([n, picks]) => {
          const all = objects(n);
          const culprits = picks.map((i) => all[i]!);
          const nginx = nginxRefusing(culprits);
          const found = await findCulprits(all, nginx.passes);
          assert.deepEqual(new Set(found?.map(refKey)), new Set(culprits.map(refKey)));
          // About log2(n) tests per culprit, never a test per object.
          const bound = 2 + culprits.length * (Math.ceil(Math.log2(n + 1)) + 1);
          assert.ok(nginx.tests() <= bound, `${nginx.tests()} tests for ${culprits.length} of ${n}`);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('finds ten culprits among 10,000 objects in under 200 tests', async () => {
    const all = objects(10_000);
    const culprits = [3, 17, 999, 1000, 4321, 5000, 7777, 8888, 9998, 9999].map((i) => all[i]!);
    const nginx = nginxRefusing(culprits);
    const found = await findCulprits(all, nginx.passes);
    assert.deepEqual(found, culprits);
    assert.ok(nginx.tests() < 200, `${nginx.tests()} tests`);
  });

  it('blames nothing when the config fails even without every object', async () => {
    const found = await findCulprits(objects(5), () => Promise.resolve(false));
    assert.equal(found, undefined);
  });

  it('finds the later object of a pair that fails only together', async () => {
    const all = objects(8);
    const found = await findCulprits(all, (excluded) =>
      Promise.resolve(excluded.has(refKey(all[2]!)) || excluded.has(refKey(all[6]!))),
    );
    assert.deepEqual(found, [all[6]]);
  });
});
