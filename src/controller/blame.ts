import type { ObjectRef } from '../model/diagnostics.ts';

/**
 * Finds the object behind an `nginx -t` failure: NGINX names the line (`in /…/nginx.conf:123`), and the
 * rendered config marks every upstream (`# service ns/name port p`) and location (`# ingress ns/name`) with
 * the object it came from. The nearest marker above the line is the culprit; a certificate file NGINX could
 * not load points at its Secret. Pure.
 */
export function blameConfigLine(nginxConf: string, stderr: string): ObjectRef | undefined {
  // A certificate NGINX could not load names its file, and certificate files are named after their Secret.
  const file = /\/certs\/([a-z0-9-]+)_([a-z0-9.-]+)_[0-9a-f]{12}\.pem/.exec(stderr);
  if (file?.[1] !== undefined && file[2] !== undefined)
    return { kind: 'Secret', namespace: file[1], name: file[2] };
  const m = /nginx\.conf:(\d+)/.exec(stderr);
  if (m?.[1] === undefined) return undefined;
  const lines = nginxConf.split('\n');
  for (let i = Math.min(Number(m[1]), lines.length) - 1; i >= 0; i--) {
    const line = lines[i]?.trim() ?? '';
    const service = /^# service ([a-z0-9-]+)\/([a-z0-9-]+) port /.exec(line);
    if (service?.[1] !== undefined && service[2] !== undefined) {
      return { kind: 'Service', namespace: service[1], name: service[2] };
    }
    const ingress = /^# ingress ([a-z0-9-]+)\/([a-z0-9.-]+)/.exec(line);
    if (ingress?.[1] !== undefined && ingress[2] !== undefined) {
      return { kind: 'Ingress', namespace: ingress[1], name: ingress[2] };
    }
    const host = /^# host \S+ \(from ingress ([a-z0-9-]+)\/([a-z0-9.-]+)\)$/.exec(line);
    if (host?.[1] !== undefined && host[2] !== undefined)
      return { kind: 'Ingress', namespace: host[1], name: host[2] };
    if (line.startsWith('# host ') || line.startsWith('# default server')) return undefined;
    // Gatehouse's own blocks come from no object: nothing to leave out.
    if (line.startsWith("# Gatehouse's own")) return undefined;
  }
  return undefined;
}
