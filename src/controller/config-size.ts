import { refKey, type ObjectRef } from '../model/diagnostics.ts';

/**
 * Bytes of a rendered nginx.conf each Ingress accounts for: every line from its `# ingress ns/name` marker
 * (one above each location it contributes) to the next marker. Pure.
 */
export function bytesByIngress(nginxConf: string): Map<string, { ref: ObjectRef; bytes: number }> {
  const out = new Map<string, { ref: ObjectRef; bytes: number }>();
  let current: { ref: ObjectRef; bytes: number } | undefined;
  for (const line of nginxConf.split('\n')) {
    const marker = /^\s*# ingress ([a-z0-9-]+)\/([a-z0-9.-]+)/.exec(line);
    if (marker?.[1] !== undefined && marker[2] !== undefined) {
      const ref: ObjectRef = { kind: 'Ingress', namespace: marker[1], name: marker[2] };
      const key = refKey(ref);
      current = out.get(key) ?? { ref, bytes: 0 };
      out.set(key, current);
    } else if (/^\s*# /.test(line) || /^ {4}\}$/.test(line)) {
      current = undefined; // another object's marker, or the end of a server block
    }
    if (current !== undefined) current.bytes += line.length + 1;
  }
  return out;
}

/**
 * The Ingresses to leave out, newest first, so that a config of `size` bytes fits in `maxBytes`: the oldest
 * keep serving, as they do in every other conflict. `createdAt` gives each Ingress's age (RFC 3339; empty
 * counts as oldest). Pure.
 */
export function oversizeCulprits(
  nginxConf: string,
  maxBytes: number,
  createdAt: (ref: ObjectRef) => string,
): ObjectRef[] {
  let excess = nginxConf.length - maxBytes;
  if (excess <= 0) return [];
  const newestFirst = [...bytesByIngress(nginxConf).values()].sort((a, b) => {
    const ta = createdAt(a.ref);
    const tb = createdAt(b.ref);
    return ta !== tb ? (ta < tb ? 1 : -1) : refKey(a.ref) < refKey(b.ref) ? 1 : -1;
  });
  const culprits: ObjectRef[] = [];
  for (const { ref, bytes } of newestFirst) {
    if (excess <= 0) break;
    culprits.push(ref);
    excess -= bytes;
  }
  return culprits;
}
