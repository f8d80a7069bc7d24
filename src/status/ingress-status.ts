import {
  NetworkingV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1Ingress,
  type V1IngressLoadBalancerIngress,
} from '@kubernetes/client-node';
import type { Logger } from 'winston';
import type { ObjectRef } from '../model/diagnostics.ts';
import { DEFAULT_RETRY, forEachLimited, statusOf, withRetry, type RetryPolicy } from './api-writes.ts';

/**
 * The Ingress the cluster has now under a namespace and name (the informer's cache, status included), or
 * undefined. A lookup, not a list: the leader's status and Event passes at 10,000 Ingresses ran on its event
 * loop beside endpoint pushes, and copying the cache into a list and a map for each took most of their time.
 */
export type IngressLookup = (namespace: string, name: string) => V1Ingress | undefined;

export interface IngressStatusWriterOptions {
  /** Status writes in flight at once. */
  readonly concurrency?: number;
  readonly retry?: RetryPolicy;
}

/**
 * Writes `.status.loadBalancer.ingress` on Ingresses whose status differs from what it should be: a few at
 * a time, each retried with backoff that honours the API server's `Retry-After`.
 */
export class IngressStatusWriter {
  private readonly api: NetworkingV1Api;
  private readonly logger: Logger;
  private readonly concurrency: number;
  private readonly retry: RetryPolicy;
  private readonly abort = new AbortController();
  /**
   * Writes whose echo the watch has not delivered yet, by Ingress: the resourceVersion written over and the
   * addresses written. Until the echo comes, the informer's copy still shows the old status, and a sync
   * then (a status resync, a slow watch under load) would write the same status again.
   */
  private readonly written = new Map<
    string,
    { readonly ref: ObjectRef; readonly over: string; readonly target: string }
  >();

  constructor(api: NetworkingV1Api, logger: Logger, options: IngressStatusWriterOptions = {}) {
    this.api = api;
    this.logger = logger;
    this.concurrency = options.concurrency ?? 8;
    this.retry = options.retry ?? DEFAULT_RETRY;
  }

  /** Gives up on retries in progress (shutdown). */
  stop(): void {
    this.abort.abort();
  }

  /**
   * `served` get `addresses`; `cleared` (ours, but not served any more) lose them. Only Ingresses whose
   * current status differs are written. Returns how many were updated.
   */
  async sync(
    current: IngressLookup,
    served: readonly ObjectRef[],
    cleared: readonly ObjectRef[],
    addresses: readonly V1IngressLoadBalancerIngress[],
  ): Promise<number> {
    for (const [key, { ref }] of this.written)
      if (current(ref.namespace, ref.name) === undefined) this.written.delete(key);
    const writes: [ObjectRef, readonly V1IngressLoadBalancerIngress[], string | undefined][] = [];
    const want = (
      ref: ObjectRef,
      target: readonly V1IngressLoadBalancerIngress[],
      targetKey: string,
    ): void => {
      const ing = current(ref.namespace, ref.name);
      if (ing === undefined) return;
      const key = `${ref.namespace}/${ref.name}`;
      const written = this.written.get(key);
      if (written !== undefined) {
        // Our write of this very target has not come back through the watch yet: the copy is the one we
        // wrote over. Any other change of the object (a new resourceVersion) is compared afresh.
        if (written.over === ing.metadata?.resourceVersion && written.target === targetKey) return;
        this.written.delete(key);
      }
      if (addressKey(ing.status?.loadBalancer?.ingress ?? []) === targetKey) return;
      writes.push([ref, target, ing.metadata?.resourceVersion]);
    };
    const addressesKey = addressKey(addresses);
    for (const ref of served) want(ref, addresses, addressesKey);
    for (const ref of cleared) want(ref, [], '');
    let updated = 0;
    await forEachLimited(writes, this.concurrency, async ([ref, target, over]) => {
      if (!(await this.write(ref, target))) return;
      updated += 1;
      if (over !== undefined)
        this.written.set(`${ref.namespace}/${ref.name}`, { ref, over, target: addressKey(target) });
    });
    return updated;
  }

  private async write(ref: ObjectRef, addresses: readonly V1IngressLoadBalancerIngress[]): Promise<boolean> {
    const ingress = `${ref.namespace}/${ref.name}`;
    try {
      await withRetry(
        () =>
          this.api.patchNamespacedIngressStatus(
            {
              name: ref.name,
              namespace: ref.namespace,
              body: { status: { loadBalancer: { ingress: addresses.length > 0 ? addresses : null } } },
            },
            setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
          ),
        this.retry,
        this.abort.signal,
        (error, delayMs) =>
          this.logger.info('Ingress status write failed, retrying', {
            ingress,
            status: statusOf(error) ?? 'no answer',
            delayMs,
          }),
      );
      this.logger.info('updated Ingress status', {
        ingress,
        addresses: addresses.map((a) => a.ip ?? a.hostname),
      });
      return true;
    } catch (error) {
      this.logger.warn('could not update Ingress status', {
        ingress,
        error: (error as Error).message,
      });
      return false;
    }
  }
}

function addressKey(l: readonly V1IngressLoadBalancerIngress[]): string {
  return l
    .map((x) => `${x.ip ?? ''}|${x.hostname ?? ''}`)
    .sort()
    .join(',');
}
