import type { V1EndpointSlice, V1Service, V1ServicePort } from '@kubernetes/client-node';
import type { Endpoint, Upstream } from '../model/nginx.ts';
import { cmp } from '../model/diagnostics.ts';
import type { ServiceBackendRef } from './ingress-parse.ts';
import { dnsSubdomain, ipAddress, portNumber } from './validators.ts';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** What a backend reference turned into: an upstream to proxy to, or why it cannot be reached. */
export type ResolvedBackend =
  | { readonly kind: 'upstream'; readonly upstream: Upstream }
  | { readonly kind: 'unavailable'; readonly reason: string };

/** Indexes Services and EndpointSlices once per translate, so each lookup is a map access. */
export class ServiceIndex {
  private readonly services = new Map<string, V1Service>();
  private readonly slices = new Map<string, V1EndpointSlice[]>();
  private readonly leftOut: (namespace: string, name: string) => string | undefined;

  /**
   * @param leftOut why a Service that is missing from `services` was left out on purpose, if it was; its
   *   users then read that instead of "does not exist".
   */
  constructor(
    services: readonly V1Service[],
    slices: readonly V1EndpointSlice[],
    leftOut: (namespace: string, name: string) => string | undefined = () => undefined,
  ) {
    this.leftOut = leftOut;
    for (const s of services) {
      this.services.set(`${s.metadata?.namespace ?? 'default'}/${s.metadata?.name ?? ''}`, s);
    }
    for (const slice of slices) {
      const svc = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
      if (svc === undefined) continue;
      const key = `${slice.metadata?.namespace ?? 'default'}/${svc}`;
      const list = this.slices.get(key) ?? [];
      list.push(slice);
      this.slices.set(key, list);
    }
  }

  lookupService(namespace: string, name: string): V1Service | undefined {
    return this.services.get(`${namespace}/${name}`);
  }

  /**
   * Resolves a Service backend to the ready pod addresses behind it (or the ExternalName target). NGINX
   * proxies to those addresses directly; the Service's cluster IP is never used.
   */
  resolve(namespace: string, ref: ServiceBackendRef, keepaliveConnections: number): ResolvedBackend {
    const svc = this.lookupService(namespace, ref.service);
    const portLabel = 'number' in ref.port ? String(ref.port.number) : ref.port.name;
    const name = `${namespace}_${ref.service}_${portLabel}`;
    const source = `service ${namespace}/${ref.service} port ${portLabel}`;
    if (svc === undefined) {
      const reason =
        this.leftOut(namespace, ref.service) ?? `Service ${namespace}/${ref.service} does not exist`;
      return { kind: 'unavailable', reason };
    }
    const ports = svc.spec?.ports ?? [];
    const servicePort = ports.find((p) =>
      'number' in ref.port ? p.port === ref.port.number : p.name === ref.port.name,
    );

    if (svc.spec?.type === 'ExternalName') {
      const target = dnsSubdomain.safeParse(svc.spec.externalName);
      const ip = ipAddress.safeParse(svc.spec.externalName);
      const port = 'number' in ref.port ? ref.port.number : servicePort?.port;
      if ((!target.success && !ip.success) || port === undefined) {
        return {
          kind: 'unavailable',
          reason: `ExternalName Service ${namespace}/${ref.service} has no usable name or port`,
        };
      }
      const host = ip.success ? ip.data : (target.data ?? '');
      return {
        kind: 'upstream',
        upstream: { name, source, endpoints: [{ host, port }], keepaliveConnections },
      };
    }

    if (servicePort === undefined) {
      return { kind: 'unavailable', reason: `Service ${namespace}/${ref.service} has no port ${portLabel}` };
    }
    const endpoints = this.readyEndpoints(namespace, ref.service, servicePort);
    if (endpoints.length === 0) {
      return { kind: 'unavailable', reason: `Service ${namespace}/${ref.service} has no ready endpoints` };
    }
    return { kind: 'upstream', upstream: { name, source, endpoints, keepaliveConnections } };
  }

  private readyEndpoints(namespace: string, service: string, servicePort: V1ServicePort): Endpoint[] {
    const byKey = new Map<string, Endpoint>();
    for (const slice of this.slices.get(`${namespace}/${service}`) ?? []) {
      if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
      // The slice names its ports after the Service port they implement (both may be unnamed).
      const slicePort = (slice.ports ?? []).find((p) => (p.name ?? '') === (servicePort.name ?? ''));
      const port = portNumber.safeParse(slicePort?.port ?? numericTargetPort(servicePort));
      if (!port.success) continue;
      for (const ep of slice.endpoints) {
        // `ready` unset means ready (EndpointSlice API); terminating endpoints are not ready.
        if (ep.conditions?.ready === false) continue;
        for (const address of ep.addresses) {
          const ip = ipAddress.safeParse(address);
          if (!ip.success) continue;
          byKey.set(`${ip.data}|${port.data}`, { host: ip.data, port: port.data });
        }
      }
    }
    return [...byKey.values()].sort((a, b) => cmp(a.host, b.host) || a.port - b.port);
  }
}

function numericTargetPort(p: V1ServicePort): number | undefined {
  const t = p.targetPort as unknown;
  if (typeof t === 'number') return t;
  if (typeof t === 'string' && /^\d+$/.test(t)) return Number(t);
  return t === undefined ? p.port : undefined;
}
