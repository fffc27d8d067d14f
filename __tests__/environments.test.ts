/**
 * The seed matrix carries the environment table of DESIGN.md (the seed documents), value for value.
 * The table is typed here again, from the document, so that an edit of config/environments.ts that drifts
 * from the agreed values is seen in review.
 */
import { matrix } from "../config/environments";
import { organization } from "../config/organization";
import { loadMatrix } from "../config";
import { resolveMatrix } from "../config/validate";
import { editableDefinition, seedMatrix } from "./helpers";

const designTable = {
  dev: {
    pod: { cpuMillicores: 500, memoryMiB: 512 },
    replicas: { min: 1, default: 1, max: 3 },
    traffic: { tls: false, rateLimit: false },
    alerts: { errorRatePercent: 5, latencyMs: 2000, cpuPercent: 90, routing: "none" },
    slo: null,
    // the source documents: every environment CACHE_ENABLED; migrations automatic in dev
    runtime: { logLevel: "debug", apiTimeoutSeconds: 30, dbPoolSize: 5, cacheEnabled: true, metricsEnabled: false, alertOnErrors: false, databaseMigrations: "automatic" },
    // DESIGN.md: "reviewed merges only (never an unreviewed branch)"
    deployBranches: ["develop"],
    approvalRequired: false,
    vaultSubtree: "dev",
  },
  staging: {
    pod: { cpuMillicores: 1000, memoryMiB: 1024 },
    replicas: { min: 2, default: 2, max: 5 },
    traffic: { tls: true, rateLimit: true },
    alerts: { errorRatePercent: 1, latencyMs: 500, cpuPercent: 80, routing: "chat" },
    // the source documents: staging's uptime target is 95%, no latency target
    slo: { availabilityPercent: 95, latencyP99Ms: null },
    // migrations automatic with a warning on destructive changes
    runtime: { logLevel: "info", apiTimeoutSeconds: 10, dbPoolSize: 20, cacheEnabled: true, metricsEnabled: false, alertOnErrors: false, databaseMigrations: "automatic-warn-destructive" },
    deployBranches: ["develop", "main"],
    approvalRequired: false,
    vaultSubtree: "staging",
  },
  prod: {
    pod: { cpuMillicores: 2000, memoryMiB: 2048 },
    replicas: { min: 3, default: 3, max: 20 },
    traffic: { tls: true, rateLimit: true },
    alerts: { errorRatePercent: 0.1, latencyMs: 100, cpuPercent: 70, routing: "page" },
    slo: { availabilityPercent: 99.9, latencyP99Ms: 200 },
    // prod also ENABLE_METRICS and ALERT_ON_ERRORS; blue/green migrations with manual confirmation
    runtime: { logLevel: "warn", apiTimeoutSeconds: 5, dbPoolSize: 50, cacheEnabled: true, metricsEnabled: true, alertOnErrors: true, databaseMigrations: "blue-green-manual" },
    deployBranches: ["main"],
    approvalRequired: true,
    vaultSubtree: "prod",
  },
};

describe.each(Object.entries(designTable))("%s carries DESIGN.md's values", (name, row) => {
  const e = seedMatrix.environments[name];
  it.each(["pod", "replicas", "traffic", "slo", "runtime"] as const)("%s", (key) => {
    expect(e[key]).toEqual(row[key]);
  });
  it("alert thresholds and routing", () => {
    const { errorRatePercent, latencyMs, cpuPercent, routing } = e.alerts;
    expect({ errorRatePercent, latencyMs, cpuPercent, routing }).toEqual(row.alerts);
  });
  it("deploy branches and Vault subtree", () => {
    expect(e.identity.deployBranches).toEqual(row.deployBranches);
    expect(e.identity.vaultSubtree).toBe(row.vaultSubtree);
  });
  it(row.approvalRequired ? "approval: required reviewers, no self-review, admins cannot bypass" : "approval: none", () => {
    const reviewers = e.approval.reviewers.teams.length + e.approval.reviewers.users.length;
    if (row.approvalRequired) {
      expect(reviewers).toBeGreaterThan(0);
      expect(e.approval.preventSelfReview).toBe(true);
      expect(e.approval.adminsCanBypass).toBe(false);
    } else expect(reviewers).toBe(0);
  });
});

describe("hotfix", () => {
  it("is written as a clone of prod with its own identity, not as a copy", () => {
    expect(matrix.environments.hotfix).toEqual({
      cloneOf: "prod",
      identity: {
        namespace: "envmatrix-hotfix",
        githubEnvironment: "hotfix",
        vaultSubtree: "hotfix",
        deployBranches: ["hotfix/*"],
        protectedBranch: "hotfix/*",
        branchCreators: [expect.any(String)],
      },
      purpose: expect.any(String),
      deploymentWindow: null,
      entryGates: expect.any(Object),
    });
  });
  it("resolves to prod's values except identity, purpose, the deployment window (emergencies do not wait) and the entry gates (a hotfix does not pass through staging)", () => {
    const { identity: _i, purpose: _p, deploymentWindow: hw, entryGates: hg, ...hotfix } = seedMatrix.environments.hotfix;
    const { identity: _j, purpose: _q, deploymentWindow: pw, entryGates: pg, ...prod } = seedMatrix.environments.prod;
    expect(hotfix).toEqual(prod);
    expect(seedMatrix.environments.hotfix.identity.vaultSubtree).toBe("hotfix");
    expect([hw, pw]).toEqual([null, expect.objectContaining({ days: expect.any(Array) })]);
    // prod's gates name staging, which a hotfix never passes through; the hotfix's own commit is tested instead
    expect([pg.deployedFirstIn, pg.sourceErrorRate?.environment]).toEqual(["staging", "staging"]);
    expect(hg).toEqual({ testPassRatePercent: 95, sourceErrorRate: null, deployedFirstIn: null, requiredChecks: [] });
  });
  it("takes prod's entry gates when it declares none (the setting is the clone's to choose, like its window), which the rules then refuse for it", () => {
    const def = editableDefinition();
    delete (def.environments.hotfix as { entryGates?: unknown }).entryGates;
    expect(resolveMatrix(def).environments.hotfix.entryGates).toEqual(seedMatrix.environments.prod.entryGates);
    // prod's gates want staging to have deployed the commit first: a hotfix/* commit never is
    expect(() => loadMatrix(def)).toThrow(/environments\.hotfix\.identity\.deployBranches: hotfix\/\*: "staging" \(entryGates\.deployedFirstIn\) does not deploy from it/);
  });
});

describe("prod's approval checklist", () => {
  it("is the source documents' ten items", () => {
    expect(seedMatrix.environments.prod.approval.checklist).toEqual([
      "specifications complete",
      "acceptance criteria verified",
      "code reviewed by 2 reviewers",
      "security scan clean",
      "performance benchmarks met",
      "staging tests passed",
      "rollback plan documented",
      "stakeholders notified",
      "on-call ready",
      "change window approved",
    ]);
  });
});

describe("the matrix", () => {
  it("runs the seed documents' service, api, in every environment", () => {
    expect(seedMatrix.services.map((s) => s.name)).toEqual(["api"]);
  });
  it("promotes dev → staging → prod, and holds hotfix (protected) to prod's rules", () => {
    expect(seedMatrix.promotionOrder).toEqual(["dev", "staging", "prod", "hotfix"]);
  });
  it("holds organization settings apart, with no credential among them", () => {
    const keys: string[] = [];
    JSON.stringify(organization, (key, value) => (keys.push(key), value));
    expect(keys.filter((k) => /^(token|password|secret|api_?key|app_?key|private_?key|access_?key|secret_?key)$/i.test(k))).toEqual([]);
  });
});
