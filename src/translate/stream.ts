import type { V1ConfigMap } from '@kubernetes/client-node';
import { cmp, type Diagnostic, type ObjectRef } from '../model/diagnostics.ts';
import type { StreamServer, Upstream } from '../model/nginx.ts';
import type { ResolvedBackend } from './backends.ts';
import type { ServiceBackendRef } from './ingress-parse.ts';
import { dnsLabelName, portName, portNumber } from './validators.ts';

/** Resolves a Service port into its upstream (or why it cannot be reached). */
export type ResolveBackend = (namespace: string, ref: ServiceBackendRef) => ResolvedBackend;

/**
 * --tcp-services-configmap / --udp-services-configmap, as ingress-nginx reads them: each key a port NGINX
 * listens on, each value `namespace/service:port`, then optionally `:PROXY` (the clients speak the PROXY
 * protocol) and `:PROXY` again (send it to the pods), for TCP only. A bad entry is reported, naming its
 * key, and left out; the others are served. Ports Gatehouse listens on itself are refused.
 */
export function streamServices(
  protocol: 'tcp' | 'udp',
  configMap: V1ConfigMap | undefined,
  reserved: ReadonlySet<number>,
  resolve: ResolveBackend,
  report: (d: Diagnostic) => void,
  use: (ref: ObjectRef) => void,
): { servers: StreamServer[]; upstreams: Upstream[] } {
  const servers: StreamServer[] = [];
  const upstreams: Upstream[] = [];
  if (configMap === undefined) return { servers, upstreams };
  const object: ObjectRef = {
    kind: 'ConfigMap',
    namespace: configMap.metadata?.namespace ?? 'default',
    name: configMap.metadata?.name ?? '',
  };
  use(object);
  const fail = (key: string, reason: string): void =>
    report({
      severity: 'error',
      object,
      field: `data.${key}`,
      reason: `${reason}; this ${protocol} service is not served`,
    });
  for (const [key, value] of Object.entries(configMap.data ?? {}).sort(([a], [b]) => cmp(a, b))) {
    const port = portNumber.safeParse(/^\d{1,5}$/.test(key) ? Number(key) : NaN);
    if (!port.success) {
      fail(key, 'the key must be a port number from 1 to 65535');
      continue;
    }
    if (reserved.has(port.data)) {
      fail(key, `port ${port.data} is one Gatehouse listens on itself`);
      continue;
    }
    const m = /^([^/:]+)\/([^/:]+):([^:]+)(?::([^:]*))?(?::([^:]*))?$/.exec(value.trim());
    const [, namespace = '', service = '', servicePort = '', decode = '', encode = ''] = m ?? [];
    const proxy = (flag: string): boolean | undefined =>
      flag === '' ? false : flag.toUpperCase() === 'PROXY' ? true : undefined;
    const proxyIn = proxy(decode);
    const proxyOut = proxy(encode);
    const number = /^\d+$/.test(servicePort) ? portNumber.safeParse(Number(servicePort)) : undefined;
    const named = number === undefined ? portName.safeParse(servicePort) : undefined;
    if (
      m === null ||
      !dnsLabelName.safeParse(namespace).success ||
      !dnsLabelName.safeParse(service).success ||
      !(number?.success ?? named?.success ?? false) ||
      proxyIn === undefined ||
      proxyOut === undefined
    ) {
      fail(key, 'must be namespace/service:port, optionally followed by :PROXY and :PROXY');
      continue;
    }
    // NGINX cannot read the PROXY protocol on a UDP listener (nginx -t refuses it), and ingress-nginx
    // ignores both fields for UDP: say so rather than serve something other than what was asked.
    if (protocol === 'udp' && (proxyIn || proxyOut)) {
      fail(key, 'a UDP service takes no :PROXY fields');
      continue;
    }
    const ref: ServiceBackendRef = {
      service,
      port: number?.success === true ? { number: number.data } : { name: servicePort },
    };
    const resolved = resolve(namespace, ref);
    if (resolved.kind === 'unavailable') {
      fail(key, resolved.reason);
      continue;
    }
    use({ kind: 'Service', namespace, name: service });
    upstreams.push(resolved.upstream);
    servers.push({
      port: port.data,
      protocol,
      upstream: resolved.upstream.name,
      proxyProtocolIn: proxyIn,
      proxyProtocolOut: proxyOut,
      source: `${protocol} service ${port.data} from ConfigMap ${object.namespace}/${object.name}`,
    });
  }
  return { servers, upstreams };
}

/** A host of the Ingresses, with what passthrough needs to know about it. */
export interface PassthroughHost {
  readonly host: string;
  readonly serverName: string;
  /** The Ingresses with rules for the host, oldest first (the first one's namespace owns the host). */
  readonly contributors: readonly { readonly ingress: ObjectRef; readonly asks: boolean }[];
  /** The owner of the host's path `/` and its backend, if the host has one. */
  readonly root?: {
    readonly ingress: ObjectRef;
    readonly backend: ServiceBackendRef;
    readonly asks: boolean;
  };
}

const FIELD = 'metadata.annotations[nginx.ingress.kubernetes.io/ssl-passthrough]';

/**
 * ssl-passthrough, as ingress-nginx does it: TLS for the host goes, unterminated, to the Service of its
 * path `/`, which the Ingress asking for it must own (layer 4 knows no paths), and only an Ingress of the
 * host's owner namespace may ask (issue 6: a host's TLS is its owner's). Otherwise the asking Ingress is
 * told and the host's TLS is terminated as usual; the other Ingresses on a passed-through host are told
 * that their paths there are served over plain HTTP only.
 */
export function passthroughRoutes(
  hosts: readonly PassthroughHost[],
  resolve: ResolveBackend,
  report: (d: Diagnostic) => void,
  use: (ref: ObjectRef) => void,
): { routes: { serverName: string; upstream: string; source: string }[]; upstreams: Upstream[] } {
  const routes: { serverName: string; upstream: string; source: string }[] = [];
  const upstreams: Upstream[] = [];
  const tell = (object: ObjectRef, reason: string, conflict = false): void =>
    report({
      severity: 'warning',
      object,
      field: FIELD,
      reason,
      ...(conflict && { conflict: true as const }),
    });
  for (const h of hosts) {
    const askers = h.contributors.filter((c) => c.asks).map((c) => c.ingress);
    if (h.host === '' || askers.length === 0) continue;
    const { root } = h;
    if (root === undefined || !root.asks) {
      for (const asker of askers)
        tell(
          asker,
          `ignored: passthrough sends all of ${h.host}'s TLS to the Service of its path /, which this Ingress does not serve; TLS is terminated as usual`,
        );
      continue;
    }
    const { namespace } = root.ingress;
    if (h.contributors[0]?.ingress.namespace !== namespace) {
      tell(
        root.ingress,
        `ignored: host ${h.host} belongs to an older Ingress in another namespace, and only its namespace may pass the host's TLS through; TLS is terminated as usual`,
        true,
      );
      continue;
    }
    const resolved = resolve(namespace, root.backend);
    if (resolved.kind === 'unavailable') {
      tell(root.ingress, `${resolved.reason}; TLS for ${h.host} is terminated as usual`);
      continue;
    }
    use({ kind: 'Service', namespace, name: root.backend.service });
    upstreams.push(resolved.upstream);
    routes.push({
      serverName: h.serverName,
      upstream: resolved.upstream.name,
      source: `ingress ${namespace}/${root.ingress.name}`,
    });
    for (const other of h.contributors)
      if (other.ingress.namespace !== namespace || other.ingress.name !== root.ingress.name)
        tell(
          other.ingress,
          `TLS for ${h.host} goes unterminated to the Service of its path / (ssl-passthrough); this Ingress's paths on ${h.host} are served over plain HTTP only`,
        );
  }
  return { routes, upstreams };
}
