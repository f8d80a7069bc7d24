import {
  ListWatch,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type V1ConfigMap,
  type V1EndpointSlice,
  type V1Ingress,
  type V1IngressClass,
  type V1Secret,
  type V1Service,
} from '@kubernetes/client-node';
import type { Logger } from 'winston';
import { sameContent } from '../../model/object-content.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { getJson, listPage } from './api-get.ts';
import { WatchdogWatch, type WatchLike } from './supervised-watch.ts';
import { listInPages } from './paged-list.ts';
import { authMapSecrets, secretKey, trimmed, withContentOf } from './trim.ts';

export interface KubeSourceOptions {
  readonly kubeConfig: KubeConfig;
  /** Watch only this namespace (empty: all namespaces). */
  readonly watchNamespace: string;
  /** The controller ConfigMap, if any: only that one object is watched. */
  readonly configMap: { namespace: string; name: string } | undefined;
  /** More ConfigMaps named by flags (TCP/UDP services), each watched alone like the controller's. */
  readonly extraConfigMaps?: readonly { namespace: string; name: string }[];
  readonly logger: Logger;
  /** Backoff bounds for restarting a failed informer. */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly watchTimeoutSeconds?: number;
  /** Objects per list request (paged-list.ts); the default suits any cluster, tests make it small. */
  readonly listPageSize?: number;
}

interface InformerSpec {
  readonly kind: string;
  /** Where it lists and watches (api-get.ts reads the list as plain JSON). */
  readonly path: string;
  readonly fieldSelector?: string;
}

/**
 * Supervised informers (list + watch + cache) for everything translate reads. Emits a whole Snapshot after
 * each change, but only once every informer has synced. An informer that fails (API outage, 410 Gone, a
 * stalled watch) is restarted with backoff; the caches, and so the served config, stay as they were.
 */
export class KubeSource {
  private readonly options: KubeSourceOptions;
  private readonly informers: {
    spec: InformerSpec;
    lw: ListWatch<KubernetesObject>;
    synced: boolean;
    failures: number;
  }[] = [];
  private onSnapshot: ((s: Snapshot) => void) | undefined;
  /** Secrets an Ingress names as an auth-map: every key is a user, so their data is kept whole. */
  private allDataWanted = new Set<string>();
  /** Secrets whose cached copy lost data keys (see trim.ts). */
  private readonly trimmedSecrets = new Set<string>();
  /** Copies that arrived with nothing translate reads changed (a status write's echo): no Snapshot. */
  private readonly unchanged = new WeakSet<KubernetesObject>();
  /** Trimmed Secrets being read again whole; no Snapshot is emitted meanwhile. */
  private refetching = 0;
  private emitScheduled = false;
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(options: KubeSourceOptions) {
    this.options = options;
  }

  /** True once every informer has listed at least once. */
  get synced(): boolean {
    return this.informers.length > 0 && this.informers.every((i) => i.synced);
  }

  async start(onSnapshot: (s: Snapshot) => void): Promise<void> {
    this.onSnapshot = onSnapshot;
    const { kubeConfig, watchNamespace: ns, configMap } = this.options;
    const nsPath = (group: string, resource: string): string =>
      ns === '' ? `${group}/${resource}` : `${group}/namespaces/${ns}/${resource}`;
    // Every Secret an Ingress may name (TLS, CA bundles, htpasswd), but not the kinds that are large or
    // none of ours: service-account tokens, Helm releases, registry credentials, bootstrap tokens.
    const secretTypes = [
      'kubernetes.io/service-account-token',
      'helm.sh/release.v1',
      'kubernetes.io/dockerconfigjson',
      'kubernetes.io/dockercfg',
      'bootstrap.kubernetes.io/token',
    ]
      .map((t) => `type!=${t}`)
      .join(',');
    const specs: InformerSpec[] = [
      { kind: 'Ingress', path: nsPath('/apis/networking.k8s.io/v1', 'ingresses') },
      { kind: 'IngressClass', path: '/apis/networking.k8s.io/v1/ingressclasses' },
      { kind: 'Service', path: nsPath('/api/v1', 'services') },
      { kind: 'EndpointSlice', path: nsPath('/apis/discovery.k8s.io/v1', 'endpointslices') },
      { kind: 'Secret', path: nsPath('/api/v1', 'secrets'), fieldSelector: secretTypes },
    ];
    const named = [...(configMap === undefined ? [] : [configMap]), ...(this.options.extraConfigMaps ?? [])];
    for (const cm of new Map(named.map((c) => [`${c.namespace}/${c.name}`, c])).values()) {
      const byName = `metadata.name=${cm.name}`;
      specs.push({
        kind: 'ConfigMap',
        path: `/api/v1/namespaces/${cm.namespace}/configmaps`,
        fieldSelector: byName,
      });
    }
    const watch: WatchLike = new WatchdogWatch(new Watch(kubeConfig), {
      serverTimeoutSeconds: this.options.watchTimeoutSeconds ?? 300,
      idleTimeoutMs: ((this.options.watchTimeoutSeconds ?? 300) + 30) * 1000,
    });
    for (const spec of specs) {
      // The cache holds only trimmed copies (trim.ts): of each list page's objects as the page arrives, and
      // of each watch event's object before the informer sees it.
      const list = (): Promise<KubernetesListObject<KubernetesObject>> =>
        listInPages(
          (page) => listPage(kubeConfig, spec.path, page, spec.fieldSelector),
          (item) => this.arriving(spec.kind, item, lw),
          this.options.listPageSize,
        );
      const trimming: WatchLike = {
        watch: (path, query, callback, done) =>
          watch.watch(
            path,
            query,
            (phase, object, raw) =>
              callback(
                phase,
                UPDATES.has(phase)
                  ? this.arriving(spec.kind, object as KubernetesObject, lw)
                  : phase === 'DELETED'
                    ? this.trim(spec.kind, object as KubernetesObject)
                    : object,
                raw,
              ),
            done,
          ),
      };
      const lw = new ListWatch<KubernetesObject>(
        spec.path,
        trimming as Watch,
        list,
        false,
        undefined,
        spec.fieldSelector,
      );
      const entry = { spec, lw, synced: false, failures: 0 };
      this.informers.push(entry);
      // An update that changes nothing translate reads (a status write) makes no Snapshot.
      const arrived = (object: KubernetesObject): void => {
        if (!this.unchanged.delete(object)) this.changed();
      };
      lw.on('add', arrived);
      lw.on('update', arrived);
      lw.on('delete', (object: KubernetesObject) => {
        if (spec.kind === 'Secret')
          this.trimmedSecrets.delete(secretKey(object.metadata?.namespace, object.metadata?.name));
        this.changed();
      });
      lw.on('error', (err: unknown) => this.restartLater(entry, err));
    }
    await Promise.all(this.informers.map((entry) => this.startInformer(entry)));
  }

  /**
   * The Ingresses as the informer holds them now, status included: what the status writer compares with
   * (the Snapshot keeps the objects of the last change that mattered, whose status may be older).
   */
  ingresses(): readonly V1Ingress[] {
    return this.informers.find((i) => i.spec.kind === 'Ingress')?.lw.list() ?? [];
  }

  /** The Ingress the informer holds now under a namespace and name, status included. */
  ingress(namespace: string, name: string): V1Ingress | undefined {
    return this.informers.find((i) => i.spec.kind === 'Ingress')?.lw.get(name, namespace);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    await Promise.all(this.informers.map((i) => i.lw.stop()));
  }

  private async startInformer(entry: (typeof this.informers)[number]): Promise<void> {
    if (this.stopped) return;
    await entry.lw.start();
    // start() resolves after the list (and the watch request) — or after reporting an error.
    if (entry.lw.latestResourceVersion() !== '' && !entry.synced) {
      entry.synced = true;
      this.options.logger.debug('informer synced', { kind: entry.spec.kind });
      this.changed();
    }
  }

  private restartLater(entry: (typeof this.informers)[number], err: unknown): void {
    if (this.stopped) return;
    entry.failures += 1;
    const min = this.options.minBackoffMs ?? 200;
    const max = this.options.maxBackoffMs ?? 10_000;
    const delay = Math.min(max, min * 2 ** Math.min(entry.failures - 1, 10));
    const message = err instanceof Error ? err.message : String(err);
    this.options.logger.warn('informer failed; restarting', {
      kind: entry.spec.kind,
      error: message,
      inMs: delay,
    });
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const failuresBefore = entry.failures;
      void this.startInformer(entry).then(() => {
        // A restart that failed again has already counted itself (and scheduled the next, longer wait);
        // only one that got its list and watch through ends the backoff.
        if (entry.failures === failuresBefore && entry.lw.latestResourceVersion() !== '') entry.failures = 0;
      });
    }, delay);
    this.timers.add(timer);
  }

  /**
   * The copy of a listed object or of a watch event's object that the cache keeps. An update that changes
   * nothing translate reads (the leader's status writes echoing back, to every replica; an object listed
   * again after a restart) shares what translate reads with the copy cached before, which the served
   * Snapshot still holds: without that, every Ingress was held twice after a round of status writes. Such
   * a copy is marked `unchanged`, so that it makes no Snapshot. Compared with the copy cached before
   * (sameContent), not through digests kept per object (a map of them by name was 4.4 MB at 10,000
   * Ingresses; one per cached object, 1–2 MB and a SHA-1 of every object that arrived).
   */
  private arriving(
    kind: string,
    object: KubernetesObject,
    lw: ListWatch<KubernetesObject>,
  ): KubernetesObject {
    const kept = this.trim(kind, object);
    const before = lw.get(kept.metadata?.name ?? '', kept.metadata?.namespace);
    if (before === undefined || !sameContent(before, kept)) return kept;
    const shared = withContentOf(before, kept);
    this.unchanged.add(shared);
    return shared;
  }

  /** The copy of an arriving object that the cache keeps; notes which Secrets lost data. */
  private trim(kind: string, object: KubernetesObject): KubernetesObject {
    const key = secretKey(object.metadata?.namespace, object.metadata?.name);
    const isSecret = kind === 'Secret';
    const kept = trimmed(object, kind, isSecret && this.allDataWanted.has(key));
    if (kept.droppedData) this.trimmedSecrets.add(key);
    else if (isSecret) this.trimmedSecrets.delete(key);
    return kept.object;
  }

  /**
   * Reads again, whole, the Secrets an Ingress now names as an auth-map whose cached copy was trimmed before
   * (the Secret arrived first), then emits the Snapshot that was held back meanwhile.
   */
  private async refetch(keys: readonly string[]): Promise<void> {
    const secrets = this.informers.find((i) => i.spec.kind === 'Secret')?.lw;
    this.refetching += 1;
    try {
      await Promise.all(
        keys.map(async (key) => {
          this.trimmedSecrets.delete(key); // one attempt; a later update keeps everything, as it is wanted
          const [namespace = '', name = ''] = key.split('/');
          try {
            const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`;
            const full = (await getJson(this.options.kubeConfig, path)) as V1Secret;
            const cached = secrets?.get(name, namespace) as V1Secret | undefined;
            if (cached !== undefined && full.data !== undefined) cached.data = full.data;
          } catch (error) {
            this.options.logger.warn('cannot read an auth-map Secret whole', {
              secret: key,
              error: error instanceof Error ? error.message : String(error),
            });
          }
        }),
      );
    } finally {
      this.refetching -= 1;
    }
    this.changed();
  }

  private changed(): void {
    if (!this.synced || this.onSnapshot === undefined || this.emitScheduled) return;
    // Events come in bursts (a chunk of watch events, the leader's status writes echoing back): one
    // Snapshot for all those of one turn of the event loop, instead of one whole Snapshot each.
    this.emitScheduled = true;
    setImmediate(() => {
      this.emitScheduled = false;
      if (!this.stopped) this.emit();
    });
  }

  private emit(): void {
    if (this.onSnapshot === undefined) return;
    const ingresses = this.ingresses();
    this.allDataWanted = authMapSecrets(ingresses);
    const missing = [...this.allDataWanted].filter((key) => this.trimmedSecrets.has(key));
    if (missing.length > 0) {
      void this.refetch(missing);
      return;
    }
    if (this.refetching > 0) return;
    // Each informer holds one kind, each object once (by namespace and name), already trimmed and saying its
    // kind (trim.ts): its list is the Snapshot's list of that kind as it is. Not through buildSnapshot, which
    // sorts objects from several origins and checks them for duplicates: for every change (an EndpointSlice
    // on the endpoint fast path too) that made a wrapper, a key string and a map entry for each of 30,000
    // objects at 10,000 Ingresses.
    const list = <T extends KubernetesObject>(kind: string): T[] =>
      this.informers.filter((i) => i.spec.kind === kind).flatMap((i) => i.lw.list() as T[]);
    this.onSnapshot({
      ingresses,
      ingressClasses: list<V1IngressClass>('IngressClass'),
      services: list<V1Service>('Service'),
      endpointSlices: list<V1EndpointSlice>('EndpointSlice'),
      secrets: list<V1Secret>('Secret'),
      configMaps: list<V1ConfigMap>('ConfigMap'),
      diagnostics: [],
    });
  }
}

/** Watch events that bring an object's new state (the others: DELETED, BOOKMARK, ERROR). */
const UPDATES = new Set(['ADDED', 'MODIFIED']);
