/**
 * The Kubernetes RBAC an environment's deploy (or read-only plan) needs on its cluster, derived from what the
 * environment's synthesized stack manages: every kind it writes and nothing else (no Secrets, no Pods, no exec),
 * namespaced kinds only in the environment's namespace.
 * Cluster-scoped objects are changed only by name (`resourceNames`; `create` cannot be limited by name in
 * Kubernetes RBAC), and a ClusterRoleBinding may bind only the ClusterRoles the stack names (the `bind` verb,
 * kubernetes.io/docs/reference/access-authn-authz/rbac, "Restrictions on role binding creation or update").
 * A cluster admin applies it once (README "Credentials each job needs"), its service account included; that
 * account's token is the environment's DEPLOY_KUBECONFIG (PLAN_KUBECONFIG for the plan).
 */
import { platformServiceAccount } from "./cluster-bootstrap";

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

/** The one namespace a stack manages: its name and labels, and the ways its objects refer to it. */
function environmentNamespace(stackJson: Record<string, any>): { name: string; labels: Record<string, string>; refs: Set<string> } {
  const namespaces = Object.entries<Record<string, any>>(stackJson.resource?.kubernetes_namespace_v1 ?? {});
  if (namespaces.length !== 1) throw new RbacError(`the stack manages ${namespaces.length} namespaces; a deployer's namespaced rights are bound in exactly one`);
  const [[id, ns]] = namespaces;
  return { name: ns.metadata.name, labels: ns.metadata.labels ?? {}, refs: new Set([ns.metadata.name, `\${kubernetes_namespace_v1.${id}.metadata[0].name}`]) };
}

/** The addresses the stack adopts with an `import` block: the object exists before the first apply, so no create. */
const imported = (stackJson: Record<string, any>) => new Set<string>((stackJson.import ?? []).map((i: { to: string }) => i.to));

/**
 * The RBAC of `<project>-<env>-deployer` (or `-planner`) for the stack `json`, as a cluster admin applies it once:
 *
 * - the environment's Namespace, with the labels the stack gives it (the stack adopts it with an `import` block:
 *   a RoleBinding needs its namespace to exist, and the deployer then needs no `create` on namespaces);
 * - a Role and RoleBinding in that namespace for every namespaced kind the stack manages. Bound there, not
 *   cluster-wide: a ClusterRoleBinding would let the deployer write ConfigMaps, ServiceAccounts or
 *   NetworkPolicies in every namespace of the cluster (kube-system's, another environment's on a shared cluster)
 *   — "Role and ClusterRole", kubernetes.io/docs/reference/access-authn-authz/rbac;
 * - a ClusterRole and ClusterRoleBinding for the cluster-scoped objects, each by name, and what preflight reads.
 */
export function deployerRbac(
  stackJson: Record<string, any>,
  opts: {
    project: string;
    environment: string;
    mode: "deploy" | "plan";
    /** Where the deployers' service accounts live: organization.platform.namespace (made by the cluster bootstrap). */
    deployersNamespace: string;
    extraReads?: readonly { apiGroup: string; resource: string; names: readonly string[] }[];
  },
): object[] {
  const name = `${opts.project}-${opts.environment}-${opts.mode === "deploy" ? "deployer" : "planner"}`;
  const namespace = environmentNamespace(stackJson);
  const adopted = imported(stackJson);
  const namespacedRes = new Map<string, Set<string>>();
  const clusterNames = new Map<string, { names: Set<string>; create: boolean }>();
  const bindable = new Set<string>();
  // RoleBindings in the namespace: the (Cluster)Roles they grant, which the deployer must be allowed to `bind` there
  const boundHere = { roles: new Set<string>(), clusterroles: new Set<string>() };
  const add = (k: { apiGroup: string; resource: string; namespaced: boolean }, address: string, metadata: { name: string; namespace?: string }) => {
    if (k.namespaced) {
      if (!namespace.refs.has(metadata.namespace ?? "")) {
        throw new RbacError(`${address} is in namespace ${metadata.namespace}, outside the environment's ${namespace.name}: no Role there covers it`);
      }
      namespacedRes.set(k.apiGroup, (namespacedRes.get(k.apiGroup) ?? new Set()).add(k.resource));
      return;
    }
    const key = `${k.apiGroup}/${k.resource}`;
    const entry = clusterNames.get(key) ?? { names: new Set<string>(), create: false };
    entry.names.add(metadata.name);
    entry.create ||= !adopted.has(address);
    clusterNames.set(key, entry);
  };
  for (const [type, byName] of Object.entries<Record<string, any>>(stackJson.resource ?? {})) {
    if (!type.startsWith("kubernetes_")) continue;
    for (const [id, r] of Object.entries<any>(byName)) {
      const address = `${type}.${id}`;
      if (type === "kubernetes_manifest") {
        const m = r.manifest;
        const k = MANIFEST_KINDS[`${m.apiVersion}/${m.kind}`];
        if (!k) throw new RbacError(`no RBAC mapping for ${m.apiVersion} ${m.kind}`);
        add(k, address, m.metadata);
        continue;
      }
      const k = KINDS[type];
      if (!k) throw new RbacError(`no RBAC mapping for ${type}`);
      add(k, address, r.metadata ?? {});
      if (type === "kubernetes_cluster_role_binding_v1") bindable.add(r.role_ref.name);
      if (type === "kubernetes_role_binding_v1") boundHere[r.role_ref.kind === "Role" ? "roles" : "clusterroles"].add(r.role_ref.name);
    }
  }
  const inNamespace: PolicyRule[] = [];
  for (const [group, resources] of [...namespacedRes].sort(([a], [b]) => a.localeCompare(b))) {
    inNamespace.push({ apiGroups: [group], resources: [...resources].sort(), verbs: opts.mode === "deploy" ? [...READ, ...WRITE] : READ });
  }
  if (opts.mode === "deploy") {
    for (const resource of ["clusterroles", "roles"] as const) {
      if (boundHere[resource].size > 0) inNamespace.push({ apiGroups: ["rbac.authorization.k8s.io"], resources: [resource], verbs: ["bind"], resourceNames: [...boundHere[resource]].sort() });
    }
  }
  const clusterWide: PolicyRule[] = [];
  for (const [key, { names, create }] of [...clusterNames].sort(([a], [b]) => a.localeCompare(b))) {
    const [group, resource] = key.split("/");
    if (opts.mode === "deploy") {
      // create cannot be limited by name; change and delete can. An adopted object is never created.
      if (create) clusterWide.push({ apiGroups: [group], resources: [resource], verbs: ["create"] });
      clusterWide.push({ apiGroups: [group], resources: [resource], verbs: ["get", "update", "patch", "delete"], resourceNames: [...names].sort() });
    } else {
      clusterWide.push({ apiGroups: [group], resources: [resource], verbs: ["get"], resourceNames: [...names].sort() });
    }
  }
  // kubernetes_manifest looks the manifest's kind up among the cluster's CRDs before every plan and apply: it lists
  // them (hashicorp/terraform-provider-kubernetes#1381, #1665: "cannot list resource customresourcedefinitions");
  // a list cannot be limited by name. Their definitions hold no secret.
  if (Object.keys(stackJson.resource?.kubernetes_manifest ?? {}).length > 0) {
    clusterWide.push({ apiGroups: ["apiextensions.k8s.io"], resources: ["customresourcedefinitions"], verbs: ["list"] });
  }
  // what `npm run preflight` reads besides the stack (CRDs, the mesh, the token reviewer), by name only
  for (const r of opts.extraReads ?? []) clusterWide.push({ apiGroups: [r.apiGroup], resources: [r.resource], verbs: ["get"], resourceNames: [...r.names].sort() });
  if (opts.mode === "deploy" && bindable.size > 0) {
    clusterWide.push({ apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["bind"], resourceNames: [...bindable].sort() });
  }
  const labels = { "app.kubernetes.io/managed-by": "envmatrix", "envmatrix.io/environment": opts.environment };
  const group = "rbac.authorization.k8s.io";
  const subjects = [{ kind: "ServiceAccount", name, namespace: opts.deployersNamespace }];
  return [
    // the service account itself: the cluster bootstrap makes those of the environments a cluster has when it is
    // bootstrapped, and an environment added later to that cluster has none until this is applied; the same object
    // as the bootstrap's (applying either leaves the other as it was). Without it every binding below names a
    // subject that does not exist
    platformServiceAccount(opts.project, opts.deployersNamespace, name, opts.environment),
    { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace.name, labels: namespace.labels } },
    { apiVersion: `${group}/v1`, kind: "Role", metadata: { name, namespace: namespace.name, labels }, rules: inNamespace },
    { apiVersion: `${group}/v1`, kind: "RoleBinding", metadata: { name, namespace: namespace.name, labels }, roleRef: { apiGroup: group, kind: "Role", name }, subjects },
    { apiVersion: `${group}/v1`, kind: "ClusterRole", metadata: { name, labels }, rules: clusterWide },
    { apiVersion: `${group}/v1`, kind: "ClusterRoleBinding", metadata: { name, labels }, roleRef: { apiGroup: group, kind: "ClusterRole", name }, subjects },
  ];
}
