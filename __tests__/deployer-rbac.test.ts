/**
 * The Kubernetes RBAC of each environment's deployer and planner covers every object its stack manages — or the
 * first apply fails with 403 — and nothing more: no Secrets, no Pods, no wildcard, cluster-scoped objects only by
 * name. Kinds are mapped here from the Kubernetes API reference, not from the code under test.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { deployerRbac, RbacError } from "../review/deployer-rbac";
import { preflightReads } from "../review/preflight-reads";
import { environmentNames, resolveReferences, seedMatrix, synthEnvironment } from "./helpers";
import { scratchDir } from "./scratch";

// kubernetes.io API reference: group and plural of each kind the providers' resources manage
const API: Record<string, [string, string]> = {
  kubernetes_namespace_v1: ["", "namespaces"],
  kubernetes_network_policy_v1: ["networking.k8s.io", "networkpolicies"],
  kubernetes_resource_quota_v1: ["", "resourcequotas"],
  kubernetes_limit_range_v1: ["", "limitranges"],
  kubernetes_service_account_v1: ["", "serviceaccounts"],
  kubernetes_config_map_v1: ["", "configmaps"],
  kubernetes_cluster_role_binding_v1: ["rbac.authorization.k8s.io", "clusterrolebindings"],
  SecretStore: ["external-secrets.io", "secretstores"],
  ExternalSecret: ["external-secrets.io", "externalsecrets"],
};
const CLUSTER_SCOPED = new Set(["namespaces", "clusterrolebindings"]);

/** Whether `rules` allow `verb` on group/resource (named `name` for cluster-scoped objects), as the API server decides. */
function allows(rules: any[], verb: string, group: string, resource: string, name?: string): boolean {
  return rules.some(
    (r) =>
      r.apiGroups.includes(group) &&
      r.resources.includes(resource) &&
      r.verbs.includes(verb) &&
      (r.resourceNames === undefined || (name !== undefined && r.resourceNames.includes(name) && verb !== "create" && verb !== "list")),
  );
}

describe.each(environmentNames)("%s's deployer and planner on its cluster", (name) => {
  const stack = resolveReferences(synthEnvironment(name)) as Record<string, any>;
  const objects = Object.entries<Record<string, any>>(stack.resource)
    .filter(([t]) => t.startsWith("kubernetes_"))
    .flatMap(([t, byName]) => Object.values(byName).map((r) => (t === "kubernetes_manifest" ? { key: r.manifest.kind, name: r.manifest.metadata.name } : { key: t, name: r.metadata.name })));
  const [deployRole] = deployerRbac(stack, { project: seedMatrix.organization.project, environment: name, mode: "deploy" }) as any[];
  const reads = preflightReads(seedMatrix, seedMatrix.environments[name]);
  const [planRole] = deployerRbac(stack, { project: seedMatrix.organization.project, environment: name, mode: "plan", extraReads: reads }) as any[];

  it("the deployer may create, read, change and delete every object its stack manages", () => {
    expect(objects.length).toBeGreaterThan(5);
    for (const o of objects) {
      const [group, resource] = API[o.key];
      const n = CLUSTER_SCOPED.has(resource) ? o.name : undefined;
      for (const verb of ["create", "get", "update", "patch", "delete"]) expect([o.key, verb, allows(deployRole.rules, verb, group, resource, n)]).toEqual([o.key, verb, true]);
    }
  });
  it("the planner may read every object and change none", () => {
    for (const o of objects) {
      const [group, resource] = API[o.key];
      const n = CLUSTER_SCOPED.has(resource) ? o.name : undefined;
      expect([o.key, allows(planRole.rules, "get", group, resource, n)]).toEqual([o.key, true]);
      for (const verb of ["create", "update", "patch", "delete"]) expect(allows(planRole.rules, verb, group, resource, n)).toBe(false);
    }
  });
  it("the planner may also read, by name only, what preflight checks: ESO's CRDs, the mesh, the token reviewer, the agent's Service", () => {
    for (const r of reads) for (const n of r.names) expect([r.resource, n, allows(planRole.rules, "get", r.apiGroup, r.resource, n)]).toEqual([r.resource, n, true]);
    expect(allows(planRole.rules, "get", "apiextensions.k8s.io", "customresourcedefinitions", "anything.else.io")).toBe(false);
  });

  it("neither may touch Secrets, Pods or another environment's namespace, nor use a wildcard", () => {
    for (const role of [deployRole, planRole]) {
      for (const r of role.rules) for (const x of [...r.apiGroups, ...r.resources, ...r.verbs]) expect(x).not.toBe("*");
      for (const verb of ["get", "list", "create"]) {
        expect(allows(role.rules, verb, "", "secrets")).toBe(false);
        expect(allows(role.rules, verb, "", "pods")).toBe(false);
      }
      for (const other of environmentNames.filter((o) => o !== name)) {
        expect(allows(role.rules, "delete", "", "namespaces", seedMatrix.environments[other].identity.namespace)).toBe(false);
      }
    }
  });
  it("the deployer may bind only the ClusterRoles its stack binds", () => {
    const bound = Object.values<any>(stack.resource.kubernetes_cluster_role_binding_v1 ?? {}).map((b) => b.role_ref.name);
    const bindRules = deployRole.rules.filter((r: any) => r.verbs.includes("bind"));
    expect(bindRules.flatMap((r: any) => r.resourceNames).sort()).toEqual(bound.sort());
  });
  it("is valid Kubernetes RBAC (kubernetes-models)", () => {
    const objectsFile = path.join(scratchDir(), `rbac-${name}.json`);
    fs.writeFileSync(objectsFile, JSON.stringify([...deployerRbac(stack, { project: "envmatrix", environment: name, mode: "deploy" }), planRole]));
    const results = JSON.parse(execFileSync(process.execPath, [path.join(__dirname, "fixtures", "validate-k8s.mjs"), objectsFile], { encoding: "utf8" }));
    expect(results.map((r: any) => r.error)).toEqual([null, null, null]);
  });
});

it("refuses a kind it has no mapping for, rather than granting nothing", () => {
  expect(() => deployerRbac({ resource: { kubernetes_deployment_v1: { x: { metadata: { name: "x" } } } } }, { project: "p", environment: "e", mode: "deploy" })).toThrow(RbacError);
});

it("lists the namespaced rules by API group whatever order the stack's resource types come in (a stable diff for reviewers)", () => {
  // a network policy ("networking.k8s.io") before a config map (the core group, ""): the rules still start with ""
  const stackJson = { resource: { kubernetes_network_policy_v1: { p: { metadata: { name: "p" } } }, kubernetes_config_map_v1: { c: { metadata: { name: "c" } } } } };
  const [role] = deployerRbac(stackJson, { project: "p", environment: "e", mode: "plan" }) as any[];
  expect(role.rules.map((r: any) => r.apiGroups[0])).toEqual(["", "networking.k8s.io"]);
});
