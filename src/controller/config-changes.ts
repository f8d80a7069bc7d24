import type { KubernetesObject } from '@kubernetes/client-node';
import { cmp } from '../model/diagnostics.ts';
import type { NginxModel, Server, Upstream } from '../model/nginx.ts';
import { objectChanges } from '../model/object-changes.ts';
import type { Snapshot } from '../model/snapshot.ts';

/** What a new config changes for traffic, compared with the one NGINX served before. */
export interface ConfigChange {
  readonly hostsAdded: readonly string[];
  readonly hostsRemoved: readonly string[];
  /** `host path` for locations (`=` and `~` marked: `shop.example.com = /health`); `_` is the default server. */
  readonly pathsAdded: readonly string[];
  readonly pathsRemoved: readonly string[];
  /** Locations whose action changed: another upstream, a 503 that became a proxy, … */
  readonly pathsChanged: readonly string[];
  readonly upstreamsAdded: readonly string[];
  readonly upstreamsRemoved: readonly string[];
  /** Upstreams whose pod addresses changed, with the number of endpoints before and after. */
  readonly endpointsChanged: readonly {
    readonly upstream: string;
    readonly before: number;
    readonly after: number;
  }[];
}

/**
 * Compares two models (before: undefined for the first config). Pure. A server or upstream that is the
 * very same object on both sides (the endpoint fast path keeps them all) is not looked into.
 */
export function describeChange(before: NginxModel | undefined, after: NginxModel): ConfigChange {
  const endpointsOnly = before === undefined ? undefined : endpointChanges(before, after);
  if (endpointsOnly !== undefined) return endpointsOnly;
  const paths = { added: [] as string[], removed: [] as string[], changed: [] as string[] };
  const serversBefore = servers(before);
  const serversAfter = servers(after);
  for (const [host, server] of serversAfter) pathChanges(host, serversBefore.get(host), server, paths);
  for (const [host, server] of serversBefore)
    if (!serversAfter.has(host)) pathChanges(host, server, undefined, paths);
  const upBefore = new Map(before?.upstreams.map((u) => [u.name, u]) ?? []);
  const upAfter = new Map(after.upstreams.map((u) => [u.name, u]));
  return {
    hostsAdded: hostsOnlyIn(serversAfter, serversBefore),
    hostsRemoved: hostsOnlyIn(serversBefore, serversAfter),
    pathsAdded: paths.added.sort(cmp),
    pathsRemoved: paths.removed.sort(cmp),
    pathsChanged: paths.changed.sort(cmp),
    upstreamsAdded: minus(upAfter, upBefore),
    upstreamsRemoved: minus(upBefore, upAfter),
    endpointsChanged: [...upAfter.values()]
      .flatMap((u) => {
        const old = upBefore.get(u.name);
        return old !== undefined && old !== u && !sameEndpoints(old, u)
          ? [{ upstream: u.name, before: old.endpoints.length, after: u.endpoints.length }]
          : [];
      })
      .sort((a, b) => cmp(a.upstream, b.upstream)),
  };
}

/**
 * The change between two models of the endpoint fast path (the same servers; the same upstreams in the same
 * order, a changed one a new object): only endpoints, found without a map of every host and upstream (at
 * 10,000 Ingresses those took longer than the push they describe). Undefined for any other pair.
 */
function endpointChanges(before: NginxModel, after: NginxModel): ConfigChange | undefined {
  if (
    before.servers !== after.servers ||
    before.defaultServer !== after.defaultServer ||
    before.upstreams.length !== after.upstreams.length
  )
    return undefined;
  const endpointsChanged: { upstream: string; before: number; after: number }[] = [];
  for (const [i, u] of after.upstreams.entries()) {
    const old = before.upstreams[i];
    if (old === u) continue;
    if (old?.name !== u.name) return undefined;
    if (!sameEndpoints(old, u))
      endpointsChanged.push({ upstream: u.name, before: old.endpoints.length, after: u.endpoints.length });
  }
  const none: readonly string[] = [];
  return {
    hostsAdded: none,
    hostsRemoved: none,
    pathsAdded: none,
    pathsRemoved: none,
    pathsChanged: none,
    upstreamsAdded: none,
    upstreamsRemoved: none,
    endpointsChanged: endpointsChanged.sort((a, b) => cmp(a.upstream, b.upstream)),
  };
}

/** Items one reload line names at most: a first start at 10,000 Ingresses would otherwise log megabytes. */
export const MAX_CHANGE_ITEMS = 50;

/**
 * One line for the reload log: `+host a.example.com, -path b.example.com /x, endpoints ns_svc_80 2→3`,
 * cut after MAX_CHANGE_ITEMS items with how many more there are.
 */
export function formatChange(change: ConfigChange): string {
  const parts = [
    ...change.hostsAdded.map((h) => `+host ${h}`),
    ...change.hostsRemoved.map((h) => `-host ${h}`),
    ...change.pathsAdded.map((p) => `+path ${p}`),
    ...change.pathsRemoved.map((p) => `-path ${p}`),
    ...change.pathsChanged.map((p) => `~path ${p}`),
    ...change.upstreamsAdded.map((u) => `+upstream ${u}`),
    ...change.upstreamsRemoved.map((u) => `-upstream ${u}`),
    ...change.endpointsChanged.map((e) => `endpoints ${e.upstream} ${e.before}→${e.after}`),
  ];
  if (parts.length === 0) return 'no change in hosts, paths or endpoints (settings only)';
  if (parts.length <= MAX_CHANGE_ITEMS) return parts.join(', ');
  return `${parts.slice(0, MAX_CHANGE_ITEMS).join(', ')}, … and ${parts.length - MAX_CHANGE_ITEMS} more`;
}

/**
 * The objects that differ between two snapshots: `+Ingress web/shop`, `~Service web/cart`,
 * `-EndpointSlice web/cart-x1`. Objects compare by resourceVersion when both have one (a cluster), else by
 * content (a folder). Sorted.
 */
export function snapshotChanges(before: Snapshot | undefined, after: Snapshot): string[] {
  const lists = (s: Snapshot | undefined) =>
    [
      ['Ingress', s?.ingresses ?? []],
      ['IngressClass', s?.ingressClasses ?? []],
      ['Service', s?.services ?? []],
      ['EndpointSlice', s?.endpointSlices ?? []],
      ['Secret', s?.secrets ?? []],
      ['ConfigMap', s?.configMaps ?? []],
    ] as const;
  const changes: string[] = [];
  const old = lists(before);
  for (const [i, [kind, now]] of lists(after).entries()) kindChanges(kind, old[i]?.[1] ?? [], now, changes);
  return changes.sort((x, y) => cmp(x.slice(1), y.slice(1)) || cmp(x, y));
}

/** Adds one kind's changes (`objectChanges`: side by side while the lists match, then by name). */
function kindChanges(
  kind: string,
  a: readonly KubernetesObject[],
  b: readonly KubernetesObject[],
  changes: string[],
): void {
  const key = (o: KubernetesObject): string => {
    const ns = o.metadata?.namespace;
    return `${kind} ${ns === undefined ? '' : `${ns}/`}${o.metadata?.name ?? ''}`;
  };
  // A Snapshot holds each object once (buildSnapshot): the lists never name one twice.
  for (const [old, now] of objectChanges(a, b, key, sameObject) ?? []) {
    if (old === undefined) changes.push(`+${key(now as KubernetesObject)}`);
    else changes.push(`${now === undefined ? '-' : '~'}${key(old)}`);
  }
}

function sameObject(a: KubernetesObject, b: KubernetesObject): boolean {
  if (a === b) return true;
  const va = a.metadata?.resourceVersion;
  const vb = b.metadata?.resourceVersion;
  if (va !== undefined && vb !== undefined) return va === vb;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Servers by host, `_` for the default server. */
function servers(model: NginxModel | undefined): Map<string, Server> {
  const out = new Map<string, Server>();
  if (model === undefined) return out;
  out.set('_', model.defaultServer);
  for (const s of model.servers) out.set(s.host, s);
  return out;
}

/** Adds the locations of one host that differ (`host [=|~] path`), unless it is the very same server. */
function pathChanges(
  host: string,
  before: Server | undefined,
  after: Server | undefined,
  out: { added: string[]; removed: string[]; changed: string[] },
): void {
  if (before === after) return;
  const locBefore = locations(before);
  const locAfter = locations(after);
  for (const [path, action] of locAfter) {
    const old = locBefore.get(path);
    if (old === undefined) out.added.push(`${host} ${path}`);
    else if (old !== action) out.changed.push(`${host} ${path}`);
  }
  for (const path of locBefore.keys()) if (!locAfter.has(path)) out.removed.push(`${host} ${path}`);
}

/** A server's locations by `[=|~ ]path`, valued by what they do. */
function locations(server: Server | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const l of server?.locations ?? []) {
    const action = l.action.kind === 'proxy' ? `proxy ${l.action.upstream}` : `return ${l.action.code}`;
    out.set(`${l.modifier === '' ? '' : `${l.modifier} `}${l.path}`, action);
  }
  return out;
}

function sameEndpoints(a: Upstream, b: Upstream): boolean {
  return (
    a.endpoints.length === b.endpoints.length &&
    a.endpoints.every((e, i) => {
      const f = b.endpoints[i];
      return f !== undefined && e.host === f.host && e.port === f.port;
    })
  );
}

/** Hosts of `a` (not the default server's `_`) that `b` lacks, sorted. */
function hostsOnlyIn(a: ReadonlyMap<string, Server>, b: ReadonlyMap<string, Server>): string[] {
  return minus(a, b).filter((host) => host !== '_');
}

/** Keys of `a` that `b` lacks, sorted. */
function minus(a: ReadonlyMap<string, unknown>, b: ReadonlyMap<string, unknown>): string[] {
  return [...a.keys()].filter((x) => !b.has(x)).sort(cmp);
}
