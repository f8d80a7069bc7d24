import { CoreV1Api, type CoreV1Event, type V1Ingress } from '@kubernetes/client-node';
import type { Logger } from 'winston';
import type { Diagnostic, ObjectRef } from '../model/diagnostics.ts';

export interface EventIntent {
  readonly object: ObjectRef;
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/** Turns diagnostics and outcomes into the Events `kubectl describe ingress` shows. Pure. */
export function eventIntents(
  diagnostics: readonly Diagnostic[],
  served: readonly ObjectRef[],
): EventIntent[] {
  const intents: EventIntent[] = [];
  for (const d of diagnostics) {
    if (d.object.kind !== 'Ingress') continue;
    const reason =
      d.severity === 'error'
        ? 'Rejected'
        : /already (served|has a certificate)/.test(d.reason)
          ? 'Conflict'
          : 'Degraded';
    const where = d.field === '' ? '' : `${d.field}: `;
    intents.push({
      object: d.object,
      type: 'Warning',
      reason,
      message: `${where}${d.reason}`.slice(0, 1024),
    });
  }
  for (const ref of served)
    intents.push({
      object: ref,
      type: 'Normal',
      reason: 'Served',
      message: 'Ingress is served by Gatehouse',
    });
  return intents;
}

/**
 * Posts each distinct Event once per Ingress (uid) while it holds, so a steady state does not spam the
 * API server; an Event that stops applying and comes back is posted again.
 */
export class EventRecorder {
  private readonly api: CoreV1Api;
  private readonly logger: Logger;
  private readonly component: string;
  private readonly instance: string;
  private posted = new Set<string>();
  private readonly servedOnce = new Set<string>();

  constructor(api: CoreV1Api, logger: Logger, instance: string) {
    this.api = api;
    this.logger = logger;
    this.component = 'gatehouse';
    this.instance = instance;
  }

  async record(intents: readonly EventIntent[], ingresses: readonly V1Ingress[]): Promise<void> {
    const byKey = new Map(
      ingresses.map((i) => [`${i.metadata?.namespace ?? ''}/${i.metadata?.name ?? ''}`, i]),
    );
    const now = new Set<string>();
    const writes: Promise<void>[] = [];
    for (const intent of intents) {
      const ing = byKey.get(`${intent.object.namespace}/${intent.object.name}`);
      const uid = ing?.metadata?.uid;
      if (ing === undefined || uid === undefined) continue;
      // "Served" is said once per Ingress; warnings once per distinct message while they hold.
      const key = intent.reason === 'Served' ? `${uid}|Served` : `${uid}|${intent.reason}|${intent.message}`;
      now.add(key);
      if (this.posted.has(key) || (intent.reason === 'Served' && this.servedOnce.has(uid))) continue;
      if (intent.reason === 'Served') this.servedOnce.add(uid);
      writes.push(this.post(intent, ing));
    }
    this.posted = now;
    await Promise.all(writes);
  }

  private async post(intent: EventIntent, ing: V1Ingress): Promise<void> {
    const namespace = intent.object.namespace;
    const at = new Date();
    const event: CoreV1Event = {
      metadata: { generateName: `${intent.object.name}.`, namespace },
      involvedObject: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        name: intent.object.name,
        namespace,
        ...(ing.metadata?.uid !== undefined ? { uid: ing.metadata.uid } : {}),
        ...(ing.metadata?.resourceVersion !== undefined
          ? { resourceVersion: ing.metadata.resourceVersion }
          : {}),
      },
      type: intent.type,
      reason: intent.reason,
      message: intent.message,
      source: { component: this.component },
      reportingComponent: 'gatehouse.dev/ingress-controller',
      reportingInstance: this.instance,
      firstTimestamp: at,
      lastTimestamp: at,
      count: 1,
    };
    try {
      await this.api.createNamespacedEvent({ namespace, body: event });
    } catch (error) {
      this.logger.warn('could not post Event', {
        ingress: `${namespace}/${intent.object.name}`,
        reason: intent.reason,
        error: (error as Error).message,
      });
    }
  }
}
