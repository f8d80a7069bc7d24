// How the Lua balancer picks a pod, through real NGINX: upstream-hash-by keeps a key on one pod (and with
// upstream-hash-by-subset on one group of pods), load-balance ewma steers requests away from a slow pod
// that round robin keeps feeding, and service-upstream sends everything to the Service's cluster IP
// instead of its pods.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubernetesObject } from '@kubernetes/client-node';
import { ingress, serviceWithEndpoints } from '../support/fixtures.ts';
import { eventuallyServed, served, serveFolder, type ServedFolder } from '../support/integration.ts';

const A = 'nginx.ingress.kubernetes.io/';

function site(
  host: string,
  service: string,
  annotations: Record<string, string> = {},
  port = 80,
): KubernetesObject {
  return ingress({
    name: host.split('.')[0] ?? host,
    annotations: Object.fromEntries(Object.entries(annotations).map(([k, v]) => [A + k, v])),
    rules: [{ host, paths: [{ path: '/', pathType: 'Prefix', service, port }] }],
  });
}

/** A pod that answers like the echo backends, 300 ms late (well clear of a loaded machine's noise). */
async function slowPod(): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-backend': 'slow' });
      res.end(JSON.stringify({ backend: 'slow', path: req.url, headers: req.headers }));
    }, 300);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

describe('load balancing, through real NGINX', () => {
  let folder: ServedFolder | undefined;
  let slow: { server: http.Server; port: number } | undefined;

  before(async () => {
    slow = await slowPod();
    folder = await serveFolder(['a', 'b', 'c', 'd'], []);
    const b = folder.backends;
    const pod = (name: string) => ({ ip: b.get(name).host, port: b.get(name).port });
    // What kube-proxy would answer on: here, pod a itself.
    const clustered = serviceWithEndpoints('clustered', [pod('b')], {
      port: b.get('a').port,
      clusterIP: '127.0.0.1',
    });
    await folder.write([
      site('hash.example.com', 'app', { 'upstream-hash-by': '$arg_user' }),
      site('subset.example.com', 'app', {
        'upstream-hash-by': 'user-${arg_user}',
        'upstream-hash-by-subset': 'true',
        'upstream-hash-by-subset-size': '2',
      }),
      site('ewma.example.com', 'mixed', { 'load-balance': 'ewma' }),
      site('rr.example.com', 'mixed'),
      site('cluster.example.com', 'clustered', { 'service-upstream': 'true' }, b.get('a').port),
      site('pods.example.com', 'clustered', {}, b.get('a').port),
      ...serviceWithEndpoints('app', [pod('a'), pod('b'), pod('c')]),
      ...serviceWithEndpoints('mixed', [pod('d'), { ip: '127.0.0.1', port: slow.port }]),
      ...clustered,
    ]);
    assert.equal(await eventuallyServed(folder.gatehouse, 'pods.example.com', '/', '200 b'), '200 b');
  });

  after(async () => {
    await folder?.stop();
    await new Promise((resolve) => slow?.server.close(resolve));
  });

  async function podsOf(host: string, path: string, n: number): Promise<Map<string, number>> {
    assert.ok(folder);
    const counts = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const answer = await served('http', folder.gatehouse.httpPort, host, path);
      counts.set(answer, (counts.get(answer) ?? 0) + 1);
    }
    return counts;
  }

  it('sends every request with the same upstream-hash-by key to one pod, and spreads the keys', async () => {
    const seen = new Set<string>();
    for (let user = 0; user < 12; user++) {
      const counts = await podsOf('hash.example.com', `/?user=u${user}`, 8);
      assert.equal(counts.size, 1, `user u${user} went to ${JSON.stringify([...counts])}`);
      seen.add([...counts.keys()][0] ?? '');
    }
    assert.ok(seen.size >= 2, `12 keys all went to ${[...seen].join()}`);
  });

  it('keeps a key within one group of upstream-hash-by-subset-size pods', async () => {
    let spread = 0;
    for (let user = 0; user < 12; user++) {
      const counts = await podsOf('subset.example.com', `/?user=u${user}`, 20);
      assert.ok(counts.size <= 2, `user u${user} went to ${JSON.stringify([...counts])}`);
      if (counts.size === 2) spread++;
    }
    assert.ok(spread > 0, 'no key was spread over its group of two pods');
  });

  it('load-balance ewma sends few requests to a slow pod; round robin sends it half', async () => {
    const ewma = await podsOf('ewma.example.com', '/', 60);
    const rr = await podsOf('rr.example.com', '/', 60);
    const slowShare = (counts: Map<string, number>) => counts.get('200 slow') ?? 0;
    assert.ok(slowShare(rr) >= 20, `round robin sent ${slowShare(rr)} of 60 to the slow pod`);
    // Each worker learns on its own, and a loaded machine slows the fast pods too: a third at most.
    assert.ok(slowShare(ewma) <= 20, `ewma sent ${slowShare(ewma)} of 60 to the slow pod`);
    assert.ok(slowShare(ewma) < slowShare(rr) / 2, `ewma ${slowShare(ewma)}, round robin ${slowShare(rr)}`);
  });

  it("service-upstream proxies to the Service's cluster IP, not its pods", async () => {
    assert.deepEqual([...(await podsOf('cluster.example.com', '/', 10))], [['200 a', 10]]);
    assert.deepEqual([...(await podsOf('pods.example.com', '/', 10))], [['200 b', 10]]);
  });
});
