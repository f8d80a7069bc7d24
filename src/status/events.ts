import { hash } from 'node:crypto';
import { CoreV1Api, PatchStrategy, setHeaderOptions, type CoreV1Event } from '@kubernetes/client-node';
import type { Logger } from 'winston';
import type { Diagnostic, ObjectRef } from '../model/diagnostics.ts';
import {
  DEFAULT_RETRY,
  forEachLimited,
  statusOf,
  TokenBucket,
  withRetry,
  type RetryPolicy,
} from './api-writes.ts';
import type { IngressLookup } from './ingress-status.ts';

export interface EventIntent {
  readonly object: ObjectRef;
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/** The longest Event message the API server keeps (it truncates at 1 KiB). */
const MAX_MESSAGE = 1024;

/** Turns diagnostics and outcomes into the Events `kubectl describe ingress` shows. Pure. */
export function eventIntents(
  diagnostics: readonly Diagnostic[],
  served: readonly ObjectRef[],
): EventIntent[] {
  const intents: EventIntent[] = [];
  for (const d of diagnostics) {
    if (d.object.kind !== 'Ingress') continue;
    const reason = d.severity === 'error' ? 'Rejected' : d.conflict === true ? 'Conflict' : 'Degraded';
    const where = d.field === '' ? '' : `${d.field}: `;
    intents.push({ object: d.object, type: 'Warning', reason, message: `${where}${d.reason}` });
  }
  for (const ref of served)
    intents.push({
      object: ref,
      type: 'Normal',
      reason: 'Served',
      message: 'Ingress is served by Gatehouse',
    });
  return intents;
}

/**
 * One Event per object and reason, as the Kubernetes event recorder aggregates similar events: the
 * messages of every intent with that reason, sorted, joined and cut to what the API server keeps. Pure.
 */
export function aggregateIntents(intents: readonly EventIntent[]): EventIntent[] {
  // Most objects have one intent per reason (every served Ingress its "Served"): those are handed on as
  // they are, and only a group of several gets a set of messages (10,000 intents at 10,000 Ingresses).
  const firsts = new Map<string, EventIntent>();
  const more = new Map<string, Set<string>>();
  for (const intent of intents) {
    const key = `${intent.object.namespace}/${intent.object.name}\0${intent.type}\0${intent.reason}`;
    const first = firsts.get(key);
    if (first === undefined) {
      firsts.set(key, intent);
      continue;
    }
    const messages = more.get(key) ?? new Set([first.message]);
    messages.add(intent.message);
    more.set(key, messages);
  }
  const events: EventIntent[] = [];
  for (const [key, first] of firsts) {
    const messages = more.get(key);
    const message = joinMessages(messages === undefined ? [first.message] : [...messages].sort());
    events.push(message === first.message ? first : { ...first, message });
  }
  return events;
}

function joinMessages(messages: readonly string[]): string {
  if (messages.length === 1) return (messages[0] ?? '').slice(0, MAX_MESSAGE);
  const head = `${messages.length} problems: `;
  let text = head;
  for (const [i, m] of messages.entries()) {
    const rest = messages.length - i - 1;
    const tail = rest > 0 ? ` (and ${rest} more)` : '';
    const piece = `${i === 0 ? '' : '; '}${m}`;
    if (text.length + piece.length + tail.length > MAX_MESSAGE) {
      const more = ` (and ${messages.length - i} more)`;
      return i === 0 ? `${head}${m}`.slice(0, MAX_MESSAGE - more.length) + more : text + more;
    }
    text += piece;
  }
  return text;
}

/**
 * The Event's name: the same for an object (uid) and reason on every replica, so a new leader finds the
 * Event its predecessor posted instead of posting another.
 */
export function eventName(objectName: string, uid: string, type: string, reason: string): string {
  const digest = hash('sha256', `${uid}\0${type}\0${reason}`, 'hex').slice(0, 16);
  return `${objectName.slice(0, 253 - 17)}.${digest}`;
}

export interface EventRecorderOptions {
  readonly api: CoreV1Api;
  readonly logger: Logger;
  /** This replica (`reportingInstance`). */
  readonly instance: string;
  /** Writes to the Events API per second, and the burst allowed (all objects together). */
  readonly qps?: number;
  readonly burst?: number;
  /** Writes in flight at once. */
  readonly concurrency?: number;
  /** Writes one object may cause in a burst, then one per `objectRefillSeconds` (the recorder's spam filter). */
  readonly objectBurst?: number;
  readonly objectRefillSeconds?: number;
  readonly retry?: RetryPolicy;
  /** Only the leader writes; checked before each write. */
  readonly mayWrite: () => boolean;
}

/** An Event to post, with what it says of its Ingress (not the Ingress itself: Events may wait minutes). */
interface Wanted extends EventIntent {
  readonly uid: string;
  readonly resourceVersion: string | undefined;
}

/**
 * Posts Events about Ingresses the way the Kubernetes event recorder does: one Event per object and
 * reason; the same condition again bumps its `count` and `lastTimestamp` rather than adding an Event; a
 * message that changes updates it. The Event's name is derived from the object's uid and the reason, so a
 * new leader looks the Event up and adopts it, and says nothing while the condition merely continues.
 * Writes are rate-limited (overall and per object), bounded in number in flight, retried with backoff
 * honouring `Retry-After`, and a condition counts as posted only once the API server took the write.
 */
export class EventRecorder {
  private readonly options: EventRecorderOptions;
  private readonly limiter: TokenBucket;
  /** The spam filter's bucket per object (uid), with the object it was made for. */
  private readonly perObject = new Map<
    string,
    { readonly bucket: TokenBucket; readonly object: ObjectRef }
  >();
  /**
   * What this replica knows is on the API server, per Event name: message, whether it holds now, and the
   * object (uid, namespace and name) it is about.
   */
  private readonly known = new Map<
    string,
    { message: string; holding: boolean; readonly uid: string; readonly object: ObjectRef }
  >();
  private wanted = new Map<string, Wanted>();
  /**
   * The intents `wanted` was made from, and how many of them named no Ingress with a uid then. The leader's
   * reporter hands the same intents on at every status resync and kick until a reconcile changes them:
   * aggregating them and naming each Event again (a SHA-256 each) was a synchronous block of up to a second
   * at 10,000 Ingresses, on the leader's event loop between an endpoint push and NGINX's reply.
   */
  private wantedFrom: { intents: readonly EventIntent[]; unnamed: number } | undefined;
  private readonly pending = new Set<string>();
  private draining: Promise<void> | undefined;
  private readonly abort = new AbortController();

  constructor(options: EventRecorderOptions) {
    this.options = options;
    this.limiter = new TokenBucket(options.qps ?? 10, options.burst ?? 50);
  }

  /**
   * The Events that should hold now, about `ingresses` (their uid names each Event). Returns at once;
   * writing happens in the background, in order, within the rate limits. A later call replaces what an
   * earlier one asked for and is still unwritten.
   */
  update(intents: readonly EventIntent[], ingresses: IngressLookup): void {
    if (!this.sameAsWanted(intents, ingresses)) this.want(intents, ingresses);
    this.forgetDeleted(ingresses);
    // A condition that stopped holding is counted again when it comes back.
    for (const [name, state] of this.known) if (!this.wanted.has(name)) state.holding = false;
    for (const [name, want] of this.wanted) {
      const state = this.known.get(name);
      if (state?.holding !== true || state.message !== want.message) this.pending.add(name);
    }
    this.drain();
  }

  /**
   * Drops what is remembered of Ingresses that are gone (a uid never comes back): their posted Events and
   * spam-filter buckets, which a cluster that makes and deletes Ingresses all day would otherwise pile up.
   */
  private forgetDeleted(ingresses: IngressLookup): void {
    const gone = (uid: string, { namespace, name }: ObjectRef): boolean =>
      ingresses(namespace, name)?.metadata?.uid !== uid;
    for (const [name, state] of this.known) if (gone(state.uid, state.object)) this.known.delete(name);
    for (const [uid, { object }] of this.perObject) if (gone(uid, object)) this.perObject.delete(uid);
  }

  /** How many posted Events and objects' spam-filter buckets this recorder remembers. */
  get remembered(): { readonly events: number; readonly objects: number } {
    return { events: this.known.size, objects: this.perObject.size };
  }

  /** Whether `wanted` already says what `intents` ask for: the same intents, about Ingresses with the same uids. */
  private sameAsWanted(intents: readonly EventIntent[], ingresses: IngressLookup): boolean {
    if (this.wantedFrom?.intents !== intents || this.wantedFrom.unnamed > 0) return false;
    for (const want of this.wanted.values())
      if (ingresses(want.object.namespace, want.object.name)?.metadata?.uid !== want.uid) return false;
    return true;
  }

  private want(intents: readonly EventIntent[], ingresses: IngressLookup): void {
    const wanted = new Map<string, Wanted>();
    let unnamed = 0;
    for (const intent of aggregateIntents(intents)) {
      const ingress = ingresses(intent.object.namespace, intent.object.name);
      const uid = ingress?.metadata?.uid;
      if (ingress === undefined || uid === undefined) {
        unnamed += 1;
        continue;
      }
      wanted.set(eventName(intent.object.name, uid, intent.type, intent.reason), {
        ...intent,
        uid,
        resourceVersion: ingress.metadata?.resourceVersion,
      });
    }
    this.wanted = wanted;
    this.wantedFrom = { intents, unnamed };
  }

  /** Resolves once every pending write has been tried. */
  async idle(): Promise<void> {
    while (this.draining !== undefined) await this.draining;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.idle();
  }

  private drain(): void {
    if (this.draining !== undefined || this.abort.signal.aborted) return;
    const run = async (): Promise<void> => {
      while (this.pending.size > 0 && !this.abort.signal.aborted) {
        const batch = [...this.pending];
        this.pending.clear();
        await forEachLimited(batch, this.options.concurrency ?? 4, (name) => this.write(name));
      }
    };
    this.draining = run().finally(() => {
      this.draining = undefined;
    });
  }

  private async write(name: string): Promise<void> {
    const want = this.wanted.get(name);
    if (want === undefined || !this.options.mayWrite()) return;
    const state = this.known.get(name);
    if (state?.holding === true && state.message === want.message) return;
    // The spam filter: an object whose Events keep changing waits; its latest state is written later (the
    // next update() marks it pending again).
    let bucket = this.perObject.get(want.uid)?.bucket;
    if (bucket === undefined) {
      bucket = new TokenBucket(1 / (this.options.objectRefillSeconds ?? 300), this.options.objectBurst ?? 25);
      this.perObject.set(want.uid, { bucket, object: want.object });
    }
    if (!(await this.limiter.take(this.abort.signal))) return;
    const namespace = want.object.namespace;
    const log = { ingress: `${namespace}/${want.object.name}`, reason: want.reason };
    try {
      const existing = await this.retrying(() => this.read(namespace, name), log);
      if (existing !== undefined && state === undefined && existing.message === want.message) {
        // Posted by an earlier leader (or an earlier run of this one), and it still holds: adopt it.
        this.known.set(name, { message: want.message, holding: true, uid: want.uid, object: want.object });
        return;
      }
      if (!bucket.tryTake()) {
        this.options.logger.debug('Event held back: too many for one object', log);
        return;
      }
      if (existing === undefined) await this.retrying(() => this.create(name, want), log);
      else await this.retrying(() => this.bump(name, want, existing), log);
      this.known.set(name, { message: want.message, holding: true, uid: want.uid, object: want.object });
    } catch (error) {
      this.options.logger.warn('could not post Event', { ...log, error: (error as Error).message });
    }
  }

  private retrying<T>(call: () => Promise<T>, log: object): Promise<T> {
    return withRetry(call, this.options.retry ?? DEFAULT_RETRY, this.abort.signal, (error, delayMs) =>
      this.options.logger.info('Event write failed, retrying', {
        ...log,
        status: statusOf(error) ?? 'no answer',
        delayMs,
      }),
    );
  }

  private async read(namespace: string, name: string): Promise<CoreV1Event | undefined> {
    try {
      return await this.options.api.readNamespacedEvent({ namespace, name });
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  private async create(name: string, want: Wanted): Promise<void> {
    const at = new Date();
    const namespace = want.object.namespace;
    const body: CoreV1Event = {
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        name: want.object.name,
        namespace,
        uid: want.uid,
        ...(want.resourceVersion !== undefined ? { resourceVersion: want.resourceVersion } : {}),
      },
      type: want.type,
      reason: want.reason,
      message: want.message,
      source: { component: 'gatehouse' },
      reportingComponent: 'gatehouse.dev/ingress-controller',
      reportingInstance: this.options.instance,
      firstTimestamp: at,
      lastTimestamp: at,
      count: 1,
    };
    try {
      await this.options.api.createNamespacedEvent({ namespace, body });
    } catch (error) {
      // Another replica posted it meanwhile: count this occurrence on its Event.
      if (statusOf(error) !== 409) throw error;
      const existing = await this.read(namespace, name);
      if (existing === undefined) throw error;
      await this.bump(name, want, existing);
    }
  }

  /** The same condition again: one more in `count`, the latest message and time. */
  private async bump(name: string, want: Wanted, existing: CoreV1Event): Promise<void> {
    await this.options.api.patchNamespacedEvent(
      {
        namespace: want.object.namespace,
        name,
        body: {
          count: (existing.count ?? 1) + 1,
          message: want.message,
          lastTimestamp: new Date().toISOString(),
          reportingInstance: this.options.instance,
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }
}
