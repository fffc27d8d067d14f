/**
 * The Kubernetes RBAC an environment's deploy (or read-only plan) needs on its cluster, derived from what the
 * environment's synthesized stack manages: every kind it writes and nothing else (no Secrets, no Pods, no exec).
 * Cluster-scoped objects are changed only by name (`resourceNames`; `create` cannot be limited by name in
 * Kubernetes RBAC), and a ClusterRoleBinding may bind only the ClusterRoles the stack names (the `bind` verb,
 * kubernetes.io/docs/reference/access-authn-authz/rbac, "Restrictions on role binding creation or update").
 * A cluster admin applies it once (README "Credentials each job needs"); the token of its service account is
 * the environment's DEPLOY_KUBECONFIG (PLAN_KUBECONFIG for the plan).
 */

/** What each Kubernetes resource type of the providers is, in RBAC terms. */
const KINDS: Record<string, { apiGroup: string; resource: string; namespaced: boolean }> = {
  kubernetes_namespace_v1: { apiGroup: "", resource: "namespaces", namespaced: false },
  kubernetes_network_policy_v1: { apiGroup: "networking.k8s.io", resource: "networkpolicies", namespaced: true },
  kubernetes_resource_quota_v1: { apiGroup: "", resource: "resourcequotas", namespaced: true },
  kubernetes_limit_range_v1: { apiGroup: "", resource: "limitranges", namespaced: true },
  kubernetes_service_account_v1: { apiGroup: "", resource: "serviceaccounts", namespaced: true },
  kubernetes_config_map_v1: { apiGroup: "", resource: "configmaps", namespaced: true },
  kubernetes_cluster_role_binding_v1: { apiGroup: "rbac.authorization.k8s.io", resource: "clusterrolebindings", namespaced: false },
  kubernetes_role_binding_v1: { apiGroup: "rbac.authorization.k8s.io", resource: "rolebindings", namespaced: true },
};
/** Custom resources in `kubernetes_manifest`, by apiVersion/kind. */
const MANIFEST_KINDS: Record<string, { apiGroup: string; resource: string; namespaced: boolean }> = {
  "external-secrets.io/v1/SecretStore": { apiGroup: "external-secrets.io", resource: "secretstores", namespaced: true },
  "external-secrets.io/v1/ExternalSecret": { apiGroup: "external-secrets.io", resource: "externalsecrets", namespaced: true },
};

const READ = ["get", "list", "watch"];
const WRITE = ["create", "update", "patch", "delete"];

export class RbacError extends Error {}

export interface PolicyRule {
  readonly apiGroups: string[];
  readonly resources: string[];
  readonly verbs: string[];
  readonly resourceNames?: string[];
}

/** Namespace the deployers' service accounts live in (created once by a cluster admin). */
export const DEPLOYERS_NAMESPACE = "envmatrix-system";

/** The ClusterRole and ClusterRoleBinding of `<project>-<env>-deployer` (or `-planner`), for the stack `json`. */
export function deployerRbac(
  stackJson: Record<string, any>,
  opts: { project: string; environment: string; mode: "deploy" | "plan"; extraReads?: readonly { apiGroup: string; resource: string; names: readonly string[] }[] },
): object[] {
  const name = `${opts.project}-${opts.environment}-${opts.mode === "deploy" ? "deployer" : "planner"}`;
  const namespacedRes = new Map<string, Set<string>>();
  const clusterNames = new Map<string, Set<string>>();
  const bindable = new Set<string>();
  const add = (k: { apiGroup: string; resource: string; namespaced: boolean }, objectName: string) => {
    if (k.namespaced) namespacedRes.set(k.apiGroup, (namespacedRes.get(k.apiGroup) ?? new Set()).add(k.resource));
    else clusterNames.set(`${k.apiGroup}/${k.resource}`, (clusterNames.get(`${k.apiGroup}/${k.resource}`) ?? new Set()).add(objectName));
  };
  for (const [type, byName] of Object.entries<Record<string, any>>(stackJson.resource ?? {})) {
    if (!type.startsWith("kubernetes_")) continue;
    for (const r of Object.values(byName)) {
      if (type === "kubernetes_manifest") {
        const m = r.manifest;
        const k = MANIFEST_KINDS[`${m.apiVersion}/${m.kind}`];
        if (!k) throw new RbacError(`no RBAC mapping for ${m.apiVersion} ${m.kind}`);
        add(k, m.metadata.name);
        continue;
      }
      const k = KINDS[type];
      if (!k) throw new RbacError(`no RBAC mapping for ${type}`);
      add(k, r.metadata?.name);
      if (type === "kubernetes_cluster_role_binding_v1") bindable.add(r.role_ref.name);
    }
  }
  const rules: PolicyRule[] = [];
  for (const [group, resources] of [...namespacedRes].sort(([a], [b]) => a.localeCompare(b))) {
    rules.push({ apiGroups: [group], resources: [...resources].sort(), verbs: opts.mode === "deploy" ? [...READ, ...WRITE] : READ });
  }
  for (const [key, names] of [...clusterNames].sort(([a], [b]) => a.localeCompare(b))) {
    const [group, resource] = key.split("/");
    if (opts.mode === "deploy") {
      // create cannot be limited by name; change and delete can
      rules.push({ apiGroups: [group], resources: [resource], verbs: ["create"] });
      rules.push({ apiGroups: [group], resources: [resource], verbs: ["get", "update", "patch", "delete"], resourceNames: [...names].sort() });
    } else {
      rules.push({ apiGroups: [group], resources: [resource], verbs: ["get"], resourceNames: [...names].sort() });
    }
  }
  // what `npm run preflight` reads besides the stack (CRDs, the mesh, the token reviewer), by name only
  for (const r of opts.extraReads ?? []) rules.push({ apiGroups: [r.apiGroup], resources: [r.resource], verbs: ["get"], resourceNames: [...r.names].sort() });
  if (opts.mode === "deploy" && bindable.size > 0) {
    rules.push({ apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["bind"], resourceNames: [...bindable].sort() });
  }
  const labels = { "app.kubernetes.io/managed-by": "envmatrix", "envmatrix.io/environment": opts.environment };
  return [
    { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name, labels }, rules },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
      subjects: [{ kind: "ServiceAccount", name, namespace: DEPLOYERS_NAMESPACE }],
    },
  ];
}
