/**
 * The deployment report after an apply (deploy.yml's "Report the deployment" step, run with its exact words)
 * against a fake Datadog on 127.0.0.1: on success a DORA deployment and an event per service; on a failed apply an
 * event only; with Datadog down or unreachable, lines that say so and exit 0: the deploy is never failed by it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { datadogHandler, type DatadogState } from "./fakes/platform";
import { startFake, type Fake } from "./fakes/server";
import { seedMatrix } from "./helpers";
import { cli } from "./cli";
import { scratchDir } from "./scratch";
import { argv, invocations } from "./workflow-invocations";

type Json = Record<string, any>;
const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const STARTED = 1_790_000_000; // seconds, as `date -u +%s` writes them
let dd: DatadogState;
let fake: Fake;
const saved = { ...process.env };

beforeAll(async () => {
  fake = await startFake((r) => datadogHandler(dd)(r));
});
beforeEach(() => {
  dd = { apiKey: "fake-dd-api-key", appKey: "fake-dd-app-key", refuse: [], pagerduty: [], slack: {}, webhooks: [], doraDeployments: [], events: [] };
  Object.assign(process.env, { DD_HOST: fake.url, DD_API_KEY: "fake-dd-api-key" });
});
afterEach(() => {
  for (const k of ["DD_HOST", "DD_API_KEY"]) delete process.env[k];
  Object.assign(process.env, saved);
});
afterAll(async () => fake.close());

/**
 * The apply step's RUNNER_TEMP, where it leaves the applied plan as `terraform show -json` prints it
 * (format_version, resource_changes[].change.actions: Terraform's JSON output format; review/plan-summary.ts reads
 * it, checked there against real plans): one object updated unless a test writes another.
 */
let runnerTemp: string;
function writeAppliedPlan(changes: ReadonlyArray<readonly [address: string, actions: readonly string[], importing?: string]>): void {
  const resourceChanges = changes.map(([address, actions, importing]) => ({
    address,
    mode: address.startsWith("data.") ? "data" : "managed",
    change: { actions, ...(importing ? { importing: { id: importing } } : {}) },
  }));
  fs.writeFileSync(path.join(runnerTemp, "applied-plan.json"), JSON.stringify({ format_version: "1.2", terraform_version: "1.11.4", resource_changes: resourceChanges }));
}
beforeEach(() => {
  runnerTemp = fs.mkdtempSync(path.join(scratchDir(), "runner-"));
  writeAppliedPlan([["kubernetes_config_map_v1.profile", ["update"]]]);
});
/** The report step's variables, as the apply job sets them. */
const stepVars = (stack: string, outcome: string) => ({ STACK: stack, SHA: COMMIT, APPLY_STARTED: String(STARTED), OUTCOME: outcome, RUN_URL: "https://github.com/example-org/envmatrix/actions/runs/1", RUNNER_TEMP: runnerTemp });

const step = () => parse(fs.readFileSync(path.join(__dirname, "..", ".github", "workflows", "deploy.yml"), "utf8")).jobs.apply.steps.find((s: Json) => String(s.run ?? "").includes("report-deployment"));
/** The step's command, bound as the workflow binds it. */
async function reportAs(stack: string, outcome: string) {
  const [inv] = invocations().filter((i) => i.workflow === "deploy.yml" && i.script === "report-deployment");
  return cli(argv(inv, stepVars(stack, outcome)));
}

describe("deploy.yml's report step", () => {
  it("runs after the apply whatever its outcome, cannot fail the job, and writes its lines to the job summary", () => {
    const s = step();
    expect(s.if).toBe("always() && steps.apply.outcome != 'skipped'");
    expect(s["continue-on-error"]).toBe(true);
    expect(s.env.OUTCOME).toBe("${{ steps.apply.outcome == 'success' && 'success' || 'failure' }}");
    expect(s.run).toMatch(/\| tee -a "\$GITHUB_STEP_SUMMARY"$/);
    // the only key it holds is the API key the deployment's Datadog provider holds anyway
    expect(Object.keys(s.env).filter((k) => k.startsWith("DD_"))).toEqual(["DD_API_KEY"]);
  });
});

describe("a successful apply", () => {
  it("sends a DORA deployment per service: service, env, team, start and finish in nanoseconds, the commit and repository", async () => {
    const r = await reportAs("prod", "success");
    expect(r.code).toBe(0);
    const { owner, repository } = seedMatrix.organization.github;
    expect((dd.doraDeployments as Json[]).map((b) => b.data.attributes)).toEqual(
      seedMatrix.services.map((s) => ({
        service: s.name,
        env: "prod",
        team: s.team,
        started_at: STARTED * 1e9,
        finished_at: expect.any(Number),
        git: { commit_sha: COMMIT, repository_url: `https://github.com/${owner}/${repository}` },
        custom_tags: ["deployment_type:infrastructure", "managed-by:envmatrix"],
        id: `envmatrix-prod-${s.name}-${COMMIT.slice(0, 12)}`,
      })),
    );
    // no --finished (the workflow gives none): the time of the report, now
    for (const b of dd.doraDeployments as Json[]) expect(b.data.attributes.finished_at).toBeGreaterThanOrEqual(STARTED * 1e9);
    for (const b of dd.doraDeployments as Json[]) expect(Math.abs(b.data.attributes.finished_at / 1e9 - Date.now() / 1000)).toBeLessThan(600);
    expect(r.stdout.split("\n").filter(Boolean)).toEqual(seedMatrix.services.flatMap((s) => [`Datadog: DORA deployment of ${s.name} in prod reported`, `Datadog: deployment event of ${s.name} in prod (success) reported`]));
  });

  it("a DORA deployment id stays within Datadog's 16 to 128 characters for the longest names the matrix allows, one per environment and service", () => {
    const { doraDeploymentId } = require("../review/deployment-report") as typeof import("../review/deployment-report");
    const [env63, service50] = ["e".repeat(63), "s".repeat(50)];
    const long = doraDeploymentId(env63, service50, COMMIT);
    expect(long.length).toBeGreaterThanOrEqual(16);
    expect(long.length).toBeLessThanOrEqual(128);
    expect(long.endsWith(COMMIT.slice(0, 12))).toBe(true);
    // the same pair the same id (a re-run is one deployment); another pair another
    expect(doraDeploymentId(env63, service50, COMMIT)).toBe(long);
    expect(doraDeploymentId(env63, `${"s".repeat(49)}t`, COMMIT)).not.toBe(long);
    expect(doraDeploymentId("prod", "api", COMMIT)).toBe(`envmatrix-prod-api-${COMMIT.slice(0, 12)}`);
  });

  it("sends an event per service with the tags the environment's dashboard counts and lists", async () => {
    await reportAs("staging", "success");
    expect((dd.events as Json[]).map((e) => e.tags)).toEqual(
      seedMatrix.services.map((s) => ["env:staging", "deployment", "managed-by:envmatrix", `service:${s.name}`, `team:${s.team}`, "outcome:success"]),
    );
    for (const e of dd.events as Json[]) expect([e.alert_type, e.source_type_name, e.date_happened > STARTED]).toEqual(["success", "envmatrix", true]);
    // the dashboard's deployment widgets search exactly these tags
    const dashboard = Object.values<Json>(JSON.parse(require("./helpers").synthEnvironment("staging").json).resource.datadog_dashboard_json)[0].dashboard;
    expect(dashboard).toContain('"query_string":"tags:env:staging tags:deployment tags:managed-by:envmatrix"');
  });

  it("a re-run of the job reports the same deployment again: the same id", async () => {
    await reportAs("prod", "success");
    await reportAs("prod", "success");
    const ids = (dd.doraDeployments as Json[]).map((b) => b.data.attributes.id);
    expect(ids.slice(0, ids.length / 2)).toEqual(ids.slice(ids.length / 2));
  });
});

describe("a failed apply", () => {
  it("sends the event, as a failure (the dashboard's success rate counts it), and no DORA deployment: nothing was deployed", async () => {
    const r = await reportAs("prod", "failure");
    expect(r.code).toBe(0);
    expect(dd.doraDeployments).toEqual([]);
    expect((dd.events as Json[]).map((e) => [e.alert_type, e.tags.includes("outcome:failure")])).toEqual(seedMatrix.services.map(() => ["error", true]));
  });
});

describe("an apply of a plan that changes no object", () => {
  it("is no DORA deployment (deployment frequency would count it); its events say changes:none (the success rate counts every apply)", async () => {
    // imports as they are, forgets, reads and unchanged objects: the state changes, no object does
    writeAppliedPlan([
      ["kubernetes_config_map_v1.profile", ["no-op"]],
      ["kubernetes_namespace_v1.namespace", ["no-op"], "envmatrix-prod"],
      ["kubernetes_manifest.old", ["forget"]],
      ["data.vault_policy_document.read", ["read"]],
    ]);
    const r = await reportAs("prod", "success");
    expect([r.code, dd.doraDeployments]).toEqual([0, []]);
    expect((dd.events as Json[]).map((e) => [e.alert_type, e.tags.filter((t: string) => /^(service|outcome|changes):/.test(t))])).toEqual(
      seedMatrix.services.map((s) => ["success", [`service:${s.name}`, "outcome:success", "changes:none"]]),
    );
    expect(r.stdout.split("\n").filter(Boolean)).toEqual(
      seedMatrix.services.flatMap((s) => [`Datadog: no DORA deployment of ${s.name} in prod: the applied plan changed no object`, `Datadog: deployment event of ${s.name} in prod (success) reported`]),
    );
  });

  it("any one object created, updated, replaced or deleted is a deployment, its events without changes:none", async () => {
    for (const actions of [["create"], ["update"], ["delete", "create"], ["create", "delete"], ["delete"]]) {
      dd.doraDeployments = [];
      dd.events = [];
      writeAppliedPlan([
        ["kubernetes_config_map_v1.profile", ["no-op"]],
        ["datadog_monitor.api_latency", actions],
      ]);
      await reportAs("prod", "success");
      const tagged = (dd.events as Json[]).filter((e) => e.tags.includes("changes:none")).length;
      expect({ actions, reported: (dd.doraDeployments as Json[]).length, tagged }).toEqual({ actions, reported: seedMatrix.services.length, tagged: 0 });
    }
  });

  it("failed: a failed deployment's events, as always (the plan is not read)", async () => {
    writeAppliedPlan([["kubernetes_config_map_v1.profile", ["no-op"]]]);
    const r = await reportAs("prod", "failure");
    expect(dd.doraDeployments).toEqual([]);
    expect((dd.events as Json[]).map((e) => [e.alert_type, e.tags.includes("changes:none")])).toEqual(seedMatrix.services.map(() => ["error", false]));
    expect(r.stdout).not.toContain("changed no object");
  });

  it("a plan file the step could not write or that is not a plan: reported as a deployment, saying why without quoting the file", async () => {
    fs.rmSync(path.join(runnerTemp, "applied-plan.json"));
    const file = path.join(runnerTemp, "applied-plan.json");
    const missing = await reportAs("prod", "success");
    expect(missing.stdout.split("\n")[0]).toBe(`Datadog: the applied plan (${file}) could not be read (ENOENT): reported as a deployment`);
    expect((dd.doraDeployments as Json[]).length).toBe(seedMatrix.services.length);
    for (const [content, why] of [
      ["{}", "prod: not the output of terraform show -json (no format_version)"],
      // cut short where a value stood: the parser's own message would quote the text around the error
      ['{"format_version":"1.2","planned_values":{"x":"a-secret-value', "not JSON"],
    ]) {
      fs.writeFileSync(file, content);
      dd.doraDeployments = [];
      const r = await reportAs("prod", "success");
      expect(r.stdout.split("\n")[0]).toBe(`Datadog: the applied plan (${file}) could not be read (${why}): reported as a deployment`);
      expect(r.stdout).not.toContain("a-secret-value");
      expect((dd.doraDeployments as Json[]).length).toBe(seedMatrix.services.length);
    }
  });

  it("without --plan (a hand-run report): a deployment, with no line about a plan", async () => {
    const r = await cli(["report-deployment", "prod", "--commit", COMMIT, "--started", String(STARTED), "--outcome", "success"]);
    expect(r.code).toBe(0);
    expect((dd.doraDeployments as Json[]).length).toBe(seedMatrix.services.length);
    expect(r.stdout).not.toContain("plan");
  });
});

describe("deploy.yml's apply step keeps the plan's changes for the report", () => {
  const apply = () => parse(fs.readFileSync(path.join(__dirname, "..", ".github", "workflows", "deploy.yml"), "utf8")).jobs.apply.steps.find((s: Json) => s.id === "apply");
  const SHOW = '( set -o pipefail; terraform -chdir=plan show -json tfplan | jq -c "$PLAN_CHANGES" > "$RUNNER_TEMP/applied-plan.json" ) || rm -f "$RUNNER_TEMP/applied-plan.json"';

  it("after init, before the apply; a failure to write it never stops the apply; the report reads that file", () => {
    const lines = String(apply().run).split("\n").map((l: string) => l.trim());
    const show = lines.indexOf(SHOW);
    const init = lines.findIndex((l: string) => l.startsWith("terraform -chdir=plan init"));
    const applyLine = lines.findIndex((l: string) => l.startsWith("terraform -chdir=plan apply"));
    expect([init >= 0, init < show, show < applyLine]).toEqual([true, true, true]);
    expect(step().run).toContain('--plan "$RUNNER_TEMP/applied-plan.json"');
  });

  const { onPath, terraformBinary, tf } = require("./fixtures/real-plan");
  const terraform = terraformBinary();
  const jq = onPath("jq");
  if (!terraform || !jq) console.warn(`deployment-report.test: no ${!terraform ? "terraform" : "jq"} binary on PATH: the real plan through the step's jq filter is skipped`);
  (terraform && jq ? it : it.skip)("the step's jq filter, on a real terraform show -json: the same changes, no value (a sensitive one included)", () => {
    const { execFileSync } = require("node:child_process");
    const os = require("node:os");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envmatrix-applied-plan-"));
    try {
      const config = (input: string) =>
        fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify({ resource: { terraform_data: { kept: { input: "same" }, changed: { input: `\${sensitive("${input}")}` } } } }));
      config("first-secret-value");
      tf(dir, "init", "-input=false");
      tf(dir, "apply", "-input=false", "-auto-approve");
      config("second-secret-value");
      tf(dir, "plan", "-input=false", "-out=tfplan");
      const full = tf(dir, "show", "-json", "tfplan");
      expect(full).toContain("second-secret-value"); // what the filter is for
      const filter = apply().env.PLAN_CHANGES;
      const kept = execFileSync("jq", ["-c", filter], { input: full, encoding: "utf8" });
      expect(kept).not.toMatch(/secret-value/);
      const { summarizePlan } = require("../review/plan-summary");
      expect(summarizePlan("prod", JSON.parse(kept), true)).toEqual(summarizePlan("prod", JSON.parse(full), true));
      expect(summarizePlan("prod", JSON.parse(kept), true).counts.update).toBe(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("Datadog not answering never fails the deploy", () => {
  it("down (HTTP 503): exit 0, and each line says what was not reported", async () => {
    dd.down = true;
    const r = await reportAs("prod", "success");
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n").filter(Boolean);
    expect(lines.length).toBe(seedMatrix.services.length * 2);
    for (const l of lines) expect(l).toMatch(/NOT reported \(HTTP 503[^)]*\); the deploy itself is unaffected$/);
  });

  it("unreachable: exit 0, the reason in each line", async () => {
    process.env.DD_HOST = "http://127.0.0.1:9";
    const r = await reportAs("prod", "success");
    expect(r.code).toBe(0);
    for (const l of r.stdout.split("\n").filter(Boolean)) expect(l).toMatch(/NOT reported \(.*(ECONNREFUSED|connect).*\); the deploy itself is unaffected$/);
  });

  it("no API key: one line, exit 0", async () => {
    delete process.env.DD_API_KEY;
    const r = await reportAs("prod", "success");
    expect([r.code, r.stdout.trim()]).toEqual([0, "Datadog: deployment of prod not reported: no DD_API_KEY (the deploy itself is unaffected)"]);
  });

  it("the gates stack runs no service: nothing to report", async () => {
    const r = await reportAs("gates", "success");
    expect([r.code, r.stdout.trim(), dd.events]).toEqual([0, "Datadog: gates runs no service: no deployment to report", []]);
  });
});

describe("a team stack (prod split by team)", () => {
  it("reports its own team's services, in its environment", async () => {
    const { loadMatrix } = require("../config");
    const m = loadMatrix(require("./helpers").twoTeamsDefinition());
    const [inv] = invocations().filter((i) => i.workflow === "deploy.yml" && i.script === "report-deployment");
    const r = await cli(argv(inv, stepVars("prod-payments", "success")), { loadMatrix: () => m });
    expect(r.code).toBe(0);
    expect((dd.doraDeployments as Json[]).map((b) => [b.data.attributes.service, b.data.attributes.env])).toEqual([["billing", "prod"]]);
    expect((dd.events as Json[]).map((e) => e.tags.filter((t: string) => /^(service|env):/.test(t)))).toEqual([["env:prod", "service:billing"]]);
  });

  it("the environment's own stack: a success is its team stacks' to report; a failure it reports itself, for every service (fail-fast cancels the team stacks before they report)", async () => {
    const { loadMatrix } = require("../config");
    const m = loadMatrix(require("./helpers").twoTeamsDefinition());
    const [inv] = invocations().filter((i) => i.workflow === "deploy.yml" && i.script === "report-deployment");
    const report = (outcome: string) => cli(argv(inv, stepVars("prod", outcome)), { loadMatrix: () => m });
    const ok = await report("success");
    expect([ok.code, dd.events, dd.doraDeployments]).toEqual([0, [], []]);
    const failed = await report("failure");
    expect(failed.code).toBe(0);
    expect((dd.events as Json[]).map((e) => [e.tags.find((t: string) => t.startsWith("service:")), e.tags.find((t: string) => t.startsWith("outcome:"))])).toEqual([
      ["service:api", "outcome:failure"],
      ["service:billing", "outcome:failure"],
    ]);
    // a failed apply deployed nothing: no DORA deployment
    expect(dd.doraDeployments).toEqual([]);
  });
});

describe("the times it is given", () => {
  const args = (...times: string[]) => ["report-deployment", "staging", "--commit", COMMIT, "--outcome", "success", ...times];
  it("--finished, in seconds since the epoch, is the deployment's finish", async () => {
    const r = await cli(args("--started", String(STARTED), "--finished", String(STARTED + 90)));
    expect(r.code).toBe(0);
    for (const b of dd.doraDeployments as Json[]) expect([b.data.attributes.started_at, b.data.attributes.finished_at]).toEqual([STARTED * 1e9, (STARTED + 90) * 1e9]);
  });
  it.each([["--started", "12x"], ["--started", "x12"], ["--finished", "1.5"]])("%s %s is not seconds since the epoch: refused, nothing sent", async (flag, value) => {
    const times = flag === "--started" ? [flag, value] : ["--started", String(STARTED), flag, value];
    const r = await cli(args(...times));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${flag} ${value}: not seconds since the epoch (date -u +%s)`);
    expect(dd.doraDeployments).toEqual([]);
  });
});

describe("what each event and line says", () => {
  const run = "https://github.com/example-org/envmatrix/actions/runs/1";
  it("a success: the title says so with the commit's first 12 characters, the text names the commit and the run", async () => {
    await reportAs("staging", "success");
    expect((dd.events as Json[]).map((e) => [e.title, e.text])).toEqual(
      seedMatrix.services.map(() => [`Deployed staging: succeeded (${COMMIT.slice(0, 12)})`, `envmatrix applied the staging stack at ${COMMIT} (${run}): success.`]),
    );
  });
  it("a failure: the same, failed", async () => {
    await reportAs("prod", "failure");
    expect((dd.events as Json[]).map((e) => [e.title, e.text])).toEqual(seedMatrix.services.map(() => [`Deployed prod: failed (${COMMIT.slice(0, 12)})`, `envmatrix applied the prod stack at ${COMMIT} (${run}): failure.`]));
  });
  // the client reads Datadog's errors only for the statuses each endpoint declares: 403 for POST /api/v2/dora/deployment,
  // only 400 and 429 for POST /api/v1/events (@datadog/datadog-api-client's DORAMetricsApi and EventsApi)
  it("refused (HTTP 403) or down (HTTP 503): each line names the status, and Datadog's errors where the client reads them", async () => {
    process.env.DD_API_KEY = "not-the-key";
    const refused = await reportAs("prod", "success");
    dd.down = true;
    process.env.DD_API_KEY = dd.apiKey;
    const down = await reportAs("prod", "success");
    const lines = (dora: string, event: string) =>
      seedMatrix.services.flatMap((s) => [
        `Datadog: DORA deployment of ${s.name} in prod NOT reported (${dora}); the deploy itself is unaffected`,
        `Datadog: deployment event of ${s.name} in prod NOT reported (${event}); the deploy itself is unaffected`,
      ]);
    expect([refused.stdout.split("\n").filter(Boolean), down.stdout.split("\n").filter(Boolean)]).toEqual([lines("HTTP 403: Forbidden", "HTTP 403"), lines("HTTP 503", "HTTP 503")]);
  });
});

describe("reportDeployment itself", () => {
  const { reportDeployment } = require("../review/deployment-report");
  const report = {
    environment: "prod",
    services: [{ name: "api", team: "platform" }],
    commit: COMMIT,
    repositoryUrl: "https://github.com/example-org/envmatrix",
    startedAt: new Date(STARTED * 1000),
    finishedAt: new Date((STARTED + 90) * 1000),
  };

  it("says whether all was reported; an event without a run has no link, and happened when the apply finished (seconds); an API URL may end in /", async () => {
    const ok = await reportDeployment({ ...report, outcome: "success" }, { apiUrl: `${fake.url}/`, apiKey: dd.apiKey });
    expect([ok.complete, (dd.events as Json[]).map((e) => [e.text, e.date_happened])]).toEqual([true, [[`envmatrix applied the prod stack at ${COMMIT}: success.`, STARTED + 90]]]);
    // a failed apply sends only the event: when that fails, nothing was reported
    dd.down = true;
    expect((await reportDeployment({ ...report, outcome: "failure" }, { apiUrl: fake.url, apiKey: dd.apiKey })).complete).toBe(false);
  });

  it("unreachable: the line gives the error's message (not its class name), not an HTTP status", async () => {
    const r = await reportDeployment({ ...report, outcome: "success" }, { apiUrl: "http://127.0.0.1:9", apiKey: dd.apiKey });
    expect(r.complete).toBe(false);
    for (const l of r.lines) expect(l).toMatch(/NOT reported \((?!HTTP |\w*Error: )[^\n]*(ECONNREFUSED|connect)[^\n]*\); the deploy itself is unaffected$/);
  });
});
