// The chart's ValidatingWebhookConfiguration in a real API server while Gatehouse is down (its Service
// does not even exist): an Ingress of this controller's class is refused, as failurePolicy Fail says, but an
// Ingress of another class, or of none, is stored: Gatehouse being unavailable never blocks other teams.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { loadAllYaml, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { envtestBinDir } from '../support/cluster.ts';
import { startClusterEnv, type ClusterEnv } from '../support/cluster-env.ts';
import { ingress } from '../support/fixtures.ts';
import { REPO_ROOT } from '../support/gatehouse-process.ts';

/** The webhook configuration `helm template` renders with these --set values. */
function renderedWebhook(sets: string[]): KubernetesObject {
  const helm = path.join(envtestBinDir() ?? '', 'helm');
  const out = execFileSync(
    helm,
    [
      'template',
      'edge',
      path.join(REPO_ROOT, 'charts', 'gatehouse'),
      '--namespace',
      'ingress',
      '--show-only',
      'templates/webhook-validatingwebhookconfiguration.yaml',
      ...sets.flatMap((s) => ['--set', s]),
    ],
    {
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '', HELM_CACHE_HOME: '/tmp/gatehouse-helm-cache' },
    },
  );
  const [vwc] = loadAllYaml(out) as KubernetesObject[];
  assert.ok(vwc);
  return JSON.parse(JSON.stringify(vwc)) as KubernetesObject;
}

async function outcome(env: ClusterEnv, object: KubernetesObject): Promise<string> {
  try {
    await KubernetesObjectApi.makeApiClient(env.admin).create(object);
    return 'stored';
  } catch (error) {
    const body = (error as { body?: unknown }).body;
    const status = (typeof body === 'string' ? JSON.parse(body) : body) as { message?: string } | undefined;
    return `refused: ${status?.message ?? String(error)}`;
  }
}

describe('the chart’s admission webhook while Gatehouse is unavailable', () => {
  let env: ClusterEnv | undefined;
  let n = 0;
  const named = (spec: Parameters<typeof ingress>[0]): KubernetesObject =>
    ingress({
      ...spec,
      name: `${spec.name}-${++n}`,
      rules: [{ host: `h${n}.test`, paths: [{ service: 'web', port: 80 }] }],
    });

  before(async () => {
    env = await startClusterEnv();
  });
  after(async () => {
    await env?.stop();
  });

  it('refuses only Ingresses of its own class', async () => {
    assert.ok(env);
    const vwc = renderedWebhook([]);
    await KubernetesObjectApi.makeApiClient(env.admin).create(vwc);
    // The API server picks the configuration up within a moment.
    let ours = '';
    for (let i = 0; i < 50 && !ours.startsWith('refused'); i++) {
      ours = await outcome(env, named({ name: 'ours', className: 'gatehouse' }));
      if (!ours.startsWith('refused')) await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(ours, /refused: .*failed calling webhook "validate\.ingress\.gatehouse\.dev"/);
    assert.match(
      await outcome(
        env,
        named({
          name: 'legacy',
          className: null,
          annotations: { 'kubernetes.io/ingress.class': 'gatehouse' },
        }),
      ),
      /^refused/,
    );
    assert.equal(await outcome(env, named({ name: 'other', className: 'other' })), 'stored');
    assert.equal(
      await outcome(
        env,
        named({
          name: 'other-legacy',
          className: null,
          annotations: { 'kubernetes.io/ingress.class': 'nginx' },
        }),
      ),
      'stored',
    );
    assert.equal(await outcome(env, named({ name: 'classless', className: null })), 'stored');
    await KubernetesObjectApi.makeApiClient(env.admin).delete(vwc);
  });

  it('also takes Ingresses without a class when the controller serves them', async () => {
    assert.ok(env);
    const vwc = renderedWebhook(['controller.watchIngressWithoutClass=true']);
    await KubernetesObjectApi.makeApiClient(env.admin).create(vwc);
    let classless = '';
    for (let i = 0; i < 50 && !classless.startsWith('refused'); i++) {
      classless = await outcome(env, named({ name: 'classless', className: null }));
      if (!classless.startsWith('refused')) await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(classless, /^refused/);
    assert.equal(await outcome(env, named({ name: 'other', className: 'other' })), 'stored');
  });
});
