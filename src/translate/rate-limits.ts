import { createHash } from 'node:crypto';
import type { RateLimitAnnotations } from '../annotations/rate-limit.ts';
import { cmp, type ObjectRef } from '../model/diagnostics.ts';
import type { LocationLimits, RateLimitKey, RateLimitZone } from '../model/nginx.ts';
import type { AddressLists } from './address-lists.ts';

/** ingress-nginx's zone size: about 80,000 client addresses per zone. */
const ZONE_MEGABYTES = 5;

/**
 * The rate-limit zones of a config: one per Ingress and limit, shared by its paths, keyed by a variable of
 * that Ingress (the client address, or empty for clients its limit-allowlist spares). A zone's name and key
 * never change with its limits, so NGINX keeps its counts across reloads (and never refuses a reload for a
 * zone whose key changed). Pure.
 */
export class RateLimits {
  private readonly keys = new Map<string, RateLimitKey>();
  private readonly zones = new Map<string, RateLimitZone>();
  private readonly addressLists: AddressLists;

  constructor(addressLists: AddressLists) {
    this.addressLists = addressLists;
  }

  /** What a location of `ingress` prints for its limits; undefined when it sets none. */
  forIngress(ingress: ObjectRef, limits: RateLimitAnnotations | undefined): LocationLimits | undefined {
    if (limits === undefined) return undefined;
    const prefix = `${ingress.namespace}_${ingress.name}`;
    const zone = (suffix: string, kind: RateLimitZone['kind'], rate?: RateLimitZone['rate']): string => {
      const name = `${prefix}_${suffix}`;
      this.zones.set(name, {
        name,
        kind,
        key: this.keyFor(ingress, limits.exempt),
        sizeMegabytes: ZONE_MEGABYTES,
        ...(rate !== undefined && { rate }),
      });
      return name;
    };
    const requests: { zone: string; burst: number }[] = [];
    if (limits.rps !== undefined)
      requests.push({
        zone: zone('rps', 'req', { count: limits.rps, per: 's' }),
        burst: limits.rps * limits.burstMultiplier,
      });
    if (limits.rpm !== undefined)
      requests.push({
        zone: zone('rpm', 'req', { count: limits.rpm, per: 'm' }),
        burst: limits.rpm * limits.burstMultiplier,
      });
    const result: LocationLimits = {
      ...(limits.connections !== undefined && {
        connections: { zone: zone('conn', 'conn'), limit: limits.connections },
      }),
      requests,
      ...(limits.rateAfterKilobytes !== undefined && { rateAfterKilobytes: limits.rateAfterKilobytes }),
      ...(limits.rateKilobytes !== undefined && { rateKilobytes: limits.rateKilobytes }),
    };
    const empty =
      result.connections === undefined &&
      requests.length === 0 &&
      result.rateKilobytes === undefined &&
      result.rateAfterKilobytes === undefined;
    return empty ? undefined : result;
  }

  keyList(): RateLimitKey[] {
    return [...this.keys.values()].sort((a, b) => cmp(a.variable, b.variable));
  }

  zoneList(): RateLimitZone[] {
    return [...this.zones.values()].sort((a, b) => cmp(a.name, b.name));
  }

  private keyFor(ingress: ObjectRef, exempt: readonly string[] | undefined): string {
    const digest = createHash('sha256').update(`${ingress.namespace}/${ingress.name}`).digest('hex');
    const variable = `gatehouse_limit_${digest.slice(0, 12)}`;
    if (!this.keys.has(variable))
      this.keys.set(variable, {
        variable,
        ...(exempt !== undefined && { exempt: this.addressLists.spare(exempt) }),
      });
    return variable;
  }
}
