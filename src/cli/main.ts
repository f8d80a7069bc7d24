import { Command, Option } from 'commander';
import { createLogger, type LogFormat } from '../observability/logger.ts';
import { classAndConfigOptions, parsePort, type ClassAndConfigFlags } from './options.ts';
import { renderCommand, type RenderFlags } from './render-command.ts';
import { serveCommand, type ServeFlags } from './serve-command.ts';

interface LogFlags {
  logLevel: string;
  logFormat: LogFormat;
}

function withShared(cmd: Command): Command {
  for (const option of classAndConfigOptions()) cmd.addOption(option);
  return cmd;
}

/**
 * The CLI: the only place that reads the environment, builds the root logger and installs signal handlers.
 * Returns the process exit code.
 */
export async function main(argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command('gatehouse')
    .description('A Kubernetes Ingress controller that drives real NGINX.')
    .showHelpAfterError()
    .exitOverride();

  withShared(
    program
      .command('serve')
      .description('Serve the Ingresses in a folder of manifests through NGINX, following every change.')
      .requiredOption(
        '--manifests <dir>',
        'folder of *.yaml, *.yml and *.json manifests, watched for changes',
      )
      .addOption(
        new Option('--healthz-port <port>', 'port of GET /healthz').argParser(parsePort).default(10254),
      )
      .addOption(new Option('--healthz-host <address>', 'address /healthz listens on').default('127.0.0.1'))
      .option(
        '--conf-dir <dir>',
        'folder for the rendered NGINX config, certificates and run files',
        '/tmp/gatehouse',
      )
      .option('--nginx-binary <path>', 'NGINX executable', 'nginx')
      .addOption(
        new Option('--debounce <ms>', 'quiet time after a change before reconciling')
          .argParser(Number)
          .default(100),
      )
      .addOption(
        new Option('--log-level <level>', 'error, warn, info or debug')
          .choices(['error', 'warn', 'info', 'debug'])
          .default(process.env['GATEHOUSE_LOG_LEVEL'] ?? 'info'),
      )
      .addOption(
        new Option('--log-format <format>', 'text or json').choices(['text', 'json']).default('text'),
      ),
  ).action(async (flags: ServeFlags & LogFlags) => {
    const logger = createLogger({ level: flags.logLevel, format: flags.logFormat });
    const controller = new AbortController();
    const onSignal = (signal: NodeJS.Signals): void => {
      logger.info(`received ${signal}`);
      controller.abort();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    try {
      exitCode = await serveCommand(flags, logger, controller.signal);
    } catch (error) {
      logger.error('gatehouse failed', { error: error instanceof Error ? error.message : String(error) });
      exitCode = 1;
    }
  });

  withShared(
    program
      .command('render')
      .description('Print the nginx.conf a folder of manifests gives, or write the whole tree with --out.')
      .requiredOption('--manifests <dir>', 'folder of *.yaml, *.yml and *.json manifests')
      .option(
        '--out <dir>',
        'write nginx.conf and certificates here (absolute paths), ready for nginx -t -c DIR/nginx.conf',
      ),
  ).action(async (flags: RenderFlags & ClassAndConfigFlags) => {
    exitCode = await renderCommand(flags, { stdout: process.stdout, stderr: process.stderr });
  });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    const code = (error as { exitCode?: number }).exitCode;
    if (typeof code === 'number') return code;
    process.stderr.write(`gatehouse: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  return exitCode;
}
