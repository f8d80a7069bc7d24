// What clients and pods see of the upstream and proxy-tuning annotations, through real NGINX: gRPC and
// gRPC over TLS to gRPC pods, the Host and Connection headers the pods get, body-size limits, read
// timeouts, and Location / Set-Cookie rewriting in responses.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ingress, serviceWithEndpoints } from '../support/fixtures.ts';
import { grpcCall, startGrpcBackend, type GrpcBackend } from '../support/grpc-backend.ts';
import { request } from '../support/http-client.ts';
import { echoOf, serveFolder, type ServedFolder } from '../support/integration.ts';

const A = 'nginx.ingress.kubernetes.io/';

function site(host: string, service: string, annotations: Record<string, string>) {
  return ingress({
    name: host.split('.')[0] ?? host,
    annotations: Object.fromEntries(Object.entries(annotations).map(([k, v]) => [A + k, v])),
    rules: [{ host, paths: [{ path: '/', pathType: 'Prefix', service, port: 80 }] }],
  });
}

describe('upstream and proxy annotations, through real NGINX', () => {
  let folder: ServedFolder | undefined;
  const grpc: GrpcBackend[] = [];

  before(async () => {
    grpc.push(await startGrpcBackend('grpc-pod'), await startGrpcBackend('grpcs-pod', { tls: true }));
    const [plain, secure] = grpc;
    assert.ok(plain && secure);
    folder = await serveFolder(
      ['web'],
      [
        site('grpc.example.com', 'grpc', { 'backend-protocol': 'GRPC' }),
        site('grpcs.example.com', 'grpcs', { 'backend-protocol': 'grpcs' }),
        site('grpc-empty.example.com', 'empty', { 'backend-protocol': 'GRPC' }),
        site('grpcs-empty.example.com', 'empty', { 'backend-protocol': 'GRPCS' }),
        site('https-empty.example.com', 'empty', { 'backend-protocol': 'HTTPS' }),
        site('vhost.example.com', 'web', {
          'upstream-vhost': 'internal.example.com',
          'connection-proxy-header': 'close',
        }),
        site('limits.example.com', 'web', { 'proxy-body-size': '10', 'proxy-read-timeout': '1' }),
        site('unlimited.example.com', 'web', {
          'proxy-body-size': '0m',
          'proxy-read-timeout': '86400',
          // Kept in memory: as root, NGINX's workers cannot write the test's private temp folder.
          'client-body-buffer-size': '4m',
        }),
        site('rewrites.example.com', 'web', {
          'proxy-redirect-from': 'http://localhost:8080/',
          'proxy-redirect-to': '/app/',
          'proxy-cookie-path': '/ /app/',
        }),
        ...serviceWithEndpoints('grpc', [{ ip: plain.host, port: plain.port }]),
        ...serviceWithEndpoints('grpcs', [{ ip: secure.host, port: secure.port }]),
        ...serviceWithEndpoints('empty', []),
      ],
    );
  });

  after(async () => {
    await folder?.stop();
    await Promise.all(grpc.map((g) => g.close()));
  });

  for (const [host, pod] of [
    ['grpc.example.com', 'grpc-pod'],
    ['grpcs.example.com', 'grpcs-pod'],
  ] as const)
    it(`carries a gRPC call to the gRPC pod behind ${host}`, async () => {
      assert.ok(folder);
      const reply = await grpcCall(folder.gatehouse.httpsPort, host, '/echo.Echo/Say', 'hello');
      assert.equal(reply.status, 200);
      assert.equal(reply.grpcStatus, '0', 'the trailers came through');
      assert.equal(reply.echo?.backend, pod);
      assert.equal(reply.echo.path, '/echo.Echo/Say');
      assert.equal(reply.echo.message, 'hello');
      assert.equal(reply.echo.headers['x-real-ip'], '127.0.0.1');
    });

  // gRPC's comes from a local HTTP/2 listener the balancer picks; the TLS backends' from their rewrite phase.
  for (const host of ['grpc-empty.example.com', 'grpcs-empty.example.com'])
    it(`answers a gRPC call 503 when the Service behind ${host} has no ready endpoint`, async () => {
      assert.ok(folder);
      const reply = await grpcCall(folder.gatehouse.httpsPort, host, '/echo.Echo/Say', 'hello');
      assert.equal(reply.status, 503);
    });

  it('answers 503 for an HTTPS backend without a ready endpoint', async () => {
    assert.ok(folder);
    const reply = await request('http', folder.gatehouse.httpPort, 'https-empty.example.com', '/');
    assert.equal(reply.status, 503);
    assert.match(reply.body, /503 Service Temporarily Unavailable/);
  });

  it('sends the pods the upstream-vhost Host and the connection-proxy-header Connection', async () => {
    assert.ok(folder);
    const echo = echoOf(await request('http', folder.gatehouse.httpPort, 'vhost.example.com', '/'));
    assert.equal(echo.headers.host, 'internal.example.com');
    assert.equal(echo.headers.connection, 'close');
    assert.equal(echo.headers['x-forwarded-host'], `vhost.example.com:${folder.gatehouse.httpPort}`);
  });

  it('refuses a body over proxy-body-size with 413, and takes any body when it is 0m', async () => {
    assert.ok(folder);
    const body = 'x'.repeat(2 * 1024 * 1024);
    const small = await request('http', folder.gatehouse.httpPort, 'limits.example.com', '/', {
      method: 'POST',
      body: 'more than ten bytes',
    });
    assert.equal(small.status, 413);
    const big = await request('http', folder.gatehouse.httpPort, 'unlimited.example.com', '/', {
      method: 'POST',
      body,
    });
    assert.equal(big.status, 200);
    assert.equal(echoOf(big).body.length, body.length);
  });

  it('gives up on a pod slower than proxy-read-timeout with 504, and waits when it is longer', async () => {
    assert.ok(folder);
    const slow = await request('http', folder.gatehouse.httpPort, 'limits.example.com', '/?delay=2500');
    assert.equal(slow.status, 504);
    const patient = await request('http', folder.gatehouse.httpPort, 'unlimited.example.com', '/?delay=1500');
    assert.equal(patient.status, 200);
  });

  it('rewrites Location and Set-Cookie from the pods', async () => {
    assert.ok(folder);
    const query = new URLSearchParams([
      ['status', '302'],
      ['header', 'Location:http://localhost:8080/next'],
      ['header', 'Set-Cookie:session=1; Path=/'],
    ]);
    const reply = await request(
      'http',
      folder.gatehouse.httpPort,
      'rewrites.example.com',
      `/?${query.toString()}`,
    );
    assert.equal(reply.status, 302);
    assert.match(String(reply.headers.location), /\/app\/next$/);
    assert.doesNotMatch(String(reply.headers.location), /localhost:8080/);
    assert.deepEqual(reply.headers['set-cookie'], ['session=1; Path=/app/']);
  });
});
