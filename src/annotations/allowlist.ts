import { z } from 'zod';
import { cidr } from '../translate/validators.ts';
import { defineFamily } from './spec.ts';

/** Who may reach the paths: client addresses or networks; everyone else gets 403. */
export interface AllowlistAnnotations {
  readonly sourceRanges: readonly string[];
}

// The message belongs on each element: on the array it only covers a non-array, never a bad CIDR.
const sourceRanges = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  )
  .pipe(
    z
      .array(
        z.string().refine((s) => cidr.safeParse(s).success, {
          message: 'must be a comma-separated list of IP addresses or CIDRs',
        }),
      )
      .min(1, 'must list at least one IP address or CIDR')
      .max(256, 'must list at most 256 addresses or CIDRs'),
  )
  .transform((list) => [...new Set(list)].sort());

export const allowlistFamily = defineFamily({
  concern: 'allowlist',
  keys: {
    'allowlist-source-range': {
      schema: sourceRanges,
      risk: 'Medium',
      scope: 'location',
      description: 'Comma-separated CIDRs allowed to reach the Ingress; others get 403.',
      example: '10.0.0.0/8,192.168.1.1',
      aliases: ['whitelist-source-range'],
    },
  },
  build: (v): AllowlistAnnotations | undefined =>
    v['allowlist-source-range'] === undefined ? undefined : { sourceRanges: v['allowlist-source-range'] },
});
