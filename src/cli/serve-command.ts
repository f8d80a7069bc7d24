import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'winston';
import { Reconciler } from '../controller/reconciler.ts';
import { NginxProcess } from '../nginx/nginx-process.ts';
import { fetchLiveChecksum } from '../nginx/status-client.ts';
import { startHealthServer } from '../observability/health-server.ts';
import { ManifestFolderSource } from '../sources/files/watch-folder.ts';
import { ensureDefaultCertificate } from './default-certificate.ts';
import type { ClassAndConfigFlags } from './options.ts';

export interface ServeFlags extends ClassAndConfigFlags {
  manifests: string;
  healthzPort: number;
  healthzHost: string;
  confDir: string;
  nginxBinary: string;
  debounce: number;
}

/**
 * `gatehouse serve`: watch the manifests, keep NGINX serving what they describe. Resolves with the exit
 * code once a termination signal has stopped everything gracefully.
 */
export async function serveCommand(flags: ServeFlags, logger: Logger, signals: AbortSignal): Promise<number> {
  const confDir = path.resolve(flags.confDir);
  const runDir = path.join(confDir, 'run');
  await mkdir(runDir, { recursive: true });
  const nginx = new NginxProcess({ binary: flags.nginxBinary, confDir, runDir, logger });
  logger.info('starting gatehouse', {
    nginx: await nginx.version(),
    confDir,
    manifests: path.resolve(flags.manifests),
  });

  const reconciler = new Reconciler({
    translate: {
      ingressClass: flags.ingressClass,
      controllerClass: flags.controllerClass,
      watchIngressWithoutClass: flags.watchIngressWithoutClass,
      defaultBackendService: flags.defaultBackendService,
      configMap: flags.configmap,
      listen: { httpPort: flags.httpPort, httpsPort: flags.httpsPort },
      defaultCertificatePem: await ensureDefaultCertificate(confDir),
    },
    paths: { confDir, runDir },
    nginx,
    logger,
    debounceMs: flags.debounce,
  });

  const health = await startHealthServer(flags.healthzPort, flags.healthzHost, {
    healthy: async () => {
      const serving = nginx.servingChecksum;
      return serving !== undefined && (await fetchLiveChecksum(nginx.statusSocket)) === serving;
    },
    describe: () => `checksum ${nginx.servingChecksum ?? 'none'}`,
  });

  const source = new ManifestFolderSource(flags.manifests, logger, (snapshot) => reconciler.update(snapshot));
  await source.start();

  await new Promise<void>((resolve) => {
    if (signals.aborted) resolve();
    else signals.addEventListener('abort', () => resolve(), { once: true });
  });
  logger.info('shutting down: finishing in-flight requests');
  await source.stop();
  await reconciler.close();
  await nginx.stop();
  await new Promise<void>((resolve) => health.close(() => resolve()));
  logger.info('stopped');
  return 0;
}
