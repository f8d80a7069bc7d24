import { InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import type { NamespacedName, TranslateOptions } from '../translate/translate.ts';
import { cidr as cidrSchema } from '../translate/validators.ts';

export function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535)
    throw new InvalidArgumentError('must be a port number (1-65535)');
  return n;
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError('must be a positive whole number');
  return n;
}

export function parseNonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d{1,5}$/.test(value)) throw new InvalidArgumentError('must be a whole number (0-99999)');
  return n;
}

export function parseBool(value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InvalidArgumentError('must be true or false');
}

/** `:8443`, `8443` or `127.0.0.1:8443`. */
export function parseListenAddress(value: string): { host: string; port: number } {
  const m = /^(?:(.*):)?(\d+)$/.exec(value);
  if (m?.[2] === undefined) throw new InvalidArgumentError('must be [host]:port');
  return { host: m[1] === undefined || m[1] === '' ? '0.0.0.0' : m[1], port: parsePort(m[2]) };
}

/** Comma-separated IP addresses or DNS names. */
export function parseAddressList(value: string): string[] {
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const a of list) {
    if (!/^[A-Za-z0-9.:-]+$/.test(a))
      throw new InvalidArgumentError(`"${a}" is not an IP address or DNS name`);
  }
  return list;
}

/** Comma-separated IP addresses or CIDRs. */
export function parseCidrList(value: string): string[] {
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const c of list) {
    if (!cidrSchema.safeParse(c).success)
      throw new InvalidArgumentError(`"${c}" is not an IP address or CIDR`);
  }
  return list;
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
    new Option(
      '--default-ssl-certificate <ns/name>',
      'kubernetes.io/tls Secret served to hosts without a certificate of their own (else a generated one)',
    ).argParser(parseNamespacedName),
    new Option(
      '--disable-svc-external-name',
      'refuse every ExternalName Service as a backend (its paths answer 503)',
    ).default(false),
    new Option(
      '--external-name-allowed-cidrs <cidrs>',
      'comma-separated ranges ExternalName targets may resolve to even though they are refused by default (loopback, link-local, metadata, this host)',
    )
      .argParser(parseCidrList)
      .default([]),
    new Option(
      '--external-name-resolver <servers>',
      'comma-separated DNS servers (ADDRESS or ADDRESS:PORT) for ExternalName targets (default: the system resolver configuration)',
    )
      .argParser(parseAddressList)
      .default([]),
    new Option(
      '--enable-ssl-passthrough',
      'honour the ssl-passthrough annotation: the HTTPS port reads SNI and hands those hosts their TLS unterminated',
    ).default(false),
    new Option(
      '--tcp-services-configmap <ns/name>',
      'ConfigMap of TCP services: "PORT": "namespace/service:port[:PROXY][:PROXY]"',
    ).argParser(parseNamespacedName),
    new Option(
      '--udp-services-configmap <ns/name>',
      'ConfigMap of UDP services: "PORT": "namespace/service:port"',
    ).argParser(parseNamespacedName),
    new Option('--http-port <port>', 'port NGINX serves HTTP on').argParser(parsePort).default(80),
    new Option('--https-port <port>', 'port NGINX serves HTTPS on').argParser(parsePort).default(443),
  ];
}

export interface ClassAndConfigFlags {
  disableSvcExternalName: boolean;
  externalNameAllowedCidrs: string[];
  externalNameResolver: string[];
  ingressClass: string;
  controllerClass: string;
  watchIngressWithoutClass: boolean;
  defaultBackendService?: NamespacedName;
  configmap?: NamespacedName;
  defaultSslCertificate?: NamespacedName;
  httpPort: number;
  httpsPort: number;
  enableSslPassthrough: boolean;
  tcpServicesConfigmap?: NamespacedName;
  udpServicesConfigmap?: NamespacedName;
}

/** What translate needs from the shared flags; `excluded` is the reconciler's to fill. */
export function translateOptionsFrom(
  flags: ClassAndConfigFlags,
  defaultCertificatePem: string,
  localAddresses: readonly string[],
): Omit<TranslateOptions, 'excluded'> {
  return {
    externalNamePolicy: {
      disabled: flags.disableSvcExternalName,
      allowedCidrs: flags.externalNameAllowedCidrs,
      localAddresses,
    },
    ingressClass: flags.ingressClass,
    controllerClass: flags.controllerClass,
    watchIngressWithoutClass: flags.watchIngressWithoutClass,
    defaultBackendService: flags.defaultBackendService,
    configMap: flags.configmap,
    listen: { httpPort: flags.httpPort, httpsPort: flags.httpsPort },
    defaultCertificatePem,
    defaultCertificateSecret: flags.defaultSslCertificate,
    sslPassthrough: flags.enableSslPassthrough,
    ...(flags.tcpServicesConfigmap !== undefined && { tcpServices: flags.tcpServicesConfigmap }),
    ...(flags.udpServicesConfigmap !== undefined && { udpServices: flags.udpServicesConfigmap }),
  };
}
