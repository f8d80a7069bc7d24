import { createHash } from 'node:crypto';
import type { IngressAnnotations } from '../annotations/registry.ts';
import type { Action, Balancing, LoadBalance } from '../model/nginx.ts';
import type { PathClaim } from './paths.ts';
import { claimKey } from './paths.ts';

/**
 * A proxying path's balancing settings (session affinity, load-balance where it differs from the http
 * level's, upstream-hash-by), and the name (`policy_<digest>`) under which they and its canary travel in
 * the dynamic state. The name depends only on the host and path, so a change of weight, cookie or hash
 * settings changes the dynamic state alone; only a location's switch to or from ewma changes nginx.conf.
 */
export function withBalancing(
  action: Action,
  { affinity, balance }: Pick<IngressAnnotations, 'affinity' | 'balance'>,
  defaultMode: LoadBalance,
  host: string,
  claim: PathClaim,
): Action {
  if (action.kind !== 'proxy') return action;
  const mode = balance?.loadBalance;
  const balancing: Balancing = {
    ...(mode !== undefined && mode !== defaultMode && { mode }),
    ...(balance?.hashBy !== undefined && { hashBy: balance.hashBy }),
    ...(balance?.hashSubsetSize !== undefined && { subsetSize: balance.hashSubsetSize }),
  };
  const balanced = Object.keys(balancing).length > 0;
  if (affinity === undefined && action.canary === undefined && !balanced) return action;
  const digest = createHash('sha256')
    .update(`${host} ${claimKey(claim)}`)
    .digest('hex');
  const withPolicy = { ...action, policy: `policy_${digest.slice(0, 16)}`, ...(balanced && { balancing }) };
  if (affinity === undefined) return withPolicy;
  const { path, ...cookie } = affinity;
  // ingress-nginx's default is the location's path; a regex is no cookie path, so those get `/`.
  return {
    ...withPolicy,
    affinity: { ...cookie, path: path ?? (claim.match === 'Regex' ? '/' : claim.path) },
  };
}
