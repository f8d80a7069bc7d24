import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type {
  CoreV1Api,
  V1Container,
  V1EnvVar,
  V1PodTemplateSpec,
  V1Probe,
  V1Volume,
} from '@kubernetes/client-node';
import { podman, podmanOk } from './podman.ts';

/**
 * What a kubelet does with a pod of the chart, done with `podman kube play` on this machine: podman runs
 * the containers (shared process namespace, host network, security context, restart policy), and this
 * file does the rest of the kubelet's part, which podman 4.3 does not: resolve downward-API variables and
 * `$(VAR)` references, give every container KUBERNETES_SERVICE_HOST/PORT, mount the projected
 * ServiceAccount token (a TokenRequest token the API server accepts, with its CA and namespace) and Secret
 * volumes as files, give each pod emptyDirs of its own (podman would share one volume per name), probe
 * readiness, and on termination run preStop hooks before stopping each container within the grace period.
 *
 * Several "nodes" share this machine's network (host networking only, see shared/notes/containers.md), so
 * a node maps the ports of the spec to ports of its own: where a real node has an address of its own.
 */
export interface KubeletOptions {
  readonly core: CoreV1Api;
  /** The API server as pods reach it: 127.0.0.1 on the host network. */
  readonly apiServerPort: number;
  readonly caPath: string;
  /** Where pod folders (token, Secrets, emptyDirs, the manifest handed to podman) are made. */
  readonly workDir: string;
}

export interface RunningPod {
  readonly name: string;
  readonly node: PodmanNode;
  /** podman's name of a container of this pod. */
  container(name: string): string;
  /** A port of the spec as this pod's node has it. */
  port(specPort: number): number;
  /** The readiness probes of every container pass (as the kubelet's would). */
  ready(): Promise<boolean>;
  /** What a container logged (stdout and stderr). */
  logs(container: string): Promise<string>;
  /**
   * Deletion as the kubelet carries it out: each container's preStop hook, then its stop signal, all
   * within terminationGracePeriodSeconds; then the pod is removed.
   */
  terminate(): Promise<void>;
  /** Removes the pod at once (cleanup). */
  remove(): Promise<void>;
}

/** A node of the emulated cluster: its name and how it maps the spec's ports. */
export class PodmanNode {
  readonly name: string;
  private readonly ports: ReadonlyMap<number, number>;
  private readonly options: KubeletOptions;

  constructor(name: string, ports: ReadonlyMap<number, number>, options: KubeletOptions) {
    this.name = name;
    this.ports = ports;
    this.options = options;
  }

  port(specPort: number): number {
    return this.ports.get(specPort) ?? specPort;
  }

  /** Runs a pod from a workload's template, as the kubelet would once it is scheduled here. */
  async run(
    template: V1PodTemplateSpec,
    pod: { readonly name: string; readonly namespace: string },
  ): Promise<RunningPod> {
    const spec = template.spec;
    if (spec === undefined) throw new Error('pod template without spec');
    const dir = await mkdtemp(path.join(this.options.workDir, `${pod.name}-`));
    const volumes: V1Volume[] = [];
    const serviceAccount = spec.serviceAccountName ?? 'default';
    for (const volume of spec.volumes ?? [])
      volumes.push(await this.volume(volume, { ...pod, serviceAccount }, dir));
    const containers = spec.containers.map((c) => this.container(c, pod));
    const manifest = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: pod.name, namespace: pod.namespace, labels: template.metadata?.labels ?? {} },
      spec: {
        hostNetwork: spec.hostNetwork,
        shareProcessNamespace: spec.shareProcessNamespace,
        restartPolicy: 'Always',
        securityContext: { ...spec.securityContext, sysctls: undefined },
        containers,
        volumes,
      },
    };
    const file = path.join(dir, 'pod.json');
    await writeFile(file, JSON.stringify(this.mapPorts(manifest)));
    await podmanOk(['kube', 'play', file], 180_000);
    return this.running(pod.name, spec.containers, spec.terminationGracePeriodSeconds ?? 30, dir);
  }

  private running(
    name: string,
    containers: readonly V1Container[],
    graceSeconds: number,
    dir: string,
  ): RunningPod {
    const container = (c: string): string => `${name}-${c}`;
    const remove = async (): Promise<void> => {
      await podman(['pod', 'rm', '--force', '--time', '0', name]);
      await rm(dir, { recursive: true, force: true });
    };
    return {
      name,
      node: this,
      container,
      port: (p) => this.port(p),
      ready: async () => {
        for (const c of containers) {
          if (c.readinessProbe !== undefined && !(await this.probe(c.readinessProbe))) return false;
        }
        return true;
      },
      logs: async (c) => {
        const r = await podman(['logs', container(c)]);
        return r.stdout + r.stderr;
      },
      terminate: async () => {
        const deadline = Date.now() + graceSeconds * 1000;
        await Promise.all(
          containers.map(async (c) => {
            const hook = c.lifecycle?.preStop?.exec?.command;
            if (hook !== undefined)
              await podman(['exec', container(c.name), ...hook], Math.max(1000, deadline - Date.now()));
            const left = Math.max(0, Math.floor((deadline - Date.now()) / 1000));
            await podman(['stop', '--time', String(left), container(c.name)], (left + 30) * 1000);
          }),
        );
        await remove();
      },
      remove,
    };
  }

  /** An HTTP probe as the kubelet sends it (host network: to this machine). */
  async probe(probe: V1Probe): Promise<boolean> {
    const get = probe.httpGet;
    if (get === undefined) throw new Error('only httpGet probes are emulated');
    const port = this.port(Number(get.port));
    return fetch(`http://127.0.0.1:${port}${get.path ?? '/'}`, {
      signal: AbortSignal.timeout((probe.timeoutSeconds ?? 1) * 1000),
    }).then(
      (r) => r.status >= 200 && r.status < 400,
      () => false,
    );
  }

  /** The container as podman gets it: variables resolved, probes and hooks left to this kubelet. */
  private container(c: V1Container, pod: { name: string; namespace: string }): object {
    const env: V1EnvVar[] = [
      { name: 'KUBERNETES_SERVICE_HOST', value: '127.0.0.1' },
      { name: 'KUBERNETES_SERVICE_PORT', value: String(this.options.apiServerPort) },
    ];
    for (const e of c.env ?? []) {
      const field = e.valueFrom?.fieldRef?.fieldPath;
      const fields: Record<string, string> = {
        'metadata.name': pod.name,
        'metadata.namespace': pod.namespace,
        'spec.nodeName': this.name,
      };
      if (field !== undefined) {
        const value = fields[field];
        if (value === undefined) throw new Error(`downward API field ${field} is not emulated`);
        env.push({ name: e.name, value });
      } else env.push(e);
    }
    const vars = new Map(env.map((e) => [e.name, e.value ?? '']));
    const expand = (s: string): string =>
      s.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, n: string) => vars.get(n) ?? m);
    return {
      name: c.name,
      image: c.image,
      imagePullPolicy: 'Never',
      ...(c.command === undefined ? {} : { command: c.command.map(expand) }),
      ...(c.args === undefined ? {} : { args: c.args.map(expand) }),
      env,
      // On the host network a containerPort only documents what the process binds (podman refuses it).
      securityContext: c.securityContext,
      volumeMounts: c.volumeMounts,
    };
  }

  private async volume(
    volume: V1Volume,
    pod: { name: string; namespace: string; serviceAccount: string },
    dir: string,
  ): Promise<V1Volume> {
    const folder = path.join(dir, 'volumes', volume.name);
    await mkdir(folder, { recursive: true });
    await chmod(folder, 0o777); // as the kubelet makes an emptyDir
    if (volume.emptyDir !== undefined) {
      // nothing to put in it
    } else if (volume.projected !== undefined) {
      for (const source of volume.projected.sources ?? []) {
        if (source.serviceAccountToken !== undefined) {
          await writeFile(
            path.join(folder, source.serviceAccountToken.path),
            await this.token(pod.serviceAccount, pod.namespace, source.serviceAccountToken.expirationSeconds),
            { mode: 0o644 },
          );
        }
        for (const item of source.configMap?.items ?? []) {
          if (source.configMap?.name !== 'kube-root-ca.crt' || item.key !== 'ca.crt')
            throw new Error(`projected ConfigMap ${source.configMap?.name ?? ''} is not emulated`);
          await writeFile(path.join(folder, item.path), await readFile(this.options.caPath), { mode: 0o644 });
        }
        for (const item of source.downwardAPI?.items ?? []) {
          if (item.fieldRef?.fieldPath !== 'metadata.namespace')
            throw new Error(`projected field ${item.fieldRef?.fieldPath ?? ''} is not emulated`);
          await writeFile(path.join(folder, item.path), pod.namespace, { mode: 0o644 });
        }
      }
    } else if (volume.secret !== undefined) {
      const secret = await this.options.core.readNamespacedSecret({
        name: volume.secret.secretName ?? '',
        namespace: pod.namespace,
      });
      for (const [key, value] of Object.entries(secret.data ?? {}))
        await writeFile(path.join(folder, key), Buffer.from(value, 'base64'), { mode: 0o644 });
    } else {
      throw new Error(`volume ${volume.name}: only emptyDir, projected and secret volumes are emulated`);
    }
    return { name: volume.name, hostPath: { path: folder, type: 'Directory' } };
  }

  /** A token for the pod's ServiceAccount, as the kubelet requests it for a projected volume. */
  private async token(serviceAccount: string, namespace: string, expirationSeconds = 3607): Promise<string> {
    const r = await this.options.core.createNamespacedServiceAccountToken({
      name: serviceAccount,
      namespace,
      body: { spec: { audiences: [], expirationSeconds: Math.max(expirationSeconds, 600) } },
    });
    const token = r.status?.token;
    if (token === undefined) throw new Error('TokenRequest returned no token');
    return token;
  }

  /** Every number or numeric string equal to a mapped port becomes this node's port. */
  private mapPorts(value: unknown): unknown {
    if (typeof value === 'number') return this.ports.get(value) ?? value;
    if (typeof value === 'string' && /^\d+$/.test(value)) {
      const mapped = this.ports.get(Number(value));
      return mapped === undefined ? value : String(mapped);
    }
    if (typeof value === 'string')
      return value.replace(/^:(\d+)$/, (_m, p: string) => `:${this.ports.get(Number(p)) ?? p}`);
    if (Array.isArray(value)) return value.map((v) => this.mapPorts(v));
    if (value !== null && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.mapPorts(v)]));
    return value;
  }
}

/** A pod name as the Deployment controller makes it: `<deployment>-<template hash>-<random>`. */
export function podName(deployment: string, template: V1PodTemplateSpec): string {
  const hash = createHash('sha256').update(JSON.stringify(template)).digest('hex').slice(0, 10);
  return `${deployment}-${hash}-${randomBytes(3).toString('hex').slice(0, 5)}`;
}

export async function kubeletWorkDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'gatehouse-kubelet-'));
}
