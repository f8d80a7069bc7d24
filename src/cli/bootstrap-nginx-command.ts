import type { Logger } from 'winston';
import { prepareNginxContainer } from '../nginx/nginx-container.ts';
import { renderBootstrap } from '../render/render.ts';
import { canListenOnIpv6 } from './ipv6.ts';

export interface BootstrapNginxFlags {
  /** Already checked (prepareConfDir). */
  readonly confDir: string;
  readonly nginxBinary: string;
  readonly nginxHealthzPort: number;
}

/**
 * `gatehouse bootstrap-nginx`: the first step of the sidecar pod's nginx container (bin/gatehouse-nginx),
 * which then execs the command printed here, one argument per line, and so becomes NGINX's master.
 */
export async function bootstrapNginxCommand(
  flags: BootstrapNginxFlags,
  logger: Logger,
  stdout: NodeJS.WritableStream,
): Promise<number> {
  const ipv6Available = await canListenOnIpv6();
  const command = await prepareNginxContainer({
    binary: flags.nginxBinary,
    confDir: flags.confDir,
    bootstrapConf: (runDir) =>
      renderBootstrap({ runDir, nginxHealthzPort: flags.nginxHealthzPort, ipv6Available }),
    logger,
  });
  stdout.write(`${command.join('\n')}\n`);
  return 0;
}
