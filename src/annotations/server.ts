import { z } from 'zod';
import { ingressHost } from '../translate/validators.ts';
import { defineFamily, defined } from './spec.ts';

/** What an Ingress changes about the server block of its hosts. */
export interface ServerAnnotations {
  /** More names for the Ingress's hosts (server-alias). */
  readonly aliases?: readonly string[];
}

const aliases = z
  .string()
  .transform((v) =>
    v
      .split(/[\s,]+/)
      .filter((s) => s !== '')
      .map((s) => s.toLowerCase()),
  )
  .pipe(
    z
      .array(
        z.string().refine((s) => ingressHost.safeParse(s).success, {
          message: 'must be a comma-separated list of DNS names, each optionally starting with "*."',
        }),
      )
      .min(1, 'must list at least one name')
      .max(32, 'must list at most 32 names'),
  )
  .transform((list) => [...new Set(list)].sort());

export const serverFamily = defineFamily({
  concern: 'server',
  keys: {
    'server-alias': {
      schema: aliases,
      risk: 'High',
      scope: 'server',
      description:
        "More host names (comma-separated) served like the Ingress's hosts; a name another Ingress serves is skipped with a warning.",
      example: 'www.example.com,example.net',
    },
  },
  build: (v): ServerAnnotations => defined({ aliases: v['server-alias'] }),
});
