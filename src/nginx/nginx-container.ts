import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'winston';
import { runSockets } from '../render/render.ts';
import { createFileAtomic, writeFileAtomic } from './atomic-files.ts';
import { NginxProcess } from './nginx-process.ts';
import { masterOnRunDir } from './stale-master.ts';

export interface NginxContainerOptions {
  readonly binary: string;
  readonly confDir: string;
  /** What NGINX starts on when the conf dir holds no config the controller applied (renderBootstrap). */
  readonly bootstrapConf: (runDir: string) => string;
  readonly logger: Logger;
}

/**
 * The sidecar pod's `nginx` container, before its NGINX starts. When the shared conf dir holds the config
 * the controller last applied (the container restarted, the pod did not) and it still passes `nginx -t`,
 * NGINX starts on it and serves at once, controller or not; otherwise on the bootstrap config, which only
 * answers the container's health checks until the controller reloads NGINX onto its first config. Returns
 * the command line of the master, which the container then becomes (`exec`).
 */
export async function prepareNginxContainer(options: NginxContainerOptions): Promise<string[]> {
  const { binary, confDir, logger } = options;
  const runDir = path.join(confDir, 'run');
  const nginx = new NginxProcess({ binary, confDir, runDir, logger });
  const running = await masterOnRunDir(runDir);
  if (running !== undefined)
    throw new Error(
      `an NGINX master (pid ${running}) already runs on ${confDir}: one nginx container per pod`,
    );
  await mkdir(path.join(runDir, 'tmp'), { recursive: true });
  // A master that was killed left its sockets behind, and NGINX does not bind over one.
  for (const socket of runSockets(runDir)) await rm(socket, { force: true });

  const conf = nginx.confPath;
  const bootstrap = options.bootstrapConf(runDir);
  for (;;) {
    const text = await readFile(conf, 'utf8').catch(() => undefined);
    // None yet: the bootstrap config is only created where there is none, never over a config the
    // controller has just swapped in (both containers start at once); that one is looked at instead.
    if (text === undefined) {
      if (await createFileAtomic(conf, bootstrap, 0o644)) break;
      continue;
    }
    const checksum = /^# checksum ([0-9a-f]+)$/m.exec(text)?.[1];
    if (checksum === undefined) {
      // The bootstrap config of an earlier start of this container.
      await writeFileAtomic(conf, bootstrap, 0o644);
      break;
    }
    try {
      await nginx.test(conf);
      logger.info('starting NGINX on the configuration the controller applied last', { checksum });
      return nginx.masterCommand();
    } catch (error) {
      logger.warn(
        'the configuration the controller applied last no longer passes nginx -t; starting on the bootstrap configuration',
        { checksum, error: (error as Error).message },
      );
      await writeFileAtomic(conf, bootstrap, 0o644);
      break;
    }
  }
  logger.info('starting NGINX on the bootstrap configuration until the controller applies its own');
  return nginx.masterCommand();
}
