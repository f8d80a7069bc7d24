import { snapshotChanges } from '../controller/config-changes.ts';
import type { ReconcileReport } from '../controller/reconciler.ts';
import type { Snapshot } from '../model/snapshot.ts';
import type { RenderedConfig } from '../render/render.ts';
import type { TranslateResult } from '../translate/translate.ts';
import { MAX_EDIT_LENGTH, unifiedDiff } from './text-diff.ts';

/** One applied config: when, what made it, what it changed, and the unified diff of its files. */
export interface HistoryEntry {
  readonly at: string;
  readonly checksum: string;
  readonly previousChecksum: string | undefined;
  /**
   * `adopted`: a running NGINX already served it; `updated`: only the endpoints changed (pushed to NGINX
   * without a reload; the file diff is empty).
   */
  readonly outcome: 'started' | 'reloaded' | 'adopted' | 'updated';
  /** The objects that differ from the snapshot of the previous applied config: `~Ingress web/shop`. */
  readonly triggers: readonly string[];
  /** The reload log line's summary: hosts, paths, upstreams and endpoints added, removed or changed. */
  readonly summary: string;
  /** Unified diff of every rendered file but certificates (their names show, never their keys). */
  readonly diff: string;
}

/** What the live controller serves now. */
export interface LiveConfig {
  readonly at: string;
  readonly checksum: string;
  readonly result: TranslateResult;
  readonly rendered: RenderedConfig;
  /** The objects it was made from. */
  readonly snapshot: Snapshot;
}

export interface LastReconcile {
  readonly at: string;
  readonly outcome: ReconcileReport['outcome'];
  readonly seconds: number;
  readonly error?: string;
  /**
   * What the last reconcile made of the Ingresses. Not its model: that of a reconcile NGINX did not load
   * (unchanged, failed) would be a second whole model kept beside the live one.
   */
  readonly result: Pick<TranslateResult, 'ingresses' | 'diagnostics'>;
}

/** Largest diff kept for one entry; a bigger one is cut with a note (memory stays bounded). */
const MAX_DIFF_CHARS = 256 * 1024;
/**
 * Most triggers named in one entry; the rest are counted. The first config names every object (about
 * 30,000 strings at 10,000 Ingresses, kept for as long as the entry is).
 */
const MAX_TRIGGERS = 100;

/**
 * The last applied configs, as unified diffs with their time and the objects that triggered them, and
 * the one NGINX serves now. Fed by the reconciler's reports; read by the inspection endpoints.
 */
export class ConfigHistory {
  private readonly entries: HistoryEntry[] = [];
  private readonly limit: number;
  private liveConfig: LiveConfig | undefined;
  private last: LastReconcile | undefined;

  constructor(limit = 10) {
    this.limit = limit;
  }

  observe(report: ReconcileReport, at: Date): void {
    this.last = {
      at: at.toISOString(),
      outcome: report.outcome,
      seconds: report.seconds,
      result: { ingresses: report.result.ingresses, diagnostics: report.result.diagnostics },
      ...(report.error === undefined ? {} : { error: report.error }),
    };
    if (report.rendered === undefined || report.outcome === 'unchanged' || report.outcome === 'failed')
      return;
    const before = this.liveConfig;
    this.entries.unshift({
      at: at.toISOString(),
      checksum: report.checksum,
      previousChecksum: before?.checksum,
      outcome: report.outcome,
      triggers: capped(snapshotChanges(before?.snapshot, report.snapshot)),
      // The reconciler compared this config with the one served before, as this history would.
      summary: report.change ?? '',
      diff: diffTrees(before?.rendered, report.rendered),
    });
    this.entries.length = Math.min(this.entries.length, this.limit);
    this.liveConfig = {
      at: at.toISOString(),
      checksum: report.checksum,
      result: report.result,
      rendered: report.rendered,
      snapshot: report.snapshot,
    };
  }

  /** Newest first. */
  history(): readonly HistoryEntry[] {
    return this.entries;
  }

  live(): LiveConfig | undefined {
    return this.liveConfig;
  }

  lastReconcile(): LastReconcile | undefined {
    return this.last;
  }
}

function capped(triggers: string[]): string[] {
  if (triggers.length <= MAX_TRIGGERS) return triggers;
  const more = triggers.length - MAX_TRIGGERS;
  return [...triggers.slice(0, MAX_TRIGGERS), `(and ${more.toLocaleString('en')} more)`];
}

function diffTrees(before: RenderedConfig | undefined, after: RenderedConfig): string {
  const files = (c: RenderedConfig | undefined): Map<string, string> =>
    new Map(
      (c?.files ?? []).map((f) => [
        f.path,
        f.path.startsWith('certs/') ? '(certificate and key, not shown)\n' : f.content,
      ]),
    );
  const a = files(before);
  const b = files(after);
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  let out = '';
  for (const p of paths) {
    const oldText = a.get(p) ?? '';
    const newText = b.get(p) ?? '';
    if (oldText === newText) continue;
    const patch = unifiedDiff(
      a.has(p) ? `a/${p}` : '/dev/null',
      b.has(p) ? `b/${p}` : '/dev/null',
      oldText,
      newText,
    );
    out +=
      patch ?? `--- a/${p}\n+++ b/${p}\n(more than ${MAX_EDIT_LENGTH} lines changed: diff not computed)\n`;
    if (out.length > MAX_DIFF_CHARS) {
      return `${out.slice(0, MAX_DIFF_CHARS)}\n(diff cut at ${MAX_DIFF_CHARS} characters)\n`;
    }
  }
  return out;
}
