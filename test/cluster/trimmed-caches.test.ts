// The informer caches keep only what translate reads (src/sources/kube/trim.ts): Secret data outside the
// keys Gatehouse uses is dropped on arrival, except for a Secret an Ingress names as an auth-map, whose every
// key is a user. What a user sees must not change: a TLS Secret with extra keys still serves its
// certificate, and an auth-map Secret that existed before the Ingress naming it (so it arrived trimmed)
// still lets each of its users in.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterGatehouse } from '../support/cluster-gatehouse.ts';
import { startClusterEnv, type ClusterEnv } from '../support/cluster-env.ts';
import { answer } from '../support/cluster-traffic.ts';
import {
  certificateFor,
  ingress,
  ingressClass,
  opaqueSecret,
  serviceWithEndpoints,
  tlsSecret,
} from '../support/fixtures.ts';
import { HASHES, PASSWORD, basic } from '../support/htpasswd.ts';
import { eventually, request } from '../support/http-client.ts';

describe('trimmed informer caches', () => {
  let env: ClusterEnv | undefined;
  let gatehouse: ClusterGatehouse | undefined;

  before(async () => {
    env = await startClusterEnv();
    const app = await env.backend('app');
    const certificate = await certificateFor('secure.test');
    const withExtra = tlsSecret('secure-tls', certificate) as ReturnType<typeof tlsSecret> & {
      data: Record<string, string>;
    };
    withExtra.data['notes.txt'] = Buffer.from('not read by Gatehouse').toString('base64');
    await env.apply(
      ingressClass(),
      ...serviceWithEndpoints('app', [{ ip: app.host, port: app.port }]),
      withExtra,
      // Users are keys: none of them is one of the keys kept for every Secret.
      opaqueSecret('users', { alice: HASHES.bcrypt, bob: HASHES.sha512 }),
    );
    gatehouse = await env.gatehouse({ podName: 'gatehouse-0' });
  });
  after(async () => {
    await env?.stop();
  });

  it('a TLS Secret with keys Gatehouse does not read still serves its certificate', async () => {
    assert.ok(env && gatehouse);
    const g = gatehouse;
    await env.apply(
      ingress({
        name: 'secure',
        rules: [{ host: 'secure.test', paths: [{ service: 'app', port: 80 }] }],
        tls: [{ hosts: ['secure.test'], secretName: 'secure-tls' }],
      }),
    );
    const cn = await eventually(
      () => request('https', g.httpsPort, 'secure.test', '/').then((r) => r.certificateCN ?? ''),
      (v) => v === 'secure.test',
      20_000,
    );
    assert.equal(cn, 'secure.test');
  });

  it('an auth-map Secret that arrived before its Ingress lets every user in', async () => {
    assert.ok(env && gatehouse);
    const g = gatehouse;
    await env.apply(
      ingress({
        name: 'locked',
        annotations: {
          'nginx.ingress.kubernetes.io/auth-type': 'basic',
          'nginx.ingress.kubernetes.io/auth-secret': 'users',
          'nginx.ingress.kubernetes.io/auth-secret-type': 'auth-map',
        },
        rules: [{ host: 'locked.test', paths: [{ service: 'app', port: 80 }] }],
      }),
    );
    const as = (user: string): Promise<string> =>
      answer('http', g.httpPort, 'locked.test', '/', { headers: { authorization: basic(user, PASSWORD) } });
    assert.equal(
      await eventually(
        () => as('alice'),
        (v) => v === '200 app',
        20_000,
      ),
      '200 app',
      g.logs().slice(-3000),
    );
    assert.equal(await as('bob'), '200 app');
    assert.equal(await answer('http', g.httpPort, 'locked.test'), '401');
    assert.equal(await as('mallory'), '401');
  });
});
