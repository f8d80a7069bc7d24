import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { WatchdogWatch } from '../../src/sources/kube/supervised-watch.ts';

type Callback = (phase: string, obj: unknown) => void;
type Done = (err: unknown) => void;

/** Stands in for client-node's Watch: records the request and lets the test play the API server. */
function fakeWatch(): {
  inner: {
    watch: (p: string, q: Record<string, unknown>, cb: Callback, done: Done) => Promise<AbortController>;
  };
  params: () => Record<string, unknown>;
  send: (phase: string) => void;
  close: (err: unknown) => void;
  controller: AbortController;
} {
  const controller = new AbortController();
  let callback: Callback = () => undefined;
  let finish: Done = () => undefined;
  let query: Record<string, unknown> = {};
  return {
    inner: {
      watch: (_path, q, cb, done) => {
        query = q;
        callback = cb;
        finish = done;
        return Promise.resolve(controller);
      },
    },
    params: () => query,
    send: (phase) => callback(phase, { metadata: { resourceVersion: '2' } }),
    close: (err) => finish(err),
    controller,
  };
}

describe('WatchdogWatch', () => {
  it('asks for bookmarks and a server-side timeout, keeping the caller’s parameters', async () => {
    const fake = fakeWatch();
    const watch = new WatchdogWatch(fake.inner, { serverTimeoutSeconds: 300, idleTimeoutMs: 10_000 });
    await watch.watch(
      '/api/v1/services',
      { resourceVersion: '7' },
      () => undefined,
      () => undefined,
    );
    assert.deepEqual(fake.params(), { resourceVersion: '7', allowWatchBookmarks: true, timeoutSeconds: 300 });
    fake.close(null); // let the idle timer go
  });

  it('aborts a watch that stays silent and reports it as an error, once', async () => {
    const fake = fakeWatch();
    const errors: unknown[] = [];
    const watch = new WatchdogWatch(fake.inner, { serverTimeoutSeconds: 1, idleTimeoutMs: 60 });
    await watch.watch(
      '/apis/networking.k8s.io/v1/ingresses',
      {},
      () => undefined,
      (err) => errors.push(err),
    );
    await sleep(150);
    assert.equal(fake.controller.signal.aborted, true);
    assert.equal(errors.length, 1);
    assert.match(
      String(errors[0]),
      /watch on \/apis\/networking\.k8s\.io\/v1\/ingresses stalled: no event for 60 ms/,
    );
    fake.close(new Error('aborted')); // the aborted request's own report is swallowed
    assert.equal(errors.length, 1);
  });

  it('keeps a watch that receives events (bookmarks included) alive', async () => {
    const fake = fakeWatch();
    const seen: string[] = [];
    const errors: unknown[] = [];
    const watch = new WatchdogWatch(fake.inner, { serverTimeoutSeconds: 1, idleTimeoutMs: 80 });
    await watch.watch(
      '/api/v1/secrets',
      {},
      (phase) => seen.push(phase),
      (err) => errors.push(err),
    );
    for (let i = 0; i < 6; i++) {
      await sleep(30);
      fake.send(i % 2 === 0 ? 'BOOKMARK' : 'MODIFIED');
    }
    assert.deepEqual(errors, []);
    assert.equal(fake.controller.signal.aborted, false);
    assert.equal(seen.length, 6);
    fake.close(null);
    await sleep(120);
    assert.deepEqual(errors, [null], 'a normal end is passed on as is, and no stall follows it');
  });
});
