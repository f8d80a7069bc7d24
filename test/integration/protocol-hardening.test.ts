// What a client can no longer do through NGINX: smuggle an h2c upgrade to a pod (a second request on the
// upgraded connection would never pass NGINX's per-request checks), or make the server agree to a CBC or
// SHA-1 cipher suite over TLS 1.2.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { KubernetesObject } from '@kubernetes/client-node';
import { certificateFor, ingress, tlsSecret, writeManifest } from '../support/fixtures.ts';
import { echoOf, serveFolder, type ServedFolder } from '../support/integration.ts';
import { request, tls12Handshake } from '../support/http-client.ts';

/** A TLS 1.2 handshake offering only `ciphers`; resolves the cipher agreed on. */
const handshake = async (port: number, host: string, ciphers: string): Promise<string> =>
  (await tls12Handshake(port, host, ciphers)).cipher;

describe('protocol hardening', () => {
  let served: ServedFolder | undefined;

  before(async () => {
    served = await serveFolder(
      ['web'],
      [
        tlsSecret('web-tls', await certificateFor('web.example.com')),
        ingress({
          name: 'web',
          tls: [{ hosts: ['web.example.com'], secretName: 'web-tls' }],
          rules: [{ host: 'web.example.com', paths: [{ service: 'web', port: 80 }] }],
        }),
        ingress({
          name: 'plain',
          rules: [{ host: 'plain.example.com', paths: [{ service: 'web', port: 80 }] }],
        }),
      ],
      ['--configmap', 'ops/gatehouse'],
    );
  });
  after(() => served?.stop());

  it('does not pass an h2c upgrade (nor its HTTP2-Settings) to the pod, and still answers', async () => {
    const reply = await request('http', served!.gatehouse.httpPort, 'web.example.com', '/', {
      headers: {
        connection: 'Upgrade, HTTP2-Settings',
        upgrade: 'h2c',
        'http2-settings': 'AAMAAABkAAQAAP__',
      },
    });
    assert.equal(reply.status, 308, 'TLS host: redirected first');
    const https = await request('https', served!.gatehouse.httpsPort, 'web.example.com', '/', {
      headers: {
        connection: 'Upgrade, HTTP2-Settings',
        upgrade: 'h2c',
        'http2-settings': 'AAMAAABkAAQAAP__',
      },
    });
    const echo = echoOf(https);
    assert.equal(echo.headers.upgrade, undefined);
    assert.equal(echo.headers['http2-settings'], undefined);
    assert.notEqual(echo.headers.connection, 'upgrade');
  });

  it('still passes a WebSocket upgrade, whatever the case of the Upgrade header', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port: served!.gatehouse.httpPort,
        agent: false,
        timeout: 10_000,
        headers: {
          host: 'plain.example.com',
          connection: 'Upgrade',
          upgrade: 'WebSocket',
          'sec-websocket-version': '13',
          'sec-websocket-key': randomBytes(16).toString('base64'),
        },
      });
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve(res.statusCode ?? 0);
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 101);
  });

  it('refuses CBC and SHA-1 suites over TLS 1.2 by default, and agrees on an AEAD suite', async () => {
    const port = served!.gatehouse.httpsPort;
    await assert.rejects(handshake(port, 'web.example.com', 'ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA'));
    await assert.rejects(handshake(port, 'web.example.com', 'ECDHE-ECDSA-AES128-SHA256'));
    assert.equal(
      await handshake(port, 'web.example.com', 'ECDHE-ECDSA-AES128-GCM-SHA256'),
      'ECDHE-ECDSA-AES128-GCM-SHA256',
    );
  });

  it('offers what the ConfigMap ssl-ciphers asks for', async () => {
    await writeManifest(served!.dir, 'config.yaml', [
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'gatehouse', namespace: 'ops' },
        data: { 'ssl-ciphers': 'ECDHE-ECDSA-AES256-SHA' },
      } as KubernetesObject,
    ]);
    const port = served!.gatehouse.httpsPort;
    const agreed = async (): Promise<string> =>
      handshake(port, 'web.example.com', 'ECDHE-ECDSA-AES256-SHA').catch(() => 'refused');
    const deadline = Date.now() + 10_000;
    let last = await agreed();
    while (last === 'refused' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      last = await agreed();
    }
    assert.equal(last, 'ECDHE-ECDSA-AES256-SHA');
  });
});
