import type { V1ConfigMap } from '@kubernetes/client-node';
import type { CorsAnnotations } from '../annotations/cors.ts';
import { ANNOTATION_PREFIX } from '../annotations/spec.ts';
import type { Diagnostic } from '../model/diagnostics.ts';
import type { Cors } from '../model/nginx.ts';
import type { ParsedIngress } from './ingress-parse.ts';

/**
 * The origin check NGINX runs for enable-cors: one anchored, case-insensitive regex of the allowed origins
 * (already validated: scheme://host[:port] or `null`); a `*.` host stands for one DNS label, as in
 * ingress-nginx.
 */
export function corsSettings(cors: CorsAnnotations): Cors {
  const { origins, ...rest } = cors;
  if (origins === '*') return rest;
  const alternatives = origins.map((o) =>
    o.replace(/[.+]/g, (c) => `\\${c}`).replace('://*\\.', '://[a-z0-9-]+\\.'),
  );
  return { ...rest, originPattern: `^(${alternatives.join('|')})$` };
}

const HEADER_NAME = /^[A-Za-z0-9-]{1,64}$/;
/** Printable ASCII, without what an NGINX string would read differently: quotes, `\` and `$`. */
const HEADER_VALUE = /^[\x20-\x21\x23\x25-\x5b\x5d-\x7e]{0,1024}$/;
/** Headers NGINX itself must own: replacing them would break the response. */
const RESERVED = new Set([
  'content-length',
  'transfer-encoding',
  'connection',
  'content-type',
  'date',
  'server',
]);

/**
 * custom-headers: the ConfigMap of the Ingress's namespace, its entries checked as header names and
 * values, each name allowed by the admin (ConfigMap key global-allowed-response-headers, as in
 * ingress-nginx). Undefined (and an error reported) when anything is wrong: the Ingress is then refused.
 */
export function customHeaders(
  ingress: ParsedIngress,
  name: string,
  configMaps: readonly V1ConfigMap[],
  allowed: readonly string[],
  report: (d: Diagnostic) => void,
): { name: string; value: string }[] | undefined {
  const fail = (reason: string): undefined => {
    report({
      severity: 'error',
      object: ingress.ref,
      field: `metadata.annotations[${ANNOTATION_PREFIX}custom-headers]`,
      reason,
    });
    return undefined;
  };
  const cm = configMaps.find(
    (c) => c.metadata?.namespace === ingress.ref.namespace && c.metadata.name === name,
  );
  if (cm === undefined) return fail(`ConfigMap ${ingress.ref.namespace}/${name} does not exist`);
  const entries = Object.entries(cm.data ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length > 64) return fail(`ConfigMap ${name} lists more than 64 headers`);
  const allowedLower = new Set(allowed.map((h) => h.toLowerCase()));
  const out: { name: string; value: string }[] = [];
  for (const [header, value] of entries) {
    if (!HEADER_NAME.test(header))
      return fail(`ConfigMap ${name}: ${JSON.stringify(header)} is not a header name`);
    if (typeof value !== 'string' || !HEADER_VALUE.test(value))
      return fail(
        `ConfigMap ${name}: the value of ${header} must be printable text without quotes, "\\" or "$"`,
      );
    if (RESERVED.has(header.toLowerCase()))
      return fail(`ConfigMap ${name}: ${header} is set by NGINX itself`);
    if (!allowedLower.has(header.toLowerCase()))
      return fail(
        `ConfigMap ${name}: ${header} is not in the controller ConfigMap's global-allowed-response-headers`,
      );
    out.push({ name: header, value });
  }
  return out;
}
