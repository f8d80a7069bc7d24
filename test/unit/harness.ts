// Shared by the translate tables and the property tests: build a snapshot from fixture objects, translate
// it with the CLI's default options, render it with fixed paths, and read the result the way a user would.
import { readFileSync } from 'node:fs';
import type { KubernetesObject } from '@kubernetes/client-node';
import { formatDiagnostic, type Diagnostic } from '../../src/model/diagnostics.ts';
import type { Location, NginxModel, Server } from '../../src/model/nginx.ts';
import type { Snapshot } from '../../src/model/snapshot.ts';
import type { DynamicState } from '../../src/render/dynamic-state.ts';
import { render } from '../../src/render/render.ts';
import { buildSnapshot } from '../../src/sources/kube-objects.ts';
import { translate, type TranslateOptions, type TranslateResult } from '../../src/translate/translate.ts';

/** The fixed default certificate the goldens use; translate only copies it, so any test may share it. */
export const DEFAULT_PEM = readFileSync(
  new URL('../golden/default-certificate.pem', import.meta.url),
  'utf8',
);

export const PATHS = { confDir: '/etc/gatehouse', runDir: '/etc/gatehouse/run' } as const;

/** The options `gatehouse render` uses when no flag is given. */
export const OPTIONS: TranslateOptions = {
  ingressClass: 'gatehouse',
  controllerClass: 'gatehouse.dev/ingress-controller',
  watchIngressWithoutClass: false,
  listen: { httpPort: 80, httpsPort: 443 },
  defaultBackendService: undefined,
  configMap: undefined,
  defaultCertificatePem: DEFAULT_PEM,
  defaultCertificateSecret: undefined,
  excluded: new Map(),
};

export function snapshotOf(objects: readonly KubernetesObject[]): Snapshot {
  return buildSnapshot(
    objects.map((object) => ({ origin: 'objects.yaml', object })),
    [],
  );
}

/** What the snapshot carries beyond the objects: the resolver's answers for ExternalName targets. */
export type SnapshotExtras = Pick<Snapshot, 'externalNames'>;

export function translateObjects(
  objects: readonly KubernetesObject[],
  options: Partial<TranslateOptions> = {},
  extras: SnapshotExtras = {},
): TranslateResult {
  return translate({ ...snapshotOf(objects), ...extras }, { ...OPTIONS, ...options });
}

export function renderObjects(
  objects: readonly KubernetesObject[],
  options: Partial<TranslateOptions> = {},
  extras: SnapshotExtras = {},
): {
  result: TranslateResult;
  conf: string;
  backends: Readonly<Record<string, readonly string[]>>;
  /** What is pushed to NGINX at run time: endpoints, and each host's certificate. */
  dynamic: DynamicState;
} {
  const result = translateObjects(objects, options, extras);
  const rendered = render(result.model, PATHS);
  return { result, conf: rendered.nginxConf, backends: rendered.dynamic.backends, dynamic: rendered.dynamic };
}

/** Diagnostics as the log prints them: `warning: Ingress default/cafe: spec.rules[0].host: reason`. */
export function messages(result: { readonly diagnostics: readonly Diagnostic[] }): string[] {
  return result.diagnostics.map(formatDiagnostic);
}

export function outcome(result: TranslateResult, name: string, namespace = 'default'): string | undefined {
  return result.ingresses.find((i) => i.ref.name === name && i.ref.namespace === namespace)?.outcome;
}

/** The server for a host; `''` is the default server. Throws when the host has no server. */
export function serverFor(model: NginxModel, host: string): Server {
  if (host === '') return model.defaultServer;
  const server = model.servers.find((s) => s.host === host);
  if (server === undefined)
    throw new Error(`no server for ${host}; have ${model.servers.map((s) => s.host).join(', ')}`);
  return server;
}

function describeAction(loc: Location): string {
  return loc.action.kind === 'proxy'
    ? `${loc.action.protocol === 'HTTPS' ? 'https' : 'http'}://${loc.action.upstream}`
    : String(loc.action.code);
}

/** A server's locations as `= /tea -> http://default_tea_80`: what its `location` blocks do, in order. */
export function routes(model: NginxModel, host: string): string[] {
  return serverFor(model, host).locations.map(
    (l) => `${l.modifier === '' ? '' : `${l.modifier} `}${l.path} -> ${describeAction(l)}`,
  );
}

/** The text of one server block, found by its `server_name` line. */
export function serverBlock(conf: string, serverName: string): string {
  const start = conf.indexOf(`server_name ${serverName};`);
  if (start < 0) throw new Error(`no server_name ${serverName} in the config`);
  const end = conf.indexOf('\n    }\n', start);
  return conf.slice(start, end);
}
