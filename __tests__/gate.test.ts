/**
 * `npm run gate -- <env>`: the gates a change must pass to enter an environment, evaluated against a fake Datadog
 * (the timeseries query API) and a fake GitHub (deployments, check runs) on 127.0.0.1, through the CLI as the deploy
 * workflow runs it. Expected values come from the matrix (config/environments.ts: the documents' gates) and from the
 * synthesized error-rate monitor's own query.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { metricsHandler, type MetricsState } from "./fakes/datadog-metrics";
import { githubHandler, type GitHubState } from "./fakes/github";
import { startFake, type Fake } from "./fakes/server";
import { startCliProcess, type CliProcess } from "./cli-process";
import { editableDefinition, seedMatrix, synthEnvironment, twoTeamsDefinition } from "./helpers";
import { scratchDir } from "./scratch";
import { formatGates, readTestReport } from "../review/gate";
import { loadMatrix } from "../config";
import { argv, invocations } from "./workflow-invocations";

const COMMIT = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00";
// Tuesday 1 December 2026, 10:00 in Berlin (UTC+1): inside prod's window (Mon–Thu, 9–16)
const IN_WINDOW = "2026-12-01T09:00:00Z";
// Sunday 29 November 2026, 12:00 in Berlin
const SUNDAY = "2026-11-29T11:00:00Z";
const prodGates = seedMatrix.environments.prod.entryGates;
const source = prodGates.sourceErrorRate!;

// The staging error-rate monitor's series, read from the synthesized monitor: `sum(last_Nm):( A / B ) * 100 > x`
const stagingMonitor = Object.values<any>(synthEnvironment(source.environment).parsed.resource.datadog_monitor).find((mon) => / error rate$/.test(mon.name));
const [, errorsQuery, hitsQuery] = /^sum\(last_\d+m\):\( (.+) \/ (.+) \) \* 100 > [\d.]+$/.exec(stagingMonitor.query)!;

let datadog: Fake;
let github: Fake;
let dd: MetricsState;
let gh: GitHubState;
let cli: CliProcess;

/** Staging served `hits` requests of which `errors` failed, in two points each. */
function stagingServed(errors: number, hits: number) {
  dd.points = { [errorsQuery]: [Math.floor(errors / 2), errors - Math.floor(errors / 2)], [hitsQuery]: [hits / 2, hits / 2] };
}
/** The apply record of the commit by staging's stack (record-apply's task) in staging's GitHub environment, its statuses newest first (fakes/github.ts). */
function stagingDeployed(statuses: string[]) {
  gh.deployments = { [seedMatrix.environments.staging.identity.githubEnvironment]: [{ id: 41, sha: COMMIT, statuses, task: "envmatrix-applied:staging" }] };
}

beforeAll(async () => {
  dd = { apiKey: "fake-dd-api-key", appKey: "fake-dd-app-key", points: {}, asked: [] };
  gh = {
    ahead: [],
    pulls: {},
    deployments: {},
    repository: { private: true, visibility: "private", owner: { login: seedMatrix.organization.github.owner, type: "Organization" } },
    permissions: { admin: false, push: false, pull: true },
    tokenValid: true,
  };
  datadog = await startFake((r) => metricsHandler(dd)(r));
  github = await startFake((r) => githubHandler(gh)(r));
  cli = startCliProcess({
    preload: [path.join(__dirname, "fakes", "no-egress.cjs")],
    env: { ...process.env, DD_HOST: datadog.url, DD_API_KEY: dd.apiKey, DD_APP_KEY: dd.appKey, GITHUB_API_URL: github.url, GITHUB_TOKEN: "fake-github-token", HTTPS_PROXY: "", HTTP_PROXY: "" },
  });
});
// the deploy environments the gates stack configured: each with its required-reviewers rule where it has reviewers
const configured = () =>
  Object.fromEntries(
    [seedMatrix.organization.gates.githubEnvironment, ...Object.values(seedMatrix.environments).map((e) => e.identity.githubEnvironment)].map((n) => [n, ["required_reviewers", "branch_policy"]]),
  );
beforeEach(() => {
  Object.assign(dd, { points: {}, asked: [], failWith: undefined });
  Object.assign(gh, { deployments: {}, checkRuns: {}, environments: configured() });
});
afterAll(async () => {
  await cli.close();
  await datadog.close();
  await github.close();
});

const gate = async (args: string[], definition?: Parameters<CliProcess["run"]>[2]) => {
  const r = await cli.run(["gate", ...args], {}, definition);
  return { code: r.code, out: `${r.stdout}${r.stderr}` };
};
const line = (out: string, gateName: string) => out.split("\n").find((l) => l.slice(2).startsWith(`${gateName} `)) ?? `(no line for ${gateName})`;

describe("prod: staging's error rate, deployed in staging first, the window, the approval", () => {
  it("the seed holds the documents' Staging → Prod gate", () => {
    expect(source).toEqual({ environment: "staging", belowPercent: 0.1, lookbackMinutes: 60 });
    expect(prodGates.deployedFirstIn).toBe("staging");
  });

  it("passes at 0.05% in staging, having asked Datadog for the monitor's two series over the last hour", async () => {
    stagingServed(5, 10000);
    stagingDeployed(["success", "in_progress"]);
    const r = await gate(["prod", "--commit", COMMIT, "--at", IN_WINDOW]);
    expect(r.code).toBe(0);
    expect(line(r.out, "error rate staging/api")).toMatch(/^✔ error rate staging\/api +0\.05% \(5 errors in 10000 requests\) +\(required: below 0\.1% over the last 60 min\)$/);
    expect(line(r.out, "deployed first in staging")).toMatch(/^✔ .*deployment 41: success/);
    expect(line(r.out, "window")).toMatch(/^✔ window/);
    expect(line(r.out, "approval")).toMatch(/^✔ approval +required reviewers rule: GitHub holds the deploy job until one approves +\(required: one of @example-org\/platform-leads approves \(environment production\)\)$/);
    expect(r.out).toContain("prod: every gate passed");
    const to = Date.parse(IN_WINDOW) / 1000;
    expect(dd.asked).toEqual([
      { query: errorsQuery, from: to - source.lookbackMinutes * 60, to },
      { query: hitsQuery, from: to - source.lookbackMinutes * 60, to },
    ]);
  });

  it("asks for a service's own APM operation where it has one, the series its monitor reads (a Node service's server spans are web.request)", async () => {
    const def = editableDefinition();
    def.services[0].traceOperation = "web.request";
    const edited = loadMatrix(def);
    const monitor = Object.values<any>(synthEnvironment(source.environment, edited).parsed.resource.datadog_monitor).find((mon) => mon.name.endsWith(`${def.services[0].name} error rate`));
    const [, errors, hits] = /^sum\(last_\d+m\):\( (.+) \/ (.+) \) \* 100 > [\d.]+$/.exec(monitor.query)!;
    expect([errors, hits].every((q) => q.startsWith("sum:trace.web.request."))).toBe(true);
    dd.points = { [errors]: [1, 1], [hits]: [5000, 5000] };
    stagingDeployed(["success"]);
    const r = await gate(["prod", "--commit", COMMIT, "--at", IN_WINDOW], def);
    expect(line(r.out, `error rate staging/${def.services[0].name}`)).toMatch(/^✔ .*0\.02% \(2 errors in 10000 requests\)/);
    expect(dd.asked.map((a) => a.query).slice(0, 2)).toEqual([errors, hits]);
  });

  it("fails at 0.2%, with the value and the threshold, and says nothing is applied (exit 8)", async () => {
    stagingServed(20, 10000);
    stagingDeployed(["success"]);
    const r = await gate(["prod", "--commit", COMMIT, "--at", IN_WINDOW]);
    expect(r.code).toBe(8);
    expect(line(r.out, "error rate staging/api")).toMatch(/^✘ error rate staging\/api +0\.2% \(20 errors in 10000 requests\) +\(required: below 0\.1% over the last 60 min\)$/);
    expect(r.out.trimEnd().split("\n").at(-1)).toBe("prod: 1 gate(s) failed: error rate staging/api; nothing is applied");
  });

  it("reads no error points in the window as no errors: requests without a failure are 0%", async () => {
    stagingServed(0, 10000);
    delete dd.points[errorsQuery];
    stagingDeployed(["success"]);
    const r = await gate(["prod", "--commit", COMMIT, "--at", IN_WINDOW]);
    expect([r.code, line(r.out, "error rate staging/api")]).toEqual([0, expect.stringMatching(/^✔ error rate staging\/api +0% \(0 errors in 10000 requests\)/)]);
  });

  it("fails at exactly the threshold (below means below)", async () => {
    stagingServed(10, 10000);
    stagingDeployed(["success"]);
    expect(line((await gate(["prod", "--commit", COMMIT, "--at", IN_WINDOW])).out, "error rate staging/api")).toMatch(/^✘ .* 0\.1% \(10 errors in 10000 requests\)/);
  });

  it("fails closed when staging has no data in the window", async () => {
    stagingDeployed(["success"]);
    const r = await gate(["prod", "--commit", COMMIT, "--at", IN_WINDOW]);
    expect(r.code).toBe(8);
    expect(line(r.out, "error rate staging/api")).toMatch(/^✘ error rate staging\/api +no data: no request of api in staging in the window/);
  });

  it("fails closed when Datadog answers 5xx", async () => {
    stagingServed(5, 10000);
    stagingDeployed(["success"]);
    dd.failWith = 503;
    const r = await gate(["prod", "--commit", COMMIT, "--at", IN_WINDOW]);
    expect(r.code).toBe(8);
    expect(line(r.out, "error rate staging/api")).toMatch(/^✘ error rate staging\/api +Datadog did not answer: HTTP 503/);
    // a status the query endpoint declares (403: docs.datadoghq.com/api/latest/metrics/#query-timeseries-points):
    // the client reads Datadog's own words for it
    dd.failWith = 403;
    const denied = await gate(["prod", "--commit", COMMIT, "--at", IN_WINDOW]);
    expect(line(denied.out, "error rate staging/api")).toMatch(/^✘ error rate staging\/api +Datadog did not answer: HTTP 403: Forbidden +\(required/);
  });

  it("fails closed when Datadog cannot be reached at all, saying why (no HTTP status to give)", async () => {
    stagingDeployed(["success"]);
    const r = await cli.run(["gate", "prod", "--commit", COMMIT, "--at", IN_WINDOW], { DD_HOST: "http://127.0.0.1:9" });
    const out = `${r.stdout}${r.stderr}`;
    expect(r.code).toBe(8);
    expect(line(out, "error rate staging/api")).toMatch(/^✘ error rate staging\/api +Datadog did not answer: (?!HTTP)\S.*\(required/);
  });

  it("fails when staging never deployed the commit, or its deployment did not succeed", async () => {
    stagingServed(5, 10000);
    const never = await gate(["prod", "--commit", COMMIT, "--at", IN_WINDOW]);
    expect([never.code, line(never.out, "deployed first in staging")]).toEqual([8, expect.stringMatching(/^✘ deployed first in staging +staging: never applied there +\(required: c0ffee00c0ff applied successfully to staging \(their apply records in staging\)\)$/)]);
    stagingDeployed(["failure", "in_progress"]);
    const failed = await gate(["prod", "--commit", COMMIT, "--at", IN_WINDOW]);
    expect(line(failed.out, "deployed first in staging")).toMatch(/^✘ .*staging: 1 apply record\(s\), none successful/);
    // the latest status decides: a success later marked failed (a failed re-run of the job) is not a success
    stagingDeployed(["failure", "success"]);
    expect(line((await gate(["prod", "--commit", COMMIT, "--at", IN_WINDOW])).out, "deployed first in staging")).toMatch(/^✘ .*none successful/);
    // superseded since by a newer deployment of staging (GitHub's auto_inactive): it did succeed
    stagingDeployed(["inactive", "success", "in_progress"]);
    expect(line((await gate(["prod", "--commit", COMMIT, "--at", IN_WINDOW])).out, "deployed first in staging")).toMatch(/^✔ .*deployment 41: success \(since superseded\)/);
    // another commit's success does not count
    gh.deployments = { staging: [{ id: 42, sha: "0".repeat(40), statuses: ["success"], task: "envmatrix-applied:staging" }] };
    expect(line((await gate(["prod", "--commit", COMMIT, "--at", IN_WINDOW])).out, "deployed first in staging")).toMatch(/^✘ .*never applied there/);
    // nor does any other deployment of staging's GitHub environment: GitHub Actions' own of a job there, or a team
    // stack's apply record (an environment split by team shares it)
    gh.deployments = { staging: [{ id: 43, sha: COMMIT, statuses: ["success"] }, { id: 44, sha: COMMIT, statuses: ["success"], task: "envmatrix-applied:staging-payments" }] };
    expect(line((await gate(["prod", "--commit", COMMIT, "--at", IN_WINDOW])).out, "deployed first in staging")).toMatch(/^✘ .*staging: never applied there/);
  });

  it("deployed first, by hand, in a source split by team: each of its stacks' apply records must have succeeded", async () => {
    stagingServed(5, 10000);
    const def = editableDefinition();
    def.environments.staging.splitByTeam = true;
    const team = `staging-${seedMatrix.services[0].team}`;
    const env = seedMatrix.environments.staging.identity.githubEnvironment;
    gh.deployments = { [env]: [{ id: 51, sha: COMMIT, statuses: ["success"], task: "envmatrix-applied:staging" }] };
    const one = await gate(["prod", "--commit", COMMIT, "--at", IN_WINDOW], def);
    expect(line(one.out, "deployed first in staging")).toMatch(new RegExp(`^✘ deployed first in staging +${team}: never applied there`));
    gh.deployments[env].push({ id: 52, sha: COMMIT, statuses: ["success"], task: `envmatrix-applied:${team}` });
    const both = await gate(["prod", "--commit", COMMIT, "--at", IN_WINDOW], def);
    expect(line(both.out, "deployed first in staging")).toMatch(new RegExp(`^✔ deployed first in staging +staging: deployment 51: success; ${team}: deployment 52: success`));
  });

  it("in the deploy run (--run): this run's own apply staging job decides, not deployment records anyone with write access can make", async () => {
    // GET …/actions/runs/{run_id}/jobs: only GitHub writes a run's jobs; a deployment and its success status any
    // writer (or any workflow token with deployments: write) can create for any commit
    stagingServed(5, 10000);
    stagingDeployed(["success"]);
    const RUN = "7001";
    const job = (id: number, name: string, conclusion: string | null, attempt = 1, sha = COMMIT) => ({ id, name, head_sha: sha, status: conclusion === null ? "in_progress" : "completed", conclusion, run_attempt: attempt });
    const deployedFirst = async () => line((await gate(["prod", "--commit", COMMIT, "--at", IN_WINDOW, "--run", RUN])).out, "deployed first in staging");
    // a forged success record, and no staging apply in this run: refused
    gh.runJobs = { [RUN]: [job(1, "apply gates", "success")] };
    expect(await deployedFirst()).toMatch(/^✘ deployed first in staging +no apply staging job in run 7001 +\(required: this run's apply staging succeeded for c0ffee00c0ff\)$/);
    // staging split by team: its team stack's job alone is not enough, staging's own must have run; both succeeding pass
    const split = editableDefinition();
    split.environments.staging.splitByTeam = true;
    const team = `staging-${seedMatrix.services[0].team}`;
    const splitGate = async () => line((await gate(["prod", "--commit", COMMIT, "--at", IN_WINDOW, "--run", RUN], split)).out, "deployed first in staging");
    gh.runJobs = { [RUN]: [job(1, `apply ${team}`, "success"), job(2, "apply stagingx", "success")] };
    expect(await splitGate()).toMatch(/^✘ deployed first in staging +no apply staging job in run 7001/);
    gh.runJobs = { [RUN]: [job(1, `apply ${team}`, "failure"), job(2, "apply staging", "success")] };
    expect(await splitGate()).toMatch(new RegExp(`^✘ .*apply ${team}: failure`));
    gh.runJobs = { [RUN]: [job(1, `apply ${team}`, "success"), job(2, "apply staging", "success")] };
    expect(await splitGate()).toMatch(/^✔ /);
    // staging's apply failed in this run, whatever the records say
    gh.runJobs = { [RUN]: [job(1, "apply gates", "success"), job(2, "apply staging", "failure")] };
    expect(await deployedFirst()).toMatch(/^✘ deployed first in staging +apply staging: failure/);
    // it succeeded: passes, naming the job; a re-run's newer attempt decides over an older failure (filter=all)
    gh.runJobs = { [RUN]: [job(2, "apply staging", "failure"), job(9, "apply staging", "success", 2)] };
    expect(await deployedFirst()).toMatch(/^✔ deployed first in staging +job 9 \(apply staging, attempt 2\): success/);
    // prod's apply re-run alone (attempt 2 holds only it): staging's success in attempt 1 still counts
    gh.runJobs = { [RUN]: [job(2, "apply staging", "success"), job(3, "apply prod", "failure"), job(10, "apply prod", null, 2)] };
    expect(await deployedFirst()).toMatch(/^✔ .*job 2 \(apply staging, attempt 1\): success/);
    // and a newer failed attempt after an older success does not pass
    gh.runJobs = { [RUN]: [job(2, "apply staging", "success"), job(9, "apply staging", "failure", 2)] };
    expect(await deployedFirst()).toMatch(/^✘ .*apply staging: failure/);
    // another commit's job does not count; more than a page of jobs is read through
    gh.runJobs = { [RUN]: [...Array.from({ length: 130 }, (_, i) => job(100 + i, `apply other-${i}`, "success")), job(2, "apply staging", "success", 1, "0".repeat(40))] };
    expect(await deployedFirst()).toMatch(/^✘ .*no apply staging job in run 7001/);
    gh.runJobs = { [RUN]: [...Array.from({ length: 130 }, (_, i) => job(100 + i, `apply other-${i}`, "success")), job(2, "apply staging", "success")] };
    expect(await deployedFirst()).toMatch(/^✔ .*job 2 \(apply staging, attempt 1\): success/);
    // GitHub not answering fails it
    gh.runJobs = {};
    expect(await deployedFirst()).toMatch(/^✘ deployed first in staging +GitHub did not answer: HTTP 404/);
    expect((await gate(["prod", "--commit", COMMIT, "--at", IN_WINDOW, "--run", "abc"])).code).toBe(1);
  });

  it("fails when prod's GitHub environment has no required-reviewers rule, or does not exist: nobody would be asked", async () => {
    stagingServed(5, 10000);
    stagingDeployed(["success"]);
    const githubEnvironment = seedMatrix.environments.prod.identity.githubEnvironment;
    gh.environments = { ...configured(), [githubEnvironment]: ["branch_policy"] };
    const unruled = await gate(["prod", "--commit", COMMIT, "--at", IN_WINDOW]);
    expect([unruled.code, line(unruled.out, "approval")]).toEqual([8, expect.stringMatching(new RegExp(`^✘ approval +environment ${githubEnvironment} has no required-reviewers rule`))]);
    gh.environments = {};
    expect(line((await gate(["prod", "--commit", COMMIT, "--at", IN_WINDOW])).out, "approval")).toMatch(new RegExp(`^✘ approval +environment ${githubEnvironment} does not exist`));
  });

  it("fails closed when staging's series hold only zero requests (no traffic is no data, not 0%)", async () => {
    stagingServed(0, 0);
    stagingDeployed(["success"]);
    const r = await gate(["prod", "--commit", COMMIT, "--at", IN_WINDOW]);
    expect([r.code, line(r.out, "error rate staging/api")]).toEqual([8, expect.stringMatching(/^✘ error rate staging\/api +no data: no request of api in staging in the window/)]);
  });

  it("deployed first: the newest successful deployment is named; one without any status yet does not hide an older success; GitHub not answering fails it", async () => {
    stagingServed(5, 10000);
    const env = seedMatrix.environments.staging.identity.githubEnvironment;
    // listed oldest first here: the gate orders them itself, newest first, whatever order the API gives
    const task = "envmatrix-applied:staging";
    gh.deployments = { [env]: [{ id: 43, sha: COMMIT, statuses: ["success"], task }, { id: 44, sha: COMMIT, statuses: ["success"], task }, { id: 50, sha: COMMIT, statuses: [], task }] };
    const r = await gate(["prod", "--commit", COMMIT, "--at", IN_WINDOW]);
    expect(line(r.out, "deployed first in staging")).toMatch(/^✔ deployed first in staging +staging: deployment 44: success +\(/);
    gh.forbidden = [`/repos/${seedMatrix.organization.github.owner}/${seedMatrix.organization.github.repository}/deployments`];
    try {
      const refused = await gate(["prod", "--commit", COMMIT, "--at", IN_WINDOW]);
      expect([refused.code, line(refused.out, "deployed first in staging")]).toEqual([8, expect.stringMatching(/^✘ deployed first in staging +GitHub did not answer: HTTP 403/)]);
    } finally {
      gh.forbidden = undefined;
    }
  });

  it("fails outside the window, naming it", async () => {
    stagingServed(5, 10000);
    stagingDeployed(["success"]);
    const r = await gate(["prod", "--commit", COMMIT, "--at", SUNDAY]);
    expect(r.code).toBe(8);
    expect(line(r.out, "window")).toMatch(/^✘ window +2026-11-29T11:00:00\.000Z +\(required: Mon, Tue, Wed, Thu 09:00–16:00 Europe\/Berlin\)$/);
  });
});

describe("staging: more than 95% of the commit's tests pass", () => {
  const dir = scratchDir();
  const junit = (tests: number, failures: number, errors = 0, skipped = 0) => {
    const file = path.join(dir, `junit-${tests}-${failures}-${errors}-${skipped}.xml`);
    fs.writeFileSync(file, `<?xml version="1.0"?>\n<testsuites name="jest">\n  <testsuite name="a" tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}"></testsuite>\n</testsuites>\n`);
    return file;
  };
  const jestJson = (passed: number, failed: number) => {
    const file = path.join(dir, `jest-${passed}-${failed}.json`);
    fs.writeFileSync(file, JSON.stringify({ numTotalTests: passed + failed, numPassedTests: passed, numFailedTests: failed, success: failed === 0 }));
    return file;
  };

  it("the seed holds the documents' Dev → Staging gate", () => expect(seedMatrix.environments.staging.entryGates.testPassRatePercent).toBe(95));

  it.each([
    ["JUnit XML at 94%", () => junit(100, 6), 8, /^✘ tests +94% \(94 of 100 passed\) +\(required: more than 95% pass\)$/],
    ["JUnit XML at 96%", () => junit(100, 3, 1), 0, /^✔ tests +96% \(96 of 100 passed\)/],
    ["JUnit XML at exactly 95% (more than means more than)", () => junit(100, 5), 8, /^✘ tests +95% \(95 of 100 passed\)/],
    ["JUnit XML with skipped tests, which count neither way", () => junit(110, 3, 0, 10), 0, /^✔ tests +97% \(97 of 100 passed\)/],
    ["jest --json at 94%", () => jestJson(94, 6), 8, /^✘ tests +94% \(94 of 100 passed\)/],
    ["jest --json at 96%", () => jestJson(96, 4), 0, /^✔ tests +96% \(96 of 100 passed\)/],
    ["a report in which no test ran (all skipped): nothing measured", () => junit(10, 0, 0, 10), 8, /^✘ tests +\S+junit-10-0-0-10\.xml: no test ran +\(required/],
  ])("%s", async (_what, report, code, expected) => {
    const r = await gate(["staging", "--commit", COMMIT, "--report", report()]);
    expect([r.code, line(r.out, "tests")]).toEqual([code, expect.stringMatching(expected)]);
  });

  it("fails when a test file did not run at all, even at 100% of the tests that did (jest counts no failed test for it)", async () => {
    const file = path.join(dir, "jest-load-error.json");
    fs.writeFileSync(file, JSON.stringify({ numTotalTests: 100, numPassedTests: 100, numFailedTests: 0, numRuntimeErrorTestSuites: 1, numFailedTestSuites: 1, success: false }));
    const r = await gate(["staging", "--commit", COMMIT, "--report", file]);
    expect([r.code, line(r.out, "tests")]).toEqual([8, expect.stringMatching(/^✘ tests +1 test file\(s\) did not run \(they failed to load\)/)]);
  });

  it("fails closed without a report, or with one it cannot read", async () => {
    const none = await gate(["staging", "--commit", COMMIT]);
    expect([none.code, line(none.out, "tests")]).toEqual([8, expect.stringMatching(/^✘ tests +no test report given/)]);
    const garbage = path.join(dir, "garbage.txt");
    fs.writeFileSync(garbage, "all good, trust me");
    const bad = await gate(["staging", "--commit", COMMIT, "--report", garbage]);
    expect([bad.code, line(bad.out, "tests")]).toEqual([8, expect.stringMatching(/^✘ tests +unreadable report: .*neither JUnit XML nor a jest JSON report/)]);
  });
});

describe("required checks on the commit", () => {
  // the seed requires none yet (no check runs on pushed commits: see README "Promotion gates"); a team's matrix may
  const withChecks = () => {
    const def = editableDefinition();
    def.environments.staging.entryGates.requiredChecks = ["CodeQL", "dependency-review"];
    return def;
  };
  const report = () => {
    const file = path.join(scratchDir(), "all-pass.json");
    fs.writeFileSync(file, JSON.stringify({ numPassedTests: 10, numFailedTests: 0 }));
    return file;
  };

  it("fail closed when GitHub does not answer for the check runs", async () => {
    gh.tokenValid = false;
    try {
      const r = await gate(["staging", "--commit", COMMIT, "--report", report()], withChecks());
      expect(r.code).toBe(8);
      expect(line(r.out, "check CodeQL")).toMatch(/^✘ check CodeQL +GitHub did not answer: HTTP 401/);
    } finally {
      gh.tokenValid = true;
    }
  });

  it("pass when each named check's latest run succeeded; fail naming the missing, failed or unfinished one", async () => {
    gh.checkRuns = {
      [COMMIT]: [
        { id: 1, name: "CodeQL", status: "completed", conclusion: "failure" },
        { id: 2, name: "CodeQL", status: "completed", conclusion: "success" },
        { id: 3, name: "dependency-review", status: "completed", conclusion: "success" },
      ],
    };
    const ok = await gate(["staging", "--commit", COMMIT, "--report", report()], withChecks());
    expect([ok.code, line(ok.out, "check CodeQL"), line(ok.out, "check dependency-review")]).toEqual([0, expect.stringMatching(/^✔ check CodeQL +completed: success/), expect.stringMatching(/^✔/)]);
    gh.checkRuns = { [COMMIT]: [{ id: 4, name: "CodeQL", status: "in_progress", conclusion: null }] };
    const r = await gate(["staging", "--commit", COMMIT, "--report", report()], withChecks());
    expect(r.code).toBe(8);
    expect(line(r.out, "check CodeQL")).toMatch(/^✘ check CodeQL +in_progress/);
    expect(line(r.out, "check dependency-review")).toMatch(/^✘ check dependency-review +no such check on the commit/);
  });
});

describe("the command", () => {
  it("gates the gates stack like the environment it follows, by window and approval only (it runs no workload)", async () => {
    const follows = seedMatrix.organization.gates.followsEnvironment;
    const r = await gate(["gates", "--commit", COMMIT, "--at", IN_WINDOW]);
    expect(r.out.split("\n").slice(1, -2).map((l) => l.slice(2).split(/ +/)[0])).toEqual(["window", "approval"]);
    expect(line(r.out, "window")).toContain(`(required: ${follows === "prod" ? "Mon, Tue, Wed, Thu 09:00–16:00 Europe/Berlin" : "at any time"})`);
    expect(r.code).toBe(0);
    expect(dd.asked).toEqual([]);
  });

  it("a team stack's error-rate gate reads its own team's services in the source, not another team's", async () => {
    const def = twoTeamsDefinition();
    const rates = (out: string) => out.split("\n").filter((l) => /^[✔✘] error rate staging\//.test(l)).map((l) => l.slice(2).split(/ +/).slice(0, 3).join(" "));
    expect(rates((await gate(["prod-payments", "--commit", COMMIT, "--at", IN_WINDOW], def)).out)).toEqual(["error rate staging/billing"]);
    expect(rates((await gate(["prod-platform", "--commit", COMMIT, "--at", IN_WINDOW], def)).out)).toEqual(["error rate staging/api"]);
    // the environment's own stack, which every service stands on: all of them
    expect(rates((await gate(["prod", "--commit", COMMIT, "--at", IN_WINDOW], def)).out)).toEqual(["error rate staging/api", "error rate staging/billing"]);
  });

  it("gates a team stack (prod split by team) by all its environment's gates: it deploys into prod", async () => {
    const def = editableDefinition();
    def.environments.prod.splitByTeam = true;
    const own = await gate(["prod", "--commit", COMMIT, "--at", IN_WINDOW]);
    const team = await gate([`prod-${seedMatrix.services[0].team}`, "--commit", COMMIT, "--at", IN_WINDOW], def);
    const gates = (out: string) => out.split("\n").slice(1, -2).map((l) => l.slice(2).split(/ +/)[0]);
    expect(gates(team.out)).toEqual(gates(own.out));
    expect(gates(team.out)).toEqual(expect.arrayContaining(["window", "approval"]));
    expect(gates(team.out).length).toBeGreaterThan(2);
  });

  it("the gates stack checks no commit checks either, even where the environment it follows requires some", async () => {
    const def = editableDefinition();
    def.environments.prod.entryGates.requiredChecks = ["build"];
    const r = await gate(["gates", "--commit", COMMIT, "--at", IN_WINDOW], def);
    expect(r.out.split("\n").slice(1, -2).map((l) => l.slice(2).split(/ +/)[0])).toEqual(["window", "approval"]);
  });

  it("an environment without reviewers: its approval needs none (GitHub not asked)", async () => {
    expect(seedMatrix.environments.staging.approval.reviewers).toEqual({ teams: [], users: [] });
    gh.environments = {};
    const r = await gate(["staging", "--commit", COMMIT]);
    expect(line(r.out, "approval")).toMatch(/^✔ approval +none required +\(required: none\)$/);
  });

  it("refuses an unknown environment and a missing commit", async () => {
    const unknown = await gate(["production", "--commit", COMMIT]);
    expect([unknown.code, unknown.out]).toEqual([1, expect.stringContaining('no environment "production"')]);
    const r = await cli.run(["gate", "staging"], { GITHUB_SHA: "" });
    expect([r.code, r.stderr]).toEqual([1, expect.stringContaining("no commit: give --commit <sha>")]);
  });

  it("touched nothing but the fakes on 127.0.0.1, and only read", () => {
    for (const f of [datadog, github]) for (const req of f.requests) expect([req.method, req.host.startsWith("127.0.0.1:")]).toEqual(["GET", true]);
  });
});

describe("deploy.yml's Gates step, run as the workflow runs it", () => {
  const all = invocations().filter((i) => i.workflow === "deploy.yml" && i.script === "gate");
  // the Gates step (with the report) and the check right before the apply (--only newest)
  const found = all.filter((i) => i.words.includes("--report"));
  const again = all.filter((i) => i.words.includes("--only"));
  const runnerTemp = path.join(scratchDir(), "runner");

  it("reads the resolve job's jest report: staging passes at 96% and stops at 94%; dev has no gate to stop it", async () => {
    expect(found).toHaveLength(1);
    fs.mkdirSync(path.join(runnerTemp, "tests"), { recursive: true });
    const write = (passed: number, failed: number) => fs.writeFileSync(path.join(runnerTemp, "tests", "jest.json"), JSON.stringify({ numPassedTests: passed, numFailedTests: failed }));
    const run = async (stack: string) => {
      // this run (github.run_id) has applied, before it, every stack the gate may ask about
      gh.runJobs = { "4001": ["dev", "staging", "gates"].map((name, i) => ({ id: i + 1, name: `apply ${name}`, head_sha: COMMIT, status: "completed", conclusion: "success", run_attempt: 1 })) };
      gh.branches = { main: COMMIT };
      const [command, ...args] = argv(found[0], { STACK: stack, SHA: COMMIT, RUNNER_TEMP: runnerTemp, RUN_ID: "4001", REF: "refs/heads/main" });
      return gate(args.slice(0), undefined).then((r) => ({ ...r, command }));
    };
    write(96, 4);
    const pass = await run("staging");
    expect([pass.command, pass.code, line(pass.out, "tests")]).toEqual(["gate", 0, expect.stringMatching(/^✔ tests +96% \(96 of 100 passed\)/)]);
    write(94, 6);
    expect((await run("staging")).code).toBe(8);
    const dev = await run("dev");
    expect([dev.code, dev.out.split("\n").slice(1, -2).map((l) => l.slice(2).split(/ +/)[0])]).toEqual([0, ["newest", "window", "approval"]]);
  });

  it("right before the apply, the newest-commit gate alone again: the one line, exit 8 once the branch has moved on", async () => {
    expect([all.length, again.length]).toEqual([2, 1]);
    const [, ...args] = argv(again[0], { STACK: "prod", SHA: COMMIT, REF: "refs/heads/main" });
    gh.branches = { main: COMMIT };
    const ok = await gate(args);
    expect([ok.code, ok.out.split("\n").filter((l) => /^[✔✘] /.test(l)).map((l) => l.slice(2).split(/ {2,}/)[0])]).toEqual([0, ["newest commit"]]);
    gh.branches = { main: "b".repeat(40) };
    expect((await gate(args)).code).toBe(8);
    // it needs the branch
    expect((await gate(["prod", "--commit", COMMIT, "--only", "newest"])).out).toContain("--only newest needs --branch <ref>");
  });

  it("an older run's apply stops once its branch has moved on: the newer push's run applies this change and what came after (a revert included)", async () => {
    const run = async (head: string | undefined, ref = "refs/heads/main") => {
      gh.branches = head === undefined ? {} : { main: head, "hotfix/x": head };
      const [, ...args] = argv(found[0], { STACK: "dev", SHA: COMMIT, RUNNER_TEMP: runnerTemp, RUN_ID: "4001", REF: ref });
      return gate(args);
    };
    const newest = await run(COMMIT);
    expect([newest.code, line(newest.out, "newest commit")]).toEqual([0, expect.stringMatching(/^✔ newest commit +main is at c0ffee00c0ff +\(required: c0ffee00c0ff is still the head of main\)$/)]);
    const moved = await run("b".repeat(40));
    expect([moved.code, line(moved.out, "newest commit")]).toEqual([8, expect.stringMatching(/^✘ newest commit +main has moved on to bbbbbbbbbbbb: that push's run applies this change and what came after it/)]);
    expect(moved.out).toContain("1 gate(s) failed: newest commit; nothing is applied");
    // a branch with a slash, and a branch GitHub does not know (deleted): the latter fails closed
    expect(line((await run(COMMIT, "refs/heads/hotfix/x")).out, "newest commit")).toMatch(/^✔ newest commit +hotfix\/x is at/);
    expect(line((await run(undefined)).out, "newest commit")).toMatch(/^✘ newest commit +main does not exist any more: deploy what it held from the branch it was merged into/);
    // GitHub not answering otherwise fails closed too
    gh.forbidden = [`/repos/${seedMatrix.organization.github.owner}/${seedMatrix.organization.github.repository}/git/ref/heads%2Fmain`, `/repos/${seedMatrix.organization.github.owner}/${seedMatrix.organization.github.repository}/git/ref/heads/main`];
    expect(line((await run(COMMIT)).out, "newest commit")).toMatch(/^✘ newest commit +GitHub did not answer: .*403/);
    gh.forbidden = [];
  });
});

describe("reading a test report", () => {
  it("counts a totals-only JUnit report by its <testsuite> attributes, errors as failures", () => {
    expect(readTestReport('<testsuite tests="4" failures="1" errors="1" skipped="1"/>', "r.xml")).toEqual({ passed: 1, failed: 2, notRun: 0 });
    expect(readTestReport('<testsuites><testsuite tests="2" failures="0"/><testsuite tests="3" failures="1"/></testsuites>', "r.xml")).toEqual({ passed: 4, failed: 1, notRun: 0 });
    // nested suites of totals only: an outer suite's attributes already total its inner ones (4 = 2 + 2): each test once
    const nested = '<testsuites><testsuite name="outer" tests="4" failures="1"><testsuite name="i1" tests="2" failures="1"/><testsuite name="i2" tests="2" failures="0"/></testsuite><testsuite name="x" tests="2" failures="0"/></testsuites>';
    expect(readTestReport(nested, "r.xml")).toEqual({ passed: 5, failed: 1, notRun: 0 });
  });
  it("counts JUnit <testcase> elements where there are some, in nested suites too, whatever the attributes claim", () => {
    // a report whose totals leave out failures: the <failure> inside the test case still fails it
    const xml = `<testsuites><testsuite name="outer" tests="4"><testsuite name="inner">
      <testcase name="a"/><testcase name="b"><failure message="boom"/></testcase></testsuite>
      <testcase name="c"><error/></testcase><testcase name="d"><skipped/></testcase></testsuite></testsuites>`;
    expect(readTestReport(xml, "r.xml")).toEqual({ passed: 1, failed: 2, notRun: 0 });
  });
  it("counts jest's test files that failed to load apart: they have no failed test in jest's numbers", () => {
    expect(readTestReport(JSON.stringify({ numPassedTests: 100, numFailedTests: 0, numRuntimeErrorTestSuites: 2, success: false }), "r.json")).toEqual({ passed: 100, failed: 0, notRun: 2 });
  });
  it("reads a jest report that starts with blank space, and one that does not say how many files failed to load as none", () => {
    expect(readTestReport(`\n  ${JSON.stringify({ numPassedTests: 3, numFailedTests: 1 })}`, "r.json")).toEqual({ passed: 3, failed: 1, notRun: 0 });
  });
  it("counts a test case with a failure as failed even if it is also marked skipped, and a bare <testcase/> as passed", () => {
    expect(readTestReport('<testsuite><testcase name="a"><skipped/><failure/></testcase><testcase name="b"><skipped/><error/></testcase><testcase/></testsuite>', "r.xml")).toEqual({ passed: 1, failed: 2, notRun: 0 });
  });
  it("refuses a jest report with only one of the two counts", () => {
    for (const r of [{ numPassedTests: 5 }, { numFailedTests: 0 }]) expect(() => readTestReport(JSON.stringify(r), "r.json")).toThrow("r.json: a JSON report without numPassedTests and numFailedTests (jest --json)");
  });
  it("refuses a report it cannot count, naming the file", () => {
    expect(() => readTestReport("{}", "r.json")).toThrow("r.json: a JSON report without numPassedTests and numFailedTests (jest --json)");
    expect(() => readTestReport("<testsuites/>", "r.xml")).toThrow("r.xml: JUnit XML without a <testsuite>");
    expect(() => readTestReport('<testsuite tests="many"/>', "r.xml")).toThrow("r.xml: a <testsuite> whose counts are not whole numbers");
  });
});

describe("the gates' report (formatGates): one line per gate, the failed ones named last", () => {
  const results = [
    { gate: "window", passed: true, measured: "2026-12-01T09:00:00.000Z", threshold: "Mon, Tue, Wed, Thu 09:00–16:00 Europe/Berlin" },
    { gate: "error rate staging/api", passed: false, measured: "0.2% (20 errors in 10000 requests)", threshold: "below 0.1% over the last 60 min" },
    { gate: "approval", passed: false, measured: "environment production does not exist", threshold: "one of @example-org/platform-leads approves (environment production)" },
  ];

  it("pads the gate names to the longest, shortens the commit to 12 characters, and says what failed and that nothing is applied", () => {
    expect(formatGates("prod", COMMIT, results)).toBe(
      [
        "gates of prod for c0ffee00c0ff:",
        "✔ window                  2026-12-01T09:00:00.000Z  (required: Mon, Tue, Wed, Thu 09:00–16:00 Europe/Berlin)",
        "✘ error rate staging/api  0.2% (20 errors in 10000 requests)  (required: below 0.1% over the last 60 min)",
        "✘ approval                environment production does not exist  (required: one of @example-org/platform-leads approves (environment production))",
        "prod: 2 gate(s) failed: error rate staging/api, approval; nothing is applied",
        "",
      ].join("\n"),
    );
  });

  it("every gate passed: says so", () => {
    expect(formatGates("dev", COMMIT, [results[0]]).split("\n").slice(-2)).toEqual(["dev: every gate passed", ""]);
  });
});
