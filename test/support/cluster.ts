// Test helper: a real Kubernetes API server ("envtest") for integration tests.
//
// Starts etcd and kube-apiserver (built by scripts/build-envtest.sh) on free
// loopback ports, with a throw-away CA, client-certificate authentication, RBAC
// and service-account tokens. There is no controller-manager, scheduler or
// kubelet: nothing reconciles (no EndpointSlices for Services, no default
// ServiceAccount per namespace, deleted namespaces stay Terminating).
//
// Node built-ins only (runs with Node's type stripping), certificates via the
// `openssl` CLI.

import { spawn, execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { rmSync, existsSync, realpathSync } from 'node:fs';
import { mkdtemp, writeFile, readFile, rm, open } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface TestCluster {
  /** https://127.0.0.1:PORT */
  server: string;
  /** Kubeconfig with the admin client certificate (CN=admin, O=system:masters). */
  adminKubeconfigPath: string;
  /** CA certificate (PEM) that signed the serving cert and all client certs. */
  caPath: string;
  /** Temp dir holding certs, kubeconfigs, etcd data and logs (removed by stop()). */
  dir: string;
  /** Admin client certificate and key (PEM files), for node:https requests. */
  adminCertPath: string;
  adminKeyPath: string;
  /** Log files of the two processes. */
  apiServerLogPath: string;
  etcdLogPath: string;
  /**
   * Creates the namespace and ServiceAccount if missing, obtains a token via
   * the TokenRequest API, writes a kubeconfig file and returns its path.
   * RBAC for the ServiceAccount is the caller's job.
   */
  serviceAccountKubeconfig(namespace: string, name: string): Promise<string>;
  /**
   * Issues a serving certificate signed by the cluster CA (so `caBundle` of a
   * webhook configuration is the content of caPath). Default SANs:
   * IP 127.0.0.1 and DNS localhost.
   */
  issueServingCert(name: string, sans?: string[]): Promise<{ certPath: string; keyPath: string }>;
  /** SIGTERM kube-apiserver only (etcd keeps the data), for "API outage" tests. */
  stopApiServer(): Promise<void>;
  /** Starts kube-apiserver again on the same port with the same certs, waits until ready. */
  startApiServer(): Promise<void>;
  /** Stops kube-apiserver and etcd and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

export interface StartTestClusterOptions {
  /** Directory holding kube-apiserver and etcd; default envtestBinDir(). */
  binDir?: string;
  /** Progress lines (default: silent). */
  log?: (line: string) => void;
  /** Readiness timeout for etcd and kube-apiserver, ms (default 60000). */
  readyTimeoutMs?: number;
  /** More kube-apiserver flags, e.g. tighter request limits for throttling tests. */
  apiServerArgs?: readonly string[];
}

const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
const BUILD_HINT = 'run `bash scripts/build-envtest.sh` (first build takes several minutes)';

/**
 * The directory with the envtest binaries: $GATEHOUSE_ENVTEST_BIN, else
 * ${GATEHOUSE_ENVTEST_DIR:-<repo>/.cache/envtest}/current/bin as written by
 * scripts/build-envtest.sh. Undefined when kube-apiserver or etcd is missing.
 */
export function envtestBinDir(): string | undefined {
  const candidates: string[] = [];
  const fromEnv = process.env.GATEHOUSE_ENVTEST_BIN;
  if (fromEnv) candidates.push(resolve(fromEnv));
  const cacheRoot = process.env.GATEHOUSE_ENVTEST_DIR
    ? resolve(process.env.GATEHOUSE_ENVTEST_DIR)
    : join(REPO_ROOT, '.cache', 'envtest');
  candidates.push(join(cacheRoot, 'current', 'bin'));
  for (const dir of candidates) {
    if (existsSync(join(dir, 'kube-apiserver')) && existsSync(join(dir, 'etcd'))) {
      try {
        return realpathSync(dir);
      } catch {
        return dir;
      }
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Process bookkeeping: kill every child we started if this process exits.

const liveChildren = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let exitHooksInstalled = false;

function killAllSync(): void {
  for (const child of liveChildren) {
    try {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  liveChildren.clear();
  for (const dir of liveDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
  liveDirs.clear();
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', killAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      killAllSync();
      process.removeListener(sig, handler);
      // Keep the default behaviour (terminate) unless someone else handles it.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

// SubjectAccessReviews that only pass once the RBAC authorizer sees the
// bootstrap policy: one granted by a ClusterRoleBinding, one by a RoleBinding.
const RBAC_PROBES = [
  {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: {
      user: 'system:kube-scheduler',
      resourceAttributes: { verb: 'create', resource: 'pods', subresource: 'binding', namespace: 'default' },
    },
  },
  {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: {
      user: 'system:serviceaccount:kube-system:token-cleaner',
      resourceAttributes: { verb: 'list', resource: 'secrets', namespace: 'kube-system' },
    },
  },
];

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function run(cmd: string, args: string[], cwd: string): Promise<string> {
  return new Promise((res, rej) => {
    execFile(cmd, args, { cwd, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        rej(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      } else {
        res(stdout);
      }
    });
  });
}

/** Distinct free loopback TCP ports (all held open at once, then released). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => {
      return new Promise<ReturnType<typeof createServer>>((res, rej) => {
        const s = createServer();
        s.unref();
        s.once('error', rej);
        s.listen(0, '127.0.0.1', () => res(s));
      });
    }),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

async function tailFile(path: string, lines = 40): Promise<string> {
  try {
    const text = await readFile(path, 'utf8');
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Environment for children: no proxies, so loopback webhooks are called directly. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(https?|all|no)_proxy$/i.test(k)) continue;
    env[k] = v;
  }
  env.NO_PROXY = '127.0.0.1,localhost,::1';
  env.no_proxy = env.NO_PROXY;
  return env;
}

async function spawnLogged(bin: string, args: string[], logPath: string): Promise<ChildProcess> {
  const fh = await open(logPath, 'a');
  try {
    await fh.write(`\n==== ${new Date().toISOString()} ${bin} ${args.join(' ')}\n`);
    const child = spawn(bin, args, { stdio: ['ignore', fh.fd, fh.fd], env: childEnv() });
    await new Promise<void>((res, rej) => {
      child.once('spawn', () => res());
      child.once('error', rej);
    });
    liveChildren.add(child);
    child.once('exit', () => liveChildren.delete(child));
    // Don't keep the test process alive just because a child runs; the exit
    // hook kills it.
    child.unref();
    return child;
  } finally {
    await fh.close();
  }
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function terminate(child: ChildProcess | undefined, graceMs = 20000): Promise<void> {
  if (!child || exited(child)) return;
  await new Promise<void>((res) => {
    const timer = setTimeout(() => {
      try {
        child.kill('SIGKILL');
      } catch {
        // ignore
      }
    }, graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      res();
    });
    try {
      child.kill('SIGTERM');
    } catch {
      clearTimeout(timer);
      res();
    }
  });
}

interface TlsFiles {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

interface HttpResult {
  status: number;
  body: string;
}

function httpsCall(
  server: string,
  tls: TlsFiles,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 10000,
): Promise<HttpResult> {
  const url = new URL(path, server);
  return new Promise((res, rej) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = httpsRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        ca: tls.ca,
        cert: tls.cert,
        key: tls.key,
        agent: false,
        timeout: timeoutMs,
        headers: {
          accept: 'application/json',
          ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
        },
      },
      (resp) => {
        const chunks: Buffer[] = [];
        resp.on('data', (c: Buffer) => chunks.push(c));
        resp.on('end', () =>
          res({ status: resp.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        resp.on('error', rej);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout after ${timeoutMs}ms`)));
    req.on('error', rej);
    req.end(payload);
  });
}

function httpGet(url: string, timeoutMs = 2000): Promise<HttpResult> {
  return new Promise((res, rej) => {
    const req = httpRequest(url, { agent: false, timeout: timeoutMs }, (resp) => {
      const chunks: Buffer[] = [];
      resp.on('data', (c: Buffer) => chunks.push(c));
      resp.on('end', () =>
        res({ status: resp.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      resp.on('error', rej);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', rej);
    req.end();
  });
}

// ---------------------------------------------------------------------------
// Certificates (openssl CLI)

const CA_CNF = `[req]
distinguished_name = dn
prompt = no
x509_extensions = v3_ca
[dn]
CN = gatehouse-envtest-ca
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
`;

async function makeCa(dir: string): Promise<void> {
  await writeFile(join(dir, 'ca.cnf'), CA_CNF);
  await run(
    'openssl',
    [
      'req',
      '-x509',
      '-new',
      '-nodes',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '3650',
      '-config',
      'ca.cnf',
    ],
    dir,
  );
}

function sanEntry(s: string): string {
  return /^[0-9.]+$/.test(s) || s.includes(':') ? `IP:${s}` : `DNS:${s}`;
}

async function signLeaf(
  dir: string,
  name: string,
  subject: string,
  usage: 'serverAuth' | 'clientAuth',
  sans: string[] = [],
): Promise<void> {
  const ext = [
    '[ext]',
    'basicConstraints = critical,CA:FALSE',
    'keyUsage = critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage = ${usage}`,
    'authorityKeyIdentifier = keyid',
    ...(sans.length ? [`subjectAltName = ${sans.map(sanEntry).join(',')}`] : []),
    '',
  ].join('\n');
  await writeFile(join(dir, `${name}.ext`), ext);
  await run(
    'openssl',
    [
      'req',
      '-new',
      '-nodes',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      subject,
    ],
    dir,
  );
  await run(
    'openssl',
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-set_serial',
      `0x${randomBytes(12).toString('hex')}`,
      '-days',
      '3650',
      '-sha256',
      '-out',
      `${name}.crt`,
      '-extfile',
      `${name}.ext`,
      '-extensions',
      'ext',
    ],
    dir,
  );
}

function kubeconfigYaml(opts: {
  server: string;
  caPath: string;
  user: string;
  userFields: Record<string, string>;
}): string {
  const q = (s: string): string => JSON.stringify(s); // JSON strings are valid YAML scalars
  const userLines = Object.entries(opts.userFields)
    .map(([k, v]) => `    ${k}: ${q(v)}`)
    .join('\n');
  return `apiVersion: v1
kind: Config
clusters:
- name: envtest
  cluster:
    server: ${q(opts.server)}
    certificate-authority: ${q(opts.caPath)}
users:
- name: ${q(opts.user)}
  user:
${userLines}
contexts:
- name: envtest
  context:
    cluster: envtest
    user: ${q(opts.user)}
current-context: envtest
`;
}

// ---------------------------------------------------------------------------

export async function startTestCluster(opts: StartTestClusterOptions = {}): Promise<TestCluster> {
  const log = opts.log ?? ((): void => {});
  const readyTimeoutMs = opts.readyTimeoutMs ?? 60000;
  const binDir = opts.binDir ?? envtestBinDir();
  if (!binDir) {
    throw new Error(
      `envtest binaries (kube-apiserver, etcd) not found: ${BUILD_HINT}, or set GATEHOUSE_ENVTEST_BIN`,
    );
  }
  const apiServerBin = join(binDir, 'kube-apiserver');
  const etcdBin = join(binDir, 'etcd');
  for (const b of [apiServerBin, etcdBin]) {
    if (!existsSync(b)) throw new Error(`missing ${b}: ${BUILD_HINT}`);
  }

  installExitHooks();
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-envtest-'));
  liveDirs.add(dir);

  let etcd: ChildProcess | undefined;
  let apiServer: ChildProcess | undefined;
  let stopped = false;

  const cleanup = async (): Promise<void> => {
    await terminate(apiServer);
    await terminate(etcd);
    await rm(dir, { recursive: true, force: true });
    liveDirs.delete(dir);
  };

  try {
    const t0 = Date.now();
    await makeCa(dir);
    await signLeaf(dir, 'apiserver', '/CN=kube-apiserver', 'serverAuth', [
      '127.0.0.1',
      'localhost',
      'kubernetes',
      'kubernetes.default',
      'kubernetes.default.svc',
      '10.96.0.1',
    ]);
    await signLeaf(dir, 'admin', '/O=system:masters/CN=admin', 'clientAuth');
    await run(
      'openssl',
      ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'sa.key'],
      dir,
    );
    await run('openssl', ['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
    log(`envtest: certificates ready in ${Date.now() - t0}ms (${dir})`);

    const caPath = join(dir, 'ca.crt');
    const adminCertPath = join(dir, 'admin.crt');
    const adminKeyPath = join(dir, 'admin.key');
    const tls: TlsFiles = {
      ca: await readFile(caPath),
      cert: await readFile(adminCertPath),
      key: await readFile(adminKeyPath),
    };

    const [etcdClientPort, etcdPeerPort, apiPort] = await freePorts(3);
    const server = `https://127.0.0.1:${apiPort}`;
    const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
    const etcdPeerUrl = `http://127.0.0.1:${etcdPeerPort}`;
    const etcdLogPath = join(dir, 'etcd.log');
    const apiServerLogPath = join(dir, 'kube-apiserver.log');

    // --- etcd
    const etcdArgs = [
      '--name=envtest',
      `--data-dir=${join(dir, 'etcd-data')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${etcdPeerUrl}`,
      `--initial-advertise-peer-urls=${etcdPeerUrl}`,
      `--initial-cluster=envtest=${etcdPeerUrl}`,
      '--initial-cluster-state=new',
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ];
    const t1 = Date.now();
    etcd = await spawnLogged(etcdBin, etcdArgs, etcdLogPath);
    const etcdDeadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (exited(etcd)) {
        throw new Error(
          `etcd exited (code ${etcd.exitCode}, signal ${etcd.signalCode}); log tail:\n${await tailFile(etcdLogPath)}`,
        );
      }
      try {
        const r = await httpGet(`${etcdUrl}/health`);
        if (r.status === 200 && r.body.includes('"health":"true"')) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > etcdDeadline) {
        throw new Error(
          `etcd not healthy after ${readyTimeoutMs}ms; log tail:\n${await tailFile(etcdLogPath)}`,
        );
      }
      await sleep(100);
    }
    log(`envtest: etcd ready on ${etcdUrl} in ${Date.now() - t1}ms`);

    // --- kube-apiserver
    const apiArgs = [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--cert-dir=${join(dir, 'apiserver-certs')}`,
      `--tls-cert-file=${join(dir, 'apiserver.crt')}`,
      `--tls-private-key-file=${join(dir, 'apiserver.key')}`,
      `--client-ca-file=${caPath}`,
      '--authorization-mode=Node,RBAC',
      `--service-account-issuer=https://kubernetes.default.svc`,
      `--service-account-key-file=${join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--service-cluster-ip-range=10.96.0.0/12',
      '--allow-privileged=true',
      // No kubelets/controllers: don't reconcile the `kubernetes` Endpoints
      // (127.0.0.1 is not a valid endpoint address).
      '--endpoint-reconciler-type=none',
      '--profiling=false',
      ...(opts.apiServerArgs ?? []),
    ];
    const tlsReady = tls;
    const startApi = async (): Promise<void> => {
      const t = Date.now();
      const child = await spawnLogged(apiServerBin, apiArgs, apiServerLogPath);
      apiServer = child;
      const deadline = Date.now() + readyTimeoutMs;
      let last = '';
      for (;;) {
        if (exited(child)) {
          apiServer = undefined;
          throw new Error(
            `kube-apiserver exited (code ${child.exitCode}, signal ${child.signalCode}); log tail:\n${await tailFile(apiServerLogPath)}`,
          );
        }
        try {
          const r = await httpsCall(server, tlsReady, 'GET', '/readyz', undefined, 5000);
          if (r.status === 200) break;
          last = `HTTP ${r.status}: ${r.body.slice(0, 2000)}`;
        } catch (e) {
          last = (e as Error).message;
        }
        if (Date.now() > deadline) {
          await terminate(child);
          apiServer = undefined;
          throw new Error(
            `kube-apiserver not ready after ${readyTimeoutMs}ms (last /readyz: ${last}); log tail:\n${await tailFile(apiServerLogPath)}`,
          );
        }
        await sleep(250);
      }
      // Belt and braces: make sure the RBAC authorizer already sees the
      // bootstrap ClusterRoleBindings and RoleBindings (a few ms), so tests never
      // race a freshly (re)started server into spurious 403s.
      for (const review of RBAC_PROBES) {
        for (;;) {
          let last = '';
          try {
            const r = await httpsCall(
              server,
              tlsReady,
              'POST',
              '/apis/authorization.k8s.io/v1/subjectaccessreviews',
              review,
              5000,
            );
            if (
              r.status === 201 &&
              (JSON.parse(r.body) as { status?: { allowed?: boolean } }).status?.allowed
            )
              break;
            last = `HTTP ${r.status}: ${r.body.slice(0, 500)}`;
          } catch (e) {
            last = (e as Error).message;
          }
          if (Date.now() > deadline) {
            await terminate(child);
            apiServer = undefined;
            throw new Error(
              `kube-apiserver RBAC not ready after ${readyTimeoutMs}ms (${last}); log tail:\n${await tailFile(apiServerLogPath)}`,
            );
          }
          await sleep(100);
        }
      }
      log(`envtest: kube-apiserver ready on ${server} in ${Date.now() - t}ms`);
    };
    await startApi();

    const adminKubeconfigPath = join(dir, 'admin.kubeconfig');
    await writeFile(
      adminKubeconfigPath,
      kubeconfigYaml({
        server,
        caPath,
        user: 'admin',
        userFields: { 'client-certificate': adminCertPath, 'client-key': adminKeyPath },
      }),
    );

    const api = async (method: string, path: string, body?: unknown): Promise<HttpResult> => {
      if (stopped) throw new Error('test cluster already stopped');
      return httpsCall(server, tls, method, path, body);
    };
    const ensure = async (path: string, body: unknown): Promise<void> => {
      const r = await api('POST', path, body);
      if (r.status !== 201 && r.status !== 409) {
        throw new Error(`POST ${path}: HTTP ${r.status}: ${r.body}`);
      }
    };

    const cluster: TestCluster = {
      server,
      adminKubeconfigPath,
      caPath,
      dir,
      adminCertPath,
      adminKeyPath,
      apiServerLogPath,
      etcdLogPath,

      async serviceAccountKubeconfig(namespace: string, name: string): Promise<string> {
        await ensure('/api/v1/namespaces', {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: namespace },
        });
        const ns = encodeURIComponent(namespace);
        const sa = encodeURIComponent(name);
        await ensure(`/api/v1/namespaces/${ns}/serviceaccounts`, {
          apiVersion: 'v1',
          kind: 'ServiceAccount',
          metadata: { name, namespace },
        });
        const r = await api('POST', `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`, {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { expirationSeconds: 24 * 3600 },
        });
        if (r.status !== 201)
          throw new Error(`TokenRequest for ${namespace}/${name}: HTTP ${r.status}: ${r.body}`);
        const token = (JSON.parse(r.body) as { status?: { token?: string } }).status?.token;
        if (!token) throw new Error(`TokenRequest for ${namespace}/${name} returned no token: ${r.body}`);
        const path = join(dir, `sa-${namespace}-${name}.kubeconfig`);
        await writeFile(
          path,
          kubeconfigYaml({
            server,
            caPath,
            user: `system:serviceaccount:${namespace}:${name}`,
            userFields: { token },
          }),
          { mode: 0o600 },
        );
        return path;
      },

      async issueServingCert(name: string, sans: string[] = ['127.0.0.1', 'localhost']) {
        if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`invalid cert name ${JSON.stringify(name)}`);
        const base = `serving-${name}`;
        await signLeaf(dir, base, `/CN=${name}`, 'serverAuth', sans);
        return { certPath: join(dir, `${base}.crt`), keyPath: join(dir, `${base}.key`) };
      },

      async stopApiServer(): Promise<void> {
        const child = apiServer;
        apiServer = undefined;
        await terminate(child);
        log('envtest: kube-apiserver stopped');
      },

      async startApiServer(): Promise<void> {
        if (stopped) throw new Error('test cluster already stopped');
        if (apiServer && !exited(apiServer)) return;
        await startApi();
      },

      async stop(): Promise<void> {
        if (stopped) return;
        stopped = true;
        await cleanup();
        log('envtest: stopped');
      },
    };
    return cluster;
  } catch (err) {
    await cleanup().catch(() => {});
    throw err;
  }
}
