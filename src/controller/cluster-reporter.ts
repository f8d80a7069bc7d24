import type { CoreV1Api, V1IngressLoadBalancerIngress } from '@kubernetes/client-node';
import type { Logger } from 'winston';
import type { ObjectRef } from '../model/diagnostics.ts';
import { eventIntents, type EventIntent, type EventRecorder } from '../status/events.ts';
import type { IngressLookup, IngressStatusWriter } from '../status/ingress-status.ts';
import { resolveStatusAddresses, type StatusAddressOptions } from '../status/status-addresses.ts';
import type { ReconcileReport } from './reconciler.ts';

export interface ClusterReporterOptions {
  readonly core: CoreV1Api;
  readonly statusWriter: IngressStatusWriter | undefined;
  readonly events: EventRecorder;
  readonly addressOptions: StatusAddressOptions;
  /**
   * The Ingresses as the cluster has them now: the status writer compares their status with what it should
   * be, and Events name their uid. A report's snapshot may hold older copies: an update that changes only
   * status (such as our own writes) makes no new snapshot.
   */
  readonly currentIngress: IngressLookup;
  readonly isLeader: () => boolean;
  readonly logger: Logger;
  /** How often status is re-checked without a reconcile (addresses such as a LoadBalancer IP may change). */
  readonly resyncMs: number;
}

/** What a reconcile report says the cluster should be told: Ingress status and Events. */
interface Tidings {
  readonly served: readonly ObjectRef[];
  readonly rejected: readonly ObjectRef[];
  readonly events: readonly EventIntent[];
}

/**
 * Tells the cluster what the last successful reconcile did: Ingress status and Events. Only the leader
 * writes, and only about a config NGINX was verified to serve. One sync runs at a time; a newer report
 * replaces a queued one.
 */
export class ClusterReporter {
  private readonly options: ClusterReporterOptions;
  /**
   * The lists of the last report that was not a failure (the endpoint fast path hands the same ones on when
   * they did not change). Not the report: a status sync at 10,000 Ingresses takes minutes, and a report
   * holds its whole translate result and rendered config, so a sync holding one kept a second config alive
   * beside the live one (about 60 MB on the leader at 10,000 Ingresses).
   */
  private lastLists: Pick<ReconcileReport['result'], 'ingresses' | 'diagnostics'> | undefined;
  /**
   * What `lastLists` say the cluster should be told, made by the first sync that needs them: a follower never
   * does (20,000 objects at 10,000 Ingresses, after every reconcile).
   */
  private tidings: Tidings | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: ClusterReporterOptions) {
    this.options = options;
  }

  start(): void {
    this.timer = setInterval(() => this.kick(), this.options.resyncMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.options.statusWriter?.stop();
    await this.options.events.stop();
    await this.running;
  }

  onReconciled(report: ReconcileReport): void {
    if (report.outcome === 'failed') return; // the new config is not live: say nothing about it
    const { ingresses, diagnostics } = report.result;
    // The endpoint fast path hands on the served result's lists when nothing in them changed (endpoints
    // only): then Events and status are what was synced already. Not syncing again keeps the leader's
    // 10,000-Ingress status pass (and its API calls) from running beside every pod change.
    if (this.lastLists?.ingresses === ingresses && this.lastLists.diagnostics === diagnostics) return;
    this.lastLists = { ingresses, diagnostics };
    this.tidings = undefined;
    this.kick();
  }

  private tidingsOfLastLists(): Tidings | undefined {
    if (this.tidings !== undefined || this.lastLists === undefined) return this.tidings;
    const { ingresses, diagnostics } = this.lastLists;
    const served = ingresses.filter((i) => i.outcome === 'served').map((i) => i.ref);
    this.tidings = {
      served,
      rejected: ingresses.filter((i) => i.outcome === 'rejected').map((i) => i.ref),
      events: eventIntents(diagnostics, served),
    };
    return this.tidings;
  }

  /** Re-sync now (e.g. on becoming the leader). */
  kick(): void {
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = this.sync().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  private async sync(): Promise<void> {
    if (!this.options.isLeader()) return;
    const last = this.tidingsOfLastLists();
    if (last === undefined) return;
    const { served, rejected } = last;
    try {
      // Events are written in the background, within their own rate limits: status does not wait for them.
      // Matched with the cached copies of now, not the report's: after the leader's status writes every
      // cached Ingress is a new copy, and the report's old copies (with translate's memo entries keyed by
      // them) stayed alive for as long as the Events waited; on a replica that stopped leading, until it led
      // again (15.8 MB at 10,000 Ingresses).
      this.options.events.update(last.events, this.options.currentIngress);
      if (this.options.statusWriter !== undefined) {
        let addresses: V1IngressLoadBalancerIngress[];
        try {
          addresses = await resolveStatusAddresses(this.options.core, this.options.addressOptions);
        } catch (error) {
          this.options.logger.warn('cannot work out the status address', { error: (error as Error).message });
          return;
        }
        await this.options.statusWriter.sync(this.options.currentIngress, served, rejected, addresses);
      }
    } catch (error) {
      this.options.logger.warn('reporting to the cluster failed', { error: (error as Error).message });
    }
  }
}
