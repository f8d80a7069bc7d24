import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatDiagnostic } from '../../src/model/diagnostics.ts';
import { parseManifest } from '../../src/sources/files/parse-manifest.ts';

const service = (name: string, namespace?: string): string =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n${namespace ? `  namespace: ${namespace}\n` : ''}spec:\n  ports:\n    - port: 80\n`;

function parse(file: string, text: string): { refs: string[]; messages: string[] } {
  const result = parseManifest(file, text);
  return {
    refs: result.objects.map(
      (o) => `${o.kind ?? '?'} ${o.metadata?.namespace ?? '-'}/${o.metadata?.name ?? '?'}`,
    ),
    messages: result.diagnostics.map(formatDiagnostic),
  };
}

const cases: { name: string; file?: string; text: string; refs: string[]; messages: string[] }[] = [
  {
    name: 'reads every document of a multi-document YAML file',
    text: `${service('tea', 'cafe')}---\n${service('coffee', 'cafe')}`,
    refs: ['Service cafe/tea', 'Service cafe/coffee'],
    messages: [],
  },
  {
    name: 'skips empty documents, comment-only documents and a leading separator',
    text: `---\n---\n# just a comment\n---\n${service('tea')}---\n\n`,
    refs: ['Service default/tea'],
    messages: [],
  },
  {
    name: 'gives nothing for an empty file',
    text: '',
    refs: [],
    messages: [],
  },
  {
    name: 'reads JSON',
    file: 'svc.json',
    text: JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'tea', namespace: 'cafe' } }),
    refs: ['Service cafe/tea'],
    messages: [],
  },
  {
    name: 'flattens a kind: List, in YAML or JSON, and reports bad items by index',
    file: 'list.json',
    text: JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'tea' } },
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'tea' } },
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tea-tls', namespace: 'cafe' } },
      ],
    }),
    refs: ['Service default/tea', 'Secret cafe/tea-tls'],
    messages: [
      'warning: File/list.json: document[0].items[1]: kind Deployment is not used by Gatehouse and was ignored',
    ],
  },
  {
    name: 'turns broken YAML into one diagnostic for the file and no objects',
    text: `${service('tea')}---\nmetadata: [unclosed\n`,
    refs: [],
    messages: [
      // The position is the file's own line: the error points where an editor would.
      'error: File/objects.yaml: not valid YAML: unexpected end of the stream within a flow collection (10:1)',
    ],
  },
  {
    name: 'warns about kinds Gatehouse does not use',
    text: `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: tea\n---\n${service('tea')}`,
    refs: ['Service default/tea'],
    messages: [
      'warning: File/objects.yaml: document[0]: kind Deployment is not used by Gatehouse and was ignored',
    ],
  },
  {
    name: 'refuses a known kind with the wrong apiVersion',
    text: 'apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: cafe\n  namespace: cafe\n',
    refs: [],
    messages: ['error: Ingress cafe/cafe: apiVersion: Ingress must have apiVersion networking.k8s.io/v1'],
  },
  {
    name: 'puts a namespaced object without a namespace into "default", but not an IngressClass',
    text: `${service('tea')}---\napiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: gatehouse\nspec:\n  controller: gatehouse.dev/ingress-controller\n`,
    refs: ['Service default/tea', 'IngressClass -/gatehouse'],
    messages: [],
  },
  {
    name: 'refuses a document without metadata.name',
    text: 'apiVersion: v1\nkind: Service\nmetadata:\n  namespace: cafe\n',
    refs: [],
    messages: [
      'error: File/objects.yaml: document[0]: not a Kubernetes object (metadata.name: Invalid input: expected string, received undefined)',
    ],
  },
  {
    name: 'refuses a document that is not a mapping',
    text: 'just a string\n',
    refs: [],
    messages: [
      'error: File/objects.yaml: document[0]: not a Kubernetes object (: Invalid input: expected object, received string)',
    ],
  },
  {
    name: 'refuses a name that is not a DNS name, without echoing it',
    text: 'apiVersion: v1\nkind: Service\nmetadata:\n  name: "tea\\ninclude /etc/passwd;"\n',
    refs: [],
    messages: [
      'error: File/objects.yaml: document[0]: not a Kubernetes object (metadata.name: must be a lowercase RFC 1123 DNS name)',
    ],
  },
  {
    name: 'refuses a namespace that is not a DNS label, without echoing it',
    text: 'apiVersion: v1\nkind: Service\nmetadata:\n  name: tea\n  namespace: "cafe; evil"\n',
    refs: [],
    messages: [
      'error: File/objects.yaml: document[0]: not a Kubernetes object (metadata.namespace: must be a lowercase RFC 1123 DNS label)',
    ],
  },
  {
    name: 'refuses a kind that is not a Kubernetes kind, without echoing it',
    text: 'apiVersion: v1\nkind: "Service\\nerror: forged line"\nmetadata:\n  name: tea\n',
    refs: [],
    messages: [
      'error: File/objects.yaml: document[0]: not a Kubernetes object (kind: must be a Kubernetes kind such as Ingress)',
    ],
  },
];

describe('parseManifest', () => {
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(parse(c.file ?? 'objects.yaml', c.text), { refs: c.refs, messages: c.messages });
    });
  }

  it('keeps the fields translate reads, and timestamps as written (Date unquoted, else the string)', () => {
    const text = [
      'apiVersion: networking.k8s.io/v1',
      'kind: Ingress',
      'metadata:',
      '  name: cafe',
      '  creationTimestamp: "2024-03-01T10:00:00Z"',
      '  deletionTimestamp: 2024-03-02T10:00:00Z',
      '  annotations:',
      '    nginx.ingress.kubernetes.io/ssl-redirect: "false"',
      'spec:',
      '  ingressClassName: gatehouse',
      '  rules:',
      '    - host: cafe.example.com',
      '      http:',
      '        paths:',
      '          - path: /tea',
      '            pathType: Prefix',
      '            backend:',
      '              service:',
      '                name: tea',
      '                port:',
      '                  number: 80',
    ].join('\n');
    const [ing] = parseManifest('cafe.yaml', text).objects as {
      metadata: {
        creationTimestamp: unknown;
        deletionTimestamp: unknown;
        annotations: Record<string, string>;
      };
      spec: { ingressClassName: string; rules: { host: string }[] };
    }[];
    assert.ok(ing);
    // A watch event delivers the string; an unquoted YAML timestamp loads as a Date. Translate reads both.
    assert.equal(ing.metadata.creationTimestamp, '2024-03-01T10:00:00Z');
    assert.ok(ing.metadata.deletionTimestamp instanceof Date);
    assert.equal(ing.metadata.deletionTimestamp.toISOString(), '2024-03-02T10:00:00.000Z');
    assert.deepEqual(ing.metadata.annotations, { 'nginx.ingress.kubernetes.io/ssl-redirect': 'false' });
    assert.equal(ing.spec.ingressClassName, 'gatehouse');
    assert.equal(ing.spec.rules[0]?.host, 'cafe.example.com');
  });

  it('does not let a __proto__ key pollute prototypes', () => {
    const text =
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  __proto__:\n    polluted: "yes"\n  keep-alive: "10"\n';
    const [cm] = parseManifest('cfg.yaml', text).objects as { data: Record<string, string> }[];
    assert.ok(cm);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.equal(cm.data['keep-alive'], '10');
    assert.ok(!Object.keys(cm.data).includes('polluted'));
  });
});
