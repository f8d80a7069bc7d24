import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { after, before, describe, it } from 'node:test';
import { certificateFor, ingress, tlsSecret } from '../support/fixtures.ts';
import { serveFolder, type ServedFolder } from '../support/integration.ts';

/** One HTTP/2 GET over TLS with SNI, as a browser would make it; returns the ALPN protocol and reply. */
function h2Get(
  port: number,
  host: string,
  path: string,
): Promise<{ alpn: string; status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`https://127.0.0.1:${port}`, {
      servername: host,
      rejectUnauthorized: false,
    });
    session.on('error', reject);
    const req = session.request({ ':path': path, ':authority': host });
    let status = 0;
    let body = '';
    req.setEncoding('utf8');
    req.on('response', (headers) => (status = Number(headers[':status'])));
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const alpn = session.alpnProtocol ?? '';
      session.close();
      resolve({ alpn, status, body });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTP/2', () => {
  let served: ServedFolder | undefined;

  before(async () => {
    served = await serveFolder(
      ['web'],
      [
        tlsSecret('web-tls', await certificateFor('web.example.com')),
        ingress({
          name: 'web',
          tls: [{ hosts: ['web.example.com'], secretName: 'web-tls' }],
          rules: [{ host: 'web.example.com', paths: [{ path: '/', service: 'web', port: 80 }] }],
        }),
      ],
    );
  });

  after(() => served?.stop());

  it('is negotiated by ALPN on HTTPS and reaches the pods (over HTTP/1.1 keep-alive)', async () => {
    const reply = await h2Get(served!.gatehouse.httpsPort, 'web.example.com', '/hello');
    assert.equal(reply.alpn, 'h2');
    assert.equal(reply.status, 200);
    const echoed = JSON.parse(reply.body) as {
      backend: string;
      url: string;
      headers: Record<string, string>;
    };
    assert.equal(echoed.backend, 'web');
    assert.equal(echoed.url, '/hello');
    assert.equal(echoed.headers['x-forwarded-proto'], 'https');
  });

  it('is also offered for hosts on the default certificate', async () => {
    const reply = await h2Get(served!.gatehouse.httpsPort, 'unknown.example.com', '/');
    assert.equal(reply.alpn, 'h2');
    assert.equal(reply.status, 404);
  });
});
