/** The rules of the matrix: one row per kind of bad edit, the expected path and rule in the row. */
import { spawnSync } from "node:child_process";
import { run as synthesize } from "../main";
import { matrix as definition } from "../config/environments";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { validateMatrix } from "../config/validate";
import { loadMatrix } from "../config";
import { editableDefinition } from "./helpers";

type Edit = (m: any) => void;

/** [what is broken, the edit, the path and the words of the rule the message must carry] */
const badEdits: Array<[string, Edit, string, RegExp]> = [
  ["environment name not valid for Kubernetes", (m) => { m.environments.Dev_1 = m.environments.dev; delete m.environments.dev; m.promotionOrder[0] = "Dev_1"; }, "environments.Dev_1", /not a valid environment name.*DNS-1123/],
  ["namespace not valid for Kubernetes", (m) => (m.environments.staging.identity.namespace = "Staging_NS"), "environments.staging.identity.namespace", /"Staging_NS" is not a Kubernetes name/],
  ["namespace longer than 63 characters", (m) => (m.environments.dev.identity.namespace = "a".repeat(64)), "environments.dev.identity.namespace", /is not a Kubernetes name.*at most 63/],
  ["two environments sharing a namespace", (m) => (m.environments.staging.identity.namespace = "envmatrix-dev"), "environments.staging.identity.namespace", /"envmatrix-dev" is also dev's \(must be unique/],
  ["two environments sharing a Vault subtree", (m) => (m.environments.hotfix.identity.vaultSubtree = "prod"), "environments.hotfix.identity.vaultSubtree", /"prod" is also prod's \(must be unique: two environments would read each other's secrets\)/],
  ["two environments sharing a GitHub environment", (m) => (m.environments.dev.identity.githubEnvironment = "staging"), "environments.staging.identity.githubEnvironment", /"staging" is also dev's/],
  ["Vault subtree with a slash", (m) => (m.environments.dev.identity.vaultSubtree = "dev/../prod"), "environments.dev.identity.vaultSubtree", /is not a Vault path segment/],
  ["replicas min above max", (m) => (m.environments.prod.replicas = { min: 25, default: 25, max: 20 }), "environments.prod.replicas", /min 25 is more than max 20/],
  ["replicas default outside min..max", (m) => (m.environments.staging.replicas.default = 9), "environments.staging.replicas.default", /9 is outside min\.\.max \(2\.\.5\)/],
  ["replicas not a whole number", (m) => (m.environments.dev.replicas.max = 2.5), "environments.dev.replicas.max", /2\.5 is not a whole number/],
  ["zero replicas", (m) => (m.environments.dev.replicas.min = 0), "environments.dev.replicas.min", /0 is out of range \(must be at least 1\)/],
  ["error-rate threshold above 100%", (m) => (m.environments.dev.alerts.errorRatePercent = 150), "environments.dev.alerts.errorRatePercent", /150 is not a percentage/],
  ["CPU threshold of 0%", (m) => (m.environments.dev.alerts.cpuPercent = 0), "environments.dev.alerts.cpuPercent", /0 is not a percentage/],
  ["SLO of 100% (no error budget)", (m) => (m.environments.prod.slo.availabilityPercent = 100), "environments.prod.slo.availabilityPercent", /100 is not a percentage \(must be above 0 and below 100\)/],
  ["more than 6 reviewers", (m) => (m.environments.prod.approval.reviewers.users = ["a", "b", "c", "d", "e", "f"]), "environments.prod.approval.reviewers", /7 reviewers is more than GitHub's limit of 6/],
  ["wait timer past 43200 minutes", (m) => (m.environments.prod.approval.waitTimerMinutes = 43201), "environments.prod.approval.waitTimerMinutes", /43201 is out of range \(must be between 0 and 43200\)/],
  ["staging alerts looser than dev's", (m) => (m.environments.staging.alerts.errorRatePercent = 10), "environments.staging.alerts.errorRatePercent", /10 is looser than dev's 5 \(thresholds may only get stricter along dev → staging → prod → hotfix\)/],
  ["prod latency threshold looser than staging's", (m) => (m.environments.prod.alerts.latencyMs = 800), "environments.prod.alerts.latencyMs", /800 is looser than staging's 500/],
  ["prod with fewer replicas than staging", (m) => (m.environments.prod.replicas = { min: 1, default: 3, max: 20 }), "environments.prod.replicas.min", /1 is fewer than staging's 2 \(replicas may only grow/],
  ["prod needing fewer approving reviews than staging", (m) => (m.environments.staging.approval.requiredApprovingReviews = 3), "environments.prod.approval.requiredApprovingReviews", /2 is fewer than staging's 3 \(approvals may only grow/],
  ["prod alerting quieter than staging", (m) => { m.environments.prod.alerts.routing = "none"; m.environments.prod.protected = false; }, "environments.prod.alerts.routing", /"none" is quieter than staging's "chat"/],
  ["protected environment without reviewers", (m) => (m.environments.prod.approval.reviewers = { teams: [], users: [] }), "environments.prod.approval.reviewers", /is empty \(a protected environment needs required reviewers\)/],
  ["protected environment admins may bypass", (m) => (m.environments.prod.approval.adminsCanBypass = true), "environments.prod.approval.adminsCanBypass", /cannot be bypassed by admins/],
  ["protected clone deploying from any branch", (m) => (m.environments.hotfix.identity.deployBranches = ["*"]), "environments.hotfix.identity.deployBranches", /deploys only from named branches/],
  ["cluster not in organization.clusters", (m) => (m.environments.dev.cluster = "lab"), "environments.dev.cluster", /"lab" is not a cluster in organization.clusters \(known: nonprod, prod\)/],
  ["clone of an unknown environment", (m) => (m.environments.hotfix.cloneOf = "production"), "environments.hotfix.cloneOf", /"production" is not an environment/],
  ["unknown log level", (m) => (m.environments.dev.runtime.logLevel = "verbose"), "environments.dev.runtime.logLevel", /"verbose" is not one of debug, info, warn, error/],
  ["duplicate service", (m) => m.services.push({ name: "api", team: "payments" }), "services[1].name", /"api" is already the name of services\[0\]/],
  ["service named like the secret sync's account", (m) => m.services.push({ name: "secret-sync", team: "x" }), "services[1].name", /secret sync's service account/],
  ["promotion order naming an unknown environment", (m) => m.promotionOrder.push("qa"), "promotionOrder[4]", /"qa" is not an environment/],
  ["S3 backend with a bad bucket", (m) => (m.environments.prod.backend = { type: "s3", bucket: "Bad_Bucket", region: "eu-west-1", keyPrefix: "x" }), "environments.prod.backend.bucket", /is not an S3 bucket name/],
  ["Vault egress without an address range", (m) => (m.organization.vault.egressCidrs = ["vault.internal"]), "organization.vault.egressCidrs[0]", /"vault.internal" is not a CIDR/],
  ["refresh interval that is not a duration", (m) => (m.environments.staging.secrets.refreshInterval = "hourly"), "environments.staging.secrets.refreshInterval", /"hourly" is not a duration like 15m or 1h/],
  // ESO v1.0.0: an interval of 0 never refreshes once synced; below a minute it reads Vault without pause
  ["refresh interval of 0 (no rotation would ever arrive)", (m) => (m.environments.prod.secrets.refreshInterval = "0s"), "environments.prod.secrets.refreshInterval", /^"0s" is shorter than a minute \(0 stops the refresh for good/],
  ["refresh interval of a millisecond", (m) => (m.environments.staging.secrets.refreshInterval = "1ms"), "environments.staging.secrets.refreshInterval", /^"1ms" is shorter than a minute/],
  ["refresh interval just under a minute, in two units", (m) => (m.environments.dev.secrets.refreshInterval = "59s999ms"), "environments.dev.secrets.refreshInterval", /^"59s999ms" is shorter than a minute/],
  ["protected environment deleting synced Secrets with their ExternalSecret", (m) => (m.environments.prod.secrets.creationPolicy = "Owner"), "environments.prod.secrets.creationPolicy", /keeps its synced Secrets when an ExternalSecret is deleted/],
  ["Vault token living longer than a day", (m) => (m.environments.dev.secrets.vaultTokenTtlSeconds = 7 * 86400), "environments.dev.secrets.vaultTokenTtlSeconds", /604800 is out of range \(must be between 60 and 86400\)/],
  ["KV mount owned by an unknown environment", (m) => (m.organization.vault.kvMountManagedBy = "shared"), "organization.vault.kvMountManagedBy", /"shared" is not an environment/],
  ["protected branch the environment does not deploy from", (m) => (m.environments.staging.identity.protectedBranch = "release"), "environments.staging.identity.protectedBranch", /"release" is not one of deployBranches/],
  ["two environments protecting one branch", (m) => { m.environments.staging.identity.protectedBranch = "main"; }, "environments.prod.identity.protectedBranch", /"main" is also staging's \(must be unique: two stacks would fight over one branch protection\)/],
  ["protected environment allowing force pushes", (m) => (m.environments.prod.approval.allowForcePushes = true), "environments.prod.approval.allowForcePushes", /protected environment's branches take no force pushes/],
  ["protected branch without required checks", (m) => (m.environments.prod.approval.requiredStatusChecks = []), "environments.prod.approval.requiredStatusChecks", /is empty on main \(a protected environment's branch requires the CI checks\)/],
  ["deployment window that never opens", (m) => (m.environments.prod.deploymentWindow.startHour = 16), "environments.prod.deploymentWindow", /startHour 16 is not before endHour 16/],
  ["deployment window in an unknown time zone", (m) => (m.environments.prod.deploymentWindow.timeZone = "Mars/Olympus"), "environments.prod.deploymentWindow.timeZone", /"Mars\/Olympus" is not an IANA time zone/],
  ["cluster CA that is not a PEM certificate", (m) => (m.organization.clusters.prod.caCertificatePem = "MIIB..."), "organization.clusters.prod.caCertificatePem", /is not a PEM certificate/],
  ["sidecars joined by istio-init where Pod Security forbids its capabilities", (m) => (m.organization.serviceMesh.mode = "sidecar-init"), "environments.staging.sidecarInjection", /istio-init needs NET_ADMIN and NET_RAW, which Pod Security baseline forbids/],
  ["an unknown mesh mode", (m) => (m.organization.serviceMesh.mode = "linkerd"), "organization.serviceMesh.mode", /"linkerd" is not one of sidecar-cni, sidecar-init, ambient/],
  ["Pod Security version not pinned to a release", (m) => (m.organization.podSecurityVersion = "1.31"), "organization.podSecurityVersion", /is not a Pod Security Standards version/],
  ["an agent selector that selects everything", (m) => (m.organization.datadog.agent.podLabels = {}), "organization.datadog.agent.podLabels", /a selector must select something/],
  ["Vault address that is not a URL", (m) => (m.organization.vault.address = "vault:8200"), "organization.vault.address", /is not an https URL/],
  ["protected environment allowing self-review", (m) => (m.environments.prod.approval.preventSelfReview = false), "environments.prod.approval.preventSelfReview", /false is not allowed \(a protected environment forbids self-review\)/],
  ["protected environment deleting synced Secrets when a value leaves Vault", (m) => (m.environments.prod.secrets.deletionPolicy = "Delete"), "environments.prod.secrets.deletionPolicy", /"Delete" is not allowed \(a protected environment keeps its synced Secrets when a value leaves Vault: "Retain"\)/],
  ["protected environment that does not page", (m) => (m.environments.prod.alerts.routing = "chat"), "environments.prod.alerts.routing", /"chat" is not allowed \(a protected environment pages on-call\)/],
  ["protected branch taking pull requests without approving reviews", (m) => (m.environments.prod.approval.requiredApprovingReviews = 0), "environments.prod.approval.requiredApprovingReviews", /0 is not allowed .*takes pull requests with approving reviews\)/],
  ["no-data timeframe shorter than twice the evaluation window", (m) => (m.environments.dev.alerts.noDataTimeframeMinutes = 29), "environments.dev.alerts.noDataTimeframeMinutes", /29 is less than twice the evaluation window of 15 minutes \(Datadog's minimum\)/],
  ["protection dropped along the promotion order", (m) => (m.environments.dev.protected = true), "environments.staging.protected", /false while dev is protected \(protection may only be added along dev → staging → prod → hotfix\)/],
  ["canary gate dropped along the promotion order", (m) => (m.environments.dev.canaryGate = { maxErrorRateIncreasePercent: 5, maxLatencyIncreasePercent: 10, minExcessErrors: 10 }), "environments.staging.canaryGate", /is null while dev has a canary gate \(gates may only be added along/],
];

/** Edits at the edge of a rule that the rule must let through: each beside the bad edit one step further. */
const goodEdits: Array<[string, Edit]> = [
  ["a refresh interval of exactly a minute, and one of a minute in seconds and milliseconds", (m) => ((m.environments.dev.secrets.refreshInterval = "1m"), (m.environments.staging.secrets.refreshInterval = "59s1000ms"))],
  ["staging's error-rate threshold equal to dev's (stricter or equal)", (m) => (m.environments.staging.alerts.errorRatePercent = m.environments.dev.alerts.errorRatePercent)],
  ["prod's replicas equal to staging's (grow or stay)", (m) => (m.environments.prod.replicas = { ...m.environments.staging.replicas })],
  ["prod's approving reviews equal to staging's", (m) => (m.environments.prod.approval.requiredApprovingReviews = Math.max(1, m.environments.staging.approval.requiredApprovingReviews))],
  ["prod's priority equal to staging's", (m) => (m.environments.prod.alerts.priority = m.environments.staging.alerts.priority)],
  ["a no-data timeframe of exactly twice the window", (m) => (m.environments.dev.alerts.noDataTimeframeMinutes = 2 * m.environments.dev.alerts.evaluationWindowMinutes)],
  ["staging's evaluation window equal to dev's", (m) => {
    m.environments.staging.alerts.evaluationWindowMinutes = m.environments.dev.alerts.evaluationWindowMinutes;
    m.environments.staging.alerts.noDataTimeframeMinutes = 2 * m.environments.dev.alerts.evaluationWindowMinutes;
  }],
  ["a canary gate added along the promotion order (staging has one, prod keeps its own)", (m) => (m.environments.staging.canaryGate = { maxErrorRateIncreasePercent: 5, maxLatencyIncreasePercent: 10, minExcessErrors: 10 })],
];

describe("the seed matrix", () => {
  it("breaks no rule", () => {
    expect(validateMatrix(editableDefinition())).toEqual([]);
  });

  it("a refused element of a list stops the rules that read the list: one problem, where the bad value is", () => {
    const m = editableDefinition();
    m.promotionOrder[1] = 42;
    // not also "staging is not before prod in the promotion order (dev, 42)" from the rules that read the order
    expect(validateMatrix(m).map((p) => p.path)).toEqual(["promotionOrder[1]"]);
  });
});

describe("a bad matrix edit", () => {
  it.each(badEdits)("%s", (_what, edit, expectedPath, rule) => {
    const m = editableDefinition();
    edit(m);
    const problems = validateMatrix(m);
    expect(problems).toContainEqual({ path: expectedPath, message: expect.stringMatching(rule) });
    // and the loader refuses it with the same words, under the file's name
    expect(() => loadMatrix(m)).toThrow(`  ${expectedPath}: `);
    expect(() => loadMatrix(m)).toThrow(/^config\/environments\.ts: \d+ problems?\n/);
  });

  it("reports an inherited bad value once, on the source, not again on its clone", () => {
    const m = editableDefinition();
    m.environments.prod.runtime.dbPoolSize = 0;
    expect(validateMatrix(m).filter((p) => p.path.endsWith("dbPoolSize"))).toEqual([
      { path: "environments.prod.runtime.dbPoolSize", message: "0 is out of range (must be between 1 and 10000)" },
    ]);
  });
});

describe("a clone that takes its source's deployment window", () => {
  it("has a window that never opens reported once, on the source; one it declares itself on the clone", () => {
    const m = editableDefinition();
    delete m.environments.hotfix.deploymentWindow;
    m.environments.prod.deploymentWindow.startHour = 16;
    expect(validateMatrix(m).map((p) => p.path)).toEqual(["environments.prod.deploymentWindow"]);
    m.environments.hotfix.deploymentWindow = { ...m.environments.prod.deploymentWindow };
    expect(validateMatrix(m).map((p) => p.path)).toEqual(["environments.prod.deploymentWindow", "environments.hotfix.deploymentWindow"]);
  });
});

describe("an edit at the edge of a rule", () => {
  it.each(goodEdits)("%s is accepted", (_what, edit) => {
    const m = editableDefinition();
    edit(m);
    expect(validateMatrix(m)).toEqual([]);
  });
});

describe("several bad edits at once", () => {
  it("are all reported, in one error", () => {
    // Edits that touch different fields, so that none hides another.
    const chosen = badEdits.filter(([what]) =>
      [
        "namespace not valid for Kubernetes",
        "two environments sharing a Vault subtree",
        "replicas min above max",
        "CPU threshold of 0%",
        "more than 6 reviewers",
        "wait timer past 43200 minutes",
        "unknown log level",
        "duplicate service",
        "cluster not in organization.clusters",
        "Vault address that is not a URL",
        "prod latency threshold looser than staging's",
      ].includes(what),
    );
    expect(chosen).toHaveLength(11);
    const m = editableDefinition();
    chosen.forEach(([, edit]) => edit(m));
    const expectedPaths = chosen.map(([, , p]) => p);
    const problems = validateMatrix(m);
    for (const p of expectedPaths) expect(problems.map((x) => x.path)).toContain(p);
    let message = "";
    try {
      loadMatrix(m);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message.split("\n")[0]).toBe(`config/environments.ts: ${problems.length} problems`);
    expect(message.split("\n")).toHaveLength(problems.length + 1);
  });
});

describe("synthesizing a bad matrix", () => {
  const root = path.resolve(__dirname, "..");
  let outdir: string;
  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), "envmatrix-bad-"));
    // An earlier, good synth (main.ts's own run, in this process): what a failed run must leave exactly as it was.
    expect(synthesize(definition, outdir)).toBe(0);
  });
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  const snapshotTree = (dir: string): Record<string, string> =>
    Object.fromEntries(
      (fs.readdirSync(dir, { recursive: true, encoding: "utf8" }) as string[])
        .sort()
        .map((f) => path.join(dir, f))
        .filter((f) => fs.statSync(f).isFile())
        .map((f) => [path.relative(dir, f), `${fs.statSync(f).mtimeMs} ${fs.readFileSync(f, "utf8")}`]),
    );

  it("exits non-zero, lists every problem on stderr, and leaves the earlier cdktf.out untouched", () => {
    const before = snapshotTree(outdir);
    expect(Object.keys(before)).toContain(path.join("stacks", "prod", "cdk.tf.json"));
    const result = spawnSync(process.execPath, ["--require", "tsx/cjs", path.join(__dirname, "fixtures", "synth-bad-matrix.ts")], {
      cwd: root,
      env: { ...process.env, CDKTF_OUTDIR: outdir },
      encoding: "utf8",
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("config/environments.ts: 3 problems");
    expect(result.stderr).toContain("environments.prod.replicas: min 25 is more than max 20");
    expect(result.stderr).toContain("environments.staging.identity.namespace: \"envmatrix-dev\" is also dev's");
    expect(snapshotTree(outdir)).toEqual(before);
  });
});
