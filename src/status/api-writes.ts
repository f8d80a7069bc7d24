import { setTimeout as sleep } from 'node:timers/promises';

/**
 * How Gatehouse writes to the API server without flooding it: retries with exponential backoff that honour
 * the server's `Retry-After`, a token bucket for rate, and a bound on requests in flight.
 */

export interface RetryPolicy {
  /** Failed tries in all, the first included; throttled answers (429) do not count. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /**
   * How long throttled answers are waited out. A 429 says the server is up and busy, and when to come
   * back: under a burst (a new leader writing 1,000 statuses) a write may be told to wait many times.
   */
  readonly throttledForMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 6,
  baseDelayMs: 250,
  maxDelayMs: 30_000,
  throttledForMs: 300_000,
};

/** The longest `Retry-After` honoured; a server asking for more is asked again sooner. */
const MAX_RETRY_AFTER_MS = 60_000;

/** HTTP status of a client-node ApiException, or undefined for a network error. */
export function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** Whether a failed write may succeed when sent again: throttled, server trouble, or no answer at all. */
export function isRetryable(error: unknown): boolean {
  const status = statusOf(error);
  return status === undefined || status === 429 || status >= 500;
}

/** `Retry-After` of a throttled answer in ms (delta-seconds or an HTTP date), capped; undefined if none. */
export function retryAfterMs(error: unknown, now = Date.now()): number | undefined {
  const headers = (error as { headers?: Record<string, string> | null } | null)?.headers;
  if (headers === undefined || headers === null) return undefined;
  const value = Object.entries(headers).find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
  if (value === undefined) return undefined;
  const seconds = /^\s*\d+\s*$/.test(value) ? Number(value) * 1000 : Date.parse(value) - now;
  return Number.isFinite(seconds) ? Math.min(Math.max(0, seconds), MAX_RETRY_AFTER_MS) : undefined;
}

/** Delay before try number `attempt + 1`: Retry-After when the server gave one, else backoff with jitter. */
export function retryDelayMs(
  error: unknown,
  attempt: number,
  policy: RetryPolicy,
  random = Math.random(),
): number {
  const asked = retryAfterMs(error);
  if (asked !== undefined) return asked;
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.round(backoff / 2 + (backoff / 2) * random);
}

/**
 * Runs `write` until it succeeds, fails in a way retrying cannot help, the attempts run out (or, while
 * throttled, `throttledForMs`), or `signal` aborts; then throws the last error. `onRetry` hears about each
 * retry (for a log line).
 */
export async function withRetry<T>(
  write: () => Promise<T>,
  policy: RetryPolicy,
  signal: AbortSignal,
  onRetry: (error: unknown, delayMs: number, attempt: number) => void = () => undefined,
): Promise<T> {
  const started = Date.now();
  let failures = 0;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await write();
    } catch (error) {
      const throttled = statusOf(error) === 429;
      if (!throttled) failures += 1;
      const spent = throttled ? Date.now() - started >= policy.throttledForMs : failures >= policy.attempts;
      if (spent || !isRetryable(error) || signal.aborted) throw error;
      const delay = retryDelayMs(error, attempt, policy);
      onRetry(error, delay, attempt + 1);
      if (!(await pause(delay, signal))) throw error;
    }
  }
}

/** Sleeps; false when `signal` aborted meanwhile. */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  return sleep(ms, true, { signal }).catch(() => false);
}

/** Runs `task` on every item with at most `limit` running at once; resolves when all have settled. */
export async function forEachLimited<T>(
  items: Iterable<T>,
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  const iterator = items[Symbol.iterator]();
  const worker = async (): Promise<void> => {
    for (let next = iterator.next(); next.done !== true; next = iterator.next()) await task(next.value);
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker));
}

/** A token bucket: `burst` tokens, refilled at `perSecond`. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly perSecond: number;
  private readonly burst: number;
  private readonly now: () => number;

  constructor(perSecond: number, burst: number, now: () => number = Date.now) {
    this.perSecond = perSecond;
    this.burst = burst;
    this.tokens = burst;
    this.now = now;
    this.last = now();
  }

  /** Takes a token if one is there. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Waits for a token (or for `signal` to abort, then resolves false). */
  async take(signal: AbortSignal): Promise<boolean> {
    while (!this.tryTake()) {
      if (signal.aborted) return false;
      const wait = Math.ceil(((1 - this.tokens) / this.perSecond) * 1000);
      if (!(await pause(Math.max(1, wait), signal))) return false;
    }
    return true;
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
  }
}
