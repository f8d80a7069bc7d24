import { explain, formatExplanation, type ExplainRequest } from '../explain/explain.ts';
import { inspectCommand } from './inspect-command.ts';
import type { ClassAndConfigFlags } from './options.ts';
import { translateFolder } from './render-command.ts';

export interface ExplainFlags extends ClassAndConfigFlags {
  manifests?: string;
  controller: string;
  method: string;
  header: string[];
  source: string;
  json: boolean;
}

/** `--header 'K: V'` (repeatable) → `{ K: 'V' }`. */
export function collectHeader(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function headers(list: readonly string[]): Record<string, string> | string {
  const out: Record<string, string> = {};
  for (const h of list) {
    const colon = h.indexOf(':');
    if (colon <= 0) return `--header ${JSON.stringify(h)} is not NAME:VALUE`;
    out[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
  }
  return out;
}

/**
 * `gatehouse explain URL`: which server and location NGINX picks for a request, which Ingress rule and
 * Service that came from, and what the client gets. Against a folder of manifests (--manifests) or the
 * live controller (--controller, the default).
 */
export async function explainCommand(
  url: string,
  flags: ExplainFlags,
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<number> {
  const parsed = headers(flags.header);
  if (typeof parsed === 'string') {
    io.stderr.write(`gatehouse: ${parsed}\n`);
    return 2;
  }
  if (flags.manifests === undefined) {
    const query: Record<string, string> = { url, method: flags.method, source: flags.source };
    flags.header.forEach((h, i) => (query[`header${i}`] = h));
    return inspectCommand('explain', flags, query, io);
  }
  const { snapshot, result } = await translateFolder({ ...flags, manifests: flags.manifests }, undefined);
  const request: ExplainRequest = { url, method: flags.method, headers: parsed, source: flags.source };
  const answer = explain(request, {
    model: result.model,
    routes: result.routes,
    diagnostics: result.diagnostics,
    snapshot,
  });
  io.stdout.write(flags.json ? `${JSON.stringify(answer, null, 2)}\n` : formatExplanation(answer));
  return 0;
}
