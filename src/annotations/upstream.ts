import { z } from 'zod';
import type { BackendProtocol } from '../model/nginx.ts';
import { defineFamily, defined } from './spec.ts';

/** How NGINX reaches the pods. */
export interface UpstreamAnnotations {
  readonly protocol?: BackendProtocol;
}

export const upstreamFamily = defineFamily({
  concern: 'upstream',
  keys: {
    'backend-protocol': {
      schema: z.enum(['HTTP', 'HTTPS'], { error: 'must be HTTP or HTTPS' }),
      risk: 'Low',
      scope: 'location',
      description: 'Protocol NGINX speaks to the pods: HTTP or HTTPS.',
      example: 'HTTPS',
    },
  },
  build: (v): UpstreamAnnotations => defined({ protocol: v['backend-protocol'] }),
});
