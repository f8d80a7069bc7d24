import { refKey, type ObjectRef } from '../model/diagnostics.ts';

/**
 * Finds every object that makes NGINX refuse a config when NGINX's message names none: binary search over
 * the objects that reached the config, one culprit at a time, with no cap on how many there are.
 *
 * `passes(excluded)` tests the config made without the objects whose keys are in `excluded`. Failures are
 * assumed monotone (an object that breaks a config breaks any config that holds it), which is how NGINX
 * refuses configs. Each culprit costs about log2(n) tests; objects already known to be fine are not
 * tested again. Resolves `undefined` when the config fails even without every candidate: then no object is
 * to blame (and leaving objects out would not help).
 */
export async function findCulprits(
  candidates: readonly ObjectRef[],
  passes: (excluded: ReadonlySet<string>) => Promise<boolean>,
): Promise<ObjectRef[] | undefined> {
  const keys = candidates.map(refKey);
  const culprits: number[] = [];
  const excluding = (fromIndex: number): Set<string> =>
    new Set([...culprits.map((i) => keys[i] ?? ''), ...keys.slice(fromIndex)]);
  if (!(await passes(excluding(0)))) return undefined;
  // Invariant: the config with candidates [0, good) (minus culprits found so far) passes.
  let good = 0;
  for (;;) {
    if (await passes(excluding(keys.length))) break;
    // Smallest prefix end that fails: its last object is a culprit.
    let lo = good;
    let hi = keys.length;
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (await passes(excluding(mid))) lo = mid;
      else hi = mid;
    }
    const culprit = hi - 1;
    culprits.push(culprit);
    // Without the culprit, the prefix up to it is the prefix that passed just before it.
    good = hi;
    if (good >= keys.length) break;
  }
  return culprits.map((i) => candidates[i]).filter((c): c is ObjectRef => c !== undefined);
}
