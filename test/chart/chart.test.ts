// The Helm chart (charts/gatehouse): lint, strict schema, what it renders (security context, RBAC, class,
// controller flags) and the freshness of its generated README. Needs the `helm` binary that
// scripts/build-envtest.sh builds; without it these tests fail, they do not skip.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  loadAllYaml,
  type KubernetesObject,
  type V1ClusterRole,
  type V1ClusterRoleBinding,
  type V1ConfigMap,
  type V1Container,
  type V1DaemonSet,
  type V1Deployment,
  type V1IngressClass,
  type V1PodDisruptionBudget,
  type V1PodSpec,
  type V1PodTemplateSpec,
  type V1Secret,
  type V1PolicyRule,
  type V1Role,
  type V1RoleBinding,
  type V1Service,
  type V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { CONFIGMAP_KEYS } from '../../src/config/global-config.ts';
import { PROXY_KEYS } from '../../src/annotations/proxy.ts';
import { CHART, findHelm, HELM_MISSING, runHelm, type Run } from '../support/helm.ts';
import { fillValuesSchema } from '../../scripts/docs.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CI_VALUES = path.join(CHART, 'ci', 'daemonset-hostnetwork-webhook-values.yaml');
const RELEASE = 'edge';
const NAMESPACE = 'ingress';
const FULLNAME = 'edge-gatehouse';

const HELM = findHelm();
let scratch = '';

before(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'gatehouse-chart-'));
});
after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function run(file: string, args: string[]): Promise<Run> {
  // Keep helm away from the user's config, cache and cluster.
  return runHelm(file, args, scratch, path.join(scratch, 'no-kubeconfig'));
}

let valuesFiles = 0;
/** helm with values given as objects (written to files, JSON being YAML), failing clearly without helm. */
async function helm(args: string[], ...values: object[]): Promise<Run> {
  if (HELM === undefined) {
    assert.fail(HELM_MISSING);
  }
  const files: string[] = [];
  for (const v of values) {
    const file = path.join(scratch, `values-${++valuesFiles}.yaml`);
    await writeFile(file, JSON.stringify(v));
    files.push('--values', file);
  }
  return run(HELM, [...args, ...files]);
}

interface Rendered {
  /** Objects in rendering order. */
  objects: KubernetesObject[];
  /** Template file each object came from (`# Source:` lines), same order. */
  sources: string[];
}

async function template(...values: object[]): Promise<Rendered> {
  const r = await helm(['template', RELEASE, CHART, '--namespace', NAMESPACE], ...values);
  assert.equal(r.code, 0, `helm template failed:\n${r.stderr}`);
  return parse(r.stdout);
}

async function templateFile(file: string): Promise<Rendered> {
  const r = await helm(['template', RELEASE, CHART, '--namespace', NAMESPACE, '--values', file]);
  assert.equal(r.code, 0, `helm template failed:\n${r.stderr}`);
  return parse(r.stdout);
}

function parse(stdout: string): Rendered {
  const objects: KubernetesObject[] = [];
  const sources: string[] = [];
  for (const doc of stdout.split(/^---$/m)) {
    const source = /^# Source: gatehouse\/templates\/(\S+)$/m.exec(doc)?.[1];
    // loadAllYaml hands out client-node model classes; JSON makes them plain objects for deepEqual.
    const parsed = (JSON.parse(JSON.stringify(loadAllYaml(doc))) as unknown[]).filter((o) => o !== null);
    if (parsed.length === 0) continue;
    assert.equal(parsed.length, 1, 'one object per document');
    assert.ok(source !== undefined, `document without a # Source line:\n${doc}`);
    objects.push(parsed[0] as KubernetesObject);
    sources.push(source);
  }
  return { objects, sources };
}

/** The kinds the chart renders, and their client-node types. */
interface Kinds {
  ClusterRole: V1ClusterRole;
  ClusterRoleBinding: V1ClusterRoleBinding;
  ConfigMap: V1ConfigMap;
  DaemonSet: V1DaemonSet;
  Deployment: V1Deployment;
  IngressClass: V1IngressClass;
  PodDisruptionBudget: V1PodDisruptionBudget;
  Secret: V1Secret;
  Role: V1Role;
  RoleBinding: V1RoleBinding;
  Service: V1Service;
  ValidatingWebhookConfiguration: V1ValidatingWebhookConfiguration;
}

function find<K extends keyof Kinds>(r: Rendered, kind: K, name?: string, namespace?: string): Kinds[K] {
  const hits = r.objects.filter(
    (o) =>
      o.kind === kind &&
      (name === undefined || o.metadata?.name === name) &&
      (namespace === undefined || o.metadata?.namespace === namespace),
  );
  assert.equal(hits.length, 1, `expected one ${kind} ${namespace ?? ''}/${name ?? '*'}, got ${hits.length}`);
  return hits[0] as Kinds[K];
}

function has(r: Rendered, kind: string): boolean {
  return r.objects.some((o) => o.kind === kind);
}

function podSpec(workload: V1Deployment | V1DaemonSet): V1PodSpec {
  const spec = workload.spec?.template.spec;
  assert.ok(spec);
  return spec;
}

function podSpecOf(workload: V1Deployment | V1DaemonSet): V1PodTemplateSpec {
  const template = workload.spec?.template;
  assert.ok(template);
  return template;
}

function container(workload: V1Deployment | V1DaemonSet, name: string): V1Container {
  const c = podSpec(workload).containers.find((x) => x.name === name);
  assert.ok(c, `container "${name}"`);
  return c;
}

function controllerContainer(workload: V1Deployment | V1DaemonSet): V1Container {
  return container(workload, 'controller');
}

/** The value following a flag in the container args; undefined when the flag is absent. */
function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i < 0 ? undefined : (args[i + 1] ?? '');
}

/** Policy rules flattened to sorted `group/resource[:name] verb` lines, for exact comparison. */
function grants(rules: V1PolicyRule[] | undefined): string[] {
  const out: string[] = [];
  for (const rule of rules ?? []) {
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        for (const verb of rule.verbs) {
          const names = rule.resourceNames?.length ? `:${rule.resourceNames.join(',')}` : '';
          out.push(`${group === '' ? 'core' : group}/${resource}${names} ${verb}`);
        }
      }
    }
  }
  return out.sort();
}

const read = (resource: string): string[] => ['get', 'list', 'watch'].map((v) => `${resource} ${v}`);

/** Namespaced grants for the objects the controller serves: cluster-wide, or a Role in the scope namespace. */
const WATCHED = [
  ...read('networking.k8s.io/ingresses'),
  'networking.k8s.io/ingresses/status update',
  'networking.k8s.io/ingresses/status patch',
  ...read('core/services'),
  ...read('core/secrets'),
  ...read('discovery.k8s.io/endpointslices'),
  'core/events get',
  'core/events create',
  'core/events patch',
];
const CLUSTER_SCOPED = [...read('networking.k8s.io/ingressclasses'), 'core/nodes get'];
const RELEASE_NAMESPACE = [
  'coordination.k8s.io/leases create',
  `coordination.k8s.io/leases:${FULLNAME}-leader get`,
  `coordination.k8s.io/leases:${FULLNAME}-leader update`,
  ...read('core/configmaps'),
  'core/pods get',
  'core/pods list',
];

void describe('helm lint --strict', () => {
  void it('passes with the default values', async () => {
    const r = await helm(['lint', '--strict', CHART]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  void it('passes as a DaemonSet on the host network with the admission webhook, watching one namespace', async () => {
    const r = await helm(['lint', '--strict', CHART, '--values', CI_VALUES]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });
});

void describe('values.schema.json', () => {
  const rejected: [string, object][] = [
    ['a misspelt top-level key', { controler: {} }],
    ['a misspelt nested key', { controller: { replicas: 2 } }],
    ['a string where a number belongs', { controller: { replicaCount: 'two' } }],
    ['a kind outside the enum', { controller: { kind: 'StatefulSet' } }],
    ['a port above 65535', { controller: { containerPort: { http: 70000 } } }],
    ['port 0', { controller: { service: { ports: { https: 0 } } } }],
    ['a service type outside the enum', { controller: { service: { type: 'ExternalName' } } }],
    ['an unknown ConfigMap key', { controller: { config: { 'proxy-body-sise': '8m' } } }],
    [
      'allow-snippet-annotations that is no boolean',
      { controller: { config: { 'allow-snippet-annotations': 'yes' } } },
    ],
    ['a snippet value', { controller: { config: { 'server-snippet': 'return 200;' } } }],
    ['a malformed proxy-body-size', { controller: { config: { 'proxy-body-size': '8 MB' } } }],
    ['a security context override', { controller: { securityContext: { runAsUser: 0 } } }],
    ['a misspelt key in a new section', { controller: { metrics: { serviceMonitor: { enable: true } } } }],
    ['a misspelt Service setting', { controller: { service: { nodePort: { http: 30080 } } } }],
    ['an extraArgs flag name that is not one', { controller: { extraArgs: { '--debounce': '1' } } }],
    ['an unknown dnsPolicy', { controller: { dnsPolicy: 'ClusterFirstWithHostnet' } }],
    ['a misspelt networkPolicy key', { networkPolicy: { enable: true } }],
    ['a mode that is not one', { controller: { mode: 'sidecars' } }],
    ['an NGINX health port of 0', { controller: { nginx: { healthzPort: 0 } } }],
    ['a TCP service key that is no port', { tcp: { ssh: 'default/ssh:22' } }],
    ['a TCP service without its port', { tcp: { '2222': 'default/ssh' } }],
    ['a TCP service with a third field', { tcp: { '2222': 'default/ssh:22:PROXY:PROXY:PROXY' } }],
    ['a TCP service value that breaks out of its line', { tcp: { '2222': 'default/ssh:22\n  x: y' } }],
    ['a UDP service with a PROXY field', { udp: { '53': 'kube-system/dns:53:PROXY' } }],
  ];
  for (const [what, values] of rejected) {
    void it(`rejects ${what}`, async () => {
      const r = await helm(['template', RELEASE, CHART], values);
      assert.notEqual(r.code, 0, `helm template accepted ${JSON.stringify(values)}`);
      assert.match(r.stderr, /values don't meet the specifications of the schema/);
    });
  }

  void it('has controller.config generated from the controller’s ConfigMap keys (node scripts/docs.ts)', async () => {
    const text = readFileSync(path.join(CHART, 'values.schema.json'), 'utf8');
    assert.equal(await fillValuesSchema(text), text, 'stale: run `node scripts/docs.ts`');
    const schema = JSON.parse(text) as {
      properties: { controller: { properties: { config: { properties: Record<string, unknown> } } } };
    };
    assert.deepEqual(
      Object.keys(schema.properties.controller.properties.config.properties).sort(),
      // The ConfigMap's own keys, and the proxy annotations' defaults, which it sets under the same names.
      [...Object.keys(CONFIGMAP_KEYS), ...Object.keys(PROXY_KEYS)].sort(),
    );
  });

  void it('takes ConfigMap values as YAML gives them, and refuses what the controller would', async () => {
    const r = await template({
      controller: {
        config: {
          hsts: true,
          'keep-alive': 75,
          'server-names-hash-bucket-size': 256,
          'worker-processes': 'auto',
          'proxy-body-size': '8m',
          'annotations-risk-level': 'Medium',
        },
      },
    });
    assert.equal(find(r, 'ConfigMap').data?.['server-names-hash-bucket-size'], '256');
    for (const config of [
      { hsts: 'yes' },
      { 'server-names-hash-bucket-size': 100 },
      { 'worker-processes': 'many' },
      { 'annotations-risk-level': 'Severe' },
      { 'keep-alive': '75 seconds' },
    ]) {
      const bad = await helm(['template', RELEASE, CHART], { controller: { config } });
      assert.notEqual(bad.code, 0, `accepted ${JSON.stringify(config)}`);
    }
  });
});

void describe('checks the schema cannot express', () => {
  const failures: [string, object, RegExp][] = [
    [
      'a webhook Secret of your own without a CA bundle or cert-manager injection',
      { controller: { admissionWebhook: { enabled: true, certificateSecret: 'tls' } } },
      /caBundle is required/,
    ],
    [
      'a termination grace period shorter than the drain',
      { controller: { terminationGracePeriodSeconds: 60 } },
      /must be at least controller.shutdown.delaySeconds \+ controller.shutdown.workerTimeoutSeconds \+ 10 \(260\)/,
    ],
    [
      'an extraArgs flag the chart sets itself',
      { controller: { extraArgs: { 'conf-dir': '/tmp' } } },
      /the chart sets --conf-dir itself/,
    ],
    [
      'an autoscaler whose maximum is below its minimum',
      { controller: { autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 2 } } },
      /maxReplicas \(2\) must not be below minReplicas \(3\)/,
    ],
    [
      'a ServiceMonitor without the metrics Service',
      { controller: { metrics: { serviceMonitor: { enabled: true } } } },
      /needs controller.metrics.enabled/,
    ],
    ['two listeners on one port', { controller: { containerPort: { https: 80 } } }, /must differ/],
    [
      'a TCP service on the HTTPS port',
      { tcp: { '443': 'default/tls:443' } },
      /must differ \(and from the tcp ports\), got \[80 443 .* 443\]/,
    ],
    [
      'NGINX’s health port on the controller’s',
      { controller: { nginx: { healthzPort: 10254 } } },
      /controller.nginx.healthzPort .* must differ/,
    ],
    [
      'a PodDisruptionBudget that blocks every drain',
      { controller: { replicaCount: 2, podDisruptionBudget: { minAvailable: 2 } } },
      /must be below controller.replicaCount/,
    ],
    [
      'a default backend outside the watched namespace',
      { controller: { scope: { namespace: 'shop' }, defaultBackendService: 'other/fallback' } },
      /must be in controller.scope.namespace/,
    ],
  ];
  for (const [what, values, message] of failures) {
    void it(`fails on ${what}`, async () => {
      const r = await helm(['template', RELEASE, CHART], values);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, message);
    });
  }
});

void describe('default values', () => {
  let r: Rendered;
  before(async () => {
    r = await template();
  });

  void it('names templates <component>-<kind>.yaml after what they render', () => {
    for (const [i, o] of r.objects.entries()) {
      const component = o.metadata?.labels?.['app.kubernetes.io/component'];
      const prefix = component === 'admission-webhook' ? 'webhook' : component;
      assert.equal(r.sources[i], `${prefix ?? '?'}-${(o.kind ?? '').toLowerCase()}.yaml`);
      const labels = o.metadata?.labels ?? {};
      assert.equal(labels['app.kubernetes.io/instance'], RELEASE);
      assert.equal(labels['app.kubernetes.io/name'], 'gatehouse');
    }
    const files = readdirSync(path.join(CHART, 'templates')).filter(
      (f) => !f.startsWith('_') && f !== 'NOTES.txt',
    );
    for (const f of files) assert.match(f, /^(controller|webhook|dashboard)-[a-z]+\.yaml$/);
  });

  void it('runs a Deployment of one locked-down pod: NGINX and the controller in containers of their own', () => {
    const deployment = find(r, 'Deployment', FULLNAME, NAMESPACE);
    assert.equal(deployment.spec?.replicas, 1);
    assert.ok(!has(r, 'DaemonSet'));
    const pod = podSpec(deployment);
    assert.equal(pod.hostNetwork, undefined);
    assert.equal(pod.serviceAccountName, FULLNAME);
    // The token goes to the controller container alone (below); the controller signals NGINX's master.
    assert.equal(pod.automountServiceAccountToken, false);
    assert.equal(pod.shareProcessNamespace, true);
    const psc = pod.securityContext;
    assert.ok(psc);
    assert.deepEqual(psc.seccompProfile, { type: 'RuntimeDefault' });
    assert.equal(psc.runAsNonRoot, true);
    assert.equal(psc.runAsUser, 101);
    // Without privilege escalation NET_BIND_SERVICE never becomes effective for uid 101: the sysctl binds 80/443.
    assert.deepEqual(psc.sysctls, [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }]);
    assert.deepEqual(
      pod.containers.map((x) => x.name),
      ['nginx', 'controller'],
    );

    const nginx = container(deployment, 'nginx');
    const c = controllerContainer(deployment);
    for (const sc of [nginx.securityContext, c.securityContext]) {
      assert.ok(sc);
      assert.equal(sc.runAsNonRoot, true);
      assert.equal(sc.runAsUser, 101);
      assert.equal(sc.readOnlyRootFilesystem, true);
      assert.equal(sc.allowPrivilegeEscalation, false);
      assert.equal(sc.privileged, false);
      assert.deepEqual(sc.capabilities, { drop: ['ALL'], add: ['NET_BIND_SERVICE'] });
      assert.deepEqual(sc.seccompProfile, { type: 'RuntimeDefault' });
    }
    for (const x of [nginx, c])
      assert.ok(x.resources?.requests?.['cpu'] !== undefined && x.resources.requests['memory'] !== undefined);

    const mounts = (x: V1Container): Record<string, string> =>
      Object.fromEntries((x.volumeMounts ?? []).map((m) => [m.mountPath, m.name]));
    assert.deepEqual(mounts(nginx), { '/var/lib/gatehouse': 'conf' });
    assert.deepEqual(mounts(c), {
      '/var/lib/gatehouse': 'conf',
      '/tmp': 'tmp',
      '/var/run/secrets/kubernetes.io/serviceaccount': 'kube-api-access',
      '/etc/gatehouse/webhook': 'webhook-cert',
    });
    for (const v of pod.volumes ?? []) {
      if (v.name === 'webhook-cert') assert.equal(v.secret?.secretName, `${FULLNAME}-admission-tls`);
      else if (v.name === 'kube-api-access')
        assert.deepEqual(
          v.projected?.sources?.map((source) => Object.keys(source)[0]),
          ['serviceAccountToken', 'configMap', 'downwardAPI'],
        );
      else assert.deepEqual(v.emptyDir, {}, `volume ${v.name} is an emptyDir`);
    }
    assert.equal(pod.terminationGracePeriodSeconds, 300);

    assert.deepEqual(nginx.command, ['/app/bin/gatehouse-nginx']);
    assert.deepEqual(nginx.args, [
      '--conf-dir',
      '/var/lib/gatehouse',
      '--nginx-healthz-port',
      '10246',
      '--log-format',
      'json',
    ]);
    assert.equal(nginx.livenessProbe?.httpGet?.path, '/healthz');
    assert.equal(nginx.livenessProbe.httpGet.port, 10246);
    assert.equal(nginx.readinessProbe, undefined, 'the pod is ready when the controller says NGINX serves');
    assert.deepEqual(nginx.lifecycle?.preStop?.exec?.command, [
      '/app/bin/gatehouse-nginx',
      'drain',
      '/var/lib/gatehouse',
      '10',
    ]);
    assert.equal(c.readinessProbe?.httpGet?.path, '/healthz');
    assert.equal(
      c.livenessProbe?.httpGet?.path,
      '/livez',
      'NGINX not serving is no reason to restart the controller',
    );
    for (const probe of [c.livenessProbe, c.readinessProbe]) assert.equal(probe.httpGet?.port, 10254);

    const ports = (x: V1Container): [string | undefined, number][] =>
      (x.ports ?? []).map((p) => [p.name, p.containerPort]);
    assert.deepEqual(ports(nginx), [
      ['http', 80],
      ['https', 443],
      ['nginx-healthz', 10246],
    ]);
    assert.deepEqual(ports(c), [
      ['healthz', 10254],
      ['webhook', 8443],
    ]);
    assert.deepEqual(
      (c.env ?? []).map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath ?? e.value]),
      [
        ['POD_NAME', 'metadata.name'],
        ['POD_NAMESPACE', 'metadata.namespace'],
        ['NODE_NAME', 'spec.nodeName'],
        ['TINI_SUBREAPER', '1'],
      ],
    );
    assert.equal(nginx.env, undefined);
  });

  void it('passes the controller its flags', () => {
    const args = controllerContainer(find(r, 'Deployment')).args ?? [];
    assert.deepEqual(args, [
      'serve',
      '--http-port',
      '80',
      '--https-port',
      '443',
      '--healthz-port',
      '10254',
      '--healthz-host',
      '0.0.0.0',
      '--conf-dir',
      '/var/lib/gatehouse',
      '--ingress-class',
      'gatehouse',
      '--controller-class',
      'gatehouse.dev/ingress-controller',
      '--configmap',
      `$(POD_NAMESPACE)/${FULLNAME}`,
      '--election-id',
      `${FULLNAME}-leader`,
      '--election-ttl',
      '15',
      '--shutdown-grace-period',
      '10',
      '--publish-service',
      `$(POD_NAMESPACE)/${FULLNAME}`,
      '--validating-webhook',
      ':8443',
      '--validating-webhook-certificate',
      '/etc/gatehouse/webhook/tls.crt',
      '--validating-webhook-key',
      '/etc/gatehouse/webhook/tls.key',
      '--log-level',
      'info',
      '--log-format',
      'json',
      '--nginx-mode',
      'sidecar',
      '--nginx-healthz-port',
      '10246',
      '--metrics-log-port',
      '10247',
    ]);
  });

  void it('grants exactly the RBAC the controller uses', () => {
    const clusterRole = find(r, 'ClusterRole', FULLNAME);
    assert.deepEqual(grants(clusterRole.rules), [...CLUSTER_SCOPED, ...WATCHED].sort());
    const role = find(r, 'Role', FULLNAME, NAMESPACE);
    assert.deepEqual(grants(role.rules), [...RELEASE_NAMESPACE].sort());
    assert.equal(r.objects.filter((o) => o.kind === 'Role').length, 1);

    for (const [kind, roleKind] of [
      ['ClusterRoleBinding', 'ClusterRole'],
      ['RoleBinding', 'Role'],
    ] as const) {
      const binding = find(r, kind, FULLNAME);
      assert.deepEqual(binding.roleRef, {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: roleKind,
        name: FULLNAME,
      });
      assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: FULLNAME, namespace: NAMESPACE }]);
    }
  });

  void it('creates the IngressClass, not as the default', () => {
    const ic = find(r, 'IngressClass', 'gatehouse');
    assert.equal(ic.spec?.controller, 'gatehouse.dev/ingress-controller');
    assert.equal(ic.metadata?.annotations?.['ingressclass.kubernetes.io/is-default-class'], undefined);
  });

  void it('fronts the pods with a LoadBalancer Service on 80 and 443', () => {
    const spec = find(r, 'Service', FULLNAME, NAMESPACE).spec;
    assert.ok(spec);
    assert.equal(spec.type, 'LoadBalancer');
    assert.deepEqual(
      (spec.ports ?? []).map((p) => [p.name, p.port, p.targetPort]),
      [
        ['http', 80, 'http'],
        ['https', 443, 'https'],
      ],
    );
    assert.deepEqual(spec.selector, {
      'app.kubernetes.io/name': 'gatehouse',
      'app.kubernetes.io/instance': RELEASE,
      'app.kubernetes.io/component': 'controller',
    });
  });

  void it('creates a ConfigMap holding only the drain timeout, and nothing optional', () => {
    const cm = find(r, 'ConfigMap', FULLNAME, NAMESPACE);
    assert.deepEqual(cm.data, { 'worker-shutdown-timeout': '240' });
    for (const kind of [
      'PodDisruptionBudget',
      'HorizontalPodAutoscaler',
      'NetworkPolicy',
      'ServiceMonitor',
      'PrometheusRule',
    ])
      assert.ok(!has(r, kind), kind);
    assert.ok(!r.objects.some((o) => o.metadata?.name === `${FULLNAME}-dashboard`), 'no dashboard');
  });

  void it('turns the webhook on with a generated certificate the API server can trust', () => {
    const secret = find(r, 'Secret', `${FULLNAME}-admission-tls`, NAMESPACE);
    assert.equal(secret.type, 'kubernetes.io/tls');
    const pem = (k: string): string => Buffer.from(secret.data?.[k] ?? '', 'base64').toString('utf8');
    const ca = new X509Certificate(pem('ca.crt'));
    const leaf = new X509Certificate(pem('tls.crt'));
    assert.ok(leaf.verify(ca.publicKey), 'the serving certificate is signed by the CA');
    assert.ok(leaf.checkHost(`${FULLNAME}-admission.${NAMESPACE}.svc`));
    assert.ok(createPrivateKey(pem('tls.key')).asymmetricKeyType !== undefined);
    const hook = find(r, 'ValidatingWebhookConfiguration', `${FULLNAME}-admission`).webhooks?.[0];
    assert.ok(hook);
    assert.equal(hook.clientConfig.caBundle, secret.data?.['ca.crt']);
    assert.equal(hook.failurePolicy, 'Fail');
    assert.deepEqual(
      hook.matchConditions?.map((m) => m.name),
      ['gatehouse-class'],
    );
    const annotations = podSpecOf(find(r, 'Deployment')).metadata?.annotations ?? {};
    assert.match(annotations['checksum/webhook-certificate'] ?? '', /^[0-9a-f]{64}$/);
  });
});

void describe('other values', () => {
  void it('writes global NGINX settings to the ConfigMap as strings, whole numbers as such', async () => {
    const r = await template({
      controller: {
        config: { 'hsts-max-age': 31536000, hsts: true, 'proxy-body-size': '8m', 'keep-alive': 75 },
      },
    });
    assert.deepEqual(find(r, 'ConfigMap').data, {
      'worker-shutdown-timeout': '240',
      'hsts-max-age': '31536000',
      hsts: 'true',
      'proxy-body-size': '8m',
      'keep-alive': '75',
    });
  });

  void it('adds a PodDisruptionBudget and hard anti-affinity for several replicas', async () => {
    const r = await template({ controller: { replicaCount: 3, podAntiAffinity: 'hard' } });
    const pdb = find(r, 'PodDisruptionBudget', FULLNAME);
    assert.equal(pdb.spec?.minAvailable, 1);
    const affinity = podSpec(find(r, 'Deployment')).affinity?.podAntiAffinity;
    assert.equal(
      affinity?.requiredDuringSchedulingIgnoredDuringExecution?.[0]?.topologyKey,
      'kubernetes.io/hostname',
    );
  });

  void it('marks the IngressClass as default and passes the optional flags', async () => {
    const r = await template({
      controller: {
        ingressClass: { name: 'edge', default: true },
        watchIngressWithoutClass: true,
        defaultBackendService: 'web/fallback',
        defaultSSLCertificate: 'edge/wildcard-tls',
        updateStatus: false,
        publishStatusAddress: '203.0.113.7,edge.example.com',
        reportNodeInternalIp: true,
      },
    });
    const ic = find(r, 'IngressClass', 'edge');
    assert.equal(ic.metadata?.annotations?.['ingressclass.kubernetes.io/is-default-class'], 'true');
    const args = controllerContainer(find(r, 'Deployment')).args ?? [];
    assert.equal(flag(args, '--ingress-class'), 'edge');
    assert.ok(args.includes('--watch-ingress-without-class'));
    assert.equal(flag(args, '--default-backend-service'), 'web/fallback');
    assert.equal(flag(args, '--default-ssl-certificate'), 'edge/wildcard-tls');
    assert.equal(flag(args, '--update-status'), 'false');
    assert.equal(flag(args, '--publish-status-address'), '203.0.113.7,edge.example.com');
    assert.ok(args.includes('--report-node-internal-ip-address'));
    assert.equal(flag(args, '--watch-namespace'), undefined);
  });

  void it('runs as a DaemonSet on the host network with the webhook, RBAC held to one namespace', async () => {
    const r = await templateFile(CI_VALUES);
    assert.ok(!has(r, 'Deployment') && !has(r, 'PodDisruptionBudget'));
    const ds = find(r, 'DaemonSet', FULLNAME, NAMESPACE);
    const pod = podSpec(ds);
    assert.equal(pod.hostNetwork, true);
    assert.equal(pod.dnsPolicy, 'ClusterFirstWithHostNet');
    assert.equal(pod.securityContext?.sysctls, undefined, 'a host-network pod cannot set sysctls');
    assert.equal(pod.affinity, undefined);

    const c = controllerContainer(ds);
    const args = c.args ?? [];
    assert.equal(flag(args, '--http-port'), '8080');
    assert.equal(flag(args, '--watch-namespace'), 'shop');
    assert.equal(flag(args, '--validating-webhook'), ':9443');
    assert.equal(flag(args, '--validating-webhook-certificate'), '/etc/gatehouse/webhook/tls.crt');
    assert.equal(flag(args, '--validating-webhook-key'), '/etc/gatehouse/webhook/tls.key');
    assert.equal(flag(args, '--election-id'), `${FULLNAME}-leader`);
    assert.deepEqual(
      c.volumeMounts?.find((m) => m.name === 'webhook-cert'),
      { name: 'webhook-cert', mountPath: '/etc/gatehouse/webhook', readOnly: true },
    );
    assert.equal(
      pod.volumes?.find((v) => v.name === 'webhook-cert')?.secret?.secretName,
      'gatehouse-admission-tls',
    );

    const webhook = find(r, 'ValidatingWebhookConfiguration', `${FULLNAME}-admission`);
    const hook = webhook.webhooks?.[0];
    assert.equal(hook?.clientConfig.service?.name, `${FULLNAME}-admission`);
    assert.equal(hook.clientConfig.service.namespace, NAMESPACE);
    assert.ok((hook.clientConfig.caBundle ?? '') !== '');
    assert.equal(hook.failurePolicy, 'Fail');
    assert.equal(hook.sideEffects, 'None');
    assert.deepEqual(hook.rules?.[0]?.resources, ['ingresses']);
    assert.deepEqual(hook.namespaceSelector?.matchLabels, { 'kubernetes.io/metadata.name': 'shop' });
    const svc = find(r, 'Service', `${FULLNAME}-admission`, NAMESPACE);
    assert.deepEqual(
      svc.spec?.ports?.map((p) => [p.port, p.targetPort]),
      [[443, 'webhook']],
    );

    assert.deepEqual(grants(find(r, 'ClusterRole', FULLNAME).rules), [...CLUSTER_SCOPED].sort());
    assert.deepEqual(
      grants(find(r, 'Role', FULLNAME, NAMESPACE).rules),
      [...RELEASE_NAMESPACE, `core/services:${FULLNAME} get`].sort(),
    );
    assert.deepEqual(grants(find(r, 'Role', `${FULLNAME}-watch`, 'shop').rules), [...WATCHED].sort());
    const binding = find(r, 'RoleBinding', `${FULLNAME}-watch`, 'shop');
    assert.equal(binding.subjects?.[0]?.namespace, NAMESPACE);
  });

  void it('takes the values operators expect, each where Kubernetes reads it', async () => {
    const r = await template({
      commonLabels: { team: 'edge' },
      networkPolicy: { enabled: true, webhookFrom: [{ ipBlock: { cidr: '192.0.2.0/24' } }] },
      controller: {
        electionTTL: 30,
        minReadySeconds: 5,
        dnsPolicy: 'None',
        dnsConfig: { nameservers: ['192.0.2.53'] },
        extraArgs: { debounce: 250, 'enable-metrics': false },
        extraEnvs: [{ name: 'TZ', value: 'UTC' }],
        extraVolumes: [{ name: 'extra', emptyDir: {} }],
        extraVolumeMounts: [{ name: 'extra', mountPath: '/extra' }],
        extraContainers: [{ name: 'sidecar', image: 'busybox' }],
        extraInitContainers: [{ name: 'init', image: 'busybox' }],
        hostPort: { enabled: true },
        startupProbe: { httpGet: { path: '/healthz', port: 10254 }, failureThreshold: 30 },
        topologySpreadConstraints: [
          { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' },
        ],
        affinity: {
          nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } },
        },
        autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 5, targetMemoryUtilizationPercentage: 75 },
        metrics: {
          enabled: true,
          serviceMonitor: { enabled: true },
          prometheusRule: { enabled: true, rules: [{ alert: 'Down', expr: 'up == 0' }] },
        },
        service: {
          loadBalancerClass: 'example.com/lb',
          externalIPs: ['192.0.2.10'],
          nodePorts: { http: 30080 },
          ipFamilies: ['IPv4', 'IPv6'],
          ipFamilyPolicy: 'PreferDualStack',
          internal: { enabled: true, annotations: { 'example.com/internal': 'true' } },
        },
      },
    });
    for (const o of r.objects) assert.equal(o.metadata?.labels?.['team'], 'edge', `${o.kind ?? ''} label`);
    const deployment = find(r, 'Deployment');
    assert.equal(deployment.spec?.replicas, undefined, 'the autoscaler owns replicas');
    assert.equal(deployment.spec?.minReadySeconds, 5);
    assert.deepEqual(deployment.spec.strategy?.rollingUpdate, { maxSurge: 0, maxUnavailable: 1 });
    const pod = podSpec(deployment);
    assert.equal(pod.dnsPolicy, 'None');
    assert.deepEqual(pod.dnsConfig, { nameservers: ['192.0.2.53'] });
    assert.ok(pod.affinity?.nodeAffinity && !pod.affinity.podAntiAffinity);
    assert.deepEqual(pod.topologySpreadConstraints?.[0]?.labelSelector?.matchLabels, {
      'app.kubernetes.io/name': 'gatehouse',
      'app.kubernetes.io/instance': RELEASE,
      'app.kubernetes.io/component': 'controller',
    });
    assert.deepEqual(
      pod.containers.map((c) => c.name),
      ['nginx', 'controller', 'sidecar'],
    );
    assert.deepEqual(
      pod.initContainers?.map((c) => c.name),
      ['init'],
    );
    assert.ok(pod.volumes?.some((v) => v.name === 'extra'));
    const c = controllerContainer(deployment);
    const args = c.args ?? [];
    assert.equal(flag(args, '--election-ttl'), '30');
    assert.deepEqual(args.slice(-2), ['--debounce=250', '--enable-metrics=false']);
    assert.ok(c.env?.some((e) => e.name === 'TZ'));
    assert.ok(c.volumeMounts?.some((m) => m.mountPath === '/extra'));
    assert.equal(c.startupProbe?.failureThreshold, 30);
    assert.deepEqual(
      container(deployment, 'nginx')
        .ports?.filter((p) => p.hostPort !== undefined)
        .map((p) => [p.name, p.hostPort]),
      [
        ['http', 80],
        ['https', 443],
      ],
    );
    const svc = find(r, 'Service', FULLNAME).spec;
    assert.ok(svc);
    assert.equal(svc.loadBalancerClass, 'example.com/lb');
    assert.deepEqual(svc.externalIPs, ['192.0.2.10']);
    assert.equal(svc.ports?.find((p) => p.name === 'http')?.nodePort, 30080);
    assert.equal(svc.ports.find((p) => p.name === 'https')?.nodePort, undefined);
    assert.deepEqual(svc.ipFamilies, ['IPv4', 'IPv6']);
    assert.equal(svc.ipFamilyPolicy, 'PreferDualStack');
    const internal = find(r, 'Service', `${FULLNAME}-internal`);
    assert.equal(internal.metadata?.annotations?.['example.com/internal'], 'true');
    const metrics = find(r, 'Service', `${FULLNAME}-metrics`).spec;
    assert.deepEqual(
      metrics?.ports?.map((p) => [p.name, p.port, p.targetPort]),
      [['metrics', 10254, 'healthz']],
    );
    assert.ok(has(r, 'ServiceMonitor') && has(r, 'PrometheusRule'));
    const monitor = r.objects.find((o) => o.kind === 'ServiceMonitor') as unknown as {
      spec: { endpoints: { honorLabels?: boolean }[] };
    };
    assert.equal(monitor.spec.endpoints[0]?.honorLabels, true, 'the Ingress namespace/service labels win');
    // The Grafana dashboard comes with the ServiceMonitor, as the file in the chart, for Grafana's sidecar.
    const dashboard = find(r, 'ConfigMap', `${FULLNAME}-dashboard`, NAMESPACE);
    assert.equal(dashboard.metadata?.labels?.['grafana_dashboard'], '1');
    assert.equal(
      dashboard.data?.['gatehouse.json'],
      readFileSync(path.join(CHART, 'dashboards', 'gatehouse.json'), 'utf8').trimEnd(),
    );
    const hpa = r.objects.find((o) => o.kind === 'HorizontalPodAutoscaler') as unknown as {
      spec: { maxReplicas: number; metrics: { resource: { name: string } }[] };
    };
    assert.equal(hpa.spec.maxReplicas, 5);
    assert.deepEqual(
      hpa.spec.metrics.map((m) => m.resource.name),
      ['cpu', 'memory'],
    );
    const np = r.objects.find((o) => o.kind === 'NetworkPolicy') as unknown as {
      // client-node's model names the `from` field `_from`.
      spec: { ingress: { ports: { port: string }[]; _from?: unknown[] }[] };
    };
    assert.deepEqual(
      np.spec.ingress.map((rule) => [
        rule.ports.map((p) => p.port).join(','),
        rule._from?.length ?? 'anyone',
      ]),
      [
        ['http,https', 'anyone'],
        ['webhook', 1],
        ['healthz', 'anyone'],
      ],
    );
  });

  void it('exposes the TCP and UDP services: their ConfigMaps, flags, pod and Service ports, NetworkPolicy', async () => {
    const r = await template({
      tcp: { '5432': 'db/postgres:5432', '9000': 'default/app:http::PROXY' },
      udp: { '53': 'kube-system/kube-dns:dns' },
      networkPolicy: { enabled: true },
      controller: { service: { internal: { enabled: true } } },
    });
    assert.deepEqual(find(r, 'ConfigMap', `${FULLNAME}-tcp`, NAMESPACE).data, {
      '5432': 'db/postgres:5432',
      '9000': 'default/app:http::PROXY',
    });
    assert.deepEqual(find(r, 'ConfigMap', `${FULLNAME}-udp`, NAMESPACE).data, {
      '53': 'kube-system/kube-dns:dns',
    });
    const deployment = find(r, 'Deployment');
    const args = controllerContainer(deployment).args ?? [];
    assert.equal(flag(args, '--tcp-services-configmap'), `$(POD_NAMESPACE)/${FULLNAME}-tcp`);
    assert.equal(flag(args, '--udp-services-configmap'), `$(POD_NAMESPACE)/${FULLNAME}-udp`);
    // NGINX listens in the nginx container (the sidecar pod, the default mode).
    const ports = (container(deployment, 'nginx').ports ?? []).map(
      (p) => `${p.name}:${p.containerPort}/${p.protocol}`,
    );
    for (const p of ['5432-tcp:5432/TCP', '9000-tcp:9000/TCP', '53-udp:53/UDP'])
      assert.ok(ports.includes(p), ports.join(' '));
    for (const name of [FULLNAME, `${FULLNAME}-internal`]) {
      const service = find(r, 'Service', name, NAMESPACE);
      assert.deepEqual(
        service.spec?.ports?.map((p) => `${p.name}:${p.port}->${String(p.targetPort)}/${p.protocol}`),
        [
          'http:80->http/TCP',
          'https:443->https/TCP',
          '5432-tcp:5432->5432-tcp/TCP',
          '9000-tcp:9000->9000-tcp/TCP',
          '53-udp:53->53-udp/UDP',
        ],
      );
    }
    const np = r.objects.find((o) => o.kind === 'NetworkPolicy') as unknown as {
      spec: { ingress: { ports: { port: string; protocol: string }[] }[] };
    };
    assert.deepEqual(
      np.spec.ingress[0]?.ports.map((p) => `${p.port}/${p.protocol}`),
      ['http/TCP', 'https/TCP', '5432-tcp/TCP', '9000-tcp/TCP', '53-udp/UDP'],
    );
    // Without the values: no ConfigMaps, no flags.
    const plain = await template({});
    assert.ok(!plain.objects.some((o) => o.metadata?.name === `${FULLNAME}-tcp`));
    assert.equal(
      flag(controllerContainer(find(plain, 'Deployment')).args ?? [], '--tcp-services-configmap'),
      undefined,
    );
  });

  void it('runs NGINX as the controller’s child in one container with mode single', async () => {
    const deployment = find(await template({ controller: { mode: 'single' } }), 'Deployment');
    const pod = podSpec(deployment);
    assert.equal(pod.shareProcessNamespace, undefined);
    assert.equal(pod.automountServiceAccountToken, false);
    assert.deepEqual(
      pod.containers.map((x) => x.name),
      ['controller'],
    );
    const c = controllerContainer(deployment);
    const args = c.args ?? [];
    for (const f of ['--nginx-mode', '--nginx-healthz-port', '--metrics-log-port'])
      assert.equal(flag(args, f), undefined, f);
    assert.deepEqual(
      (c.ports ?? []).map((p) => p.name),
      ['http', 'https', 'healthz', 'webhook'],
    );
    assert.equal(c.livenessProbe?.httpGet?.path, '/healthz');
    assert.ok(c.volumeMounts?.some((m) => m.name === 'kube-api-access'));
  });

  void it('renders no RBAC when rbac.create is false', async () => {
    const r = await template({ rbac: { create: false } });
    for (const kind of ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'])
      assert.ok(!has(r, kind), kind);
  });
});

void describe('the controller CLI', () => {
  void it('knows every flag the chart passes', async () => {
    const help = await run(process.execPath, [path.join(ROOT, 'src', 'cli', 'entry.ts'), 'serve', '--help']);
    assert.equal(help.code, 0, help.stderr);
    const known = new Set(help.stdout.match(/--[a-z][a-z-]*/g));
    const everything = {
      controller: {
        watchIngressWithoutClass: true,
        defaultBackendService: 'shop/fallback',
        updateStatus: false,
        publishStatusAddress: '203.0.113.7',
        reportNodeInternalIp: true,
      },
      tcp: { '5432': 'db/postgres:5432' },
      udp: { '53': 'kube-system/kube-dns:dns' },
    };
    const rendered = [await template(everything), await templateFile(CI_VALUES)];
    const flags = new Set(
      rendered.flatMap((r) =>
        r.objects
          .filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet')
          .flatMap((o) =>
            (controllerContainer(o as V1Deployment).args ?? []).filter((a) => a.startsWith('--')),
          ),
      ),
    );
    assert.ok(flags.size >= 20, [...flags].join(' '));
    for (const f of flags) assert.ok(known.has(f), `gatehouse serve has no ${f}`);
  });
});

void describe('charts/gatehouse/README.md', () => {
  void it('has the parameter table generate-readme.mjs makes from values.yaml', async () => {
    const r = await run(process.execPath, [path.join(CHART, 'generate-readme.mjs'), '--check']);
    assert.equal(r.code, 0, r.stderr);
  });
});
