import { InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import type { NamespacedName } from '../translate/translate.ts';

export function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535)
    throw new InvalidArgumentError('must be a port number (1-65535)');
  return n;
}

const label = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
const subdomain = z.string().regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/);

export function parseNamespacedName(value: string): NamespacedName {
  const [namespace, name, ...rest] = value.split('/');
  if (rest.length > 0 || !label.safeParse(namespace).success || !subdomain.safeParse(name).success) {
    throw new InvalidArgumentError('must be NAMESPACE/NAME');
  }
  return { namespace: namespace ?? '', name: name ?? '' };
}

/** Flags shared by `serve` and `render`: which Ingresses are ours and what the config looks like. */
export function classAndConfigOptions(): Option[] {
  return [
    new Option(
      '--ingress-class <name>',
      'IngressClass name, and value of the legacy kubernetes.io/ingress.class annotation',
    ).default('gatehouse'),
    new Option(
      '--controller-class <value>',
      'spec.controller of the IngressClasses this controller serves',
    ).default('gatehouse.dev/ingress-controller'),
    new Option('--watch-ingress-without-class', 'also serve Ingresses that name no class').default(false),
    new Option(
      '--default-backend-service <ns/name>',
      'Service that answers requests no rule matches (else 404)',
    ).argParser(parseNamespacedName),
    new Option('--configmap <ns/name>', 'ConfigMap with global NGINX settings').argParser(
      parseNamespacedName,
    ),
    new Option('--http-port <port>', 'port NGINX serves HTTP on').argParser(parsePort).default(80),
    new Option('--https-port <port>', 'port NGINX serves HTTPS on').argParser(parsePort).default(443),
  ];
}

export interface ClassAndConfigFlags {
  ingressClass: string;
  controllerClass: string;
  watchIngressWithoutClass: boolean;
  defaultBackendService?: NamespacedName;
  configmap?: NamespacedName;
  httpPort: number;
  httpsPort: number;
}
