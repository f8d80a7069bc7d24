import {
  AuthorizationV1Api,
  RbacAuthorizationV1Api,
  type KubeConfig,
  type V1PolicyRule,
  type V1ResourceAttributes,
} from '@kubernetes/client-node';

/**
 * The least privilege Gatehouse runs with, as data: every cluster test binds exactly these rules to the
 * controller's ServiceAccount, so a call outside them fails a test instead of passing silently. The README's
 * RBAC list is this list.
 */

/** Cluster-wide (ClusterRole): what translate reads, the status it writes, its Events, the status address. */
export const GATEHOUSE_CLUSTER_RULES: readonly V1PolicyRule[] = [
  {
    apiGroups: ['networking.k8s.io'],
    resources: ['ingresses', 'ingressclasses'],
    verbs: ['get', 'list', 'watch'],
  },
  { apiGroups: [''], resources: ['services', 'secrets', 'configmaps'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses/status'], verbs: ['update', 'patch'] },
  { apiGroups: [''], resources: ['events'], verbs: ['get', 'create', 'patch'] },
  { apiGroups: [''], resources: ['nodes'], verbs: ['get'] },
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
];

/** In the controller's own namespace (Role): the leader-election Lease. */
export const GATEHOUSE_NAMESPACE_RULES: readonly V1PolicyRule[] = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
];

export interface ServiceAccountRef {
  readonly namespace: string;
  readonly name: string;
}

const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** Binds GATEHOUSE_CLUSTER_RULES to the ServiceAccount and waits until the authorizer honours them. */
export async function grantClusterRules(admin: KubeConfig, sa: ServiceAccountRef): Promise<void> {
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  const name = `gatehouse-${sa.namespace}-${sa.name}`;
  await rbac.createClusterRole({ body: { metadata: { name }, rules: [...GATEHOUSE_CLUSTER_RULES] } });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name },
      roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', namespace: sa.namespace, name: sa.name }],
    },
  });
  await waitUntilAllowed(admin, sa, { group: 'networking.k8s.io', resource: 'ingresses', verb: 'watch' });
}

/** Binds GATEHOUSE_NAMESPACE_RULES (leader election) in the ServiceAccount's namespace. */
export async function grantLeaderElection(admin: KubeConfig, sa: ServiceAccountRef): Promise<void> {
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  const name = `gatehouse-${sa.name}-leader-election`;
  await rbac.createNamespacedRole({
    namespace: sa.namespace,
    body: { metadata: { name }, rules: [...GATEHOUSE_NAMESPACE_RULES] },
  });
  await rbac.createNamespacedRoleBinding({
    namespace: sa.namespace,
    body: {
      metadata: { name },
      roleRef: { apiGroup: RBAC_GROUP, kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', namespace: sa.namespace, name: sa.name }],
    },
  });
  await waitUntilAllowed(admin, sa, {
    group: 'coordination.k8s.io',
    resource: 'leases',
    verb: 'update',
    namespace: sa.namespace,
  });
}

/** Asks the API server (SubjectAccessReview) whether the ServiceAccount may do this. */
export async function allowed(
  admin: KubeConfig,
  sa: ServiceAccountRef,
  attributes: V1ResourceAttributes,
): Promise<boolean> {
  const review = await admin.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({
    body: {
      spec: { user: `system:serviceaccount:${sa.namespace}:${sa.name}`, resourceAttributes: attributes },
    },
  });
  return review.status?.allowed === true;
}

/** RBAC objects reach the authorizer through an informer: wait until a new grant is in effect. */
async function waitUntilAllowed(
  admin: KubeConfig,
  sa: ServiceAccountRef,
  attributes: V1ResourceAttributes,
): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await allowed(admin, sa, attributes))) {
    if (Date.now() > deadline) {
      throw new Error(
        `RBAC grant for ${sa.namespace}/${sa.name} not in effect: ${JSON.stringify(attributes)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Lines of a controller log that report an API request RBAC refused: a test run should have none. While a
 * restarted API server starts, its RBAC authorizer denies everything until it has loaded the bindings;
 * pass that window as `ignore` (epoch ms) to leave those lines out.
 */
export function forbiddenRequests(log: string, ignore?: { from: number; to: number }): string[] {
  return log.split('\n').filter((line) => {
    if (!/forbidden/i.test(line)) return false;
    const at = Date.parse(line.slice(0, line.indexOf(' ')));
    return ignore === undefined || Number.isNaN(at) || at < ignore.from || at > ignore.to;
  });
}
