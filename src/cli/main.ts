import { Command, Option } from 'commander';
import { createLogger, type LogFormat } from '../observability/logger.ts';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import {
  classAndConfigOptions,
  parseAddressList,
  parseBool,
  parseListenAddress,
  parseNamespacedName,
  parseNonNegativeInt,
  parsePort,
  parsePositiveInt,
  type ClassAndConfigFlags,
} from './options.ts';
import { bootstrapNginxCommand, type BootstrapNginxFlags } from './bootstrap-nginx-command.ts';
import { defaultConfDir, prepareConfDir } from './conf-dir.ts';
import { collectHeader, explainCommand, type ExplainFlags } from './explain-command.ts';
import { inspectCommand, type InspectFlags } from './inspect-command.ts';
import { endpointsCommand, type EndpointsFlags } from './endpoints-command.ts';
import { DEFAULT_MODULES_DIR } from '../render/render.ts';
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
    .showHelpAfterError('(add --help for the flags)')
    .version(packageVersion(), '--version', 'print the Gatehouse version')
    .exitOverride();

  withShared(
    program
      .command('serve')
      .description(
        'Serve the Ingresses of a cluster (or of a folder of manifests) through NGINX, following every change.',
      )
      .option(
        '--manifests <dir>',
        'serve a folder of *.yaml, *.yml and *.json manifests (watched for changes) instead of a cluster',
      )
      .option(
        '--kubeconfig <file>',
        'kubeconfig for the cluster (default: in-cluster config, else $KUBECONFIG or ~/.kube/config)',
      )
      .option('--watch-namespace <ns>', 'watch only this namespace (default: all namespaces)', '')
      .option(
        '--election-id <name>',
        'name of the coordination.k8s.io Lease used for leader election',
        'gatehouse-leader',
      )
      .addOption(
        new Option('--election-ttl <seconds>', 'Lease duration: how long a silent leader keeps the lead')
          .argParser(parsePositiveInt)
          .default(15),
      )
      .addOption(
        new Option(
          '--publish-service <ns/name>',
          'Service whose address is written to Ingress status',
        ).argParser(parseNamespacedName),
      )
      .addOption(
        new Option(
          '--publish-status-address <addresses>',
          'comma-separated addresses written to Ingress status (overrides --publish-service)',
        )
          .argParser(parseAddressList)
          .default([]),
      )
      .addOption(
        new Option('--update-status <bool>', 'write .status.loadBalancer on our Ingresses (leader only)')
          .argParser(parseBool)
          .default(true),
      )
      .option(
        '--report-node-internal-ip-address',
        "without a publish flag, report the nodes' InternalIP instead of their ExternalIP",
        false,
      )
      .addOption(
        new Option('--status-resync <ms>', 'how often status is re-checked without a change')
          .argParser(parsePositiveInt)
          .default(30_000),
      )
      .addOption(
        new Option(
          '--validating-webhook <[host]:port>',
          'serve the validating admission webhook (HTTPS) here',
        ).argParser(parseListenAddress),
      )
      .option('--validating-webhook-certificate <file>', 'PEM certificate file for the webhook')
      .option('--validating-webhook-key <file>', 'PEM private key file for the webhook')
      .addOption(
        new Option('--healthz-port <port>', 'port of GET /healthz').argParser(parsePort).default(10254),
      )
      .addOption(new Option('--healthz-host <address>', 'address /healthz listens on').default('127.0.0.1'))
      .option(
        '--conf-dir <dir>',
        'private folder for the rendered NGINX config, certificates and run files (default: $XDG_RUNTIME_DIR/gatehouse, /run/gatehouse for root, else gatehouse-<uid> in the temp folder)',
      )
      .option('--nginx-binary <path>', 'NGINX executable', 'nginx')
      .option(
        '--nginx-modules-dir <dir>',
        "folder of NGINX's dynamic modules (the Lua module and its NDK)",
        DEFAULT_MODULES_DIR,
      )
      .addOption(
        new Option(
          '--nginx-mode <mode>',
          "child: run NGINX as a child process; sidecar: drive the NGINX of the pod's nginx container, found through the pid file in --conf-dir (shared emptyDir and process namespace), adopted as it runs and never stopped",
        )
          .choices(['child', 'sidecar'])
          .default('child'),
      )
      .addOption(
        new Option(
          '--nginx-healthz-port <port>',
          "also have NGINX itself answer GET /healthz on this port (the nginx container's probes; see bootstrap-nginx)",
        ).argParser(parsePort),
      )
      .addOption(
        new Option(
          '--metrics-log-port <port>',
          'send the metrics log over loopback syslog to this UDP port (one datagram per request) instead of writing it to <conf-dir>/run/metrics.log in blocks; the sidecar pod sets it, so a restarted controller renders the same config',
        ).argParser(parsePort),
      )
      .addOption(
        new Option(
          '--nginx-test-timeout <seconds>',
          'longest nginx -t may run before the configuration counts as refused',
        )
          .argParser(parsePositiveInt)
          .default(120),
      )
      .addOption(
        new Option(
          '--enable-metrics <bool>',
          'per-Ingress traffic metrics on /metrics, from a metrics log NGINX sends over loopback',
        )
          .argParser(parseBool)
          .default(true),
      )
      .addOption(
        new Option(
          '--shutdown-grace-period <seconds>',
          'after SIGTERM, keep serving this long (with /healthz failing) before NGINX stops',
        )
          .argParser(parseNonNegativeInt)
          .default(0),
      )
      .addOption(
        new Option(
          '--inspection <who>',
          'who may read the inspection endpoints (/debug/…) on the health port: loopback, any or off',
        )
          .choices(['loopback', 'any', 'off'])
          .default('loopback'),
      )
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
  ).action(async (flags: Omit<ServeFlags, 'confDir'> & { confDir?: string } & LogFlags) => {
    const logger = createLogger({ level: flags.logLevel, format: flags.logFormat });
    const controller = new AbortController();
    const onSignal = (signal: NodeJS.Signals): void => {
      logger.info(`received ${signal}`);
      controller.abort();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    try {
      const podName = process.env['POD_NAME'];
      const podNamespace = process.env['POD_NAMESPACE'];
      const pod = {
        name: podName ?? `${hostname()}-${process.pid}`,
        namespace: podNamespace ?? 'default',
        inPod: podName !== undefined && podNamespace !== undefined,
      };
      const confDir = await prepareConfDir(
        flags.confDir ?? defaultConfDir(process.env, process.getuid?.() ?? 0),
        { isDefault: flags.confDir === undefined },
      );
      exitCode = await serveCommand({ ...flags, confDir }, pod, logger, controller.signal);
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
      )
      .option('--nginx-binary <path>', 'NGINX whose version decides version-specific syntax', 'nginx')
      .option(
        '--nginx-modules-dir <dir>',
        "folder of NGINX's dynamic modules (the Lua module and its NDK)",
        DEFAULT_MODULES_DIR,
      ),
  ).action(async (flags: RenderFlags & ClassAndConfigFlags) => {
    exitCode = await renderCommand(flags, { stdout: process.stdout, stderr: process.stderr });
  });

  program
    .command('bootstrap-nginx')
    .description(
      "The sidecar pod's nginx container: prepare the shared --conf-dir (the config the controller applied last if it still passes nginx -t, else a bootstrap config that only answers health checks) and print NGINX's command line, one argument per line, for the container to exec.",
    )
    .requiredOption('--conf-dir <dir>', 'the conf dir shared with the controller (an emptyDir)')
    .option('--nginx-binary <path>', 'NGINX executable', 'nginx')
    .addOption(
      new Option('--nginx-healthz-port <port>', 'port on which NGINX answers GET /healthz')
        .argParser(parsePort)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--log-level <level>', 'error, warn, info or debug')
        .choices(['error', 'warn', 'info', 'debug'])
        .default('info'),
    )
    .addOption(new Option('--log-format <format>', 'text or json').choices(['text', 'json']).default('text'))
    .action(async (flags: BootstrapNginxFlags & LogFlags) => {
      const logger = createLogger({ level: flags.logLevel, format: flags.logFormat });
      try {
        exitCode = await bootstrapNginxCommand(
          { ...flags, confDir: await prepareConfDir(flags.confDir, { isDefault: false }) },
          logger,
          process.stdout,
        );
      } catch (error) {
        logger.error('the nginx container cannot start', {
          error: error instanceof Error ? error.message : String(error),
        });
        exitCode = 1;
      }
    });

  const controllerOption = (): Option =>
    new Option('--controller <url>', "the controller's health port").default('http://127.0.0.1:10254');
  const io = { stdout: process.stdout, stderr: process.stderr };
  program
    .command('status')
    .description(
      'What a live controller serves: its checksum, last reconcile, Ingresses, and every rejected or degraded object and why.',
    )
    .addOption(controllerOption())
    .option('--json', 'print JSON', false)
    .action(async (flags: InspectFlags) => {
      exitCode = await inspectCommand('status', flags, {}, io);
    });
  program
    .command('diff')
    .description(
      "A live controller's last applied configs, newest first: when, which objects triggered them, what changed, as unified diffs.",
    )
    .addOption(controllerOption())
    .addOption(new Option('-n, --last <n>', 'how many configs').argParser(parsePositiveInt).default(1))
    .option('--json', 'print JSON', false)
    .action(async (flags: InspectFlags & { last: number }) => {
      exitCode = await inspectCommand('history', flags, { n: String(flags.last) }, io);
    });
  program
    .command('endpoints')
    .description(
      "List every backend's endpoints as the running NGINX uses them (read from its status socket).",
    )
    .option('--conf-dir <dir>', 'the --conf-dir of the running gatehouse serve (default: as serve)')
    .addOption(new Option('--output <format>', 'text or json').choices(['text', 'json']).default('text'))
    .action(async (flags: EndpointsFlags) => {
      const confDir = flags.confDir ?? defaultConfDir(process.env, process.getuid?.() ?? 0);
      exitCode = await endpointsCommand({ ...flags, confDir }, io);
    });

  withShared(
    program
      .command('explain')
      .description(
        'Where a request goes and why: the server and location NGINX picks, the Ingress rule, annotations, upstream and endpoints, or why it ends in 404, 503, 308 or 403.',
      )
      .argument('<url>', 'http:// or https:// URL of the request')
      .option('--manifests <dir>', 'explain against a folder of manifests instead of the live controller')
      .addOption(controllerOption())
      .option('-X, --method <method>', 'request method', 'GET')
      .option(
        '-H, --header <name:value>',
        'request header (repeatable); Host: overrides the URL host',
        collectHeader,
        [],
      )
      .option('--source <ip>', 'client address, for allow-lists', '127.0.0.1')
      .option('--json', 'print JSON', false),
  ).action(async (url: string, flags: ExplainFlags) => {
    exitCode = await explainCommand(url, flags, io);
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

/** The version in package.json (two levels up from src/cli and from dist/cli alike). */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: string;
  };
  return pkg.version ?? 'unknown';
}
