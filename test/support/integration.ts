import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { startEchoBackend, type EchoBackend, type EchoReply } from './echo-backend.ts';
import { ingressClass, serviceWithEndpoints, writeManifest } from './fixtures.ts';
import {
  CLI_ENTRY,
  REPO_ROOT,
  startGatehouse,
  waitUntilCurrent,
  type RunningGatehouse,
} from './gatehouse-process.ts';
import { eventually, request, type Reply, type RequestOptions } from './http-client.ts';

/** Shared plumbing for the integration tests: a manifests folder, named echo backends, short answers. */

/** A fresh manifests folder holding the `gatehouse` IngressClass (what a cluster would already have). */
export async function manifestsFolder(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-manifests-'));
  await writeManifest(dir, 'ingress-class.yaml', [ingressClass()]);
  return dir;
}

export async function removeFolder(dir: string | undefined): Promise<void> {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
}

/** Echo backends by name; each stands in for the pods of the Service of the same name. */
export class Backends {
  private readonly byName = new Map<string, EchoBackend>();

  static async start(names: readonly string[], host = '127.0.0.1'): Promise<Backends> {
    const backends = new Backends();
    for (const name of names) await backends.add(name, host);
    return backends;
  }

  async add(name: string, host = '127.0.0.1'): Promise<EchoBackend> {
    if (this.byName.has(name)) throw new Error(`backend ${name} already started`);
    const backend = await startEchoBackend(name, { host });
    this.byName.set(name, backend);
    return backend;
  }

  get(name: string): EchoBackend {
    const backend = this.byName.get(name);
    if (backend === undefined) throw new Error(`no backend named ${name}`);
    return backend;
  }

  /** A Service (port 80, named `http`) and EndpointSlice that send its traffic to these backends. */
  service(serviceName: string, ...backendNames: string[]): KubernetesObject[] {
    const names = backendNames.length > 0 ? backendNames : [serviceName];
    return serviceWithEndpoints(
      serviceName,
      names.map((n) => ({ ip: this.get(n).host, port: this.get(n).port })),
    );
  }

  /** One Service per backend, named after it. */
  services(): KubernetesObject[] {
    return [...this.byName.keys()].flatMap((name) => this.service(name));
  }

  async close(): Promise<void> {
    await Promise.all([...this.byName.values()].map((b) => b.close()));
    this.byName.clear();
  }
}

/** One `gatehouse serve` on a manifests folder, with echo backends for its Services. */
export interface ServedFolder {
  readonly dir: string;
  readonly backends: Backends;
  readonly gatehouse: RunningGatehouse;
  /** Rewrites the folder's manifest: these objects plus a Service per backend. */
  write(objects: readonly KubernetesObject[]): Promise<void>;
  /** Stops Gatehouse and the backends and removes the folder. */
  stop(): Promise<void>;
}

/** Starts echo backends, writes `objects` (and their Services) to a fresh folder, and serves it. */
export async function serveFolder(
  backendNames: readonly string[],
  objects: readonly KubernetesObject[],
  args: readonly string[] = [],
): Promise<ServedFolder> {
  const dir = await manifestsFolder();
  const backends = await Backends.start(backendNames);
  const write = async (list: readonly KubernetesObject[]): Promise<void> => {
    await writeManifest(dir, 'app.yaml', [...list, ...backends.services()]);
  };
  try {
    await write(objects);
    const gatehouse = await startGatehouse(dir, [...args]);
    return {
      dir,
      backends,
      gatehouse,
      write,
      stop: async () => {
        await gatehouse.stop();
        await backends.close();
        await removeFolder(dir);
      },
    };
  } catch (error) {
    await backends.close();
    await removeFolder(dir);
    throw error;
  }
}

/** The echo backend's JSON answer; fails the test with the raw reply when it is not one. */
export function echoOf(reply: Reply): EchoReply {
  try {
    return JSON.parse(reply.body) as EchoReply;
  } catch {
    throw new Error(`expected an echo backend reply, got HTTP ${reply.status}: ${reply.body.slice(0, 300)}`);
  }
}

/**
 * What a client sees, in one comparable word: `200 <backend>` when an echo backend answered, otherwise the
 * status code (`404`, `503`, `308`, ...).
 */
export async function served(
  scheme: 'http' | 'https',
  port: number,
  host: string,
  urlPath: string,
  options: RequestOptions = {},
): Promise<string> {
  return describeReply(await request(scheme, port, host, urlPath, options));
}

export function describeReply(reply: Reply): string {
  const backend = reply.headers['x-backend'];
  if (reply.status === 200 && typeof backend === 'string') return `200 ${echoOf(reply).backend}`;
  return String(reply.status);
}

/**
 * Polls what a client sees until it equals `expected`, then waits until the controller has finished the
 * reload that brought it (during a reload NGINX's old workers still accept connections for a moment, so the
 * first new answer can be followed by old ones), and returns what a client sees then (assert on it).
 */
export async function eventuallyServed(
  gatehouse: RunningGatehouse,
  host: string,
  urlPath: string,
  expected: string,
  timeoutMs = 10_000,
): Promise<string> {
  const first = await eventually(
    () => served('http', gatehouse.httpPort, host, urlPath),
    (v) => v === expected,
    timeoutMs,
  );
  if (first !== expected) return first;
  await waitUntilCurrent(gatehouse, timeoutMs);
  return served('http', gatehouse.httpPort, host, urlPath);
}

/** Waits until the controller's log contains `pattern` (at least `times` times); returns the whole log. */
export async function waitForLog(
  gatehouse: RunningGatehouse,
  pattern: string | RegExp,
  times = 1,
  timeoutMs = 10_000,
): Promise<string> {
  const logs = await eventually(
    () => Promise.resolve(gatehouse.logs()),
    (text) => countMatches(text, pattern) >= times,
    timeoutMs,
  );
  if (countMatches(logs, pattern) < times) {
    throw new Error(`log never showed ${String(pattern)} ${times} time(s); log tail:\n${logs.slice(-4000)}`);
  }
  return logs;
}

export function countMatches(text: string, pattern: string | RegExp): number {
  if (typeof pattern === 'string') return text.split(pattern).length - 1;
  const flags = pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`;
  return [...text.matchAll(new RegExp(pattern.source, flags))].length;
}

/** The nginx.conf NGINX is running now. */
export function liveConfig(gatehouse: RunningGatehouse): Promise<string> {
  return readFile(path.join(gatehouse.confDir, 'nginx.conf'), 'utf8');
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the gatehouse CLI to completion (e.g. `render`). */
export function runCli(args: readonly string[], timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_ENTRY, ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (c: string) => (stdout += c));
    child.stderr.on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
