import type { CoreV1Api, V1IngressLoadBalancerIngress, V1Node, V1Service } from '@kubernetes/client-node';

export interface StatusAddressOptions {
  /** `--publish-status-address`: used as is when set. */
  readonly publishStatusAddress: readonly string[];
  /** `--publish-service`: the Service whose address clients use. */
  readonly publishService: { namespace: string; name: string } | undefined;
  /** This pod, to find the nodes the controller runs on when nothing else is given. */
  readonly pod: { namespace: string; name: string } | undefined;
  readonly reportNodeInternalIp: boolean;
}

const IP = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]+:[0-9a-fA-F:.]*)$/;

export function toLoadBalancerIngress(address: string): V1IngressLoadBalancerIngress {
  return IP.test(address) ? { ip: address } : { hostname: address };
}

/**
 * The addresses a Service offers clients, as ingress-nginx reads them. Pure. A LoadBalancer Service offers
 * only its load balancer's addresses and its external IPs: none until they exist, never the cluster IP
 * (which tools such as external-dns would otherwise publish). A NodePort Service offers its external IPs,
 * else its cluster IP; a ClusterIP Service its cluster IP; an ExternalName Service its external name.
 */
export function serviceAddresses(svc: V1Service): string[] {
  const spec = svc.spec;
  const external = spec?.externalIPs ?? [];
  const clusterIp =
    spec?.clusterIP !== undefined && spec.clusterIP !== '' && spec.clusterIP !== 'None'
      ? [spec.clusterIP]
      : [];
  switch (spec?.type) {
    case 'LoadBalancer': {
      const lb = (svc.status?.loadBalancer?.ingress ?? [])
        .flatMap((i) => [i.ip, i.hostname])
        .filter((a): a is string => !!a);
      return [...new Set([...lb, ...external])];
    }
    case 'ExternalName':
      return spec.externalName !== undefined && spec.externalName !== '' ? [spec.externalName] : [];
    case 'NodePort':
      return external.length > 0 ? [...external] : clusterIp;
    default:
      return clusterIp;
  }
}

/** A node's address for status: ExternalIP, or InternalIP when asked for (or when there is no ExternalIP). */
export function nodeAddress(node: V1Node, preferInternal: boolean): string | undefined {
  const addresses = node.status?.addresses ?? [];
  const find = (type: string): string | undefined => addresses.find((a) => a.type === type)?.address;
  return preferInternal ? find('InternalIP') : (find('ExternalIP') ?? find('InternalIP'));
}

/**
 * Works out `.status.loadBalancer.ingress` for our Ingresses: `--publish-status-address`, else the
 * `--publish-service` Service's address, else the addresses of the nodes running controller pods.
 */
export async function resolveStatusAddresses(
  core: CoreV1Api,
  options: StatusAddressOptions,
): Promise<V1IngressLoadBalancerIngress[]> {
  let addresses: string[] = [];
  if (options.publishStatusAddress.length > 0) {
    addresses = [...options.publishStatusAddress];
  } else if (options.publishService !== undefined) {
    const svc = await core.readNamespacedService(options.publishService);
    addresses = serviceAddresses(svc);
  } else if (options.pod !== undefined) {
    const self = await core.readNamespacedPod(options.pod);
    const labels = { ...(self.metadata?.labels ?? {}) };
    delete labels['pod-template-hash'];
    delete labels['controller-revision-hash'];
    const selector = Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const pods =
      selector === ''
        ? { items: [self] }
        : await core.listNamespacedPod({ namespace: options.pod.namespace, labelSelector: selector });
    const nodeNames = new Set(
      pods.items
        .filter((p) => p.status?.phase === 'Running' || p === self)
        .map((p) => p.spec?.nodeName)
        .filter((n): n is string => !!n),
    );
    for (const name of nodeNames) {
      const address = nodeAddress(await core.readNode({ name }), options.reportNodeInternalIp);
      if (address !== undefined) addresses.push(address);
    }
  }
  return [...new Set(addresses)].sort().map(toLoadBalancerIngress);
}
