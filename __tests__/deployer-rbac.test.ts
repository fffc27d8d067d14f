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
import { allows, ruleAllows } from "./rbac";
import { environmentNames, resolveReferences, seedMatrix, synthEnvironment } from "./helpers";

/** Where the cluster bootstrap makes the deployers' service accounts (organization.platform.namespace). */
const DEPLOYERS_NAMESPACE = seedMatrix.organization.platform.namespace;
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

/** The deploy and plan RBAC of each environment, validated by one kubernetes-models process for all of them. */
const rbacOf = (name: string) => {
  const stack = resolveReferences(synthEnvironment(name)) as Record<string, any>;
  const reads = preflightReads(seedMatrix, seedMatrix.environments[name]);
  return {
    stack,
    reads,
    deploy: deployerRbac(stack, { project: seedMatrix.organization.project, environment: name, mode: "deploy", deployersNamespace: seedMatrix.organization.platform.namespace }) as any[],
    plan: deployerRbac(stack, { project: seedMatrix.organization.project, environment: name, mode: "plan", deployersNamespace: seedMatrix.organization.platform.namespace, extraReads: reads }) as any[],
  };
};
const rbac = Object.fromEntries(environmentNames.map((name) => [name, rbacOf(name)]));
const validated = (() => {
  const objectsFile = path.join(scratchDir(), "rbac.json");
  const all = environmentNames.flatMap((name) => [...rbac[name].deploy, ...rbac[name].plan].map((object) => ({ name, object })));
  fs.writeFileSync(objectsFile, JSON.stringify(all.map((o) => o.object)));
  const results = JSON.parse(execFileSync(process.execPath, [path.join(__dirname, "fixtures", "validate-k8s.mjs"), objectsFile], { encoding: "utf8" }));
  return all.map((o, i) => ({ ...o, result: results[i] }));
})();

describe.each(environmentNames)("%s's deployer and planner on its cluster", (name) => {

  it("defines the service account both bindings name, where the cluster bootstrap makes it (an environment added to a bootstrapped cluster has none until this is applied)", () => {
    const { clusterBootstrap } = require("../review/cluster-bootstrap") as typeof import("../review/cluster-bootstrap");
    const booted = clusterBootstrap(seedMatrix, seedMatrix.environments[name].cluster).manifests.filter((o) => o.kind === "ServiceAccount");
    for (const objects of [rbac[name].deploy, rbac[name].plan]) {
      const subjects = objects.filter((o) => /Binding$/.test(o.kind)).flatMap((o) => o.subjects);
      expect(subjects.length).toBe(2);
      const accounts = objects.filter((o) => o.kind === "ServiceAccount");
      for (const sub of subjects) {
        expect(accounts.map((a) => [a.metadata.namespace, a.metadata.name])).toContainEqual([sub.namespace, sub.name]);
        // the same account the bootstrap makes, labels and all: applying either output leaves the other's in place
        // (kubectl apply removes a label it applied before that the new manifest lacks)
        expect(booted).toContainEqual(accounts.find((a) => a.metadata.name === sub.name));
      }
      expect(accounts.every((a) => a.automountServiceAccountToken === false)).toBe(true);
    }
  });
  const { stack, reads, deploy, plan } = rbac[name];
  const namespace = seedMatrix.environments[name].identity.namespace;
  const objects = Object.entries<Record<string, any>>(stack.resource)
    .filter(([t]) => t.startsWith("kubernetes_"))
    .flatMap(([t, byName]) =>
      Object.entries<any>(byName).map(([id, r]) => {
        const metadata = t === "kubernetes_manifest" ? r.manifest.metadata : r.metadata;
        return { key: t === "kubernetes_manifest" ? r.manifest.kind : t, address: `${t}.${id}`, name: metadata.name, namespace: metadata.namespace };
      }),
    );
  const adopted = new Set((stack.import ?? []).map((i: any) => i.to));
  const at = (o: { key: string; name: string; namespace?: string }) => (CLUSTER_SCOPED.has(API[o.key][1]) ? { name: o.name } : { namespace: o.namespace });

  it("the deployer may create, read, change and delete every object its stack manages, where it is", () => {
    expect(objects.length).toBeGreaterThan(5);
    for (const o of objects) {
      const [group, resource] = API[o.key];
      // an adopted object (an import block) exists before the first apply: it is never created
      const verbs = adopted.has(o.address) ? ["get", "update", "patch", "delete"] : ["create", "get", "update", "patch", "delete"];
      for (const verb of verbs) expect([o.address, verb, allows(deploy, verb, group, resource, at(o))]).toEqual([o.address, verb, true]);
    }
  });
  it("the environment's namespace is adopted, so nobody may create namespaces (create cannot be limited by name)", () => {
    expect([...adopted]).toEqual(Object.keys(stack.resource.kubernetes_namespace_v1).map((id) => `kubernetes_namespace_v1.${id}`));
    for (const objectsOf of [deploy, plan]) expect(allows(objectsOf, "create", "", "namespaces", { name: "anything" })).toBe(false);
  });
  it("the cluster admin's apply creates the namespace as the stack will manage it (name and labels), and binds the Role in it", () => {
    const ns = deploy.find((o) => o.kind === "Namespace");
    const managed = Object.values<any>(stack.resource.kubernetes_namespace_v1)[0].metadata;
    expect(ns.metadata).toEqual({ name: namespace, labels: managed.labels });
    expect(deploy.filter((o) => o.kind === "RoleBinding").map((o) => o.metadata.namespace)).toEqual([namespace]);
    // kubectl applies a multi-document file in order: the namespace before what lives in it
    expect(deploy.findIndex((o) => o.kind === "Namespace")).toBeLessThan(deploy.findIndex((o) => o.metadata.namespace === namespace));
  });
  it("the planner may read every object and change none", () => {
    for (const o of objects) {
      const [group, resource] = API[o.key];
      expect([o.address, allows(plan, "get", group, resource, at(o))]).toEqual([o.address, true]);
      for (const verb of ["create", "update", "patch", "delete"]) expect([o.address, verb, allows(plan, verb, group, resource, at(o))]).toEqual([o.address, verb, false]);
    }
  });
  it("the planner may also read, by name only, what preflight checks: ESO's CRDs, the mesh, the token reviewer, the agent's Service", () => {
    const clusterRole = plan.find((o) => o.kind === "ClusterRole");
    for (const r of reads) for (const n of r.names) expect([r.resource, n, ruleAllows(clusterRole.rules, "get", r.apiGroup, r.resource, n)]).toEqual([r.resource, n, true]);
    expect(allows(plan, "get", "apiextensions.k8s.io", "customresourcedefinitions", { name: "anything.else.io" })).toBe(false);
  });

  it("neither may touch Secrets or Pods, any namespaced object outside the environment's namespace, nor use a wildcard", () => {
    const elsewhere = ["kube-system", "default", DEPLOYERS_NAMESPACE, ...environmentNames.filter((o) => o !== name).map((o) => seedMatrix.environments[o].identity.namespace)];
    for (const role of [deploy, plan]) {
      for (const o of role) for (const r of o.rules ?? []) for (const x of [...r.apiGroups, ...r.resources, ...r.verbs]) expect(x).not.toBe("*");
      for (const ns of [namespace, ...elsewhere]) {
        for (const verb of ["get", "list", "create"]) {
          expect(allows(role, verb, "", "secrets", { namespace: ns })).toBe(false);
          expect(allows(role, verb, "", "pods", { namespace: ns })).toBe(false);
        }
      }
      // every namespaced kind the stack writes, in kube-system, the deployers' namespace and the other environments'
      for (const o of objects.filter((x) => !CLUSTER_SCOPED.has(API[x.key][1]))) {
        const [group, resource] = API[o.key];
        for (const ns of elsewhere) for (const verb of ["get", "create", "update", "delete"]) expect([resource, ns, verb, allows(role, verb, group, resource, { namespace: ns })]).toEqual([resource, ns, verb, false]);
      }
      for (const other of environmentNames.filter((o) => o !== name)) {
        expect(allows(role, "delete", "", "namespaces", { name: seedMatrix.environments[other].identity.namespace })).toBe(false);
      }
    }
  });
  it("both may list CRDs, which kubernetes_manifest does before every plan and apply, and change none", () => {
    // hashicorp/terraform-provider-kubernetes#1381: planning a kubernetes_manifest without it fails with
    // "customresourcedefinitions.apiextensions.k8s.io is forbidden: … cannot list resource"
    expect(Object.keys(stack.resource.kubernetes_manifest ?? {}).length > 0).toBe(seedMatrix.environments[name].secrets.operatorInstalled);
    for (const role of [deploy, plan]) {
      expect(allows(role, "list", "apiextensions.k8s.io", "customresourcedefinitions")).toBe(seedMatrix.environments[name].secrets.operatorInstalled);
      for (const verb of ["create", "update", "delete"]) expect(allows(role, verb, "apiextensions.k8s.io", "customresourcedefinitions", { name: "externalsecrets.external-secrets.io" })).toBe(false);
    }
  });
  it("the deployer may bind only the ClusterRoles its stack binds", () => {
    const bound = Object.values<any>(stack.resource.kubernetes_cluster_role_binding_v1 ?? {}).map((b) => b.role_ref.name);
    const bindRules = deploy.flatMap((o) => o.rules ?? []).filter((r: any) => r.verbs.includes("bind"));
    expect(bindRules.flatMap((r: any) => r.resourceNames).sort()).toEqual(bound.sort());
  });
  it("is valid Kubernetes (kubernetes-models)", () => {
    const mine = validated.filter((v) => v.name === name);
    expect(mine.map((v) => [v.result.kind, v.result.error])).toEqual([...deploy, ...plan].map((o) => [o.kind, null]));
  });
});

it("lets the deployer bind, in the namespace only, the roles a RoleBinding of the stack grants (RBAC's escalation check)", () => {
  // kubernetes.io/docs/reference/access-authn-authz/rbac, "Restrictions on role binding creation or update"
  const stackJson = {
    resource: {
      kubernetes_namespace_v1: { namespace: { metadata: { name: "p-e" } } },
      kubernetes_role_binding_v1: {
        viewers: { metadata: { name: "viewers", namespace: "p-e" }, role_ref: { kind: "ClusterRole", name: "view" } },
        runners: { metadata: { name: "runners", namespace: "p-e" }, role_ref: { kind: "Role", name: "runner" } },
      },
    },
  };
  const deploy = deployerRbac(stackJson, { project: "p", environment: "e", mode: "deploy", deployersNamespace: "p-system" }) as any[];
  expect(allows(deploy, "bind", "rbac.authorization.k8s.io", "clusterroles", { name: "view", namespace: "p-e" })).toBe(true);
  expect(allows(deploy, "bind", "rbac.authorization.k8s.io", "roles", { name: "runner", namespace: "p-e" })).toBe(true);
  expect(allows(deploy, "bind", "rbac.authorization.k8s.io", "clusterroles", { name: "admin", namespace: "p-e" })).toBe(false);
  expect(allows(deploy, "bind", "rbac.authorization.k8s.io", "clusterroles", { name: "view", namespace: "kube-system" })).toBe(false);
  const plan = deployerRbac(stackJson, { project: "p", environment: "e", mode: "plan", deployersNamespace: "p-system" }) as any[];
  expect(allows(plan, "bind", "rbac.authorization.k8s.io", "clusterroles", { name: "view", namespace: "p-e" })).toBe(false);
});

describe("refuses, rather than granting too little or too much", () => {
  const ns = { kubernetes_namespace_v1: { namespace: { metadata: { name: "p-e", labels: {} } } } };
  const inNs = "${kubernetes_namespace_v1.namespace.metadata[0].name}";
  it("a kind it has no mapping for", () => {
    const stackJson = { resource: { ...ns, kubernetes_deployment_v1: { x: { metadata: { name: "x", namespace: inNs } } } } };
    expect(() => deployerRbac(stackJson, { project: "p", environment: "e", mode: "deploy", deployersNamespace: "p-system" })).toThrow(new RbacError("no RBAC mapping for kubernetes_deployment_v1"));
  });
  it("a namespaced object outside the environment's namespace (no Role there would cover it)", () => {
    const stackJson = { resource: { ...ns, kubernetes_config_map_v1: { c: { metadata: { name: "c", namespace: "kube-system" } } } } };
    expect(() => deployerRbac(stackJson, { project: "p", environment: "e", mode: "deploy", deployersNamespace: "p-system" })).toThrow(/kubernetes_config_map_v1\.c is in namespace kube-system, outside the environment's p-e/);
  });
  it("a stack without exactly one namespace", () => {
    expect(() => deployerRbac({ resource: {} }, { project: "p", environment: "e", mode: "deploy", deployersNamespace: "p-system" })).toThrow(/manages 0 namespaces/);
  });
});

it("lists the namespaced rules by API group whatever order the stack's resource types come in (a stable diff for reviewers)", () => {
  // a network policy ("networking.k8s.io") before a config map (the core group, ""): the rules still start with ""
  const stackJson = {
    resource: {
      kubernetes_namespace_v1: { namespace: { metadata: { name: "p-e" } } },
      kubernetes_network_policy_v1: { p: { metadata: { name: "p", namespace: "p-e" } } },
      kubernetes_config_map_v1: { c: { metadata: { name: "c", namespace: "p-e" } } },
    },
  };
  const role = (deployerRbac(stackJson, { project: "p", environment: "e", mode: "plan", deployersNamespace: "p-system" }) as any[]).find((o) => o.kind === "Role");
  expect(role.rules.map((r: any) => r.apiGroups[0])).toEqual(["", "networking.k8s.io"]);
});

describe("what the planner reads besides the stack's objects, per mesh mode (review/preflight-reads.ts)", () => {
  const daemonSets = (mode: string) => {
    const m = structuredClone(seedMatrix) as any;
    m.organization.serviceMesh.mode = mode;
    return preflightReads(m, m.environments.prod).find((r) => r.resource === "daemonsets")?.names ?? [];
  };
  it("ambient: ztunnel and istio-cni-node; sidecars with CNI: istio-cni-node; sidecars with istio-init: none", () => {
    expect([daemonSets("ambient"), daemonSets("sidecar-cni"), daemonSets("sidecar-init")]).toEqual([["ztunnel", "istio-cni-node"], ["istio-cni-node"], []]);
  });
});

describe("the whole output for a stack written by hand (README \"Credentials each job needs\", Kubernetes RBAC reference)", () => {
  const inNs = "${kubernetes_namespace_v1.namespace.metadata[0].name}";
  // resource types, objects and bindings deliberately out of alphabetical order: the output is sorted for a stable diff
  const stackJson = {
    resource: {
      kubernetes_cluster_role_binding_v1: {
        z: { metadata: { name: "z-binding" }, role_ref: { name: "view" } },
        a: { metadata: { name: "a-binding" }, role_ref: { name: "system:auth-delegator" } },
      },
      kubernetes_namespace_v1: { namespace: { metadata: { name: "p-e", labels: { team: "t" } } } },
      kubernetes_service_account_v1: { s: { metadata: { name: "s", namespace: "p-e" } } },
      kubernetes_config_map_v1: { c: { metadata: { name: "c", namespace: inNs } } },
      kubernetes_network_policy_v1: { n: { metadata: { name: "n", namespace: inNs } } },
      kubernetes_role_binding_v1: {
        editors: { metadata: { name: "editors", namespace: inNs }, role_ref: { kind: "ClusterRole", name: "edit" } },
        admins: { metadata: { name: "admins", namespace: inNs }, role_ref: { kind: "ClusterRole", name: "admin" } },
      },
      kubernetes_manifest: { es: { manifest: { apiVersion: "external-secrets.io/v1", kind: "ExternalSecret", metadata: { name: "x", namespace: inNs } } } },
    },
    import: [{ to: "kubernetes_namespace_v1.namespace", id: "p-e" }],
  };
  const RBAC = "rbac.authorization.k8s.io";
  const labels = { "app.kubernetes.io/managed-by": "envmatrix", "envmatrix.io/environment": "e" };
  /** The Namespace, Role, RoleBinding, ClusterRole and ClusterRoleBinding of the service account `name` in envmatrix-system. */
  const objects = (name: string, roleRules: object[], clusterRules: object[]) => {
    const subjects = [{ kind: "ServiceAccount", name, namespace: "p-system" }];
    return [
      // the subject of both bindings, in the namespace the caller names (the matrix's organization.platform.namespace)
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: "p-system", labels: { "app.kubernetes.io/managed-by": "envmatrix", "app.kubernetes.io/part-of": "p", "envmatrix.io/environment": "e" } }, automountServiceAccountToken: false },
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "p-e", labels: { team: "t" } } },
      { apiVersion: `${RBAC}/v1`, kind: "Role", metadata: { name, namespace: "p-e", labels }, rules: roleRules },
      { apiVersion: `${RBAC}/v1`, kind: "RoleBinding", metadata: { name, namespace: "p-e", labels }, roleRef: { apiGroup: RBAC, kind: "Role", name }, subjects },
      { apiVersion: `${RBAC}/v1`, kind: "ClusterRole", metadata: { name, labels }, rules: clusterRules },
      { apiVersion: `${RBAC}/v1`, kind: "ClusterRoleBinding", metadata: { name, labels }, roleRef: { apiGroup: RBAC, kind: "ClusterRole", name }, subjects },
    ];
  };
  const namespaced = (verbs: string[]) => [
    { apiGroups: [""], resources: ["configmaps", "serviceaccounts"], verbs },
    { apiGroups: ["external-secrets.io"], resources: ["externalsecrets"], verbs },
    { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs },
    { apiGroups: [RBAC], resources: ["rolebindings"], verbs },
  ];
  const crds = { apiGroups: ["apiextensions.k8s.io"], resources: ["customresourcedefinitions"], verbs: ["list"] };

  it("deploy: every verb on the namespaced kinds, bind on what the RoleBindings grant; create, then change by name, the cluster-scoped objects not adopted", () => {
    expect(deployerRbac(stackJson, { project: "p", environment: "e", mode: "deploy", deployersNamespace: "p-system" })).toEqual(
      objects(
        "p-e-deployer",
        [...namespaced(["get", "list", "watch", "create", "update", "patch", "delete"]), { apiGroups: [RBAC], resources: ["clusterroles"], verbs: ["bind"], resourceNames: ["admin", "edit"] }],
        [
          // the namespace is adopted (its import block): changed by name, never created
          { apiGroups: [""], resources: ["namespaces"], verbs: ["get", "update", "patch", "delete"], resourceNames: ["p-e"] },
          { apiGroups: [RBAC], resources: ["clusterrolebindings"], verbs: ["create"] },
          { apiGroups: [RBAC], resources: ["clusterrolebindings"], verbs: ["get", "update", "patch", "delete"], resourceNames: ["a-binding", "z-binding"] },
          crds,
          { apiGroups: [RBAC], resources: ["clusterroles"], verbs: ["bind"], resourceNames: ["system:auth-delegator", "view"] },
        ],
      ),
    );
  });

  it("plan: read only, the cluster-scoped objects and what preflight reads by name, no bind", () => {
    const extraReads = [{ apiGroup: "apps", resource: "daemonsets", names: ["ztunnel", "istio-cni-node"] }];
    expect(deployerRbac(stackJson, { project: "p", environment: "e", mode: "plan", deployersNamespace: "p-system", extraReads })).toEqual(
      objects("p-e-planner", namespaced(["get", "list", "watch"]), [
        { apiGroups: [""], resources: ["namespaces"], verbs: ["get"], resourceNames: ["p-e"] },
        { apiGroups: [RBAC], resources: ["clusterrolebindings"], verbs: ["get"], resourceNames: ["a-binding", "z-binding"] },
        crds,
        { apiGroups: ["apps"], resources: ["daemonsets"], verbs: ["get"], resourceNames: ["istio-cni-node", "ztunnel"] },
      ]),
    );
  });

  it("no manifest, no CRD list; a namespace not adopted is created", () => {
    const bare = { resource: { kubernetes_namespace_v1: { namespace: { metadata: { name: "p-e" } } } } };
    const clusterRole = (deployerRbac(bare, { project: "p", environment: "e", mode: "deploy", deployersNamespace: "p-system" }) as any[]).find((o) => o.kind === "ClusterRole");
    expect(clusterRole.rules).toEqual([
      { apiGroups: [""], resources: ["namespaces"], verbs: ["create"] },
      { apiGroups: [""], resources: ["namespaces"], verbs: ["get", "update", "patch", "delete"], resourceNames: ["p-e"] },
    ]);
  });

  it("refuses a stack without resources, and a custom resource it has no mapping for, with its own error", () => {
    expect(() => deployerRbac({}, { project: "p", environment: "e", mode: "deploy", deployersNamespace: "p-system" })).toThrow(new RbacError("the stack manages 0 namespaces; a deployer's namespaced rights are bound in exactly one"));
    const deployment = { resource: { ...stackJson.resource, kubernetes_manifest: { d: { manifest: { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d", namespace: inNs } } } } } };
    expect(() => deployerRbac(deployment, { project: "p", environment: "e", mode: "deploy", deployersNamespace: "p-system" })).toThrow(new RbacError("no RBAC mapping for apps/v1 Deployment"));
  });
});

it("npm run deployer-rbac binds and makes the accounts in the matrix's organization.platform.namespace, not a fixed one", async () => {
  const { cli } = require("./cli") as typeof import("./cli");
  const { run: synthesize } = require("../main") as typeof import("../main");
  const { loadMatrix } = require("../config") as typeof import("../config");
  const { parseAllDocuments } = require("yaml") as typeof import("yaml");
  const def = require("./helpers").editableDefinition();
  def.organization.platform.namespace = "platform-system";
  const out = path.join(scratchDir(), "rbac-platform-namespace");
  expect(synthesize(def, out)).toBe(0);
  const r = await cli(["deployer-rbac", "dev", "--out", out], { loadMatrix: () => loadMatrix(def) });
  expect(r.code).toBe(0);
  const objects = parseAllDocuments(r.stdout).map((d) => d.toJS());
  const account = objects.find((o) => o.kind === "ServiceAccount");
  expect(account.metadata).toMatchObject({ name: `${def.organization.project}-dev-deployer`, namespace: "platform-system" });
  for (const b of objects.filter((o) => /Binding$/.test(o.kind))) expect(b.subjects).toEqual([{ kind: "ServiceAccount", name: account.metadata.name, namespace: "platform-system" }]);
});
