import { z } from 'zod';
import type { BackendProtocol } from '../model/nginx.ts';
import { defineFamily, defined } from './spec.ts';
import { validHost } from './url.ts';

/** How NGINX reaches the pods and what it tells them. */
export interface UpstreamAnnotations {
  readonly protocol?: BackendProtocol;
  /** Host header sent to the pods instead of the client's. */
  readonly vhost?: string;
  /** Connection header sent to the pods instead of keep-alive/upgrade. */
  readonly connection?: string;
}

const PROTOCOLS = ['HTTP', 'HTTPS', 'GRPC', 'GRPCS', 'AUTO_HTTP', 'FCGI'] as const;

/** ingress-nginx upper-cases the value, so `https` and `grpc` are written as often as `HTTPS`, `GRPC`. */
const backendProtocol = z
  .string()
  .trim()
  .transform((v) => v.toUpperCase())
  .pipe(z.enum(PROTOCOLS, { error: `must be one of ${PROTOCOLS.join(', ')}` }));

/** `host` or `host:port`, parsed and rebuilt: a DNS name or IP address and a port number. */
export const vhost = z
  .string()
  .trim()
  .transform((v, ctx) => {
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(v);
    const host = m?.[1]?.toLowerCase();
    const port = m?.[2] === undefined ? undefined : Number(m[2]);
    if (host === undefined || !validHost(host) || (port !== undefined && (port < 1 || port > 65535))) {
      ctx.addIssue({ code: 'custom', message: 'must be a host name or IP address, with an optional :port' });
      return z.NEVER;
    }
    return port === undefined ? host : `${host}:${port}`;
  });

export const upstreamFamily = defineFamily({
  concern: 'upstream',
  keys: {
    'backend-protocol': {
      schema: backendProtocol,
      risk: 'Low',
      scope: 'location',
      description:
        "Protocol NGINX speaks to the pods: HTTP, HTTPS, GRPC, GRPCS, AUTO_HTTP (the client's scheme) or FCGI (FastCGI, see fastcgi-*), in any case.",
      example: 'HTTPS',
    },
    'connection-proxy-header': {
      schema: z
        .string()
        .trim()
        .pipe(z.enum(['close', 'keep-alive'], { error: 'must be "close" or "keep-alive"' })),
      risk: 'Low',
      scope: 'location',
      description:
        'Connection header sent to the pods instead of the default (keep-alive, or upgrade for WebSocket).',
      example: 'keep-alive',
    },
    'upstream-vhost': {
      schema: vhost,
      risk: 'Low',
      scope: 'location',
      description: 'Host header sent to the pods instead of the one the client sent.',
      example: 'internal.example.com',
    },
  },
  build: (v): UpstreamAnnotations =>
    defined({
      protocol: v['backend-protocol'],
      vhost: v['upstream-vhost'],
      connection: v['connection-proxy-header'],
    }),
});
