import {
  CoordinationV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  KubernetesObjectApi,
  NetworkingV1Api,
  PatchStrategy,
  type CoreV1Event,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { startTestCluster, type TestCluster } from './cluster.ts';
import {
  startClusterGatehouse,
  type ClusterGatehouse,
  type ClusterGatehouseOptions,
} from './cluster-gatehouse.ts';
import { grantClusterRules, grantLeaderElection, type ServiceAccountRef } from './cluster-rbac.ts';
import { TrafficLoop } from './cluster-traffic.ts';
import { createTestHost, type HostedBackend } from './netns.ts';

/** Where the controller runs, and its ServiceAccount. */
export const CONTROLLER: ServiceAccountRef = { namespace: 'gatehouse-system', name: 'gatehouse' };

export interface ClusterEnvOptions {
  /** Bind the leader-election Role too (default true); the least-privilege test leaves it out. */
  readonly leaderElection?: boolean;
  /** More kube-apiserver flags (see startTestCluster). */
  readonly apiServerArgs?: readonly string[];
}

/**
 * One real API server for a test file, with admin clients for setup, the controller's least-privilege
 * kubeconfig, echo backends standing in for pods, and every Gatehouse process started through it. `stop()`
 * ends all of them.
 */
export interface ClusterEnv {
  readonly cluster: TestCluster;
  readonly admin: KubeConfig;
  readonly core: CoreV1Api;
  readonly networking: NetworkingV1Api;
  readonly discovery: DiscoveryV1Api;
  readonly coordination: CoordinationV1Api;
  /** Kubeconfig of CONTROLLER, bound to the rules of cluster-rbac.ts only. */
  readonly controllerKubeconfig: string;
  /** The test host's address, where echo backends listen (see netns.ts). */
  readonly backendHost: string;
  /** `kubectl apply --server-side` of each object, in order. */
  apply(...objects: KubernetesObject[]): Promise<void>;
  /** `kubectl delete`. */
  remove(object: KubernetesObject): Promise<void>;
  /** An echo backend on the test host, closed by stop(). */
  backend(name: string): Promise<HostedBackend>;
  /** A controller process (kubeconfig and pod namespace default to CONTROLLER's), stopped by stop(). */
  gatehouse(
    options: Omit<ClusterGatehouseOptions, 'kubeconfig' | 'podNamespace'> &
      Partial<Pick<ClusterGatehouseOptions, 'kubeconfig' | 'podNamespace'>>,
  ): Promise<ClusterGatehouse>;
  /** Requests `http://host/` on a port over and over until stopped (by the test, or at the latest by stop()). */
  traffic(port: number, host: string, expected: string): TrafficLoop;
  /** `.status.loadBalancer.ingress[*].ip` (or hostname) of an Ingress, as `kubectl get ingress` shows. */
  ingressAddresses(name: string, namespace?: string): Promise<string[]>;
  /** The Events about an Ingress, as `kubectl describe ingress` lists them. */
  eventsFor(name: string, namespace?: string): Promise<CoreV1Event[]>;
  /** holderIdentity of a Lease in the controller namespace; undefined when there is no Lease. */
  leaseHolder(name: string): Promise<string | undefined>;
  stop(): Promise<void>;
}

export async function startClusterEnv(options: ClusterEnvOptions = {}): Promise<ClusterEnv> {
  // The API server refuses loopback EndpointSlice addresses, so the backends pods stand in for run on a
  // test host of our own: a network namespace on this machine (see netns.ts).
  const testHost = await createTestHost();
  const host = testHost.address;
  const cluster = await startTestCluster({ apiServerArgs: options.apiServerArgs ?? [] }).catch(
    async (error: unknown) => {
      await testHost.remove();
      throw error;
    },
  );
  const controllers: ClusterGatehouse[] = [];
  const loops: TrafficLoop[] = [];
  try {
    const admin = new KubeConfig();
    admin.loadFromFile(cluster.adminKubeconfigPath);
    const controllerKubeconfig = await cluster.serviceAccountKubeconfig(
      CONTROLLER.namespace,
      CONTROLLER.name,
    );
    await grantClusterRules(admin, CONTROLLER);
    if (options.leaderElection ?? true) await grantLeaderElection(admin, CONTROLLER);

    const objects = KubernetesObjectApi.makeApiClient(admin);
    const core = admin.makeApiClient(CoreV1Api);
    const networking = admin.makeApiClient(NetworkingV1Api);
    const coordination = admin.makeApiClient(CoordinationV1Api);
    return {
      cluster,
      admin,
      core,
      networking,
      discovery: admin.makeApiClient(DiscoveryV1Api),
      coordination,
      controllerKubeconfig,
      backendHost: host,
      async apply(...list) {
        for (const object of list) {
          await objects.patch(
            object,
            undefined,
            undefined,
            'gatehouse-cluster-tests',
            true,
            PatchStrategy.ServerSideApply,
          );
        }
      },
      async remove(object) {
        await objects.delete(object);
      },
      backend: (name) => testHost.backend(name),
      async gatehouse(opts) {
        const gatehouse = await startClusterGatehouse({
          kubeconfig: controllerKubeconfig,
          podNamespace: CONTROLLER.namespace,
          ...opts,
        });
        controllers.push(gatehouse);
        return gatehouse;
      },
      traffic(port, host, expected) {
        const loop = new TrafficLoop(port, host, expected);
        loops.push(loop);
        return loop;
      },
      async ingressAddresses(name, namespace = 'default') {
        const ing = await networking.readNamespacedIngress({ name, namespace });
        return (ing.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname ?? '');
      },
      async eventsFor(name, namespace = 'default') {
        const list = await core.listNamespacedEvent({
          namespace,
          fieldSelector: `involvedObject.kind=Ingress,involvedObject.name=${name}`,
        });
        return list.items;
      },
      async leaseHolder(name) {
        try {
          const lease = await coordination.readNamespacedLease({ name, namespace: CONTROLLER.namespace });
          return lease.spec?.holderIdentity ?? '';
        } catch (error) {
          if ((error as { code?: number }).code === 404) return undefined;
          throw error;
        }
      },
      async stop() {
        await Promise.allSettled(loops.map((l) => l.stop()));
        await Promise.allSettled(controllers.map((c) => c.stop()));
        await testHost.remove();
        await cluster.stop();
      },
    };
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}
