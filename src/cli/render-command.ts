import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatDiagnostic } from '../model/diagnostics.ts';
import { nginxVersion } from '../nginx/nginx-process.ts';
import { DYNAMIC_STATE_FILE, wholeStateChange } from '../render/dynamic-state.ts';
import { render } from '../render/render.ts';
import { loadManifestFolder } from '../sources/files/load-folder.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { createLogger } from '../observability/logger.ts';
import { NameResolver } from '../sources/dns/name-resolver.ts';
import { externalNamesWanted } from '../translate/external-names.ts';
import { translate, type TranslateOptions, type TranslateResult } from '../translate/translate.ts';
import { ensureDefaultCertificate } from './default-certificate.ts';
import { prepareConfDir } from './conf-dir.ts';
import { canListenOnIpv6 } from './ipv6.ts';
import { localAddresses } from './local-addresses.ts';
import { translateOptionsFrom, type ClassAndConfigFlags } from './options.ts';

export interface RenderFlags extends ClassAndConfigFlags {
  manifests: string;
  out?: string;
  nginxBinary: string;
  nginxModulesDir: string;
}

/** The snapshot with its ExternalName targets resolved (each lookup bounded by the resolver's timeout). */
async function withExternalNames(
  snapshot: Snapshot,
  options: Omit<TranslateOptions, 'excluded'>,
  servers: readonly string[],
): Promise<Snapshot> {
  const names = externalNamesWanted(snapshot, options);
  if (names.length === 0) return snapshot;
  const resolver = new NameResolver({
    servers,
    logger: createLogger({ level: 'error', format: 'text' }),
    onChange: () => undefined,
  });
  resolver.track(names);
  await resolver.settled(10_000);
  const externalNames = resolver.results();
  resolver.stop();
  return { ...snapshot, externalNames };
}

/**
 * A folder of manifests as the controller would translate it (ExternalNames resolved); `certificateDir`
 * keeps the generated default certificate (a fresh one in memory without it).
 */
export async function translateFolder(
  flags: ClassAndConfigFlags & { manifests: string },
  certificateDir: string | undefined,
): Promise<{ snapshot: Snapshot; result: TranslateResult }> {
  const loaded = await loadManifestFolder(flags.manifests);
  const defaultCertificatePem = await ensureDefaultCertificate(certificateDir);
  const options = translateOptionsFrom(flags, defaultCertificatePem, localAddresses());
  const snapshot = await withExternalNames(loaded, options, flags.externalNameResolver);
  return { snapshot, result: translate(snapshot, { ...options, excluded: new Map() }) };
}

/** `gatehouse render`: manifests → nginx.conf on stdout, or a complete tree under --out. */
export async function renderCommand(
  flags: RenderFlags,
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<number> {
  const out = flags.out === undefined ? undefined : await prepareConfDir(flags.out, { isDefault: false });
  const { result } = await translateFolder(flags, out);
  for (const d of result.diagnostics) io.stderr.write(`${formatDiagnostic(d)}\n`);
  const root = out ?? '/etc/gatehouse';
  // The syntax follows the NGINX that will load the config; without one on PATH, 1.22's.
  const version = await nginxVersion(flags.nginxBinary).catch(() => undefined);
  const rendered = render(result.model, {
    confDir: root,
    runDir: path.join(root, 'run'),
    // A tree written with --out must run as is wherever it is started: /dev/stdout cannot be opened when
    // stdout is a socket (process managers, language runtimes that spawn over socketpairs), a file can.
    ...(out === undefined ? {} : { accessLog: path.join(out, 'logs', 'access.log') }),
    ipv6Available: await canListenOnIpv6(),
    modulesDir: flags.nginxModulesDir,
    ...(version === undefined ? {} : { nginxVersion: version }),
  });
  if (out === undefined) {
    io.stdout.write(rendered.nginxConf);
    return 0;
  }
  await mkdir(path.join(out, 'run', 'tmp'), { recursive: true });
  await mkdir(path.join(out, 'logs'), { recursive: true });
  for (const file of rendered.files) {
    await mkdir(path.dirname(path.join(out, file.path)), { recursive: true });
    await writeFile(path.join(out, file.path), file.content, { mode: file.mode });
  }
  // The endpoints, which `serve` pushes at run time: NGINX started on this tree loads them at start.
  await writeFile(path.join(out, DYNAMIC_STATE_FILE), wholeStateChange(rendered.dynamic), { mode: 0o600 });
  io.stderr.write(
    `wrote ${rendered.files.length} files to ${out} (checksum ${rendered.checksum}); check with: nginx -t -c ${path.join(out, 'nginx.conf')}\n`,
  );
  return 0;
}
