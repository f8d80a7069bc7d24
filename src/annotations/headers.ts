import { z } from 'zod';
import { dnsSubdomain } from '../translate/validators.ts';
import { defineFamily } from './spec.ts';

/** custom-headers: response headers from a ConfigMap of the Ingress's own namespace. */
export interface HeadersAnnotations {
  /** The ConfigMap's name; translate reads it from the snapshot. */
  readonly configMap: string;
}

/** `name` or `namespace/name`, as ingress-nginx takes it. */
export const configMapRef = z
  .string()
  .trim()
  .transform((v) => {
    const slash = v.indexOf('/');
    return slash < 0
      ? { namespace: undefined, name: v }
      : { namespace: v.slice(0, slash), name: v.slice(slash + 1) };
  })
  .refine(
    (r) =>
      dnsSubdomain.safeParse(r.name).success &&
      (r.namespace === undefined || /^[a-z0-9-]+$/.test(r.namespace)),
    {
      message: 'must name a ConfigMap: "name" or "namespace/name"',
    },
  );

export const headersFamily = defineFamily({
  concern: 'headers',
  keys: {
    'custom-headers': {
      schema: configMapRef,
      risk: 'Medium',
      scope: 'location',
      description:
        "ConfigMap (in the Ingress's namespace) whose entries are response headers to set; each name must be in the ConfigMap key global-allowed-response-headers.",
      example: 'security-headers',
    },
  },
  build: (v, { namespace, report }): HeadersAnnotations | undefined => {
    const ref = v['custom-headers'];
    if (ref === undefined) return undefined;
    if (ref.namespace !== undefined && ref.namespace !== namespace) {
      report('custom-headers', "must name a ConfigMap in the Ingress's own namespace");
      return undefined;
    }
    return { configMap: ref.name };
  },
});
