// Cookie session affinity through real NGINX: the first answer sets the cookie with the attributes the
// annotations ask for, and a client that sends it back stays on one pod (balanced and persistent modes);
// when that pod goes, the session moves and the cookie with it; session-cookie-change-on-failure decides
// whether a failed pod's sessions move to the pod that answered instead.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import { ingress, serviceWithEndpoints } from '../support/fixtures.ts';
import { eventually, request, type Reply } from '../support/http-client.ts';
import { echoOf, eventuallyServed, serveFolder, type ServedFolder } from '../support/integration.ts';
import { freePort } from '../support/ports.ts';

const A = 'nginx.ingress.kubernetes.io/';

function site(
  host: string,
  service: string,
  annotations: Record<string, string>,
  path = '/',
): KubernetesObject {
  return ingress({
    name: host.split('.')[0] ?? host,
    annotations: Object.fromEntries(Object.entries(annotations).map(([k, v]) => [A + k, v])),
    rules: [{ host, paths: [{ path, pathType: 'Prefix', service, port: 80 }] }],
  });
}

function setCookies(reply: Reply): string[] {
  const value = reply.headers['set-cookie'];
  return value === undefined ? [] : value;
}

/** The `name=value` of the reply's cookie called `name`. */
function cookieOf(reply: Reply, name: string): string | undefined {
  return setCookies(reply)
    .map((c) => c.split(';')[0] ?? '')
    .find((c) => c.startsWith(`${name}=`));
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

describe('cookie session affinity, through real NGINX', () => {
  let folder: ServedFolder | undefined;
  let closedPort = 0;

  const objects = (pods: string[]): KubernetesObject[] => {
    assert.ok(folder);
    const b = folder.backends;
    return [
      site(
        'sticky.example.com',
        'app',
        {
          affinity: 'cookie',
          'session-cookie-name': 'route',
          'session-cookie-max-age': '3600',
          'session-cookie-samesite': 'Lax',
        },
        '/shop',
      ),
      site('persist.example.com', 'app', {
        affinity: 'cookie',
        'affinity-mode': 'persistent',
        'session-cookie-path': '/',
        'session-cookie-domain': '.example.com',
        'session-cookie-expires': '60',
        'session-cookie-secure': 'true',
        'session-cookie-samesite': 'None',
        'session-cookie-conditional-samesite-none': 'true',
      }),
      site('keep.example.com', 'flaky', { affinity: 'cookie', 'affinity-mode': 'persistent' }),
      site('move.example.com', 'flaky', {
        affinity: 'cookie',
        'affinity-mode': 'persistent',
        'session-cookie-change-on-failure': 'true',
      }),
      // Half the new sessions go to the canary (pod c); each session stays where it began.
      site('mix.example.com', 'main', { affinity: 'cookie' }),
      ingress({
        name: 'mix-canary',
        annotations: { [`${A}canary`]: 'true', [`${A}canary-weight`]: '50' },
        rules: [
          { host: 'mix.example.com', paths: [{ path: '/', pathType: 'Prefix', service: 'c', port: 80 }] },
        ],
      }),
      ...serviceWithEndpoints('main', [
        { ip: b.get('a').host, port: b.get('a').port },
        { ip: b.get('b').host, port: b.get('b').port },
      ]),
      ...serviceWithEndpoints(
        'app',
        pods.map((p) => ({ ip: b.get(p).host, port: b.get(p).port })),
      ),
      ...serviceWithEndpoints('flaky', [
        { ip: b.get('a').host, port: b.get('a').port },
        { ip: '127.0.0.1', port: closedPort },
      ]),
    ];
  };

  before(async () => {
    closedPort = await freePort(); // nothing listens there: connections to it are refused
    folder = await serveFolder(['a', 'b', 'c'], []);
    await folder.write(objects(['a', 'b', 'c']));
    assert.equal(await eventuallyServed(folder.gatehouse, 'keep.example.com', '/', '200 a'), '200 a');
  });

  after(async () => {
    await folder?.stop();
  });

  const get = (host: string, path: string, headers: Record<string, string> = {}) => {
    assert.ok(folder);
    return request('http', folder.gatehouse.httpPort, host, path, { headers });
  };

  it('sets the cookie on a new session, and keeps a client that sends it back on one pod', async () => {
    const first = await get('sticky.example.com', '/shop/cart');
    assert.equal(first.status, 200);
    const [cookie] = setCookies(first);
    assert.match(
      cookie ?? '',
      /^route=[0-9a-f]+\.[0-9a-f]+; Path=\/shop; Max-Age=3600; HttpOnly; SameSite=Lax$/,
    );
    const session = cookieOf(first, 'route') ?? '';
    const pod = echoOf(first).backend;
    for (let i = 0; i < 20; i++) {
      const again = await get('sticky.example.com', '/shop/cart', { cookie: `other=1; ${session}` });
      assert.equal(echoOf(again).backend, pod);
      assert.deepEqual(setCookies(again), [], 'a known session gets no new cookie');
    }
    // Without the cookie, clients spread over the pods.
    const pods = new Set<string>();
    for (let i = 0; i < 30; i++) pods.add(echoOf(await get('sticky.example.com', '/shop')).backend);
    assert.ok(pods.size >= 2, `30 new sessions all went to ${[...pods].join()}`);
  });

  it('prints the persistent cookie attributes, leaving SameSite=None out for browsers that reject it', async () => {
    const first = await get('persist.example.com', '/');
    const [cookie] = setCookies(first);
    assert.match(
      cookie ?? '',
      /^INGRESSCOOKIE=[0-9a-f]{16}\.[0-9a-f]{8}; Path=\/; Domain=\.example\.com; Expires=[A-Z][a-z]{2}, \d\d-[A-Z][a-z]{2}-\d{2} \d\d:\d\d:\d\d GMT; HttpOnly; Secure; SameSite=None$/,
    );
    const session = cookieOf(first, 'INGRESSCOOKIE') ?? '';
    const pod = echoOf(first).backend;
    for (let i = 0; i < 10; i++)
      assert.equal(echoOf(await get('persist.example.com', '/', { cookie: session })).backend, pod);
    const old = await get('persist.example.com', '/', {
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/59.0.3071.115 Safari/537.36',
    });
    assert.match(setCookies(old)[0] ?? '', /; Secure$/);
  });

  it('keeps a session on the canary or off it, whatever the weight draws next', async () => {
    const began = new Map<string, number>();
    for (let i = 0; i < 16; i++) {
      const first = await get('mix.example.com', '/');
      const session = cookieOf(first, 'INGRESSCOOKIE');
      assert.ok(session !== undefined, 'every new session gets a cookie, on the canary too');
      const pod = echoOf(first).backend;
      began.set(pod, (began.get(pod) ?? 0) + 1);
      for (let j = 0; j < 5; j++)
        assert.equal(echoOf(await get('mix.example.com', '/', { cookie: session })).backend, pod);
    }
    assert.ok(
      (began.get('c') ?? 0) > 0 && (began.get('c') ?? 0) < 16,
      `sessions began on ${JSON.stringify([...began])}`,
    );
  });

  it('moves a session whose pod left the Service, with a new cookie', async () => {
    assert.ok(folder);
    const sessions: { cookie: string; pod: string }[] = [];
    while (!sessions.some((s) => s.pod === 'b')) {
      const first = await get('persist.example.com', '/');
      sessions.push({ cookie: cookieOf(first, 'INGRESSCOOKIE') ?? '', pod: echoOf(first).backend });
    }
    const onB = sessions.find((s) => s.pod === 'b');
    assert.ok(onB);
    await folder.write(objects(['a', 'c']));
    await eventuallyServed(folder.gatehouse, 'keep.example.com', '/', '200 a');
    const moved = await eventually(
      () => get('persist.example.com', '/', { cookie: onB.cookie }),
      (r) => r.status === 200 && echoOf(r).backend !== 'b',
    );
    assert.notEqual(echoOf(moved).backend, 'b');
    const renewed = cookieOf(moved, 'INGRESSCOOKIE');
    assert.ok(renewed !== undefined && renewed !== onB.cookie, 'the session got a new cookie');
    for (let i = 0; i < 5; i++)
      assert.equal(
        echoOf(await get('persist.example.com', '/', { cookie: renewed })).backend,
        echoOf(moved).backend,
      );
    await folder.write(objects(['a', 'b', 'c']));
  });

  it('keeps the cookie of a failed pod by default, and moves it with session-cookie-change-on-failure', async () => {
    // The persistent cookie of the endpoint nothing listens on.
    const backend = 'default_flaky_80';
    const dead = `INGRESSCOOKIE=${md5(`${backend}|127.0.0.1:${closedPort}`).slice(0, 16)}.${md5(backend).slice(0, 8)}`;
    const kept = await get('keep.example.com', '/', { cookie: dead });
    assert.equal(echoOf(kept).backend, 'a', 'the retry reached the live pod');
    assert.deepEqual(setCookies(kept), []);
    const moved = await get('move.example.com', '/', { cookie: dead });
    assert.equal(echoOf(moved).backend, 'a');
    assert.ok(folder);
    const live = md5(`${backend}|${folder.backends.get('a').host}:${folder.backends.get('a').port}`).slice(
      0,
      16,
    );
    assert.match(setCookies(moved)[0] ?? '', new RegExp(`^INGRESSCOOKIE=${live}\\.`));
  });
});
