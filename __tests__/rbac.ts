/**
 * Kubernetes RBAC as the API server decides it, for the tests that ask whether a set of RBAC objects (a Role, a
 * ClusterRole and their bindings for one subject) lets that subject make a request.
 */

/** Whether `rules` allow `verb` on group/resource (named `name`), as the API server matches one rule. */
export function ruleAllows(rules: any[], verb: string, group: string, resource: string, name?: string): boolean {
  return rules.some(
    (r) =>
      r.apiGroups.includes(group) &&
      r.resources.includes(resource) &&
      r.verbs.includes(verb) &&
      (r.resourceNames === undefined || (name !== undefined && r.resourceNames.includes(name) && verb !== "create" && verb !== "list")),
  );
}

/**
 * Whether the RBAC `objects` let their subject do `verb` on an object of group/resource, as the API server
 * decides (kubernetes.io/docs/reference/access-authn-authz/rbac, "RoleBinding and ClusterRoleBinding"): a
 * ClusterRoleBinding grants its ClusterRole's rules everywhere; a RoleBinding grants its Role's rules only on
 * namespaced objects of its own namespace. `namespace` is the object's, absent for cluster-scoped objects.
 */
export function allows(objects: any[], verb: string, group: string, resource: string, at: { name?: string; namespace?: string } = {}): boolean {
  const role = (kind: string, name: string, namespace?: string) => objects.find((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === namespace);
  return objects.some((b) => {
    if (b.kind === "ClusterRoleBinding") return ruleAllows(role("ClusterRole", b.roleRef.name)?.rules ?? [], verb, group, resource, at.name);
    if (b.kind !== "RoleBinding" || at.namespace !== b.metadata.namespace) return false;
    const granted = b.roleRef.kind === "Role" ? role("Role", b.roleRef.name, b.metadata.namespace) : role("ClusterRole", b.roleRef.name);
    return ruleAllows(granted?.rules ?? [], verb, group, resource, at.name);
  });
}


/**
 * A request to the API server as RBAC sees it (kubernetes.io/docs/reference/access-authn-authz/authorization,
 * "Determine the request verb"): GET of one object is `get`, of a collection `list`; paths outside /api and /apis
 * (/version, discovery) are non-resource requests, undefined here.
 */
export function rbacRequest(method: string, path: string): { verb: string; group: string; resource: string; namespace?: string; name?: string } | undefined {
  // discovery (/api, /api/v1, /apis, /apis/<group>/<version>) and anything outside /api and /apis: non-resource
  if (!/^\/apis?\//.test(path) || /^\/api(\/v1)?$|^\/apis(\/[^/]+){0,2}$/.test(path)) return undefined;
  const m = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)(?:\/namespaces\/([^/]+))?(?:\/([^/]+)(?:\/([^/]+))?)?$/.exec(path);
  // a subresource (…/pods/x/log) or a path of another shape: say so rather than leave it unchecked
  if (!m || (m[2] === undefined && m[3] === undefined)) throw new Error(`a request RBAC's mapping here does not read: ${method} ${path}`);
  const [, group = "", namespace, resource, name] = m;
  // /api/v1/namespaces/<name>: the namespace itself, a cluster-scoped object
  if (resource === undefined) return { verb: method === "GET" ? "get" : method.toLowerCase(), group, resource: "namespaces", name: namespace };
  const verb = method === "GET" ? (name === undefined ? "list" : "get") : { POST: "create", PUT: "update", PATCH: "patch", DELETE: "delete" }[method] ?? method;
  return { verb, group, resource, namespace, name };
}
