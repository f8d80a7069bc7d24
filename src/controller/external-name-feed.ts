import type { Snapshot } from '../model/snapshot.ts';
import type { NameResolver } from '../sources/dns/name-resolver.ts';
import { externalNamesWanted } from '../translate/external-names.ts';
import type { TranslateOptions } from '../translate/translate.ts';

/** How long the first snapshot waits for its ExternalName targets, so start-up does not serve 503s for them. */
export const FIRST_RESOLUTION_WAIT_MS = 2000;

type FeedOptions = Pick<
  TranslateOptions,
  'ingressClass' | 'controllerClass' | 'watchIngressWithoutClass' | 'defaultBackendService' | 'configMap'
>;

/**
 * Between a source and the reconciler: keeps the resolver tracking the ExternalName targets our Ingresses
 * use, and hands on each snapshot with the resolver's answers in it, again whenever an answer changes. Only
 * the very first snapshot waits (a bounded time) for answers; later changes never wait on DNS.
 */
export class ExternalNameFeed {
  private readonly resolver: NameResolver;
  private readonly options: FeedOptions;
  private readonly publish: (snapshot: Snapshot, quietForMs?: number) => void;
  private readonly firstWaitMs: number;
  private raw: Snapshot | undefined;
  private ready = false;
  private current: Snapshot | undefined;

  constructor(
    resolver: NameResolver,
    options: FeedOptions,
    publish: (snapshot: Snapshot, quietForMs?: number) => void,
    firstWaitMs = FIRST_RESOLUTION_WAIT_MS,
  ) {
    this.resolver = resolver;
    this.options = options;
    this.publish = publish;
    this.firstWaitMs = firstWaitMs;
  }

  /** The newest snapshot handed on, with its ExternalName answers. */
  get latest(): Snapshot | undefined {
    return this.current;
  }

  /** A new snapshot from the source (`quietForMs`: see Reconciler.update). */
  update(snapshot: Snapshot, quietForMs?: number): void {
    const first = this.raw === undefined;
    this.raw = snapshot;
    this.resolver.track(externalNamesWanted(snapshot, this.options));
    if (!first) {
      this.emit(quietForMs);
      return;
    }
    void this.resolver.settled(this.firstWaitMs).then(() => {
      this.ready = true;
      this.emit();
    });
  }

  /** The resolver's answers changed. */
  resolved(): void {
    this.emit();
  }

  private emit(quietForMs?: number): void {
    if (!this.ready || this.raw === undefined) return;
    this.current = { ...this.raw, externalNames: this.resolver.results() };
    this.publish(this.current, quietForMs);
  }
}
