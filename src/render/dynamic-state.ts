import { createHash, createHmac, createSecretKey, randomBytes } from 'node:crypto';
import type {
  Affinity,
  Balancing,
  CanaryRoute,
  HashKeyPart,
  NginxModel,
  Server,
  Upstream,
} from '../model/nginx.ts';
import { filters, UnsafeValueError } from './filters.ts';

/**
 * What NGINX learns at run time instead of from nginx.conf: the endpoints of every backend and the TLS
 * certificate of every host. The controller pushes it over the status socket (src/nginx/dynamic-client.ts);
 * lua/gatehouse/state.lua keeps it in a shared dict. A change here never needs a reload.
 */
export interface DynamicTables {
  /** Backend (upstream) name → its endpoints as `addr:port`, IPv6 bracketed. */
  readonly backends: Readonly<Record<string, readonly string[]>>;
  /**
   * Host (as in `server_name`, `*.example.com` for one label; `''` for unknown hosts) → the name of its
   * certificate, or `''` for the default server's own (the one in nginx.conf).
   */
  readonly hosts: Readonly<Record<string, string>>;
  /** Certificate name (content-addressed) → chain and key, PEM. */
  readonly certificates: Readonly<Record<string, string>>;
  /** Policy (named by its location's `$gatehouse_policy`) → the canary and its traffic policy. */
  readonly canaries: Readonly<Record<string, CanaryPolicy>>;
  /** Policy → the location's session affinity. */
  readonly affinities: Readonly<Record<string, AffinityPolicy>>;
  /** Policy → how the location's pod is picked, where it differs from the http level. */
  readonly balancing: Readonly<Record<string, BalancingPolicy>>;
}

/** What lua/gatehouse/balancer.lua reads of a location's balancing: hash key parts are `{v}` or `{t}`. */
export interface BalancingPolicy {
  readonly mode?: 'round_robin' | 'ewma';
  readonly hash?: readonly ({ readonly v: string } | { readonly t: string })[];
  readonly subset?: number;
}

/** What lua/gatehouse/balancer.lua reads of a session affinity. */
export interface AffinityPolicy {
  readonly mode: 'balanced' | 'persistent';
  readonly name: string;
  readonly path: string;
  readonly domain?: string;
  readonly max_age?: number;
  readonly expires?: number;
  readonly samesite?: 'None' | 'Lax' | 'Strict';
  readonly conditional?: true;
  readonly secure?: boolean;
  readonly change?: true;
}

/** What lua/gatehouse/balancer.lua reads of a canary (short keys: it is read on every request). */
export interface CanaryPolicy {
  readonly backend: string;
  readonly weight: number;
  readonly total: number;
  readonly header?: string;
  readonly value?: string;
  readonly pattern?: string;
  readonly cookie?: string;
  /** affinity-canary-behavior legacy: the canary keeps no sessions. */
  readonly legacy?: true;
}

export interface DynamicState extends DynamicTables {
  /** A name for exactly this state: what NGINX is asked to confirm it holds. */
  readonly id: string;
}

const TABLES = ['backends', 'hosts', 'certificates', 'canaries', 'affinities', 'balancing'] as const;

export const DYNAMIC_STATE_FILE = 'dynamic.json';

export function dynamicState(model: NginxModel): DynamicState {
  // Printed through the same filters as nginx.conf: a name, host or address of another shape throws here.
  const backends = new Entries<readonly string[]>();
  for (const u of model.upstreams) {
    const name = filters.token(u.name);
    backends.put(name, endpointsOf(name, u));
  }
  const own = model.defaultServer.certificate;
  const certificateOf = (file: string): string => (file === own ? '' : filters.token(file));
  const hosts = new Entries<string>();
  hosts.put('', '');
  for (const s of model.servers) {
    hosts.put(filters.server_host(s.host), certificateOf(s.certificate));
    for (const alias of s.aliases ?? [])
      hosts.put(filters.server_host(aliasHost(alias)), certificateOf(s.certificate));
  }
  for (const r of model.redirectServers ?? [])
    hosts.put(filters.server_host(r.host), certificateOf(r.certificate));
  const certificates = new Entries<string>();
  for (const c of model.certificates)
    if (c.fileName !== own) certificates.put(filters.token(c.fileName), c.pem);
  const kept = last;
  const backendTable = backends.table(kept?.backends);
  forgetOthers(backendTable, model.upstreams.length);
  const canaries: Record<string, CanaryPolicy> = {};
  const affinities: Record<string, AffinityPolicy> = {};
  const balancing: Record<string, BalancingPolicy> = {};
  for (let i = -1; i < model.servers.length; i++) {
    const { locations } = i < 0 ? model.defaultServer : (model.servers[i] as Server);
    for (let j = 0; j < locations.length; j++) {
      const { action } = locations[j] as (typeof locations)[number];
      if (action.kind !== 'proxy' || action.policy === undefined) continue;
      const policy = filters.token(action.policy);
      if (action.canary !== undefined) canaries[policy] = canaryPolicy(action.canary);
      if (action.affinity !== undefined) affinities[policy] = affinityPolicy(action.affinity);
      if (action.balancing !== undefined) balancing[policy] = balancingPolicy(action.balancing);
    }
  }
  const state = stateOf({
    backends: backendTable,
    hosts: hosts.table(kept?.hosts),
    certificates: certificates.table(kept?.certificates),
    canaries,
    affinities,
    balancing,
  });
  last = state;
  return state;
}

/**
 * The last dynamicState's state: a table of the next that holds the same entries is that table itself (an
 * edit changes a host or two of 10,000), so it is not made, sorted, written out for the id nor compared
 * entry by entry by stateChange again.
 */
let last: DynamicTables | undefined;

/** A table's entries in the order they come, a later one for a key replacing the earlier. */
class Entries<T> {
  private readonly keys: string[] = [];
  private readonly values: T[] = [];

  put(key: string, value: T): void {
    this.keys.push(key);
    this.values.push(value);
  }

  /** The table of these entries: `kept` when it has exactly these (values compared with ===). */
  table(kept: Readonly<Record<string, T>> | undefined): Readonly<Record<string, T>> {
    const { keys, values } = this;
    if (kept !== undefined && keys.length === countOf(kept) && this.distinct()) {
      let same = true;
      for (let i = 0; same && i < keys.length; i++) {
        const k = keys[i] as string;
        same = kept[k] === values[i] && Object.hasOwn(kept, k);
      }
      // As many distinct keys as `kept` has, each with its value there: the same entries.
      if (same) return kept;
    }
    const table: Record<string, T> = {};
    for (let i = 0; i < keys.length; i++) put(table, keys[i] as string, values[i] as T);
    if (this.sorted()) inOrderTables.add(table);
    return table;
  }

  /** Whether no key comes twice: they mostly come sorted (upstreams, servers), else they are counted. */
  private distinct(): boolean {
    return this.sorted() || new Set(this.keys).size === this.keys.length;
  }

  /** Whether the keys came in strictly increasing order. */
  private sorted(): boolean {
    const { keys } = this;
    for (let i = 1; i < keys.length; i++) if (!((keys[i - 1] as string) < (keys[i] as string))) return false;
    return true;
  }
}

/** How many keys a table has, counted once per table object. */
function countOf(table: object): number {
  let count = counts.get(table);
  if (count === undefined) {
    count = Object.keys(table).length;
    counts.set(table, count);
  }
  return count;
}

const counts = new WeakMap<object, number>();

/** A canary's policy, each value re-checked as a filter would (state.lua checks them once more). */
function canaryPolicy(c: CanaryRoute): CanaryPolicy {
  const shaped = (what: string, v: string, pattern: RegExp): string => {
    if (!pattern.test(v)) throw new UnsafeValueError(`render: refusing an unsafe canary ${what}`);
    return v;
  };
  return {
    backend: filters.token(c.backend),
    weight: Number(filters.int(c.weight)),
    total: Number(filters.int(c.weightTotal)),
    ...(c.header !== undefined && { header: shaped('header', c.header, /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/) }),
    ...(c.headerValue !== undefined && {
      value: shaped('header value', c.headerValue, /^[A-Za-z0-9/\-._~:]{1,256}$/),
    }),
    ...(c.headerPattern !== undefined && {
      pattern: shaped('header pattern', c.headerPattern, /^[A-Za-z0-9/\-._~:^$[\](){}*+?|&=\\]{1,256}$/),
    }),
    ...(c.cookie !== undefined && { cookie: shaped('cookie', c.cookie, /^[A-Za-z0-9_.-]{1,64}$/) }),
    ...(c.legacyAffinity === true && { legacy: true as const }),
  };
}

/**
 * An upstream's endpoints as the state lists them. An unchanged backend's list is the same array from
 * state to state (stateChange and mergedState compare by identity): the same Upstream object (translate's
 * memo keeps an unchanged host's), or another with the same endpoints (a build from nothing), gets the
 * list of the backend's entry (see `entries`), or of a retired one for that Upstream.
 */
function endpointsOf(name: string, u: Upstream): readonly string[] {
  const known = entries.get(name);
  if (known?.upstream === u) return known.list;
  if (known?.upstream !== undefined && sameEndpoints(known.upstream.endpoints, u.endpoints)) {
    known.upstream = u;
    return known.list;
  }
  const back = retiredByUpstream.get(u);
  const entry: Entry =
    back?.name === name
      ? back
      : // Not interned: filters.endpoint makes a flat string already, and interning cost 2.5× that.
        {
          name,
          upstream: u,
          list: u.endpoints.map((e) => filters.endpoint(e.host, e.port)),
          hash: undefined,
        };
  if (known !== undefined) retire(known);
  entries.set(name, entry);
  return entry.list;
}

function sameEndpoints(a: Upstream['endpoints'], b: Upstream['endpoints']): boolean {
  return a.length === b.length && a.every((e, i) => e.host === b[i]?.host && e.port === b[i].port);
}

/**
 * The state of a model whose upstreams are `to`, from `state`, that of a model alike but for the upstreams
 * `from` (the same backends, in the same order; an upstream not changed is the same object): only the
 * changed backends' endpoints are made again, every other table and list stays `state`'s own. For the
 * endpoint fast path, where nothing else can differ; equals `dynamicState` of the new model.
 */
export function withEndpoints(
  state: DynamicState,
  from: readonly Upstream[],
  to: readonly Upstream[],
): DynamicState {
  const lists: Record<string, readonly string[]> = {};
  for (const [i, u] of to.entries()) {
    if (u === from[i]) continue;
    const name = filters.token(u.name);
    lists[name] = endpointsOf(name, u);
  }
  return withBackends(state, lists);
}

/**
 * `state` with these backends' endpoint lists in place of its own: every other table and list stays
 * `state`'s, and the id moves by the replaced entries alone. Each backend must be in `state` already.
 */
export function withBackends(
  state: DynamicState,
  lists: Readonly<Record<string, readonly string[]>>,
): DynamicState {
  const backends = copyOf(state.backends);
  // The table's sum for the id, from the changed entries alone (see backendsSum). A replaced list's hash is
  // still found: its entry is retired, not dropped (see `entries`).
  let sum = backendsSum(state.backends);
  for (const [name, list] of Object.entries(lists)) {
    const old = Object.hasOwn(backends, name) ? backends[name] : undefined;
    if (old === undefined) throw new Error(`withBackends: backend ${name} is not in the state`);
    if (old === list) continue;
    sum += entryHash(name, list) - entryHash(name, old);
    put(backends, name, list);
  }
  backendSums.set(backends, ((sum % SUM_MODULUS) + SUM_MODULUS) % SUM_MODULUS);
  // Only existing keys were set, so the table keeps its order (sorted).
  const next = identified({ ...state, backends });
  derivations.set(next, { from: state, lists });
  return next;
}

/**
 * What withBackends made a state of: the state before and the lists it replaced. An endpoint push while
 * old workers drain (mergedState over every table) and the change it sends (stateChange over every
 * backend) then need only those lists: at 10,000 backends each walk of the table, and the copy a merge
 * made of it, cost 20–40 ms per push (a CPU profile of bench:scale, 2026-12-02).
 */
const derivations = new WeakMap<
  DynamicState,
  { readonly from: DynamicState; readonly lists: Readonly<Record<string, readonly string[]>> }
>();

/** The backend lists withBackends replaced to make `to` of `from`; undefined when it did not. */
export function replacedLists(
  from: DynamicState,
  to: DynamicState,
): Readonly<Record<string, readonly string[]>> | undefined {
  const d = derivations.get(to);
  return d?.from === from ? d.lists : undefined;
}

/**
 * A copy of a table with `over`'s entries set on it, key by key: a table of thousands of keys is a
 * dictionary object, which V8's spread and Object.assign copy about three times slower (18 against 6 ms for
 * 10,000 keys). A key `__proto__` stays an entry, as in a spread (an assignment would set the prototype).
 */
function copyOf<T>(
  table: Readonly<Record<string, T>>,
  over: Readonly<Record<string, T>> = {},
): Record<string, T> {
  const copy: Record<string, T> = {};
  for (const key in table) put(copy, key, table[key] as T);
  for (const key in over) put(copy, key, over[key] as T);
  return copy;
}

function put<T>(table: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__')
    Object.defineProperty(table, key, { value, enumerable: true, writable: true, configurable: true });
  else table[key] = value;
}

/** A state holding these tables (sorted), with its id. */
export function stateOf(tables: DynamicTables): DynamicState {
  // Tables are mostly made from sorted lists already (upstreams, servers): those stay as they are.
  // A table known to be in order is not walked again (a for-in over 10,000 keys allocates their list).
  const sorted = (o: Readonly<Record<string, unknown>>) => {
    const table =
      inOrderTables.has(o) || inOrder(o)
        ? o
        : Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    inOrderTables.add(table);
    return table;
  };
  return identified({
    backends: sorted(tables.backends) as DynamicTables['backends'],
    hosts: sorted(tables.hosts) as DynamicTables['hosts'],
    certificates: sorted(tables.certificates) as DynamicTables['certificates'],
    canaries: sorted(tables.canaries) as DynamicTables['canaries'],
    affinities: sorted(tables.affinities) as DynamicTables['affinities'],
    balancing: sorted(tables.balancing) as DynamicTables['balancing'],
  });
}

/** Sorted tables, with the id that names them. */
function identified(tables: DynamicTables): DynamicState {
  const { backends, hosts, certificates, canaries, affinities, balancing } = tables;
  const state = { backends, hosts, certificates, canaries, affinities, balancing };
  // The hash of [sum of the backends, hosts, certificate names, canaries, affinities, balancing] (JSON),
  // certificate names being content-addressed. Fed table by table: a table kept from state to state (the
  // same object: the endpoint fast path's, a reload's merged state) is not written out again (hosts alone
  // are 10,000 entries at 10,000 Ingresses).
  const hash = createHash('sha256').update('[');
  const parts: readonly object[] = [hosts, certificates, canaries, affinities, balancing];
  hash.update(backendsSum(backends).toString(16));
  for (const table of parts) hash.update(`,${tableJson(table, table === certificates)}`);
  const id = hash.update(']').digest('hex').slice(0, 32);
  return { id, ...state };
}

/**
 * The backends table's part of a state's id: the sum, modulo 2^256, of one SHA-256 per entry (its name and
 * endpoints). A state made from another by changing a few backends (the endpoint fast path) gets it from
 * the changed entries alone: writing out the whole table instead (50,000 endpoints at 10,000 Ingresses, a
 * 1.6 MB string per push) was most of a push's own time, and its allocation set off major GCs inside it.
 * Each entry's hash is keyed with a secret of this process: a tenant chooses its own entries (its
 * EndpointSlices), and with unkeyed hashes a sum is open to the generalized birthday attack (a change whose
 * hashes add up to zero, found offline, would keep the id and be skipped as pushed already). Ids are only
 * ever compared within one controller; a restarted one sends NGINX its whole state once.
 */
function backendsSum(backends: Readonly<Record<string, readonly string[]>>): bigint {
  let sum = backendSums.get(backends);
  if (sum === undefined) {
    sum = 0n;
    for (const name in backends) sum += entryHash(name, backends[name] ?? []);
    sum %= SUM_MODULUS;
    backendSums.set(backends, sum);
  }
  return sum;
}

const SUM_MODULUS = 1n << 256n;
/**
 * A KeyObject made once: given as a Buffer, the key was imported anew by every createHmac, 4 in 5 of an
 * entry's hash (125 of 155 ms for 10,000 entries).
 */
const ENTRY_KEY = createSecretKey(randomBytes(32));
const backendSums = new WeakMap<object, bigint>();

/**
 * Each backend's endpoint list of the last dynamicState, the Upstream it was made from and its hash (made
 * when first asked for): by name, so a build from nothing finds the lists and hashes of the one before.
 * It replaced two WeakMaps (Upstream → list, list → hash) set 10,000 times each per such build at 10,000
 * Ingresses, which cost as much as the hashes. An entry replaced, or whose backend the last dynamicState
 * did not have, is retired: still found by its Upstream and list while they live (a reload's older state).
 */
const entries = new Map<string, Entry>();
const retiredByUpstream = new WeakMap<Upstream, Entry>();
const retiredByList = new WeakMap<readonly string[], Entry>();

interface Entry {
  readonly name: string;
  upstream: Upstream | undefined;
  readonly list: readonly string[];
  hash: bigint | undefined;
}

function retire(entry: Entry): void {
  if (entry.upstream !== undefined) retiredByUpstream.set(entry.upstream, entry);
  retiredByList.set(entry.list, entry);
}

/** Retires the entries of backends `backends` (of `count` entries) does not have. */
function forgetOthers(backends: Readonly<Record<string, unknown>>, count: number): void {
  if (entries.size === count) return;
  entries.forEach((entry, name) => {
    if (Object.hasOwn(backends, name)) return;
    retire(entry);
    entries.delete(name);
  });
}

function entryHash(name: string, list: readonly string[]): bigint {
  const live = entries.get(name);
  let entry = live?.list === list ? live : retiredByList.get(list);
  if (entry?.name !== name) {
    entry = { name, upstream: undefined, list, hash: undefined };
    retiredByList.set(list, entry);
  }
  entry.hash ??= BigInt(
    `0x${createHmac('sha256', ENTRY_KEY)
      .update(JSON.stringify([name, list]))
      .digest('hex')}`,
  );
  return entry.hash;
}

/** Tables written out for their state's id, kept while the table lives (states share unchanged tables). */
const tableJsonCache = new WeakMap<object, string>();

function tableJson(table: object, keysOnly: boolean): string {
  let json = tableJsonCache.get(table);
  if (json === undefined) {
    json = JSON.stringify(keysOnly ? Object.keys(table) : table);
    tableJsonCache.set(table, json);
  }
  return json;
}

/**
 * `next`, plus whatever of `kept` it lacks (where both have an entry, `kept`'s): the state while a reload
 * is under way (old and new configs). A table of `next` that holds every entry of `kept`'s as the very
 * same value (an edit that removed nothing) is that table itself.
 */
export function mergedState(next: DynamicTables, kept: DynamicTables | undefined): DynamicState {
  const merged = <T>(a: Readonly<Record<string, T>>, b: Readonly<Record<string, T>> | undefined) =>
    b === undefined || holds(a, b) ? a : keysWithin(a, b) ? b : copyOf(a, b);
  return stateOf({
    backends: merged(next.backends, kept?.backends),
    hosts: merged(next.hosts, kept?.hosts),
    certificates: merged(next.certificates, kept?.certificates),
    canaries: merged(next.canaries, kept?.canaries),
    affinities: merged(next.affinities, kept?.affinities),
    balancing: merged(next.balancing, kept?.balancing),
  });
}

/** Whether every entry of `part` is in `whole` as the very same value. */
function holds(whole: Readonly<Record<string, unknown>>, part: Readonly<Record<string, unknown>>): boolean {
  for (const key in part) if (whole[key] !== part[key] || !Object.hasOwn(whole, key)) return false;
  return true;
}

/** Whether every key of `part` is a key of `whole` too (then `{ ...part, ...whole }` is `whole`). */
function keysWithin(
  part: Readonly<Record<string, unknown>>,
  whole: Readonly<Record<string, unknown>>,
): boolean {
  for (const key in part) if (!Object.hasOwn(whole, key)) return false;
  return true;
}

/** Tables whose keys are known to be in sorted order (tables are never changed once made). */
const inOrderTables = new WeakSet<object>();

/** Whether a table's keys come in sorted order already. */
function inOrder(table: Readonly<Record<string, unknown>>): boolean {
  let previous: string | undefined;
  for (const key in table) {
    if (previous !== undefined && !(previous < key)) return false;
    previous = key;
  }
  return true;
}

/**
 * The change that turns `from` into `to`: only what differs, made against `from`'s id (NGINX refuses it
 * if it holds something else). Without `from`, the change that sets `to` whole.
 */
export function stateChange(from: DynamicState | undefined, to: DynamicState): string {
  if (from === undefined) return wholeStateChange(to);
  const lists = replacedLists(from, to);
  if (lists !== undefined) {
    // Made by withBackends: only these lists can differ (every other table is `from`'s own).
    const changed: Record<string, readonly string[]> = {};
    for (const name of Object.keys(lists).sort()) {
      const before = from.backends[name];
      const list = lists[name] ?? [];
      if (before !== list && JSON.stringify(before) !== JSON.stringify(list)) changed[name] = list;
    }
    const set = Object.fromEntries(TABLES.map((t) => [t, t === 'backends' ? changed : {}]));
    const remove = Object.fromEntries(TABLES.map((t) => [t, []]));
    return JSON.stringify({ id: to.id, base: from.id, set, delete: remove });
  }
  const set: Record<string, Record<string, unknown>> = {};
  const remove: Record<string, string[]> = {};
  for (const table of TABLES) {
    const before: Readonly<Record<string, unknown>> = from[table];
    const after: Readonly<Record<string, unknown>> = to[table];
    // A table or entry that is the very same object has not changed (see withEndpoints).
    const changed: Record<string, unknown> = {};
    const gone: string[] = [];
    if (before !== after) {
      for (const k in after) {
        const v = after[k];
        if (before[k] !== v && JSON.stringify(before[k]) !== JSON.stringify(v)) changed[k] = v;
      }
      for (const k in before) if (!Object.hasOwn(after, k)) gone.push(k);
    }
    set[table] = changed;
    remove[table] = gone;
  }
  return JSON.stringify({ id: to.id, base: from.id, set, delete: remove });
}

/** The state as the change that sets it whole: what the file NGINX loads at start holds. */
export function wholeStateChange(state: DynamicState): string {
  const { backends, hosts, certificates, canaries, affinities, balancing } = state;
  return JSON.stringify({
    id: state.id,
    set: { backends, hosts, certificates, canaries, affinities, balancing },
  });
}

/** A session affinity, each value re-checked as a filter would (state.lua checks them once more). */
function affinityPolicy(a: Affinity): AffinityPolicy {
  const shaped = (what: string, v: string, pattern: RegExp): string => {
    if (!pattern.test(v)) throw new UnsafeValueError(`render: refusing an unsafe affinity cookie ${what}`);
    return v;
  };
  return {
    mode: a.mode === 'persistent' ? 'persistent' : 'balanced',
    name: shaped('name', a.cookieName, /^[A-Za-z0-9_.~-]{1,64}$/),
    path: shaped('path', a.path, /^\/[A-Za-z0-9._~!*+,=:@()/-]{0,255}$/),
    ...(a.domain !== undefined && { domain: shaped('domain', a.domain, /^\.?[a-z0-9][a-z0-9.-]{0,252}$/) }),
    ...(a.maxAgeSeconds !== undefined && { max_age: Number(filters.int(a.maxAgeSeconds)) }),
    ...(a.expiresSeconds !== undefined && { expires: Number(filters.int(a.expiresSeconds)) }),
    ...(a.sameSite !== undefined && {
      samesite: shaped('SameSite', a.sameSite, /^(None|Lax|Strict)$/) as 'None' | 'Lax' | 'Strict',
    }),
    ...(a.conditionalSameSiteNone && { conditional: true as const }),
    ...(a.secure !== undefined && { secure: a.secure }),
    ...(a.changeOnFailure && { change: true as const }),
  };
}

/** A location's balancing, each part re-checked as a filter would (state.lua checks them once more). */
function balancingPolicy(b: Balancing): BalancingPolicy {
  const part = (p: HashKeyPart): { v: string } | { t: string } => {
    if ('variable' in p) {
      if (!/^[a-z][a-z0-9_]{0,63}$/.test(p.variable))
        throw new UnsafeValueError('render: refusing an unsafe hash key variable');
      return { v: p.variable };
    }
    if (!/^[A-Za-z0-9_.:/-]{1,256}$/.test(p.text))
      throw new UnsafeValueError('render: refusing an unsafe hash key text');
    return { t: p.text };
  };
  return {
    ...(b.mode !== undefined && { mode: b.mode === 'ewma' ? ('ewma' as const) : ('round_robin' as const) }),
    ...(b.hashBy !== undefined && { hash: b.hashBy.map(part) }),
    ...(b.subsetSize !== undefined && { subset: Number(filters.int(b.subsetSize)) }),
  };
}

/** A `server-alias` as a host: its one-label wildcard regex (`~^[^.]+\.example\.org$`) back to `*.example.org`. */
function aliasHost(alias: string): string {
  const wildcard = /^~\^\[\^\.\]\+((?:\\\.[a-z0-9-]+)+)\$$/.exec(alias)?.[1];
  return wildcard === undefined ? alias : `*${wildcard.replaceAll('\\.', '.')}`;
}
