import { isIP } from 'node:net';
import { endpointList, explain, formatEndpoint, formatExplanation } from '../explain/explain.ts';
import { formatDiagnostic } from '../model/diagnostics.ts';
import type { ConfigHistory, HistoryEntry } from './config-history.ts';

/** Who may read the inspection endpoints: loopback clients (the default), anyone, or no one. */
export type InspectionAccess = 'loopback' | 'any' | 'off';

export interface InspectionReply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** What the live controller lets the inspection endpoints see. */
export interface InspectionSource {
  readonly history: ConfigHistory;
  /** The checksum NGINX's workers were last verified to serve. */
  servingChecksum(): string | undefined;
  /** Each upstream's endpoints as NGINX's workers use them now; undefined when NGINX cannot say. */
  liveEndpoints?(): Promise<Readonly<Record<string, readonly string[]>> | undefined>;
}

export const INSPECTION_PREFIX = '/debug/';

/** Whether a client at `remoteAddress` may read the inspection endpoints. */
export function inspectionAllowed(access: InspectionAccess, remoteAddress: string | undefined): boolean {
  if (access === 'any') return true;
  if (access === 'off' || remoteAddress === undefined) return false;
  const address = remoteAddress.replace(/^::ffff:/, '');
  return (isIP(address) === 4 && address.startsWith('127.')) || address === '::1';
}

/**
 * The inspection endpoints, under /debug/: `status`, `rejected`, `endpoints`, `config`, `history`,
 * `explain`. Plain text for people (what `gatehouse status` and `kubectl gatehouse` print), JSON with
 * `?format=json`.
 */
export async function inspect(url: URL, source: InspectionSource): Promise<InspectionReply> {
  const json = url.searchParams.get('format') === 'json';
  const what = url.pathname.slice(INSPECTION_PREFIX.length);
  const live = source.history.live();
  const last = source.history.lastReconcile();
  switch (what) {
    case 'status': {
      const result = last?.result;
      const data = {
        serving: source.servingChecksum() ?? null,
        appliedAt: live?.at ?? null,
        lastReconcile:
          last === undefined
            ? null
            : { at: last.at, outcome: last.outcome, seconds: last.seconds, error: last.error ?? null },
        ingresses: result?.ingresses.map((i) => ({ ...i.ref, outcome: i.outcome })) ?? [],
        diagnostics: result?.diagnostics ?? [],
      };
      if (json) return reply(data);
      const served = data.ingresses.filter((i) => i.outcome === 'served').length;
      const lines = [
        `serving:        ${data.serving ?? 'nothing yet'}${live === undefined ? '' : ` (applied ${live.at})`}`,
        `last reconcile: ${last === undefined ? 'none yet' : `${last.outcome} at ${last.at} in ${last.seconds.toFixed(3)} s${last.error === undefined ? '' : `: ${last.error}`}`}`,
        `ingresses:      ${served} served, ${data.ingresses.length - served} rejected`,
        `upstreams:      ${live?.result.model.upstreams.length ?? 0}`,
        ...(data.diagnostics.length === 0
          ? ['problems:       none']
          : ['problems:', ...data.diagnostics.map((d) => `  ${formatDiagnostic(d)}`)]),
      ];
      return text(lines);
    }
    case 'rejected': {
      const diagnostics = last?.result.diagnostics ?? [];
      if (json) return reply(diagnostics);
      return text(
        diagnostics.length === 0 ? ['nothing rejected or degraded'] : diagnostics.map(formatDiagnostic),
      );
    }
    case 'endpoints': {
      // Live from NGINX where it can say (endpoints change without reloads), else as last rendered.
      const liveEndpoints = await source.liveEndpoints?.().catch(() => undefined);
      const upstreams = (live?.result.model.upstreams ?? []).map((u) => ({
        name: u.name,
        source: u.source,
        endpoints:
          liveEndpoints === undefined ? u.endpoints.map(formatEndpoint) : endpointList(liveEndpoints[u.name]),
      }));
      if (json) return reply({ live: liveEndpoints !== undefined, upstreams });
      return text([
        liveEndpoints === undefined
          ? '(as last rendered: NGINX did not answer)'
          : "(live: as NGINX's workers use them)",
        ...upstreams.map(
          (u) =>
            `${u.name} (${u.source}): ${u.endpoints.length === 0 ? '(none: requests get 503)' : u.endpoints.join(' ')}`,
        ),
      ]);
    }
    case 'config': {
      if (live === undefined) return notFound('no configuration applied yet');
      const files = live.rendered.files.map((f) => ({ path: f.path, bytes: Buffer.byteLength(f.content) }));
      if (json) return reply({ checksum: live.checksum, at: live.at, files });
      const file = url.searchParams.get('file') ?? 'nginx.conf';
      if (file.startsWith('certs/'))
        return { status: 403, contentType: TEXT, body: 'certificates and keys are not served\n' };
      const found = live.rendered.files.find((f) => f.path === file);
      if (found === undefined)
        return notFound(`no file ${file}; have ${files.map((f) => f.path).join(', ')}`);
      return { status: 200, contentType: TEXT, body: found.content };
    }
    case 'history': {
      const n = Number(url.searchParams.get('n') ?? '10');
      const entries = source.history.history().slice(0, Number.isInteger(n) && n > 0 ? n : 10);
      if (json) return reply(entries);
      return {
        status: 200,
        contentType: TEXT,
        body: entries.length === 0 ? 'no configuration applied yet\n' : entries.map(formatEntry).join('\n'),
      };
    }
    case 'explain': {
      if (live === undefined) return notFound('no configuration applied yet');
      const q = url.searchParams;
      const headers: Record<string, string> = {};
      for (const [k, v] of q) {
        const colon = v.indexOf(':');
        if (/^header\d*$/.test(k) && colon > 0) headers[v.slice(0, colon).trim()] = v.slice(colon + 1).trim();
      }
      const liveEndpoints = await source.liveEndpoints?.().catch(() => undefined);
      const answer = explain(
        {
          url: q.get('url') ?? '',
          method: q.get('method') ?? 'GET',
          headers,
          source: q.get('source') ?? '127.0.0.1',
        },
        {
          model: live.result.model,
          routes: live.result.routes,
          diagnostics: live.result.diagnostics,
          snapshot: live.snapshot,
          ...(liveEndpoints === undefined ? {} : { liveEndpoints }),
        },
      );
      return json ? reply(answer) : { status: 200, contentType: TEXT, body: formatExplanation(answer) };
    }
    default:
      return notFound(
        `unknown: ${url.pathname}; try /debug/status, rejected, endpoints, config, history, explain`,
      );
  }
}

/** One history entry as `gatehouse diff` prints it: a header of comments, then the unified diff. */
export function formatEntry(e: HistoryEntry): string {
  return [
    `# ${e.at} nginx ${e.outcome}: ${e.previousChecksum ?? '(none)'} -> ${e.checksum}`,
    `# triggered by: ${e.triggers.length === 0 ? '(no object changed: a retry or a restart)' : e.triggers.join(', ')}`,
    `# changed: ${e.summary}`,
    e.diff === '' ? '(no difference in the rendered files)\n' : e.diff,
  ].join('\n');
}

const TEXT = 'text/plain; charset=utf-8';

function text(lines: readonly string[]): InspectionReply {
  return { status: 200, contentType: TEXT, body: `${lines.join('\n')}\n` };
}

function reply(data: unknown): InspectionReply {
  return { status: 200, contentType: 'application/json', body: `${JSON.stringify(data, null, 2)}\n` };
}

function notFound(message: string): InspectionReply {
  return { status: 404, contentType: TEXT, body: `${message}\n` };
}
