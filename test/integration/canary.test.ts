// Canary Ingresses through real NGINX: a canary adds no routes of its own; it takes its weight of the main
// Ingress's requests on the same host and path, every request its header or cookie sends there, none its
// header or cookie keeps off, and nothing across namespaces. A weight change is live without a reload, and
// the traffic metrics name the canary.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { ingress, serviceWithEndpoints } from '../support/fixtures.ts';
import { request, type RequestOptions } from '../support/http-client.ts';
import { countMatches, served, serveFolder, waitForLog, type ServedFolder } from '../support/integration.ts';
import { eventually } from '../support/http-client.ts';
import { scrape, settledScrape, valueOf } from '../support/prometheus.ts';
import path from 'node:path';
import { socketRequest } from '../../src/nginx/dynamic-client.ts';

const A = 'nginx.ingress.kubernetes.io/';

function site(
  name: string,
  host: string,
  service: string,
  annotations: Record<string, string> = {},
  namespace = 'default',
): KubernetesObject {
  return ingress({
    name,
    namespace,
    annotations: Object.fromEntries(Object.entries(annotations).map(([k, v]) => [A + k, v])),
    rules: [{ host, paths: [{ path: '/', pathType: 'Prefix', service, port: 80 }] }],
  });
}

function objects(weight: string): KubernetesObject[] {
  return [
    site('shop', 'shop.example.com', 'stable'),
    site('shop-canary', 'shop.example.com', 'preview', {
      canary: 'true',
      'canary-weight': weight,
      'canary-by-header': 'X-Canary',
      'canary-by-cookie': 'canary',
    }),
    site('beta', 'beta.example.com', 'stable'),
    site('beta-canary', 'beta.example.com', 'preview', {
      canary: 'true',
      'canary-by-header': 'X-Group',
      'canary-by-header-value': 'beta',
    }),
    site('qa', 'qa.example.com', 'stable'),
    site('qa-canary', 'qa.example.com', 'preview', {
      canary: 'true',
      'canary-by-header': 'X-Group',
      'canary-by-header-pattern': '^(qa|beta)-[0-9]+$',
    }),
    // Nothing serves this host: the canary is reported.
    site('lost-canary', 'lost.example.com', 'preview', { canary: 'true', 'canary-weight': '50' }),
    // Another tenant's canary for the shop: reported, and it never gets a request.
    site('intruder', 'shop.example.com', 'thief', { canary: 'true', 'canary-by-header': 'X-Other' }, 'other'),
    ...serviceWithEndpoints('thief', [{ ip: '127.0.0.1', port: 9 }], { namespace: 'other' }),
  ];
}

describe('canary Ingresses, through real NGINX', () => {
  let folder: ServedFolder | undefined;

  before(async () => {
    folder = await serveFolder(['stable', 'preview'], objects('20'));
  });

  after(async () => {
    await folder?.stop();
  });

  /** Which backend answered each of `n` requests, counted. */
  async function tally(host: string, n: number, options: RequestOptions = {}): Promise<Map<string, number>> {
    assert.ok(folder);
    const counts = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const answer = await served('http', folder.gatehouse.httpPort, host, '/', options);
      counts.set(answer, (counts.get(answer) ?? 0) + 1);
    }
    return counts;
  }

  it('sends about canary-weight percent of the requests to the canary, the rest to the main Service', async () => {
    const counts = await tally('shop.example.com', 600);
    const canary = counts.get('200 preview') ?? 0;
    assert.equal(canary + (counts.get('200 stable') ?? 0), 600, JSON.stringify([...counts]));
    // 20% of 600 is 120, give or take 10 (one standard deviation); a fair 20% lands in 70..170 except by
    // a five-sigma fluke.
    assert.ok(canary >= 70 && canary <= 170, `canary took ${canary} of 600`);
  });

  it('follows the header first, then the cookie: always and never', async () => {
    const header = (v: string) => ({ 'x-canary': v });
    assert.deepEqual(
      [...(await tally('shop.example.com', 20, { headers: header('always') }))],
      [['200 preview', 20]],
    );
    assert.deepEqual(
      [...(await tally('shop.example.com', 20, { headers: header('never') }))],
      [['200 stable', 20]],
    );
    assert.deepEqual(
      [...(await tally('shop.example.com', 20, { headers: { cookie: 'canary=always' } }))],
      [['200 preview', 20]],
    );
    assert.deepEqual(
      [...(await tally('shop.example.com', 20, { headers: { cookie: 'other=1; canary=never' } }))],
      [['200 stable', 20]],
    );
    // The header decides over the cookie; a header value it does not know leaves it to the cookie.
    assert.deepEqual(
      [
        ...(await tally('shop.example.com', 20, {
          headers: { ...header('never'), cookie: 'canary=always' },
        })),
      ],
      [['200 stable', 20]],
    );
    assert.deepEqual(
      [
        ...(await tally('shop.example.com', 20, {
          headers: { ...header('maybe'), cookie: 'canary=always' },
        })),
      ],
      [['200 preview', 20]],
    );
  });

  it('matches canary-by-header-value exactly, and canary-by-header-pattern as a regex', async () => {
    assert.deepEqual(
      [...(await tally('beta.example.com', 10, { headers: { 'x-group': 'beta' } }))],
      [['200 preview', 10]],
    );
    // With a value set, "always" is just another value; without a header, weight 0 keeps all on the main.
    assert.deepEqual(
      [...(await tally('beta.example.com', 10, { headers: { 'x-group': 'always' } }))],
      [['200 stable', 10]],
    );
    assert.deepEqual([...(await tally('beta.example.com', 10))], [['200 stable', 10]]);
    assert.deepEqual(
      [...(await tally('qa.example.com', 10, { headers: { 'x-group': 'qa-12' } }))],
      [['200 preview', 10]],
    );
    assert.deepEqual(
      [...(await tally('qa.example.com', 10, { headers: { 'x-group': 'qa-x' } }))],
      [['200 stable', 10]],
    );
  });

  it('adds no routes: a canary without a main Ingress serves nothing and is reported by name', async () => {
    assert.ok(folder);
    assert.equal(await served('http', folder.gatehouse.httpPort, 'lost.example.com', '/'), '404');
    await waitForLog(
      folder.gatehouse,
      /Ingress default\/lost-canary.*canary: no Ingress in namespace default serves host lost\.example\.com path \//,
    );
  });

  it("never joins another namespace's Ingress", async () => {
    assert.ok(folder);
    assert.deepEqual(
      [...(await tally('shop.example.com', 10, { headers: { 'x-other': 'always', 'x-canary': 'never' } }))],
      [['200 stable', 10]],
    );
    const logs = await waitForLog(
      folder.gatehouse,
      /Ingress other\/intruder.*canary: no Ingress in namespace other serves host shop\.example\.com/,
    );
    assert.ok(!/intruder[^\n]*default\/shop/.test(logs), 'the message names the other tenant');
  });

  it('counts canary requests under the canary label', async () => {
    assert.ok(folder);
    const { healthzPort, httpPort } = folder.gatehouse;
    // Earlier tests' canary requests may still be in NGINX's metrics log buffer.
    const before = await settledScrape(healthzPort);
    const labels = {
      namespace: 'default',
      ingress: 'shop',
      service: 'stable',
      host: 'shop.example.com',
      method: 'GET',
      status: '2xx',
    };
    const was =
      valueOf(before, 'nginx_ingress_controller_requests', { ...labels, canary: 'default_preview_80' }) ?? 0;
    for (let i = 0; i < 5; i++)
      assert.equal(
        (await request('http', httpPort, 'shop.example.com', '/', { headers: { 'x-canary': 'always' } }))
          .status,
        200,
      );
    const now = await eventually(
      () => scrape(healthzPort),
      (s) =>
        valueOf(s, 'nginx_ingress_controller_requests', { ...labels, canary: 'default_preview_80' }) ===
        was + 5,
    );
    assert.equal(
      valueOf(now, 'nginx_ingress_controller_requests', { ...labels, canary: 'default_preview_80' }),
      was + 5,
    );
  });

  it('refuses a canary policy of another shape on the status socket, and keeps the state', async () => {
    assert.ok(folder);
    const socket = path.join(folder.gatehouse.confDir, 'run', 'status.sock');
    const { id } = JSON.parse((await socketRequest(socket, 'GET', '/gatehouse/state')).body) as {
      id: string;
    };
    const policy = { backend: 'default_preview_80', weight: 1, total: 1 };
    for (const bad of [
      { ...policy, backend: 'a b' },
      { ...policy, weight: 0.5 },
      { ...policy, total: 0 },
      { ...policy, header: 'X-A\r\nX-B' },
      { ...policy, pattern: '"; os.exit()' },
      { ...policy, cookie: 'a=b' },
    ]) {
      const change = JSON.stringify({ id: 'evil', set: { canaries: { canary_evil: bad } } });
      const reply = await socketRequest(socket, 'POST', '/gatehouse/state', change);
      assert.equal(reply.status, 400, JSON.stringify(bad));
    }
    const after = JSON.parse((await socketRequest(socket, 'GET', '/gatehouse/state')).body) as { id: string };
    assert.equal(after.id, id);
    assert.equal(
      await served('http', folder.gatehouse.httpPort, 'beta.example.com', '/', {
        headers: { 'x-group': 'beta' },
      }),
      '200 preview',
    );
  });

  it('applies a new canary-weight without a reload', async () => {
    assert.ok(folder);
    const reloads = countMatches(folder.gatehouse.logs(), 'nginx reloaded');
    await folder.write(objects('100'));
    const all = await eventually(
      () => tally('shop.example.com', 20),
      (counts) => counts.get('200 preview') === 20,
    );
    assert.deepEqual([...all], [['200 preview', 20]]);
    assert.equal(countMatches(folder.gatehouse.logs(), 'nginx reloaded'), reloads);
  });
});

// While the state holds no policy, the balancer reads no $gatehouse_policy (state.lua counts the policies):
// a canary that arrives later, or leaves, must still be seen at once.
describe('a canary added to, then removed from, a running controller that started without one', () => {
  let folder: ServedFolder | undefined;

  before(async () => {
    folder = await serveFolder(['stable', 'preview'], [site('shop', 'shop.example.com', 'stable')]);
  });

  after(async () => {
    await folder?.stop();
  });

  async function answers(n: number): Promise<string[]> {
    assert.ok(folder);
    const seen = new Set<string>();
    for (let i = 0; i < n; i++)
      seen.add(await served('http', folder.gatehouse.httpPort, 'shop.example.com', '/'));
    return [...seen].sort();
  }

  it('takes its traffic once it is served, and none after it is gone', async () => {
    assert.ok(folder);
    assert.deepEqual(await answers(5), ['200 stable']);
    const canary = site('shop-canary', 'shop.example.com', 'preview', {
      canary: 'true',
      'canary-weight': '100',
    });
    await folder.write([site('shop', 'shop.example.com', 'stable'), canary]);
    assert.deepEqual(
      await eventually(
        () => answers(10),
        (seen) => seen.length === 1 && seen[0] === '200 preview',
      ),
      ['200 preview'],
    );
    await folder.write([site('shop', 'shop.example.com', 'stable')]);
    assert.deepEqual(
      await eventually(
        () => answers(10),
        (seen) => seen.length === 1 && seen[0] === '200 stable',
      ),
      ['200 stable'],
    );
  });
});
