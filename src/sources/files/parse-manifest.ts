import type { KubernetesObject } from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';
import { z } from 'zod';
import type { Diagnostic } from '../../model/diagnostics.ts';
import { KINDS, isKind, objectRef } from '../kube-objects.ts';

// Names and kinds end up in diagnostics (log lines, Events), so refuse what the API server would refuse.
const label = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const envelope = z.object({
  apiVersion: z.string(),
  kind: z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,62}$/, 'must be a Kubernetes kind such as Ingress'),
  metadata: z.object({
    name: z
      .string()
      .min(1, 'metadata.name is required')
      .max(253)
      .regex(new RegExp(`^${label}(\\.${label})*$`), 'must be a lowercase RFC 1123 DNS name'),
    namespace: z
      .string()
      .max(63)
      .regex(new RegExp(`^${label}$`), 'must be a lowercase RFC 1123 DNS label')
      .optional(),
  }),
});

export interface ParsedManifest {
  readonly objects: KubernetesObject[];
  readonly diagnostics: Diagnostic[];
}

/**
 * Parses one manifest file (multi-document YAML or JSON, `kind: List` flattened) with js-yaml, the loader
 * client-node itself uses: importing client-node would cost folder mode about 80 MB of resident memory for
 * nothing. A broken file yields one diagnostic and no objects; a broken document only loses itself.
 */
export function parseManifest(fileName: string, text: string): ParsedManifest {
  const file = { kind: 'File', namespace: '', name: fileName };
  let docs: unknown[];
  try {
    docs = loadDocuments(text);
  } catch (error) {
    const reason = error instanceof Error ? firstLine(error.message) : 'unreadable';
    return {
      objects: [],
      diagnostics: [{ severity: 'error', object: file, field: '', reason: `not valid YAML: ${reason}` }],
    };
  }
  const objects: KubernetesObject[] = [];
  const diagnostics: Diagnostic[] = [];
  const visit = (doc: unknown, index: string): void => {
    if (doc === null || doc === undefined) return;
    const list = doc as { kind?: unknown; items?: unknown };
    if (typeof list.kind === 'string' && list.kind.endsWith('List') && Array.isArray(list.items)) {
      list.items.forEach((item, i) => visit(item, `${index}.items[${i}]`));
      return;
    }
    const parsed = envelope.safeParse(doc);
    if (!parsed.success) {
      const reason = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      diagnostics.push({
        severity: 'error',
        object: file,
        field: index,
        reason: `not a Kubernetes object (${reason})`,
      });
      return;
    }
    const obj = doc as KubernetesObject;
    if (!isKind(parsed.data.kind)) {
      diagnostics.push({
        severity: 'warning',
        object: file,
        field: index,
        reason: `kind ${parsed.data.kind.slice(0, 63)} is not used by Gatehouse and was ignored`,
      });
      return;
    }
    if (parsed.data.apiVersion !== KINDS[parsed.data.kind]) {
      diagnostics.push({
        severity: 'error',
        object: objectRef(obj),
        field: 'apiVersion',
        reason: `${parsed.data.kind} must have apiVersion ${KINDS[parsed.data.kind]}`,
      });
      return;
    }
    // As `kubectl apply` does: a namespaced object without a namespace lands in "default".
    if (parsed.data.kind !== 'IngressClass' && obj.metadata !== undefined)
      obj.metadata.namespace ??= 'default';
    objects.push(obj);
  };
  docs.forEach((doc, i) => visit(doc, `document[${i}]`));
  return { objects, diagnostics };
}

function loadDocuments(text: string): unknown[] {
  // The objects stay as written, as a watch event delivers them (unquoted timestamps become Date; translate
  // takes both). Empty documents are legal YAML: visit() skips the null they load as.
  return loadAll(text);
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? '').slice(0, 200);
}
