// Who holds the heap: reads a V8 .heapsnapshot (from `--heapsnapshot-signal` or `v8.writeHeapSnapshot`),
// builds its dominator tree and prints it as a tree of retained sizes, largest first, down to objects that
// retain at least --min MiB (default 0.5). Smaller children are summed per name on one line, so 10,000 entries
// of a Map show as `10000 × Foo`. Retained = what would be freed with the object (weak edges ignored), the
// figure Chrome DevTools' "Retained Size" column gives.
// Objects reached from several places (a Snapshot's Ingress is also in an informer's cache) belong to none
// of them there, so it also prints owners: for each named place (`Class.field.field`, see OWNERS), what it
// reaches first (owners claim in turn, each what the ones before did not) and what it alone keeps alive
// (freed if only it let go; the rest of the heap, the other owners included, still holds the others).
// Run: node scripts/heap-owners.ts FILE.heapsnapshot [--min 0.5] [--depth 40] [--owners A.b,C]
//      [--paths OWNER [--top 40]] [--retainers NAME]
import { readFileSync } from 'node:fs';

interface Meta {
  node_fields: string[];
  node_types: [string[], ...unknown[]];
  edge_fields: string[];
  edge_types: [string[], ...unknown[]];
}

interface Snapshot {
  nodeFields: number;
  edgeFields: number;
  nodes: Float64Array;
  edges: Float64Array;
  strings: string[];
  nodeTypes: string[];
  edgeTypes: string[];
  firstEdge: Uint32Array;
}

const MIB = 1048576;

/** The controller's holders of memory, in claim order (an informer cache claims the objects it holds first). */
const OWNERS = [
  'ListWatch.objects',
  'KubeSource',
  'Reconciler.served.snapshot',
  'Reconciler.memo',
  'Reconciler.served.result',
  'Reconciler.blocks',
  'Reconciler.served.rendered',
  'Reconciler',
  'ConfigHistory',
  'TrafficMetrics',
  'ClusterReporter',
  'EventRecorder',
  'Environment2',
];

/** The number array that follows `key` (`"nodes":[`), parsed without building one JSON string of the file. */
function numbersAfter(buf: Buffer, key: string): Float64Array {
  let i = buf.indexOf(key) + key.length;
  const end = buf.indexOf(']', i);
  let count = 0;
  for (let j = i; j < end; j++) if (buf[j] === 44) count++;
  const out = new Float64Array(end > i ? count + 1 : 0);
  let k = 0;
  let value = 0;
  let inNumber = false;
  for (; i < end; i++) {
    const c = buf[i] ?? 0;
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      inNumber = true;
    } else if (inNumber) {
      out[k++] = value;
      value = 0;
      inNumber = false;
    }
  }
  if (inNumber) out[k++] = value;
  return out;
}

/** The strings table: one JSON string after another, each parsed alone. */
function stringsAfter(buf: Buffer, key: string): string[] {
  const out: string[] = [];
  let i = buf.indexOf(key) + key.length;
  for (;;) {
    while (buf[i] !== 34 && buf[i] !== 93) i++;
    if (buf[i] === 93) return out;
    let j = i + 1;
    while (buf[j] !== 34) j += buf[j] === 92 ? 2 : 1;
    out.push(JSON.parse(buf.toString('utf8', i, j + 1)) as string);
    i = j + 1;
  }
}

function read(file: string): Snapshot {
  const buf = readFileSync(file);
  const nodesAt = buf.indexOf('"nodes":[');
  const head = buf.toString('utf8', 0, nodesAt).replace(/,\s*$/, '}');
  const meta = (JSON.parse(head) as { snapshot: { meta: Meta } }).snapshot.meta;
  const nodes = numbersAfter(buf, '"nodes":[');
  const edges = numbersAfter(buf, '"edges":[');
  const strings = stringsAfter(buf, '"strings":[');
  const nodeFields = meta.node_fields.length;
  const edgeFields = meta.edge_fields.length;
  const edgeCountAt = meta.node_fields.indexOf('edge_count');
  const count = nodes.length / nodeFields;
  const firstEdge = new Uint32Array(count + 1);
  for (let n = 0, e = 0; n < count; n++) {
    firstEdge[n] = e;
    e += (nodes[n * nodeFields + edgeCountAt] ?? 0) * edgeFields;
    firstEdge[n + 1] = e;
  }
  return {
    nodeFields,
    edgeFields,
    nodes,
    edges,
    strings,
    nodeTypes: meta.node_types[0],
    edgeTypes: meta.edge_types[0],
    firstEdge,
  };
}

/** Dominators by Cooper, Harvey and Kennedy's iterative algorithm over a reverse postorder from node 0. */
interface Dominators {
  idom: Int32Array;
  order: Uint32Array;
  retained: Float64Array;
  /** Each node's first strong retainer (-1: none), to name a path the dominator reaches it by. */
  retainer: Int32Array;
}

function dominators(s: Snapshot): Dominators {
  const count = s.nodes.length / s.nodeFields;
  const weak = s.edgeTypes.indexOf('weak');
  const target = (e: number): number => (s.edges[e + 2] ?? 0) / s.nodeFields;
  const strong = (e: number): boolean => s.edges[e] !== weak;
  // Postorder by an explicit stack.
  const post = new Int32Array(count).fill(-1);
  const order = new Uint32Array(count);
  const seen = new Uint8Array(count);
  const stack = new Uint32Array(count);
  const cursor = new Uint32Array(count);
  let top = 0;
  let visited = 0;
  stack[top++] = 0;
  seen[0] = 1;
  cursor[0] = s.firstEdge[0] ?? 0;
  while (top > 0) {
    const n = stack[top - 1] ?? 0;
    const end = s.firstEdge[n + 1] ?? 0;
    let e = cursor[n] ?? 0;
    while (e < end && (!strong(e) || seen[target(e)] === 1)) e += s.edgeFields;
    cursor[n] = e + s.edgeFields;
    if (e < end) {
      const m = target(e);
      seen[m] = 1;
      cursor[m] = s.firstEdge[m] ?? 0;
      stack[top++] = m;
    } else {
      top--;
      post[n] = visited;
      order[visited++] = n;
    }
  }
  // Predecessors (reachable, strong) in CSR form.
  const predCount = new Uint32Array(count + 1);
  for (let n = 0; n < count; n++) {
    if (seen[n] !== 1) continue;
    for (let e = s.firstEdge[n] ?? 0; e < (s.firstEdge[n + 1] ?? 0); e += s.edgeFields)
      if (strong(e)) predCount[target(e) + 1] = (predCount[target(e) + 1] ?? 0) + 1;
  }
  for (let n = 0; n < count; n++) predCount[n + 1] = (predCount[n + 1] ?? 0) + (predCount[n] ?? 0);
  const preds = new Uint32Array(predCount[count] ?? 0);
  const fill = predCount.slice(0, count);
  for (let n = 0; n < count; n++) {
    if (seen[n] !== 1) continue;
    for (let e = s.firstEdge[n] ?? 0; e < (s.firstEdge[n + 1] ?? 0); e += s.edgeFields) {
      if (!strong(e)) continue;
      const m = target(e);
      preds[fill[m] ?? 0] = n;
      fill[m] = (fill[m] ?? 0) + 1;
    }
  }
  const retainer = new Int32Array(count).fill(-1);
  for (let n = 0; n < count; n++)
    if ((predCount[n + 1] ?? 0) > (predCount[n] ?? 0)) retainer[n] = preds[predCount[n] ?? 0] ?? -1;
  const idom = new Int32Array(count).fill(-1);
  idom[0] = 0;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while ((post[a] ?? 0) < (post[b] ?? 0)) a = idom[a] ?? 0;
      while ((post[b] ?? 0) < (post[a] ?? 0)) b = idom[b] ?? 0;
    }
    return a;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (let i = visited - 2; i >= 0; i--) {
      const n = order[i] ?? 0;
      let d = -1;
      for (let p = predCount[n] ?? 0; p < (predCount[n + 1] ?? 0); p++) {
        const q = preds[p] ?? 0;
        if (idom[q] === -1) continue;
        d = d === -1 ? q : intersect(q, d);
      }
      if (d !== -1 && idom[n] !== d) {
        idom[n] = d;
        changed = true;
      }
    }
  }
  const selfAt = 3;
  const retained = new Float64Array(count);
  for (let i = 0; i < visited; i++) {
    const n = order[i] ?? 0;
    retained[n] = (retained[n] ?? 0) + (s.nodes[n * s.nodeFields + selfAt] ?? 0);
    if (n !== 0) retained[idom[n] ?? 0] = (retained[idom[n] ?? 0] ?? 0) + (retained[n] ?? 0);
  }
  return { idom, order: order.subarray(0, visited), retained, retainer };
}

/** The last owner: everything else reachable (code and other machinery included). */
const REST = '(rest)';

/** The nodes a spec names: every object of class `Class`, then its `field` edges, in turn. */
function ownerNodes(s: Snapshot, spec: string): number[] {
  if (spec === REST) return [0];
  const [cls, ...path] = spec.split('.');
  const count = s.nodes.length / s.nodeFields;
  let found: number[] = [];
  for (let n = 0; n < count; n++) {
    const t = s.nodeTypes[s.nodes[n * s.nodeFields] ?? 0];
    if ((t === 'object' || t === 'native') && s.strings[s.nodes[n * s.nodeFields + 1] ?? 0] === cls)
      found.push(n);
  }
  for (const field of path) {
    const next: number[] = [];
    for (const n of found)
      for (let e = s.firstEdge[n] ?? 0; e < (s.firstEdge[n + 1] ?? 0); e += s.edgeFields) {
        const t = s.edgeTypes[s.edges[e] ?? 0];
        if ((t === 'property' || t === 'internal') && s.strings[s.edges[e + 1] ?? 0] === field)
          next.push((s.edges[e + 2] ?? 0) / s.nodeFields);
      }
    found = next;
  }
  return found;
}

/**
 * Marks (with `mark`) what is reached from `starts` over strong edges, not entering nodes already marked,
 * nor (by default) code, closures, contexts and object shapes (shared machinery, not data); returns the
 * bytes marked.
 */
function flood(
  s: Snapshot,
  starts: readonly number[],
  marks: Int32Array,
  mark: number,
  skip = new Set(['code', 'closure', 'object shape', 'hidden']),
  parents?: Int32Array,
): number {
  const weak = s.edgeTypes.indexOf('weak');
  // Breadth first, so that a node's recorded parent is on a shortest path from the starts.
  const queue = starts.filter((n) => marks[n] === 0);
  for (const n of queue) marks[n] = mark;
  let bytes = 0;
  for (let head = 0; head < queue.length; head++) {
    const n = queue[head] ?? 0;
    bytes += s.nodes[n * s.nodeFields + 3] ?? 0;
    for (let e = s.firstEdge[n] ?? 0; e < (s.firstEdge[n + 1] ?? 0); e += s.edgeFields) {
      if (s.edges[e] === weak) continue;
      const m = (s.edges[e + 2] ?? 0) / s.nodeFields;
      if (marks[m] !== 0 || skip.has(s.nodeTypes[s.nodes[m * s.nodeFields] ?? 0] ?? '')) continue;
      marks[m] = mark;
      if (parents !== undefined) parents[m] = e;
      queue.push(m);
    }
  }
  return bytes;
}

function owners(s: Snapshot, specs: string[], pathsOf: string | undefined, top: number): void {
  const count = s.nodes.length / s.nodeFields;
  const claims = new Int32Array(count);
  /** The edge (index into s.edges) each claimed node was first reached by; -1 for an owner's start. */
  const parents = new Int32Array(count).fill(-1);
  const from = new Int32Array(s.edges.length / s.edgeFields).fill(-1);
  for (let n = 0; n < count; n++)
    for (let e = s.firstEdge[n] ?? 0; e < (s.firstEdge[n + 1] ?? 0); e += s.edgeFields)
      from[e / s.edgeFields] = n;
  specs = [...specs, REST];
  const starts = specs.map((spec) => ownerNodes(s, spec));
  console.log('\nowner: claims first / keeps alone (MiB), objects found');
  specs.forEach((spec, i) => {
    const claimed = flood(s, starts[i] ?? [], claims, i + 1, spec === REST ? new Set() : undefined, parents);
    // Alone: everything reachable from the roots without passing through this owner's starts.
    const seen = new Int32Array(count);
    for (const n of starts[i] ?? []) seen[n] = -1;
    flood(s, [0], seen, 1, new Set());
    for (const n of starts[i] ?? []) seen[n] = 0;
    const alone = flood(s, starts[i] ?? [], seen, 2);
    console.log(
      `${(claimed / MIB).toFixed(1).padStart(6)} / ${(alone / MIB).toFixed(1).padStart(6)}  ${spec} (${starts[i]?.length ?? 0})`,
    );
  });
  // What each owner claimed, by kind of node.
  const kinds = new Map<string, number>();
  for (let n = 0; n < count; n++) {
    const owner = claims[n] ?? 0;
    if (owner === 0) continue;
    const t = s.nodeTypes[s.nodes[n * s.nodeFields] ?? 0] ?? '?';
    const kind =
      t === 'object' || t === 'native' ? (s.strings[s.nodes[n * s.nodeFields + 1] ?? 0] ?? '') : `(${t})`;
    const key = `${owner}\t${kind}`;
    kinds.set(key, (kinds.get(key) ?? 0) + (s.nodes[n * s.nodeFields + 3] ?? 0));
  }
  specs.forEach((spec, i) => {
    const top = [...kinds]
      .filter(([k]) => k.startsWith(`${i + 1}\t`))
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([k, v]) => `${k.split('\t')[1]} ${(v / MIB).toFixed(1)}`);
    console.log(`  ${spec}: ${top.join(', ')}`);
  });
  if (pathsOf === undefined) return;
  // What one owner claimed, by the field path it was first reached by (array and Map slots as []).
  const owner = specs.indexOf(pathsOf) + 1;
  const label = (e: number): string => {
    const t = s.edgeTypes[s.edges[e] ?? 0];
    const name = t === 'element' || t === 'hidden' ? '' : (s.strings[s.edges[e + 1] ?? 0] ?? '?');
    // Slots of arrays, Maps' and WeakMaps' tables.
    return name === '' || /^\d+$/.test(name) || name.startsWith('part of key') ? '[]' : name;
  };
  const byPath = new Map<string, number>();
  for (let n = 0; n < count; n++) {
    if (claims[n] !== owner) continue;
    const parts: string[] = [];
    for (let m = n; (parents[m] ?? -1) !== -1 && parts.length < 12;) {
      const e = parents[m] ?? 0;
      parts.push(label(e));
      m = from[e / s.edgeFields] ?? 0;
    }
    const t = s.nodeTypes[s.nodes[n * s.nodeFields] ?? 0] ?? '?';
    const key = `${parts.reverse().join('.').replaceAll('.[]', '[]').replaceAll('.table[]', '{}')} (${t})`;
    byPath.set(key, (byPath.get(key) ?? 0) + (s.nodes[n * s.nodeFields + 3] ?? 0));
  }
  console.log(`\n${pathsOf}, by field path (MiB):`);
  for (const [key, bytes] of [...byPath].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${(bytes / MIB).toFixed(2).padStart(7)} ${key}`);
}

function main(): void {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--'));
  if (file === undefined) throw new Error('usage: node scripts/heap-owners.ts FILE.heapsnapshot [--min MiB]');
  const option = (name: string, fallback: number): number => {
    const at = args.indexOf(name);
    return at === -1 ? fallback : Number(args[at + 1]);
  };
  const min = option('--min', 0.5) * MIB;
  const maxDepth = option('--depth', 40);
  const s = read(file);
  const { idom, order, retained, retainer } = dominators(s);
  const type = (n: number): string => s.nodeTypes[s.nodes[n * s.nodeFields] ?? 0] ?? '?';
  const name = (n: number): string => {
    const raw = s.strings[s.nodes[n * s.nodeFields + 1] ?? 0] ?? '';
    const t = type(n);
    const text = raw.length > 60 ? `${raw.slice(0, 60)}…` : raw;
    if (t === 'string' || t === 'concatenated string' || t === 'sliced string') return `'${text}'`;
    if (t === 'object' || t === 'native') return text;
    return `(${t}) ${text}`;
  };
  /** The name of an edge from `from` to `to`, if there is one. */
  const direct = (from: number, to: number): string | undefined => {
    for (let e = s.firstEdge[from] ?? 0; e < (s.firstEdge[from + 1] ?? 0); e += s.edgeFields) {
      if ((s.edges[e + 2] ?? 0) / s.nodeFields !== to) continue;
      const t = s.edgeTypes[s.edges[e] ?? 0];
      const v = s.edges[e + 1] ?? 0;
      return t === 'element' || t === 'hidden' ? `[${v}]` : (s.strings[v] ?? '?');
    }
    return undefined;
  };
  /** How m's dominator reaches it: a direct edge's name, else `… <retainer>.<edge>`. */
  const edgeName = (d: number, m: number): string => {
    const name0 = direct(d, m);
    if (name0 !== undefined) return name0;
    const r = retainer[m] ?? -1;
    return r === -1 ? '…' : `… ${name(r).slice(0, 40)}.${direct(r, m) ?? '?'}`;
  };
  const children = new Map<number, number[]>();
  for (const n of order) {
    if (n === 0) continue;
    const d = idom[n] ?? 0;
    let list = children.get(d);
    if (list === undefined) children.set(d, (list = []));
    list.push(n);
  }
  const mib = (b: number): string => (b / MIB).toFixed(1).padStart(6);
  const print = (n: number, depth: number, label: string): void => {
    console.log(`${mib(retained[n] ?? 0)} ${'  '.repeat(depth)}${label}${name(n)}`);
    if (depth >= maxDepth) return;
    const kids = (children.get(n) ?? []).sort((a, b) => (retained[b] ?? 0) - (retained[a] ?? 0));
    const small = new Map<string, { count: number; bytes: number }>();
    for (const k of kids) {
      if ((retained[k] ?? 0) >= min) print(k, depth + 1, `${edgeName(n, k)}: `);
      else {
        const key = type(k) === 'object' || type(k) === 'native' ? name(k) : `(${type(k)})`;
        const sum = small.get(key) ?? { count: 0, bytes: 0 };
        sum.count++;
        sum.bytes += retained[k] ?? 0;
        small.set(key, sum);
      }
    }
    const rest = [...small].sort((a, b) => b[1].bytes - a[1].bytes).filter(([, v]) => v.bytes >= min / 4);
    for (const [key, v] of rest) console.log(`${mib(v.bytes)} ${'  '.repeat(depth + 1)}${v.count} × ${key}`);
  };
  const chainOf = args.indexOf('--retainers');
  if (chainOf !== -1) {
    // The retainer chain (each node's first retainer) of the largest node of that name, up to a root.
    const wanted = args[chainOf + 1] ?? '';
    let best = -1;
    for (const n of order)
      if (name(n) === wanted && (best === -1 || (retained[n] ?? 0) > (retained[best] ?? 0))) best = n;
    for (let n = best, k = 0; n > 0 && k < 30; n = retainer[n] ?? -1, k++)
      console.log(
        `${mib(retained[n] ?? 0)} ${name(n)}${(retainer[n] ?? -1) === -1 ? '' : ` <- .${direct(retainer[n] ?? 0, n) ?? '?'} of`}`,
      );
    return;
  }
  console.log(`${order.length} reachable nodes; retained MiB, dominator tree (children ≥ ${min / MIB} MiB):`);
  print(0, 0, '');
  const at = args.indexOf('--owners');
  const pathsAt = args.indexOf('--paths');
  owners(
    s,
    at === -1 ? OWNERS : (args[at + 1] ?? '').split(','),
    pathsAt === -1 ? undefined : args[pathsAt + 1],
    option('--top', 40),
  );
}

main();
