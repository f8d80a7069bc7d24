import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { DnsRecord } from './dns-server.ts';

const run = promisify(execFile);
const ECHO_HOST = fileURLToPath(new URL('./echo-host.ts', import.meta.url));

/** An echo backend running on a test host: what an EndpointSlice can point at. */
export interface HostedBackend {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * A test host of our own: a network namespace joined to this one by a veth pair, addressed from
 * 198.18.0.0/15 (the range RFC 2544 sets aside for tests). The API server refuses loopback
 * EndpointSlice addresses, so backends that pods stand in for live here; traffic never leaves the machine.
 */
export interface TestHost {
  /** The test host's address, on which its backends listen. */
  readonly address: string;
  backend(name: string): Promise<HostedBackend>;
  /** A DNS server on the test host (UDP port 53 is not needed: it takes a free port) answering from `records`. */
  dnsServer(name: string, records: Readonly<Record<string, DnsRecord>>): Promise<{ address: string }>;
  remove(): Promise<void>;
}

async function ip(...args: string[]): Promise<void> {
  await run('ip', args);
}

export async function createTestHost(): Promise<TestHost> {
  // Several test files run at once: take the first free index.
  let index = -1;
  for (let i = 1; i < 250 && index < 0; i++) {
    try {
      await ip('netns', 'add', `gh-test-${i}`);
      index = i;
    } catch {
      // taken by a concurrent run (or left behind): try the next
    }
  }
  if (index < 0)
    throw new Error('no free network namespace name gh-test-N (is iproute2 installed, and are we root?)');
  const ns = `gh-test-${index}`;
  const outside = `gh-h${index}`;
  const inside = `gh-n${index}`;
  const address = `198.18.${index}.2`;
  try {
    await ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', inside);
    await ip('link', 'set', inside, 'netns', ns);
    await ip('addr', 'add', `198.18.${index}.1/30`, 'dev', outside);
    await ip('link', 'set', outside, 'up');
    await ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${address}/30`, 'dev', inside);
    await ip('netns', 'exec', ns, 'ip', 'link', 'set', inside, 'up');
    await ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
  } catch (error) {
    await ip('netns', 'del', ns).catch(() => undefined);
    throw error;
  }

  let child: ChildProcess | undefined;
  const waiting = new Map<string, (reply: { port?: number; error?: string }) => void>();
  const started: HostedBackend[] = [];
  const echoHost = (): ChildProcess => {
    if (child !== undefined) return child;
    const c = spawn('ip', ['netns', 'exec', ns, process.execPath, ECHO_HOST, address], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    createInterface({ input: c.stdout }).on('line', (line) => {
      const reply = JSON.parse(line) as { name: string; port?: number; error?: string };
      waiting.get(reply.name)?.(reply);
      waiting.delete(reply.name);
    });
    child = c;
    return c;
  };

  const ask = (name: string, command: string): Promise<{ port?: number; error?: string }> =>
    new Promise((resolve) => {
      waiting.set(name, resolve);
      echoHost().stdin!.write(`${command}\n`);
    });

  return {
    address,
    async dnsServer(name, records) {
      const reply = await ask(name, `dns ${name} ${JSON.stringify(records)}`);
      if (reply.port === undefined)
        throw new Error(`DNS server ${name} on ${address}: ${reply.error ?? 'no port'}`);
      return { address: `${address}:${reply.port}` };
    },
    async backend(name) {
      const reply = await ask(name, `start ${name}`);
      if (reply.port === undefined)
        throw new Error(`echo backend ${name} on ${address}: ${reply.error ?? 'no port'}`);
      const backend: HostedBackend = {
        name,
        host: address,
        port: reply.port,
        close: () => Promise.resolve(),
      };
      started.push(backend);
      return backend;
    },
    async remove() {
      if (child !== undefined) {
        const c = child;
        const exited = new Promise((resolve) => c.once('exit', resolve));
        c.stdin!.end();
        const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      // Deleting the namespace deletes the veth pair with it.
      await ip('netns', 'del', ns).catch(() => undefined);
      await ip('link', 'del', outside).catch(() => undefined);
    },
  };
}
