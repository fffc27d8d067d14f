/**
 * What `npm run adopt` looks for (stacks/adopt-targets.ts), read from plain cdk.tf.json written here, one resource
 * of each adoptable type: where each object lives, its import id in the provider's documented format (each id is
 * also checked against constructs/adopt.ts's IMPORT_ID_FORMAT, from the providers' "Import" sections), the name it
 * is found by when only the API knows its id, and which instances cannot be looked up before plan, with why.
 * And the adopt files as synth reads them (stacks/adopted.ts readAdoptions).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { IMPORT_ID_FORMAT } from "../constructs/adopt";
import { adoptionTargets, configuredImportId, importId, lookupName, type Target } from "../stacks/adopt-targets";
import { readAdoptions } from "../stacks/adopted";
import { scratchDir } from "./scratch";

type Json = Record<string, any>;
const ns = "${kubernetes_namespace_v1.ns.metadata[0].name}";

/** One resource of each adoptable type, every name literal or a reference adopt can resolve. */
const stack: Json = {
  resource: {
    kubernetes_namespace_v1: { ns: { metadata: { name: "shop-qa" }, lifecycle: { prevent_destroy: true } } },
    kubernetes_config_map_v1: { profile: { metadata: { name: "profile", namespace: ns } } },
    kubernetes_manifest: {
      store: { manifest: { apiVersion: "external-secrets.io/v1", kind: "SecretStore", metadata: { name: "vault", namespace: ns } } },
    },
    vault_policy: { read: { name: "shop-qa-read", policy: "path \"kv/data/qa/*\" {}" } },
    vault_kubernetes_auth_backend_role: { role: { backend: "kubernetes-nonprod", role_name: "qa-sync", token_policies: ["${vault_policy.read.name}"] } },
    vault_jwt_auth_backend_role: { deploy: { backend: "github", role_name: "envmatrix-qa-deployer" } },
    datadog_monitor: { errors: { name: "[qa] api errors", query: "q" } },
    datadog_service_level_objective: { slo: { name: "[qa] api availability" } },
    datadog_dashboard_json: { dashboard: { dashboard: JSON.stringify({ title: "[qa] envmatrix", widgets: [] }) } },
    github_repository_environment: { env: { repository: "platform", environment: "qa" } },
    github_repository_environment_deployment_policy: {
      branch: { for_each: '${toset(["release/*","main","main"])}', repository: "platform", environment: "qa", branch_pattern: "${each.value}" },
    },
    github_repository_ruleset: { rules: { repository: "platform", name: "envmatrix: main (qa)" } },
    github_actions_environment_variable: { dd: { repository: "platform", environment: "qa", variable_name: "DD_ENV", value: "qa" } },
  },
};
const target = (address: string): Target => {
  const t = adoptionTargets(stack).targets.find((x) => x.address === address);
  if (!t) throw new Error(`no target ${address}`);
  return t;
};

describe("each adoptable type: where its object lives, and its import id", () => {
  // [address, locator, id the configuration gives (undefined: the API's), id with the API's number, name found by]
  const cases: Array<[string, Json, string | undefined, string, string | undefined]> = [
    ["kubernetes_namespace_v1.ns", { system: "kubernetes", kind: "Namespace", name: "shop-qa" }, "shop-qa", "shop-qa", undefined],
    ["kubernetes_config_map_v1.profile", { system: "kubernetes", kind: "ConfigMap", namespace: "shop-qa", name: "profile" }, "shop-qa/profile", "shop-qa/profile", undefined],
    [
      "kubernetes_manifest.store",
      { system: "kubernetes", kind: "custom", group: "external-secrets.io", version: "v1", plural: "secretstores", namespace: "shop-qa", name: "vault" },
      "apiVersion=external-secrets.io/v1,kind=SecretStore,namespace=shop-qa,name=vault",
      "apiVersion=external-secrets.io/v1,kind=SecretStore,namespace=shop-qa,name=vault",
      undefined,
    ],
    ["vault_policy.read", { system: "vault", kind: "policy", path: "sys/policies/acl/shop-qa-read", name: "shop-qa-read" }, "shop-qa-read", "shop-qa-read", undefined],
    [
      "vault_kubernetes_auth_backend_role.role",
      { system: "vault", kind: "role", path: "auth/kubernetes-nonprod/role/qa-sync", name: "qa-sync" },
      "auth/kubernetes-nonprod/role/qa-sync",
      "auth/kubernetes-nonprod/role/qa-sync",
      undefined,
    ],
    ["vault_jwt_auth_backend_role.deploy", { system: "vault", kind: "role", path: "auth/github/role/envmatrix-qa-deployer", name: "envmatrix-qa-deployer" }, "auth/github/role/envmatrix-qa-deployer", "auth/github/role/envmatrix-qa-deployer", undefined],
    ["datadog_monitor.errors", { system: "datadog", kind: "monitor", name: "[qa] api errors" }, undefined, "4242", "[qa] api errors"],
    ["datadog_service_level_objective.slo", { system: "datadog", kind: "slo", name: "[qa] api availability" }, undefined, "4242", "[qa] api availability"],
    ["datadog_dashboard_json.dashboard", { system: "datadog", kind: "dashboard", name: "[qa] envmatrix" }, undefined, "4242", "[qa] envmatrix"],
    ["github_repository_environment.env", { system: "github", kind: "environment", repository: "platform", environment: "qa" }, "platform:qa", "platform:qa", undefined],
    [
      'github_repository_environment_deployment_policy.branch["main"]',
      { system: "github", kind: "deployment-policy", repository: "platform", environment: "qa", pattern: "main" },
      undefined,
      "platform:qa:4242",
      "qa: main",
    ],
    ["github_repository_ruleset.rules", { system: "github", kind: "ruleset", repository: "platform", name: "envmatrix: main (qa)" }, undefined, "platform:4242", "envmatrix: main (qa)"],
    ["github_actions_environment_variable.dd", { system: "github", kind: "variable", repository: "platform", environment: "qa", name: "DD_ENV" }, "platform:qa:DD_ENV", "platform:qa:DD_ENV", undefined],
  ];

  it.each(cases)("%s", (address, locate, configured, withRemote, name) => {
    const t = target(address);
    expect(t.locate).toStrictEqual(locate); // strictly: a Namespace's locator has no namespace key at all
    expect(configuredImportId(t)).toBe(configured);
    expect(importId(t, { remoteId: 4242 })).toBe(withRemote);
    expect(lookupName(t)).toBe(name);
    // the id is one the provider's import accepts
    expect(IMPORT_ID_FORMAT[t.type].pattern.test(importId(t, { remoteId: t.type === "datadog_dashboard_json" ? "abc-def-ghi" : 4242 }))).toBe(true);
  });

  it("a deployment policy's id carries its environment's name escaped as the provider's Create stores it (url.PathEscape: its Read does not escape it), the environment's and the variable's raw", () => {
    const at = (kind: "deployment-policy" | "environment" | "variable") =>
      importId({ ...target(kind === "deployment-policy" ? 'github_repository_environment_deployment_policy.branch["main"]' : kind === "environment" ? "github_repository_environment.env" : "github_actions_environment_variable.dd"), locate: { system: "github", kind, repository: "platform", environment: "customer/prod env", pattern: "main", name: "DD_ENV" } as any }, { remoteId: 7 });
    expect(at("deployment-policy")).toBe("platform:customer%2Fprod%20env:7");
    // Go's url.PathEscape escapes !'()* and keeps $&+=@ (net/url shouldEscape, encodePathSegment)
    const policy = (environment: string) => importId({ ...target('github_repository_environment_deployment_policy.branch["main"]'), locate: { system: "github", kind: "deployment-policy", repository: "platform", environment, pattern: "main" } }, { remoteId: 7 });
    expect(policy("prod (eu)!*'")).toBe("platform:prod%20%28eu%29%21%2A%27:7");
    expect(policy("a$b&c+d=e@f")).toBe("platform:a$b&c+d=e@f:7");
    expect(at("environment")).toBe("platform:customer/prod env");
    expect(at("variable")).toBe("platform:customer/prod env:DD_ENV");
  });

  it("covers every resource of the stack, in address order: nothing skipped, nothing the stack imports itself", () => {
    const t = adoptionTargets(stack);
    expect(t.targets.length).toBe(cases.length + 1); // the deployment policy's two patterns
    const addresses = t.targets.map((x) => x.address);
    expect(addresses).toEqual([...addresses].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(addresses[0]).toBe("datadog_dashboard_json.dashboard");
    expect([t.skipped, t.adoptedByStack]).toEqual([[], []]);
  });
});

describe("instances and references", () => {
  it("for_each over a literal set: one instance per distinct value, in order, each.value put in", () => {
    const branches = adoptionTargets(stack).targets.filter((t) => t.type === "github_repository_environment_deployment_policy");
    expect(branches.map((t) => [t.address, t.desired.branch_pattern])).toEqual([
      ['github_repository_environment_deployment_policy.branch["main"]', "main"],
      ['github_repository_environment_deployment_policy.branch["release/*"]', "release/*"],
    ]);
  });

  it("a reference to another resource's literal attribute is its value; the resource's own lifecycle, count and for_each are not arguments", () => {
    expect(target("kubernetes_config_map_v1.profile").desired).toEqual({ metadata: { name: "profile", namespace: "shop-qa" } });
    expect(target("vault_kubernetes_auth_backend_role.role").desired.token_policies).toEqual(["shop-qa-read"]);
    expect(target("kubernetes_namespace_v1.ns").desired).toEqual({ metadata: { name: "shop-qa" } });
    expect(Object.keys(target('github_repository_environment_deployment_policy.branch["main"]').desired).sort()).toEqual(["branch_pattern", "environment", "repository"]);
  });

  it("count: one instance per index; a count or for_each only plan knows: skipped, with why", () => {
    const t = adoptionTargets({
      resource: {
        kubernetes_config_map_v1: {
          two: { count: 2, metadata: { name: "two", namespace: "qa" } },
          planned: { count: "${length(var.x)}", metadata: { name: "p", namespace: "qa" } },
          overData: { for_each: "${data.github_team.reviewers}", metadata: { name: "d", namespace: "qa" } },
          notWhole: { for_each: '${toset(["a"])} ', metadata: { name: "w", namespace: "qa" } },
        },
      },
    });
    expect(t.targets.map((x) => x.address)).toEqual(["kubernetes_config_map_v1.two[0]", "kubernetes_config_map_v1.two[1]"]);
    // count is the resource's, not an argument
    expect(t.targets[0].desired).toStrictEqual({ metadata: { name: "two", namespace: "qa" } });
    const why = "its instances are known only at plan (count or for_each over a data source)";
    expect(t.skipped).toEqual(["notWhole", "overData", "planned"].map((n) => ({ address: `kubernetes_config_map_v1.${n}`, why })));
  });

  it("a name only plan knows (a reference it cannot follow, an empty name, no namespace) and a type adopt cannot look up: skipped, with why, in address order", () => {
    const t = adoptionTargets({
      resource: {
        kubernetes_config_map_v1: {
          toData: { metadata: { name: "${data.x.y.name}", namespace: "qa" } },
          toMany: { metadata: { name: "${kubernetes_config_map_v1.counted.metadata[0].name}", namespace: "qa" } },
          counted: { count: 1, metadata: { name: "c", namespace: "qa" } },
          empty: { metadata: { name: "", namespace: "qa" } },
          noNamespace: { metadata: { name: "n" } },
          missing: { metadata: { name: "${kubernetes_config_map_v1.counted.metadata[0].nothing}", namespace: "qa" } },
          self: { metadata: { name: "${kubernetes_config_map_v1.self.metadata[0].name}", namespace: "qa" } },
          each: { for_each: '${toset(["a"])}', metadata: { name: "e", namespace: "qa" } },
          toEach: { metadata: { name: "${kubernetes_config_map_v1.each.metadata[0].name}", namespace: "qa" } },
          nulled: { metadata: null },
          toNull: { metadata: { name: "${kubernetes_config_map_v1.nulled.metadata[0].name}", namespace: "qa" } },
          bare: {},
          // a reference inside other text is interpolation: only plan knows the whole
          prefixed: { metadata: { name: "x-${kubernetes_namespace_v1.ns.metadata[0].name}", namespace: "qa" } },
          suffixed: { metadata: { name: "${kubernetes_namespace_v1.ns.metadata[0].name}-x", namespace: "qa" } },
        },
        kubernetes_namespace_v1: { ns: { metadata: { name: "qa" } } },
        kubernetes_manifest: {
          otherKind: { manifest: { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w", namespace: "qa" } } },
          noVersion: { manifest: { apiVersion: "", kind: "SecretStore", metadata: { name: "w", namespace: "qa" } } },
          noMetadata: { manifest: { apiVersion: "external-secrets.io/v1", kind: "SecretStore" } },
          noNamespace: { manifest: { apiVersion: "external-secrets.io/v1", kind: "SecretStore", metadata: { name: "w" } } },
        },
        vault_policy: { unnamed: { name: "" } },
        vault_kubernetes_auth_backend_role: { noBackend: { backend: "", role_name: "r" } },
        datadog_monitor: { unnamed: { name: "" } },
        datadog_service_level_objective: { unnamed: { name: "" } },
        datadog_dashboard_json: {
          notJson: { dashboard: "{" },
          planned: { dashboard: JSON.stringify({ title: "${var.title}" }) },
        },
        github_repository_environment: { noRepo: { repository: "", environment: "qa" } },
        github_repository_environment_deployment_policy: {
          noPattern: { repository: "platform", environment: "qa", branch_pattern: "" },
          noRepo: { repository: "", environment: "qa", branch_pattern: "main" },
        },
        github_repository_ruleset: { unnamed: { repository: "platform", name: "" } },
        github_actions_environment_variable: {
          unnamed: { repository: "platform", environment: "qa", variable_name: "" },
          noRepo: { repository: "", environment: "qa", variable_name: "DD_ENV" },
        },
        null_resource: { x: {} },
      },
    });
    expect(t.targets.map((x) => x.address)).toEqual(["kubernetes_config_map_v1.counted[0]", 'kubernetes_config_map_v1.each["a"]', "kubernetes_namespace_v1.ns"]);
    const plan = "its name is known only at plan";
    expect(t.skipped).toEqual([
      { address: "datadog_dashboard_json.notJson", why: plan },
      { address: "datadog_dashboard_json.planned", why: plan },
      { address: "datadog_monitor.unnamed", why: plan },
      { address: "datadog_service_level_objective.unnamed", why: plan },
      { address: "github_actions_environment_variable.noRepo", why: plan },
      { address: "github_actions_environment_variable.unnamed", why: plan },
      { address: "github_repository_environment.noRepo", why: plan },
      { address: "github_repository_environment_deployment_policy.noPattern", why: plan },
      { address: "github_repository_environment_deployment_policy.noRepo", why: plan },
      { address: "github_repository_ruleset.unnamed", why: plan },
      ...["bare", "empty", "missing", "noNamespace", "nulled", "prefixed", "self", "suffixed", "toData", "toEach", "toMany", "toNull"].map((n) => ({ address: `kubernetes_config_map_v1.${n}`, why: plan })),
      { address: "kubernetes_manifest.noMetadata", why: plan },
      { address: "kubernetes_manifest.noNamespace", why: plan },
      { address: "kubernetes_manifest.noVersion", why: plan },
      { address: "kubernetes_manifest.otherKind", why: plan },
      { address: "null_resource.x", why: "adopt does not look up null_resource" },
      { address: "vault_kubernetes_auth_backend_role.noBackend", why: plan },
      { address: "vault_policy.unnamed", why: plan },
    ]);
  });

  it("what the stack imports itself (its own import blocks) is listed apart, not looked up", () => {
    const t = adoptionTargets({ ...stack, import: [{ to: "kubernetes_namespace_v1.ns", id: "shop-qa" }, { to: "kubernetes_config_map_v1.profile", id: "shop-qa/profile" }] });
    expect(t.adoptedByStack).toEqual(["kubernetes_config_map_v1.profile", "kubernetes_namespace_v1.ns"]);
    expect(t.targets.map((x) => x.address)).not.toContain("kubernetes_namespace_v1.ns");
  });

  it("a stack without resources: nothing", () => {
    expect(adoptionTargets({})).toEqual({ targets: [], adoptedByStack: [], skipped: [] });
  });
});

describe("the adopt files as synth reads them (readAdoptions)", () => {
  const dirWith = (files: Record<string, string>) => {
    const dir = fs.mkdtempSync(path.join(scratchDir(), "adopted-"));
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    return dir;
  };

  it("no folder: no adoptions; only .json files are read, by stack name, a name kept where given", () => {
    expect(readAdoptions(path.join(scratchDir(), "no-such-folder"))).toEqual({});
    const dir = dirWith({
      "dev.json": JSON.stringify({ import: [{ to: "a.b", id: "x" }, { to: "c.d", id: "7", name: "[dev] errors" }] }),
      "README.md": "not an adopt file",
      "dev.json.bak": "{",
    });
    // strictly: an entry without a name has no name key (undefined would be written as nothing, and compared as such)
    expect(readAdoptions(dir)).toStrictEqual({ dev: [{ to: "a.b", id: "x" }, { to: "c.d", id: "7", name: "[dev] errors" }] });
  });

  it("every problem of every file at once, each naming the file and the entry", () => {
    const dir = dirWith({
      "a.json": "{ not json",
      "b.json": JSON.stringify({ imports: [] }),
      "c.json": JSON.stringify({ import: [{ to: "", id: 3 }, { to: "x.y", id: "i", name: 5 }, null] }),
    });
    let problems: string[] = [];
    try {
      readAdoptions(dir);
    } catch (err) {
      problems = (err as Error).message.split("\n").filter((l) => /^\s+\S+\.json: /.test(l)).map((l) => l.trim());
    }
    expect(problems).toEqual([
      expect.stringMatching(/^a\.json: \(file\): is not JSON \(/),
      "b.json: import: must be a list of { to, id } (the file npm run adopt writes)",
      "c.json: import[0].to: must be a resource address, e.g. kubernetes_config_map_v1.profile",
      "c.json: import[0].id: must be the object's import id (a non-empty string)",
      "c.json: import[1].name: must be the name adopt found the object by (a string)",
      "c.json: import[2].to: must be a resource address, e.g. kubernetes_config_map_v1.profile",
      "c.json: import[2].id: must be the object's import id (a non-empty string)",
    ]);
  });
});

describe("an adopt file's entries against a small stack (applyAdoptions)", () => {
  const { App, TerraformStack, TerraformIterator, Testing } = require("cdktf") as typeof import("cdktf");
  const { KubernetesProvider } = require("@cdktf/provider-kubernetes/lib/provider") as typeof import("@cdktf/provider-kubernetes/lib/provider");
  const { ConfigMapV1 } = require("@cdktf/provider-kubernetes/lib/config-map-v1") as typeof import("@cdktf/provider-kubernetes/lib/config-map-v1");
  const { Manifest } = require("@cdktf/provider-kubernetes/lib/manifest") as typeof import("@cdktf/provider-kubernetes/lib/manifest");
  const { DataGithubTeam } = require("@cdktf/provider-github/lib/data-github-team") as typeof import("@cdktf/provider-github/lib/data-github-team");
  const { applyAdoptions } = require("../stacks/adopted") as typeof import("../stacks/adopted");

  /** A stack with a single ConfigMap, thirteen counted ones, ones per team member (a data source), and a SecretStore. */
  const small = () => {
    const stack = new TerraformStack(new App({ outdir: path.join(scratchDir(), "adopt-small"), skipValidation: true }), "qa");
    new KubernetesProvider(stack, "kubernetes", {});
    new ConfigMapV1(stack, "profile", { metadata: { name: "profile", namespace: "shop-qa" } });
    new ConfigMapV1(stack, "many", { count: 13, metadata: { name: "many-${count.index}", namespace: "shop-qa" } });
    const team = new DataGithubTeam(stack, "team", { slug: "payments" });
    new ConfigMapV1(stack, "perMember", { forEach: TerraformIterator.fromList(team.members), metadata: { name: "m", namespace: "shop-qa" } });
    new Manifest(stack, "store", { manifest: { apiVersion: "external-secrets.io/v1", kind: "SecretStore", metadata: { name: "vault", namespace: "shop-qa" } } });
    return stack;
  };
  const problemsOf = (entries: { to: string; id: string; name?: string }[]): string[] => {
    try {
      applyAdoptions(small(), entries);
      return [];
    } catch (err) {
      return (err as Error).message.split("\n").slice(1).map((l) => l.trim());
    }
  };

  it("refuses what is not a resource address, whole: a type alone, text before or after", () => {
    expect(problemsOf([
      { to: "kubernetes_config_map_v1", id: "shop-qa/profile" },
      { to: "x kubernetes_config_map_v1.profile", id: "shop-qa/profile" },
      { to: 'kubernetes_config_map_v1.many[1] x', id: "shop-qa/many-1" },
    ])).toEqual([0, 1, 2].map((i) => expect.stringMatching(new RegExp(`^import\\[${i}\\]\\.to: .* is not a resource address \\(type\\.name, type\\.name\\[0\\] or type\\.name\\["key"\\]\\)$`))));
  });

  it("takes an index of any length, and an instance only plan knows (for_each over a data source) as it is", () => {
    const stack = small();
    applyAdoptions(stack, [
      { to: "kubernetes_config_map_v1.many[12]", id: "shop-qa/many-12" },
      { to: 'kubernetes_config_map_v1.perMember["octocat"]', id: "shop-qa/m" },
    ]);
    expect(JSON.parse(Testing.synth(stack)).import).toEqual([
      { to: "kubernetes_config_map_v1.many[12]", id: "shop-qa/many-12" },
      { to: 'kubernetes_config_map_v1.perMember["octocat"]', id: "shop-qa/m" },
    ]);
  });

  it("refuses a manifest's id naming another object, whatever the order of its parts", () => {
    expect(problemsOf([{ to: "kubernetes_manifest.store", id: "name=vault,namespace=shop-prod,kind=SecretStore,apiVersion=external-secrets.io/v1" }])).toEqual([
      expect.stringMatching(/^import\[0\]\.id: "name=vault,namespace=shop-prod,.*" is not this stack's object: the stack's is apiVersion=external-secrets\.io\/v1,kind=SecretStore,namespace=shop-qa,name=vault /),
    ]);
    expect(problemsOf([{ to: "kubernetes_manifest.store", id: "namespace=shop-qa,name=vault,apiVersion=external-secrets.io/v1,kind=SecretStore" }])).toEqual([]);
  });

  it("an empty file adds nothing", () => {
    const stack = small();
    applyAdoptions(stack, []);
    expect(JSON.parse(Testing.synth(stack)).import).toBeUndefined();
  });
});
