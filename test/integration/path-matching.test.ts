// Kubernetes path matching, row by row from the Ingress documentation's examples table
// (https://kubernetes.io/docs/concepts/services-networking/ingress/#examples). Each row gets its own host and
// every path its own echo backend, so the `backend` of the reply proves which rule matched.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ingress, writeManifest, type PathSpec } from '../support/fixtures.ts';
import { startGatehouse, type RunningGatehouse } from '../support/gatehouse-process.ts';
import { Backends, manifestsFolder, removeFolder, served } from '../support/integration.ts';

type PathType = NonNullable<PathSpec['pathType']>;

interface Row {
  readonly title: string;
  /** Ingress paths; each one is served by a backend named `<host label>-<n>`. */
  readonly paths: readonly (readonly [PathType, string])[];
  /** Request path → index into `paths` of the rule that must answer, the default backend, or no match. */
  readonly requests: readonly (readonly [string, number | 'default' | 'none'])[];
  /** Give the Ingress a spec.defaultBackend. */
  readonly defaultBackend?: boolean;
}

const ROWS: readonly Row[] = [
  {
    title: 'Prefix / matches every path',
    paths: [['Prefix', '/']],
    requests: [
      ['/', 0],
      ['/foo', 0],
      ['/foo/bar', 0],
      ['/aaa/bbb/ccc?x=1', 0],
    ],
  },
  {
    title: 'Exact /foo matches /foo only',
    paths: [['Exact', '/foo']],
    requests: [
      ['/foo', 0],
      ['/bar', 'none'],
      ['/foo/', 'none'],
    ],
  },
  {
    title: 'Exact /foo/ does not match /foo',
    paths: [['Exact', '/foo/']],
    requests: [
      ['/foo', 'none'],
      ['/foo/', 0],
    ],
  },
  {
    title: 'Prefix /foo matches /foo and /foo/',
    paths: [['Prefix', '/foo']],
    requests: [
      ['/foo', 0],
      ['/foo/', 0],
    ],
  },
  {
    title: 'Prefix /foo/ matches /foo and /foo/',
    paths: [['Prefix', '/foo/']],
    requests: [
      ['/foo', 0],
      ['/foo/', 0],
    ],
  },
  {
    title: 'Prefix /aaa/bb does not match /aaa/bbb',
    paths: [['Prefix', '/aaa/bb']],
    requests: [
      ['/aaa/bbb', 'none'],
      ['/aaa/bb/ccc', 0],
    ],
  },
  {
    title: 'Prefix /aaa/bbb matches itself, a trailing slash and subpaths, not a string prefix',
    paths: [['Prefix', '/aaa/bbb']],
    requests: [
      ['/aaa/bbb', 0],
      ['/aaa/bbb/', 0],
      ['/aaa/bbb/ccc', 0],
      ['/aaa/bbbxyz', 'none'],
    ],
  },
  {
    title: 'Prefix /aaa/bbb/ matches /aaa/bbb (trailing slash ignored)',
    paths: [['Prefix', '/aaa/bbb/']],
    requests: [['/aaa/bbb', 0]],
  },
  {
    title: 'Prefix / and /aaa: /aaa/ccc goes to /aaa',
    paths: [
      ['Prefix', '/'],
      ['Prefix', '/aaa'],
    ],
    requests: [['/aaa/ccc', 1]],
  },
  {
    title: 'Prefix /, /aaa and /aaa/bbb: the longest matching prefix wins',
    paths: [
      ['Prefix', '/'],
      ['Prefix', '/aaa'],
      ['Prefix', '/aaa/bbb'],
    ],
    requests: [
      ['/aaa/bbb', 2],
      ['/aaa/ccc', 1],
      ['/ccc', 0],
    ],
  },
  {
    title: 'Prefix /aaa alone: /ccc has no rule and gets 404 without a default backend',
    paths: [['Prefix', '/aaa']],
    requests: [
      ['/ccc', 'none'],
      ['/aaa', 0],
    ],
  },
  {
    title: 'Prefix /aaa alone: /ccc goes to the Ingress default backend',
    paths: [['Prefix', '/aaa']],
    defaultBackend: true,
    requests: [
      ['/ccc', 'default'],
      ['/aaa/x', 0],
    ],
  },
  {
    title: 'Exact and Prefix /foo: /foo prefers the Exact rule',
    paths: [
      ['Prefix', '/foo'],
      ['Exact', '/foo'],
    ],
    requests: [
      ['/foo', 1],
      ['/foo/', 0],
      ['/foo/bar', 0],
    ],
  },
  {
    title: 'ImplementationSpecific behaves as Prefix',
    paths: [['ImplementationSpecific', '/aaa/bbb']],
    requests: [
      ['/aaa/bbb', 0],
      ['/aaa/bbb/', 0],
      ['/aaa/bbb/ccc', 0],
      ['/aaa/bbbxyz', 'none'],
    ],
  },
];

const hostOf = (i: number): string => `row${i}.paths.test`;
const backendOf = (i: number, p: number): string => `row${i}-${p}`;
const defaultBackendOf = (i: number): string => `row${i}-default`;

describe('Kubernetes path matching (docs table)', () => {
  let manifests: string | undefined;
  let backends: Backends | undefined;
  let gatehouse: RunningGatehouse | undefined;

  before(async () => {
    manifests = await manifestsFolder();
    backends = new Backends();
    for (const [i, row] of ROWS.entries()) {
      for (const p of row.paths.keys()) await backends.add(backendOf(i, p));
      if (row.defaultBackend === true) await backends.add(defaultBackendOf(i));
    }
    await writeManifest(manifests, 'services.yaml', backends.services());
    await writeManifest(
      manifests,
      'ingresses.yaml',
      ROWS.map((row, i) =>
        ingress({
          name: `row${i}`,
          ...(row.defaultBackend === true
            ? { defaultBackend: { service: defaultBackendOf(i), port: 80 } }
            : {}),
          rules: [
            {
              host: hostOf(i),
              paths: row.paths.map(([pathType, path], p) => ({
                path,
                pathType,
                service: backendOf(i, p),
                port: 80,
              })),
            },
          ],
        }),
      ),
    );
    gatehouse = await startGatehouse(manifests);
  });

  after(async () => {
    await gatehouse?.stop();
    await backends?.close();
    await removeFolder(manifests);
  });

  for (const [i, row] of ROWS.entries()) {
    const rules = row.paths.map(([t, p]) => `${t} ${p}`).join(', ');
    describe(`${row.title} [${rules}]`, () => {
      for (const [requestPath, expected] of row.requests) {
        const want =
          expected === 'none'
            ? '404'
            : expected === 'default'
              ? `200 ${defaultBackendOf(i)}`
              : `200 ${backendOf(i, expected)}`;
        const what =
          expected === 'none'
            ? 'no rule (404)'
            : expected === 'default'
              ? 'the default backend'
              : (row.paths[expected]?.join(' ') ?? '?');
        it(`${requestPath} → ${what}`, async () => {
          assert.ok(gatehouse);
          assert.equal(await served('http', gatehouse.httpPort, hostOf(i), requestPath), want);
        });
      }
    });
  }
});
