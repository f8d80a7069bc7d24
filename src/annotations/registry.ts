import { canaryFamily } from './canary.ts';
import { corsFamily } from './cors.ts';
import { errorsFamily } from './errors.ts';
import { fastcgiFamily } from './fastcgi.ts';
import { externalAuthFamily } from './external-auth.ts';
import { headersFamily } from './headers.ts';
import { logFamily } from './log.ts';
import { mirrorFamily } from './mirror.ts';
import { affinityFamily } from './affinity.ts';
import { modsecurityFamily } from './modsecurity.ts';
import { balanceFamily } from './balance.ts';
import { snippetFamily } from './snippet.ts';
import { basicAuthFamily } from './basic-auth.ts';
import { clientCertFamily } from './client-cert.ts';
import { passthroughFamily } from './passthrough.ts';
import { proxyFamily } from './proxy.ts';
import { proxySslFamily } from './proxy-ssl.ts';
import { rateLimitFamily } from './rate-limit.ts';
import { redirectFamily } from './redirect.ts';
import { rewriteFamily } from './rewrite.ts';
import { serverFamily } from './server.ts';
import { sourceRangeFamily } from './source-range.ts';
import type { AnnotationFamily, AnnotationSpec } from './spec.ts';
import { upstreamFamily } from './upstream.ts';

export { ANNOTATION_PREFIX, RISK_LEVELS, type AnnotationSpec, type Risk, type Scope } from './spec.ts';
export {
  IGNORED_TUNING,
  RETIRED,
  SNIPPET_ANNOTATIONS,
  UNSUPPORTED_ACCESS_CONTROL,
  UNSUPPORTED_ROUTING,
} from './unsupported.ts';

/**
 * Every annotation family. To add one: write `src/annotations/<concern>.ts` with `defineFamily` (keys with
 * schema, scope, risk and docs; `build` returns the concern's typed settings), list it here, drop its keys
 * from `unsupported.ts`, and read `IngressAnnotations['<concern>']` in translate.
 */
export const FAMILIES = [
  affinityFamily,
  balanceFamily,
  basicAuthFamily,
  canaryFamily,
  clientCertFamily,
  corsFamily,
  errorsFamily,
  externalAuthFamily,
  fastcgiFamily,
  headersFamily,
  logFamily,
  mirrorFamily,
  modsecurityFamily,
  passthroughFamily,
  proxyFamily,
  proxySslFamily,
  rateLimitFamily,
  redirectFamily,
  rewriteFamily,
  serverFamily,
  snippetFamily,
  sourceRangeFamily,
  upstreamFamily,
] as const;

type Family = (typeof FAMILIES)[number];

/** What an Ingress's annotations ask for, one typed entry per concern; a concern no key set is absent. */
export type IngressAnnotations = {
  readonly [F in Family as F['concern']]?: F extends AnnotationFamily<string, infer S> ? S : never;
};

/** Every annotation Gatehouse understands, aliases included, sorted by name: the README table. */
export const ANNOTATIONS: readonly AnnotationSpec[] = FAMILIES.flatMap((f) => f.specs).sort((a, b) =>
  a.name < b.name ? -1 : 1,
);

const byName = new Map(ANNOTATIONS.map((a) => [a.name, a]));

export function lookupAnnotation(name: string): AnnotationSpec | undefined {
  return byName.get(name);
}
