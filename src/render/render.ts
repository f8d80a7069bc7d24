import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import { DEFAULT_CERTIFICATE_FILE, type NginxModel } from '../model/nginx.ts';
import { DYNAMIC_STATE_FILE, dynamicState, type DynamicState } from './dynamic-state.ts';
import { filters } from './filters.ts';
import { InlinedPartialsLoader, PRINT_CALLER } from './inlined-partials.ts';
import { luaFiles } from './lua-files.ts';
import { useLeanMemberLookup } from './member-lookup.ts';
import { modsecurityFiles, modsecurityPaths } from './modsecurity-files.ts';
import { RenderedBlock, ServerBlockCache } from './server-blocks.ts';

/** Where the rendered tree lives: config and certificates in `confDir`, mutable state in `runDir`. */
export interface RenderPaths {
  /** Absolute folder the files are written to; the config names every file by its absolute path. */
  readonly confDir: string;
  /** Absolute folder for the pid file, temp folders and the status socket; survives reloads. */
  readonly runDir: string;
  /**
   * Version of the NGINX that will load the config (`1.22.1`), for the little syntax that differs:
   * HTTP/2 is a `listen` parameter before 1.25.1 and the `http2` directive from then on. Default 1.22.
   */
  readonly nginxVersion?: string;
  /** Where the access log goes: a file path, or a loopback syslog target. Default `/dev/stdout`. */
  readonly accessLog?: string;
  /** Whether this host can listen on IPv6 (the CLI probes it); NGINX then also listens on `[::]`. */
  readonly ipv6Available?: boolean;
  /**
   * Where the metrics log goes (see src/observability/traffic-metrics.ts): a file the controller reads as
   * it grows (written in 64 KiB blocks), or a loopback syslog target (a datagram per request). When set,
   * every request is also logged there in a structured format naming its route. Unset: no metrics log.
   */
  readonly metricsLog?: string;
  /** Folder of NGINX's dynamic modules (Debian's by default): the Lua module and its NDK are loaded from it. */
  readonly modulesDir?: string;
  /**
   * Port on which NGINX itself answers `GET /healthz`: the probes of the sidecar pod's `nginx` container,
   * the same in the bootstrap config (renderBootstrap) and in every config after it. Unset: none.
   */
  readonly nginxHealthzPort?: number;
}

export const DEFAULT_MODULES_DIR = '/usr/lib/nginx/modules';

/** How HTTP/2 is switched on for this NGINX, if the model wants it. */
export function http2Syntax(version: string | undefined): 'listen' | 'directive' {
  const [major = 0, minor = 0, patch = 0] = (version ?? '1.22.0').split('.').map(Number);
  const at = major * 1_000_000 + minor * 1000 + patch;
  return at >= 1_025_001 ? 'directive' : 'listen';
}

export interface RenderedFile {
  /** Path relative to `confDir`. */
  readonly path: string;
  readonly content: string;
  readonly mode: number;
  /**
   * NGINX's workers read it on each request (an htpasswd file), not the master at load time: when the
   * master runs as root, the workers' user must be able to reach and read it.
   */
  readonly readByWorkers?: boolean;
}

export interface RenderedConfig {
  /** nginx.conf, certificates and the Lua tree; the dynamic state is not among them. */
  readonly files: readonly RenderedFile[];
  /** sha256 over every file; also printed into nginx.conf and served on the status socket. */
  readonly checksum: string;
  readonly nginxConf: string;
  /** Endpoints and the like, pushed to NGINX at run time: outside the checksum, never a reason to reload. */
  readonly dynamic: DynamicState;
}

const CHECKSUM_PLACEHOLDER = '@@GATEHOUSE_CHECKSUM@@';
/** What the template prints in place of the hosts' server blocks. */
const BLOCKS_MARK = new RenderedBlock('@@GATEHOUSE_SERVER_BLOCKS@@');
const TEMPLATES_DIR = fileURLToPath(new URL('../../templates', import.meta.url));

let environment: nunjucks.Environment | undefined;

function env(): nunjucks.Environment {
  if (environment === undefined) {
    useLeanMemberLookup();
    const e = new nunjucks.Environment(new InlinedPartialsLoader(TEMPLATES_DIR), {
      autoescape: false, // HTML escaping is wrong for NGINX; the named filters do the quoting.
      throwOnUndefined: true,
      trimBlocks: true,
      lstripBlocks: true,
    });
    for (const [name, fn] of Object.entries(filters))
      e.addFilter(name, fn as (...args: unknown[]) => unknown);
    e.addGlobal(PRINT_CALLER.name, PRINT_CALLER.fn);
    environment = e;
  }
  return environment;
}

/**
 * Model → files. No decisions here: the template loops over the model and prints through filters. Each
 * host's server block is printed again only when its Server or the values around it changed, given the
 * `blocks` of the render before (the reconciler keeps them; server-blocks.ts); the text is the same either way.
 */
export function render(
  model: NginxModel,
  paths: RenderPaths,
  blocks: ServerBlockCache = new ServerBlockCache(),
): RenderedConfig {
  const certs = path.join(paths.confDir, 'certs');
  const onDisk = new Set([
    ...model.servers.flatMap((s) => [
      ...(s.ownSslContext === undefined ? [] : [s.certificate]),
      ...(s.clientAuth === undefined ? [] : [s.clientAuth.caFile]),
    ]),
    // TLS to the pods: NGINX loads these per location when it reads the config.
    ...model.upstreamTlsFiles.map((f) => f.fileName),
  ]);
  const context = {
    m: model,
    checksum: CHECKSUM_PLACEHOLDER,
    run: runFiles(paths.runDir),
    // Only the default server has a certificate file: every other host's comes from the dynamic state,
    // except a host with an SSL context of its own (client certificates, its own ciphers).
    defaultCertificatePath: path.join(certs, model.defaultServer.certificate),
    certPath: Object.fromEntries([...onDisk].map((name) => [name, path.join(certs, name)])),
    authPath: Object.fromEntries(
      model.authFiles.map((f) => [f.fileName, path.join(paths.confDir, 'auth', f.fileName)]),
    ),
    httpsPort: model.listen.httpsPort,
    http2: model.global.http2 ? http2Syntax(paths.nginxVersion) : 'off',
    // The local 503 listener for gRPC backends speaks HTTP/2 whatever use-http2 says about clients.
    http2Syntax: http2Syntax(paths.nginxVersion),
    accessLog: paths.accessLog ?? '/dev/stdout',
    // A file (or stdout) is written in 64 KiB blocks, at least every second: one write per request halved
    // the requests per second (npm run bench). A syslog target sends each line as it comes.
    accessLogBuffered: !(paths.accessLog ?? '').startsWith('syslog:'),
    ipv6: model.global.ipv6 && paths.ipv6Available === true,
    metricsLog: paths.metricsLog ?? '',
    metricsLogBuffered: !(paths.metricsLog ?? 'syslog:').startsWith('syslog:'),
    passthrough: model.stream?.passthrough !== undefined,
    modules: paths.modulesDir ?? DEFAULT_MODULES_DIR,
    lua: {
      path: path.join(paths.confDir, 'lua'),
      stateFile: path.join(paths.confDir, DYNAMIC_STATE_FILE),
    },
    nginxHealthzPort: paths.nginxHealthzPort ?? 0,
    modsec: modsecurityPaths(model.modsecurity, paths.confDir, paths.modulesDir ?? DEFAULT_MODULES_DIR),
  };
  // A host's block sees only these values besides its Server (and certPath/authPath, whose entries are
  // fixed by confDir and the file's name): the cache's key is made of them. The server_names hash sizes
  // follow the number of hosts and are printed at http level only (0 here): a host added keeps the
  // other hosts' blocks.
  const global = { ...model.global, serverNamesHashBucketSize: 0, serverNamesHashMaxSize: 0 };
  const around = {
    ...context,
    m: {
      global,
      listen: model.listen,
      ...(model.modsecurity !== undefined && { modsecurity: model.modsecurity }),
    },
    defaultServer: false,
  };
  const key = JSON.stringify({ ...around, certPath: undefined, authPath: undefined, confDir: paths.confDir });
  const host = env().getTemplate('partials/host.njk');
  const serverBlocks = blocks.blocksFor(model.servers, key, (server) => {
    const block = host.render({ ...around, server });
    if (block.includes(CHECKSUM_PLACEHOLDER)) throw new Error('render: a server block prints the checksum');
    return block;
  });
  // The template prints a mark where the hosts' blocks go; they are joined in below, once, into the config
  // (not concatenated by the template, then copied again for the checksum): the cached blocks become
  // slices of that one string.
  const draft = env().render('nginx.conf.njk', { ...context, serverBlocks: [BLOCKS_MARK] });
  const mark = draft.indexOf(BLOCKS_MARK.text);
  if (mark === -1 || draft.indexOf(BLOCKS_MARK.text, mark + 1) !== -1)
    throw new Error('render: the template must print the server blocks once');
  const head = draft.slice(0, mark);
  const tail = draft.slice(mark + BLOCKS_MARK.text.length);
  // One file per name: a Secret may give a host its certificate and the pods their client certificate.
  const certFiles = [
    ...new Map(
      [...model.certificates, ...model.clientCaFiles, ...model.upstreamTlsFiles].map((c) => [c.fileName, c]),
    ).values(),
  ]
    .filter((c) => c.fileName === model.defaultServer.certificate || onDisk.has(c.fileName))
    .map((c) => ({ path: `certs/${c.fileName}`, content: c.pem, mode: 0o600 }));
  const lua = luaFiles();
  const authFiles = model.authFiles.map((f) => ({
    path: `auth/${f.fileName}`,
    content: f.content,
    mode: 0o600,
    readByWorkers: true,
  }));
  const modsecFiles = modsecurityFiles(model.modsecurity, runFiles(paths.runDir).temp);
  const hash = createHash('sha256').update(head);
  for (const block of serverBlocks) hash.update(block);
  hash.update(tail);
  for (const f of lua) hash.update(`\0${f.path}\0${f.content}`);
  // The default certificate is made once per conf dir and never changes under a running config, so only
  // its name counts: `gatehouse render` then prints the same bytes for the same objects every time.
  for (const f of [...certFiles, ...authFiles, ...modsecFiles])
    hash.update(`\0${f.path}\0${f.path === `certs/${DEFAULT_CERTIFICATE_FILE}` ? '' : f.content}`);
  const checksum = hash.digest('hex').slice(0, 32);
  const top = head.replaceAll(CHECKSUM_PLACEHOLDER, checksum);
  const nginxConf = [top, ...serverBlocks, tail.replaceAll(CHECKSUM_PLACEHOLDER, checksum)].join('');
  blocks.keptIn(nginxConf, top.length);
  return {
    files: [
      { path: 'nginx.conf', content: nginxConf, mode: 0o644 },
      ...certFiles,
      ...authFiles,
      ...modsecFiles,
      ...lua,
    ],
    checksum,
    nginxConf,
    dynamic: dynamicState(model),
  };
}

/**
 * The config the sidecar pod's `nginx` container starts on before the controller's first one: the run
 * files, the health port and a status socket that says `bootstrap`; no traffic is served.
 */
export function renderBootstrap(
  paths: Pick<RenderPaths, 'runDir' | 'ipv6Available'> & { readonly nginxHealthzPort: number },
): string {
  return env().render('bootstrap.conf.njk', {
    run: runFiles(paths.runDir),
    nginxHealthzPort: paths.nginxHealthzPort,
    ipv6: paths.ipv6Available === true,
  });
}

/**
 * The unix sockets NGINX's servers listen on in the run folder. A killed master leaves them behind and NGINX
 * does not bind over one: whoever starts a master on the folder with none running removes them first.
 */
export function runSockets(runDir: string): string[] {
  return Object.values(runFiles(runDir)).filter((file) => file.endsWith('.sock'));
}

function runFiles(runDir: string) {
  return {
    pid: path.join(runDir, 'nginx.pid'),
    statusSocket: path.join(runDir, 'status.sock'),
    // A backend without a ready endpoint: the balancer sends the request to one of these, which answer 503.
    unavailableSocket: path.join(runDir, 'unavailable.sock'),
    unavailableGrpcSocket: path.join(runDir, 'unavailable-grpc.sock'),
    temp: path.join(runDir, 'tmp'),
    // SSL passthrough: the stream layer hands HTTPS to the HTTP servers here, passthrough hosts there.
    httpsSocket: path.join(runDir, 'https.sock'),
    passthroughSocket: path.join(runDir, 'passthrough.sock'),
  };
}
