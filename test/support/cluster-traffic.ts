import { request, type Reply, type RequestOptions } from './http-client.ts';

/**
 * What a client sees, in one comparable word: `200 <backend>` when an echo backend answered, else the
 * status code (`404`, `503`), or `error: <message>` when the connection failed.
 */
export async function answer(
  scheme: 'http' | 'https',
  port: number,
  host: string,
  path = '/',
  options: RequestOptions = {},
): Promise<string> {
  try {
    return describe(await request(scheme, port, host, path, { timeoutMs: 5000, ...options }));
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

export function describe(reply: Reply): string {
  const backend = reply.headers['x-backend'];
  return reply.status === 200 && typeof backend === 'string' ? `200 ${backend}` : String(reply.status);
}

export interface TrafficReport {
  readonly total: number;
  /** Every answer that was not the expected one, with when it came. */
  readonly failures: readonly string[];
}

/**
 * Requests one URL over and over (a user refreshing a page) until stopped, and counts every answer that is
 * not `expected`. For "it never stopped serving" checks. `port` may be chosen anew for each request (a
 * Service's endpoints, see ServiceTraffic); undefined: none to send to right now.
 */
export class TrafficLoop {
  private total = 0;
  private readonly failures: string[] = [];
  private running = true;
  private readonly done: Promise<void>;
  private readonly started = Date.now();
  private readonly port: number | (() => number | undefined);
  private readonly host: string;
  private readonly expected: string;

  constructor(port: number | (() => number | undefined), host: string, expected: string) {
    this.port = port;
    this.host = host;
    this.expected = expected;
    this.done = this.loop();
  }

  /** How many answers so far. */
  get count(): number {
    return this.total;
  }

  async stop(): Promise<TrafficReport> {
    this.running = false;
    await this.done;
    return { total: this.total, failures: [...this.failures] };
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const port = typeof this.port === 'number' ? this.port : this.port();
      if (port !== undefined) {
        const got = await answer('http', port, this.host, '/');
        this.total += 1;
        if (got !== this.expected) this.failures.push(`+${Date.now() - this.started}ms :${port} ${got}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/**
 * A Service's traffic as kube-proxy sends it: each request to the next ready endpoint, round robin. The
 * test adds a pod once it is ready and removes it when it is withdrawn (deleted).
 */
export class ServiceTraffic {
  private readonly endpoints = new Map<string, number>();
  private readonly loops: TrafficLoop[] = [];

  add(pod: string, port: number): void {
    this.endpoints.set(pod, port);
  }

  remove(pod: string): void {
    this.endpoints.delete(pod);
  }

  /** Requests to every endpoint in turn, or to these pods only. */
  start(host: string, expected: string, only?: readonly string[]): TrafficLoop {
    let next = 0;
    const loop = new TrafficLoop(
      () => {
        const ports = [...this.endpoints].filter(([pod]) => only?.includes(pod) ?? true).map(([, p]) => p);
        return ports[next++ % Math.max(1, ports.length)];
      },
      host,
      expected,
    );
    this.loops.push(loop);
    return loop;
  }

  async stop(): Promise<void> {
    await Promise.all(this.loops.map((l) => l.stop()));
  }
}
