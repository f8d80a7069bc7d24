// Arbitrary strings in any user-controlled field are either rejected (the config is exactly what any other
// rejected value gives) or reach nginx.conf only as a safe token. Render never throws on user input.
import { parseHashKey } from '../../src/annotations/balance.ts';
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { KubernetesObject } from '@kubernetes/client-node';
import { ANNOTATIONS, ANNOTATION_PREFIX } from '../../src/annotations/registry.ts';
import { CONFIGMAP_KEYS } from '../../src/config/global-config.ts';
import type { TranslateOptions } from '../../src/translate/translate.ts';
import {
  certificateFor,
  externalNameService,
  ingress,
  ingressClass,
  serviceWithEndpoints,
  tlsSecret,
  type IngressSpec,
  type TestCertificate,
} from '../support/fixtures.ts';
import { HASHES, opaqueSecret } from '../support/htpasswd.ts';
import { caSecret, clientCa } from '../support/client-certs.ts';
import { MATCH_CN } from '../../src/annotations/client-cert.ts';
import { PATHS, renderObjects, translateObjects } from '../unit/harness.ts';
import { render } from '../../src/render/render.ts';

let cert: TestCertificate;
let ca: KubernetesObject;
before(async () => {
  cert = await certificateFor('web.example.com');
  ca = caSecret('client-ca', await clientCa('Test CA'));
});

const NASTY = [
  'a;b',
  '}',
  '{',
  '"',
  "'",
  "' '",
  ' ',
  '`',
  '$host',
  '${host}',
  '\n',
  '\r\n',
  '\t',
  '#',
  '\\',
  '\0',
  '\u2028',
  '%00',
  '../',
  '/..',
  'include /etc/passwd;',
  'ssl_certificate /etc/shadow;',
  'x;\n}\nserver {\nlisten 81;',
  'x'.repeat(300),
];
/** Values that pass some validator, to put in front of a nasty tail. */
const VALIDISH = [
  'a',
  'web',
  'http',
  '30',
  'true',
  'on',
  'HTTPS',
  '10.0.0.1',
  '8m',
  'auto',
  'TLSv1.3',
  '/app',
  'web.example.com',
  '*.example.com',
];

const payload = fc.oneof(
  fc.constantFrom(...NASTY),
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'binary-ascii', maxLength: 40 }),
  fc.tuple(fc.constantFrom(...VALIDISH), fc.constantFrom(...NASTY)).map(([a, b]) => a + b),
  fc.tuple(fc.constantFrom(...NASTY), fc.constantFrom(...VALIDISH)).map(([a, b]) => a + b),
);

/** What nginx.conf may contain of a user value: characters no NGINX token needs quoted or escaped. */
const SAFE_PIECE = /^[A-Za-z0-9._~!*+,=:@()/-]*$/;
const isSafe = (value: string): boolean => value.split(/[\s,]+/).every((piece) => SAFE_PIECE.test(piece));

/** A value every field rejects: the config it gives is the config of a rejected value. */
const REJECTED = 'bad value;';

interface Target {
  readonly name: string;
  readonly objects: (value: string) => KubernetesObject[];
  readonly options?: Partial<TranslateOptions>;
  /** What may reach the config of this field, when wider than `isSafe`. */
  readonly safe?: (value: string) => boolean;
  /** A value this field rejects, when `REJECTED` is one it takes. */
  readonly rejected?: string;
}

/**
 * A regex path is printed double-quoted: it may hold regex metacharacters, but never a quote, whitespace,
 * a control character or a backslash NGINX's parser would turn into something else (`\\"`, `\\\\`, `\\n`).
 */
const isSafeRegex = (value: string): boolean =>
  /^(?:[A-Za-z0-9._~!*+,=:@()/&^$?[\]{}|-]|\\[^"'\\trn])*$/.test(value);

const CONFIG = { namespace: 'gatehouse', name: 'config' };

const configMapOf = (namespace: string, name: string, data: Record<string, string>): KubernetesObject =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace, name }, data }) as KubernetesObject;

/** A realm is printed double-quoted: spaces and some punctuation, never a quote, `$`, `\\` or braces. */
/**
 * ConfigMap values printed inside one quoted NGINX string, where `;`, spaces and braces are text: only a
 * quote or backslash (beyond a regex escape) could end it. Each key names a value it must reject.
 */
const CONFIG_QUOTED: Record<string, { safe: (v: string) => boolean; rejected: string }> = {
  'block-user-agents': {
    safe: (v) =>
      v
        .split(',')
        .map((p) => p.trim())
        .every((p) =>
          /^(?:~\*?)?(?:[A-Za-z0-9 ._/();:+\-|*?^$[\]{},=!<>]|\\[.\-/()[\]{}*+?|^$dDsSwWb])*$/.test(p),
        ),
    rejected: 'bad"value',
  },
  'log-format-upstream': {
    safe: (v) => /^[\x20-\x26\x28-\x5b\x5d-\x7e]*$/.test(v.trim()),
    rejected: "bad'value",
  },
};

const isSafeRealm = (value: string): boolean => /^[A-Za-z0-9 _.,:!?@()/+'-]{1,128}$/.test(value);

/** What external auth values may print (the URL parser rebuilds URLs; `$` only as request variables). */
const AUTH_SAFE: Record<string, (v: string) => boolean> = {
  'auth-signin': (v) =>
    /^(https?|\$scheme|\$pass_access_scheme):\/\/[A-Za-z0-9\-._~/:@!&()*+,=?%[\]$]+$/.test(v.trim()),
  'auth-cache-key': (v) => /^[A-Za-z0-9._:/$-]+$/.test(v.trim()),
  'auth-request-redirect': (v) => /^(https?:\/\/|\/)[A-Za-z0-9\-._~/:@!&()*+,=?%[\]]*$/.test(v.trim()),
  'auth-response-headers': isSafe,
  'auth-cache-duration': isSafe,
};

function cluster(web: Partial<IngressSpec> = {}, extra: KubernetesObject[] = []): KubernetesObject[] {
  return [
    ingressClass(),
    ingress({
      name: 'web',
      tls: [{ hosts: ['web.example.com'], secretName: 'web-tls' }],
      rules: [{ host: 'web.example.com', paths: [{ path: '/app', service: 'web', port: 80 }] }],
      ...web,
    }),
    ...serviceWithEndpoints('web', [{ ip: '10.0.0.1', port: 8080 }]),
    tlsSecret('web-tls', cert),
    ...extra,
  ];
}

const rule = (host: string, path = '/app', service = 'web', port: number | string = 80) => ({
  rules: [{ host, paths: [{ path, service, port }] }],
});

const targets: Target[] = [
  { name: 'host', objects: (v) => cluster(rule(v)) },
  { name: 'first label of a host', objects: (v) => cluster(rule(`${v}.example.com`)) },
  { name: 'last label of a host', objects: (v) => cluster(rule(`web.example.${v}`)) },
  { name: 'path', objects: (v) => cluster(rule('web.example.com', v)) },
  { name: 'path after /', objects: (v) => cluster(rule('web.example.com', `/app/${v}`)) },
  { name: 'service name', objects: (v) => cluster(rule('web.example.com', '/app', v)) },
  { name: 'service port name', objects: (v) => cluster(rule('web.example.com', '/app', 'web', v)) },
  {
    name: 'defaultBackend service name',
    objects: (v) => cluster({ defaultBackend: { service: v, port: 80 } }),
  },
  {
    name: 'TLS secret name',
    objects: (v) => cluster({ tls: [{ hosts: ['web.example.com'], secretName: v }] }),
  },
  { name: 'TLS host', objects: (v) => cluster({ tls: [{ hosts: [v], secretName: 'web-tls' }] }) },
  { name: 'Ingress name', objects: (v) => cluster({ name: v }) },
  { name: 'Ingress namespace', objects: (v) => cluster({ namespace: v }) },
  {
    name: 'ExternalName',
    objects: (v) => cluster(rule('web.example.com', '/app', 'ext'), [externalNameService('ext', v)]),
  },
  {
    name: 'EndpointSlice address',
    objects: (v) => [
      ...cluster(rule('web.example.com', '/app', 'pods')),
      ...serviceWithEndpoints('pods', [{ ip: v, port: 8080 }]).map((o) =>
        o.kind === 'EndpointSlice' ? { ...o, addressType: v.includes(':') ? 'IPv6' : 'IPv4' } : o,
      ),
    ],
  },
  {
    name: 'regex path (use-regex)',
    safe: isSafeRegex,
    objects: (v) =>
      cluster({
        annotations: { [`${ANNOTATION_PREFIX}use-regex`]: 'true' },
        rules: [
          {
            host: 'web.example.com',
            paths: [{ path: v, pathType: 'ImplementationSpecific', service: 'web', port: 80 }],
          },
        ],
      }),
  },
  {
    name: 'regex path (rewrite-target)',
    safe: isSafeRegex,
    objects: (v) =>
      cluster({
        annotations: { [`${ANNOTATION_PREFIX}rewrite-target`]: '/$1' },
        rules: [{ host: 'web.example.com', paths: [{ path: `/x(.*)${v}`, service: 'web', port: 80 }] }],
      }),
  },
  {
    name: 'rewrite-target on a regex path',
    // Capture references are its one use of "$"; anything else with "$" must be refused.
    safe: (v) => /^[A-Za-z0-9._~/:-]*$/.test(v.replace(/\$[1-9]/g, '')),
    objects: (v) =>
      cluster({
        annotations: { [`${ANNOTATION_PREFIX}rewrite-target`]: v },
        rules: [{ host: 'web.example.com', paths: [{ path: '/(a)(b)(c)', service: 'web', port: 80 }] }],
      }),
  },
  {
    name: 'auth-realm of basic auth',
    safe: isSafeRealm,
    objects: (v) =>
      cluster(
        {
          annotations: {
            [`${ANNOTATION_PREFIX}auth-type`]: 'basic',
            [`${ANNOTATION_PREFIX}auth-secret`]: 'users',
            [`${ANNOTATION_PREFIX}auth-realm`]: v,
          },
        },
        [opaqueSecret('users', { auth: `alice:${HASHES.bcrypt}\n` })],
      ),
  },
  {
    name: 'auth-realm of digest auth',
    safe: isSafeRealm,
    objects: (v) =>
      cluster(
        {
          annotations: {
            [`${ANNOTATION_PREFIX}auth-type`]: 'digest',
            [`${ANNOTATION_PREFIX}auth-secret`]: 'users',
            [`${ANNOTATION_PREFIX}auth-realm`]: v,
          },
        },
        // A user of that very realm: the realm reaches the htdigest file too.
        [opaqueSecret('users', { auth: `alice:${v}:${'0'.repeat(32)}\n` })],
      ),
  },
  {
    name: 'auth-tls-match-cn with a CA',
    safe: (v) => MATCH_CN.test(v),
    objects: (v) =>
      cluster(
        {
          annotations: {
            [`${ANNOTATION_PREFIX}auth-tls-secret`]: 'client-ca',
            [`${ANNOTATION_PREFIX}auth-tls-match-cn`]: v,
          },
        },
        [ca],
      ),
  },
  {
    name: 'auth-tls-error-page with a CA',
    // Rebuilt by the URL parser: only URL characters that need no quoting reach the config.
    safe: (v) => /^https?:\/\/[A-Za-z0-9\-._~/:@!&()*+,=?%[\]]+$/.test(v),
    objects: (v) =>
      cluster(
        {
          annotations: {
            [`${ANNOTATION_PREFIX}auth-tls-secret`]: 'client-ca',
            [`${ANNOTATION_PREFIX}auth-tls-error-page`]: v,
          },
        },
        [ca],
      ),
  },
  {
    name: 'mirror-target after its host',
    // Path and query characters, and $request_uri, $is_args, $args: what the mirror URI may print.
    safe: (v) =>
      /^(?:[A-Za-z0-9\-._~/:@!&()*+,=?]|%[0-9A-Fa-f]{2}|\$(?:request_uri|is_args|args)(?![A-Za-z0-9_]))*$/.test(
        v.trimEnd(),
      ),
    objects: (v) =>
      cluster({ annotations: { [`${ANNOTATION_PREFIX}mirror-target`]: `http://192.0.2.50/${v}` } }),
  },
  {
    name: 'mirror-host with a mirror-target',
    objects: (v) =>
      cluster({
        annotations: {
          [`${ANNOTATION_PREFIX}mirror-target`]: 'http://192.0.2.50$request_uri',
          [`${ANNOTATION_PREFIX}mirror-host`]: v,
        },
      }),
  },
  ...Object.entries(AUTH_SAFE).map(([key, safe]): Target => ({
    name: `${key} with auth-url`,
    safe,
    objects: (v) =>
      cluster({
        annotations: {
          [`${ANNOTATION_PREFIX}auth-url`]: 'http://192.0.2.40/auth',
          [`${ANNOTATION_PREFIX}auth-cache-key`]: 'k',
          [ANNOTATION_PREFIX + key]: v,
        },
      }),
  })),
  ...ANNOTATIONS.map((a): Target => ({
    name: `annotation ${a.name}`,
    ...(a.name === 'auth-realm' && { safe: isSafeRealm }),
    // A valid hash key never reaches nginx.conf (it travels in the dynamic state, checked again there).
    ...(a.name === 'upstream-hash-by' && { safe: (v: string) => parseHashKey(v.trim()) !== undefined }),
    // A path printed double-quoted in a redirect: percent-escapes allowed, but no encoded control character.
    ...(a.name === 'app-root' && {
      safe: (v: string) =>
        /^\/([A-Za-z0-9\-._~/:@!&()*+,=?]|%[2-689A-Fa-f][0-9A-Fa-f]|%7[0-9A-Ea-e])*$/.test(v.trim()) &&
        !v.startsWith('//'),
    }),
    ...(Object.hasOwn(AUTH_SAFE, a.name) && { safe: AUTH_SAFE[a.name] }),
    objects: (v) => cluster({ annotations: { [ANNOTATION_PREFIX + a.name]: v } }),
  })),
  ...Object.keys(CONFIGMAP_KEYS).map((key): Target => ({
    name: `ConfigMap ${key}`,
    ...(Object.hasOwn(CONFIG_QUOTED, key) && CONFIG_QUOTED[key]),
    options: { configMap: CONFIG },
    objects: (v) =>
      cluster({}, [
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { ...CONFIG },
          data: { [key]: v },
        } as KubernetesObject,
      ]),
  })),
];

describe('hostile strings in user fields', () => {
  for (const target of targets) {
    it(`${target.name}: rejected, or printed as a safe token`, () => {
      const rejectedValue = target.rejected ?? REJECTED;
      const rejected = renderObjects(target.objects(rejectedValue), target.options).conf;
      assert.ok(!rejected.includes(rejectedValue));
      fc.assert(
        fc.property(payload, fc.boolean(), (raw, marked) => {
          // The marker makes "the value is in the config" checkable even for payloads like ";" or "}".
          const value = marked ? `qx7${raw}qx7` : raw;
          const { conf } = renderObjects(target.objects(value), target.options);
          if ((target.safe ?? isSafe)(value)) return;
          if (marked) assert.ok(!conf.includes(value), 'the value reached the config');
          assert.equal(conf, rejected, 'an unsafe value changed the config');
        }),
        { numRuns: 120 },
      );
    });
  }
});

describe('hostile auth-proxy-set-headers ConfigMaps', () => {
  it('a hostile header name or value denies the paths (503), or reaches the config double-quoted and plain', () => {
    fc.assert(
      fc.property(payload, fc.boolean(), (raw, asName) => {
        const data = asName ? { [raw === '' ? 'k' : raw]: 'v' } : { 'X-A': raw };
        const objects = cluster(
          {
            annotations: {
              [`${ANNOTATION_PREFIX}auth-url`]: 'http://192.0.2.40/auth',
              [`${ANNOTATION_PREFIX}auth-proxy-set-headers`]: 'auth-headers',
            },
          },
          [configMapOf('default', 'auth-headers', data)],
        );
        const { conf } = renderObjects(objects);
        if (!conf.includes('_gatehouse_auth/')) {
          assert.match(conf, /return 503;/, 'an unusable ConfigMap denies the paths');
          return;
        }
        const [name, value] = Object.entries(data)[0] ?? ['', ''];
        assert.match(name, /^[A-Za-z0-9-]{1,64}$/);
        assert.match(value, /^[\x20-\x21\x23\x25-\x5b\x5d-\x7e]*$/);
        assert.ok(conf.includes(`proxy_set_header ${name} "${value}";`));
      }),
      { numRuns: 150 },
    );
  });
});

describe('hostile fastcgi-params-configmap ConfigMaps', () => {
  it('a hostile parameter name or value refuses the Ingress, or reaches the config double-quoted and plain', () => {
    fc.assert(
      fc.property(payload, fc.boolean(), (raw, asName) => {
        const data = asName ? { [raw === '' ? 'k' : raw]: 'v' } : { SCRIPT_FILENAME: raw };
        const objects = cluster(
          {
            annotations: {
              [`${ANNOTATION_PREFIX}backend-protocol`]: 'FCGI',
              [`${ANNOTATION_PREFIX}fastcgi-params-configmap`]: 'php-params',
            },
          },
          [configMapOf('default', 'php-params', data)],
        );
        const { result, conf } = renderObjects(objects);
        if (!conf.includes('fastcgi_pass')) {
          assert.equal(result.ingresses[0]?.outcome, 'rejected');
          return;
        }
        const [name, value] = Object.entries(data)[0] ?? ['', ''];
        assert.match(name, /^[A-Za-z0-9._-]{1,64}$/);
        // Printable, no quote or backslash; `$` only before a variable name.
        assert.match(value, /^(?:[\x20-\x21\x23\x25-\x5b\x5d-\x7e]|\$\{?[a-z_]+)*\}?$/);
        assert.ok(conf.includes(`fastcgi_param ${name} "${value}";`));
      }),
      { numRuns: 150 },
    );
  });
});

/** What NGINX makes of the text between double quotes (ngx_conf_read_token): \\, \", \', \n, \r, \t. */
const unescapeQuoted = (text: string): string =>
  text.replace(/\\([\s\S])/g, (escape, c: string) =>
    c === '"' || c === "'" || c === '\\'
      ? c
      : c === 'n'
        ? '\n'
        : c === 'r'
          ? '\r'
          : c === 't'
            ? '\t'
            : escape,
  );

describe('hostile configuration-snippets (allowed by the admin)', () => {
  const allowed = { configMap: CONFIG };
  const admin = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { ...CONFIG },
    data: { 'allow-snippet-annotations': 'true', 'annotations-risk-level': 'Critical' },
  } as KubernetesObject;
  const PLAIN = /^[\x20-\x21\x23\x25-\x5b\x5d-\x7e]*$/;
  const shapes: [string, (v: string) => string][] = [
    ['a header value', (v) => `add_header X-A "${v}";`],
    ['a fixed answer', (v) => `return 200 "${v}";`],
    ['a whole snippet', (v) => v],
  ];
  for (const [what, snippet] of shapes)
    it(`${what}: refused, or re-printed only from its checked, quoted form`, () => {
      fc.assert(
        fc.property(payload, (raw) => {
          const objects = cluster(
            { annotations: { [`${ANNOTATION_PREFIX}configuration-snippet`]: snippet(raw) } },
            [admin],
          );
          const { conf, result } = renderObjects(objects, allowed);
          const web = result.ingresses.find((i) => i.ref.name === 'web');
          if (web?.outcome !== 'served') return;
          if (what !== 'a whole snippet') {
            // NGINX reads the quoted string with its escapes; a fixed answer may hold new lines, printed as \n.
            const value = unescapeQuoted(raw);
            assert.match(what === 'a fixed answer' ? value.replaceAll('\n', '') : value, PLAIN);
            assert.ok(conf.includes(`"${value.replaceAll('\n', '\\n')}"`));
          }
          // Whatever was served, nothing but Gatehouse's own directives came of it.
          assert.ok(!/^\s*include\b/m.test(conf));
          assert.ok(!/^\s*proxy_pass (?!\S*gatehouse_)/m.test(conf));
        }),
        { numRuns: 150 },
      );
    });
});

describe('hostile server-snippets and snippet rewrites (allowed by the admin)', () => {
  const allowed = { configMap: CONFIG };
  const admin = configMapOf(CONFIG.namespace, CONFIG.name, {
    'allow-snippet-annotations': 'true',
    'annotations-risk-level': 'Critical',
  });
  /** Every line a server-snippet may add to nginx.conf: Gatehouse's own, printed from checked parts. */
  const SNIPPET_LINES = [
    /^(allow|deny) (all|[0-9a-fA-F:.]+(\/\d{1,3})?);$/,
    /^return \d{3}( "(?:[\x20-\x21\x23\x25-\x5b\x5d-\x7e]|\\n)*")?;$/,
    /^add_header [A-Za-z0-9-]+ "[\x20-\x21\x23\x25-\x5b\x5d-\x7e]*" always;$/,
    /^add_header Strict-Transport-Security \$gatehouse_hsts always;$/,
    /^proxy_hide_header [A-Za-z0-9-]+;$/,
    /^proxy_set_header [A-Za-z0-9-]+ "[\x20-\x21\x23\x25-\x5b\x5d-\x7e]*";$/,
    /^location (?:= |~\* )?"(?:[A-Za-z0-9\-._~/:,=@!&^$*+?()[\]{}|]|\\[dDwWsSbB.^$*+?()[\]{}|/-])*" \{$/,
    /^# [A-Za-z0-9 _.,:'()/*-]*$/,
    /^(\}|content_by_lua_block \{|ngx\.exit\(ngx\.HTTP_NOT_FOUND\)|)$/,
    /^rewrite "\^?(?:[A-Za-z0-9\-._~/:,=@!&^$*+?()[\]{}|]|\\[dDwWsSbB.^$*+?()[\]{}|/-])*" "(?:[A-Za-z0-9\-._~/:@!&()*+,=?%]|\$(?:[1-9]|scheme|host|uri|request_uri|args|is_args))+" (?:break|redirect|permanent);$/,
    // A host with a server-snippet keeps its HTTPS redirect in its locations (https-redirects.ts).
    /^if \(\$scheme = http\) \{$/,
  ];
  const PIECES = [
    'location = /robots.txt { return 200 "User-agent: *\\nDisallow: /\\n"; }',
    'location /metrics { allow 10.0.0.0/8; deny all; }',
    'location ~* ^/wp-(admin|login) { return 404; }',
    'allow 192.0.2.1;',
    'add_header X-A "b";',
    'proxy_set_header X-B c;',
    'return 301 https://a.example.com/;',
    'rewrite ^/v1/(.*)$ /v2/$1 break;',
    'rewrite ^/old$ https://a.example.com/new permanent;',
  ];
  const shapes: [string, fc.Arbitrary<string>][] = [
    ['a whole server-snippet', payload],
    ['a location path', payload.map((v) => `location ${v} { deny all; }`)],
    ['a location regex', payload.map((v) => `location ~* "${v}" { return 404; }`)],
    ['a location answer', payload.map((v) => `location = /r { return 200 "${v}"; }`)],
    ['a host-wide header', payload.map((v) => `add_header X-A "${v}";`)],
    ['a rewrite regex', payload.map((v) => `rewrite "${v}" /x break;`)],
    ['a rewrite replacement', payload.map((v) => `rewrite ^/(.*)$ "${v}" redirect;`)],
    [
      'valid pieces mixed with hostile ones',
      fc.array(fc.oneof(fc.constantFrom(...PIECES), payload), { maxLength: 6 }).map((a) => a.join('\n')),
    ],
  ];
  // The lines of the same cluster without the snippet (rendered inside a test: the certificate is made before).
  let base: Set<string> | undefined;
  const baseLines = (): Set<string> =>
    (base ??= new Set(
      renderObjects(cluster({}, [admin]), allowed)
        .conf.split('\n')
        .map((l) => l.trim()),
    ));
  const cases = [
    ...shapes.map(([what, snippets]) => ['server-snippet', what, snippets] as const),
    ...shapes
      .filter(([what]) => what.startsWith('a rewrite'))
      .map(([what, snippets]) => ['configuration-snippet', what, snippets] as const),
  ];
  for (const [annotation, what, snippets] of cases)
    it(`${annotation}, ${what}: refused, or only Gatehouse's own lines from its checked parts`, () => {
      fc.assert(
        fc.property(snippets, (snippet) => {
          const objects = cluster({ annotations: { [`${ANNOTATION_PREFIX}${annotation}`]: snippet } }, [
            admin,
          ]);
          const { conf, result } = renderObjects(objects, allowed);
          const web = result.ingresses.find((i) => i.ref.name === 'web');
          if (web?.outcome !== 'served') return;
          const added = conf
            .split('\n')
            .map((l) => l.trim())
            .filter((l) => !baseLines().has(l) && !l.startsWith('# checksum '));
          for (const line of added)
            assert.ok(
              SNIPPET_LINES.some((shape) => shape.test(line)),
              `unexpected line ${JSON.stringify(line)} from ${JSON.stringify(snippet)}`,
            );
        }),
        { numRuns: 150 },
      );
    });
});

describe('hostile htpasswd Secrets', () => {
  const protectedBy = (secret: KubernetesObject): KubernetesObject[] =>
    cluster(
      {
        annotations: {
          [`${ANNOTATION_PREFIX}auth-type`]: 'basic',
          [`${ANNOTATION_PREFIX}auth-secret`]: 'users',
        },
      },
      [secret],
    );
  const USER_LINE = /^[\x21-\x39\x3b-\x7e]{1,128}:[$./A-Za-z0-9{}+=]+$/;

  for (const type of ['auth-file', 'auth-map'] as const) {
    it(`${type}: a hostile user or hash denies the paths (503), or reaches only the htpasswd file as user:hash`, () => {
      fc.assert(
        fc.property(payload, fc.constantFrom(...Object.values(HASHES), 'x'), (raw, hash) => {
          const secret =
            type === 'auth-file'
              ? opaqueSecret('users', { auth: `${raw}:${hash}\n` })
              : opaqueSecret('users', { [raw === '' ? 'k' : raw]: hash });
          const objects = protectedBy(secret);
          const result = translateObjects(objects);
          const files = render(result.model, PATHS).files;
          const conf = files.find((f) => f.path === 'nginx.conf')?.content ?? '';
          const auth = files.filter((f) => f.path.startsWith('auth/'));
          if (auth.length === 0) {
            assert.match(conf, /return 503;/, 'an unusable Secret denies the paths');
            return;
          }
          for (const line of auth.flatMap((f) => f.content.split('\n')).filter((l) => l !== ''))
            assert.match(line, USER_LINE);
          assert.ok(!conf.includes(hash === 'x' ? 'qx7qx7' : hash), 'no hash in nginx.conf');
        }),
        { numRuns: 150 },
      );
    });
  }
});

describe('hostile htdigest Secrets', () => {
  const protectedBy = (secret: KubernetesObject): KubernetesObject[] =>
    cluster(
      {
        annotations: {
          [`${ANNOTATION_PREFIX}auth-type`]: 'digest',
          [`${ANNOTATION_PREFIX}auth-secret`]: 'users',
        },
      },
      [secret],
    );
  const REALM = 'Authentication Required';
  const LINE = /^[\x21-\x39\x3b-\x7e]{1,128}:Authentication Required:[0-9a-f]{32}$/;
  const HA1 = 'a1b2c3d4'.repeat(4);

  for (const type of ['auth-file', 'auth-map'] as const) {
    it(`${type}: a hostile user, realm or HA1 denies the paths (503), or reaches only the htdigest file as user:realm:HA1`, () => {
      fc.assert(
        fc.property(
          payload,
          fc.constantFrom(REALM, 'x', ''),
          fc.oneof(fc.constant(HA1), payload),
          (raw, realm, ha1) => {
            const secret =
              type === 'auth-file'
                ? opaqueSecret('users', { auth: `${raw}:${realm}:${ha1}\n` })
                : opaqueSecret('users', { [raw === '' ? 'k' : raw]: `${realm}:${ha1}` });
            const result = translateObjects(protectedBy(secret));
            const files = render(result.model, PATHS).files;
            const conf = files.find((f) => f.path === 'nginx.conf')?.content ?? '';
            const auth = files.filter((f) => f.path.startsWith('auth/'));
            if (auth.length === 0) {
              assert.match(conf, /return 503;/, 'an unusable Secret denies the paths');
              assert.ok(!conf.includes('gatehouse_digest'));
              return;
            }
            for (const line of auth.flatMap((f) => f.content.split('\n')).filter((l) => l !== ''))
              assert.match(line, LINE);
            assert.ok(!conf.includes(HA1), 'no HA1 in nginx.conf');
            assert.match(conf, /set \$gatehouse_digest_realm "Authentication Required";/);
          },
        ),
        { numRuns: 150 },
      );
    });
  }
});
