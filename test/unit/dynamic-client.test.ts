import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { socketRequest } from '../../src/nginx/dynamic-client.ts';

describe('requests over the status socket', () => {
  const closers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const close of closers) await close();
  });

  /** A server on a unix socket that answers each connection's first request and drops the next one unanswered. */
  async function oneRequestPerConnection(): Promise<{ socket: string; connections: () => number }> {
    const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-socket-'));
    const socket = path.join(dir, 'status.sock');
    let connections = 0;
    const served = new WeakSet<object>();
    const server = http.createServer({ keepAlive: true }, (req, res) => {
      if (served.has(req.socket)) {
        req.socket.destroy(); // as NGINX closing an idle connection just as a request is sent on it
        return;
      }
      served.add(req.socket);
      req.resume();
      req.on('end', () => res.end(`{"id":"${req.method ?? ''}"}`));
    });
    server.on('connection', () => (connections += 1));
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    closers.push(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    });
    return { socket, connections: () => connections };
  }

  it('sends a request again on a new connection when the kept one was closed under it', async () => {
    const { socket, connections } = await oneRequestPerConnection();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await socketRequest(socket, 'POST', '/gatehouse/state', '{}', 5000, agent);
      assert.deepEqual(first, { status: 200, body: '{"id":"POST"}' });
      const second = await socketRequest(socket, 'POST', '/gatehouse/state', '{}', 5000, agent);
      assert.deepEqual(second, { status: 200, body: '{"id":"POST"}' });
      assert.equal(connections(), 2, 'the second request went over the kept connection first');
    } finally {
      agent.destroy();
    }
  });
});
