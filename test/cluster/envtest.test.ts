// Smoke test for the envtest helper: a real kube-apiserver + etcd.
// Needs the binaries from `bash scripts/build-envtest.sh`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpsRequest, createServer as createHttpsServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { execFile } from 'node:child_process';
import { readFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { envtestBinDir, startTestCluster } from '../support/cluster.ts';
import type { TestCluster } from '../support/cluster.ts';

interface Auth {
  ca: Buffer;
  cert?: Buffer;
  key?: Buffer;
  token?: string;
}

interface Resp {
  status: number;
  body: string;
  json: unknown;
}

// The few response shapes this test reads.
interface Status {
  message: string;
}
interface ConfigMap {
  data?: Record<string, string>;
}
interface List {
  items: { metadata: { name: string } }[];
}
interface AdmissionReview {
  request: { uid: string; name?: string; object?: { metadata?: { name?: string } } };
}

function json(r: Resp): unknown {
  assert.ok(r.json !== undefined, `expected a JSON body, got HTTP ${r.status}: ${r.body}`);
  return r.json;
}

function call(server: string, auth: Auth, method: string, path: string, body?: unknown): Promise<Resp> {
  const url = new URL(path, server);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        ca: auth.ca,
        cert: auth.cert,
        key: auth.key,
        agent: false,
        timeout: 15000,
        headers: {
          accept: 'application/json',
          ...(auth.token ? { authorization: `Bearer ${auth.token}` } : {}),
          ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: text, json: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(payload);
  });
}

function exec(bin: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: 60000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') reject(new Error(`${bin}: ${err.message}`));
      else resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
  });
}

async function run(bin: string, args: string[]): Promise<string> {
  const r = await exec(bin, args);
  if (r.code !== 0) throw new Error(`${bin} ${args.join(' ')} exited ${r.code}\n${r.stderr}`);
  return r.stdout;
}

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}${lastErr instanceof Error ? `: ${lastErr.message}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

void test('envtest: real kube-apiserver + etcd', { timeout: 240000 }, async (t) => {
  const binDir = envtestBinDir();
  assert.ok(
    binDir,
    'envtest binaries not found: run `bash scripts/build-envtest.sh` first (or set GATEHOUSE_ENVTEST_BIN to a dir with kube-apiserver, etcd, kubectl, helm)',
  );

  const cluster: TestCluster = await startTestCluster({ binDir, log: (l) => t.diagnostic(l) });
  t.after(() => cluster.stop());

  const ca = await readFile(cluster.caPath);
  const admin: Auth = {
    ca,
    cert: await readFile(cluster.adminCertPath),
    key: await readFile(cluster.adminKeyPath),
  };
  const api = (method: string, path: string, body?: unknown): Promise<Resp> =>
    call(cluster.server, admin, method, path, body);
  const ns = 'gatehouse-smoke';

  await t.test('server is up, reports its version, admin is system:masters', async () => {
    assert.match(cluster.server, /^https:\/\/127\.0\.0\.1:\d+$/);
    const v = await api('GET', '/version');
    assert.equal(v.status, 200, v.body);
    assert.match((json(v) as { gitVersion: string }).gitVersion, /^v1\.\d+\.\d+/);
    const review = await api('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'SelfSubjectReview',
    });
    assert.equal(review.status, 201, review.body);
    const { userInfo } = (json(review) as { status: { userInfo: { username: string; groups: string[] } } })
      .status;
    assert.equal(userInfo.username, 'admin');
    assert.ok(userInfo.groups.includes('system:masters'));
  });

  await t.test('create a namespace and a ConfigMap', async () => {
    const n = await api('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns },
    });
    assert.equal(n.status, 201, n.body);
    const cm = await api('POST', `/api/v1/namespaces/${ns}/configmaps`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'smoke' },
      data: { hello: 'world' },
    });
    assert.equal(cm.status, 201, cm.body);
    const got = await api('GET', `/api/v1/namespaces/${ns}/configmaps/smoke`);
    assert.equal(got.status, 200, got.body);
    assert.deepEqual((json(got) as ConfigMap).data, { hello: 'world' });
  });

  await t.test('kubectl and helm work with the admin kubeconfig', async () => {
    const kubectl = join(binDir, 'kubectl');
    const helm = join(binDir, 'helm');
    await access(kubectl);
    await access(helm);
    const out = await run(kubectl, [
      '--kubeconfig',
      cluster.adminKubeconfigPath,
      'get',
      'configmap',
      'smoke',
      '-n',
      ns,
      '-o',
      'json',
    ]);
    assert.equal((JSON.parse(out) as ConfigMap).data?.hello, 'world');
    const releases = await run(helm, [
      '--kubeconfig',
      cluster.adminKubeconfigPath,
      'list',
      '-A',
      '-o',
      'json',
    ]);
    assert.deepEqual(JSON.parse(releases), []);
  });

  let saToken = '';
  await t.test('a ServiceAccount without RBAC is forbidden; with a Role it is allowed', async () => {
    const kubeconfigPath = await cluster.serviceAccountKubeconfig(ns, 'reader');
    const kubeconfig = await readFile(kubeconfigPath, 'utf8');
    const m = /token: "([^"]+)"/.exec(kubeconfig);
    const token = m?.[1];
    assert.ok(token, 'kubeconfig has a token');
    saToken = token;
    assert.ok(kubeconfig.includes(cluster.server));
    const sa: Auth = { ca, token: saToken };

    const secrets = await call(cluster.server, sa, 'GET', `/api/v1/namespaces/${ns}/secrets`);
    assert.equal(secrets.status, 403, secrets.body);
    assert.match((json(secrets) as Status).message, new RegExp(`system:serviceaccount:${ns}:reader`));

    // Same kubeconfig through kubectl.
    const kubectl = join(binDir, 'kubectl');
    const canI = await exec(kubectl, [
      '--kubeconfig',
      kubeconfigPath,
      'auth',
      'can-i',
      'list',
      'secrets',
      '-n',
      ns,
    ]);
    assert.equal(canI.stdout.trim(), 'no', canI.stderr);
    assert.equal(canI.code, 1);

    const role = await api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'cm-reader' },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }],
    });
    assert.equal(role.status, 201, role.body);
    const binding = await api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'cm-reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }],
    });
    assert.equal(binding.status, 201, binding.body);
    const list = await eventually('RBAC to allow listing configmaps', async () => {
      const r = await call(cluster.server, sa, 'GET', `/api/v1/namespaces/${ns}/configmaps`);
      return r.status === 200 ? r : undefined;
    });
    assert.ok((json(list) as List).items.some((i) => i.metadata.name === 'smoke'));
    const stillDenied = await call(cluster.server, sa, 'GET', `/api/v1/namespaces/${ns}/secrets`);
    assert.equal(stillDenied.status, 403);
  });

  await t.test('a ValidatingWebhookConfiguration can call a webhook on 127.0.0.1', async (st) => {
    const { certPath, keyPath } = await cluster.issueServingCert('smoke-webhook');
    const calls: string[] = [];
    const server: Server = createHttpsServer(
      { cert: await readFile(certPath), key: await readFile(keyPath) },
      (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as AdmissionReview;
          const name = review.request.name ?? review.request.object?.metadata?.name ?? '';
          calls.push(name);
          const allowed = !name.startsWith('denied');
          res.setHeader('content-type', 'application/json');
          res.end(
            JSON.stringify({
              apiVersion: 'admission.k8s.io/v1',
              kind: 'AdmissionReview',
              response: {
                uid: review.request.uid,
                allowed,
                ...(allowed ? {} : { status: { code: 403, message: 'denied by the smoke webhook' } }),
              },
            }),
          );
        });
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    st.after(() => {
      server.closeAllConnections();
      server.close();
    });
    const port = (server.address() as AddressInfo).port;

    // Namespaces carry the automatic kubernetes.io/metadata.name label.
    const vwc = await api('POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'gatehouse-smoke' },
      webhooks: [
        {
          name: 'deny.smoke.gatehouse.test',
          admissionReviewVersions: ['v1'],
          sideEffects: 'None',
          failurePolicy: 'Fail',
          timeoutSeconds: 5,
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
          rules: [
            { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] },
          ],
          clientConfig: { url: `https://127.0.0.1:${port}/validate`, caBundle: ca.toString('base64') },
        },
      ],
    });
    assert.equal(vwc.status, 201, vwc.body);

    let attempt = 0;
    const denied = await eventually('the webhook to deny a ConfigMap', async () => {
      const r = await api('POST', `/api/v1/namespaces/${ns}/configmaps`, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `denied-${attempt++}` },
      });
      return r.status === 201 ? undefined : r;
    });
    assert.equal(denied.status, 403, denied.body);
    assert.match(
      (json(denied) as Status).message,
      /deny\.smoke\.gatehouse\.test.*denied by the smoke webhook/,
    );
    const allowed = await api('POST', `/api/v1/namespaces/${ns}/configmaps`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'allowed' },
    });
    assert.equal(allowed.status, 201, allowed.body);
    assert.ok(calls.includes('allowed'), `webhook saw: ${calls.join(',')}`);

    const del = await api(
      'DELETE',
      '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/gatehouse-smoke',
    );
    assert.equal(del.status, 200, del.body);
  });

  await t.test('API outage: stop and restart kube-apiserver, data survives', async () => {
    await cluster.stopApiServer();
    await assert.rejects(api('GET', '/readyz'), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');

    await cluster.startApiServer();
    assert.equal((await api('GET', '/readyz')).status, 200);
    const got = await api('GET', `/api/v1/namespaces/${ns}/configmaps/smoke`);
    assert.equal(got.status, 200, got.body);
    assert.deepEqual((json(got) as ConfigMap).data, { hello: 'world' });
    // The ServiceAccount token stays valid (same signing key).
    const sa: Auth = { ca, token: saToken };
    const list = await call(cluster.server, sa, 'GET', `/api/v1/namespaces/${ns}/configmaps`);
    assert.equal(list.status, 200, list.body);
    const secrets = await call(cluster.server, sa, 'GET', `/api/v1/namespaces/${ns}/secrets`);
    assert.equal(secrets.status, 403, secrets.body);
  });

  await t.test('stop() tears everything down', async () => {
    const dir = cluster.dir;
    await cluster.stop();
    await assert.rejects(access(dir));
    await assert.rejects(api('GET', '/readyz'));
    await cluster.stop(); // idempotent
  });
});
