// TLS to the pods (proxy-ssl-*) through real NGINX, against an HTTPS pod whose certificate a CA of the
// Ingress's Secret signed and that asks NGINX for a client certificate: verified by the pinned name, with
// NGINX's client certificate and SNI, and refused (502) when the name or the CA does not match.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type net from 'node:net';
import type { TLSSocket } from 'node:tls';
import { clientCa, clientCertificate, serverCertificate } from '../support/client-certs.ts';
import { ingress, opaqueSecret, serviceWithEndpoints } from '../support/fixtures.ts';
import { request } from '../support/http-client.ts';
import { serveFolder, type ServedFolder } from '../support/integration.ts';

const A = 'nginx.ingress.kubernetes.io/';

describe('proxy-ssl-* against an HTTPS pod, through real NGINX', () => {
  let folder: ServedFolder | undefined;
  let pod: https.Server | undefined;

  before(async () => {
    const podsCa = await clientCa('Pods CA');
    const otherCa = await clientCa('Another CA');
    const clientsCa = await clientCa('Clients CA');
    const own = await serverCertificate(podsCa, 'billing.pay.svc');
    const gatehouse = await clientCertificate('gatehouse', clientsCa);
    // The pod tells what it saw: the SNI name and NGINX's client certificate, if any.
    pod = https.createServer(
      { cert: own.cert, key: own.key, ca: clientsCa.cert, requestCert: true, rejectUnauthorized: false },
      (req, res) => {
        const socket = req.socket as TLSSocket;
        const peer = socket.getPeerCertificate();
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            sni: socket.servername === false ? '' : socket.servername,
            client: socket.authorized ? peer.subject.CN : '',
          }),
        );
      },
    );
    await new Promise<void>((resolve) => pod?.listen(0, '127.0.0.1', resolve));
    const port = (pod.address() as net.AddressInfo).port;
    const ing = (name: string, annotations: Record<string, string>) =>
      ingress({
        name,
        annotations: { [`${A}backend-protocol`]: 'HTTPS', ...annotations },
        rules: [{ host: `${name}.example.com`, paths: [{ service: 'billing', port: 443 }] }],
      });
    const verified = {
      [`${A}proxy-ssl-secret`]: 'backend-tls',
      [`${A}proxy-ssl-verify`]: 'on',
      [`${A}proxy-ssl-name`]: 'billing.pay.svc',
    };
    folder = await serveFolder(
      ['web'],
      [
        opaqueSecret('backend-tls', {
          'ca.crt': podsCa.cert,
          'tls.crt': gatehouse.cert,
          'tls.key': gatehouse.key,
        }),
        opaqueSecret('other-ca', { 'ca.crt': otherCa.cert }),
        ing('verified', verified),
        ing('wrong-name', { ...verified, [`${A}proxy-ssl-name`]: 'intruder.pay.svc' }),
        ing('wrong-ca', { ...verified, [`${A}proxy-ssl-secret`]: 'other-ca' }),
        ing('unverified', {}),
        ...serviceWithEndpoints('billing', [{ ip: '127.0.0.1', port }], { port: 443 }),
      ],
    );
  });

  after(async () => {
    await folder?.stop();
    pod?.close();
  });

  const get = async (name: string) => {
    assert.ok(folder);
    return request('http', folder.gatehouse.httpPort, `${name}.example.com`, '/');
  };

  it('verifies the pod against the Secret’s CA for the pinned name, sending it as SNI, with a client certificate', async () => {
    const reply = await get('verified');
    assert.equal(reply.status, 200, reply.body);
    assert.deepEqual(JSON.parse(reply.body), { sni: 'billing.pay.svc', client: 'gatehouse' });
  });

  it('refuses a pod whose certificate does not carry the pinned name (502)', async () => {
    assert.equal((await get('wrong-name')).status, 502);
  });

  it('refuses a pod whose certificate another CA signed (502)', async () => {
    assert.equal((await get('wrong-ca')).status, 502);
  });

  it('never lends a connection made for one location’s settings to another (keep-alive pools apart)', async () => {
    // NGINX keeps upstream connections alive per upstream block and peer address: were all locations to
    // share one pool, the unverified location would reuse the connection carrying the client certificate,
    // and the wrong-CA one a connection verified under other settings.
    for (let round = 0; round < 8; round++) {
      assert.equal((await get('verified')).status, 200);
      assert.equal((await get('wrong-ca')).status, 502, `round ${round}`);
      const unverified = await get('unverified');
      assert.equal(unverified.status, 200);
      assert.equal((JSON.parse(unverified.body) as { client: string }).client, '', `round ${round}`);
    }
  });

  it('without proxy-ssl-* still reaches an HTTPS pod, unverified and without a client certificate', async () => {
    const reply = await get('unverified');
    assert.equal(reply.status, 200, reply.body);
    assert.equal((JSON.parse(reply.body) as { client: string }).client, '');
  });
});
