import dgram from 'node:dgram';
import net from 'node:net';

/** One name the test DNS server knows: its addresses (A and AAAA), TTL, and how long it takes to answer. */
export interface DnsRecord {
  readonly addresses: readonly string[];
  readonly ttl?: number;
  readonly delayMs?: number;
}

export interface DnsServer {
  readonly host: string;
  readonly port: number;
  /** `HOST:PORT`, as `--external-name-resolver` takes it. */
  readonly address: string;
  /** Replaces what a name answers (undefined: the name no longer exists). */
  set(name: string, record: DnsRecord | undefined): void;
  /** Queries received so far, per name. */
  queries(name: string): number;
  close(): Promise<void>;
}

/**
 * A small authoritative DNS server over UDP for tests: answers A and AAAA queries from a table, NXDOMAIN for
 * other names, optionally after a delay (a slow DNS server). Just enough of RFC 1035 for c-ares.
 */
export async function startDnsServer(
  records: Readonly<Record<string, DnsRecord>>,
  host = '127.0.0.1',
): Promise<DnsServer> {
  const table = new Map(Object.entries(records).map(([k, v]) => [k.toLowerCase(), v]));
  const counts = new Map<string, number>();
  const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  const timers = new Set<NodeJS.Timeout>();
  socket.on('message', (message, remote) => {
    const query = parseQuery(message);
    if (query === undefined) return;
    counts.set(query.name, (counts.get(query.name) ?? 0) + 1);
    const record = table.get(query.name);
    const reply = answer(message, query, record);
    const send = (): void => socket.send(reply, remote.port, remote.address);
    const delay = record?.delayMs ?? 0;
    if (delay === 0) {
      send();
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      send();
    }, delay);
    timers.add(timer);
  });
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  const { port } = socket.address();
  return {
    host,
    port,
    address: net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`,
    set: (name, record) => {
      if (record === undefined) table.delete(name.toLowerCase());
      else table.set(name.toLowerCase(), record);
    },
    queries: (name) => counts.get(name.toLowerCase()) ?? 0,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}

interface Query {
  readonly name: string;
  readonly type: number;
  /** Offset just past the question section. */
  readonly end: number;
}

const TYPE_A = 1;
const TYPE_AAAA = 28;

function parseQuery(message: Buffer): Query | undefined {
  if (message.length < 12 || message.readUInt16BE(4) !== 1) return undefined;
  const labels: string[] = [];
  let offset = 12;
  for (;;) {
    const length = message[offset];
    if (length === undefined) return undefined;
    offset += 1;
    if (length === 0) break;
    labels.push(message.subarray(offset, offset + length).toString('ascii'));
    offset += length;
  }
  if (offset + 4 > message.length) return undefined;
  return { name: labels.join('.').toLowerCase(), type: message.readUInt16BE(offset), end: offset + 4 };
}

function answer(message: Buffer, query: Query, record: DnsRecord | undefined): Buffer {
  const question = message.subarray(12, query.end);
  const wanted = (record?.addresses ?? []).filter((a) =>
    query.type === TYPE_A ? net.isIPv4(a) : query.type === TYPE_AAAA ? net.isIPv6(a) : false,
  );
  const header = Buffer.alloc(12);
  header.writeUInt16BE(message.readUInt16BE(0), 0); // id
  // QR, opcode 0, AA, RD copied, RA; RCODE 3 (NXDOMAIN) for names we do not know.
  header.writeUInt16BE(
    0x8400 | (message.readUInt16BE(2) & 0x0100) | 0x0080 | (record === undefined ? 3 : 0),
    2,
  );
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(wanted.length, 6);
  const answers = wanted.map((address) => {
    const rdata = net.isIPv4(address) ? ipv4Bytes(address) : ipv6Bytes(address);
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // pointer to the question's name
    rr.writeUInt16BE(query.type, 2);
    rr.writeUInt16BE(1, 4); // IN
    rr.writeUInt32BE(record?.ttl ?? 30, 6);
    rr.writeUInt16BE(rdata.length, 10);
    return Buffer.concat([rr, rdata]);
  });
  return Buffer.concat([header, question, ...answers]);
}

function ipv4Bytes(address: string): Buffer {
  return Buffer.from(address.split('.').map(Number));
}

function ipv6Bytes(written: string): Buffer {
  // An IPv4 tail (::ffff:127.0.0.1) becomes its two hex groups.
  const address = written.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) =>
    [
      [a, b],
      [c, d],
    ]
      .map(([x, y]) => ((Number(x) << 8) | Number(y)).toString(16))
      .join(':'),
  );
  const [head = '', tail = ''] = address.split('::');
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const h = groups(head);
  const t = groups(tail);
  const all = address.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}
