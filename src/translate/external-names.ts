import type { V1IngressBackend } from '@kubernetes/client-node';
import type { Snapshot } from '../model/snapshot.ts';
import { LEGACY_CLASS_ANNOTATION } from './ingress-parse.ts';
import { ownership } from './ownership.ts';
import type { TranslateOptions } from './translate.ts';
import { dnsSubdomain, ipAddress } from './validators.ts';

/**
 * The ExternalName target names our Ingresses lead to (lowercase, sorted): what the controller's resolver
 * must look up for translate. Only our class's Ingresses count, so another controller's ExternalName
 * Services cost us nothing. Pure.
 */
export function externalNamesWanted(
  snapshot: Snapshot,
  options: Pick<
    TranslateOptions,
    'ingressClass' | 'controllerClass' | 'watchIngressWithoutClass' | 'defaultBackendService'
  >,
): string[] {
  const wanted = new Set<string>();
  const services = new Map(
    snapshot.services
      .filter((s) => s.spec?.type === 'ExternalName')
      .map((s) => [`${s.metadata?.namespace ?? 'default'}/${s.metadata?.name ?? ''}`, s]),
  );
  if (services.size === 0) return [];
  const add = (namespace: string, service: string | undefined): void => {
    const raw = services.get(`${namespace}/${service ?? ''}`)?.spec?.externalName ?? '';
    const name = raw.toLowerCase().replace(/\.$/, '');
    if (!ipAddress.safeParse(name).success && dnsSubdomain.safeParse(name).success && name !== '')
      wanted.add(name);
  };
  const fromBackend = (namespace: string, backend: V1IngressBackend | undefined | null): void =>
    add(namespace, backend?.service?.name);
  for (const ing of snapshot.ingresses) {
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
    fromBackend(namespace, ing.spec?.defaultBackend);
    for (const rule of ing.spec?.rules ?? [])
      for (const p of rule.http?.paths ?? []) fromBackend(namespace, p.backend);
  }
  const dbs = options.defaultBackendService;
  if (dbs !== undefined) add(dbs.namespace, dbs.name);
  return [...wanted].sort();
}
