import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'winston';

export interface LeaderElectionOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  /** The Lease name (`--election-id`). */
  readonly name: string;
  /** This replica's identity, usually the pod name. */
  readonly identity: string;
  readonly leaseDurationSeconds: number;
  /** How often to try to acquire or renew. */
  readonly retryPeriodMs: number;
  readonly logger: Logger;
  readonly onChange?: (leader: boolean) => void;
  /** Injectable clock, for tests. */
  readonly now?: () => Date;
}

/**
 * Lease-based leader election (coordination.k8s.io/v1), as client-go does it: the holder renews the Lease
 * every retry period; anyone may take it over once `renewTime + leaseDurationSeconds` has passed. Writes
 * use the Lease's resourceVersion, so two candidates never both win.
 */
export class LeaderElector {
  private readonly options: LeaderElectionOptions;
  private readonly api: CoordinationV1Api;
  private timer: NodeJS.Timeout | undefined;
  private leading = false;
  private stopped = false;
  private lastRenew = 0;
  private refused = false;

  constructor(options: LeaderElectionOptions) {
    this.options = options;
    this.api = options.kubeConfig.makeApiClient(CoordinationV1Api);
  }

  /** True while this replica holds a Lease it renewed less than a lease duration ago. */
  get isLeader(): boolean {
    return this.leading && this.now().getTime() - this.lastRenew < this.options.leaseDurationSeconds * 1000;
  }

  start(): void {
    void this.tick();
  }

  /** Stops campaigning and, if leading, releases the Lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (!this.leading) return;
    try {
      const lease = await this.api.readNamespacedLease({
        name: this.options.name,
        namespace: this.options.namespace,
      });
      if (lease.spec?.holderIdentity === this.options.identity) {
        lease.spec = {
          ...microTimes(lease.spec),
          holderIdentity: '',
          leaseDurationSeconds: 1,
          renewTime: new V1MicroTime(this.now().getTime()),
        };
        await this.api.replaceNamespacedLease({
          name: this.options.name,
          namespace: this.options.namespace,
          body: lease,
        });
      }
    } catch {
      // Best effort: the Lease expires by itself.
    }
    this.setLeading(false);
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.tryAcquireOrRenew();
      this.refused = false;
    } catch (error) {
      // Refused (RBAC, credentials) is a setup problem that would keep status from ever being written:
      // say so at warn level, once per run of refusals. Anything else (conflicts, outages) is transient.
      const code = (error as { code?: number }).code;
      const refused = code === 401 || code === 403;
      this.options.logger.log(
        refused && !this.refused ? 'warn' : 'debug',
        refused
          ? 'leader election: the API server refused the Lease request'
          : 'leader election: lease update failed',
        { lease: `${this.options.namespace}/${this.options.name}`, error: apiErrorMessage(error) },
      );
      this.refused = refused;
      if (this.leading && !this.isLeader) this.setLeading(false);
    }
    // stop() may have run while we awaited; TypeScript's narrowing does not see that.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), this.options.retryPeriodMs);
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const { namespace, name, identity, leaseDurationSeconds } = this.options;
    const now = this.now();
    let lease: V1Lease | undefined;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (error) {
      if ((error as { code?: number }).code !== 404) throw error;
    }
    // Lease times are MicroTime: the API server wants microseconds, which V1MicroTime prints.
    const micro = new V1MicroTime(now.getTime());
    const spec = { holderIdentity: identity, leaseDurationSeconds, renewTime: micro };
    if (lease === undefined) {
      await this.api.createNamespacedLease({
        namespace,
        body: { metadata: { name, namespace }, spec: { ...spec, acquireTime: micro, leaseTransitions: 0 } },
      });
      this.renewed(now);
      return;
    }
    const holder = lease.spec?.holderIdentity ?? '';
    const renewTime = lease.spec?.renewTime ? new Date(lease.spec.renewTime).getTime() : 0;
    const duration = (lease.spec?.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    const expired = renewTime + duration < now.getTime();
    if (holder !== identity && holder !== '' && !expired) {
      if (this.leading) this.setLeading(false);
      return;
    }
    const takeover = holder !== identity;
    lease.spec = {
      ...microTimes(lease.spec ?? {}),
      ...spec,
      ...(takeover ? { acquireTime: micro, leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + 1 } : {}),
    };
    await this.api.replaceNamespacedLease({ name, namespace, body: lease });
    this.renewed(now);
  }

  private renewed(at: Date): void {
    this.lastRenew = at.getTime();
    if (!this.leading) this.setLeading(true);
  }

  private setLeading(leading: boolean): void {
    if (this.leading === leading) return;
    this.leading = leading;
    this.options.logger.info(leading ? 'became the leader' : 'stopped leading', {
      lease: `${this.options.namespace}/${this.options.name}`,
      identity: this.options.identity,
    });
    this.options.onChange?.(leading);
  }
}

/** Times read back from a Lease must be written as MicroTime again, or the API server rejects them. */
function microTimes(spec: NonNullable<V1Lease['spec']>): NonNullable<V1Lease['spec']> {
  const out = { ...spec };
  if (out.acquireTime !== undefined) out.acquireTime = new V1MicroTime(new Date(out.acquireTime).getTime());
  if (out.renewTime !== undefined) out.renewTime = new V1MicroTime(new Date(out.renewTime).getTime());
  return out;
}

/** The API server's own sentence (the Status message) when there is one, not the whole HTTP exchange. */
function apiErrorMessage(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      const message = (JSON.parse(body) as { message?: unknown }).message;
      if (typeof message === 'string') return message;
    } catch {
      // not a Status
    }
  }
  return error instanceof Error ? error.message : String(error);
}
