import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ingress } from '../support/fixtures.ts';
import {
  eventuallyServed,
  runCli,
  serveFolder,
  waitForLog,
  type ServedFolder,
} from '../support/integration.ts';

// The live controller explains itself: `gatehouse status`, `gatehouse diff` and the /debug/ endpoints on
// the health port show what it serves, what it refused and what each reload changed, and each reload's
// log line names the change.
const HOST = 'shop.example.com';

function shop(paths: string[]) {
  return ingress({
    name: 'shop',
    rules: [
      {
        host: HOST,
        paths: paths.map((p) => ({ path: `/${p}`, pathType: 'Prefix' as const, service: p, port: 80 })),
      },
    ],
  });
}
const bad = ingress({
  name: 'bad',
  annotations: { 'nginx.ingress.kubernetes.io/proxy-read-timeout': 'forever' },
  rules: [{ host: 'bad.example.com', paths: [{ path: '/', service: 'api', port: 80 }] }],
});

describe('inspecting the live controller', () => {
  let served: ServedFolder;
  let controller: string;
  const debug = async (path: string): Promise<{ status: number; body: string }> => {
    const res = await fetch(`${controller}/debug/${path}`);
    return { status: res.status, body: await res.text() };
  };

  before(async () => {
    served = await serveFolder(['api', 'cart', 'api2'], [shop(['api']), bad]);
    controller = `http://127.0.0.1:${served.gatehouse.healthzPort}`;
  });
  after(async () => {
    await served.stop();
  });

  it('gatehouse status names the served config and every rejected object with its reason', async () => {
    const { code, stdout, stderr } = await runCli(['status', '--controller', controller]);
    assert.equal(code, 0, stderr);
    const healthz = await (await fetch(`${controller}/healthz`)).text();
    const checksum = /checksum ([0-9a-f]{32})/.exec(healthz)?.[1];
    assert.ok(checksum);
    assert.match(stdout, new RegExp(`^serving: +${checksum} \\(applied `, 'm'));
    assert.match(stdout, /^ingresses: +1 served, 1 rejected$/m);
    assert.match(
      stdout,
      /^ {2}error: Ingress default\/bad: metadata\.annotations\[nginx\.ingress\.kubernetes\.io\/proxy-read-timeout\]: /m,
    );
    const json = await runCli(['status', '--controller', controller, '--json']);
    const parsed = JSON.parse(json.stdout) as {
      serving: string;
      ingresses: { name: string; outcome: string }[];
    };
    assert.equal(parsed.serving, checksum);
    assert.deepEqual(
      parsed.ingresses.map((i) => `${i.name} ${i.outcome}`),
      ['bad rejected', 'shop served'],
    );
  });

  it('a reload logs what changed, and gatehouse diff shows the diff with its trigger', async () => {
    await served.write([shop(['api', 'cart']), bad]);
    assert.equal(await eventuallyServed(served.gatehouse, HOST, '/cart', '200 cart'), '200 cart');
    await waitForLog(
      served.gatehouse,
      /nginx reloaded \{"changed":"\+path shop\.example\.com \/cart\/, \+path shop\.example\.com = \/cart, \+upstream default_cart_80"/,
    );
    const { code, stdout, stderr } = await runCli(['diff', '--controller', controller]);
    assert.equal(code, 0, stderr);
    const [header, ...rest] = stdout.split('\n===');
    assert.match(header ?? '', /^# \S+ nginx reloaded: [0-9a-f]{32} -> [0-9a-f]{32}$/m);
    assert.match(header ?? '', /^# triggered by: ~Ingress default\/shop$/m);
    assert.match(
      header ?? '',
      /^# changed: \+path shop\.example\.com \/cart\/, \+path shop\.example\.com = \/cart, /m,
    );
    const diff = rest.join('\n===');
    assert.match(diff, /^--- a\/nginx\.conf/m);
    assert.match(diff, /^\+ +location = "\/cart" \{$/m);
    assert.match(diff, /^\+ +set \$gatehouse_upstream default_cart_80;$/m);
    assert.doesNotMatch(diff, /^[-+] +location = "\/api" \{$/m, 'an unchanged location is not in the diff');
  });

  it('a change of endpoints is named in the reload line and in /debug/endpoints', async () => {
    await served.write([shop(['api', 'cart']), bad, ...served.backends.service('api', 'api', 'api2')]);
    // Endpoints alone: pushed to NGINX without a reload.
    await waitForLog(
      served.gatehouse,
      /nginx endpoints updated without a reload \{"changed":"endpoints default_api_80 1→2"/,
    );
    const api = served.backends.get('api');
    const api2 = served.backends.get('api2');
    const { body } = await debug('endpoints');
    assert.match(
      body,
      /^\(live: as NGINX's workers use them\)$/m,
      'read from NGINX, not from the last render',
    );
    assert.match(
      body,
      new RegExp(
        `^default_api_80 \\(service default/api port 80\\): (${api.host}:${api.port} ${api2.host}:${api2.port}|${api2.host}:${api2.port} ${api.host}:${api.port})$`,
        'm',
      ),
    );
    const history = await runCli(['diff', '--controller', controller, '-n', '3']);
    assert.equal((history.stdout.match(/^# \S+ nginx (started|reloaded|updated):/gm) ?? []).length, 3);
    assert.match(history.stdout, /^# triggered by: .*EndpointSlice default\/api-/m);
  });

  it('serves the live nginx.conf, but never a certificate', async () => {
    const conf = await debug('config');
    assert.equal(conf.status, 200);
    const healthz = await (await fetch(`${controller}/healthz`)).text();
    assert.ok(conf.body.includes(`# checksum ${/checksum ([0-9a-f]{32})/.exec(healthz)?.[1] ?? 'none'}`));
    const files = JSON.parse((await debug('config?format=json')).body) as { files: { path: string }[] };
    assert.ok(files.files.some((f) => f.path === 'certs/default.pem'));
    const cert = await debug('config?file=certs/default.pem');
    assert.equal(cert.status, 403);
    assert.doesNotMatch(cert.body, /PRIVATE KEY/);
  });

  it('lists rejected objects on /debug/rejected', async () => {
    const { body } = await debug('rejected');
    assert.match(body, /^error: Ingress default\/bad: /m);
  });

  it('gatehouse status says so when no controller answers', async () => {
    const { code, stderr } = await runCli(['status', '--controller', 'http://127.0.0.1:1']);
    assert.equal(code, 1);
    assert.match(stderr, /cannot reach the controller at http:\/\/127\.0\.0\.1:1/);
  });
});

describe('inspection turned off', () => {
  it('answers 403 on /debug/ and still serves /healthz and /metrics', async () => {
    const served = await serveFolder(['api'], [shop(['api'])], ['--inspection', 'off']);
    try {
      const base = `http://127.0.0.1:${served.gatehouse.healthzPort}`;
      assert.equal((await fetch(`${base}/debug/status`)).status, 403);
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      assert.equal((await fetch(`${base}/metrics`)).status, 200);
    } finally {
      await served.stop();
    }
  });
});
