// WebSocket upgrades pass through NGINX with no annotation. The handshake is done by hand with node:http
// (the global WebSocket client cannot set the Host header NGINX routes on).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { ingress, writeManifest } from '../support/fixtures.ts';
import { startGatehouse, type RunningGatehouse } from '../support/gatehouse-process.ts';
import { Backends, manifestsFolder, removeFolder } from '../support/integration.ts';

const HOST = 'ws.example.com';

interface Upgraded {
  status: number;
  headers: http.IncomingHttpHeaders;
  socket: Duplex;
  /** Bytes that arrived with the 101 response. */
  head: Buffer;
}

function upgrade(port: number, host: string, path: string): Promise<Upgraded> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      path,
      agent: false,
      timeout: 10_000,
      headers: {
        host: `${host}:${port}`,
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
      },
    });
    req.on('upgrade', (res, socket, head) =>
      resolve({ status: res.statusCode ?? 0, headers: res.headers, socket, head }),
    );
    req.on('response', (res) => {
      res.resume();
      reject(new Error(`expected 101 Switching Protocols, got HTTP ${res.statusCode ?? 0}`));
    });
    req.on('timeout', () => req.destroy(new Error('upgrade timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** A client → server text frame: FIN + opcode 1, masked as RFC 6455 requires of clients. */
function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  if (payload.length > 125) throw new Error('keep test frames short');
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

/** Reads one unmasked server text frame. */
function readTextFrame(socket: Duplex, head: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = head;
    const timer = setTimeout(() => finish(new Error('no frame within 5s')), 5000);
    const onData = (chunk: Buffer): void => {
      buffer = Buffer.concat([buffer, chunk]);
      tryParse();
    };
    const finish = (error?: Error, text?: string): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      if (error !== undefined) reject(error);
      else resolve(text ?? '');
    };
    const tryParse = (): void => {
      if (buffer.length < 2) return;
      const length = buffer[1]! & 0x7f;
      if (buffer.length < 2 + length) return;
      if ((buffer[0]! & 0x0f) !== 1) return finish(new Error(`not a text frame: ${buffer.toString('hex')}`));
      finish(undefined, buffer.subarray(2, 2 + length).toString('utf8'));
    };
    socket.on('data', onData);
    socket.once('error', (e: Error) => finish(e));
    tryParse();
  });
}

describe('WebSocket through NGINX', () => {
  let manifests: string | undefined;
  let backends: Backends | undefined;
  let gatehouse: RunningGatehouse | undefined;

  before(async () => {
    manifests = await manifestsFolder();
    backends = await Backends.start(['chat']);
    await writeManifest(manifests, 'services.yaml', backends.services());
    await writeManifest(manifests, 'ingress.yaml', [
      ingress({ name: 'chat', rules: [{ host: HOST, paths: [{ path: '/ws', service: 'chat', port: 80 }] }] }),
    ]);
    gatehouse = await startGatehouse(manifests);
  });

  after(async () => {
    await gatehouse?.stop();
    await backends?.close();
    await removeFolder(manifests);
  });

  it('upgrades without any annotation and echoes text frames both ways', async () => {
    assert.ok(gatehouse);
    const ws = await upgrade(gatehouse.httpPort, HOST, '/ws/room1');
    try {
      assert.equal(ws.status, 101);
      assert.equal(ws.headers.upgrade?.toLowerCase(), 'websocket');
      assert.equal(ws.headers['x-backend'], 'chat');
      ws.socket.write(maskedTextFrame('hello'));
      assert.equal(await readTextFrame(ws.socket, ws.head), 'chat: hello');
      ws.socket.write(maskedTextFrame('second message'));
      assert.equal(await readTextFrame(ws.socket, Buffer.alloc(0)), 'chat: second message');
    } finally {
      ws.socket.destroy();
    }
  });
});
