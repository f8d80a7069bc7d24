import type { Watch } from '@kubernetes/client-node';

type WatchCallback = (phase: string, apiObj: unknown, watchObj?: unknown) => void;
type DoneCallback = (err: unknown) => void;

/** The subset of client-node's Watch that ListWatch uses; the seam that lets us add a watchdog. */
export interface WatchLike {
  watch(
    path: string,
    queryParams: Record<string, unknown>,
    callback: WatchCallback,
    done: DoneCallback,
  ): Promise<AbortController>;
}

export interface WatchdogOptions {
  /** Asks the API server to end each watch after this long; the informer then re-watches from its version. */
  readonly serverTimeoutSeconds: number;
  /** A watch with no event (bookmarks included) for this long is considered stalled and aborted. */
  readonly idleTimeoutMs: number;
}

/**
 * Wraps client-node's Watch: requests bookmarks and a server-side timeout, and aborts a watch that has gone
 * silent (a half-open connection after an API server outage otherwise hangs forever). An aborted watch
 * reports an error, which the informer's supervisor answers with a restart.
 */
export class WatchdogWatch implements WatchLike {
  private readonly inner: Pick<Watch, 'watch'>;
  private readonly options: WatchdogOptions;

  constructor(inner: Pick<Watch, 'watch'>, options: WatchdogOptions) {
    this.inner = inner;
    this.options = options;
  }

  async watch(
    path: string,
    queryParams: Record<string, unknown>,
    callback: WatchCallback,
    done: DoneCallback,
  ): Promise<AbortController> {
    let timer: NodeJS.Timeout | undefined;
    let finished = false;
    const state: { controller?: AbortController } = {};
    // One timer per watch, not one per event (the leader's status pass brings 10,000 events in a minute):
    // each event notes its time, and the timer, when it fires, waits again for what is left of the idle time.
    const idleMs = this.options.idleTimeoutMs;
    let lastEvent = performance.now();
    const wait = (ms: number): void => {
      timer = setTimeout(check, ms);
      timer.unref();
    };
    const check = (): void => {
      if (finished) return;
      const idle = performance.now() - lastEvent;
      if (idle < idleMs) {
        wait(idleMs - idle);
        return;
      }
      finished = true;
      state.controller?.abort();
      done(new Error(`watch on ${path} stalled: no event for ${idleMs} ms`));
    };
    wait(idleMs);
    const controller = await this.inner.watch(
      path,
      { ...queryParams, allowWatchBookmarks: true, timeoutSeconds: this.options.serverTimeoutSeconds },
      (phase, obj, watchObj) => {
        lastEvent = performance.now();
        callback(phase, obj, watchObj);
      },
      (err) => {
        if (timer !== undefined) clearTimeout(timer);
        if (finished) return;
        finished = true;
        done(err);
      },
    );
    state.controller = controller;
    return controller;
  }
}
