import { createHash } from 'node:crypto';
import type { NginxModel } from '../model/nginx.ts';
import { filters } from './filters.ts';

/**
 * What NGINX learns at run time instead of from nginx.conf: the endpoints of every dynamic backend. The
 * controller pushes it over the status socket (src/nginx/dynamic-client.ts); lua/gatehouse/state.lua keeps
 * it in a shared dict. A change here never needs a reload.
 */
export interface DynamicState {
  /** A name for exactly this state (sha256 of its tables): what NGINX is asked to confirm it holds. */
  readonly id: string;
  /** Backend (upstream) name → its endpoints as `addr:port`, IPv6 bracketed; sorted. */
  readonly backends: Readonly<Record<string, readonly string[]>>;
}

export const DYNAMIC_STATE_FILE = 'dynamic.json';

export function dynamicState(model: NginxModel): DynamicState {
  const backends: Record<string, string[]> = {};
  for (const u of model.upstreams) {
    // Printed through the same filters as nginx.conf: a name or address of another shape throws here.
    backends[filters.token(u.name)] = u.endpoints.map((e) => filters.endpoint(e.host, e.port));
  }
  return stateOf(backends);
}

/** A state holding these backends, with its id. */
export function stateOf(backends: Readonly<Record<string, readonly string[]>>): DynamicState {
  const sorted = Object.fromEntries(
    Object.entries(backends).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  const id = createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 32);
  return { id, backends: sorted };
}

/**
 * The change that turns `from` into `to`: only what differs, made against `from`'s id (NGINX refuses it
 * if it holds something else). Without `from`, the change that sets `to` whole.
 */
export function stateChange(from: DynamicState | undefined, to: DynamicState): string {
  if (from === undefined) return wholeStateChange(to);
  const set: Record<string, readonly string[]> = {};
  for (const [name, endpoints] of Object.entries(to.backends)) {
    if (JSON.stringify(from.backends[name]) !== JSON.stringify(endpoints)) set[name] = endpoints;
  }
  const removed = Object.keys(from.backends).filter((name) => !(name in to.backends));
  return JSON.stringify({ id: to.id, base: from.id, set: { backends: set }, delete: { backends: removed } });
}

/** The state as the change that sets it whole: what the file NGINX loads at start holds. */
export function wholeStateChange(state: DynamicState): string {
  return JSON.stringify({ id: state.id, set: { backends: state.backends } });
}
