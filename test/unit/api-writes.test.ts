// The API-server write helpers: how long to wait before a retry, which failures are retried, the token
// bucket, and the bound on writes in flight.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiException } from '@kubernetes/client-node';
import {
  forEachLimited,
  isRetryable,
  retryAfterMs,
  retryDelayMs,
  TokenBucket,
  withRetry,
} from '../../src/status/api-writes.ts';

const POLICY = { attempts: 4, baseDelayMs: 100, maxDelayMs: 1000, throttledForMs: 200 };
const unavailable = (): ApiException<unknown> => new ApiException(503, 'Service Unavailable', {}, {});
const throttled = (retryAfter?: string): ApiException<unknown> =>
  new ApiException(
    429,
    'Too Many Requests',
    {},
    retryAfter === undefined ? {} : { 'retry-after': retryAfter },
  );

void describe('retry delays', () => {
  void it('honour Retry-After in seconds or as a date, capped at a minute', () => {
    assert.equal(retryAfterMs(throttled('3')), 3000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(retryAfterMs(throttled('Thu, 01 Jan 2026 00:00:05 GMT'), now), 5000);
    assert.equal(retryAfterMs(throttled('3600')), 60_000);
    assert.equal(retryAfterMs(throttled()), undefined);
    assert.equal(retryAfterMs(new Error('socket hang up')), undefined);
    assert.equal(retryDelayMs(throttled('2'), 0, POLICY), 2000);
  });

  void it('back off exponentially with jitter, up to the maximum, without Retry-After', () => {
    assert.equal(retryDelayMs(throttled(), 0, POLICY, 0), 50);
    assert.equal(retryDelayMs(throttled(), 0, POLICY, 1), 100);
    assert.equal(retryDelayMs(throttled(), 2, POLICY, 1), 400);
    assert.equal(retryDelayMs(throttled(), 9, POLICY, 1), 1000);
  });

  void it('retry throttling, server errors and lost connections, not refusals', () => {
    assert.ok(isRetryable(throttled()));
    assert.ok(isRetryable(new ApiException(503, 'unavailable', {}, {})));
    assert.ok(isRetryable(new Error('ECONNRESET')));
    for (const code of [400, 403, 404, 409, 422]) assert.ok(!isRetryable(new ApiException(code, '', {}, {})));
  });
});

void describe('withRetry', () => {
  void it('tries again after a throttled answer and returns the result', async () => {
    let calls = 0;
    const waits: number[] = [];
    // A minute to wait out throttling (POLICY's 200 ms is not always enough for three calls on a loaded machine).
    const result = await withRetry(
      () => (++calls < 3 ? Promise.reject(throttled('0')) : Promise.resolve('ok')),
      { ...POLICY, throttledForMs: 60_000 },
      new AbortController().signal,
      (_e, delay) => waits.push(delay),
    );
    assert.equal(result, 'ok');
    assert.equal(calls, 3);
    assert.deepEqual(waits, [0, 0]);
  });

  void it('waits out throttling beyond the attempts, for throttledForMs', async () => {
    let calls = 0;
    // A minute to wait out throttling: ten immediate retries fit in it however loaded the machine is.
    const result = await withRetry(
      () => (++calls <= 10 ? Promise.reject(throttled('0')) : Promise.resolve('ok')),
      { ...POLICY, throttledForMs: 60_000 },
      new AbortController().signal,
    );
    assert.equal(result, 'ok');
    assert.equal(calls, 11, 'ten 429s did not use up four attempts');
    const started = Date.now();
    await assert.rejects(
      withRetry(() => Promise.reject(throttled('0')), POLICY, new AbortController().signal),
    );
    assert.ok(Date.now() - started >= POLICY.throttledForMs);
  });

  void it('gives up after the last attempt, and at once on a refusal', async () => {
    let calls = 0;
    await assert.rejects(
      withRetry(() => (calls++, Promise.reject(unavailable())), POLICY, new AbortController().signal),
    );
    assert.equal(calls, POLICY.attempts);
    calls = 0;
    await assert.rejects(
      withRetry(
        () => (calls++, Promise.reject(new ApiException(403, 'forbidden', {}, {}))),
        POLICY,
        new AbortController().signal,
      ),
    );
    assert.equal(calls, 1);
  });
});

void describe('TokenBucket', () => {
  void it('allows the burst, then the refill rate', () => {
    let now = 0;
    const bucket = new TokenBucket(2, 3, () => now);
    assert.deepEqual(
      [1, 2, 3, 4].map(() => bucket.tryTake()),
      [true, true, true, false],
    );
    now = 499;
    assert.equal(bucket.tryTake(), false);
    now = 500;
    assert.equal(bucket.tryTake(), true);
    now = 10_000;
    assert.deepEqual(
      [1, 2, 3, 4].map(() => bucket.tryTake()),
      [true, true, true, false],
    );
  });
});

void describe('forEachLimited', () => {
  void it('runs every item with no more than the limit in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const done: number[] = [];
    await forEachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight -= 1;
      done.push(n);
    });
    assert.equal(most, 3);
    assert.deepEqual(
      done.sort((a, b) => a - b),
      [1, 2, 3, 4, 5, 6, 7],
    );
  });
});
