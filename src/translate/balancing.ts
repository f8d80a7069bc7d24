import { createHash } from 'node:crypto';
import type { AffinityAnnotations } from '../annotations/affinity.ts';
import type { Action } from '../model/nginx.ts';
import type { PathClaim } from './paths.ts';
import { claimKey } from './paths.ts';

/**
 * A proxying path's balancing settings: its session affinity, and the name (`policy_<digest>`) under which
 * its canary and affinity travel in the dynamic state. The name depends only on the host and path, so a
 * change of weight or cookie settings changes the dynamic state alone, never nginx.conf.
 */
export function withBalancing(
  action: Action,
  affinity: AffinityAnnotations | undefined,
  host: string,
  claim: PathClaim,
): Action {
  if (action.kind !== 'proxy' || (affinity === undefined && action.canary === undefined)) return action;
  const policy = `policy_${createHash('sha256')
    .update(`${host} ${claimKey(claim)}`)
    .digest('hex')
    .slice(0, 16)}`;
  if (affinity === undefined) return { ...action, policy };
  const { path, ...cookie } = affinity;
  // ingress-nginx's default is the location's path; a regex is no cookie path, so those get `/`.
  return {
    ...action,
    policy,
    affinity: { ...cookie, path: path ?? (claim.match === 'Regex' ? '/' : claim.path) },
  };
}
