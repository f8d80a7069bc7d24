import { z } from 'zod';
import { defineFamily, defined } from './spec.ts';
import { sourceRangeList } from './values.ts';

/**
 * Rate and connection limits per client address, as in ingress-nginx: each limit is one zone per Ingress
 * shared by all its paths; a client over it gets `limit-req-status-code` / `limit-conn-status-code`
 * (ConfigMap, default 503).
 */
export interface RateLimitAnnotations {
  readonly rps?: number;
  readonly rpm?: number;
  readonly connections?: number;
  /** Bursts allowed on top of rps/rpm: the limit times this (default 5). */
  readonly burstMultiplier: number;
  readonly rateKilobytes?: number;
  readonly rateAfterKilobytes?: number;
  /** Clients no rate or connection limit counts. */
  readonly exempt?: readonly string[];
}

const count = (max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n >= 1 && n <= max, { message: `must be between 1 and ${max}` });

/** 0 turns the limit off, as in ingress-nginx. */
const kilobytes = z
  .string()
  .regex(/^\d{1,9}$/, 'must be a whole number of kilobytes')
  .transform(Number)
  .refine((n) => n <= 10_485_760, { message: 'must be at most 10485760 (10 GiB)' });

export const DEFAULT_BURST_MULTIPLIER = 5;

export const rateLimitFamily = defineFamily({
  concern: 'rateLimit',
  keys: {
    'limit-rps': {
      schema: count(100_000),
      risk: 'Low',
      scope: 'location',
      description:
        'Requests per second one client address may send to the Ingress (all its paths), with bursts of limit × limit-burst-multiplier.',
      example: '10',
    },
    'limit-rpm': {
      schema: count(6_000_000),
      risk: 'Low',
      scope: 'location',
      description:
        'Requests per minute one client address may send to the Ingress, with bursts as for limit-rps.',
      example: '300',
    },
    'limit-connections': {
      schema: count(100_000),
      risk: 'Low',
      scope: 'location',
      description: 'Requests one client address may have in progress at once on the Ingress.',
      example: '20',
    },
    'limit-burst-multiplier': {
      schema: count(1000),
      risk: 'Low',
      scope: 'location',
      description: 'Burst size of limit-rps and limit-rpm, as a multiple of the limit (default 5).',
      example: '3',
    },
    'limit-rate': {
      schema: kilobytes,
      risk: 'Low',
      scope: 'location',
      description: 'Kilobytes per second sent to one connection (0: unlimited); needs proxy-buffering on.',
      example: '512',
    },
    'limit-rate-after': {
      schema: kilobytes,
      risk: 'Low',
      scope: 'location',
      description: 'Kilobytes sent to a connection at full speed before limit-rate applies.',
      example: '1024',
    },
    'limit-allowlist': {
      schema: sourceRangeList,
      risk: 'Low',
      scope: 'location',
      description: 'Comma-separated IP addresses or CIDRs that no rate or connection limit counts.',
      example: '10.0.0.0/8',
      aliases: ['limit-whitelist'],
    },
  },
  build: (v): RateLimitAnnotations => ({
    ...defined({
      rps: v['limit-rps'],
      rpm: v['limit-rpm'],
      connections: v['limit-connections'],
      exempt: v['limit-allowlist'],
    }),
    burstMultiplier: v['limit-burst-multiplier'] ?? DEFAULT_BURST_MULTIPLIER,
    // 0 means "no limit" in ingress-nginx: nothing to print.
    ...(v['limit-rate'] !== undefined && v['limit-rate'] > 0 && { rateKilobytes: v['limit-rate'] }),
    ...(v['limit-rate-after'] !== undefined &&
      v['limit-rate-after'] > 0 && { rateAfterKilobytes: v['limit-rate-after'] }),
  }),
});
