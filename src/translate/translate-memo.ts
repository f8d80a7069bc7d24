import type { V1ConfigMap } from '@kubernetes/client-node';
import type { parseGlobalConfig } from '../config/global-config.ts';
import type { Diagnostic, ObjectRef } from '../model/diagnostics.ts';
import type { Server, Upstream } from '../model/nginx.ts';
import type { Route } from '../model/routes.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { ByIngressContent } from './ingress-content.ts';
import type { BackendUse, TranslateOptions } from './translate.ts';

// An edit changes one host, but translate built every host's Server again (its locations, settings,
// upstreams, routes): at 10,000 Ingresses most of an edit's time and garbage, and a whole second model
// beside the live one at the controller's memory peak. A host's Server depends only on what its build
// reads: its Ingresses and claims (objects that never change in place: a changed object is a new one),
// its certificate, the Services, EndpointSlices and Secrets of its namespaces, and a few global values
// (the global config, the options, the ConfigMaps, the resolved ExternalNames, the default backend).
// When none of that changed, the host's Server of the last translate is reused as it is, and what its
// build did to the cross-host parts (diagnostics, upstreams and their uses, routes, the collectors of
// auth files, address lists, rate limits, …) is replayed in the same order, so the result equals a
// build from nothing: a pure cache, owned by the caller, checked by test/property/incremental.test.ts.

/** Something a host's build did besides returning its Server, replayed in order when the host is reused. */
export type HostEffect =
  | { readonly kind: 'report'; readonly diagnostic: Diagnostic }
  | {
      readonly kind: 'upstream';
      readonly upstream: Upstream;
      readonly use: BackendUse;
      readonly service: ObjectRef;
    }
  | { readonly kind: 'route'; readonly route: Route }
  | {
      readonly kind: 'call';
      /** Which of the translate's collectors (a ServerContext key): the replay calls this translate's. */
      readonly collector: string;
      readonly method: string;
      readonly args: readonly unknown[];
    };

/** One host's build: what it read (key, namespaces), what it made and what it did. */
export interface HostRecord {
  readonly key: readonly unknown[];
  readonly namespaces: readonly string[];
  readonly server: Server;
  /** The host's first route id in the translate that made `server`. */
  readonly base: number;
  readonly effects: readonly HostEffect[];
}

type GlobalConfigResult = ReturnType<typeof parseGlobalConfig>;

/** What translate keeps between calls (see above). Hold one per stream of snapshots; never shared. */
export class TranslateMemo {
  private global: readonly unknown[] = [];
  private hosts = new Map<string, HostRecord>();
  /**
   * The hosts this translate kept (their records are set in `hosts` as they come): a new map of 10,000
   * hosts per translate was ~3% of an edit's time, and its garbage.
   */
  private kept: string[] = [];
  /** The namespace-scoped objects a host build reads, per namespace, as of the last translate. */
  private scoped = new Map<string, readonly object[]>();
  private changed = new Set<string>();
  private verdictKey: readonly unknown[] = [];
  private verdictMap = new ByIngressContent<unknown>();
  /** A translate began and has not committed (it threw): nothing it saw may be trusted. */
  private open = false;
  private config:
    { readonly configMap: V1ConfigMap | undefined; readonly result: GlobalConfigResult } | undefined;
  /** Per Server: the shared HTTPS redirect's verdict (https-redirects.ts), kept while the Server is. */
  readonly redirects = new WeakMap<Server, { readonly kind: string | undefined; readonly server: Server }>();
  /** How many hosts the last translate built, and how many it reused. */
  built = 0;
  reused = 0;

  /**
   * What translate made of each Ingress (translate.ts acceptIngresses), kept while `key` (what that
   * reads besides the Ingress: the global config, options, ConfigMaps, IngressClasses) stays the same.
   */
  verdicts<V>(key: readonly unknown[]): ByIngressContent<V> {
    if (!sameItems(key, this.verdictKey)) {
      this.verdictKey = key;
      this.verdictMap = new ByIngressContent();
    }
    return this.verdictMap as ByIngressContent<V>;
  }

  /** The global ConfigMap parsed once per object (its config object's identity is part of every key). */
  globalConfig(configMap: V1ConfigMap | undefined, parse: typeof parseGlobalConfig): GlobalConfigResult {
    if (this.config === undefined || this.config.configMap !== configMap)
      this.config = { configMap, result: parse(configMap) };
    return this.config.result;
  }

  /**
   * Starts a translate: `global` lists what every host build reads (compared item by item with `Object.is`;
   * any difference drops every host), and the snapshot's namespace-scoped objects are compared per namespace.
   */
  begin(global: readonly unknown[], snapshot: Snapshot): void {
    if (this.open || !sameItems(global, this.global)) this.hosts = new Map();
    this.open = true;
    this.global = global;
    const scoped = new Map<string, object[]>();
    for (const list of [snapshot.services, snapshot.endpointSlices, snapshot.secrets])
      for (const o of list) {
        const ns = o.metadata?.namespace ?? 'default';
        const objects = scoped.get(ns);
        if (objects === undefined) scoped.set(ns, [o]);
        else objects.push(o);
      }
    this.changed = new Set();
    for (const [ns, objects] of scoped)
      if (!sameItems(objects, this.scoped.get(ns) ?? [])) this.changed.add(ns);
    for (const ns of this.scoped.keys()) if (!scoped.has(ns)) this.changed.add(ns);
    this.scoped = scoped;
    this.kept = [];
    this.built = 0;
    this.reused = 0;
  }

  /**
   * The host's record of the last translate, if its build would read the same things: `sameKey` says
   * whether the record's key is the host's now, and none of its namespaces changed.
   */
  lookup(host: string, sameKey: (key: readonly unknown[]) => boolean): HostRecord | undefined {
    const record = this.hosts.get(host);
    if (record === undefined || !sameKey(record.key) || record.namespaces.some((ns) => this.changed.has(ns)))
      return undefined;
    return record;
  }

  /**
   * Keeps the host's record for the next translate (only hosts kept this time are kept). Each host is
   * looked up before it is kept, and once per translate.
   */
  keep(host: string, record: HostRecord, reused: boolean): void {
    if (this.hosts.get(host) !== record) this.hosts.set(host, record);
    this.kept.push(host);
    if (reused) this.reused += 1;
    else this.built += 1;
  }

  /** Ends a translate: what it kept replaces what the one before kept. */
  commit(): void {
    // `hosts` holds every kept host: as many entries as were kept means no other.
    if (this.hosts.size !== this.kept.length) {
      const kept = new Set(this.kept);
      for (const host of this.hosts.keys()) if (!kept.has(host)) this.hosts.delete(host);
    }
    this.kept = [];
    this.open = false;
  }
}

function sameItems(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

/** The options as one comparable item: callers make them anew; plain data and the `excluded` map. */
export function memoOptions(options: TranslateOptions): string {
  return JSON.stringify(options, (_, value: unknown) => (value instanceof Map ? [...value] : value));
}

/**
 * `target` with every method call given to `record` as an effect (then made), so a reused host can make it
 * again. One per translate: `record` logs to the host being built.
 */
export function recordedCalls<T extends object>(
  collector: string,
  target: T,
  record: (effect: HostEffect) => void,
): T {
  return new Proxy(target, {
    get(object, method) {
      const value: unknown = Reflect.get(object, method);
      if (typeof value !== 'function' || typeof method !== 'string') return value;
      return (...args: unknown[]): unknown => {
        record({ kind: 'call', collector, method, args });
        return Reflect.apply(value as (...a: unknown[]) => unknown, object, args);
      };
    },
  });
}

/** `server` with its route ids moved by `by` (a host before it gained or lost routes). */
export function shiftedRoutes(server: Server, by: number): Server {
  return { ...server, locations: server.locations.map((l) => ({ ...l, route: l.route + by })) };
}

/**
 * What every host build reads besides its own objects, as items compared by identity: the parsed global
 * config (one object per ConfigMap object), the options (by content: callers make them anew, plain data
 * and the `excluded` map), the ConfigMaps (custom headers, auth headers, FastCGI parameters), the resolved
 * ExternalNames, the global default backend and the default certificate.
 */
export function memoGlobals(
  snapshot: Snapshot,
  options: TranslateOptions,
  config: object,
  globalDefault: unknown,
  defaultCertificate: string,
): unknown[] {
  const items: unknown[] = [config, defaultCertificate, JSON.stringify(globalDefault), memoOptions(options)];
  items.push(snapshot.configMaps.length, ...snapshot.configMaps);
  const names = snapshot.externalNames ?? new Map<string, never>();
  items.push(names.size);
  for (const [name, resolution] of names) items.push(name, resolution);
  return items;
}
