import { z } from 'zod';
import { defineFamily, defined } from './spec.ts';
import { sourceRangeList } from './values.ts';

/**
 * Which client addresses may reach the paths (ingress-nginx's allowlist and denylist): a client in the
 * denylist, or outside a set allowlist, gets 403. The client address is the peer's, or the one a trusted
 * proxy reports when the ConfigMap's `use-forwarded-headers` is on (see `proxy-real-ip-cidr`).
 */
export interface SourceRangeAnnotations {
  readonly allow?: readonly string[];
  readonly deny?: readonly string[];
  /**
   * `satisfy: any`: a client of the allowlist needs no credentials, others must authenticate (basic or
   * external auth); the denylist still refuses. Default `all`: both must pass.
   */
  readonly satisfy?: 'any' | 'all';
}

export const sourceRangeFamily = defineFamily({
  concern: 'sourceRange',
  keys: {
    'allowlist-source-range': {
      schema: sourceRangeList,
      risk: 'Medium',
      scope: 'location',
      description: 'Comma-separated IP addresses or CIDRs allowed to reach the Ingress; others get 403.',
      example: '10.0.0.0/8,192.168.1.1',
      aliases: ['whitelist-source-range'],
    },
    'denylist-source-range': {
      schema: sourceRangeList,
      risk: 'Medium',
      scope: 'location',
      description: 'Comma-separated IP addresses or CIDRs refused (403), even when the allowlist lists them.',
      example: '203.0.113.0/24',
    },
    satisfy: {
      schema: z.enum(['any', 'all'], { error: 'must be "any" or "all"' }),
      risk: 'Low',
      scope: 'location',
      description:
        'With "any", clients of the allowlist need no credentials and others must pass basic or external auth (the denylist still refuses); with "all" (default) both apply.',
      example: 'any',
    },
  },
  build: (v): SourceRangeAnnotations =>
    defined({
      allow: v['allowlist-source-range'],
      deny: v['denylist-source-range'],
      satisfy: v.satisfy,
    }),
});
