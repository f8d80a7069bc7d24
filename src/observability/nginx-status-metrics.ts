import { Counter, Gauge, type Registry } from 'prom-client';

export interface StubStatus {
  readonly active: number;
  readonly accepted: number;
  readonly handled: number;
  readonly requests: number;
  readonly reading: number;
  readonly writing: number;
  readonly waiting: number;
}

/** Reads NGINX's `stub_status` page; undefined when it does not have that shape. */
export function parseStubStatus(text: string): StubStatus | undefined {
  const m =
    /Active connections:\s*(\d+)\s+server accepts handled requests\s+(\d+)\s+(\d+)\s+(\d+)\s+Reading:\s*(\d+)\s+Writing:\s*(\d+)\s+Waiting:\s*(\d+)/.exec(
      text,
    );
  if (m === null) return undefined;
  const [active, accepted, handled, requests, reading, writing, waiting] = m.slice(1).map(Number);
  return {
    active: active ?? 0,
    accepted: accepted ?? 0,
    handled: handled ?? 0,
    requests: requests ?? 0,
    reading: reading ?? 0,
    writing: writing ?? 0,
    waiting: waiting ?? 0,
  };
}

/**
 * NGINX's own connection counters (stub_status, read on every scrape) under ingress-nginx's names.
 * They count every connection NGINX takes, Gatehouse's own status checks on its private socket included.
 */
export function registerNginxStatusMetrics(
  registry: Registry,
  fetch: () => Promise<string | undefined>,
): void {
  let last: Promise<StubStatus | undefined> | undefined;
  // One fetch per scrape, shared by the three metrics.
  const read = (): Promise<StubStatus | undefined> => {
    last ??= fetch().then((t) => (t === undefined ? undefined : parseStubStatus(t)));
    const current = last;
    setImmediate(() => (last = undefined));
    return current;
  };
  const connections: Gauge<'state'> = new Gauge({
    name: 'nginx_ingress_controller_nginx_process_connections',
    help: 'Current number of client connections with state {active, reading, writing, waiting}.',
    labelNames: ['state'],
    registers: [registry],
    collect: async () => {
      const s = await read();
      connections.reset();
      if (s === undefined) return;
      for (const state of ['active', 'reading', 'writing', 'waiting'] as const)
        connections.set({ state }, s[state]);
    },
  });
  const connectionsTotal: Counter<'state'> = new Counter({
    name: 'nginx_ingress_controller_nginx_process_connections_total',
    help: 'Total number of connections with state {accepted, handled}.',
    labelNames: ['state'],
    registers: [registry],
    collect: async () => {
      const s = await read();
      connectionsTotal.reset();
      if (s === undefined) return;
      for (const state of ['accepted', 'handled'] as const) connectionsTotal.inc({ state }, s[state]);
    },
  });
  const requestsTotal: Counter = new Counter({
    name: 'nginx_ingress_controller_nginx_process_requests_total',
    help: 'Total number of client requests NGINX has read.',
    registers: [registry],
    collect: async () => {
      const s = await read();
      requestsTotal.reset();
      if (s !== undefined) requestsTotal.inc(s.requests);
    },
  });
}
