import {
  NetworkingV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1Ingress,
  type V1IngressLoadBalancerIngress,
} from '@kubernetes/client-node';
import type { Logger } from 'winston';
import type { ObjectRef } from '../model/diagnostics.ts';

/** Writes `.status.loadBalancer.ingress` on Ingresses whose status differs from what it should be. */
export class IngressStatusWriter {
  private readonly api: NetworkingV1Api;
  private readonly logger: Logger;

  constructor(api: NetworkingV1Api, logger: Logger) {
    this.api = api;
    this.logger = logger;
  }

  /**
   * `served` get `addresses`; `cleared` (ours, but not served any more) lose them. Only Ingresses whose
   * current status differs are written. Returns how many were updated.
   */
  async sync(
    current: readonly V1Ingress[],
    served: readonly ObjectRef[],
    cleared: readonly ObjectRef[],
    addresses: readonly V1IngressLoadBalancerIngress[],
  ): Promise<number> {
    const byKey = new Map(
      current.map((i) => [`${i.metadata?.namespace ?? ''}/${i.metadata?.name ?? ''}`, i]),
    );
    let updated = 0;
    const want = (
      ref: ObjectRef,
      target: readonly V1IngressLoadBalancerIngress[],
    ): Promise<void> | undefined => {
      const ing = byKey.get(`${ref.namespace}/${ref.name}`);
      if (ing === undefined) return undefined;
      if (sameAddresses(ing.status?.loadBalancer?.ingress ?? [], target)) return undefined;
      return this.write(ref, target).then((ok) => {
        if (ok) updated += 1;
      });
    };
    await Promise.all([...served.map((r) => want(r, addresses)), ...cleared.map((r) => want(r, []))]);
    return updated;
  }

  private async write(ref: ObjectRef, addresses: readonly V1IngressLoadBalancerIngress[]): Promise<boolean> {
    try {
      await this.api.patchNamespacedIngressStatus(
        {
          name: ref.name,
          namespace: ref.namespace,
          body: { status: { loadBalancer: { ingress: addresses.length > 0 ? addresses : null } } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      this.logger.info('updated Ingress status', {
        ingress: `${ref.namespace}/${ref.name}`,
        addresses: addresses.map((a) => a.ip ?? a.hostname),
      });
      return true;
    } catch (error) {
      this.logger.warn('could not update Ingress status', {
        ingress: `${ref.namespace}/${ref.name}`,
        error: (error as Error).message,
      });
      return false;
    }
  }
}

function sameAddresses(
  a: readonly V1IngressLoadBalancerIngress[],
  b: readonly V1IngressLoadBalancerIngress[],
): boolean {
  const key = (l: readonly V1IngressLoadBalancerIngress[]): string =>
    l
      .map((x) => `${x.ip ?? ''}|${x.hostname ?? ''}`)
      .sort()
      .join(',');
  return key(a) === key(b);
}
