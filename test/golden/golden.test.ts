// Golden configs: every folder here holds objects.yaml (the input), and the nginx.conf, dynamic.json (the
// endpoints and certificates pushed at run time) and diagnostics.txt Gatehouse makes of it. A change in output fails the test until the goldens are regenerated on purpose:
//
//   UPDATE_GOLDEN=1 node --test test/golden/golden.test.ts
//
// Review the diff like code. Every golden must also pass the real `nginx -t`.
//
// Byte-stable inputs: the default certificate (default-certificate.pem) and the TLS Secrets inside the
// objects.yaml files are fixed self-signed EC P-256 certificates valid 2026-2036, and the render paths are fixed.
// An optional options.json sets the flags a scenario needs (defaultBackendService, configMap, watchIngressWithoutClass,
// metricsLog, sslPassthrough, tcpServices, udpServices).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatDiagnostic } from '../../src/model/diagnostics.ts';
import { render, type RenderPaths } from '../../src/render/render.ts';
import { buildSnapshot } from '../../src/sources/kube-objects.ts';
import { parseManifest } from '../../src/sources/files/parse-manifest.ts';
import type { NameResolution } from '../../src/model/snapshot.ts';
import { translate, type NamespacedName, type TranslateOptions } from '../../src/translate/translate.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';
const DEFAULT_PEM = readFileSync(path.join(HERE, 'default-certificate.pem'), 'utf8');
const GOLDEN_PATHS: RenderPaths = { confDir: '/etc/gatehouse', runDir: '/etc/gatehouse/run' };
const NGINX = process.env['NGINX_BINARY'] ?? 'nginx';

const scenarios = readdirSync(HERE, { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(path.join(HERE, e.name, 'objects.yaml')))
  .map((e) => e.name)
  .sort();

function namespacedName(value: unknown): NamespacedName | undefined {
  if (typeof value !== 'string') return undefined;
  const [namespace = '', name = ''] = value.split('/');
  return { namespace, name };
}

function optionsFor(dir: string): TranslateOptions {
  const file = path.join(dir, 'options.json');
  const extra = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  return {
    ingressClass: 'gatehouse',
    controllerClass: 'gatehouse.dev/ingress-controller',
    watchIngressWithoutClass: extra['watchIngressWithoutClass'] === true,
    listen: { httpPort: 80, httpsPort: 443 },
    defaultBackendService: namespacedName(extra['defaultBackendService']),
    configMap: namespacedName(extra['configMap']),
    defaultCertificatePem: DEFAULT_PEM,
    defaultCertificateSecret: namespacedName(extra['defaultCertificateSecret']),
    excluded: new Map(),
    sslPassthrough: extra['sslPassthrough'] === true,
    ...Object.fromEntries(
      (['tcpServices', 'udpServices'] as const).flatMap((k) => {
        const ref = namespacedName(extra[k]);
        return ref === undefined ? [] : [[k, ref]];
      }),
    ),
  };
}

/**
 * Render options from options.json: `metricsLog` turns the metrics log (and route ids) on. A metrics log
 * file under the golden conf dir moves with the conf dir to `confDir` (nginx -t opens it).
 */
function renderExtras(dir: string, confDir = GOLDEN_PATHS.confDir): Pick<RenderPaths, 'metricsLog'> {
  const file = path.join(dir, 'options.json');
  const extra = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  const log = extra['metricsLog'];
  if (typeof log !== 'string') return {};
  return {
    metricsLog: log.startsWith(`${GOLDEN_PATHS.confDir}/`) ? log.replace(GOLDEN_PATHS.confDir, confDir) : log,
  };
}

/**
 * What the controller's resolver found for ExternalName targets, from options.json's `externalNames`:
 * a name maps to its addresses, or to the text of its error.
 */
function externalNamesFor(dir: string): Map<string, NameResolution> {
  const file = path.join(dir, 'options.json');
  const extra = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  const names = (extra['externalNames'] ?? {}) as Record<string, string[] | string>;
  return new Map(
    Object.entries(names).map(([name, v]) => [name, typeof v === 'string' ? { error: v } : { addresses: v }]),
  );
}

function translateScenario(dir: string) {
  const parsed = parseManifest('objects.yaml', readFileSync(path.join(dir, 'objects.yaml'), 'utf8'));
  const snapshot = buildSnapshot(
    parsed.objects.map((object) => ({ origin: 'objects.yaml', object })),
    parsed.diagnostics,
  );
  return translate({ ...snapshot, externalNames: externalNamesFor(dir) }, optionsFor(dir));
}

function compareOrUpdate(file: string, actual: string): void {
  if (UPDATE) {
    writeFileSync(file, actual);
    return;
  }
  assert.ok(existsSync(file), `${file} is missing; create it with UPDATE_GOLDEN=1`);
  assert.equal(
    actual,
    readFileSync(file, 'utf8'),
    `${file} differs; if the change is intended, run with UPDATE_GOLDEN=1`,
  );
}

describe('golden configs', () => {
  it('has the scenarios', () => {
    assert.ok(scenarios.length >= 8, `only ${scenarios.join(', ')}`);
  });

  for (const scenario of scenarios) {
    const dir = path.join(HERE, scenario);

    it(`${scenario}: renders the golden nginx.conf and diagnostics`, () => {
      const result = translateScenario(dir);
      const rendered = render(result.model, { ...GOLDEN_PATHS, ...renderExtras(dir) });
      compareOrUpdate(path.join(dir, 'nginx.conf'), rendered.nginxConf);
      // What NGINX gets at run time (pushed over the status socket), not in nginx.conf: the endpoints, each
      // host's certificate, the certificates by name (their PEM is the Secrets'), canary, affinity and balancing policies.
      const { backends, hosts, certificates, canaries, affinities, balancing } = rendered.dynamic;
      const pushed = {
        backends,
        hosts,
        certificates: Object.keys(certificates),
        ...(Object.keys(canaries).length > 0 && { canaries }),
        ...(Object.keys(affinities).length > 0 && { affinities }),
        ...(Object.keys(balancing).length > 0 && { balancing }),
      };
      compareOrUpdate(path.join(dir, 'dynamic.json'), `${JSON.stringify(pushed, null, 2)}\n`);
      compareOrUpdate(
        path.join(dir, 'diagnostics.txt'),
        result.diagnostics.map((d) => `${formatDiagnostic(d)}\n`).join(''),
      );
    });

    it(`${scenario}: passes nginx -t`, () => {
      const root = mkdtempSync(path.join(tmpdir(), `gatehouse-golden-${scenario}-`));
      try {
        // Written as `gatehouse render --out` does: absolute paths under one folder, run files below it.
        const rendered = render(translateScenario(dir).model, {
          confDir: root,
          runDir: path.join(root, 'run'),
          ...renderExtras(dir, root),
        });
        mkdirSync(path.join(root, 'run', 'tmp'), { recursive: true });
        for (const file of rendered.files) {
          mkdirSync(path.dirname(path.join(root, file.path)), { recursive: true });
          writeFileSync(path.join(root, file.path), file.content, { mode: file.mode });
        }
        const check = spawnSync(
          NGINX,
          ['-p', path.join(root, 'run'), '-e', 'stderr', '-t', '-q', '-c', path.join(root, 'nginx.conf')],
          // stdout ignored as the controller does: /dev/stdout must be openable (a socketpair is not).
          { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'ignore', 'pipe'] },
        );
        assert.equal(check.error, undefined, `cannot run ${NGINX}: ${String(check.error)}`);
        assert.equal(check.status, 0, `nginx -t failed:\n${check.stderr}`);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  }
});
