import type { V1IngressClass } from '@kubernetes/client-node';

export interface ClassOptions {
  /** Our IngressClass name, also the value of the legacy `kubernetes.io/ingress.class` annotation. */
  readonly ingressClass: string;
  /** The `spec.controller` value of IngressClasses we serve. */
  readonly controllerClass: string;
  readonly watchIngressWithoutClass: boolean;
}

export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';

export type Ownership = { readonly ours: true } | { readonly ours: false; readonly why: string };

/**
 * Whether an Ingress belongs to this controller, following Kubernetes Ingress v1: `spec.ingressClassName`
 * naming one of our IngressClasses wins; then the legacy annotation; an Ingress with neither is ours only if
 * one of our classes is the cluster default, or `--watch-ingress-without-class` is set.
 */
export interface ClassFields {
  readonly className: string | undefined;
  readonly legacyClass: string | undefined;
}

export function ownership(
  ingress: ClassFields,
  classes: readonly V1IngressClass[],
  options: ClassOptions,
): Ownership {
  const ourClasses = classes.filter((c) => c.spec?.controller === options.controllerClass);
  if (ingress.className !== undefined) {
    const named = classes.find((c) => c.metadata?.name === ingress.className);
    if (named === undefined) return { ours: false, why: `IngressClass ${ingress.className} does not exist` };
    if (named.spec?.controller !== options.controllerClass) {
      return { ours: false, why: `IngressClass ${ingress.className} belongs to another controller` };
    }
    return { ours: true };
  }
  if (ingress.legacyClass !== undefined) {
    return ingress.legacyClass === options.ingressClass
      ? { ours: true }
      : { ours: false, why: `class annotation names another class` };
  }
  if (options.watchIngressWithoutClass) return { ours: true };
  if (ourClasses.some((c) => c.metadata?.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true'))
    return { ours: true };
  return { ours: false, why: 'no ingress class, and none of ours is the default class' };
}
