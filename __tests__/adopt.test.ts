/**
 * `npm run adopt -- <stack>` against local fakes of the Kubernetes, Vault, Datadog and GitHub APIs on 127.0.0.1
 * (the process cannot reach anything else: fakes/no-egress.cjs): found, missing, duplicated and permission-denied
 * objects each get their own line; only objects found exactly once are written; a failed lookup writes nothing;
 * nothing but GETs is sent. Then the synthesized stacks with the written file: one import block per adopted
 * object, its id in the provider's documented format (one test per resource type); without a file, nothing changes.
 *
 * The import id formats here are written from each resource's "Import" section of the provider documentation at
 * the pinned versions (kubernetes 2.38.0, vault 5.6.0, datadog 3.82.0, github 6.9.0), not from stacks/adopt-targets.ts.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { run as synthesize } from "../main";
import { matrix as definition } from "../config/environments";
import { githubHandler, type GitHubState } from "./fakes/github";
import { datadogHandler, kubeHandler, vaultHandler, type DatadogState, type KubeState, type VaultState, fakeEndpointsEnv } from "./fakes/platform";
import { startFake, type Fake } from "./fakes/server";
import { seedMatrix } from "./helpers";
import { scratchDir } from "./scratch";
import { PRELOAD_CLIENTS, startCliProcess, type CliProcess } from "./cli-process";
import { terraformBinary } from "./fixtures/real-plan";

type Json = Record<string, any>;
const org = seedMatrix.organization;
const REPO = org.github.repository;
const NO_EGRESS = path.join(__dirname, "fakes", "no-egress.cjs");

let out: string;
let stacks: Record<string, Json>;
let kubeconfig: string;
let fakes: { kube: Fake; vault: Fake; datadog: Fake; github: Fake };
let kube: KubeState;
let vault: VaultState;
let dd: DatadogState;
let gh: GitHubState;
let cli: CliProcess;

/** Kubernetes API paths of the objects each typed resource writes (Kubernetes API reference). */
const KUBE_PATHS: Record<string, (ns: string, name: string) => string> = {
  kubernetes_service_account_v1: (ns, n) => `/api/v1/namespaces/${ns}/serviceaccounts/${n}`,
  kubernetes_config_map_v1: (ns, n) => `/api/v1/namespaces/${ns}/configmaps/${n}`,
  kubernetes_resource_quota_v1: (ns, n) => `/api/v1/namespaces/${ns}/resourcequotas/${n}`,
  kubernetes_limit_range_v1: (ns, n) => `/api/v1/namespaces/${ns}/limitranges/${n}`,
  kubernetes_network_policy_v1: (ns, n) => `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies/${n}`,
};
const PLURALS: Record<string, string> = { ExternalSecret: "externalsecrets", SecretStore: "secretstores" };

/** An environment stack's namespace (the matrix's). */
const namespaceOf = (env: string) => seedMatrix.environments[env].identity.namespace;
/** A synthesized value with the stack's reference to its namespace written out. */
const withNamespace = (v: unknown, ns: string): any => JSON.parse(JSON.stringify(v).split("${kubernetes_namespace_v1.namespace.metadata[0].name}").join(ns));
/** A synthesized manifest as the cluster holds it: the stack's references to its Vault role written out. */
const asApplied = (v: unknown, env: string): any => {
  const role = stacks[env].resource.vault_kubernetes_auth_backend_role.role;
  return JSON.parse(JSON.stringify(withNamespace(v, namespaceOf(env))).split("${vault_kubernetes_auth_backend_role.role.backend}").join(role.backend).split("${vault_kubernetes_auth_backend_role.role.role_name}").join(role.role_name));
};

/** The API's camelCase for the typed resources' snake_case fields (the objects a real API server would return). */
function apiShape(v: any, key = ""): any {
  if (Array.isArray(v)) return v.map((x) => apiShape(x));
  if (v === null || typeof v !== "object" || ["labels", "annotations", "data", "hard", "match_labels", "default", "default_request", "max", "min"].includes(key)) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k === "limit" ? "limits" : k.replace(/_([a-z])/g, (_, c) => c.toUpperCase()), apiShape(x, k)]));
}

const res = (stack: string, type: string): Record<string, Json> => stacks[stack].resource[type] ?? {};
/** `toset(["a","b"])` of a synthesized for_each. */
const forEachKeys = (r: Json): string[] => JSON.parse(/^\$\{toset\((.*)\)\}$/s.exec(r.for_each)![1]);
const monitorIds = new Map<string, number>();
const sloIds = new Map<string, string>();
const policyIds = new Map<string, number>();
const rulesetIds = new Map<string, number>();

/** Every object the environment stack `env` and the gates stack would create exists, as the stacks would set it. */
function everythingExists(env: string) {
  const ns = namespaceOf(env);
  const objects: Record<string, Json> = {};
  for (const [type, toPath] of Object.entries(KUBE_PATHS)) {
    for (const r of Object.values(res(env, type))) {
      const { "//": _m, lifecycle: _l, ...args } = withNamespace(r, ns);
      objects[toPath(ns, args.metadata.name)] = { apiVersion: "v1", ...apiShape(args), metadata: { ...args.metadata, uid: "u1", resourceVersion: "1" } };
    }
  }
  for (const r of Object.values(res(env, "kubernetes_manifest"))) {
    const mf = asApplied(r.manifest, env);
    expect(JSON.stringify(mf)).not.toContain("${");
    objects[`/apis/${mf.apiVersion}/namespaces/${ns}/${PLURALS[mf.kind]}/${mf.metadata.name}`] = { ...mf, status: { conditions: [] } };
  }
  kube = { version: "v1.31.4", crds: {}, daemonSets: [], deployments: [], serviceAccounts: [], clusterRoleBindings: {}, services: [], namespaces: [ns], tokenValid: true, objects, forbidden: [] };

  const documents: Record<string, Json> = {};
  for (const stack of [env, "gates"]) {
    const policyName = (ref: string) => Object.values(res(stack, "vault_policy")).find((p) => `\${vault_policy.${Object.keys(res(stack, "vault_policy")).find((k) => res(stack, "vault_policy")[k] === p)}.name}` === ref)?.name ?? ref;
    for (const p of Object.values(res(stack, "vault_policy"))) documents[`/v1/sys/policies/acl/${p.name}`] = { name: p.name, policy: p.policy };
    for (const type of ["vault_kubernetes_auth_backend_role", "vault_jwt_auth_backend_role"]) {
      for (const r of Object.values(res(stack, type))) {
        const { "//": _m, lifecycle: _l, backend: _b, ...args } = withNamespace(r, ns);
        documents[`/v1/auth/${r.backend}/role/${r.role_name}`] = { ...args, token_policies: args.token_policies.map(policyName), token_type: "default" };
      }
    }
  }
  vault = { sealed: false, mounts: {}, kubernetesAuth: {}, token: "fake-vault-token", forbidden: [], documents };

  let id = 1000;
  const monitors = Object.values(res(env, "datadog_monitor")).map((r) => {
    monitorIds.set(r.name, ++id);
    const t = r.monitor_thresholds;
    return {
      id,
      name: r.name,
      type: r.type,
      query: r.query,
      message: r.message,
      tags: [...r.tags].reverse(),
      priority: Number(r.priority),
      options: { thresholds: { critical: Number(t.critical), warning: Number(t.warning), critical_recovery: Number(t.critical_recovery), warning_recovery: Number(t.warning_recovery) }, notify_no_data: r.notify_no_data, no_data_timeframe: r.no_data_timeframe, renotify_interval: r.renotify_interval, require_full_window: r.require_full_window, include_tags: r.include_tags, on_missing_data: r.on_missing_data, ...(r.timeout_h === undefined ? {} : { timeout_h: r.timeout_h }) },
    };
  });
  const slos = Object.values(res(env, "datadog_service_level_objective")).map((r, i) => {
    const sloId = `${(i + 10).toString(16)}`.padStart(32, "a");
    sloIds.set(r.name, sloId);
    return { id: sloId, name: r.name, type: r.type, description: r.description, tags: r.tags, thresholds: r.thresholds, ...(r.query ? { query: r.query } : {}) };
  });
  const dashboards = Object.values(res(env, "datadog_dashboard_json")).map((r) => ({ id: "abc-def-ghi", title: JSON.parse(r.dashboard).title, layout_type: "ordered" }));
  dd = { apiKey: "fake-dd-api-key", appKey: "fake-dd-app-key", refuse: [], pagerduty: [], slack: {}, webhooks: [], monitors, slos, dashboards, forbidden: [] };

  const environments: Record<string, string[]> = {};
  const environmentSettings: NonNullable<GitHubState["environmentSettings"]> = {};
  for (const r of Object.values(res("gates", "github_repository_environment"))) {
    // GitHub lists a required_reviewers rule only for an environment that has reviewers (REST "Get an environment")
    environments[r.environment] = ["branch_policy", ...(r.wait_timer > 0 ? ["wait_timer"] : []), ...(r.reviewers ? ["required_reviewers"] : [])];
    environmentSettings[r.environment] = {
      body: { can_admins_bypass: r.can_admins_bypass, deployment_branch_policy: r.deployment_branch_policy },
      rules: { wait_timer: { wait_timer: r.wait_timer }, required_reviewers: { prevent_self_review: r.prevent_self_review, reviewers: [{ type: "Team", reviewer: { id: 42, slug: "platform-leads" } }] } },
    };
  }
  const envOf = (ref: string) => res("gates", "github_repository_environment")[/^\$\{github_repository_environment\.([a-z0-9_]+)\.environment\}$/.exec(ref)![1]].environment;
  const branchPolicies: Record<string, { id: number; name: string }[]> = {};
  let policyId = 500;
  for (const r of Object.values(res("gates", "github_repository_environment_deployment_policy"))) {
    for (const pattern of forEachKeys(r)) {
      policyIds.set(`${envOf(r.environment)} ${pattern}`, ++policyId);
      (branchPolicies[envOf(r.environment)] ??= []).push({ id: policyId, name: pattern });
    }
  }
  let rulesetId = 40;
  // as GET /repos/{o}/{r}/rulesets/{id} answers (GitHub REST "Get a repository ruleset"): each rule a type with its
  // parameters, the provider's required_code_scanning being the API's code_scanning
  const apiRules = (rules: Json): Json[] =>
    Object.entries(rules).flatMap(([name, v]): Json[] => {
      if (v === false) return [];
      if (v === true) return [{ type: name }];
      if (name === "pull_request") return [{ type: "pull_request", parameters: { ...v, required_review_thread_resolution: false } }];
      if (name === "required_status_checks") return [{ type: "required_status_checks", parameters: { required_status_checks: v.required_check, strict_required_status_checks_policy: v.strict_required_status_checks_policy, do_not_enforce_on_create: v.do_not_enforce_on_create ?? false } }];
      if (name === "required_code_scanning") return [{ type: "code_scanning", parameters: { code_scanning_tools: v.required_code_scanning_tool } }];
      throw new Error(`the test has no API shape for rule ${name}`);
    });
  const rulesets = Object.values(res("gates", "github_repository_ruleset"))
    .filter((r) => r.count !== 0)
    .map((r) => {
      rulesetIds.set(r.name, ++rulesetId);
      return { id: rulesetId, name: r.name, target: r.target, enforcement: r.enforcement, conditions: r.conditions, bypass_actors: r.bypass_actors ?? [], source_type: "Repository", rules: apiRules(r.rules) };
    });
  const variables: Record<string, Record<string, string>> = {};
  for (const r of Object.values(res("gates", "github_actions_environment_variable"))) (variables[envOf(r.environment)] ??= {})[r.variable_name] = r.value;
  gh = {
    ahead: [],
    pulls: {},
    deployments: {},
    repository: { private: false, visibility: "public", owner: { login: org.github.owner, type: "Organization" } },
    permissions: { admin: false, push: false, pull: true },
    tokenValid: true,
    environments,
    environmentSettings,
    branchPolicies,
    rulesets,
    variables,
    forbidden: [],
  };
}

const adoptEnv = () => fakeEndpointsEnv(fakes, kubeconfig);

const allRequests = () => Object.values(fakes).flatMap((f) => f.requests);

beforeAll(async () => {
  out = path.join(scratchDir(), "adopt-out");
  expect(synthesize(definition, out, path.join(scratchDir(), "no-adopt-files"))).toBe(0);
  stacks = Object.fromEntries(["staging", "prod", "gates"].map((s) => [s, JSON.parse(fs.readFileSync(path.join(out, "stacks", s, "cdk.tf.json"), "utf8"))]));
  everythingExists("staging");
  fakes = {
    kube: await startFake((r) => kubeHandler(kube)(r)),
    vault: await startFake((r) => vaultHandler(vault)(r)),
    datadog: await startFake((r) => datadogHandler(dd)(r)),
    github: await startFake((r) => githubHandler(gh)(r)),
  };
  kubeconfig = path.join(scratchDir(), "adopt-kubeconfig");
  const contexts = [...new Set(Object.values(org.clusters).map((c) => c.context))];
  fs.writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "fake", cluster: { server: fakes.kube.url, "insecure-skip-tls-verify": true } }],
      users: [{ name: "planner", user: { token: "fake-kube-token" } }],
      contexts: contexts.map((name) => ({ name, context: { cluster: "fake", user: "planner" } })),
      "current-context": contexts[0],
    }),
  );
  cli = startCliProcess({ preload: [NO_EGRESS, PRELOAD_CLIENTS], env: { ...process.env, ...adoptEnv() } });
});
beforeEach(() => everythingExists("staging"));
afterAll(async () => {
  await cli?.close();
  for (const f of Object.values(fakes ?? {})) await f.close();
});

let dirs = 0;
/** `npm run adopt -- <stack> --dir <a fresh folder>`: the run, the folder, the file it wrote (if any). */
async function adopt(stack: string, dir = path.join(scratchDir(), `adopted-${++dirs}`)) {
  const r = await cli.run(["adopt", stack, "--dir", dir]);
  const file = path.join(dir, `${stack}.json`);
  const written = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : undefined;
  return { ...r, dir, file, written, line: (address: string) => r.stdout.split("\n").find((l) => l.startsWith(`${address} `) || l.startsWith(`${address}:`)) ?? `(no line for ${address})` };
}

describe("npm run adopt -- staging against fakes of the four APIs", () => {
  it("leaves nothing in the temporary directory: the stack it synthesizes in memory gets a folder that is removed", async () => {
    // cdktf's Testing.app() makes a folder there per call and never removes it; the command's process reads TMPDIR
    const tmp = fs.mkdtempSync(path.join(scratchDir(), "tmpdir-"));
    const dir = path.join(scratchDir(), "adopt-tmpdir");
    const r = await cli.run(["adopt", "staging", "--dir", dir, "--dry-run"], { TMPDIR: tmp });
    expect(r.code).toBe(0);
    expect(fs.readdirSync(tmp)).toEqual([]);
    // --dry-run: the table and the count, nothing written
    expect(r.stdout).toMatch(/^\d+ found, 0 missing \(the plan creates them\), 0 found more than once \(not imported\)$/m);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it("finds each existing object, missing ones get their own line, and writes exactly the found objects' import blocks", async () => {
    const ns = namespaceOf("staging");
    delete kube.objects![KUBE_PATHS.kubernetes_limit_range_v1(ns, "environment-limits")];
    delete vault.documents![`/v1/auth/${res("staging", "vault_kubernetes_auth_backend_role").role.backend}/role/${res("staging", "vault_kubernetes_auth_backend_role").role.role_name}`];
    const latency = res("staging", "datadog_monitor").api_latency.name;
    dd.monitors = dd.monitors!.filter((m) => m.name !== latency);
    const r = await adopt("staging");
    expect(r.code).toBe(0);
    // the fakes' addresses are not the matrix's, which the stacks' providers (and so plan) read: said, not hidden
    expect(r.stderr).toContain(`VAULT_ADDR (${fakes.vault.url}) is not organization.vault.address (${org.vault.address}), which plan reads`);
    expect(r.stderr).toContain(`DD_HOST (${fakes.datadog.url}) is not organization.datadog.apiUrl (${org.datadog.apiUrl}), which plan reads`);
    expect(r.stdout).toMatch(/^\d+ found, 3 missing \(the plan creates them\), 0 found more than once \(not imported\)$/m);
    // the file says what it is and who wrote it
    expect(r.written["//"]).toBe("npm run adopt -- staging: objects that existed before the stack managed them; Terraform imports each on the next apply (stacks/adopted.ts)");
    // the file as the command's working directory (the repository) names it
    expect(r.stdout).toContain(`wrote ${path.relative(path.resolve(__dirname, ".."), r.file)}: ${r.written.import.length} import blocks; commit it, then plan staging`);
    expect(r.line("kubernetes_limit_range_v1.limits")).toMatch(/^kubernetes_limit_range_v1\.limits\s+no\s+—\s+LimitRange envmatrix-staging\/environment-limits: none \(the plan creates it\)$/);
    expect(r.line("vault_kubernetes_auth_backend_role.role")).toMatch(/\sno\s+—\s+auth\/kubernetes-nonprod\/role\/staging-secret-sync: none/);
    expect(r.line("datadog_monitor.api_latency")).toMatch(/\sno\s+—\s+monitor "\[staging\] api p99 latency": none/);
    expect(r.line("kubernetes_config_map_v1.profile")).toMatch(new RegExp(`\\syes\\s+${ns}/environment-profile\\s+nothing$`));
    expect(r.line("datadog_monitor.api_cpu")).toMatch(new RegExp(`\\syes\\s+${monitorIds.get("[staging] api CPU")}\\s+nothing$`));
    expect(r.line("kubernetes_namespace_v1.namespace")).toBe("kubernetes_namespace_v1.namespace: adopted by the stack itself (constructs/adopt.ts)");
    // the file: every found object, none of the missing ones, in address order
    const to = r.written.import.map((i: { to: string }) => i.to);
    expect(to).not.toContain("kubernetes_limit_range_v1.limits");
    expect(to).not.toContain("vault_kubernetes_auth_backend_role.role");
    expect(to).not.toContain("datadog_monitor.api_latency");
    expect(to).not.toContain("kubernetes_namespace_v1.namespace");
    expect(to).toEqual([...to].sort());
    const resources = Object.entries<Json>(stacks.staging.resource).flatMap(([type, byName]) => Object.keys(byName).map((n) => `${type}.${n}`));
    expect(to.length).toBe(resources.length - 4);
    expect(r.stdout).toMatch(new RegExp(`^${resources.length - 4} found, 3 missing \\(the plan creates them\\), 0 found more than once`, "m"));
  });

  it("says what the first plan after the import changes: what the stack sets and the object does not have, keys only the object has in maps the stack owns", async () => {
    const ns = namespaceOf("staging");
    const cm = kube.objects![KUBE_PATHS.kubernetes_config_map_v1(ns, "environment-profile")] as Json;
    const logLevel = seedMatrix.environments.staging.runtime.logLevel;
    cm.data = { ...cm.data, LOG_LEVEL: logLevel === "debug" ? "info" : "debug", LEGACY_FLAG: "1" };
    (kube.objects![KUBE_PATHS.kubernetes_resource_quota_v1(ns, "environment-quota")] as Json).spec.hard["limits.cpu"] = "1";
    const errorRate = dd.monitors!.find((m) => m.name === res("staging", "datadog_monitor").api_error_rate.name)!;
    (errorRate.options as Json).thresholds.critical = 99;
    const policy = res("staging", "vault_policy").policy;
    vault.documents![`/v1/sys/policies/acl/${policy.name}`].policy = 'path "secret/*" { capabilities = ["read"] }';
    const r = await adopt("staging");
    expect(r.code).toBe(0);
    expect(r.line("kubernetes_config_map_v1.profile")).toMatch(/\sdata\.LOG_LEVEL, data\.LEGACY_FLAG$/);
    expect(r.line("kubernetes_resource_quota_v1.quota")).toMatch(/\sspec\.hard\.limits\.cpu$/);
    expect(r.line("datadog_monitor.api_error_rate")).toMatch(/\soptions\.thresholds\.critical$/);
    expect(r.line("vault_policy.policy")).toMatch(new RegExp(`\\s${policy.name}\\s+policy$`));
    // the tags in another order, the numbers as numbers: not a change
    expect(r.line("datadog_monitor.api_cpu")).toMatch(/\snothing$/);
  });

  it("an object exactly as the stack sets it changes nothing, for every resource type (the typed clients' renamed fields `_from`, `_default` read back as the API's)", async () => {
    for (const stack of ["staging", "gates"]) {
      const r = await adopt(stack);
      const rows = r.stdout.split("\n").filter((l) => /^[a-z0-9_]+\.[a-z0-9_]+(\[[^\]]+\])?\s+yes\s/.test(l));
      expect(rows.length).toBe(r.written.import.length);
      // what the stack sets only through data sources (reviewers' ids) is said to be not compared
      const changing = rows.filter((l) => !/\snothing( \(not compared, known at plan: [^)]+\))?$/.test(l) && !/^(github_repository_environment_deployment_policy|datadog_dashboard_json)\./.test(l));
      // a kubernetes_manifest is applied whole after its import, whatever it holds (kubernetes 2.38.0 import.go
      // stores no manifest): that, and nothing else
      const manifests = changing.filter((l) => l.startsWith("kubernetes_manifest."));
      expect(manifests.length).toBe(stack === "staging" ? Object.keys(stacks.staging.resource.kubernetes_manifest).length : 0);
      for (const l of manifests) expect(l).toMatch(/\smanifest applied in full once \(the provider's import reads none back; a field another field manager owns stops that apply with a conflict\)$/);
      const notCompared = rows.filter((l) => /not compared/.test(l)).map((l) => l.split(/\s+/)[0]);
      // exactly the resources whose values come from data sources: the reviewers of prod, hotfix and hotfix's branches
      const fromDataSources = Object.entries(stacks.gates.resource)
        .flatMap(([type, byName]: [string, any]) => Object.entries<Json>(byName).filter(([, r]) => r.count !== 0 && /data\.github_(team|user)\./.test(JSON.stringify(r))).map(([n, r]) => `${type}.${n}${r.count === 1 ? "[0]" : ""}`));
      if (stack === "gates") expect(notCompared.sort()).toEqual(fromDataSources.sort());
      expect(changing.filter((l) => !manifests.includes(l))).toEqual([]);
    }
  });

  it("a LimitRange's defaults and a NetworkPolicy's peers are compared (the fields the typed client renames)", async () => {
    const ns = namespaceOf("staging");
    const limits = kube.objects![KUBE_PATHS.kubernetes_limit_range_v1(ns, "environment-limits")] as Json;
    limits.spec.limits[0].default.cpu = "7";
    const ingress = kube.objects![KUBE_PATHS.kubernetes_network_policy_v1(ns, "allow-ingress-controller")] as Json;
    ingress.spec.ingress[0].from[0].namespaceSelector.matchLabels["kubernetes.io/metadata.name"] = "other";
    const r = await adopt("staging");
    expect(r.line("kubernetes_limit_range_v1.limits")).toMatch(/\sspec\.limits\[0\]\.default\.cpu$/);
    expect(r.line("kubernetes_network_policy_v1.allow_ingress_controller")).toMatch(/\sspec\.ingress\[0\]\.from\[0\]\.namespaceSelector\.matchLabels\.kubernetes\.io\/metadata\.name$/);
  });

  it("reports a monitor two objects carry the name of, imports neither, and ignores monitors whose name only contains it", async () => {
    const cpu = dd.monitors!.find((m) => m.name === "[staging] api CPU")!;
    // both made by hand, with no tags at all (the API leaves the field out): neither is the stack's own
    delete (cpu as Json).tags;
    dd.monitors!.push({ ...cpu, id: 7001 }, { ...cpu, id: 7002, name: "[staging] api CPU (old)" });
    const r = await adopt("staging");
    expect(r.code).toBe(0);
    expect(r.line("datadog_monitor.api_cpu")).toMatch(new RegExp(`\\sduplicate\\s+—\\s+monitor "\\[staging\\] api CPU": 2 objects have this name \\(ids ${cpu.id}, 7001\\); none imported`));
    expect(r.written.import.map((i: { to: string }) => i.to)).not.toContain("datadog_monitor.api_cpu");
    expect(r.stdout).toMatch(/, 1 found more than once \(not imported\)/);
  });

  it("of two monitors with the name, takes the one envmatrix tagged (created by an apply whose state was lost)", async () => {
    const cpu = dd.monitors!.find((m) => m.name === "[staging] api CPU")!;
    dd.monitors!.push({ ...cpu, id: 7001, tags: ["env:staging"] });
    const r = await adopt("staging");
    expect(r.line("datadog_monitor.api_cpu")).toMatch(new RegExp(`\\syes\\s+${cpu.id}\\s+nothing \\(also 7001 with this name, without managed-by:envmatrix: left alone\\)$`));
  });

  it("two dashboards of the stack's title are a duplicate, whatever tags one carries: Datadog's dashboard list gives none to tell them apart", async () => {
    const dashboard = dd.dashboards![0];
    // a tags field on one (the list answer has none: the v1 client's DashboardSummaryDefinition) still decides nothing
    dd.dashboards!.push({ ...dashboard, id: "xyz-uvw-rst" });
    (dd.dashboards![0] as Json).tags = ["managed-by:envmatrix"];
    const r = await adopt("staging");
    expect(r.line("datadog_dashboard_json.dashboard")).toMatch(/\sduplicate\s+—\s+dashboard "\[staging\] envmatrix": 2 objects have this name \(ids abc-def-ghi, xyz-uvw-rst\); none imported/);
  });

  it("a lookup the credentials may not make gets its own denied line in each system; nothing is written and an earlier file stays", async () => {
    const ns = namespaceOf("staging");
    kube.forbidden = [KUBE_PATHS.kubernetes_config_map_v1(ns, "environment-profile")];
    vault.forbidden = [`/v1/sys/policies/acl/${res("staging", "vault_policy").policy.name}`];
    dd.forbidden = ["/api/v1/slo"];
    const dir = path.join(scratchDir(), "adopted-denied");
    fs.mkdirSync(dir, { recursive: true });
    const earlier = '{"import":[{"to":"kubernetes_config_map_v1.profile","id":"envmatrix-staging/environment-profile"}]}\n';
    fs.writeFileSync(path.join(dir, "staging.json"), earlier);
    const r = await adopt("staging", dir);
    expect(r.code).toBe(1);
    expect(r.line("kubernetes_config_map_v1.profile")).toMatch(/\sdenied\s+—\s+ConfigMap envmatrix-staging\/environment-profile: not allowed to read it \(HTTP 403\)$/);
    expect(r.line("vault_policy.policy")).toMatch(/\sdenied\s+—\s+sys\/policies\/acl\/envmatrix-staging-secrets-read: not allowed to read it \(HTTP 403\)$/);
    expect(r.line("datadog_service_level_objective.api_availability_slo")).toMatch(/\sdenied\s+—\s+slo "\[staging\] api availability": not allowed to read it \(HTTP 403\)$/);
    // the rest was still looked up, each on its line
    expect(r.line("kubernetes_service_account_v1.secret_sync")).toMatch(/\syes\s/);
    expect(r.stderr).toMatch(/^3 lookups failed \(denied or unreachable\): nothing written, .*staging\.json left as it was/m);
    expect(fs.readFileSync(path.join(dir, "staging.json"), "utf8")).toBe(earlier);
    expect(fs.readdirSync(dir)).toEqual(["staging.json"]);
  });

  it("an unreachable API is a failure too: nothing written", async () => {
    const r = await cli.run(["adopt", "staging", "--dir", path.join(scratchDir(), "adopted-unreachable")], { VAULT_ADDR: "http://127.0.0.1:9" });
    expect(r.code).toBe(1);
    // the reason is the connection's, not a made-up status
    expect(r.stdout).toMatch(/^vault_policy\.policy\s+failed\s+—\s+sys\/policies\/acl\/envmatrix-staging-secrets-read: .*ECONNREFUSED/m);
    expect(fs.existsSync(path.join(scratchDir(), "adopted-unreachable"))).toBe(false);
  });

  it("is read-only: every request it sends is a GET, to the fakes on 127.0.0.1 only", async () => {
    for (const f of Object.values(fakes)) f.requests.splice(0);
    await adopt("staging");
    await adopt("gates");
    const sent = allRequests();
    expect(sent.length).toBeGreaterThan(20);
    // lists read once per run, whatever number of objects are looked up in them (the repository, the rulesets)
    expect(sent.filter((q) => /^\/repos\/[^/]+\/[^/]+\/rulesets$/.test(q.path)).length).toBe(1);
    expect(sent.filter((q) => /^\/repos\/[^/]+\/[^/]+$/.test(q.path)).length).toBe(1);
    expect(sent.filter((q) => q.method !== "GET")).toEqual([]);
    expect(sent.every((q) => q.host.startsWith("127.0.0.1:"))).toBe(true);
  });

  it("an unknown stack is refused with the names there are", async () => {
    const r = await cli.run(["adopt", "qa"]);
    expect(r.code).toBe(1);
    expect(`${r.stdout}${r.stderr}`).toMatch(/no environment "qa"[^\n]*dev, staging, prod, hotfix/);
  });

  it("says what else the plan removes: a label only on the object (not one of the *.kubernetes.io keys the provider ignores)", async () => {
    const ns = namespaceOf("staging");
    const cm = kube.objects![KUBE_PATHS.kubernetes_config_map_v1(ns, "environment-profile")] as Json;
    cm.metadata = { ...cm.metadata, labels: { ...cm.metadata.labels, owner: "someone", "node.kubernetes.io/instance-type": "m5" }, annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}" } };
    const r = await adopt("staging");
    expect(r.line("kubernetes_config_map_v1.profile")).toMatch(/\smetadata\.labels\.owner$/);
  });

  it("a monitor's type: metric alert is query alert to the provider; another type is a replacement, and says so", async () => {
    const cpu = dd.monitors!.find((m) => m.name === "[staging] api CPU")!;
    cpu.type = "metric alert";
    const errorRate = dd.monitors!.find((m) => m.name === "[staging] api error rate")!;
    errorRate.type = "service check";
    const r = await adopt("staging");
    expect(r.line("datadog_monitor.api_cpu")).toMatch(/\snothing$/);
    expect(r.line("datadog_monitor.api_error_rate")).toMatch(/\stype \(the plan replaces it\)$/);
  });

  it("pages through Datadog's lists: the one monitor of the exact name among 150 whose names contain it", async () => {
    const cpu = dd.monitors!.find((m) => m.name === "[staging] api CPU")!;
    dd.monitors = [...Array.from({ length: 150 }, (_, i) => ({ ...cpu, id: 9000 + i, name: `[staging] api CPU (old ${i})` })), ...dd.monitors!];
    for (const f of Object.values(fakes)) f.requests.splice(0);
    const r = await adopt("staging");
    expect(r.line("datadog_monitor.api_cpu")).toMatch(new RegExp(`\\syes\\s+${cpu.id}\\s`));
    expect(fakes.datadog.requests.filter((q) => q.path === "/api/v1/monitor" && q.body === "").length).toBeGreaterThanOrEqual(2 + 2);
  });

  it("a kubeconfig it cannot read: every Kubernetes line fails with the reason, nothing written", async () => {
    const r = await cli.run(["adopt", "staging", "--dir", path.join(scratchDir(), "adopted-no-kubeconfig")], { KUBE_CONFIG_PATH: path.join(scratchDir(), "no-such-kubeconfig") });
    expect(r.code).toBe(1);
    const kubeLines = r.stdout.split("\n").filter((l) => /^kubernetes_/.test(l) && !l.includes("adopted by the stack"));
    expect(kubeLines.length).toBeGreaterThan(5);
    for (const l of kubeLines) expect(l).toMatch(/\sfailed\s+—\s+.*: kubeconfig .*no-such-kubeconfig: ENOENT/);
    expect(fs.existsSync(path.join(scratchDir(), "adopted-no-kubeconfig"))).toBe(false);
  });

  it("Vault answering 200 with a page that is not JSON (a proxy): that line fails and says so; the others still run", async () => {
    vault.raw = { [`/v1/sys/policies/acl/${res("staging", "vault_policy").policy.name}`]: "<html>\n  <body>proxy login</body>\n</html>\n<!-- a page far longer than the line shows of it -->" };
    const r = await adopt("staging");
    expect(r.code).toBe(1);
    expect(r.line("vault_policy.policy")).toMatch(/\sfailed\s+—\s+sys\/policies\/acl\/envmatrix-staging-secrets-read: HTTP 200 but not JSON \(<html> <body>proxy login<\/body> <\/html> <!-- a page far lo…\): a proxy in the way\?$/);
    expect(r.line("kubernetes_config_map_v1.profile")).toMatch(/\syes\s/);
    expect(r.stderr).toMatch(/^1 lookup failed \(denied or unreachable\): nothing written/m);
  });

  it("has help that says which stacks it takes", async () => {
    const r = await cli.run(["adopt", "--help"]);
    expect(r.stdout).toMatch(/\bstack\s+an environment's stack \(e\.g\. prod\) or gates/);
  });

  it("what the stack leaves out but the object has, the first plan resets, and the line says so: a role's bound CIDRs and default policy, a default-deny's rules and selector, a monitor's restricted roles", async () => {
    // vault 5.6.0, kubernetes 2.38.0 and datadog 3.82.0 read these into state at import; each is Optional without
    // Computed, so a configuration without them plans their default (review/adopt.ts UNSET)
    const ns = namespaceOf("staging");
    const role = res("staging", "vault_kubernetes_auth_backend_role").role;
    Object.assign(vault.documents![`/v1/auth/${role.backend}/role/${role.role_name}`], { token_no_default_policy: true, token_bound_cidrs: ["10.0.0.0/8"], token_num_uses: 0 });
    const deny = kube.objects![KUBE_PATHS.kubernetes_network_policy_v1(ns, res("staging", "kubernetes_network_policy_v1").default_deny.metadata.name)] as Json;
    deny.spec = { ...deny.spec, podSelector: { matchLabels: { app: "legacy" } }, ingress: [{ from: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }] };
    const monitor = dd.monitors!.find((m: Json) => m.name === res("staging", "datadog_monitor").api_error_rate.name) as Json;
    monitor.restricted_roles = ["00000000-0000-1000-0000-000000000001"];
    monitor.options.escalation_message = "still failing";
    const r = await adopt("staging");
    // token_num_uses 0 is the default: no change
    expect(r.line("vault_kubernetes_auth_backend_role.role")).toMatch(/\syes\s+\S+\s+token_bound_cidrs, token_no_default_policy$/);
    expect(r.line("kubernetes_network_policy_v1.default_deny")).toMatch(/\syes\s+\S+\s+spec\.podSelector\.matchLabels, spec\.ingress$/);
    expect(r.line("datadog_monitor.api_error_rate")).toMatch(/\syes\s+\S+\s+options\.escalationMessage, restrictedRoles$/);
  });

  it("each kind of object with one field changed by hand: its line names that field (what the first plan after the import changes)", async () => {
    const ns = namespaceOf("staging");
    // an ExternalSecret (kubernetes_manifest: server-side apply owns the fields it names): a spec field and a label
    const manifest = res("staging", "kubernetes_manifest").external_secret_api.manifest;
    const es = kube.objects![`/apis/${manifest.apiVersion}/namespaces/${ns}/externalsecrets/${manifest.metadata.name}`] as Json;
    es.spec.refreshInterval = "5m";
    es.metadata.labels = { ...es.metadata.labels, "envmatrix.io/environment": "someone-else" };
    // the secret-sync account's token automounted after all
    (kube.objects![KUBE_PATHS.kubernetes_service_account_v1(ns, "secret-sync")] as Json).automountServiceAccountToken = true;
    // the Vault role's token lives longer
    const role = res("staging", "vault_kubernetes_auth_backend_role").role;
    vault.documents![`/v1/auth/${role.backend}/role/${role.role_name}`].token_ttl = 3600;
    // the SLO: its description, its first target and its query's numerator
    const sloName = res("staging", "datadog_service_level_objective").api_availability_slo.name;
    const slo = dd.slos!.find((x) => x.name === sloName)! as Json;
    slo.description = "edited by hand";
    slo.thresholds = [{ ...slo.thresholds[0], target: 90 }, slo.thresholds[1]];
    slo.query = { ...slo.query, numerator: "sum:other{*}.as_count()" };
    const r = await adopt("staging");
    expect(r.code).toBe(0);
    expect(r.line("kubernetes_manifest.external_secret_api")).toMatch(/\smetadata\.labels\.envmatrix\.io\/environment, spec\.refreshInterval$/);
    expect(r.line("kubernetes_service_account_v1.secret_sync")).toMatch(/\sautomountServiceAccountToken$/);
    expect(r.line("vault_kubernetes_auth_backend_role.role")).toMatch(/\stoken_ttl$/);
    expect(r.line("datadog_service_level_objective.api_availability_slo")).toMatch(/\sdescription, thresholds\[0\]\.target, query\.numerator$/);
    // a dashboard is the stack's whole: whatever it holds, the plan writes the stack's
    expect(r.line("datadog_dashboard_json.dashboard")).toMatch(/\syes\s+abc-def-ghi\s+its widgets and settings become the stack's \(the resource is the whole dashboard\)$/);
    // an SLO of another type: the provider replaces it
    slo.type = "monitor";
    expect((await adopt("staging")).line("datadog_service_level_objective.api_availability_slo")).toMatch(/\stype \(the plan replaces it\),/);
  });

  it("a custom object's line names its plural, group, namespace and name", async () => {
    const manifest = res("staging", "kubernetes_manifest").external_secret_api.manifest;
    delete kube.objects![`/apis/${manifest.apiVersion}/namespaces/${namespaceOf("staging")}/externalsecrets/${manifest.metadata.name}`];
    const r = await adopt("staging");
    expect(r.line("kubernetes_manifest.external_secret_api")).toMatch(new RegExp(`\\sno\\s+—\\s+externalsecrets\\.external-secrets\\.io ${namespaceOf("staging")}/${manifest.metadata.name}: none \\(the plan creates it\\)$`));
  });

  it("a ConfigMap key only on the object is named as the API spells it (a data key `_from` is data, not a field the client renamed)", async () => {
    const cm = kube.objects![KUBE_PATHS.kubernetes_config_map_v1(namespaceOf("staging"), "environment-profile")] as Json;
    cm.data = { ...cm.data, _from: "x" };
    expect((await adopt("staging")).line("kubernetes_config_map_v1.profile")).toMatch(/\sdata\._from$/);
  });

  it("reads the stack's cluster through its own kube context, whatever the kubeconfig's current one", async () => {
    const config = JSON.parse(fs.readFileSync(kubeconfig, "utf8"));
    config.users.push({ name: "someone-else", user: { token: "not-the-planners" } });
    config.contexts.push({ name: "elsewhere", context: { cluster: "fake", user: "someone-else" } });
    config["current-context"] = "elsewhere";
    const other = path.join(scratchDir(), "adopt-kubeconfig-elsewhere");
    fs.writeFileSync(other, JSON.stringify(config));
    const r = await cli.run(["adopt", "staging", "--dir", path.join(scratchDir(), "adopted-elsewhere"), "--dry-run"], { KUBE_CONFIG_PATH: other });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^kubernetes_config_map_v1\.profile\s+yes\s/m);
  });

  it("credentials refused outright (HTTP 401, a token that is not valid) are denied too, not missing", async () => {
    kube.tokenValid = false;
    const r = await adopt("staging");
    expect(r.code).toBe(1);
    expect(r.line("kubernetes_config_map_v1.profile")).toMatch(/\sdenied\s+—\s+ConfigMap envmatrix-staging\/environment-profile: not allowed to read it \(HTTP 401\)$/);
  });

  it("Vault answering neither 200, 404 nor 403 (a sealed or failing node): that line fails with the status", async () => {
    vault.raw = undefined;
    const policy = res("staging", "vault_policy").policy.name;
    vault.failing = { [`/v1/sys/policies/acl/${policy}`]: 503 };
    const r = await adopt("staging");
    expect(r.code).toBe(1);
    expect(r.line("vault_policy.policy")).toMatch(new RegExp(`\\sfailed\\s+—\\s+sys/policies/acl/${policy}: HTTP 503$`));
  });

  it("gives up on a name more than 100 pages of monitors share, and says so", async () => {
    const cpu = dd.monitors!.find((m) => m.name === "[staging] api CPU")!;
    dd.monitors = [...Array.from({ length: 10_000 }, (_, i) => ({ ...cpu, id: 20_000 + i, name: `[staging] api CPU (old ${i})` })), ...dd.monitors!];
    const r = await adopt("staging");
    expect(r.code).toBe(1);
    expect(r.line("datadog_monitor.api_cpu")).toMatch(/\sfailed\s+—\s+monitor "\[staging\] api CPU": more than 10000 monitors match "\[staging\] api CPU": narrow them down by hand$/);
  });

  it("pages through SLOs and dashboards too: the one of the exact name after 150 others", async () => {
    const sloName = res("staging", "datadog_service_level_objective").api_availability_slo.name;
    const slo = dd.slos!.find((x) => x.name === sloName)!;
    dd.slos = [...Array.from({ length: 150 }, (_, i) => ({ ...slo, id: `other${i}`, name: `${sloName} (old ${i})` })), ...dd.slos!];
    const dashboard = dd.dashboards![0];
    dd.dashboards = [...Array.from({ length: 150 }, (_, i) => ({ ...dashboard, id: `old-${i}`, title: `old ${i}` })), ...dd.dashboards!];
    const r = await adopt("staging");
    expect(r.line("datadog_service_level_objective.api_availability_slo")).toMatch(new RegExp(`\\syes\\s+${slo.id}\\s+nothing$`));
    expect(r.line("datadog_dashboard_json.dashboard")).toMatch(/\syes\s+abc-def-ghi\s/);
  });

  it("an earlier file stays when nothing is found (its objects may be imported already)", async () => {
    kube.objects = {};
    vault.documents = {};
    dd.monitors = [];
    dd.slos = [];
    dd.dashboards = [];
    const dir = path.join(scratchDir(), "adopted-nothing");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "staging.json"), "{}\n");
    const r = await adopt("staging", dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/nothing to import: nothing written \(.*staging\.json left as it was\)/);
    expect(fs.readFileSync(path.join(dir, "staging.json"), "utf8")).toBe("{}\n");
  });
});

describe("npm run adopt -- gates: GitHub environments, branch policies, rulesets and variables, and the gates' Vault objects", () => {
  it("finds them with the ids GitHub gives, and denied reads get their own line", async () => {
    const r = await adopt("gates");
    expect(r.code).toBe(0);
    const staging = seedMatrix.environments.staging.identity.githubEnvironment;
    expect(r.line("github_repository_environment.staging_deploy_environment")).toMatch(new RegExp(`\\syes\\s+${REPO}:${staging}\\s+nothing$`));
    // prod's reviewers are GitHub ids from data sources: not compared, and said so
    expect(r.line("github_repository_environment.prod_deploy_environment")).toMatch(/\snothing \(not compared, known at plan: reviewers\[0\]\.teams, reviewers\[0\]\.users\)$/);
    const pattern = seedMatrix.environments.staging.identity.deployBranches[0];
    expect(r.line(`github_repository_environment_deployment_policy.staging_deploy_deployment_branch["${pattern}"]`)).toMatch(
      new RegExp(`\\syes\\s+${REPO}:${staging}:${policyIds.get(`${staging} ${pattern}`)}\\s+replaced \\(provider 6\\.9\\.0`),
    );
    expect(r.line("github_repository_ruleset.hotfix_branch_creation[0]")).toMatch(new RegExp(`\\syes\\s+${REPO}:${rulesetIds.get(res("gates", "github_repository_ruleset").hotfix_branch_creation.name)}\\s+nothing$`));
    expect(r.line("github_actions_environment_variable.staging_deploy_variable_dd_env")).toMatch(new RegExp(`\\syes\\s+${REPO}:${staging}:DD_ENV\\s+nothing$`));
    // a ruleset with count = 0 has no instance: nothing to look up
    expect(r.stdout).not.toMatch(/prod_branch_creation/);

    // someone set a wait timer and another variable value by hand: the plan puts back the matrix's
    const waitTimer = seedMatrix.environments.staging.approval.waitTimerMinutes;
    gh.environments![staging] = [...gh.environments![staging].filter((t) => t !== "wait_timer"), "wait_timer"];
    gh.environmentSettings![staging].rules!.wait_timer = { wait_timer: waitTimer + 30 };
    gh.variables![staging].DD_ENV = "stg";
    // any branch may deploy there now: the API gives no deployment_branch_policy at all
    gh.environmentSettings![staging].body = { ...gh.environmentSettings![staging].body, deployment_branch_policy: null };
    const changed = await adopt("gates");
    expect(changed.line("github_repository_environment.staging_deploy_environment")).toMatch(/\swait_timer, deployment_branch_policy\.custom_branch_policies$/);
    expect(changed.line("github_actions_environment_variable.staging_deploy_variable_dd_env")).toMatch(/\svalue$/);

    // prod's ruleset weakened by hand: no approvals needed, an admin may bypass, one more rule
    const prodRuleset = gh.rulesets!.find((x) => x.name === res("gates", "github_repository_ruleset").prod_branch_ruleset.name)! as Json;
    prodRuleset.rules.find((x: Json) => x.type === "pull_request").parameters.required_approving_review_count = 0;
    prodRuleset.bypass_actors = [{ actor_id: 5, actor_type: "RepositoryRole", bypass_mode: "always" }];
    prodRuleset.rules.push({ type: "update" });
    // and its checks waived when a branch is created (the stack leaves the provider's default, false)
    prodRuleset.rules.find((x: Json) => x.type === "required_status_checks").parameters.do_not_enforce_on_create = true;
    // and more than a page of other rulesets before envmatrix's (the token lists 100 at a time)
    gh.rulesets = [...Array.from({ length: 120 }, (_, i) => ({ id: 5000 + i, name: `legacy ${i}`, target: "branch", enforcement: "disabled", rules: [] })), ...gh.rulesets!];
    const weakened = await adopt("gates");
    expect(weakened.line("github_repository_ruleset.prod_branch_ruleset")).toMatch(/\sbypass_actors, rules\.update, rules\.pull_request\.required_approving_review_count, rules\.required_status_checks\.do_not_enforce_on_create$/);

    gh.forbidden = [`/repos/${org.github.owner}/${REPO}/environments/${staging}/variables/DD_ENV`];
    gh.environments = Object.fromEntries(Object.entries(gh.environments!).filter(([name]) => name !== seedMatrix.environments.dev.identity.githubEnvironment));
    const again = await adopt("gates");
    expect(again.code).toBe(1);
    expect(again.line("github_actions_environment_variable.staging_deploy_variable_dd_env")).toMatch(/\sdenied\s+—\s+environment staging variable DD_ENV: not allowed to read it \(HTTP 403\)$/);
    expect(again.line("github_repository_environment.dev_deploy_environment")).toMatch(/\sno\s+—\s+environment development: none/);
    expect(again.written).toBeUndefined();
  });

  it("each GitHub kind and the deployers' Vault roles with a field changed by hand: the line names it; only the repository's own branch policies and rulesets count", async () => {
    const staging = seedMatrix.environments.staging.identity.githubEnvironment;
    const production = seedMatrix.environments.prod.identity.githubEnvironment;
    // staging: admins may no longer bypass; production: its reviewers may approve their own runs
    gh.environmentSettings![staging].body = { ...gh.environmentSettings![staging].body, can_admins_bypass: false };
    gh.environmentSettings![production].rules!.required_reviewers = { ...gh.environmentSettings![production].rules!.required_reviewers, prevent_self_review: false };
    // staging's deploy role (Vault's JWT auth for GitHub Actions) gives longer-lived tokens
    const jwt = res("gates", "vault_jwt_auth_backend_role").staging_vault_deploy_role;
    vault.documents![`/v1/auth/${jwt.backend}/role/${jwt.role_name}`].token_ttl = 7200;
    // prod's ruleset: one more rule, of a kind the stack does not set at all (the rules are the stack's whole)
    const prodRuleset = gh.rulesets!.find((x) => x.name === res("gates", "github_repository_ruleset").prod_branch_ruleset.name)! as Json;
    prodRuleset.rules.push({ type: "required_deployments", parameters: { required_deployment_environments: ["qa"] } });
    // a tag policy with the branch pattern's name: not the branch policy looked for
    const pattern = seedMatrix.environments.staging.identity.deployBranches[0];
    gh.branchPolicies![staging].push({ id: 999, name: pattern, type: "tag" });
    // an organization's ruleset named as staging's: not the repository's (the list is read with includes_parents=false)
    const stagingRuleset = gh.rulesets!.find((x) => x.name === res("gates", "github_repository_ruleset").staging_branch_ruleset.name)!;
    gh.rulesets!.push({ ...stagingRuleset, id: 9999, source_type: "Organization" });
    const r = await adopt("gates");
    expect(r.line("github_repository_environment.staging_deploy_environment")).toMatch(/\syes\s+\S+\s+can_admins_bypass$/);
    expect(r.line("github_repository_environment.prod_deploy_environment")).toMatch(/\syes\s+\S+\s+prevent_self_review \(not compared, known at plan: reviewers\[0\]\.teams, reviewers\[0\]\.users\)$/);
    expect(r.line("vault_jwt_auth_backend_role.staging_vault_deploy_role")).toMatch(/\stoken_ttl$/);
    expect(r.line("github_repository_ruleset.prod_branch_ruleset")).toMatch(/\srules\.required_deployments$/);
    expect(r.line(`github_repository_environment_deployment_policy.staging_deploy_deployment_branch["${pattern}"]`)).toMatch(new RegExp(`\\syes\\s+${REPO}:${staging}:${policyIds.get(`${staging} ${pattern}`)}\\s`));
    expect(r.line("github_repository_ruleset.staging_branch_ruleset")).toMatch(new RegExp(`\\syes\\s+${REPO}:${stagingRuleset.id}\\s+nothing$`));

    // reads refused: each line names where it looked
    gh.forbidden = [`/repos/${org.github.owner}/${REPO}/environments/${staging}/deployment-branch-policies`, `/repos/${org.github.owner}/${REPO}/rulesets/${stagingRuleset.id}`];
    const denied = await adopt("gates");
    expect(denied.line(`github_repository_environment_deployment_policy.staging_deploy_deployment_branch["${pattern}"]`)).toMatch(new RegExp(`\\sdenied\\s+—\\s+environment ${staging} branch policy ${pattern}: not allowed to read it \\(HTTP 403\\)$`));
    expect(denied.line("github_repository_ruleset.staging_branch_ruleset")).toMatch(new RegExp(`\\sdenied\\s+—\\s+ruleset "${stagingRuleset.name.replace(/[()*]/g, "\\$&")}": not allowed to read it \\(HTTP 403\\)$`));
  });

  it("a JWT role's bound subject and one more bound claim, a ruleset's conversation resolution: reset by the first plan, so named; the same required checks in another order are no change (a set to the provider)", async () => {
    const jwt = res("gates", "vault_jwt_auth_backend_role").staging_vault_deploy_role;
    Object.assign(vault.documents![`/v1/auth/${jwt.backend}/role/${jwt.role_name}`], { bound_subject: "repo:example-org/envmatrix:environment:staging", bound_claims: { ...jwt.bound_claims, ref: "refs/heads/main", actor: "someone" }, groups_claim: "" });
    const prodRuleset = gh.rulesets!.find((x) => x.name === res("gates", "github_repository_ruleset").prod_branch_ruleset.name)! as Json;
    prodRuleset.rules.find((x: Json) => x.type === "pull_request").parameters.required_review_thread_resolution = true;
    const checks = prodRuleset.rules.find((x: Json) => x.type === "required_status_checks").parameters;
    expect(checks.required_status_checks.length).toBeGreaterThan(1);
    checks.required_status_checks = [...checks.required_status_checks].reverse();
    const r = await adopt("gates");
    // a claim's value changed (ref: the stack binds develop and main), and one the stack does not bind at all (actor)
    expect(r.line("vault_jwt_auth_backend_role.staging_vault_deploy_role")).toMatch(/\syes\s+\S+\s+bound_claims\.ref, bound_claims\.actor, bound_subject$/);
    expect(r.line("github_repository_ruleset.prod_branch_ruleset")).toMatch(/\syes\s+\S+\s+rules\.pull_request\.required_review_thread_resolution$/);
  });

  it("a reviewer added by hand to an environment the matrix gives none: the first apply removes it, and the line says so", async () => {
    // github 6.9.0 reads reviewers back into state from the required_reviewers rule, and its update sends them as
    // null when the configuration has none, which is how GitHub's API clears them (resource_github_repository_environment.go)
    const staging = seedMatrix.environments.staging.identity.githubEnvironment;
    expect(res("gates", "github_repository_environment").staging_deploy_environment.reviewers).toBeUndefined();
    gh.environments![staging] = [...gh.environments![staging], "required_reviewers"];
    gh.environmentSettings![staging].rules!.required_reviewers = { prevent_self_review: false, reviewers: [{ type: "User", reviewer: { id: 7, login: "someone" } }] };
    expect((await adopt("gates")).line("github_repository_environment.staging_deploy_environment")).toMatch(/\syes\s+\S+\s+reviewers$/);
  });

  it.each([
    ["a token GitHub does not take (HTTP 401)", (): void => void (gh.tokenValid = false), 401],
    ["a token that may not read the repository (HTTP 403)", (): void => void (gh.forbidden = [`/repos/${org.github.owner}/${REPO}`]), 403],
  ] as const)("%s: every GitHub line is denied, not missing", async (_what, breakIt, status) => {
    breakIt();
    const r = await adopt("gates");
    expect(r.code).toBe(1);
    const ghLines = r.stdout.split("\n").filter((l) => /^github_/.test(l));
    expect(ghLines.length).toBeGreaterThan(20);
    for (const l of ghLines) expect(l).toMatch(new RegExp(`\\sdenied\\s+—\\s+.*: not allowed to read it \\(repository ${org.github.owner}/${REPO} not visible to this token \\(HTTP ${status}\\)\\)$`));
  });

  it("GitHub unreachable: every GitHub line fails with the reason, nothing written", async () => {
    const r = await cli.run(["adopt", "gates", "--dir", path.join(scratchDir(), "adopted-no-github")], { GITHUB_API_URL: "http://127.0.0.1:59999" });
    expect(r.code).toBe(1);
    const ghLines = r.stdout.split("\n").filter((l) => /^github_/.test(l));
    expect(ghLines.length).toBeGreaterThan(20);
    for (const l of ghLines) expect(l).toMatch(/\sfailed\s+—\s+.*: .*(ECONNREFUSED|fetch failed|connect)/);
    expect(fs.existsSync(path.join(scratchDir(), "adopted-no-github"))).toBe(false);
  });

  it("a repository the token cannot see (GitHub answers 404, not 403): every GitHub line is denied, not missing", async () => {
    gh.repositoryHidden = true;
    const r = await adopt("gates");
    expect(r.code).toBe(1);
    const ghLines = r.stdout.split("\n").filter((l) => /^github_/.test(l));
    expect(ghLines.length).toBeGreaterThan(20);
    for (const l of ghLines) expect(l).toMatch(new RegExp(`\\sdenied\\s+—\\s+.*: not allowed to read it \\(repository ${org.github.owner}/${REPO} not visible to this token \\(HTTP 404\\)\\)$`));
    expect(r.written).toBeUndefined();
  });
});

/** Each resource type's import id as its provider documents it ("Import" sections, pinned versions). */
const DOCUMENTED: Record<string, (r: Json, stack: string, key?: string) => string> = {
  // kubernetes 2.38.0 docs/resources/*_v1.md "Import": <namespace>/<name>
  kubernetes_service_account_v1: (r, s) => `${namespaceOf(s)}/${r.metadata.name}`,
  kubernetes_config_map_v1: (r, s) => `${namespaceOf(s)}/${r.metadata.name}`,
  kubernetes_network_policy_v1: (r, s) => `${namespaceOf(s)}/${r.metadata.name}`,
  kubernetes_resource_quota_v1: (r, s) => `${namespaceOf(s)}/${r.metadata.name}`,
  kubernetes_limit_range_v1: (r, s) => `${namespaceOf(s)}/${r.metadata.name}`,
  // docs/resources/manifest.md "Import": "apiVersion=v1,kind=Secret,namespace=default,name=foo"
  kubernetes_manifest: (r, s) => `apiVersion=${r.manifest.apiVersion},kind=${r.manifest.kind},namespace=${namespaceOf(s)},name=${r.manifest.metadata.name}`,
  // vault 5.6.0 website/docs/r/policy.html.md: the policy's name; *_auth_backend_role: auth/<backend>/role/<name>
  vault_policy: (r) => r.name,
  vault_kubernetes_auth_backend_role: (r) => `auth/${r.backend}/role/${r.role_name}`,
  vault_jwt_auth_backend_role: (r) => `auth/${r.backend}/role/${r.role_name}`,
  // datadog 3.82.0 docs/resources/monitor.md, service_level_objective.md: the object's id
  datadog_monitor: (r) => String(monitorIds.get(r.name)),
  datadog_service_level_objective: (r) => sloIds.get(r.name)!,
  // docs/resources/dashboard_json.md "Import": the dashboard's id (like sv7-gyh-kas), the one the fake gave
  datadog_dashboard_json: () => "abc-def-ghi",
  // github 6.9.0 website/docs/r/*.html.markdown "Import": colon-separated, the repository first
  github_repository_environment: (r) => `${REPO}:${r.environment}`,
  github_repository_environment_deployment_policy: (r, _s, key) => {
    const env = res("gates", "github_repository_environment")[/github_repository_environment\.([a-z0-9_]+)\./.exec(r.environment)![1]].environment;
    return `${REPO}:${env}:${policyIds.get(`${env} ${key}`)}`;
  },
  github_repository_ruleset: (r) => `${REPO}:${rulesetIds.get(r.name)}`,
  github_actions_environment_variable: (r) => {
    const env = res("gates", "github_repository_environment")[/github_repository_environment\.([a-z0-9_]+)\./.exec(r.environment)![1]].environment;
    return `${REPO}:${env}:${r.variable_name}`;
  },
};

describe("the stacks synthesized with the files adopt wrote", () => {
  let adopted: string;
  let withFiles: Record<string, Json>;
  const withFilesOut = () => path.join(scratchDir(), "adopt-synth-with");
  beforeAll(async () => {
    everythingExists("staging");
    adopted = path.join(scratchDir(), "adopted-all");
    expect((await adopt("staging", adopted)).code).toBe(0);
    expect((await adopt("gates", adopted)).code).toBe(0);
    expect(synthesize(definition, withFilesOut(), adopted)).toBe(0);
    withFiles = Object.fromEntries(["staging", "gates"].map((s) => [s, JSON.parse(fs.readFileSync(path.join(withFilesOut(), "stacks", s, "cdk.tf.json"), "utf8"))]));
  });

  /** Every import block of `stack` on resources of `type`, with the resource it names. */
  const blocks = (stack: string, type: string) =>
    (withFiles[stack].import ?? [])
      .filter((b: { to: string }) => b.to.startsWith(`${type}.`))
      .map((b: { to: string; id: string }) => {
        const m = /^[a-z0-9_]+\.([a-z0-9_]+)(?:\[(?:(\d+)|"(.*)")\])?$/.exec(b.to)!;
        return { ...b, resource: withFiles[stack].resource[type][m[1]], key: m[3] };
      });

  const cases = Object.keys(DOCUMENTED).map((type) => [type, type.startsWith("github_") || type === "vault_jwt_auth_backend_role" ? "gates" : "staging"] as const);
  it.each(cases)("%s: one import block per resource instance of the stack (%s), its id in the provider's documented format", (type, stack) => {
    const found = blocks(stack, type);
    const instances = Object.values<Json>(withFiles[stack].resource[type]).reduce((n, r) => n + (r.for_each ? forEachKeys(r).length : typeof r.count === "number" ? r.count : 1), 0);
    expect(instances).toBeGreaterThan(0);
    expect(found.length).toBe(instances);
    for (const b of found) expect(b.id).toBe(DOCUMENTED[type](b.resource, stack, b.key));
  });

  it("vault_policy in the gates stack too", () => {
    const found = blocks("gates", "vault_policy");
    expect(found.length).toBe(Object.keys(withFiles.gates.resource.vault_policy).length);
    for (const b of found) expect(b.id).toBe(b.resource.name);
  });

  it("adds the import blocks and nothing else; a stack without a file is byte for byte what it is with no adopt folder", () => {
    for (const s of ["dev", "prod", "hotfix"]) {
      expect(fs.readFileSync(path.join(withFilesOut(), "stacks", s, "cdk.tf.json"))).toEqual(fs.readFileSync(path.join(out, "stacks", s, "cdk.tf.json")));
    }
    for (const s of ["staging", "gates"]) {
      const { import: withImports, ...rest } = withFiles[s];
      const { import: before, ...restBefore } = stacks[s];
      expect(rest).toEqual(restBefore);
      expect(withImports.slice(0, (before ?? []).length)).toEqual(before ?? []);
    }
  });

  // Terraform itself reads an adopted instance address (a for_each key) in the JSON form, as synthesized: with the
  // built-in terraform_data at the same name and keys, no provider is needed
  const terraform = terraformBinary();
  if (!terraform) console.warn("adopt.test: no terraform binary on PATH: the for_each import plan test is skipped");
  (terraform ? it : it.skip)("is read by Terraform: an import block to one for_each instance plans as an import", () => {
    const [b] = blocks("gates", "github_repository_environment_deployment_policy");
    const name = /^[a-z0-9_]+\.([a-z0-9_]+)\[/.exec(b.to)![1];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envmatrix-adopt-"));
    try {
      const config = { resource: { terraform_data: { [name]: { for_each: b.resource.for_each } } }, import: [{ to: b.to.replace(/^[a-z0-9_]+\./, "terraform_data."), id: b.id }] };
      fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify(config));
      const env = { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_CLI_CONFIG_FILE: "/dev/null" };
      const tf = (...args: string[]) => execFileSync("terraform", [`-chdir=${dir}`, ...args, "-input=false", "-no-color"], { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      tf("init");
      expect(tf("plan")).toMatch(/Plan: 1 to import, 0 to add, 0 to change, 0 to destroy/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("an adopt file that does not fit its stack", () => {
  it("stops the synth with every problem, naming the file, the entry and the rule, and leaves an earlier cdktf.out as it was", () => {
    const dir = path.join(scratchDir(), "adopted-bad");
    fs.mkdirSync(dir, { recursive: true });
    const prod = namespaceOf("prod");
    fs.writeFileSync(
      path.join(dir, "prod.json"),
      JSON.stringify({
        import: [
          { to: "kubernetes_config_map_v1.profile", id: `${prod}/environment-profile` },
          { to: "kubernetes_config_map_v1.profil", id: `${prod}/environment-profile` },
          { to: "datadog_monitor.api_cpu", id: "not-a-number" },
          { to: "kubernetes_config_map_v1.profile", id: `${prod}/environment-profile` },
          { to: "kubernetes_namespace_v1.namespace", id: prod },
          { to: "kubernetes_manifest.secret_store", id: `kind=SecretStore,name=vault` },
          // another environment's objects: a copied or stale entry would import them, and the plan rewrite them
          { to: "kubernetes_service_account_v1.workload_api", id: `${namespaceOf("staging")}/api` },
          { to: "datadog_monitor.api_latency", id: "123" },
          { to: "datadog_monitor.api_error_rate", id: "124", name: "[staging] api error rate" },
        ],
      }),
    );
    fs.writeFileSync(
      path.join(dir, "gates.json"),
      JSON.stringify({
        import: [
          { to: "github_repository_environment_deployment_policy.prod_deploy_deployment_branch", id: `${REPO}:production:1` },
          { to: "github_repository_environment.prod_deploy_environment[0]", id: `${REPO}:production` },
          // instances the stack does not have: prod's creation ruleset has count = 0; prod deploys from main only
          { to: "github_repository_ruleset.prod_branch_creation[0]", id: `${REPO}:5` },
          { to: 'github_repository_environment_deployment_policy.prod_deploy_deployment_branch["release"]', id: `${REPO}:production:3`, name: "production: release" },
          // fits: no problem
          { to: 'github_repository_environment_deployment_policy.prod_deploy_deployment_branch["main"]', id: `${REPO}:production:7`, name: "production: main" },
        ],
      }),
    );
    fs.writeFileSync(path.join(dir, "qa.json"), JSON.stringify({ import: [] }));
    fs.writeFileSync(path.join(dir, "dev.json"), JSON.stringify({ import: [{ to: "kubernetes_config_map_v1.profile" }, { to: "", id: "x", name: 5 }] }));
    const earlier = path.join(scratchDir(), "adopt-earlier-out");
    expect(synthesize(definition, earlier, path.join(scratchDir(), "no-adopt-files"))).toBe(0);
    const before = fs.readFileSync(path.join(earlier, "stacks", "prod", "cdk.tf.json"));
    const errors: string[] = [];
    const spy = jest.spyOn(console, "error").mockImplementation((m: string) => void errors.push(m));
    try {
      // dev.json's entries lack an id, an address and a name that is text: the files are read first, and that stops the synth with dev.json's problems
      expect(synthesize(definition, earlier, dir)).toBe(1);
      expect(errors.join("\n")).toBe(
        [
          "stacks/adopted: 3 problems",
          "  dev.json: import[0].id: must be the object's import id (a non-empty string)",
          "  dev.json: import[1].to: must be a resource address, e.g. kubernetes_config_map_v1.profile",
          "  dev.json: import[1].name: must be the name adopt found the object by (a string)",
        ].join("\n"),
      );
      fs.rmSync(path.join(dir, "dev.json"));
      errors.length = 0;
      expect(synthesize(definition, earlier, dir)).toBe(1);
    } finally {
      spy.mockRestore();
    }
    const lines = errors.join("\n").split("\n");
    expect(lines[0]).toBe("stacks/adopted: 13 problems");
    expect(lines.slice(1)).toEqual([
      "  prod.json: import[1].to: kubernetes_config_map_v1.profil: stack prod has no resource kubernetes_config_map_v1.profil (renamed or removed since adopt ran: run npm run adopt -- prod again, or delete the entry)",
      '  prod.json: import[2].id: "not-a-number" is not a datadog_monitor import id: the provider expects <monitor id> (a number)',
      "  prod.json: import[3].to: kubernetes_config_map_v1.profile is adopted twice; Terraform takes one import block per address",
      "  prod.json: import[4].to: kubernetes_namespace_v1.namespace: the stack already imports it itself (constructs/adopt.ts); delete the entry",
      '  prod.json: import[5].id: "kind=SecretStore,name=vault" is not a kubernetes_manifest import id: the provider expects apiVersion=<group/version>,kind=<kind>,namespace=<namespace>,name=<name>',
      '  prod.json: import[6].id: "envmatrix-staging/api" is not this stack\'s object: the stack\'s is envmatrix-prod/api (another\'s would be imported, then rewritten by the plan)',
      '  prod.json: import[7].name: is missing: the id is the API\'s, so adopt writes the name it found the object by ("[prod] api p99 latency"); run npm run adopt again',
      '  prod.json: import[8].name: "[staging] api error rate" is not this resource\'s object: it is "[prod] api error rate" (another\'s would be imported, then rewritten by the plan)',
      '  gates.json: import[0].to: github_repository_environment_deployment_policy.prod_deploy_deployment_branch has count or for_each: name one instance, e.g. github_repository_environment_deployment_policy.prod_deploy_deployment_branch["key"]',
      "  gates.json: import[1].to: github_repository_environment.prod_deploy_environment has one instance: no [key] after it",
      "  gates.json: import[2].to: github_repository_ruleset.prod_branch_creation[0]: the stack has no such instance (none: its count is 0)",
      '  gates.json: import[3].to: github_repository_environment_deployment_policy.prod_deploy_deployment_branch["release"]: the stack has no such instance (its instances: ["main"])',
      "  qa.json: no stack is named qa (stacks: dev, staging, prod, hotfix, gates); delete or rename the file",
    ]);
    expect(fs.readFileSync(path.join(earlier, "stacks", "prod", "cdk.tf.json"))).toEqual(before);
    // into a folder that did not exist: it still does not
    const fresh = path.join(scratchDir(), "adopt-never-written");
    const quiet = jest.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      expect(synthesize(definition, fresh, dir)).toBe(1);
    } finally {
      quiet.mockRestore();
    }
    expect(fs.existsSync(fresh)).toBe(false);
  });

  it("takes the manifest's key=value parts in any order, as the provider's ParseResourceID does", () => {
    const dir = path.join(scratchDir(), "adopted-order");
    fs.mkdirSync(dir, { recursive: true });
    const id = `name=vault,namespace=${namespaceOf("prod")},kind=SecretStore,apiVersion=external-secrets.io/v1`;
    fs.writeFileSync(path.join(dir, "prod.json"), JSON.stringify({ import: [{ to: "kubernetes_manifest.secret_store", id }] }));
    const o = path.join(scratchDir(), "adopt-order-out");
    expect(synthesize(definition, o, dir)).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(o, "stacks", "prod", "cdk.tf.json"), "utf8")).import).toContainEqual({ to: "kubernetes_manifest.secret_store", id });
  });
});

describe("the README's example (\"Adopting existing infrastructure\")", () => {
  it("is what adopt prints for staging with a changed ConfigMap, objects missing and a monitor made twice", async () => {
    const ns = namespaceOf("staging");
    const cm = kube.objects![KUBE_PATHS.kubernetes_config_map_v1(ns, "environment-profile")] as Json;
    cm.data = { ...cm.data, LOG_LEVEL: "debug", LEGACY_FLAG: "1" };
    delete kube.objects![KUBE_PATHS.kubernetes_limit_range_v1(ns, "environment-limits")];
    const role = res("staging", "vault_kubernetes_auth_backend_role").role;
    delete vault.documents![`/v1/auth/${role.backend}/role/${role.role_name}`];
    // made twice by hand before envmatrix (neither has envmatrix's managed-by tag)
    const cpu = dd.monitors!.find((m) => m.name === res("staging", "datadog_monitor").api_cpu.name)!;
    cpu.tags = ["env:staging", "service:api"];
    dd.monitors!.push({ ...cpu, id: 7001 });
    dd.monitors = dd.monitors!.filter((m) => m.name !== res("staging", "datadog_monitor").api_latency.name);
    const r = await adopt("staging");
    expect(r.code).toBe(0);
    // the command prints paths relative to its own working folder, the repository root (cli-process.ts)
    const shown = `$ npm run adopt -- staging\n${r.stdout.split(path.relative(path.resolve(__dirname, ".."), r.dir)).join("stacks/adopted")}`.trimEnd();
    const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Adopting existing infrastructure"));
    const block = /```text\n(\$ npm run adopt -- staging\n[\s\S]*?)\n```/.exec(section)?.[1];
    if (process.env.SHOW_ADOPT_EXAMPLE) fs.writeFileSync("/tmp/adopt-example.txt", shown);
    expect(block).toBe(shown);
  });
});

describe("where adopt looks, from the synthesized stack alone (stacks/adopt-targets.ts)", () => {
  const { adoptionTargets } = require("../stacks/adopt-targets");
  it("keeps a null argument as null, resolves references to another resource's literal, and calls the rest known at plan", () => {
    const stack = {
      resource: {
        kubernetes_namespace_v1: { ns: { metadata: { name: "team-a" } } },
        kubernetes_config_map_v1: { cm: { metadata: { name: "profile", namespace: "${kubernetes_namespace_v1.ns.metadata[0].name}" }, data: { A: null, B: "${data.x.y.id}" } } },
      },
    };
    const t = adoptionTargets(stack);
    const cm = t.targets.find((x: any) => x.address === "kubernetes_config_map_v1.cm");
    expect(cm.locate).toEqual({ system: "kubernetes", kind: "ConfigMap", name: "profile", namespace: "team-a" });
    expect(cm.desired.data.A).toBeNull();
    expect(typeof cm.desired.data.B).toBe("symbol");
  });

  it("a for_each over a data source has instances only the plan knows: said, not looked up", () => {
    const t = adoptionTargets({ resource: { github_repository_environment: { e: { for_each: "${data.github_team.t}", repository: "r", environment: "${each.value}" } } } });
    expect(t.targets).toEqual([]);
    expect(t.skipped).toEqual([{ address: "github_repository_environment.e", why: "its instances are known only at plan (count or for_each over a data source)" }]);
  });

  it("only a for_each that is exactly a toset of literals is literal: an expression that merely ends in one is known at plan", () => {
    const literal = adoptionTargets({ resource: { github_repository_environment: { e: { for_each: '${toset(["b","a"])}', repository: "r", environment: "${each.value}" } } } });
    expect(literal.targets.map((x: any) => x.address)).toEqual(['github_repository_environment.e["a"]', 'github_repository_environment.e["b"]']);
    const expression = adoptionTargets({ resource: { github_repository_environment: { e: { for_each: '${setunion(data.x.y)}${toset(["a"])}', repository: "r", environment: "${each.value}" } } } });
    expect(expression.targets).toEqual([]);
    expect(expression.skipped.map((x: any) => x.address)).toEqual(["github_repository_environment.e"]);
  });
});

describe("what the first plan after an import changes (differences, from its contract above the function)", () => {
  // review/adopt.ts's pure functions, in this process: @kubernetes/client-node 1.x is ES modules, which this Jest
  // setup does not transform (the command itself runs in the CLI process), and none of these functions reaches it;
  // UNKNOWN from the same module registry, as the marker is compared by identity
  const { differences, isInternalKey, formatAdoptTable, UNKNOWN, comparable } = (() => {
    let loaded: any;
    jest.isolateModules(() => {
      jest.doMock("@kubernetes/client-node", () => ({}));
      loaded = { ...require("../review/adopt"), UNKNOWN: require("../stacks/adopt-targets").UNKNOWN };
      jest.dontMock("@kubernetes/client-node");
    });
    return loaded;
  })();
  const diff = (desired: unknown, actual: unknown, owned: string[] = []) => differences(desired, actual, new Set(owned));
  const changed = (desired: unknown, actual: unknown, owned: string[] = []) => diff(desired, actual, owned).changed;

  it("a threshold the stack leaves out (a canary gate's warning: critical only) and the object has is one the first apply clears: named", () => {
    const gate = Object.values(res("prod", "datadog_monitor")).find((m) => m.tags.includes("canary-gate"))!;
    expect(gate.monitor_thresholds.warning).toBeUndefined();
    const target = { address: "datadog_monitor.api_canary_error_rate", type: "datadog_monitor", locate: { kind: "datadog", what: "monitor", name: gate.name } as any, desired: gate };
    // the object as the Datadog client gives it back: what the stack sets (its shape in the API's model, as adopt
    // compares it), and a warning made by hand
    const asSet = comparable(target, {}).desired as any;
    expect(asSet.options.thresholds).toEqual({ critical: Number(gate.monitor_thresholds.critical), criticalRecovery: Number(gate.monitor_thresholds.critical_recovery) });
    const warned = { ...asSet, options: { ...asSet.options, thresholds: { ...asSet.options.thresholds, warning: 8, warningRecovery: 7 } } };
    const of = (actual: any) => {
      const c = comparable(target, actual);
      return diff(c.desired, c.actual, [...c.owned]).changed;
    };
    expect(of(warned)).toEqual(["options.thresholds.warning", "options.thresholds.warningRecovery"]);
    expect(of(asSet)).toEqual([]);
  });

  it("compares only what the stack sets, at dotted paths from the top", () => {
    expect(diff({ a: "1", b: { c: "2", d: undefined } }, { a: "1", b: { c: "3", d: "x" }, e: "only on the object" })).toEqual({ changed: ["b.c"], unknown: [] });
    expect(diff(undefined, "anything")).toEqual({ changed: [], unknown: [] });
    // an object where the stack sets a block: each field the stack sets is missing
    expect(changed({ spec: { x: "1" } }, { spec: null })).toEqual(["spec.x"]);
    expect(changed({ spec: { x: "1" } }, { spec: "text" })).toEqual(["spec.x"]);
    expect(changed({ spec: { x: "1" } }, {})).toEqual(["spec.x"]);
    // a map the stack owns that the object has as something else: each key the stack sets, nothing more
    expect(changed({ data: { A: "1" } }, { data: "xy" }, ["data"])).toEqual(["data.A"]);
    // a null the stack sets is a value, not a block to walk into
    expect(() => diff({ x: null }, { x: "a" })).not.toThrow();
  });

  it("a value only the plan knows is not compared, and said to be so, alone or in a list", () => {
    expect(diff({ id: UNKNOWN, ids: ["a", UNKNOWN], name: "n" }, { id: "5", ids: ["a", "b"], name: "m" })).toEqual({ changed: ["name"], unknown: ["id", "ids"] });
  });

  it("lists of plain values compare as sets and values as text (the APIs give numbers where Terraform's JSON has strings)", () => {
    expect(changed({ tags: ["b", "a"], priority: "3", ports: ["80", "443"] }, { tags: ["a", "b"], priority: 3, ports: [443, 80] })).toEqual([]);
    expect(changed({ tags: ["a", "b"] }, { tags: ["a", "c"] })).toEqual(["tags"]);
    // as sets of whole values: "ab" and "c" are not "a" and "bc"
    expect(changed({ tags: ["ab", "c"] }, { tags: ["a", "bc"] })).toEqual(["tags"]);
    // null is a plain value too
    expect(changed({ tags: [null, "x"] }, { tags: ["x", null] })).toEqual([]);
    // a list of other length, or no list at all where the stack sets one
    expect(changed({ tags: ["a"] }, { tags: ["a", "a"] })).toEqual(["tags"]);
    expect(changed({ tags: ["a"] }, { tags: "a" })).toEqual(["tags"]);
    expect(changed({ tags: ["a"] }, {})).toEqual(["tags"]);
  });

  it("an empty list the stack sets matches an object without the field, not one with values", () => {
    expect(changed({ bypass_actors: [] }, {})).toEqual([]);
    expect(changed({ bypass_actors: [] }, { bypass_actors: null })).toEqual([]);
    expect(changed({ bypass_actors: [] }, { bypass_actors: [{ actor_id: 5 }] })).toEqual(["bypass_actors"]);
  });

  it("lists of blocks compare block by block, each at its index", () => {
    expect(changed({ rules: [{ a: "1" }, { a: "2" }] }, { rules: [{ a: "1" }, { a: "3" }] })).toEqual(["rules[1].a"]);
    // one block more on the object: the list differs as a whole (the plan removes the extra block)
    expect(changed({ rules: [{ a: "1" }] }, { rules: [{ a: "1" }, { a: "2" }] })).toEqual(["rules"]);
  });

  it("one value of the stack's against a list on the object: its comma-separated values, in any order (Vault's bound_claims)", () => {
    expect(changed({ bound_claims: { ref: "b,a" } }, { bound_claims: { ref: ["a", "b"] } })).toEqual([]);
    expect(changed({ bound_claims: { ref: "a,b" } }, { bound_claims: { ref: ["b", "a"] } })).toEqual([]);
    expect(changed({ bound_claims: { ref: "a" } }, { bound_claims: { ref: ["a", "b"] } })).toEqual(["bound_claims.ref"]);
  });

  it("a field the object lacks is an empty text: the same as an empty value, not as any other", () => {
    expect(changed({ description: "" }, {})).toEqual([]);
    expect(changed({ description: "x" }, {})).toEqual(["description"]);
  });

  it("a map the stack owns is its whole: a key only on the object differs too; in a map it does not own, it does not", () => {
    const desired = { metadata: { labels: { a: "1" } } };
    const actual = { metadata: { labels: { a: "1", b: "2" } } };
    expect(changed(desired, actual, ["metadata.labels"])).toEqual(["metadata.labels.b"]);
    expect(changed(desired, actual)).toEqual([]);
    expect(changed({ data: { A: "1" } }, { data: { A: "1", B: "2" } }, ["data"])).toEqual(["data.B"]);
  });

  it("the label and annotation keys the Kubernetes provider keeps out of state (kubernetes 2.38.0 structures.go isInternalKey)", () => {
    // the provider reads a key's host as url.Parse("//" + key).Hostname(): a key without a "/" is all host
    for (const key of ["kubernetes.io/metadata.name", "node.kubernetes.io/instance-type", "kubectl.kubernetes.io/last-applied-configuration", "deprecated.daemonset.template.generation", "example.kubernetes.io"]) {
      expect([key, isInternalKey(key)]).toEqual([key, true]);
    }
    // app.kubernetes.io and service.beta.kubernetes.io are the user's; with a "/", the host is what is before it
    for (const key of ["app.kubernetes.io/name", "service.beta.kubernetes.io/aws-load-balancer-type", "owner", "example.com/kubernetes.io", "team"]) {
      expect([key, isInternalKey(key)]).toEqual([key, false]);
    }
  });

  it("the table: one line per address, columns padded to their widest cell, the last one not", () => {
    const rows = [
      { address: "kubernetes_config_map_v1.profile", status: "found", importId: "envmatrix-staging/environment-profile", changes: [], notCompared: [], detail: "ConfigMap envmatrix-staging/environment-profile" },
      {
        address: "datadog_monitor.api_cpu",
        status: "found",
        importId: "1001",
        changes: ["options.thresholds.critical", "type (the plan replaces it)"],
        notCompared: [],
        detail: 'monitor "[staging] api CPU"; also 7001 with this name, without managed-by:envmatrix: left alone',
      },
      { address: "github_repository_environment.prod", status: "found", importId: "envmatrix:production", changes: [], notCompared: ["reviewers[0].teams", "reviewers[0].users"], detail: "environment production" },
      { address: "vault_policy.policy", status: "missing", detail: "sys/policies/acl/p: none (the plan creates it)" },
      { address: "vault_policy.gates", status: "denied", detail: "sys/policies/acl/g: not allowed to read it (HTTP 403)" },
      {
        address: "datadog_monitor.api_latency",
        status: "duplicate",
        detail: 'monitor "[staging] api p99 latency": 2 objects have this name (ids 1, 2); none imported: delete or rename all but one, then run adopt again',
      },
    ];
    expect(formatAdoptTable(rows).split("\n")).toEqual([
      "address                             found      import id                              the plan after import changes",
      "kubernetes_config_map_v1.profile    yes        envmatrix-staging/environment-profile  nothing",
      "datadog_monitor.api_cpu             yes        1001                                   options.thresholds.critical, type (the plan replaces it) (also 7001 with this name, without managed-by:envmatrix: left alone)",
      "github_repository_environment.prod  yes        envmatrix:production                   nothing (not compared, known at plan: reviewers[0].teams, reviewers[0].users)",
      "vault_policy.policy                 no         —                                      sys/policies/acl/p: none (the plan creates it)",
      "vault_policy.gates                  denied     —                                      sys/policies/acl/g: not allowed to read it (HTTP 403)",
      'datadog_monitor.api_latency         duplicate  —                                      monitor "[staging] api p99 latency": 2 objects have this name (ids 1, 2); none imported: delete or rename all but one, then run adopt again',
    ]);
  });
});
