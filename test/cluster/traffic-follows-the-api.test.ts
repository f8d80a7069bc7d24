// Gatehouse in a real cluster: what is applied to the API server is what NGINX serves, and what `kubectl get
// ingress` shows as the address. EndpointSlices are written by hand: there is no controller-manager.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterGatehouse } from '../support/cluster-gatehouse.ts';
import { startClusterEnv, type ClusterEnv } from '../support/cluster-env.ts';
import { forbiddenRequests } from '../support/cluster-rbac.ts';
import { answer } from '../support/cluster-traffic.ts';
import type { HostedBackend } from '../support/netns.ts';
import {
  certificateFor,
  ingress,
  ingressClass,
  serviceWithEndpoints,
  tlsSecret,
} from '../support/fixtures.ts';
import { eventually, request } from '../support/http-client.ts';

const DEFAULT_CN = 'Gatehouse Default Certificate';

describe('traffic follows the API', () => {
  let env: ClusterEnv | undefined;
  let gatehouse: ClusterGatehouse | undefined;
  let blue: HostedBackend | undefined;
  let green: HostedBackend | undefined;

  const shop = (tls = false): ReturnType<typeof ingress> =>
    ingress({
      name: 'shop',
      rules: [{ host: 'shop.test', paths: [{ service: 'shop', port: 80 }] }],
      ...(tls ? { tls: [{ hosts: ['shop.test'], secretName: 'shop-tls' }] } : {}),
    });
  const endpointsOn = (backend: HostedBackend | undefined): ReturnType<typeof serviceWithEndpoints> => {
    assert.ok(backend);
    return serviceWithEndpoints('shop', [{ ip: backend.host, port: backend.port }]);
  };
  const http = (host: string): Promise<string> => {
    assert.ok(gatehouse);
    return answer('http', gatehouse.httpPort, host);
  };
  const logs = (): string => gatehouse?.logs().slice(-4000) ?? '';

  before(async () => {
    env = await startClusterEnv();
    blue = await env.backend('blue');
    green = await env.backend('green');
    await env.apply(ingressClass(), ingressClass('other', 'example.com/other-controller'));
    gatehouse = await env.gatehouse({ podName: 'gatehouse-0' });
  });
  after(async () => {
    await env?.stop();
  });

  it('serves a new Ingress from its EndpointSlice and reports 127.0.0.1 as its address', async () => {
    assert.ok(env);
    await env.apply(...endpointsOn(blue), shop());
    assert.equal(
      await eventually(
        () => http('shop.test'),
        (v) => v === '200 blue',
      ),
      '200 blue',
      logs(),
    );
    const addresses = await eventually(
      () => env!.ingressAddresses('shop'),
      (v) => v.length > 0,
    );
    assert.deepEqual(addresses, ['127.0.0.1'], logs());
  });

  it("neither serves nor writes status on an Ingress of another controller's class", async () => {
    assert.ok(env);
    await env.apply(
      ingress({
        name: 'elsewhere',
        className: 'other',
        rules: [{ host: 'elsewhere.test', paths: [{ service: 'shop', port: 80 }] }],
      }),
    );
    // Ingress events arrive in order: once a later Ingress of ours has its status, the foreign one was seen.
    await env.apply(
      ingress({ name: 'marker', rules: [{ host: 'marker.test', paths: [{ service: 'shop', port: 80 }] }] }),
    );
    const marker = await eventually(
      () => env!.ingressAddresses('marker'),
      (v) => v.length > 0,
    );
    assert.deepEqual(marker, ['127.0.0.1'], logs());
    assert.deepEqual(await env.ingressAddresses('elsewhere'), []);
    assert.equal(await http('elsewhere.test'), '404');
  });

  it('follows the EndpointSlice when the pods move', async () => {
    assert.ok(env);
    await env.apply(...endpointsOn(green));
    assert.equal(
      await eventually(
        () => http('shop.test'),
        (v) => v === '200 green',
      ),
      '200 green',
      logs(),
    );
  });

  it('serves the certificate of a TLS Secret added later, chosen by SNI', async () => {
    assert.ok(env && gatehouse);
    const port = gatehouse.httpsPort;
    const before = await request('https', port, 'shop.test', '/');
    assert.equal(before.certificateCN, DEFAULT_CN);

    await env.apply(tlsSecret('shop-tls', await certificateFor('shop.test')), shop(true));
    const after = await eventually(
      () => request('https', port, 'shop.test', '/'),
      (r) => r.certificateCN === 'shop.test',
    );
    assert.equal(after.certificateCN, 'shop.test', logs());
    assert.equal(after.headers['x-backend'], 'green');
    // Another name on the same port still gets the default certificate.
    assert.equal((await request('https', port, 'marker.test', '/')).certificateCN, DEFAULT_CN);
  });

  it('stops serving a deleted Ingress', async () => {
    assert.ok(env);
    await env.remove(shop(true));
    assert.equal(
      await eventually(
        () => http('shop.test'),
        (v) => v === '404',
      ),
      '404',
      logs(),
    );
    assert.equal(await http('marker.test'), '200 green');
    assert.deepEqual(await env.ingressAddresses('elsewhere'), [], 'still no status on the foreign Ingress');
  });

  it('needed no permission beyond its RBAC', () => {
    assert.ok(gatehouse);
    assert.deepEqual(forbiddenRequests(gatehouse.logs()), []);
  });
});
