import { z } from 'zod';
import { dnsLabelName } from '../translate/validators.ts';
import { defineFamily, defined } from './spec.ts';
import { commaList } from './values.ts';

/** custom-http-errors and default-backend, as ingress-nginx pairs them. */
export interface ErrorsAnnotations {
  /** Status codes answered by the default backend instead of the pods. */
  readonly codes?: readonly number[];
  /** A Service of the Ingress's namespace (its first port): the error pages, and the backend of last resort. */
  readonly defaultBackend?: string;
}

/** Comma-separated status codes from 400 to 599, as ingress-nginx takes them. */
export const errorCodes = commaList(
  z
    .string()
    .regex(/^\d{3}$/, 'must be comma-separated status codes from 400 to 599')
    .transform(Number)
    .refine((n) => n >= 400 && n <= 599, { message: 'must be comma-separated status codes from 400 to 599' }),
  { atLeastOne: 'must list at least one status code', max: 64, tooMany: 'must list at most 64 status codes' },
).transform((list) => [...new Set(list)].sort((a, b) => a - b));

export const errorsFamily = defineFamily({
  concern: 'errors',
  keys: {
    'custom-http-errors': {
      schema: errorCodes,
      risk: 'Low',
      scope: 'location',
      description:
        'Status codes (comma-separated) answered by the default backend (default-backend, else --default-backend-service) instead of the pods.',
      example: '404,503',
    },
    'default-backend': {
      schema: dnsLabelName,
      risk: 'Low',
      scope: 'location',
      description:
        "Service of the Ingress's namespace that answers when a path's Service has no ready endpoint, and serves custom-http-errors.",
      example: 'error-pages',
    },
  },
  build: (v): ErrorsAnnotations =>
    defined({ codes: v['custom-http-errors'], defaultBackend: v['default-backend'] }),
});
