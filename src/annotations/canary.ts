import { z } from 'zod';
import type { CanaryRoute } from '../model/nginx.ts';
import { defineFamily } from './spec.ts';
import { bool, int } from './values.ts';

/**
 * A canary Ingress (`canary: "true"`) adds no routes of its own: its backend takes part of the traffic of
 * the main Ingress that serves the same host and path. A request goes to the canary when its header says
 * so, else when its cookie says so, else by weight (ingress-nginx's precedence). The split itself happens
 * in lua/gatehouse/balancer.lua, from values that travel in the dynamic state, so a weight change needs no
 * reload.
 */
export interface CanaryAnnotations extends Omit<CanaryRoute, 'backend'> {
  /** False only for `canary: "false"` without any other canary key: an ordinary Ingress. */
  readonly enabled: boolean;
}

export const MAX_CANARY_WEIGHT = 1_000_000;

/** ingress-nginx's BasicChars, which it checks these values against. */
const basicChars = (what: string) =>
  z
    .string()
    .trim()
    .regex(
      /^[A-Za-z0-9/\-._~:]{1,256}$/,
      `must be a ${what} of letters, digits and / - . _ ~ : (at most 256)`,
    );

const headerName = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'must be a header name (letters, digits, "-" and "_")');

const cookieName = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be a cookie name (letters, digits, "-", "_" and ".")');

/**
 * ingress-nginx's regex characters (IsValidRegex), and a pattern that compiles. NGINX's PCRE and
 * JavaScript agree on this subset; a pattern PCRE still refuses matches nothing (as in ingress-nginx).
 */
const headerPattern = z
  .string()
  .trim()
  .regex(
    /^[A-Za-z0-9/\-._~:^$[\](){}*+?|&=\\]{1,256}$/,
    'must be a regular expression of letters, digits and / - . _ ~ : ^ $ [ ] ( ) { } * + ? | & = \\ (at most 256)',
  )
  .refine(
    (v) => {
      try {
        new RegExp(v);
        return true;
      } catch {
        return false;
      }
    },
    { message: 'must be a valid regular expression' },
  );

export const canaryFamily = defineFamily({
  concern: 'canary',
  keys: {
    canary: {
      schema: bool,
      risk: 'Low',
      scope: 'location',
      description:
        'Makes the Ingress a canary: it adds no routes; its backend takes part of the traffic of the main Ingress (same namespace) serving the same host and path.',
      example: 'true',
    },
    'canary-weight': {
      schema: int(0, MAX_CANARY_WEIGHT),
      risk: 'Low',
      scope: 'location',
      description: 'Requests out of canary-weight-total (100) sent to the canary at random.',
      example: '20',
    },
    'canary-weight-total': {
      schema: int(1, MAX_CANARY_WEIGHT),
      risk: 'Low',
      scope: 'location',
      description: 'What canary-weight is counted against (default 100).',
      example: '1000',
    },
    'canary-by-header': {
      schema: headerName,
      risk: 'Medium',
      scope: 'location',
      description:
        'Request header that sends a request to the canary when "always" and keeps it off when "never" (before cookie and weight).',
      example: 'X-Canary',
    },
    'canary-by-header-value': {
      schema: basicChars('header value'),
      risk: 'Medium',
      scope: 'location',
      description: 'The canary-by-header value that sends a request to the canary, instead of "always".',
      example: 'beta',
    },
    'canary-by-header-pattern': {
      schema: headerPattern,
      risk: 'Medium',
      scope: 'location',
      description:
        'A PCRE the canary-by-header value must match to send a request to the canary (ignored when canary-by-header-value is set).',
      example: '^(beta|qa)$',
    },
    'affinity-canary-behavior': {
      schema: z
        .string()
        .trim()
        .pipe(z.enum(['sticky', 'legacy'], { error: 'must be "sticky" or "legacy"' })),
      risk: 'Low',
      scope: 'location',
      description:
        'On a canary Ingress with session affinity on the main one: sticky (default) keeps a session that began on the canary there; legacy sets no canary session, so a client leaves the canary when its header, cookie or weight no longer send it there.',
      example: 'legacy',
    },
    'canary-by-cookie': {
      schema: cookieName,
      risk: 'Medium',
      scope: 'location',
      description:
        'Cookie that sends a request to the canary when "always" and keeps it off when "never" (before weight).',
      example: 'canary',
    },
  },
  build: (v, { report }): CanaryAnnotations => {
    const enabled = v.canary === true;
    // ingress-nginx reads affinity-canary-behavior only on canaries; elsewhere it is harmless.
    const others = Object.keys(v).filter((k) => k !== 'canary' && k !== 'affinity-canary-behavior');
    if (!enabled && v['affinity-canary-behavior'] !== undefined)
      report('affinity-canary-behavior', 'has no effect on an Ingress that is not a canary', 'warning');
    if (!enabled && others.length > 0)
      report(
        'canary',
        `must be "true" when ${others.sort().join(', ')} ${others.length > 1 ? 'are' : 'is'} set`,
      );
    const weightTotal = v['canary-weight-total'] ?? 100;
    const weight = Math.min(v['canary-weight'] ?? 0, weightTotal);
    if ((v['canary-weight'] ?? 0) > weightTotal)
      report(
        'canary-weight',
        `is more than canary-weight-total (${weightTotal}); every request goes to the canary`,
        'warning',
      );
    const header = v['canary-by-header'];
    for (const key of ['canary-by-header-value', 'canary-by-header-pattern'] as const)
      if (v[key] !== undefined && header === undefined)
        report(key, 'has no effect without canary-by-header', 'warning');
    const value = header === undefined ? undefined : v['canary-by-header-value'];
    const pattern = header === undefined || value !== undefined ? undefined : v['canary-by-header-pattern'];
    return {
      enabled,
      weight,
      weightTotal,
      ...(header !== undefined && { header }),
      ...(value !== undefined && { headerValue: value }),
      ...(pattern !== undefined && { headerPattern: pattern }),
      ...(v['canary-by-cookie'] !== undefined && { cookie: v['canary-by-cookie'] }),
      ...(v['affinity-canary-behavior'] === 'legacy' && { legacyAffinity: true as const }),
    };
  },
});
