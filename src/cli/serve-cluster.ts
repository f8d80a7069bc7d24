import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { CoreV1Api, NetworkingV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'winston';
import { ClusterReporter } from '../controller/cluster-reporter.ts';
import type { ReconcileReport } from '../controller/reconciler.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { PooledKubeConfig } from '../sources/kube/kube-connections.ts';
import { KubeSource } from '../sources/kube/kube-source.ts';
import { EventRecorder } from '../status/events.ts';
import { IngressStatusWriter, type IngressLookup } from '../status/ingress-status.ts';
import { LeaderElector } from '../status/leader-election.ts';
import type { TranslateOptions } from '../translate/translate.ts';
import { reviewIngress } from '../webhook/review.ts';
import { startWebhookServer } from '../webhook/webhook-server.ts';
import type { PodIdentity, ServeFlags, Stoppable } from './serve-command.ts';

// Everything `serve` needs only in cluster mode, in a module of its own so that folder mode never loads
// @kubernetes/client-node (serve-command.ts imports this one dynamically).

export interface ClusterWiring {
  readonly reportHandlers: ((r: ReconcileReport) => void)[];
  /** The snapshot the controller last translated (for the admission webhook). */
  readonly latest: () => Snapshot | undefined;
  readonly translateOptions: Omit<TranslateOptions, 'excluded'>;
  readonly onSnapshot: (s: Snapshot) => void;
}

/**
 * Starts leader election, status, Events and the webhook, then the informers; resolves once every informer
 * has synced. `source` stops first on shutdown, `parts` after it.
 */
export async function startClusterSource(
  flags: ServeFlags,
  pod: PodIdentity,
  logger: Logger,
  wiring: ClusterWiring,
): Promise<{ source: Stoppable; parts: Stoppable[] }> {
  const kubeConfig = new PooledKubeConfig();
  if (flags.kubeconfig !== undefined) kubeConfig.loadFromFile(flags.kubeconfig);
  else kubeConfig.loadFromDefault();
  const kube = new KubeSource({
    kubeConfig,
    watchNamespace: flags.watchNamespace,
    configMap: flags.configmap,
    extraConfigMaps: [flags.tcpServicesConfigmap, flags.udpServicesConfigmap].filter((c) => c !== undefined),
    logger,
  });
  const parts = await startClusterParts(
    flags,
    pod,
    kubeConfig,
    logger,
    wiring.reportHandlers,
    wiring.latest,
    wiring.translateOptions,
    (namespace, name) => kube.ingress(namespace, name),
  );
  logger.info('waiting for every informer to sync before the first render', {
    server: kubeConfig.getCurrentCluster()?.server,
  });
  await kube.start(wiring.onSnapshot);
  return { source: kube, parts };
}

/** Leader election, status, Events and the admission webhook: what only a cluster has. */
async function startClusterParts(
  flags: ServeFlags,
  pod: PodIdentity,
  kubeConfig: KubeConfig,
  logger: Logger,
  reportHandlers: ((r: ReconcileReport) => void)[],
  snapshot: () => Snapshot | undefined,
  translateOptions: Omit<TranslateOptions, 'excluded'>,
  currentIngress: IngressLookup,
): Promise<Stoppable[]> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const networking = kubeConfig.makeApiClient(NetworkingV1Api);
  const parts: Stoppable[] = [];
  const kickReporter = { fn: (): void => undefined };
  const elector = new LeaderElector({
    kubeConfig,
    namespace: pod.namespace,
    name: flags.electionId,
    identity: pod.name,
    leaseDurationSeconds: flags.electionTtl,
    retryPeriodMs: Math.max(200, (flags.electionTtl * 1000) / 5),
    logger,
    onChange: (leader) => {
      if (leader) kickReporter.fn();
    },
  });
  const reporter = new ClusterReporter({
    core,
    statusWriter: flags.updateStatus ? new IngressStatusWriter(networking, logger) : undefined,
    events: new EventRecorder({
      api: core,
      logger,
      instance: pod.name,
      mayWrite: () => elector.isLeader,
    }),
    addressOptions: {
      publishStatusAddress: flags.publishStatusAddress,
      publishService: flags.publishService,
      pod: pod.inPod ? { namespace: pod.namespace, name: pod.name } : undefined,
      reportNodeInternalIp: flags.reportNodeInternalIpAddress,
    },
    isLeader: () => elector.isLeader,
    currentIngress,
    logger,
    resyncMs: flags.statusResync,
  });
  kickReporter.fn = () => reporter.kick();
  reportHandlers.push((r) => reporter.onReconciled(r));
  elector.start();
  reporter.start();
  parts.push(reporter, elector);

  if (flags.validatingWebhook !== undefined) {
    if (flags.validatingWebhookCertificate === undefined || flags.validatingWebhookKey === undefined) {
      throw new Error(
        '--validating-webhook needs --validating-webhook-certificate and --validating-webhook-key',
      );
    }
    const server: Server = await startWebhookServer({
      host: flags.validatingWebhook.host,
      port: flags.validatingWebhook.port,
      cert: await readFile(flags.validatingWebhookCertificate, 'utf8'),
      key: await readFile(flags.validatingWebhookKey, 'utf8'),
      logger,
      review: (ingress) => {
        const current = snapshot();
        if (current === undefined) throw new Error('the controller has not synced yet');
        return reviewIngress(current, translateOptions, ingress);
      },
    });
    logger.info('validating webhook listening', { port: flags.validatingWebhook.port });
    parts.push({ stop: () => new Promise<void>((resolve) => server.close(() => resolve())) });
  }
  return parts;
}
