import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets its old generation grow past what the last full collection left live before it collects
 * again, in percent (README, Performance), once `serve` has its first config served: the start's whole
 * build keeps V8's own factor (at 20 % from the start, the 10,000-Ingress start took 47 s instead of 28).
 * Unset, V8 picks a factor of its own between 1.1 and 4 (at most about 1.6 under the image's 1 GiB cap): at
 * 10,000 Ingresses the leader's heap grew to ~1.6× its ~170 MB live during the status pass and each edit,
 * and the process kept those pages. Node refuses this V8 flag in NODE_OPTIONS, so the image sets it through
 * this variable (the chart's `controller.extraEnvs` may change it).
 */
export const HEAP_GROWING_PERCENT_ENV = 'GATEHOUSE_HEAP_GROWING_PERCENT';

/** The percentage the variable asks for; undefined when unset or empty. Throws on anything else than 1–1000. */
export function heapGrowingPercent(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const percent = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!(percent >= 1 && percent <= 1000))
    throw new Error(`${HEAP_GROWING_PERCENT_ENV} must be a whole number from 1 to 1000, not "${value}"`);
  return percent;
}

/**
 * Applies the variable's setting to V8 (from its next collection on) and returns it; checked at start by
 * heapGrowingPercent.
 */
export function applyHeapGrowth(env: Readonly<Record<string, string | undefined>>): number | undefined {
  const percent = heapGrowingPercent(env[HEAP_GROWING_PERCENT_ENV]);
  if (percent !== undefined) setFlagsFromString(`--heap-growing-percent=${percent}`);
  return percent;
}
