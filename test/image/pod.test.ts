// The chart's pod, run for real: `helm install` into the real test API server (the chart's own RBAC,
// ServiceAccount, ConfigMap, IngressClass and Service), then its Deployment's pods as a kubelet would run
// them (test/support/podman-kubelet.ts: podman kube play on the host network, the projected token from a
// TokenRequest), two replicas on two emulated nodes, the image built by scripts/build-image.sh. Traffic
// goes to the pods as kube-proxy would send it: to the ready ones, a terminating pod withdrawn a moment
// after its deletion starts. Without a working podman these tests are skipped and say why.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  NetworkingV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
  type V1Deployment,
} from '@kubernetes/client-node';
import { startTestCluster, type TestCluster } from '../support/cluster.ts';
import { answer, ServiceTraffic } from '../support/cluster-traffic.ts';
import { ingress, serviceWithEndpoints } from '../support/fixtures.ts';
import { CHART, findHelm, HELM_MISSING, runHelm } from '../support/helm.ts';
import { eventually } from '../support/http-client.ts';
import { createTestHost, type TestHost } from '../support/netns.ts';
import { gatehouseImage, podman, podmanOk, podUnavailable } from '../support/podman.ts';
import { kubeletWorkDir, PodmanNode, podName, type RunningPod } from '../support/podman-kubelet.ts';
import { freePorts } from '../support/ports.ts';
import { childPids } from '../../src/nginx/workers.ts';

const unavailable = podUnavailable();
if (unavailable !== undefined) console.log(`# pod tests skipped: ${unavailable}`);

const RELEASE = 'edge';
const NAMESPACE = 'ingress';
const DEPLOYMENT = 'edge-gatehouse';
const HOST = 'app.example.com';
/** How long after a pod's deletion starts kube-proxy stops sending it traffic, here. */
const WITHDRAWAL_MS = 2000;

describe(
  'the chart’s pod, run with podman against the real API server',
  { skip: unavailable ?? false, timeout: 900_000 },
  () => {
    let cluster: TestCluster | undefined;
    let testHost: TestHost | undefined;
    let admin: KubeConfig;
    let core: CoreV1Api;
    let scratch = '';
    let valuesFile = '';
    let nodes: PodmanNode[] = [];
    const pods = new Map<PodmanNode, RunningPod>();
    const lb = new ServiceTraffic();

    const helm = async (...args: string[]): Promise<void> => {
      const binary = findHelm();
      if (binary === undefined) assert.fail(HELM_MISSING);
      const r = await runHelm(binary, args, scratch, cluster!.adminKubeconfigPath);
      assert.equal(r.code, 0, `helm ${args.join(' ')}:\n${r.stderr}`);
    };

    /** The Deployment as helm left it in the API server. */
    const deployment = (): Promise<V1Deployment> =>
      admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: DEPLOYMENT, namespace: NAMESPACE });

    /** What the kubelet of `node` does once a new pod of the Deployment is scheduled there. */
    const startPod = async (node: PodmanNode): Promise<RunningPod> => {
      const template = (await deployment()).spec?.template;
      assert.ok(template);
      const pod = await node.run(template, { name: podName(DEPLOYMENT, template), namespace: NAMESPACE });
      pods.set(node, pod);
      const ready = await eventually(
        () => pod.ready(),
        (r) => r,
        90_000,
      );
      if (!ready)
        assert.fail(
          `pod ${pod.name} never became ready:\n${await pod.logs('nginx')}\n${await pod.logs('controller')}`,
        );
      lb.add(pod.name, pod.port(httpPort));
      return pod;
    };

    /** Deletion of a pod: kube-proxy withdraws it a moment later, while the kubelet stops it. */
    const deletePod = async (node: PodmanNode): Promise<void> => {
      const pod = pods.get(node);
      assert.ok(pod);
      const withdrawn = new Promise((resolve) => setTimeout(resolve, WITHDRAWAL_MS)).then(() =>
        lb.remove(pod.name),
      );
      await Promise.all([pod.terminate(), withdrawn]);
      pods.delete(node);
    };

    let httpPort = 0;

    before(async () => {
      scratch = await mkdtemp(path.join(tmpdir(), 'gatehouse-pod-test-'));
      const image = await gatehouseImage();
      testHost = await createTestHost();
      cluster = await startTestCluster();
      admin = new KubeConfig();
      admin.loadFromFile(cluster.adminKubeconfigPath);
      core = admin.makeApiClient(CoreV1Api);

      // Node 1's ports are those of the values; node 2 has ports of its own (the machine is both nodes).
      const [http = 0, https = 0, healthz = 0, nginxHealthz = 0, metricsLog = 0] = await freePorts(5);
      httpPort = http;
      const second = await freePorts(5);
      const specPorts = [http, https, healthz, nginxHealthz, metricsLog];
      const workDir = await kubeletWorkDir();
      const apiServerPort = Number(new URL(cluster.server).port);
      const kubelet = { core, apiServerPort, caPath: cluster.caPath, workDir };
      nodes = [
        new PodmanNode('node-1', new Map(), kubelet),
        new PodmanNode('node-2', new Map(specPorts.map((p, i) => [p, second[i] ?? 0])), kubelet),
      ];

      const [repository, tag] = image.split(/:(?=[^:/]+$)/);
      valuesFile = path.join(scratch, 'values.json');
      await writeFile(
        valuesFile,
        JSON.stringify({
          controller: {
            replicaCount: 2,
            hostNetwork: true,
            image: { repository, tag, pullPolicy: 'Never' },
            containerPort: { http, https, healthz },
            nginx: { healthzPort: nginxHealthz, metricsLogPort: metricsLog },
            electionTTL: 5,
            shutdown: { delaySeconds: 3, workerTimeoutSeconds: 10 },
            terminationGracePeriodSeconds: 30,
            logFormat: 'text',
            // The API server could not reach a webhook Service here (no kube-proxy, no cluster network).
            admissionWebhook: { enabled: false },
          },
        }),
      );
      await helm(
        'install',
        RELEASE,
        CHART,
        '--namespace',
        NAMESPACE,
        '--create-namespace',
        '--values',
        valuesFile,
      );

      const backend = await testHost.backend('app');
      await apply(
        admin,
        ...serviceWithEndpoints('app', [{ ip: backend.host, port: backend.port }]),
        ingress({
          name: 'app',
          className: 'gatehouse',
          rules: [{ host: HOST, paths: [{ service: 'app', port: 80 }] }],
        }),
      );
      // What a cloud's load balancer controller writes once the LoadBalancer Service has its address.
      await core.patchNamespacedServiceStatus(
        {
          name: DEPLOYMENT,
          namespace: NAMESPACE,
          body: { status: { loadBalancer: { ingress: [{ ip: testHost.address }] } } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      for (const node of nodes) await startPod(node);
    });

    after(async () => {
      await lb.stop();
      for (const pod of pods.values()) await pod.remove();
      await cluster?.stop();
      await testHost?.remove();
      await rm(scratch, { recursive: true, force: true });
    });

    it('runs two pods of two containers, NGINX in `nginx`, the ServiceAccount token only in `controller`', async () => {
      for (const pod of pods.values()) {
        const master = Number(
          await podmanOk(['inspect', pod.container('nginx'), '--format', '{{.State.Pid}}']),
        );
        assert.match(
          await procCmdline(master),
          /^nginx: master process nginx -p \/var\/lib\/gatehouse\/run /,
        );
        assert.ok((await childPids(master)).length > 0, 'NGINX has workers');
        const nginxToken = await podman([
          'exec',
          pod.container('nginx'),
          'ls',
          '/var/run/secrets/kubernetes.io/serviceaccount',
        ]);
        assert.notEqual(nginxToken.code, 0, 'the nginx container has no token mounted');
        const ns = await podmanOk([
          'exec',
          pod.container('controller'),
          'cat',
          '/var/run/secrets/kubernetes.io/serviceaccount/namespace',
        ]);
        assert.equal(ns, NAMESPACE);
        // Like a config that makes NGINX serve any file (CVE-2021-25742): from the nginx container, through
        // the shared process namespace, the token is out of reach under every process of the pod (the
        // controller's are non-dumpable). /var/run links to /run, which /proc/PID/root would resolve in the
        // reader's own root.
        const steal = await podman([
          'exec',
          pod.container('nginx'),
          'sh',
          '-c',
          'seen=0; for p in /proc/[0-9]*; do [ "$p" = "/proc/$$" ] && continue; ' +
            'case "$(tr "\\0" " " < $p/cmdline 2>/dev/null)" in *"gatehouse.js serve"*) seen=$((seen+1)) ;; esac; ' +
            'cat $p/root/run/secrets/kubernetes.io/serviceaccount/token 2>/dev/null && exit 0; done; ' +
            'echo "controller processes tried: $seen" >&2; exit 1',
        ]);
        assert.notEqual(steal.code, 0, `the token was readable:\n${steal.stdout}`);
        assert.match(steal.stderr, /controller processes tried: [1-9]/);
      }
    });

    it('elects one leader, serves the Ingress through each nginx container, writes status and Events', async () => {
      const holder = await eventually(
        leaseHolder,
        (h) => h !== undefined && [...pods.values()].some((p) => p.name === h),
      );
      assert.ok(
        [...pods.values()].some((p) => p.name === holder),
        `Lease holder ${String(holder)}`,
      );
      for (const pod of pods.values())
        assert.equal(await answer('http', pod.port(httpPort), HOST), '200 app');
      const networking = admin.makeApiClient(NetworkingV1Api);
      const addresses = await eventually(
        async () =>
          (
            await networking.readNamespacedIngress({ name: 'app', namespace: 'default' })
          ).status?.loadBalancer?.ingress?.map((i) => i.ip) ?? [],
        (a) => a.length > 0,
        30_000,
      );
      assert.deepEqual(addresses, [testHost!.address]);
      const events = await eventually(
        async () =>
          (await core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=app' }))
            .items,
        (list) => list.some((e) => e.reason === 'Served'),
        30_000,
      );
      const served = events.find((e) => e.reason === 'Served');
      assert.equal(served?.reportingInstance, holder);
    });

    it('kill -9 of a controller container drops no request, and its restart adopts NGINX without a reload', async () => {
      const pod = [...pods.values()][0];
      assert.ok(pod);
      const master = Number(
        await podmanOk(['inspect', pod.container('nginx'), '--format', '{{.State.Pid}}']),
      );
      const workers = await childPids(master);
      const traffic = lb.start(HOST, '200 app', [pod.name]);
      await eventually(
        () => Promise.resolve(traffic.count),
        (n) => n >= 20,
      );
      const controller = Number(
        await podmanOk(['inspect', pod.container('controller'), '--format', '{{.State.Pid}}']),
      );
      process.kill(controller, 'SIGKILL');
      const restarted = await eventually(
        async () =>
          Number(await podmanOk(['inspect', pod.container('controller'), '--format', '{{.RestartCount}}'])),
        (n) => n >= 1,
        30_000,
      );
      assert.equal(restarted, 1);
      const ready = await eventually(
        () => pod.ready(),
        (r) => r,
        60_000,
      );
      // Its log says why, if it is not.
      if (!ready)
        assert.fail(`not ready 60 s after the controller's restart:\n${await pod.logs('controller')}`);
      const report = await traffic.stop();
      assert.deepEqual(report.failures, [], `${report.total} requests`);
      assert.match(await pod.logs('controller'), /nginx adopted/);
      assert.deepEqual(await childPids(master), workers, 'the same NGINX workers: no reload');
    });

    it('a rolling update (helm upgrade with a changed value) drops no request', async () => {
      const before = (await deployment()).spec?.template;
      await helm(
        'upgrade',
        RELEASE,
        CHART,
        '--namespace',
        NAMESPACE,
        '--values',
        valuesFile,
        '--set',
        'controller.logLevel=debug',
      );
      const after = (await deployment()).spec?.template;
      assert.notDeepEqual(after, before, 'the pod template changed');
      const traffic = lb.start(HOST, '200 app');
      await eventually(
        () => Promise.resolve(traffic.count),
        (n) => n >= 20,
      );
      // As the Deployment controller rolls it on the host network (maxSurge 0, maxUnavailable 1): one node
      // at a time, the old pod deleted first, the new one started and ready before the next node.
      for (const node of nodes) {
        await deletePod(node);
        await startPod(node);
      }
      const report = await traffic.stop();
      assert.ok(report.total > 100, `${report.total} requests`);
      assert.deepEqual(report.failures, [], `${report.total} requests`);
      for (const pod of pods.values()) assert.match(await pod.logs('controller'), /level.*debug|debug/);
      const holder = await eventually(
        leaseHolder,
        (h) => [...pods.values()].some((p) => p.name === h),
        30_000,
      );
      assert.ok(
        [...pods.values()].some((p) => p.name === holder),
        'a new pod leads',
      );
    });

    it('a pod’s termination while a client keeps sending fails no request', async () => {
      const [first, second] = nodes;
      assert.ok(first && second);
      const traffic = lb.start(HOST, '200 app');
      await eventually(
        () => Promise.resolve(traffic.count),
        (n) => n >= 20,
      );
      const started = Date.now();
      await deletePod(first);
      const took = Date.now() - started;
      const report = await traffic.stop();
      assert.deepEqual(report.failures, [], `${report.total} requests`);
      assert.ok(took >= 3000, `the nginx container kept serving for the shutdown delay (took ${took} ms)`);
      await startPod(first);
    });

    async function leaseHolder(): Promise<string | undefined> {
      try {
        const lease = await admin
          .makeApiClient(CoordinationV1Api)
          .readNamespacedLease({ name: `${DEPLOYMENT}-leader`, namespace: NAMESPACE });
        return lease.spec?.holderIdentity ?? undefined;
      } catch {
        return undefined;
      }
    }
  },
);

async function apply(admin: KubeConfig, ...objects: KubernetesObject[]): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(admin);
  for (const object of objects)
    await api.patch(object, undefined, undefined, 'gatehouse-pod-test', true, PatchStrategy.ServerSideApply);
}

async function procCmdline(pid: number): Promise<string> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replace(/\0/g, ' ');
}
