// The benches' cluster at scale (bench/scale.bench.ts, bench/load-cost.bench.ts): Ingress app-i in namespace
// team-(i mod 10), host app-i.example.com, paths / and /api to Service svc-i, whose EndpointSlice lists
// `endpoints` addresses in 10.0.0.0/8 (never connected to). Even Ingresses have TLS from their namespace's
// one shared wildcard Secret `wildcard-tls` (10 Secrets in all).
import type { KubernetesObject } from '@kubernetes/client-node';
import { ingress, serviceWithEndpoints } from '../../test/support/fixtures.ts';

export const NAMESPACES = 10;

export const ns = (i: number): string => `team-${i % NAMESPACES}`;
export const host = (i: number): string => `app-${i}.example.com`;
export const address = (i: number, k: number): string => `10.${(i >> 8) & 255}.${i & 255}.${k}`;

/**
 * Ingress app-i and its Service. `editHost`: a second host served by the probe Service (an edit whose
 * request proves it live); `moved`: the last endpoint's address instead.
 */
export function app(
  i: number,
  endpoints: number,
  extra: { editHost?: string; moved?: string } = {},
): KubernetesObject[] {
  const ips = Array.from({ length: endpoints }, (_, k) => address(i, k + 1));
  if (extra.moved !== undefined) ips[ips.length - 1] = extra.moved;
  return [
    ingress({
      name: `app-${i}`,
      namespace: ns(i),
      rules: [
        {
          host: host(i),
          paths: [
            { path: '/', service: `svc-${i}`, port: 80 },
            { path: '/api', service: `svc-${i}`, port: 80 },
          ],
        },
        ...(extra.editHost === undefined
          ? []
          : [{ host: extra.editHost, paths: [{ path: '/', service: 'probe', port: 80 }] }]),
      ],
      ...(i % 2 === 0 ? { tls: [{ hosts: [host(i)], secretName: 'wildcard-tls' }] } : {}),
    }),
    ...serviceWithEndpoints(
      `svc-${i}`,
      ips.map((ip) => ({ ip, port: 8080 })),
      { namespace: ns(i) },
    ),
  ];
}
