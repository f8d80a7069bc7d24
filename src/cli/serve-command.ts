import { fstatSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'winston';
import { DEFAULT_GLOBAL_CONFIG } from '../config/global-config.ts';
import { ExternalNameFeed } from '../controller/external-name-feed.ts';
import { Reconciler, type ReconcileReport } from '../controller/reconciler.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { NginxProcess } from '../nginx/nginx-process.ts';
import { sidecarMaster } from '../nginx/sidecar-master.ts';
import { fetchBackends } from '../nginx/dynamic-client.ts';
import { fetchLiveChecksum, fetchStatusPage } from '../nginx/status-client.ts';
import { startHealthServer } from '../observability/health-server.ts';
import { startAccessLogRelay } from '../observability/access-log-relay.ts';
import { ConfigHistory } from '../observability/config-history.ts';
import type { InspectionAccess } from '../observability/inspection.ts';
import { ControllerMetrics } from '../observability/metrics.ts';
import { NameResolver } from '../sources/dns/name-resolver.ts';
import { registerNginxStatusMetrics } from '../observability/nginx-status-metrics.ts';
import { TrafficLogReceiver } from '../observability/traffic-log-receiver.ts';
import { TrafficMetrics } from '../observability/traffic-metrics.ts';
import { ManifestFolderSource } from '../sources/files/watch-folder.ts';
import { Registry } from 'prom-client';
import type { NamespacedName } from '../translate/translate.ts';
import { ensureDefaultCertificate } from './default-certificate.ts';
import { applyHeapGrowth } from './heap-growth.ts';
import { canListenOnIpv6 } from './ipv6.ts';
import { localAddresses } from './local-addresses.ts';
import { translateOptionsFrom, type ClassAndConfigFlags } from './options.ts';

export interface ServeFlags extends ClassAndConfigFlags {
  manifests?: string;
  healthzPort: number;
  healthzHost: string;
  confDir: string;
  nginxBinary: string;
  nginxModulesDir: string;
  /** `child`: NGINX is our child; `sidecar`: the pod's nginx container runs it (src/nginx/nginx-master.ts). */
  nginxMode: 'child' | 'sidecar';
  nginxHealthzPort?: number;
  metricsLogPort?: number;
  nginxTestTimeout: number;
  debounce: number;
  enableMetrics: boolean;
  /** Seconds to keep serving after SIGTERM, /healthz failing, before NGINX is stopped. */
  shutdownGracePeriod: number;
  inspection: InspectionAccess;
  // Cluster mode (no --manifests):
  kubeconfig?: string;
  watchNamespace: string;
  electionId: string;
  electionTtl: number;
  publishService?: NamespacedName;
  publishStatusAddress: string[];
  updateStatus: boolean;
  reportNodeInternalIpAddress: boolean;
  statusResync: number;
  validatingWebhook?: { host: string; port: number };
  validatingWebhookCertificate?: string;
  validatingWebhookKey?: string;
}

/** What only the CLI may read from the environment, handed in by main. */
export interface PodIdentity {
  readonly name: string;
  readonly namespace: string;
  /** True when POD_NAME/POD_NAMESPACE came from the downward API (running in a pod). */
  readonly inPod: boolean;
}

export interface Stoppable {
  stop(): Promise<void>;
}

/** The metrics log NGINX writes in blocks and the controller reads as it grows (in the run folder). */
export const METRICS_LOG_FILE = 'metrics.log';

/**
 * `gatehouse serve`: keep NGINX serving what the manifests folder (--manifests) or the cluster describes.
 * Resolves with the exit code once a termination signal has stopped everything gracefully.
 */
export async function serveCommand(
  flags: ServeFlags,
  pod: PodIdentity,
  logger: Logger,
  signals: AbortSignal,
): Promise<number> {
  const confDir = path.resolve(flags.confDir);
  const runDir = path.join(confDir, 'run');
  await mkdir(runDir, { recursive: true });
  const nginx = new NginxProcess({
    binary: flags.nginxBinary,
    confDir,
    runDir,
    logger,
    testTimeoutMs: flags.nginxTestTimeout * 1000,
    ...(flags.nginxMode === 'sidecar' ? { master: sidecarMaster(runDir, logger) } : {}),
  });
  // Whatever ends this process, an NGINX of ours must end with it.
  const quitNginx = (): void => nginx.quitNow();
  process.once('exit', quitNginx);
  const source = flags.manifests === undefined ? 'cluster' : path.resolve(flags.manifests);
  const nginxVersion = await nginx.version();
  logger.info('starting gatehouse', { nginx: nginxVersion, nginxMode: flags.nginxMode, confDir, source });

  // NGINX cannot open /dev/stdout when it is a socket (journald, a parent's pipe): relay the log instead.
  const relay = fstatSync(1).isSocket() ? await startAccessLogRelay(process.stdout) : undefined;
  if (relay !== undefined)
    logger.info('stdout is a socket: the NGINX access log is relayed to it over loopback syslog');
  const translateOptions = {
    ...translateOptionsFrom(flags, await ensureDefaultCertificate(confDir), localAddresses()),
    // TCP/UDP services may not take the ports this process or NGINX already listen on.
    reservedPorts: [
      flags.healthzPort,
      ...(flags.nginxHealthzPort === undefined ? [] : [flags.nginxHealthzPort]),
      ...(flags.validatingWebhook === undefined ? [] : [flags.validatingWebhook.port]),
      ...(flags.metricsLogPort === undefined ? [] : [flags.metricsLogPort]),
    ],
  };
  // NGINX's connection counters, and per-Ingress traffic metrics from a metrics log NGINX sends over
  // loopback, naming the route that served each request.
  const nginxRegistry = new Registry();
  registerNginxStatusMetrics(nginxRegistry, () => fetchStatusPage(nginx.statusSocket, '/nginx_status'));
  const traffic = flags.enableMetrics ? new TrafficMetrics() : undefined;
  const trafficLog =
    traffic === undefined
      ? undefined
      : await TrafficLogReceiver.start(
          traffic,
          nginxRegistry,
          // A fixed port (the sidecar pod) keeps loopback syslog; otherwise a file NGINX writes in blocks.
          flags.metricsLogPort === undefined
            ? { file: path.join(runDir, METRICS_LOG_FILE) }
            : { port: flags.metricsLogPort },
        );
  const reportHandlers: ((r: ReconcileReport) => void)[] = [];
  const reconciler: Reconciler = new Reconciler({
    translate: translateOptions,
    paths: {
      confDir,
      runDir,
      nginxVersion,
      modulesDir: flags.nginxModulesDir,
      ipv6Available: await canListenOnIpv6(),
      ...(relay === undefined ? {} : { accessLog: relay.target }),
      ...(trafficLog === undefined ? {} : { metricsLog: trafficLog.target }),
      ...(flags.nginxHealthzPort === undefined ? {} : { nginxHealthzPort: flags.nginxHealthzPort }),
    },
    nginx,
    logger,
    debounceMs: flags.debounce,
    onReconciled: (report) => reportHandlers.forEach((h) => h(report)),
    onRendered: (result, rendered) => traffic?.addRoutes(rendered.checksum, result.routes),
  });
  const metrics = new ControllerMetrics(() => reconciler.stale?.since);
  reportHandlers.push((r) => metrics.observe(r, Date.now() / 1000));
  let heapGrowthApplied = false;
  reportHandlers.push((r) => {
    if (r.outcome !== 'started' && r.outcome !== 'reloaded' && r.outcome !== 'adopted') return;
    traffic?.served(r.checksum);
    // The start's whole build with V8's own heap growth (faster), what follows with the configured one.
    if (heapGrowthApplied) return;
    heapGrowthApplied = true;
    const percent = applyHeapGrowth(process.env);
    if (percent !== undefined) logger.info('the heap may now grow this far past what is live', { percent });
  });
  // How long NGINX may take to stop: its workers' own limit (ConfigMap worker-shutdown-timeout), then more.
  let workerShutdownSeconds = DEFAULT_GLOBAL_CONFIG.global.workerShutdownTimeoutSeconds;
  reportHandlers.push((r) => {
    if (r.outcome !== 'failed') workerShutdownSeconds = r.result.model.global.workerShutdownTimeoutSeconds;
  });
  let draining = false;
  const history = new ConfigHistory();
  reportHandlers.push((r) => history.observe(r, new Date()));

  const allMetrics = Registry.merge([metrics.registry, nginxRegistry]);
  const health = await startHealthServer(
    flags.healthzPort,
    flags.healthzHost,
    {
      healthy: async () => {
        const serving = nginx.servingChecksum;
        return (
          !draining &&
          serving !== undefined &&
          nginx.problem === undefined &&
          // The reconciler has reported what it applied: /debug/* describe the config NGINX serves.
          history.live()?.checksum === serving &&
          (await fetchLiveChecksum(nginx.statusSocket)) === serving
        );
      },
      describe: () => {
        const stale = reconciler.stale;
        const serving = `${draining ? 'shutting down\n' : ''}checksum ${nginx.servingChecksum ?? 'none'}${nginx.problem === undefined ? '' : `\n${nginx.problem}`}`;
        if (stale === undefined) return serving;
        const seconds = Math.round((Date.now() - stale.since.getTime()) / 1000);
        return `${serving}\nstale: serving a config older than the cluster state since ${stale.since.toISOString()} (${seconds}s)${stale.error === undefined ? '' : `: ${stale.error}`}`;
      },
    },
    {
      contentType: allMetrics.contentType,
      metrics: async () => `${await allMetrics.metrics()}${traffic?.exposition() ?? ''}`,
    },
    {
      access: flags.inspection,
      source: {
        history,
        servingChecksum: () => nginx.servingChecksum,
        liveEndpoints: async () => (await fetchBackends(nginx.statusSocket)).backends,
      },
    },
  );

  const stoppables: Stoppable[] = [];
  // ExternalName targets are resolved here, never by NGINX; their answers travel in the snapshot.
  const resolver: NameResolver = new NameResolver({
    servers: flags.externalNameResolver,
    logger,
    onChange: () => feed.resolved(),
  });
  const feed = new ExternalNameFeed(resolver, translateOptions, (snapshot, quietForMs) =>
    reconciler.update(snapshot, quietForMs),
  );
  stoppables.push({ stop: () => Promise.resolve(resolver.stop()) });
  const latest = (): Snapshot | undefined => feed.latest;
  const onSnapshot = (snapshot: Snapshot, quietForMs?: number): void => feed.update(snapshot, quietForMs);
  if (flags.manifests !== undefined) {
    const folder = new ManifestFolderSource(flags.manifests, logger, onSnapshot);
    await folder.start();
    stoppables.push(folder);
  } else {
    // Loaded only here: client-node alone costs about 80 MB of resident memory, which folder mode never needs.
    const { startClusterSource } = await import('./serve-cluster.ts');
    const cluster = await startClusterSource(flags, pod, logger, {
      reportHandlers,
      latest,
      translateOptions,
      onSnapshot,
    });
    stoppables.push(...cluster.parts);
    stoppables.unshift(cluster.source);
  }

  await new Promise<void>((resolve) => {
    if (signals.aborted) resolve();
    else signals.addEventListener('abort', () => resolve(), { once: true });
  });
  // Load balancers and kube-proxy withdraw a stopping pod asynchronously: keep serving (with /healthz
  // failing, so readiness drops it too) for the grace period, then let NGINX finish what is in flight.
  draining = true;
  if (flags.shutdownGracePeriod > 0) {
    logger.info('shutting down: still serving while this instance is withdrawn', {
      seconds: flags.shutdownGracePeriod,
    });
    await sleep(flags.shutdownGracePeriod * 1000);
  }
  if (flags.nginxMode === 'sidecar') {
    // Not ours to stop: the nginx container drains NGINX itself. Let it go first, so nothing waits for it.
    logger.info('shutting down; the nginx container drains NGINX');
    await nginx.stop();
  } else {
    logger.info('shutting down: finishing in-flight requests', { timeoutSeconds: workerShutdownSeconds });
  }
  for (const s of stoppables) await s.stop();
  await reconciler.close();
  await nginx.stop((workerShutdownSeconds + 10) * 1000);
  process.removeListener('exit', quitNginx);
  await relay?.close();
  await trafficLog?.close();
  await new Promise<void>((resolve) => health.close(() => resolve()));
  logger.info('stopped');
  return 0;
}
