/**
 * Stacks split by team (`splitByTeam`, config/stacks.ts, stacks/team-stack.ts): off, nothing changes; on, the
 * environment's own stack keeps what the environment shares and each team's stack holds its services' service
 * accounts, ExternalSecrets, monitors and SLOs, every resource exactly once across them; compare still credits
 * every difference to a matrix field.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Testing, type App } from "cdktf";
import { loadMatrix } from "../config";
import { buildApp, run as synthesize } from "../main";
import { compareEnvironments } from "../review/compare";
import { allTargets, environmentsForBranch } from "../config/promotion";
import { validateMatrix } from "../config/validate";
import { editableDefinition, seedMatrix } from "./helpers";
import { scratchDir, testApp } from "./scratch";

type Json = Record<string, any>;

/** The seed with three services of two teams, budgets with room for them, prod split by team when `split`. */
function matrixWith(split: boolean) {
  const def = editableDefinition();
  def.services = [
    { name: "api", team: "platform" },
    { name: "billing", team: "payments" },
    { name: "ledger", team: "payments" },
  ];
  for (const e of ["dev", "staging", "prod"]) def.environments[e].cost.budgetMonthly *= 4;
  def.environments.prod.splitByTeam = split;
  return def;
}

/** Every stack of a matrix, synthesized in memory, by name. */
function synthAllStacks(def: Json): Record<string, Json> {
  const app = buildApp(testApp() as unknown as App, loadMatrix(def as any));
  return Object.fromEntries(app.node.children.map((s) => [s.node.id, JSON.parse(Testing.synth(s as any))]));
}

/** Resources by address with the namespace written out where the environment stack references it. */
function resourcesOf(stacks: Json[], namespace: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const json of stacks) {
    for (const [type, byName] of Object.entries<Json>(json.resource ?? {})) {
      for (const [name, body] of Object.entries<Json>(byName)) {
        const { "//": _meta, ...rest } = body;
        const address = `${type}.${name}`;
        expect({ address, twice: out.has(address) }).toEqual({ address, twice: false });
        out.set(address, JSON.stringify(rest).split("${kubernetes_namespace_v1.namespace.metadata[0].name}").join(namespace));
      }
    }
  }
  return out;
}

describe("split by team: off", () => {
  it("the seed and a matrix with several teams have one stack per environment and the gates stack, nothing else", () => {
    expect(Object.keys(synthAllStacks(editableDefinition())).sort()).toEqual(["dev", "gates", "hotfix", "prod", "staging"]);
    expect(Object.keys(synthAllStacks(matrixWith(false))).sort()).toEqual(["dev", "gates", "hotfix", "prod", "staging"]);
  });

  it("is the seed's setting in every environment", () => {
    for (const e of Object.values(seedMatrix.environments)) expect(e.splitByTeam).toBe(false);
  });
});

describe("split by team: on in prod (and hotfix, its clone)", () => {
  const off = synthAllStacks(matrixWith(false));
  const on = synthAllStacks(matrixWith(true));
  const ns = seedMatrix.environments.prod.identity.namespace;

  it("one stack per team besides the environment's, named <environment>-<team>; other environments unchanged", () => {
    expect(Object.keys(on).sort()).toEqual(["dev", "gates", "hotfix", "hotfix-payments", "hotfix-platform", "prod", "prod-payments", "prod-platform", "staging"]);
    for (const s of ["dev", "staging"]) expect(JSON.stringify(on[s])).toBe(JSON.stringify(off[s]));
  });

  it("every resource of the unsplit environment exactly once across its stacks, the same but for the namespace named instead of referenced", () => {
    const before = resourcesOf([off.prod], ns);
    const after = resourcesOf([on.prod, on["prod-platform"], on["prod-payments"]], ns);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [address, body] of before) expect({ address, body: after.get(address) }).toEqual({ address, body });
  });

  it("a team's stack holds its own services' service accounts, ExternalSecrets, monitors and SLOs, and nothing of another team", () => {
    const names = (json: Json) => Object.values<Json>(json.resource).flatMap((byName) => Object.keys(byName));
    for (const [team, services, others] of [["payments", ["billing", "ledger"], ["api"]], ["platform", ["api"], ["billing", "ledger"]]] as const) {
      const json = on[`prod-${team}`];
      expect(Object.keys(json.resource).sort()).toEqual(["datadog_monitor", "datadog_service_level_objective", "kubernetes_manifest", "kubernetes_service_account_v1"]);
      for (const s of services) expect(names(json)).toEqual(expect.arrayContaining([`workload_${s}`, `external_secret_${s}`, `${s}_error_rate`]));
      for (const s of others) expect(names(json).filter((n) => n.includes(s))).toEqual([]);
    }
  });

  it("the environment's stack keeps what the environment shares: namespace, network policies, Vault access, SecretStore, quota, limits, profile, dashboard", () => {
    expect(Object.keys(on.prod.resource.kubernetes_service_account_v1)).toEqual(["secret_sync"]);
    expect(Object.keys(on.prod.resource.kubernetes_manifest)).toEqual(["secret_store"]);
    expect(on.prod.resource.datadog_monitor).toBeUndefined();
    expect(Object.keys(on.prod.resource).sort()).toEqual(Object.keys(off.prod.resource).filter((t) => !["datadog_monitor", "datadog_service_level_objective"].includes(t)).sort());
  });

  it("the environment's stack forgets (removed, destroy = false) exactly what its team stacks hold: switching the split on destroys nothing", () => {
    const held = ["prod-platform", "prod-payments"].flatMap((t) => Object.entries<Json>(on[t].resource).flatMap(([type, byName]) => Object.keys(byName).map((n) => `${type}.${n}`)));
    expect(on.prod.removed.map((r: Json) => r.from)).toEqual([...held].sort());
    for (const r of on.prod.removed) expect(r.lifecycle).toEqual({ destroy: false });
    // and exactly what the unsplit stack held that is not there any more
    const unsplit = Object.entries<Json>(off.prod.resource).flatMap(([type, byName]) => Object.keys(byName).map((n) => `${type}.${n}`));
    const kept = Object.entries<Json>(on.prod.resource).flatMap(([type, byName]) => Object.keys(byName).map((n) => `${type}.${n}`));
    expect(on.prod.removed.map((r: Json) => r.from)).toEqual(unsplit.filter((a) => !kept.includes(a)).sort());
    expect(off.prod.removed).toBeUndefined();
    // removed blocks are Terraform 1.7's: the stack says so, where it has them
    expect(on.prod.terraform.required_version).toBe(">= 1.7");
    expect(off.prod.terraform.required_version).toBeUndefined();
  });

  it("the environment's deployer may write what its team stacks hold (one Role in the namespace for all its stacks)", async () => {
    const out = path.join(scratchDir(), "team-rbac-out");
    expect(synthesize(matrixWith(true), out, path.join(scratchDir(), "no-adopt-files"))).toBe(0);
    const { cli } = require("./cli");
    const m = loadMatrix(matrixWith(true) as any);
    const r = await cli(["deployer-rbac", "prod", "--out", out], { loadMatrix: () => m });
    expect(r.code).toBe(0);
    const role = require("yaml").parseAllDocuments(r.stdout).map((d: any) => d.toJS()).find((o: Json) => o.kind === "Role");
    const resources = role.rules.flatMap((rule: Json) => rule.resources);
    expect(resources).toEqual(expect.arrayContaining(["serviceaccounts", "externalsecrets", "secretstores"]));
  });

  it("a split environment's own stack reports no service's deployment: its team stacks report theirs", async () => {
    const { cli } = require("./cli");
    const m = loadMatrix(matrixWith(true) as any);
    const r = await cli(["report-deployment", "prod", "--commit", "0".repeat(40), "--started", "1790000000", "--outcome", "success"], { loadMatrix: () => m });
    expect([r.code, r.stdout.trim()]).toEqual([0, "Datadog: prod is split by team: its team stacks report its services' deployments"]);
  });

  it("a team stack reads the environment's objects by name, never by a reference across stacks, with its own state and only the providers it uses", () => {
    const team = on["prod-payments"];
    expect(JSON.stringify(team)).not.toMatch(/\$\{kubernetes_namespace_v1|\$\{vault_/);
    for (const es of Object.values<Json>(team.resource.kubernetes_manifest)) {
      expect(es.manifest.metadata.namespace).toBe(ns);
      expect(es.manifest.spec.secretStoreRef).toEqual({ name: on.prod.resource.kubernetes_manifest.secret_store.manifest.metadata.name, kind: "SecretStore" });
    }
    expect(Object.keys(team.provider).sort()).toEqual(["datadog", "kubernetes"]);
    expect(team.provider.kubernetes).toEqual(on.prod.provider.kubernetes);
    expect(team.terraform.backend).not.toEqual(on.prod.terraform.backend);
    expect(JSON.stringify(team.terraform.backend)).toContain("prod-payments");
    // a protected environment's team stacks keep their objects as its own stack does
    expect(Object.values<Json>(team.resource.kubernetes_manifest).every((r) => r.lifecycle?.prevent_destroy === true)).toBe(true);
  });

  it("compare staging prod still credits every difference to a matrix field (prod's team stacks compared with it)", () => {
    const m = loadMatrix(matrixWith(true));
    const c = compareEnvironments(m, "staging", "prod");
    expect(c.drift).toEqual([]);
    expect(c.differingFields).toContain("splitByTeam");
    // the namespace named where the team stacks read it: credited to splitByTeam
    const sa = c.differences.find((d) => d.path === "resource.kubernetes_service_account_v1.workload_billing.metadata.namespace")!;
    expect(sa.fields).toContain("environments.prod.splitByTeam");
    // prod's side is read from its team stack (payments' stack holds billing's service account), not absent
    expect([sa.a, sa.b]).toEqual([expect.any(String), expect.any(String)]);
    // and every service's resources are there on prod's side: none of staging's is missing from prod
    const missing = c.differences.filter((d) => d.b === undefined && /\.workload_/.test(d.path));
    expect(missing).toEqual([]);
  });

  it("deploys and plans a team stack right after its environment's, with the environment's GitHub environments", () => {
    const m = loadMatrix(matrixWith(true));
    const targets = environmentsForBranch(m, "main").map((t) => t.environment);
    expect(targets.slice(targets.indexOf("prod"), targets.indexOf("prod") + 3)).toEqual(["prod", "prod-platform", "prod-payments"]);
    const all = allTargets(m);
    const prod = all.find((t) => t.environment === "prod")!;
    for (const t of all.filter((x) => x.environment.startsWith("prod-"))) expect({ ...t, environment: "prod" }).toEqual(prod);
  });

  it("synthesizes with npm run synth's code path, files per stack", () => {
    const out = path.join(scratchDir(), "team-out");
    expect(synthesize(matrixWith(true), out, path.join(scratchDir(), "no-adopt-files"))).toBe(0);
    expect(fs.readdirSync(path.join(out, "stacks")).sort()).toEqual(["dev", "gates", "hotfix", "hotfix-payments", "hotfix-platform", "prod", "prod-payments", "prod-platform", "staging"]);
  });
});

describe("split by team: on in staging (not protected)", () => {
  const staging = (operatorInstalled: boolean) => {
    const def = matrixWith(false);
    def.environments.staging.splitByTeam = true;
    def.environments.staging.secrets.operatorInstalled = operatorInstalled;
    return synthAllStacks(def);
  };
  const withOperator = staging(true);
  const teams = ["staging-payments", "staging-platform"];

  it("its team stacks keep nothing from destroy: prevent_destroy is a protected environment's", () => {
    for (const t of teams) {
      const all = Object.values<Json>(withOperator[t].resource).flatMap((byName) => Object.values<Json>(byName));
      expect(all.some((r) => r.manifest?.kind === "ExternalSecret")).toBe(true);
      expect({ t, guarded: all.filter((r) => r.lifecycle?.prevent_destroy === true).length }).toEqual({ t, guarded: 0 });
    }
  });

  it("without the secret operator: its team stacks sync no secret (no ExternalSecret, no kubernetes_manifest), and still hold their service accounts and monitors", () => {
    const withoutOperator = staging(false);
    for (const t of teams) {
      expect(withoutOperator[t].resource.kubernetes_manifest).toBeUndefined();
      expect(Object.keys(withoutOperator[t].resource).sort()).toEqual(expect.arrayContaining(["datadog_monitor", "kubernetes_service_account_v1"]));
    }
  });
});

describe("team stack names", () => {
  it("a team name the schema refuses gives that one problem: no team stack name is made from it", () => {
    const def = matrixWith(true);
    // a DNS label is at most 63 characters; prod-<this> would also be too long for a stack name
    def.services[0].team = "t".repeat(64);
    expect(validateMatrix(def).map((p) => p.path)).toEqual(["services[0].team"]);
  });

  it("a team stack named like an environment is refused, with the rule", () => {
    const def = matrixWith(true);
    def.services.push({ name: "qa-svc", team: "hotfix" });
    // prod + team "hotfix" would be "prod-hotfix": not taken; an environment named prod-payments would be
    def.environments["prod-payments"] = { ...structuredClone(def.environments.dev), identity: { ...def.environments.dev.identity, namespace: "envmatrix-prod-payments", githubEnvironment: "prod-payments", vaultSubtree: "prod-payments", deployBranches: ["develop"], protectedBranch: null } };
    def.promotionOrder = [...def.promotionOrder, "prod-payments"];
    expect(validateMatrix(def)).toContainEqual({
      path: "environments.prod.splitByTeam",
      message: "team payments's stack would be named prod-payments, which is environment prod-payments (a stack's state and plan are found by its name)",
    });
  });
});
