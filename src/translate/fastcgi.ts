import type { V1ConfigMap } from '@kubernetes/client-node';
import type { FastcgiAnnotations } from '../annotations/fastcgi.ts';
import type { IngressAnnotations } from '../annotations/registry.ts';
import { ANNOTATION_PREFIX } from '../annotations/spec.ts';
import { cmp, type Diagnostic } from '../model/diagnostics.ts';
import type { Fastcgi, FastcgiParam } from '../model/nginx.ts';
import type { ParsedIngress } from './ingress-parse.ts';

/** A FastCGI parameter name, as ingress-nginx accepts it. */
const PARAM_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * NGINX variables a parameter value may use (`$name` or `${name}`): the request's parts and the FastCGI
 * module's own. Each is always defined, so a value never names a variable NGINX lacks (which would fail
 * the whole config).
 */
const FASTCGI_VARIABLES = [
  'args',
  'content_length',
  'content_type',
  'document_root',
  'document_uri',
  'fastcgi_path_info',
  'fastcgi_script_name',
  'host',
  'https',
  'is_args',
  'query_string',
  'remote_addr',
  'remote_port',
  'remote_user',
  'request_id',
  'request_method',
  'request_uri',
  'scheme',
  'server_addr',
  'server_name',
  'server_port',
  'server_protocol',
  'uri',
] as const;

/**
 * A parameter value printed double-quoted: printable ASCII without quotes or backslashes, where `$` only
 * starts one of FASTCGI_VARIABLES (`$name` not followed by a name character, or `${name}`).
 */
const FASTCGI_VALUE = new RegExp(
  `^(?:[\\x20-\\x21\\x23\\x25-\\x5b\\x5d-\\x7e]|\\$(?:(?:${FASTCGI_VARIABLES.join('|')})(?![A-Za-z0-9_])|\\{(?:${FASTCGI_VARIABLES.join('|')})\\}))*$`,
);

/**
 * What NGINX sends every FastCGI server, as Debian's /etc/nginx/fastcgi_params (which ingress-nginx
 * includes) says, with two changes: SERVER_SOFTWARE does not give NGINX's version away, and HTTP_PROXY is
 * set empty (NGINX then sends none), so a client's `Proxy:` header never becomes the application's proxy
 * setting (httpoxy).
 */
const STANDARD: readonly FastcgiParam[] = [
  { name: 'QUERY_STRING', value: '$query_string' },
  { name: 'REQUEST_METHOD', value: '$request_method' },
  { name: 'CONTENT_TYPE', value: '$content_type' },
  { name: 'CONTENT_LENGTH', value: '$content_length' },
  { name: 'SCRIPT_NAME', value: '$fastcgi_script_name' },
  { name: 'REQUEST_URI', value: '$request_uri' },
  { name: 'DOCUMENT_URI', value: '$document_uri' },
  { name: 'DOCUMENT_ROOT', value: '$document_root' },
  { name: 'SERVER_PROTOCOL', value: '$server_protocol' },
  { name: 'REQUEST_SCHEME', value: '$scheme' },
  { name: 'HTTPS', value: '$https', ifNotEmpty: true },
  { name: 'GATEWAY_INTERFACE', value: 'CGI/1.1' },
  { name: 'SERVER_SOFTWARE', value: 'nginx' },
  { name: 'REMOTE_ADDR', value: '$remote_addr' },
  { name: 'REMOTE_PORT', value: '$remote_port' },
  { name: 'REMOTE_USER', value: '$remote_user' },
  { name: 'SERVER_ADDR', value: '$server_addr' },
  { name: 'SERVER_PORT', value: '$server_port' },
  { name: 'SERVER_NAME', value: '$server_name' },
  { name: 'REDIRECT_STATUS', value: '200' },
  { name: 'HTTP_HOST', value: '$host' },
  { name: 'HTTP_PROXY', value: '' },
];

/**
 * The FastCGI settings of an Ingress whose backend-protocol is FCGI, or `rejected` (reported). For any
 * other protocol none, and the fastcgi-* keys it sets are reported as ignored.
 */
export function fastcgiFor(
  ingress: ParsedIngress,
  annotations: IngressAnnotations,
  configMaps: readonly V1ConfigMap[],
  report: (d: Diagnostic) => void,
): Fastcgi | 'rejected' | undefined {
  const wanted = annotations.fastcgi ?? {};
  if (annotations.upstream?.protocol === 'FCGI')
    return fastcgiSettings(ingress, wanted, configMaps, report) ?? 'rejected';
  const set = { 'fastcgi-index': wanted.index, 'fastcgi-params-configmap': wanted.paramsConfigMap };
  for (const [key, value] of Object.entries(set))
    if (value !== undefined)
      report({
        severity: 'warning',
        object: ingress.ref,
        field: `metadata.annotations[${ANNOTATION_PREFIX}${key}]`,
        reason: 'ignored: backend-protocol is not FCGI',
      });
  return undefined;
}

/**
 * The FastCGI settings of an Ingress: the standard parameters, then the ConfigMap's (a name it sets
 * replaces the standard value), sorted by name. Reported (an error: the Ingress is not served) when the
 * ConfigMap is missing or holds an entry that is not a parameter.
 */
function fastcgiSettings(
  ingress: ParsedIngress,
  wanted: FastcgiAnnotations,
  configMaps: readonly V1ConfigMap[],
  report: (d: Diagnostic) => void,
): Fastcgi | undefined {
  const fail = (reason: string): undefined => {
    report({
      severity: 'error',
      object: ingress.ref,
      field: `metadata.annotations[${ANNOTATION_PREFIX}fastcgi-params-configmap]`,
      reason,
    });
    return undefined;
  };
  const params = new Map(STANDARD.map((p) => [p.name, p]));
  const name = wanted.paramsConfigMap;
  if (name !== undefined) {
    const where = `ConfigMap ${ingress.ref.namespace}/${name}`;
    const cm = configMaps.find(
      (c) => c.metadata?.namespace === ingress.ref.namespace && c.metadata.name === name,
    );
    if (cm === undefined) return fail(`${where} does not exist`);
    const entries = Object.entries(cm.data ?? {});
    if (entries.length > 64) return fail(`${where} lists more than 64 parameters`);
    for (const [param, value] of entries) {
      if (!PARAM_NAME.test(param))
        return fail(
          `${where}: ${JSON.stringify(param.slice(0, 64))} is not a parameter name (letters, digits, ._-)`,
        );
      if (typeof value !== 'string' || value.length > 1024 || !FASTCGI_VALUE.test(value))
        return fail(
          `${where}: the value of ${param} must be printable text without quotes or "\\", whose only $ are the variables $${FASTCGI_VARIABLES.join(', $')}`,
        );
      params.set(param, { name: param, value });
    }
  }
  return {
    ...(wanted.index !== undefined && { index: wanted.index }),
    params: [...params.values()].sort((a, b) => cmp(a.name, b.name)),
  };
}
