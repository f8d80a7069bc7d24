import type { V1IngressBackend } from '@kubernetes/client-node';
import { mirrorTarget } from '../annotations/mirror.ts';
import { ANNOTATION_PREFIX } from '../annotations/spec.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { LEGACY_CLASS_ANNOTATION } from './ingress-parse.ts';
import { ownership } from './ownership.ts';
import type { TranslateOptions } from './translate.ts';
import { dnsSubdomain, ipAddress } from './validators.ts';

/**
 * The names our Ingresses lead to (lowercase, sorted): ExternalName targets, and the hosts of auth-url,
 * mirror-target and the ConfigMap's global-auth-url. What the controller's resolver must look up for translate, as NGINX
 * never resolves a name. Only our class's Ingresses count, so another controller's ExternalName Services
 * cost us nothing. Pure.
 */
export function externalNamesWanted(
  snapshot: Snapshot,
  options: Pick<
    TranslateOptions,
    'ingressClass' | 'controllerClass' | 'watchIngressWithoutClass' | 'defaultBackendService' | 'configMap'
  >,
): string[] {
  const wanted = new Set<string>();
  const services = new Map(
    snapshot.services
      .filter((s) => s.spec?.type === 'ExternalName')
      .map((s) => [`${s.metadata?.namespace ?? 'default'}/${s.metadata?.name ?? ''}`, s]),
  );
  const addName = (raw: string): void => {
    const name = raw.toLowerCase().replace(/\.$/, '');
    if (!ipAddress.safeParse(name).success && dnsSubdomain.safeParse(name).success && name !== '')
      wanted.add(name);
  };
  const addUrlHost = (url: string | undefined): void => {
    if (url === undefined || !URL.canParse(url.trim())) return;
    addName(new URL(url.trim()).hostname);
  };
  const add = (namespace: string, service: string | undefined): void =>
    addName(services.get(`${namespace}/${service ?? ''}`)?.spec?.externalName ?? '');
  const fromBackend = (namespace: string, backend: V1IngressBackend | undefined | null): void =>
    add(namespace, backend?.service?.name);
  for (const ing of snapshot.ingresses) {
    const authUrl = ing.metadata?.annotations?.[`${ANNOTATION_PREFIX}auth-url`];
    const mirror = ing.metadata?.annotations?.[`${ANNOTATION_PREFIX}mirror-target`];
    // Most snapshots have no ExternalName Service: then only an auth-url or a mirror needs the class check.
    if (services.size === 0 && authUrl === undefined && mirror === undefined) continue;
    const className = ing.spec?.ingressClassName ?? undefined;
    const owner = ownership(
      {
        className: typeof className === 'string' ? className : undefined,
        legacyClass: ing.metadata?.annotations?.[LEGACY_CLASS_ANNOTATION],
      },
      snapshot.ingressClasses,
      options,
    );
    if (!owner.ours) continue;
    const namespace = ing.metadata?.namespace ?? 'default';
    addUrlHost(authUrl);
    // A mirror-target's host may be followed by a variable (`https://m.example.com$request_uri`).
    const target = mirror === undefined ? undefined : mirrorTarget.safeParse(mirror);
    if (target?.success === true) addName(target.data.hostname);
    fromBackend(namespace, ing.spec?.defaultBackend);
    for (const rule of ing.spec?.rules ?? [])
      for (const p of rule.http?.paths ?? []) fromBackend(namespace, p.backend);
  }
  const cm = options.configMap;
  if (cm !== undefined)
    addUrlHost(
      snapshot.configMaps.find((c) => c.metadata?.namespace === cm.namespace && c.metadata.name === cm.name)
        ?.data?.['global-auth-url'],
    );
  const dbs = options.defaultBackendService;
  if (dbs !== undefined) add(dbs.namespace, dbs.name);
  return [...wanted].sort();
}
