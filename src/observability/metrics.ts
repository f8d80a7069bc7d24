import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ReconcileReport } from '../controller/reconciler.ts';

/** Prometheus metrics, served on the health port at /metrics. One registry per controller process. */
export class ControllerMetrics {
  readonly registry = new Registry();
  private readonly reconciles = new Counter({
    name: 'gatehouse_reconciles_total',
    help: 'Reconciles by outcome: started, reloaded, adopted (a running NGINX already served it), updated (endpoints pushed without a reload), unchanged or failed.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'gatehouse_reconcile_duration_seconds',
    help: 'Time from a settled change to a verified NGINX config (translate, render, nginx -t, reload, verify).',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly lastSuccess = new Gauge({
    name: 'gatehouse_last_successful_reconcile_timestamp_seconds',
    help: 'Unix time of the last reconcile that left NGINX serving the intended config.',
    registers: [this.registry],
  });
  private readonly diagnostics = new Gauge({
    name: 'gatehouse_diagnostics',
    help: 'Current diagnostics (rejected or degraded objects) by severity.',
    labelNames: ['severity'] as const,
    registers: [this.registry],
  });
  private readonly ingresses = new Gauge({
    name: 'gatehouse_ingresses',
    help: 'Ingresses of our class by outcome: served or rejected.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  /**
   * @param staleSince since when NGINX has served a config older than the newest snapshot (undefined
   *   while it serves the newest), read on every scrape.
   */
  constructor(staleSince: () => Date | undefined = () => undefined) {
    collectDefaultMetrics({ register: this.registry, prefix: 'gatehouse_' });
    new Gauge({
      name: 'gatehouse_config_stale_seconds',
      help: 'How long NGINX has been serving a config older than the newest cluster state (0: up to date). A value that keeps growing is a freeze: see the log and /healthz.',
      registers: [this.registry],
      collect() {
        const since = staleSince();
        this.set(since === undefined ? 0 : Math.max(0, (Date.now() - since.getTime()) / 1000));
      },
    });
  }

  observe(report: ReconcileReport, nowSeconds: number): void {
    this.reconciles.inc({ outcome: report.outcome });
    this.duration.observe(report.seconds);
    if (report.outcome !== 'failed') this.lastSuccess.set(nowSeconds);
    for (const severity of ['error', 'warning'] as const) {
      this.diagnostics.set(
        { severity },
        report.result.diagnostics.filter((d) => d.severity === severity).length,
      );
    }
    for (const outcome of ['served', 'rejected'] as const) {
      this.ingresses.set({ outcome }, report.result.ingresses.filter((i) => i.outcome === outcome).length);
    }
  }
}
