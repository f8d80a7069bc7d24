// Regenerates the README's annotation and ConfigMap tables, and the ConfigMap part of the chart's
// values.schema.json (controller.config), from the registries in src/, so neither can drift from the code.
// `node scripts/docs.ts --check` fails when either is stale.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { z } from 'zod';
import {
  ANNOTATION_PREFIX,
  ANNOTATIONS,
  IGNORED_TUNING,
  RETIRED,
  SNIPPET_ANNOTATIONS,
  UNSUPPORTED_ACCESS_CONTROL,
  UNSUPPORTED_ROUTING,
} from '../src/annotations/registry.ts';
import { PROXY_KEYS } from '../src/annotations/proxy.ts';
import { CONFIGMAP_KEYS, DEFAULT_GLOBAL_CONFIG, PROXY_DEFAULTS } from '../src/config/global-config.ts';

const README = fileURLToPath(new URL('../README.md', import.meta.url));
const VALUES_SCHEMA = fileURLToPath(new URL('../charts/gatehouse/values.schema.json', import.meta.url));

const names = (list: readonly string[]): string => list.map((n) => `\`${n}\``).join(', ');

export function annotationTable(): string {
  const rows = ANNOTATIONS.map(
    (a) =>
      `| \`${ANNOTATION_PREFIX}${a.name}\` | ${a.description} | \`${a.example}\` | ${a.scope} | ${a.risk} |`,
  );
  return [
    '| Annotation | What it does | Example | Scope | Risk |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `Snippet annotations (${names(SNIPPET_ANNOTATIONS)}) are off: an Ingress that carries one is rejected with a Warning Event. With the ConfigMap's \`allow-snippet-annotations: "true"\` and \`annotations-risk-level: Critical\`, those with a parser of their own (\`configuration-snippet\`, \`server-snippet\`, \`modsecurity-snippet\`) are read through it; the others stay refused.`,
    '',
    `Access-control annotations Gatehouse does not implement yet (${names(UNSUPPORTED_ACCESS_CONTROL)}) also reject the Ingress: serving it without the protection it asks for would be worse.`,
    '',
    ...(UNSUPPORTED_ROUTING.length > 0
      ? [
          `So do annotations that change routing which Gatehouse does not implement yet (${names(UNSUPPORTED_ROUTING)}): the Ingress would be served differently from what its author meant.`,
          '',
        ]
      : []),
    `Tuning annotations Gatehouse does not implement (${names(IGNORED_TUNING)}) are ignored with a warning, and so are keys ingress-nginx itself retired (${names(Object.keys(RETIRED).sort())}), with a word on what replaced them. Any other \`${ANNOTATION_PREFIX}*\` key is not an ingress-nginx annotation (a typo?) and is ignored with a warning.`,
  ].join('\n');
}

export function configMapTable(): string {
  const defaults: Record<string, string> = {
    'worker-processes': DEFAULT_GLOBAL_CONFIG.global.workerProcesses,
    'max-worker-connections': String(DEFAULT_GLOBAL_CONFIG.global.workerConnections),
    'keep-alive': String(DEFAULT_GLOBAL_CONFIG.global.keepaliveTimeoutSeconds),
    'server-names-hash-bucket-size': String(DEFAULT_GLOBAL_CONFIG.global.serverNamesHashBucketSize),
    'use-forwarded-headers': String(DEFAULT_GLOBAL_CONFIG.global.useForwardedHeaders),
    'disable-access-log': String(!DEFAULT_GLOBAL_CONFIG.global.accessLog),
    'generate-request-id': String(DEFAULT_GLOBAL_CONFIG.global.generateRequestId),
    'ssl-protocols': DEFAULT_GLOBAL_CONFIG.global.sslProtocols.join(' '),
    'ssl-ciphers': DEFAULT_GLOBAL_CONFIG.global.sslCiphers,
    hsts: String(DEFAULT_GLOBAL_CONFIG.global.hsts),
    'hsts-max-age': String(DEFAULT_GLOBAL_CONFIG.global.hstsMaxAgeSeconds),
    'use-http2': String(DEFAULT_GLOBAL_CONFIG.global.http2),
    'disable-ipv6': String(!DEFAULT_GLOBAL_CONFIG.global.ipv6),
    'ssl-redirect': String(DEFAULT_GLOBAL_CONFIG.locationDefaults.sslRedirect),
    'upstream-keepalive-connections': String(DEFAULT_GLOBAL_CONFIG.upstreamKeepalive.keepaliveConnections),
    'upstream-keepalive-timeout': String(DEFAULT_GLOBAL_CONFIG.upstreamKeepalive.keepaliveTimeoutSeconds),
    'upstream-keepalive-requests': String(DEFAULT_GLOBAL_CONFIG.upstreamKeepalive.keepaliveRequests),
    'hsts-include-subdomains': String(DEFAULT_GLOBAL_CONFIG.global.hstsIncludeSubdomains),
    'hsts-preload': String(DEFAULT_GLOBAL_CONFIG.global.hstsPreload),
    'keep-alive-requests': String(DEFAULT_GLOBAL_CONFIG.global.keepaliveRequests),
    'server-tokens': String(DEFAULT_GLOBAL_CONFIG.global.serverTokens),
    'client-header-buffer-size': DEFAULT_GLOBAL_CONFIG.global.client.headerBufferSize,
    'large-client-header-buffers': `${DEFAULT_GLOBAL_CONFIG.global.client.largeHeaderBuffers.count} ${DEFAULT_GLOBAL_CONFIG.global.client.largeHeaderBuffers.size}`,
    'client-header-timeout': String(DEFAULT_GLOBAL_CONFIG.global.client.headerTimeoutSeconds),
    'client-body-timeout': String(DEFAULT_GLOBAL_CONFIG.global.client.bodyTimeoutSeconds),
    'use-gzip': String(DEFAULT_GLOBAL_CONFIG.global.gzip.enabled),
    'gzip-level': String(DEFAULT_GLOBAL_CONFIG.global.gzip.level),
    'gzip-min-length': String(DEFAULT_GLOBAL_CONFIG.global.gzip.minLength),
    'gzip-types': DEFAULT_GLOBAL_CONFIG.global.gzip.types.join(' '),
    'compute-full-forwarded-for': String(DEFAULT_GLOBAL_CONFIG.global.computeFullForwardedFor),
    'allow-snippet-annotations': 'false',
    'annotations-risk-level': DEFAULT_GLOBAL_CONFIG.annotations.maxRisk,
    'limit-req-status-code': String(DEFAULT_GLOBAL_CONFIG.global.limitReqStatus),
    'limit-conn-status-code': String(DEFAULT_GLOBAL_CONFIG.global.limitConnStatus),
    'enable-real-ip': String(DEFAULT_GLOBAL_CONFIG.realIp.enabled),
    'forwarded-for-header': DEFAULT_GLOBAL_CONFIG.global.realIpHeader,
    'proxy-real-ip-cidr': DEFAULT_GLOBAL_CONFIG.realIp.trustedCidrs.join(','),
  };
  const docs: [string, string, string][] = [
    ...Object.entries(CONFIGMAP_KEYS).map(([key, { doc }]): [string, string, string] => [
      key,
      doc,
      defaults[key] ?? '',
    ]),
    ...Object.entries(PROXY_KEYS).map(([key, { description }]): [string, string, string] => [
      key,
      `Default for the ${key} annotation. ${description}`,
      PROXY_DEFAULTS[key as keyof typeof PROXY_KEYS] ?? '',
    ]),
  ];
  const rows = docs
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, doc, value]) => `| \`${key}\` | ${doc} | ${value === '' ? '—' : `\`${value}\``} |`);
  return ['| Key | What it does | Default |', '| --- | --- | --- |', ...rows].join('\n');
}

export function fillReadme(readme: string): string {
  return replaceBetween(
    replaceBetween(readme, 'annotations', annotationTable()),
    'configmap',
    configMapTable(),
  );
}

function replaceBetween(text: string, name: string, body: string): string {
  const begin = `<!-- ${name}:begin (generated by scripts/docs.ts) -->`;
  const end = `<!-- ${name}:end -->`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`README.md lacks the ${name} markers`);
  return `${text.slice(0, i + begin.length)}\n${body}\n${text.slice(j)}`;
}

type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  anyOf?: JsonSchema[];
  [other: string]: unknown;
};

/**
 * The JSON schema of each ConfigMap key's value for the chart's `controller.config`: its description, and
 * what the controller's zod check accepts, as far as JSON Schema can say it (refinements such as ranges
 * stay the controller's, which reports a bad value and keeps the default).
 */
export function configValuesSchema(): Record<string, JsonSchema> {
  const keys: [string, string, z.ZodType][] = [
    ...Object.entries(CONFIGMAP_KEYS).map(([key, { doc, set }]): [string, string, z.ZodType] => [
      key,
      doc,
      set.schema,
    ]),
    ...Object.entries(PROXY_KEYS).map(([key, { description, schema }]): [string, string, z.ZodType] => [
      key,
      `Default for the ${key} annotation. ${description}`,
      schema,
    ]),
  ];
  return Object.fromEntries(
    keys
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, doc, schema]) => {
        const input = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
        delete input['$schema'];
        return [key, { description: doc, ...valuesYamlSchema(input) }];
      }),
  );
}

/**
 * A ConfigMap value as values.yaml may give it: YAML turns `75` into a number and `true` into a boolean,
 * and the chart writes them back as strings (templates/controller-configmap.yaml).
 */
function valuesYamlSchema(schema: JsonSchema): JsonSchema {
  if (schema.anyOf !== undefined) return { anyOf: schema.anyOf.map(valuesYamlSchema) };
  if (schema.type !== 'string') return schema;
  const strings = schema.const !== undefined ? [schema.const] : schema.enum;
  if (strings !== undefined) {
    const yaml = strings.flatMap((v): (number | boolean)[] => {
      if (v === 'true' || v === 'false') return [v === 'true'];
      return typeof v === 'string' && /^\d+$/.test(v) ? [Number(v)] : [];
    });
    const rest = { ...schema };
    delete rest.const;
    return {
      ...rest,
      type: [...new Set(['string', ...yaml.map((v) => (typeof v === 'number' ? 'integer' : 'boolean'))])],
      enum: [...yaml, ...strings],
    };
  }
  if (schema.pattern !== undefined)
    // A pattern holds for strings only: a whole number is let through when the pattern takes digits.
    return new RegExp(schema.pattern).test('1')
      ? { ...schema, type: ['string', 'integer'], minimum: 0 }
      : schema;
  return { ...schema, type: ['string', 'number', 'boolean'] };
}

/** values.schema.json with controller.config's properties generated from the controller's keys. */
export async function fillValuesSchema(text: string): Promise<string> {
  const schema = JSON.parse(text) as {
    properties: { controller: { properties: { config: { properties: unknown } } } };
  };
  schema.properties.controller.properties.config.properties = configValuesSchema();
  const options = await resolveConfig(VALUES_SCHEMA);
  return format(JSON.stringify(schema, null, 2), { ...options, filepath: VALUES_SCHEMA });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files: [string, (text: string) => string | Promise<string>][] = [
    [README, fillReadme],
    [VALUES_SCHEMA, fillValuesSchema],
  ];
  for (const [file, fill] of files) {
    const current = await readFile(file, 'utf8');
    const next = await fill(current);
    if (!process.argv.includes('--check')) await writeFile(file, next);
    else if (next !== current) {
      console.error(`${file} is stale: run \`node scripts/docs.ts\``);
      process.exit(1);
    }
  }
}
