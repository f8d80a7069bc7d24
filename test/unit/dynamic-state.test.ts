// The dynamic state's tables (src/render/dynamic-state.ts): what a reload pushes while old and new workers
// run (mergedState) and the change sent to NGINX (stateChange) are made without copying or writing out a
// table that did not change, and say the same as the whole tables would.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  dynamicState,
  mergedState,
  stateChange,
  stateOf,
  withBackends,
  type DynamicState,
  type DynamicTables,
} from '../../src/render/dynamic-state.ts';
import { ingress, ingressClass, serviceWithEndpoints } from '../support/fixtures.ts';
import { translateObjects } from './harness.ts';

const app = (n: number, ips: string[]) => [
  ingress({
    name: `app-${n}`,
    rules: [{ host: `app-${n}.example.com`, paths: [{ path: '/', service: `s${n}`, port: 80 }] }],
  }),
  ...serviceWithEndpoints(
    `s${n}`,
    ips.map((ip) => ({ ip, port: 8080 })),
  ),
];

const TABLES = ['backends', 'hosts', 'certificates', 'canaries', 'affinities', 'balancing'] as const;

/** `from` with a change applied as state.lua applies it. */
function applied(from: DynamicState, change: string): DynamicTables & { id: string } {
  const {
    id,
    set,
    delete: remove,
  } = JSON.parse(change) as {
    id: string;
    set: Record<string, Record<string, unknown>>;
    delete: Record<string, string[]>;
  };
  const out: Record<string, Record<string, unknown>> = {};
  for (const t of TABLES) {
    const gone = new Set(remove[t]);
    out[t] = Object.fromEntries(Object.entries({ ...from[t], ...set[t] }).filter(([k]) => !gone.has(k)));
  }
  return { id, ...(out as unknown as DynamicTables) };
}

describe('dynamic state', () => {
  const one = translateObjects([ingressClass(), ...app(1, ['10.0.0.1']), ...app(2, ['10.0.0.2'])]).model;
  const two = translateObjects([ingressClass(), ...app(2, ['10.0.0.3']), ...app(3, ['10.0.0.4'])]).model;

  it('lists an upstream’s endpoints once per upstream object', () => {
    const [upstream] = one.upstreams;
    const a = dynamicState(one);
    const b = dynamicState({ ...one, upstreams: [upstream!, ...one.upstreams.slice(1)] });
    const name = Object.keys(a.backends)[0]!;
    assert.equal(a.backends[name], b.backends[name]);
    assert.equal(a.id, b.id);
  });

  it('keeps the lists and id of a build from nothing with the same endpoints, and lists changed ones anew', () => {
    const objects = (ip: string) => [ingressClass(), ...app(1, ['10.0.0.1']), ...app(2, [ip, '10.0.0.9'])];
    const first = dynamicState(translateObjects(objects('10.0.0.2')).model);
    const again = dynamicState(translateObjects(objects('10.0.0.2')).model);
    assert.equal(again.backends['default_s2_80'], first.backends['default_s2_80']);
    assert.equal(again.id, first.id);
    const moved = dynamicState(translateObjects(objects('10.0.0.3')).model);
    assert.deepEqual(moved.backends['default_s2_80'], ['10.0.0.3:8080', '10.0.0.9:8080']);
    assert.equal(moved.backends['default_s1_80'], first.backends['default_s1_80']);
    assert.notEqual(moved.id, first.id);
    const back = dynamicState(translateObjects(objects('10.0.0.2')).model);
    assert.deepEqual(back.backends['default_s2_80'], ['10.0.0.2:8080', '10.0.0.9:8080']);
    assert.equal(back.id, first.id);
  });

  it('keeps a table of the state before when it holds the same entries, and only then', () => {
    const objects = [ingressClass(), ...app(1, ['10.0.0.1']), ...app(2, ['10.0.0.2'])];
    const first = dynamicState(translateObjects(objects).model);
    const again = dynamicState(translateObjects(objects).model);
    assert.equal(again.hosts, first.hosts);
    assert.equal(again.backends, first.backends);
    const other = dynamicState(two);
    assert.deepEqual(other.hosts, { '': '', 'app-2.example.com': '', 'app-3.example.com': '' });
    dynamicState(one);
    // As many entries as the state before, one host twice: not that state's table.
    const [server] = one.servers;
    const twice = dynamicState({ ...one, servers: [server!, { ...server! }] });
    assert.deepEqual(twice.hosts, { '': '', 'app-1.example.com': '' });
  });

  it('merges the old state into the new as whole tables would, reusing tables that hold the old', () => {
    const before = dynamicState(one);
    const after = dynamicState(two);
    const whole = (next: DynamicTables, kept: DynamicTables): DynamicState =>
      stateOf(
        Object.fromEntries(TABLES.map((t) => [t, { ...next[t], ...kept[t] }])) as unknown as DynamicTables,
      );
    const merged = mergedState(after, before);
    assert.deepEqual(merged, whole(after, before));
    assert.notEqual(merged.backends, after.backends, 'app-1 and the old app-2 endpoints are kept');
    const added = two.upstreams.filter((u) => u.name === 'default_s3_80');
    const grown = dynamicState({ ...one, upstreams: [...one.upstreams, ...added] });
    const kept = mergedState(grown, stateOf({ ...before, backends: { ...before.backends } }));
    assert.equal(kept.backends, grown.backends, 'every old backend is in the new table as it is');
    assert.equal(kept.id, whole(grown, before).id);
  });

  it('sends only what differs, and that change gives the new state', () => {
    const before = dynamicState(one);
    const after = dynamicState(two);
    const change = stateChange(before, after);
    assert.deepEqual(applied(before, change), { ...after });
    const parsed = JSON.parse(change) as { set: { backends: object }; delete: { backends: string[] } };
    assert.deepEqual(Object.keys(parsed.set.backends).sort(), ['default_s2_80', 'default_s3_80']);
    assert.deepEqual(parsed.delete.backends, ['default_s1_80']);
    const none = JSON.parse(stateChange(after, after)) as { set: { backends: object } };
    assert.deepEqual(none.set.backends, {});
  });

  it('sends an endpoint push as the whole tables would, and merges it into a drain as a whole merge would', () => {
    const older = dynamicState(one);
    const before = dynamicState(two);
    const next = withBackends(before, {
      default_s2_80: ['10.0.0.7:8080'],
      default_s3_80: before.backends['default_s3_80']!,
    });
    // The change from the lists alone is the one a walk of both whole tables gives.
    const walked = stateOf({ ...next, backends: { ...next.backends } });
    assert.equal(walked.id, next.id);
    assert.equal(stateChange(before, next), stateChange(before, walked));
    assert.deepEqual(applied(before, stateChange(before, next)), { ...next });
    // What NginxProcess does while old workers drain: the merge of the pushed state, made from the last
    // merge by the same lists, is the merge made afresh.
    const drained = mergedState(older, before);
    assert.deepEqual(withBackends(drained, { default_s2_80: ['10.0.0.7:8080'] }), mergedState(older, next));
  });

  it('keeps a table key named __proto__ an entry through merges and endpoint pushes', () => {
    const base = stateOf({
      backends: JSON.parse(
        '{"__proto__": ["10.0.0.1:80"], "a_b_80": ["10.0.0.2:80"]}',
      ) as DynamicTables['backends'],
      hosts: {},
      certificates: {},
      canaries: {},
      affinities: {},
      balancing: {},
    });
    assert.ok(Object.hasOwn(base.backends, '__proto__'), 'the fixture is an own key');
    const pushed = withBackends(
      base,
      JSON.parse('{"__proto__": ["10.0.0.9:80"]}') as Record<string, string[]>,
    );
    assert.equal(Object.getPrototypeOf(pushed.backends), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(pushed.backends, '__proto__')?.value, ['10.0.0.9:80']);
    const older = stateOf({
      ...base,
      backends: JSON.parse('{"__proto__": ["10.0.0.1:80"], "z_y_80": []}') as DynamicTables['backends'],
    });
    const merged = mergedState(older, pushed);
    assert.equal(Object.getPrototypeOf(merged.backends), Object.prototype);
    assert.deepEqual(Object.keys(merged.backends), ['__proto__', 'a_b_80', 'z_y_80']);
    assert.deepEqual(Object.getOwnPropertyDescriptor(merged.backends, '__proto__')?.value, ['10.0.0.9:80']);
  });
});
