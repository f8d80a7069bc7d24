// Request mirroring as a client and a mirror see it: the mirror gets a copy of each request (method, URI,
// body unless mirror-request-body is off) while the client gets the app's answer; a mirror that never
// answers, or refuses connections, neither delays the client's answer nor breaks its keep-alive
// connection: the next request on it waits at most the mirror location's 1 s read timeout.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { annotatedIngress } from '../support/fixtures.ts';
import { freePort } from '../support/ports.ts';
import { eventually, request } from '../support/http-client.ts';
import { echoOf, serveFolder, type ServedFolder } from '../support/integration.ts';

interface Copy {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** A mirror backend that records each copy it gets and answers 500 (which the client must never see). */
class RecordingMirror {
  readonly copies: Copy[] = [];
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.copies.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(500).end('mirror answer');
    });
  });

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A mirror that accepts connections, reads what it is sent, and never answers. */
class SilentMirror {
  /** Connections open right now, and all bytes received. */
  open = 0;
  received = '';
  private readonly sockets = new Set<net.Socket>();
  private readonly server = net.createServer((socket) => {
    this.open += 1;
    this.sockets.add(socket);
    socket.on('data', (d: Buffer) => (this.received += d.toString('latin1')));
    socket.on('close', () => {
      this.open -= 1;
      this.sockets.delete(socket);
    });
    socket.on('error', () => undefined);
  });

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

interface Answer {
  readonly status: number;
  readonly backend: string;
  readonly ms: number;
  readonly reused: boolean;
}

/** Two requests on one keep-alive connection, as a browser sends them; each answer with its time. */
async function twoOnOneConnection(
  port: number,
  host: string,
  beforeSecond: () => Promise<void> = () => Promise.resolve(),
): Promise<[Answer, Answer]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const one = (): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const req = http.request(
        { host: '127.0.0.1', port, path: '/page', agent, headers: { host }, timeout: 15_000 },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              backend: (JSON.parse(body) as { backend: string }).backend,
              ms: performance.now() - started,
              reused: req.reusedSocket,
            }),
          );
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', reject);
      req.end();
    });
  try {
    const first = await one();
    await beforeSecond();
    const second = await one();
    return [first, second];
  } finally {
    agent.destroy();
  }
}

const copiesOf = (received: string): number => (received.match(/GET \/page/g) ?? []).length;

describe('mirror-target', () => {
  const mirror = new RecordingMirror();
  const silent = new SilentMirror();
  let served: ServedFolder | undefined;

  before(async () => {
    const port = await mirror.start();
    const silentPort = await silent.start();
    const deadPort = await freePort();
    const target = `http://127.0.0.1:${port}`;
    served = await serveFolder(
      ['app'],
      [
        annotatedIngress('copied', {
          'mirror-target': `${target}$request_uri`,
          'mirror-host': 'shadow.test',
        }),
        annotatedIngress('headers-only', {
          'mirror-target': `${target}/copy$is_args$args`,
          'mirror-request-body': 'off',
        }),
        annotatedIngress('silent', { 'mirror-target': `http://127.0.0.1:${silentPort}$request_uri` }),
        annotatedIngress('dead', { 'mirror-target': `http://127.0.0.1:${deadPort}$request_uri` }),
      ],
      // The mirrors listen on loopback, which only an explicit allowance permits.
      ['--external-name-allowed-cidrs', '127.0.0.1/32'],
    );
  });

  after(async () => {
    await served?.stop();
    await mirror.close();
    await silent.close();
  });

  const post = (host: string, path: string, body: string) => {
    assert.ok(served);
    return request('http', served.gatehouse.httpPort, host, path, {
      method: 'POST',
      body,
      headers: { 'content-type': 'text/plain' },
    });
  };

  it("sends the mirror a copy with the body, and the client the app's answer", async () => {
    const reply = await post('copied.example.com', '/orders?id=7', 'two coffees');
    assert.equal(reply.status, 200);
    const echo = echoOf(reply);
    assert.equal(echo.backend, 'app');
    assert.equal(echo.body, 'two coffees');
    const copies = await eventually(
      () => Promise.resolve(mirror.copies.filter((c) => c.url === '/orders?id=7')),
      (list) => list.length > 0,
    );
    assert.equal(copies.length, 1);
    const [copy] = copies;
    assert.ok(copy);
    assert.equal(copy.method, 'POST');
    assert.equal(copy.body, 'two coffees');
    assert.equal(copy.headers.host, 'shadow.test');
    assert.equal(copy.headers['content-type'], 'text/plain');
  });

  it('sends no body with mirror-request-body off; the app still gets it', async () => {
    const reply = await post('headers-only.example.com', '/upload?part=2', 'large file');
    assert.equal(reply.status, 200);
    assert.equal(echoOf(reply).body, 'large file');
    const copies = await eventually(
      () => Promise.resolve(mirror.copies.filter((c) => c.url === '/copy?part=2')),
      (list) => list.length > 0,
    );
    const [copy] = copies;
    assert.ok(copy);
    assert.equal(copy.method, 'POST');
    assert.equal(copy.body, '');
    assert.equal(copy.headers['content-length'], undefined);
  });

  it("keeps the client's answer and keep-alive connection when the mirror never answers", async () => {
    assert.ok(served);
    const copiesBefore = copiesOf(silent.received);
    // NGINX gives up on a silent mirror after 1 s and closes its connection. When the first answer is in,
    // that connection must still be open, holding the copy: the answer did not wait for the mirror.
    let openAfterFirst = -1;
    const [first, second] = await twoOnOneConnection(
      served.gatehouse.httpPort,
      'silent.example.com',
      async () => {
        await eventually(
          () => Promise.resolve(copiesOf(silent.received)),
          (n) => n > copiesBefore,
        );
        openAfterFirst = silent.open;
      },
    );
    assert.equal(first.status, 200);
    assert.equal(first.backend, 'app');
    assert.equal(openAfterFirst, 1, `first answer after ${first.ms} ms; mirror connections open then`);
    assert.equal(second.status, 200);
    assert.equal(second.reused, true, 'the second request used the same connection');
    // The documented bound: the mirror location's 1 s read timeout (with room for a loaded machine).
    assert.ok(second.ms < 5_000, `the second answer took ${second.ms} ms`);
  });

  it('answers as usual when the mirror refuses connections', async () => {
    assert.ok(served);
    const [first, second] = await twoOnOneConnection(served.gatehouse.httpPort, 'dead.example.com');
    assert.deepEqual([first.status, first.backend, second.status, second.backend], [200, 'app', 200, 'app']);
    assert.equal(second.reused, true);
  });
});
