import { readFile } from 'node:fs/promises';
import { Counter, Gauge, type Registry } from 'prom-client';
import { startSyslogReceiver } from './access-log-relay.ts';
import { tailLogFile } from './log-file-tail.ts';
import type { TrafficMetrics } from './traffic-metrics.ts';

export interface TrafficLogReceiverOptions {
  /** Lines waiting to be counted; past it, lines are dropped (and counted as dropped). */
  readonly queueLimit?: number;
  /** Longest stretch spent counting before other work (a reconcile, a scrape) gets the event loop. */
  readonly sliceMs?: number;
  /** Where the kernel's per-socket drop counts are (Linux: /proc/net/udp). */
  readonly procNetUdp?: string;
  /** Loopback UDP port to receive on; 0 (default): any free one. Ignored with `file`. */
  readonly port?: number;
  /**
   * A file NGINX writes the metrics log to in 64 KiB blocks (`buffer=64k flush=1s`), read as it grows,
   * instead of one syslog datagram per request over loopback UDP: the datagrams cost NGINX and the
   * controller more CPU than the rest of a proxied request (bench/dataplane.bench.ts).
   */
  readonly file?: string;
}

/** Where the lines come from: a loopback syslog socket (`port`) or a file read as it grows (`poll`). */
interface LineSource {
  readonly target: string;
  readonly port?: number;
  poll?(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Receives the metrics log (a file NGINX writes in blocks, or loopback syslog) and feeds it to
 * TrafficMetrics at a bounded cost: the file (or the kernel's socket buffer) and a bounded queue hold
 * bursts, counting runs in slices so the controller stays responsive, and over syslog whatever cannot be
 * held is dropped and counted (`gatehouse_traffic_log_dropped_total`), never queued without limit.
 */
export class TrafficLogReceiver {
  private readonly queue: Buffer[] = [];
  private head = 0;
  private scheduled = false;
  private readonly queueLimit: number;
  private readonly sliceMs: number;
  private readonly dropped: Counter<'reason'>;
  private socket: LineSource | undefined;
  private kernelDropsSeen = 0;

  private readonly metrics: TrafficMetrics;
  private readonly options: TrafficLogReceiverOptions;

  private constructor(metrics: TrafficMetrics, registry: Registry, options: TrafficLogReceiverOptions) {
    this.metrics = metrics;
    this.options = options;
    this.queueLimit = options.queueLimit ?? 50_000;
    this.sliceMs = options.sliceMs ?? 2;
    this.dropped = new Counter({
      name: 'gatehouse_traffic_log_dropped_total',
      help: 'Metrics log lines lost before they were counted: queue_full (the controller could not keep up), socket (the kernel dropped them).',
      labelNames: ['reason'],
      registers: [registry],
      collect: async () => {
        const drops = await this.kernelDrops();
        if (drops !== undefined && drops > this.kernelDropsSeen) {
          this.dropped.inc({ reason: 'socket' }, drops - this.kernelDropsSeen);
          this.kernelDropsSeen = drops;
        }
      },
    });
    this.dropped.inc({ reason: 'queue_full' }, 0);
    this.dropped.inc({ reason: 'socket' }, 0);
    const queued: Gauge = new Gauge({
      name: 'gatehouse_traffic_log_queue_lines',
      help: 'Metrics log lines received and waiting to be counted.',
      registers: [registry],
      collect: (): void => queued.set(this.queue.length - this.head),
    });
  }

  static async start(
    metrics: TrafficMetrics,
    registry: Registry,
    options: TrafficLogReceiverOptions = {},
  ): Promise<TrafficLogReceiver> {
    const receiver = new TrafficLogReceiver(metrics, registry, options);
    receiver.socket =
      options.file === undefined
        ? await startSyslogReceiver((m) => receiver.enqueue(m), {
            receiveBufferBytes: 8 * 1024 * 1024,
            port: options.port ?? 0,
          })
        : // The file holds what the queue cannot: nothing is dropped, it is read later.
          await tailLogFile(options.file, (line) => receiver.enqueue(line, false));
    receiver.kernelDropsSeen = (await receiver.kernelDrops()) ?? 0;
    return receiver;
  }

  /** The `access_log` target for render. */
  get target(): string {
    if (this.socket === undefined) throw new Error('not started');
    return this.socket.target;
  }

  /** Resolves once every line received so far has been counted (tests, benchmarks). */
  async drained(): Promise<void> {
    do {
      while (this.queue.length - this.head > 0) await new Promise((r) => setImmediate(r));
    } while (((await this.socket?.poll?.()) ?? 0) > 0);
  }

  async close(): Promise<void> {
    await this.socket?.close();
  }

  /** False when the queue is full: the message is dropped (and counted) if `drop`, else left to the caller. */
  private enqueue(message: Buffer, drop = true): boolean {
    if (this.queue.length - this.head >= this.queueLimit) {
      if (drop) this.dropped.inc({ reason: 'queue_full' });
      return false;
    }
    this.queue.push(message);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
    return true;
  }

  private drain(): void {
    const deadline = performance.now() + this.sliceMs;
    let n = 0;
    while (this.head < this.queue.length) {
      const message = this.queue[this.head];
      this.queue[this.head] = EMPTY;
      this.head += 1;
      if (message !== undefined) this.metrics.recordLine(message);
      // Checking the clock costs more than a line: look every 64 lines.
      if ((++n & 63) === 0 && performance.now() > deadline) break;
    }
    if (this.head >= this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
      this.scheduled = false;
    } else {
      if (this.head > 4096) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      setImmediate(() => this.drain());
    }
  }

  /** The kernel's count of datagrams it dropped for our socket (its buffer was full), if readable. */
  private async kernelDrops(): Promise<number | undefined> {
    const port = this.socket?.port;
    if (port === undefined) return undefined;
    const text = await readFile(this.options.procNetUdp ?? '/proc/net/udp', 'utf8').catch(() => '');
    const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
    for (const line of text.split('\n')) {
      const fields = line.trim().split(/\s+/);
      if (fields[1] === local) {
        const drops = Number(fields[fields.length - 1]);
        return Number.isFinite(drops) ? drops : undefined;
      }
    }
    return undefined;
  }
}

const EMPTY = Buffer.alloc(0);
