import { z } from 'zod';
import type { HashKeyPart, LoadBalance } from '../model/nginx.ts';
import { defineFamily } from './spec.ts';
import { bool, int } from './values.ts';

/** How the Lua balancer picks a pod for the Ingress's paths, and whether it sees pods at all. */
export interface BalanceAnnotations {
  readonly loadBalance?: LoadBalance;
  /** upstream-hash-by: the key requests are hashed on (consistent hashing over the pods). */
  readonly hashBy?: readonly HashKeyPart[];
  /** upstream-hash-by-subset: the key picks a group of this many pods, a request one pod of it at random. */
  readonly hashSubsetSize?: number;
  /** service-upstream: proxy to the Service's cluster IP instead of its pods. */
  readonly serviceUpstream?: boolean;
}

export const loadBalance = z
  .string()
  .trim()
  .pipe(z.enum(['round_robin', 'ewma'], { error: 'must be "round_robin" or "ewma"' }));

/**
 * NGINX variables a hash key may use: the request's own (URI, arguments, client address, host, method,
 * scheme) and its headers, cookies and arguments by name.
 */
const HASH_VARIABLES = new Set([
  'args',
  'binary_remote_addr',
  'document_uri',
  'host',
  'query_string',
  'realip_remote_addr',
  'remote_addr',
  'request_method',
  'request_uri',
  'scheme',
  'server_name',
  'uri',
]);
const HASH_PREFIXES = ['arg_', 'cookie_', 'http_'];

const HASH_MESSAGE =
  'must be NGINX variables ($request_uri, $remote_addr, $http_<header>, $cookie_<name>, $arg_<name>, …) and text of letters, digits and _ . : / -';

/** `$remote_addr`, `${http_x_user}:$uri`, … split into variables and literal text, or undefined. */
export function parseHashKey(value: string): HashKeyPart[] | undefined {
  if (value.length === 0 || value.length > 256) return undefined;
  const parts: HashKeyPart[] = [];
  const token = /\$\{([A-Za-z0-9_]+)\}|\$([A-Za-z0-9_]+)|([A-Za-z0-9_.:/-]+)/y;
  let m: RegExpExecArray | null;
  while (token.lastIndex < value.length && (m = token.exec(value)) !== null) {
    const name = (m[1] ?? m[2])?.toLowerCase();
    if (name === undefined) {
      parts.push({ text: m[3] ?? '' });
      continue;
    }
    const known =
      HASH_VARIABLES.has(name) || HASH_PREFIXES.some((p) => name.startsWith(p) && name.length > p.length);
    if (!known) return undefined;
    parts.push({ variable: name });
  }
  return token.lastIndex === value.length ? parts : undefined;
}

const hashKey = z
  .string()
  .trim()
  .transform((v, ctx) => {
    const parts = parseHashKey(v);
    if (parts === undefined) {
      ctx.addIssue({ code: 'custom', message: HASH_MESSAGE });
      return z.NEVER;
    }
    return parts;
  });

export const balanceFamily = defineFamily({
  concern: 'balance',
  keys: {
    'load-balance': {
      schema: loadBalance,
      risk: 'Low',
      scope: 'location',
      description:
        'How a pod is picked: round_robin, or ewma (the less loaded of two pods, by recent response time and requests in flight).',
      example: 'ewma',
    },
    'upstream-hash-by': {
      schema: hashKey,
      risk: 'High',
      scope: 'location',
      description:
        'Consistent hashing: requests with the same key (NGINX variables and text) go to the same pod while it is ready.',
      example: '$request_uri',
    },
    'upstream-hash-by-subset': {
      schema: bool,
      risk: 'Low',
      scope: 'location',
      description:
        'The upstream-hash-by key picks a group of pods, and a request goes to one of them at random.',
      example: 'true',
    },
    'upstream-hash-by-subset-size': {
      schema: int(1, 1000),
      risk: 'Low',
      scope: 'location',
      description: 'Pods in each upstream-hash-by-subset group (default 3).',
      example: '3',
    },
    'service-upstream': {
      schema: bool,
      risk: 'Low',
      scope: 'location',
      description:
        "Proxy to the Service's cluster IP (kube-proxy picks the pod) instead of to the pods themselves.",
      example: 'true',
    },
  },
  build: (v, { report }): BalanceAnnotations => {
    const hashBy = v['upstream-hash-by'];
    for (const key of ['upstream-hash-by-subset', 'upstream-hash-by-subset-size'] as const)
      if (v[key] !== undefined && hashBy === undefined)
        report(key, 'has no effect without upstream-hash-by', 'warning');
    if (hashBy !== undefined && v['load-balance'] !== undefined)
      report('load-balance', 'has no effect with upstream-hash-by, which picks the pod', 'warning');
    const subset = hashBy !== undefined && v['upstream-hash-by-subset'] === true;
    return {
      ...(v['load-balance'] !== undefined && hashBy === undefined && { loadBalance: v['load-balance'] }),
      ...(hashBy !== undefined && { hashBy }),
      ...(subset && { hashSubsetSize: v['upstream-hash-by-subset-size'] ?? 3 }),
      ...(v['service-upstream'] !== undefined && { serviceUpstream: v['service-upstream'] }),
    };
  },
});
