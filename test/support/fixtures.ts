import { dumpYaml, type KubernetesObject } from '@kubernetes/client-node';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generate } from 'selfsigned';

/** Small builders for the objects tests need, in the shape `kubectl apply` would take. */

export interface PathSpec {
  path?: string;
  pathType?: 'Exact' | 'Prefix' | 'ImplementationSpecific';
  service: string;
  port: number | string;
}

export interface IngressSpec {
  name: string;
  namespace?: string;
  className?: string | null;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
  rules?: { host?: string; paths: PathSpec[] }[];
  tls?: { hosts?: string[]; secretName: string }[];
  defaultBackend?: { service: string; port: number | string };
}

function backend(service: string, port: number | string): object {
  return { service: { name: service, port: typeof port === 'number' ? { number: port } : { name: port } } };
}

export function ingress(spec: IngressSpec): KubernetesObject & { spec: object } {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: spec.name,
      namespace: spec.namespace ?? 'default',
      ...(spec.annotations ? { annotations: spec.annotations } : {}),
      ...(spec.creationTimestamp ? { creationTimestamp: new Date(spec.creationTimestamp) } : {}),
    },
    spec: {
      ...(spec.className === null ? {} : { ingressClassName: spec.className ?? 'gatehouse' }),
      ...(spec.defaultBackend
        ? { defaultBackend: backend(spec.defaultBackend.service, spec.defaultBackend.port) }
        : {}),
      ...(spec.tls ? { tls: spec.tls } : {}),
      rules: (spec.rules ?? []).map((r) => ({
        ...(r.host !== undefined ? { host: r.host } : {}),
        http: {
          paths: r.paths.map((p) => ({
            path: p.path ?? '/',
            pathType: p.pathType ?? 'Prefix',
            backend: backend(p.service, p.port),
          })),
        },
      })),
    },
  };
}

/**
 * An Ingress `name` for host `<name>.example.com` → Service `service` port 80, with ingress-nginx
 * annotations given without their `nginx.ingress.kubernetes.io/` prefix.
 */
export function annotatedIngress(
  name: string,
  annotations: Record<string, string> = {},
  service = 'app',
): KubernetesObject & { spec: object } {
  return ingress({
    name,
    annotations: Object.fromEntries(
      Object.entries(annotations).map(([k, v]) => [`nginx.ingress.kubernetes.io/${k}`, v]),
    ),
    rules: [{ host: `${name}.example.com`, paths: [{ service, port: 80 }] }],
  });
}

export function ingressClass(
  name = 'gatehouse',
  controller = 'gatehouse.dev/ingress-controller',
  isDefault = false,
): KubernetesObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: {
      name,
      ...(isDefault ? { annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } } : {}),
    },
    spec: { controller },
  } as KubernetesObject;
}

/**
 * A Service whose port 80 (named http) is backed by the given endpoints, plus its EndpointSlice. A cluster
 * IP is set only when given (service-upstream reads it): a real API server allocates one otherwise, and
 * refuses a second Service with the same.
 */
export function serviceWithEndpoints(
  name: string,
  endpoints: { ip: string; port: number; ready?: boolean }[],
  options: { namespace?: string; port?: number; portName?: string; clusterIP?: string } = {},
): KubernetesObject[] {
  const namespace = options.namespace ?? 'default';
  const portName = options.portName ?? 'http';
  const byPort = new Map<number, { ip: string; ready?: boolean }[]>();
  for (const e of endpoints) byPort.set(e.port, [...(byPort.get(e.port) ?? []), e]);
  const slices = [...byPort.entries()].map(([port, eps], i) => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${name}-${i}`, namespace, labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4',
    ports: [{ name: portName, port, protocol: 'TCP' }],
    endpoints: eps.map((e) => ({ addresses: [e.ip], conditions: { ready: e.ready ?? true } })),
  }));
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace },
      spec: {
        ...(options.clusterIP !== undefined && { clusterIP: options.clusterIP }),
        ports: [{ name: portName, port: options.port ?? 80, targetPort: 8080 }],
      },
    } as KubernetesObject,
    ...(slices as KubernetesObject[]),
  ];
}

export function externalNameService(
  name: string,
  externalName: string,
  namespace = 'default',
  port = 80,
): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { type: 'ExternalName', externalName, ports: [{ name: 'http', port }] },
  } as KubernetesObject;
}

export interface TestCertificate {
  cert: string;
  key: string;
}

/** A self-signed EC certificate for the given DNS names (first one is the CN). */
export async function certificateFor(...hosts: string[]): Promise<TestCertificate> {
  const pems = await generate([{ name: 'commonName', value: hosts[0] ?? 'test' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - 3600_000),
    notAfterDate: new Date(Date.now() + 30 * 24 * 3600_000),
    extensions: [{ name: 'subjectAltName', altNames: hosts.map((h) => ({ type: 2 as const, value: h })) }],
  });
  return { cert: pems.cert, key: pems.private };
}

export function tlsSecret(
  name: string,
  certificate: TestCertificate,
  namespace = 'default',
): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type: 'kubernetes.io/tls',
    data: {
      'tls.crt': Buffer.from(certificate.cert).toString('base64'),
      'tls.key': Buffer.from(certificate.key).toString('base64'),
    },
  } as KubernetesObject;
}

/** Writes objects as one multi-document YAML file (what a user keeps in a manifests folder). */
export async function writeManifest(
  dir: string,
  file: string,
  objects: readonly KubernetesObject[],
): Promise<string> {
  const target = path.join(dir, file);
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, objects.map((o) => dumpYaml(o)).join('---\n'));
  return target;
}

/** The controller ConfigMap (`--configmap ops/gatehouse`) with these keys. */
export function configMap(
  data: Record<string, string>,
  namespace = 'ops',
  name = 'gatehouse',
): KubernetesObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data } as KubernetesObject;
}

/** An Opaque Secret with these string values (stored base64, as the API server would). */
export function opaqueSecret(
  name: string,
  data: Record<string, string>,
  namespace = 'default',
): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  } as KubernetesObject;
}
