import { z } from 'zod';
import { defineFamily } from './spec.ts';
import { bool, commaList, int } from './values.ts';

/** CORS as ingress-nginx answers it (enable-cors and the cors-* keys), with its defaults filled in. */
export interface CorsAnnotations {
  /** `*` (any origin, answered `*`), or origins `scheme://host[:port]` whose host may start with `*.`, or `null`. */
  readonly origins: '*' | readonly string[];
  readonly methods: string;
  readonly headers: string;
  readonly exposeHeaders?: string;
  readonly credentials: boolean;
  readonly maxAgeSeconds: number;
}

/** ingress-nginx's defaults. */
export const CORS_DEFAULTS = {
  methods: 'GET, PUT, POST, DELETE, PATCH, OPTIONS',
  headers:
    'DNT, Keep-Alive, User-Agent, X-Requested-With, If-Modified-Since, Cache-Control, Content-Type, Range, Authorization',
  maxAgeSeconds: 1728000,
} as const;

const ORIGIN = /^([a-z][a-z0-9+.-]*:\/\/(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?|null)$/;

/** `*`, or comma-separated origins; `*` among others means any origin, as in ingress-nginx. */
const origins = commaList(
  z
    .string()
    .transform((s) => s.toLowerCase().replace(/\/$/, ''))
    .refine((s) => s === '*' || ORIGIN.test(s), {
      message:
        'must be "*" or comma-separated origins such as https://example.com, https://*.example.com:8443',
    }),
  { atLeastOne: 'must list at least one origin', max: 64, tooMany: 'must list at most 64 origins' },
).transform((list): '*' | string[] => (list.includes('*') ? '*' : [...new Set(list)].sort()));

/** A comma-separated list of tokens (methods, header names), normalised to `A, B, C`. */
function tokens(pattern: RegExp, what: string) {
  const message = `must be a comma-separated list of ${what}`;
  return commaList(z.string().regex(pattern, message), { atLeastOne: message, max: 64 }).transform((list) =>
    [...new Set(list)].join(', '),
  );
}

const HEADER = /^[A-Za-z0-9_-]+$/;

export const corsFamily = defineFamily({
  concern: 'cors',
  keys: {
    'cors-allow-credentials': {
      schema: bool,
      risk: 'Low',
      scope: 'location',
      description: 'Send Access-Control-Allow-Credentials: true (default true).',
      example: 'false',
    },
    'cors-allow-headers': {
      schema: tokens(HEADER, 'header names'),
      risk: 'Medium',
      scope: 'location',
      description: 'Access-Control-Allow-Headers of the CORS answers.',
      example: 'X-Forwarded-For, Content-Type',
    },
    'cors-allow-methods': {
      schema: tokens(/^[A-Za-z]+$/, 'methods'),
      risk: 'Medium',
      scope: 'location',
      description: 'Access-Control-Allow-Methods of the CORS answers.',
      example: 'GET, POST',
    },
    'cors-allow-origin': {
      schema: origins,
      risk: 'Medium',
      scope: 'location',
      description:
        'Origins answered with CORS headers: "*" or comma-separated scheme://host[:port], a host may start with "*." (default "*").',
      example: 'https://app.example.com, https://*.example.org',
    },
    'cors-expose-headers': {
      schema: tokens(/^([A-Za-z0-9_-]+|\*)$/, 'header names or *'),
      risk: 'Medium',
      scope: 'location',
      description: 'Access-Control-Expose-Headers of the CORS answers.',
      example: 'X-Request-ID',
    },
    'cors-max-age': {
      schema: int(0, 31536000),
      risk: 'Low',
      scope: 'location',
      description: 'Seconds a browser may cache a preflight answer (default 1728000).',
      example: '600',
    },
    'enable-cors': {
      schema: bool,
      risk: 'Low',
      scope: 'location',
      description:
        'Answer CORS: preflight OPTIONS requests from an allowed origin get 204 from NGINX, other requests the CORS headers.',
      example: 'true',
    },
  },
  build: (v, { report }): CorsAnnotations | undefined => {
    if (v['enable-cors'] !== true) {
      for (const key of Object.keys(v))
        if (key !== 'enable-cors') report(key, 'has no effect without enable-cors: "true"', 'warning');
      return undefined;
    }
    const exposeHeaders = v['cors-expose-headers'];
    return {
      origins: v['cors-allow-origin'] ?? '*',
      methods: v['cors-allow-methods'] ?? CORS_DEFAULTS.methods,
      headers: v['cors-allow-headers'] ?? CORS_DEFAULTS.headers,
      ...(exposeHeaders !== undefined && { exposeHeaders }),
      credentials: v['cors-allow-credentials'] ?? true,
      maxAgeSeconds: v['cors-max-age'] ?? CORS_DEFAULTS.maxAgeSeconds,
    };
  },
});
