import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  describeChange,
  formatChange,
  MAX_CHANGE_ITEMS,
  snapshotChanges,
} from '../../src/controller/config-changes.ts';
import { inspectionAllowed } from '../../src/observability/inspection.ts';
import { ingress, ingressClass, serviceWithEndpoints } from '../support/fixtures.ts';
import { snapshotOf, translateObjects } from './harness.ts';

const app = (paths: string[]) =>
  ingress({
    name: 'app',
    rules: [
      {
        host: 'a.example.com',
        paths: paths.map((p) => ({ path: p, pathType: 'Exact' as const, service: 's', port: 80 })),
      },
    ],
  });
const svc = (...ips: string[]) =>
  serviceWithEndpoints(
    's',
    ips.map((ip) => ({ ip, port: 8080 })),
  );

describe('what a reload changed', () => {
  it('names hosts, paths and upstreams added, and the first config adds everything', () => {
    const model = translateObjects([ingressClass(), app(['/x']), ...svc('10.0.0.1')]).model;
    assert.equal(
      formatChange(describeChange(undefined, model)),
      '+host a.example.com, +path _ /, +path a.example.com /, +path a.example.com = /x, +upstream default_s_80',
    );
  });

  it('names paths removed and endpoints changed, with their counts', () => {
    const before = translateObjects([ingressClass(), app(['/x', '/y']), ...svc('10.0.0.1')]).model;
    const after = translateObjects([ingressClass(), app(['/x']), ...svc('10.0.0.1', '10.0.0.2')]).model;
    assert.equal(
      formatChange(describeChange(before, after)),
      '-path a.example.com = /y, endpoints default_s_80 1→2',
    );
  });

  it('names a backend that lost its endpoints (its paths keep it, and answer 503 until one is ready)', () => {
    const before = translateObjects([ingressClass(), app(['/x']), ...svc('10.0.0.1')]).model;
    const after = translateObjects([ingressClass(), app(['/x']), ...svc()]).model;
    assert.equal(formatChange(describeChange(before, after)), 'endpoints default_s_80 1→0');
  });

  it('names the endpoints the fast path changed (it keeps the very same servers)', () => {
    const before = translateObjects([ingressClass(), app(['/x']), ...svc('10.0.0.1')]).model;
    const [upstream] = before.upstreams;
    const moved = {
      ...upstream!,
      endpoints: [
        { host: '10.0.0.2', port: 8080 },
        { host: '10.0.0.3', port: 8080 },
      ],
    };
    const after = { ...before, upstreams: [moved] };
    assert.equal(formatChange(describeChange(before, after)), 'endpoints default_s_80 1→2');
  });

  it("describes the fast path's models as it describes any two models", () => {
    const two = (ips: string[]) => [
      ingressClass(),
      ingress({
        name: 'app',
        rules: [
          {
            host: 'a.example.com',
            paths: [
              { path: '/a', service: 'a', port: 80 },
              { path: '/b', service: 'b', port: 80 },
            ],
          },
        ],
      }),
      ...serviceWithEndpoints('a', [{ ip: '10.0.0.1', port: 8080 }]),
      ...serviceWithEndpoints(
        'b',
        ips.map((ip) => ({ ip, port: 8080 })),
      ),
    ];
    const before = translateObjects(two(['10.0.1.1', '10.0.1.2'])).model;
    const changed = translateObjects(two(['10.0.1.3'])).model.upstreams;
    const same = translateObjects(two(['10.0.1.1', '10.0.1.2'])).model.upstreams;
    for (const upstreams of [
      [before.upstreams[0]!, changed[1]!], // one upstream changed, as the fast path makes it
      [before.upstreams[0]!, same[1]!], // a new object with the same endpoints: no change
      [changed[1]!, before.upstreams[0]!], // another order: not the fast path's, compared by name
    ]) {
      const fast = { ...before, upstreams };
      const general = { ...fast, servers: [...fast.servers] }; // not the same servers: the whole comparison
      assert.deepEqual(describeChange(before, fast), describeChange(before, general));
    }
    assert.equal(
      formatChange(describeChange(before, { ...before, upstreams: [before.upstreams[0]!, changed[1]!] })),
      'endpoints default_b_80 2→1',
    );
  });

  it('names at most MAX_CHANGE_ITEMS items, then how many more', () => {
    const paths = Array.from({ length: 60 }, (_, i) => `/p${String(i).padStart(2, '0')}`);
    const model = translateObjects([ingressClass(), app(paths), ...svc('10.0.0.1')]).model;
    const line = formatChange(describeChange(undefined, model));
    // 1 host, the default server's and the host's "/", 60 paths and 1 upstream: 64 items.
    assert.equal(line.split(', ').length, MAX_CHANGE_ITEMS + 1);
    assert.match(line, /^\+host a\.example\.com, .*, … and 14 more$/);
  });

  it('says so when only settings changed', () => {
    const model = translateObjects([ingressClass(), app(['/x']), ...svc('10.0.0.1')]).model;
    assert.equal(
      formatChange(describeChange(model, model)),
      'no change in hosts, paths or endpoints (settings only)',
    );
  });

  it('lists the objects that differ between two snapshots', () => {
    const before = snapshotOf([ingressClass(), app(['/x']), ...svc('10.0.0.1')]);
    const after = snapshotOf([ingressClass(), app(['/y']), ...svc('10.0.0.2')]);
    assert.deepEqual(snapshotChanges(before, after), ['~EndpointSlice default/s-0', '~Ingress default/app']);
    assert.deepEqual(snapshotChanges(after, snapshotOf([ingressClass()])), [
      '-EndpointSlice default/s-0',
      '-Ingress default/app',
      '-Service default/s',
    ]);
  });

  it('finds changes anywhere in long lists: the same objects, one changed, one gone, one new', () => {
    const ingresses = Array.from({ length: 6 }, (_, i) =>
      ingress({
        name: `app-${i}`,
        rules: [{ host: `h${i}.example.com`, paths: [{ service: 's', port: 80 }] }],
      }),
    );
    const before = snapshotOf([ingressClass(), ...ingresses]);
    const edited = ingress({
      name: 'app-2',
      rules: [{ host: 'new.example.com', paths: [{ service: 's', port: 80 }] }],
    });
    const added = ingress({
      name: 'app-9',
      rules: [{ host: 'h9.example.com', paths: [{ service: 's', port: 80 }] }],
    });
    const after = snapshotOf([
      ingressClass(),
      ...ingresses.slice(0, 2),
      edited,
      ...ingresses.slice(4),
      added,
    ]);
    assert.deepEqual(snapshotChanges(before, after), [
      '~Ingress default/app-2',
      '-Ingress default/app-3',
      '+Ingress default/app-9',
    ]);
  });
});

describe('who may inspect', () => {
  it('allows loopback clients only, unless told otherwise', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'])
      assert.ok(inspectionAllowed('loopback', a), a);
    for (const a of ['10.0.0.1', '198.18.0.2', '::ffff:10.0.0.1', 'fe80::1', undefined])
      assert.ok(!inspectionAllowed('loopback', a), String(a));
    assert.ok(inspectionAllowed('any', '10.0.0.1'));
    assert.ok(!inspectionAllowed('off', '127.0.0.1'));
  });
});
