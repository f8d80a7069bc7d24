import type { V1EndpointSlice, V1Service, V1ServicePort } from '@kubernetes/client-node';
import type { Endpoint, Upstream, UpstreamBackend } from '../model/nginx.ts';
import { cmp } from '../model/diagnostics.ts';
import type { ServiceBackendRef } from './ingress-parse.ts';
import type { NameResolution } from '../model/snapshot.ts';
import {
  DEFAULT_EXTERNAL_NAME_POLICY,
  refusedAddress,
  refusedName,
  type ExternalNamePolicy,
} from './address-policy.ts';
import { dnsSubdomain, ipAddress, portNumber } from './validators.ts';
import { interned } from '../model/interned.ts';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** What a backend reference turned into: an upstream to proxy to, or why it cannot be reached. */
export type ResolvedBackend =
  | { readonly kind: 'upstream'; readonly upstream: Upstream; readonly warning?: string }
  | { readonly kind: 'unavailable'; readonly reason: string };

/** What backends are resolved with, beyond the Services and EndpointSlices themselves. */
export interface ServiceContext {
  /**
   * Why a Service missing from the index was left out on purpose, if it was; its users then read that
   * instead of "does not exist".
   */
  readonly leftOut: (namespace: string, name: string) => string | undefined;
  /** What the controller's resolver found for ExternalName target names. */
  readonly externalNames: ReadonlyMap<string, NameResolution>;
  readonly policy: ExternalNamePolicy;
}

/** Indexes Services and EndpointSlices once per translate, so each lookup is a map access. */
export class ServiceIndex {
  private readonly services = new Map<string, V1Service>();
  private readonly slices = new Map<string, V1EndpointSlice[]>();
  private readonly context: ServiceContext;
  /**
   * What each backend resolved to: Ingresses name one Service port from several paths (and canaries,
   * error backends, default backends), and each resolve would check and sort its endpoints again.
   */
  private readonly resolved = new Map<string, ResolvedBackend>();

  constructor(
    services: readonly V1Service[],
    slices: readonly V1EndpointSlice[],
    context: Partial<ServiceContext> = {},
  ) {
    this.context = {
      leftOut: () => undefined,
      externalNames: new Map(),
      policy: DEFAULT_EXTERNAL_NAME_POLICY,
      ...context,
    };
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
  resolve(namespace: string, ref: ServiceBackendRef, { clusterIp = false } = {}): ResolvedBackend {
    const portLabel = 'number' in ref.port ? String(ref.port.number) : ref.port.name;
    // A port named like a number is another port than that number.
    const key = `${namespace}/${ref.service}/${'number' in ref.port ? '#' : ''}${portLabel}/${clusterIp}`;
    let resolved = this.resolved.get(key);
    if (resolved === undefined) {
      resolved = this.resolveOnce(namespace, ref, portLabel, clusterIp);
      this.resolved.set(key, resolved);
    }
    return resolved;
  }

  private resolveOnce(
    namespace: string,
    ref: ServiceBackendRef,
    portLabel: string,
    clusterIp: boolean,
  ): ResolvedBackend {
    const svc = this.lookupService(namespace, ref.service);
    const name = interned(`${namespace}_${ref.service}_${portLabel}`);
    const source = interned(`service ${namespace}/${ref.service} port ${portLabel}`);
    const backend: UpstreamBackend = { namespace, service: ref.service, port: ref.port, clusterIp };
    if (svc === undefined) {
      const reason =
        this.context.leftOut(namespace, ref.service) ?? `Service ${namespace}/${ref.service} does not exist`;
      return { kind: 'unavailable', reason };
    }
    const ports = svc.spec?.ports ?? [];
    const servicePort = ports.find((p) =>
      'number' in ref.port ? p.port === ref.port.number : p.name === ref.port.name,
    );

    if (svc.spec?.type === 'ExternalName') {
      const port = 'number' in ref.port ? ref.port.number : servicePort?.port;
      const target = this.externalNameTarget(`ExternalName Service ${namespace}/${ref.service}`, svc, port);
      if ('reason' in target) return { kind: 'unavailable', reason: target.reason };
      return {
        kind: 'upstream',
        upstream: { name, source, endpoints: target.endpoints, backend },
      };
    }

    if (servicePort === undefined) {
      return { kind: 'unavailable', reason: `Service ${namespace}/${ref.service} has no port ${portLabel}` };
    }
    if (clusterIp) {
      // service-upstream: kube-proxy picks the pod. Its own name: other Ingresses may use the pods.
      const ip = ipAddress.safeParse(svc.spec?.clusterIP ?? '');
      if (ip.success)
        return {
          kind: 'upstream',
          upstream: {
            name: interned(`${name}_cluster`),
            source: interned(`${source} (cluster IP)`),
            endpoints: [{ host: ip.data, port: servicePort.port }],
            backend,
          },
        };
    }
    // No ready endpoint still makes an upstream (the balancer answers 503 until one is ready), so pods
    // coming and going never change the rendered config.
    const endpoints = this.readyEndpoints(namespace, ref.service, servicePort);
    const headless = clusterIp
      ? `Service ${namespace}/${ref.service} has no cluster IP (headless), so service-upstream uses its endpoints`
      : undefined;
    return {
      kind: 'upstream',
      upstream: { name, source, endpoints, backend },
      ...(endpoints.length === 0
        ? { warning: `Service ${namespace}/${ref.service} has no ready endpoints; requests get 503` }
        : headless !== undefined
          ? { warning: headless }
          : {}),
    };
  }

  /**
   * The addresses an ExternalName Service leads to: its IP, or what the controller's resolver found for its
   * name (NGINX never resolves names: a slow or failing name must not hold up anyone else's config). Every
   * address must pass the ExternalName policy (no loopback, link-local, metadata or own addresses).
   */
  private externalNameTarget(
    label: string,
    svc: V1Service,
    port: number | undefined,
  ): { endpoints: Endpoint[] } | { reason: string } {
    if (this.context.policy.disabled)
      return { reason: `${label}: ExternalName backends are disabled on this controller` };
    const raw = svc.spec?.externalName ?? '';
    const ip = ipAddress.safeParse(raw);
    const target = dnsSubdomain.safeParse(raw.toLowerCase().replace(/\.$/, ''));
    if ((!ip.success && !target.success) || port === undefined)
      return { reason: `${label} has no usable name or port` };
    let addresses: readonly string[];
    if (ip.success) {
      addresses = [ip.data];
    } else {
      const name = target.data ?? '';
      const refused = refusedName(name);
      if (refused !== undefined)
        return { reason: `${label}: ${refused}; ExternalName backends may not point there` };
      const found = this.context.externalNames.get(name);
      if (found === undefined) return { reason: `${label}: ${name} is still being resolved` };
      if ('error' in found) return { reason: `${label}: ${name} does not resolve (${found.error})` };
      addresses = found.addresses;
    }
    for (const address of addresses) {
      const refused = refusedAddress(address, this.context.policy);
      if (refused !== undefined)
        return {
          reason: `${label}: ${refused}; ExternalName backends may not point there (an admin can allow a range with --external-name-allowed-cidrs)`,
        };
    }
    const endpoints = [...new Set(addresses)].sort().map((host) => ({ host, port }));
    return endpoints.length > 0 ? { endpoints } : { reason: `${label}: ${raw} has no addresses` };
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
