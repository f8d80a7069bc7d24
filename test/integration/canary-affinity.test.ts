// affinity-canary-behavior through real NGINX, on a main Ingress with cookie session affinity and a
// canary that takes only the requests its header sends (weight 0). sticky (the default): a client the
// header sent to the canary gets a session there and stays on the canary without the header. legacy: the
// canary sets no session, so the client leaves it as soon as the header is gone — even one holding a
// canary session from a sticky canary of the same Service.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { ingress, serviceWithEndpoints } from '../support/fixtures.ts';
import { request, type Reply } from '../support/http-client.ts';
import { echoOf, eventuallyServed, serveFolder, type ServedFolder } from '../support/integration.ts';

const A = 'nginx.ingress.kubernetes.io/';

function site(name: string, host: string, service: string, annotations: Record<string, string>) {
  return ingress({
    name,
    annotations: Object.fromEntries(Object.entries(annotations).map(([k, v]) => [A + k, v])),
    rules: [{ host, paths: [{ path: '/', pathType: 'Prefix', service, port: 80 }] }],
  });
}

/** The `name=value` of the reply's affinity cookie, if it set one. */
function session(reply: Reply): string | undefined {
  return (reply.headers['set-cookie'] ?? [])
    .map((c) => c.split(';')[0] ?? '')
    .find((c) => c.startsWith('INGRESSCOOKIE='));
}

describe('affinity-canary-behavior, through real NGINX', () => {
  let folder: ServedFolder | undefined;

  const objects = (): KubernetesObject[] => {
    assert.ok(folder);
    const b = folder.backends;
    const canary = (behavior: string | undefined): Record<string, string> => ({
      canary: 'true',
      'canary-by-header': 'X-Canary',
      ...(behavior !== undefined && { 'affinity-canary-behavior': behavior }),
    });
    return [
      site('sticky', 'sticky.example.com', 'main', { affinity: 'cookie' }),
      site('sticky-canary', 'sticky.example.com', 'preview', canary(undefined)),
      site('legacy', 'legacy.example.com', 'main', { affinity: 'cookie' }),
      site('legacy-canary', 'legacy.example.com', 'preview', canary('legacy')),
      ...serviceWithEndpoints('main', [
        { ip: b.get('a').host, port: b.get('a').port },
        { ip: b.get('b').host, port: b.get('b').port },
      ]),
      ...serviceWithEndpoints('preview', [{ ip: b.get('c').host, port: b.get('c').port }]),
    ];
  };

  before(async () => {
    folder = await serveFolder(['a', 'b', 'c'], []);
    await folder.write(objects());
    await eventuallyServed(folder.gatehouse, 'legacy.example.com', '/', '200 a');
  });

  after(async () => {
    await folder?.stop();
  });

  const get = (host: string, headers: Record<string, string> = {}) => {
    assert.ok(folder);
    return request('http', folder.gatehouse.httpPort, `${host}.example.com`, '/', { headers });
  };

  it('sticky (default): the canary gives a session, and the client stays there without the header', async () => {
    const first = await get('sticky', { 'x-canary': 'always' });
    assert.equal(echoOf(first).backend, 'c');
    const cookie = session(first);
    assert.ok(cookie !== undefined, 'the canary set a session cookie');
    for (let i = 0; i < 10; i++) assert.equal(echoOf(await get('sticky', { cookie })).backend, 'c');
  });

  it('legacy: the canary gives no session, and the client leaves it without the header', async () => {
    const first = await get('legacy', { 'x-canary': 'always' });
    assert.equal(echoOf(first).backend, 'c');
    assert.equal(session(first), undefined, 'a legacy canary sets no session cookie');
    const next = await get('legacy');
    assert.notEqual(echoOf(next).backend, 'c');
    // The main Service keeps its sessions as ever.
    const cookie = session(next);
    assert.ok(cookie !== undefined, 'the main backend set a session cookie');
    for (let i = 0; i < 5; i++)
      assert.equal(echoOf(await get('legacy', { cookie })).backend, echoOf(next).backend);
  });

  it('legacy: a canary session made before (here by the sticky canary of the same Service) is not followed', async () => {
    const cookie = session(await get('sticky', { 'x-canary': 'always' }));
    assert.ok(cookie !== undefined);
    for (let i = 0; i < 10; i++) assert.notEqual(echoOf(await get('legacy', { cookie })).backend, 'c');
    // ... while the header still sends the client to the canary.
    assert.equal(echoOf(await get('legacy', { cookie, 'x-canary': 'always' })).backend, 'c');
  });
});
