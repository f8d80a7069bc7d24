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
 * not `expected`. For "it never stopped serving" checks.
 */
export class TrafficLoop {
  private total = 0;
  private readonly failures: string[] = [];
  private running = true;
  private readonly done: Promise<void>;
  private readonly started = Date.now();
  private readonly port: number;
  private readonly host: string;
  private readonly expected: string;

  constructor(port: number, host: string, expected: string) {
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
      const got = await answer('http', this.port, this.host, '/');
      this.total += 1;
      if (got !== this.expected) this.failures.push(`+${Date.now() - this.started}ms: ${got}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
