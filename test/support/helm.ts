import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './gatehouse-process.ts';

/** The chart, and the helm binary scripts/build-envtest.sh builds. */
export const CHART = path.join(REPO_ROOT, 'charts', 'gatehouse');

/** $GATEHOUSE_ENVTEST_BIN/helm, else the envtest cache (`current` first, then any built key). */
export function findHelm(): string | undefined {
  const candidates: string[] = [];
  const bin = process.env['GATEHOUSE_ENVTEST_BIN'];
  if (bin) candidates.push(path.join(path.resolve(bin), 'helm'));
  const cache = process.env['GATEHOUSE_ENVTEST_DIR']
    ? path.resolve(process.env['GATEHOUSE_ENVTEST_DIR'])
    : path.join(REPO_ROOT, '.cache', 'envtest');
  candidates.push(path.join(cache, 'current', 'bin', 'helm'));
  if (existsSync(cache)) {
    for (const key of readdirSync(cache).sort().reverse())
      candidates.push(path.join(cache, key, 'bin', 'helm'));
  }
  return candidates.find((c) => existsSync(c));
}

export const HELM_MISSING =
  'helm was not found in $GATEHOUSE_ENVTEST_BIN or .cache/envtest/*/bin: run `bash scripts/build-envtest.sh` ' +
  '(builds kube-apiserver, etcd, kubectl and helm; the first build takes several minutes)';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs helm with its config, cache and data in `home` (never the user's), and with `kubeconfig` as its
 * only cluster (a file that does not exist: none).
 */
export function runHelm(
  helm: string,
  args: readonly string[],
  home: string,
  kubeconfig: string,
): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      helm,
      args,
      {
        cwd: REPO_ROOT,
        maxBuffer: 16 * 1024 * 1024,
        env: {
          PATH: process.env['PATH'] ?? '',
          // client-go keeps its discovery cache under $HOME/.kube (the working directory without a HOME).
          HOME: home,
          HELM_CONFIG_HOME: path.join(home, 'config'),
          HELM_CACHE_HOME: path.join(home, 'cache'),
          HELM_DATA_HOME: path.join(home, 'data'),
          KUBECONFIG: kubeconfig,
        },
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
