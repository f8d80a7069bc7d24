import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { Registry } from 'prom-client';
import { TrafficLogReceiver } from '../../src/observability/traffic-log-receiver.ts';
import { TrafficMetrics } from '../../src/observability/traffic-metrics.ts';
import { metricsLine } from '../support/metrics-line.ts';
import { parseMetrics, valueOf } from '../support/prometheus.ts';

const LINE = metricsLine({ c: 'c', r: '0', us: '-', uc: '-', uh: '-', ur: '-' });

// The metrics log never queues without bound: past the queue's limit lines are dropped, and every line
// sent is either counted or counted as dropped.
describe('the metrics log receiver', () => {
  it('drops what does not fit its queue and says how many', async () => {
    const registry = new Registry();
    const metrics = new TrafficMetrics();
    metrics.addRoutes('c', [
      {
        host: 'h',
        namespace: 'n',
        ingress: 'i',
        path: '/',
        pathType: 'Prefix',
        field: '',
        service: 's',
        servicePort: '80',
      },
    ]);
    const receiver = await TrafficLogReceiver.start(metrics, registry, { queueLimit: 10 });
    const port = Number(/:(\d+),/.exec(receiver.target)?.[1]);
    const socket = dgram.createSocket('udp4');
    const sent = 2000;
    // Every datagram handed to the kernel before counting starts (send is asynchronous).
    await Promise.all(
      Array.from(
        { length: sent },
        () => new Promise<void>((resolve) => socket.send(LINE, port, '127.0.0.1', () => resolve())),
      ),
    );
    socket.close();
    // The kernel's drop counter and the queue settle on their own time on a busy machine: wait for every
    // line to be accounted for (or the deadline, and the assertion below says what is missing).
    const totals = async () => {
      await receiver.drained();
      const samples = parseMetrics(`${await registry.metrics()}${metrics.exposition()}`);
      const counted = valueOf(samples, 'gatehouse_traffic_log_lines_total', { outcome: 'counted' }) ?? 0;
      const queueFull =
        valueOf(samples, 'gatehouse_traffic_log_dropped_total', { reason: 'queue_full' }) ?? 0;
      const kernel = valueOf(samples, 'gatehouse_traffic_log_dropped_total', { reason: 'socket' }) ?? 0;
      return { samples, counted, queueFull, kernel };
    };
    let t = await totals();
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; t = await totals()) {
      if (t.counted + t.queueFull + t.kernel === sent) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await receiver.close();
    const { samples, counted, queueFull, kernel } = t;
    assert.ok(queueFull > 0, `nothing dropped: counted ${counted}`);
    assert.equal(counted + queueFull + kernel, sent);
    assert.equal(valueOf(samples, 'nginx_ingress_controller_requests', { ingress: 'i' }), counted);
    assert.equal(valueOf(samples, 'gatehouse_traffic_log_queue_lines'), 0);
  });
});
