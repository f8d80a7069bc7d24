import { Resolver } from 'node:dns/promises';
import type { Logger } from 'winston';
import type { NameResolution } from '../../model/snapshot.ts';

export interface NameResolverOptions {
  /** DNS servers (`1.2.3.4`, `1.2.3.4:5353`, `[::1]:53`); default: the system's (/etc/resolv.conf). */
  readonly servers?: readonly string[];
  /** How long one try waits for an answer. */
  readonly timeoutMs?: number;
  readonly tries?: number;
  /** Bounds on how long an answer is kept before it is looked up again, whatever its TTL says. */
  readonly minTtlSeconds?: number;
  readonly maxTtlSeconds?: number;
  /** How long a failed lookup is kept before the next try. */
  readonly negativeTtlSeconds?: number;
  /** How long the last good answer keeps serving while lookups fail (a DNS outage is not a tenant's fault). */
  readonly maxStaleSeconds?: number;
  /** Lookups in flight at most. */
  readonly concurrency?: number;
  readonly logger: Logger;
  /** Called when what a tracked name resolves to changes. */
  readonly onChange: () => void;
}

interface Entry {
  result?: NameResolution;
  /** When the last good answer arrived (ms). */
  goodAt?: number;
  timer?: NodeJS.Timeout;
  busy: boolean;
}

/**
 * Resolves ExternalName targets for translate, so that NGINX never resolves a name while loading a config:
 * a slow or failing name used to hold up every tenant's changes (twice per change, with no timeout). Each
 * name is looked up in the background with a timeout, kept for its TTL (within bounds), looked up again
 * before it expires, and its answer handed to translate through the snapshot. A name that fails affects
 * only the Services that use it (503). Uses c-ares (no thread pool), so slow answers block nothing else.
 */
export class NameResolver {
  private readonly options: Required<Omit<NameResolverOptions, 'servers'>>;
  private readonly resolver: Resolver;
  private readonly entries = new Map<string, Entry>();
  private readonly queue: string[] = [];
  private active = 0;
  private settledWaiters: (() => void)[] = [];
  private stopped = false;

  constructor(options: NameResolverOptions) {
    this.options = {
      timeoutMs: 2000,
      tries: 2,
      minTtlSeconds: 5,
      maxTtlSeconds: 300,
      negativeTtlSeconds: 15,
      maxStaleSeconds: 600,
      concurrency: 16,
      ...options,
    };
    this.resolver = new Resolver({ timeout: this.options.timeoutMs, tries: this.options.tries });
    if (options.servers !== undefined && options.servers.length > 0)
      this.resolver.setServers([...options.servers]);
  }

  /** The names to keep resolved from now on; others are forgotten. */
  track(names: readonly string[]): void {
    const wanted = new Set(names);
    for (const [name, entry] of this.entries) {
      if (wanted.has(name)) continue;
      clearTimeout(entry.timer);
      this.entries.delete(name);
    }
    for (const name of wanted) {
      if (this.entries.has(name)) continue;
      this.entries.set(name, { busy: false });
      this.enqueue(name);
    }
    this.notifySettled();
  }

  /** What every tracked name resolved to so far (names still being looked up for the first time are absent). */
  results(): ReadonlyMap<string, NameResolution> {
    const out = new Map<string, NameResolution>();
    for (const [name, entry] of [...this.entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (entry.result !== undefined) out.set(name, entry.result);
    }
    return out;
  }

  /** Resolves once every tracked name has a first answer, or after `timeoutMs`, whichever comes first. */
  async settled(timeoutMs: number): Promise<void> {
    if (this.allAnswered()) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.settledWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  stop(): void {
    this.stopped = true;
    for (const entry of this.entries.values()) clearTimeout(entry.timer);
    this.entries.clear();
    this.resolver.cancel();
  }

  private allAnswered(): boolean {
    return [...this.entries.values()].every((e) => e.result !== undefined);
  }

  private notifySettled(): void {
    if (!this.allAnswered()) return;
    const waiters = this.settledWaiters;
    this.settledWaiters = [];
    waiters.forEach((w) => w());
  }

  private enqueue(name: string): void {
    this.queue.push(name);
    this.pump();
  }

  private pump(): void {
    while (this.active < this.options.concurrency && this.queue.length > 0) {
      const name = this.queue.shift() ?? '';
      const entry = this.entries.get(name);
      if (entry === undefined || entry.busy) continue;
      entry.busy = true;
      this.active += 1;
      void this.lookup(name).finally(() => {
        this.active -= 1;
        entry.busy = false;
        this.pump();
      });
    }
  }

  private async lookup(name: string): Promise<void> {
    const { logger } = this.options;
    const [v4, v6] = await Promise.all([
      this.resolver.resolve4(name, { ttl: true }).then(ok, failed),
      this.resolver.resolve6(name, { ttl: true }).then(ok, failed),
    ]);
    const entry = this.entries.get(name);
    if (this.stopped || entry === undefined) return; // no longer tracked
    const records = [...(v4.records ?? []), ...(v6.records ?? [])];
    const now = Date.now();
    let next: NameResolution;
    let ttl: number;
    if (records.length > 0) {
      next = { addresses: [...new Set(records.map((r) => r.address))].sort() };
      entry.goodAt = now;
      const shortest = Math.min(...records.map((r) => r.ttl));
      ttl = Math.min(this.options.maxTtlSeconds, Math.max(this.options.minTtlSeconds, shortest));
    } else {
      const error = describeFailure(v4.code, v6.code, this.options.timeoutMs * this.options.tries);
      ttl = this.options.negativeTtlSeconds;
      const previous = entry.result;
      const stillFresh =
        previous !== undefined &&
        'addresses' in previous &&
        entry.goodAt !== undefined &&
        now - entry.goodAt < this.options.maxStaleSeconds * 1000;
      if (stillFresh) {
        logger.warn('an ExternalName target no longer resolves; its last addresses keep serving', {
          name,
          error,
        });
        next = previous;
      } else {
        next = { error };
      }
    }
    const changed = !sameResolution(entry.result, next);
    entry.result = next;
    if (changed) {
      if ('error' in next)
        logger.warn('an ExternalName target does not resolve', { name, error: next.error });
      else logger.debug('ExternalName target resolved', { name, addresses: next.addresses });
    }
    entry.timer = setTimeout(() => this.enqueue(name), ttl * 1000);
    entry.timer.unref();
    this.notifySettled();
    if (changed) this.options.onChange();
  }
}

interface Answer {
  readonly records?: readonly { readonly address: string; readonly ttl: number }[];
  readonly code?: string;
}

const ok = (records: { address: string; ttl: number }[]): Answer => ({ records });
const failed = (error: unknown): Answer => ({
  code:
    (error as { code?: unknown }).code === undefined ? 'EUNKNOWN' : String((error as { code: unknown }).code),
});

/** A person-readable reason from c-ares's codes for the A and AAAA lookups. */
function describeFailure(v4: string | undefined, v6: string | undefined, waitedMs: number): string {
  const code = v4 !== undefined && v4 !== 'ENODATA' ? v4 : (v6 ?? v4);
  switch (code) {
    case 'ENOTFOUND':
      return 'no such name';
    case 'ENODATA':
    case undefined:
      return 'no A or AAAA records';
    case 'ETIMEOUT':
      return `no answer from DNS within ${waitedMs} ms`;
    case 'ECONNREFUSED':
      return 'the DNS server refused the query';
    case 'ESERVFAIL':
      return 'the DNS server failed (SERVFAIL)';
    case 'EREFUSED':
      return 'the DNS server refused to answer';
    default:
      return `lookup failed (${code})`;
  }
}

function sameResolution(a: NameResolution | undefined, b: NameResolution): boolean {
  if (a === undefined) return false;
  if ('error' in a || 'error' in b) return 'error' in a && 'error' in b && a.error === b.error;
  return a.addresses.length === b.addresses.length && a.addresses.every((x, i) => x === b.addresses[i]);
}
