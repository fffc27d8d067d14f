/**
 * Only reviewed commits deploy, and "changed" is measured against what is applied: the deploy workflow's
 * questions to GitHub, answered by a fake GitHub REST API on 127.0.0.1 (shapes from GitHub's REST docs).
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { githubHandler, type GitHubState } from "./fakes/github";
import { startFake, type Fake } from "./fakes/server";
import { seedMatrix } from "./helpers";
import { scratchDir } from "./scratch";
import { startCliProcess, type CliProcess } from "./cli-process";
import { argv, invocations } from "./workflow-invocations";
import { run as synthesize } from "../main";
import { matrix as definition } from "../config/environments";

const run = promisify(execFile);
const root = path.resolve(__dirname, "..");
const MERGED = "2026-11-20T10:00:00Z";

let fake: Fake;
let state: GitHubState;
beforeEach(async () => {
  state = {
    ahead: [],
    pulls: {},
    deployments: {},
    repository: { private: true, visibility: "private", owner: { login: "example-org", type: "Organization" } },
    permissions: { admin: false, push: false, pull: true },
    tokenValid: true,
  };
  fake = await startFake(githubHandler(state));
});
const seen: Fake["requests"] = [];
/** Requests of the tests where the token may write deployments (record-apply's): checked on their own. */
const writing: Fake["requests"] = [];
afterEach(async () => {
  (state.deploymentsWritable !== undefined ? writing : seen).push(...fake.requests);
  await fake.close();
});

const githubEnv = () => ({ GITHUB_API_URL: fake.url, GITHUB_TOKEN: "test-token-not-a-secret" });

/** The command in the shared CLI process (one start for the file, not one per run). */
let shared: CliProcess | undefined;
afterAll(async () => shared?.close());
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  shared ??= startCliProcess();
  return shared.run(args, githubEnv());
}

/** The command as its own process: what the workflow's `npm run` starts. */
async function cliProcess(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, ["--require", "tsx/cjs", "scripts/cli.ts", ...args], { cwd: root, env: { ...process.env, ...githubEnv() } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err: any) {
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const sha = (n: number) => n.toString(16).padStart(40, "a");
/** The most commits beyond the default branch a push is checked for (README "A merge"). */
const MAX_AHEAD = 1000;

/** A PR merged into `base` whose merge commit is `merge`. */
const pr = (number: number, base: string, merge: string | null = null, merged = true) => ({ number, merged_at: merged ? MERGED : null, merge_commit_sha: merge, base: { ref: base } });
/** The pipeline's own records: every deployed commit is a pull request's merge commit (a deploy run starts only from one). */
const recordsOfReviewedMerges = () => {
  let n = 500;
  for (const d of Object.values(state.deployments).flat()) state.pulls[d.sha] ??= [pr(n++, "main", d.sha)];
};

describe("provenance: the pushed commit is a reviewed merge into the branch, and every commit beyond the default branch came through one", () => {
  it("passes a hotfix branch whose commits came through a PR merged into it, pushed as that PR's merge commit", async () => {
    state.ahead = [{ sha: sha(1), message: "fix login" }, { sha: sha(2), message: "Merge pull request #7" }];
    state.pulls[sha(1)] = [pr(7, "hotfix/login", sha(2))];
    state.pulls[sha(2)] = [pr(7, "hotfix/login", sha(2))];
    const r = await cli("provenance", "refs/heads/hotfix/login", sha(2));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("every commit came through a pull request merged into hotfix/login");
  });

  it("refuses a hotfix branch created at an unreviewed feature tip (exit 7, each commit and why)", async () => {
    state.ahead = [{ sha: sha(3), message: "feature: new billing" }, { sha: sha(4), message: "fix login" }];
    state.pulls[sha(3)] = [pr(9, "develop", null, false)];
    state.pulls[sha(4)] = [pr(10, "hotfix/login", sha(4))];
    const r = await cli("provenance", "hotfix/login", sha(4));
    expect(r.code).toBe(7);
    expect(r.stderr).toContain("1 commit(s) nobody reviewed into hotfix/login");
    expect(r.stderr).toContain(`${sha(3).slice(0, 12)} feature: new billing: in no pull request merged into hotfix/login`);
  });

  it("refuses a branch reset to an intermediate commit of a squash-merged PR (in a PR, but never its reviewed result)", async () => {
    // PR #12 had commits E1 (malicious) and E2 (its revert), squash-merged as S; the branch is recreated at E1
    state.ahead = [{ sha: sha(21), message: "E1" }];
    state.pulls[sha(21)] = [pr(12, "hotfix/x", sha(23))];
    const r = await cli("provenance", "hotfix/x", sha(21));
    expect(r.code).toBe(7);
    expect(r.stderr).toContain("(the pushed commit): not the merge commit of a pull request merged into hotfix/x");
  });

  it("does not take a review into develop (one approval) for a review into a hotfix branch (prod's reviewers)", async () => {
    state.ahead = [{ sha: sha(5), message: "feature" }, { sha: sha(6), message: "merge" }];
    state.pulls[sha(5)] = [pr(11, "develop", sha(5))];
    state.pulls[sha(6)] = [pr(13, "hotfix/x", sha(6))];
    const r = await cli("provenance", "hotfix/x", sha(6));
    expect(r.code).toBe(7);
    expect(r.stderr).toContain("merged only through #11 into develop, not into hotfix/x");
  });

  it("reads every page of the comparison: an unreviewed commit on page 3 is found", async () => {
    state.ahead = Array.from({ length: 230 }, (_, i) => ({ sha: sha(1000 + i), message: `c${i}` }));
    for (const c of state.ahead) state.pulls[c.sha] = [pr(20, "develop", sha(1229))];
    state.pulls[sha(1225)] = [];
    const r = await cli("provenance", "develop", sha(1229));
    expect(r.code).toBe(7);
    expect(r.stderr).toContain(`${sha(1225).slice(0, 12)} c225: in no pull request merged into develop`);
    expect(fake.requests.filter((q) => q.path.includes("/compare/"))).toHaveLength(3);
  });

  it("on the default branch, wants the pushed commit to be a merged pull request's merge commit", async () => {
    state.pulls[sha(6)] = [pr(12, "main", sha(6))];
    expect((await cli("provenance", "main", sha(6))).code).toBe(0);
    state.pulls[sha(7)] = [pr(14, "main", sha(8))];
    expect((await cli("provenance", "main", sha(7))).code).toBe(7);
  });

  it.each([
    // each is what GitHub lists for the pushed commit; none is a pull request merged into main whose merge commit it is
    ["a pull request into main that is still open (its merge_commit_sha is GitHub's test merge)", [pr(30, "main", sha(30), false)]],
    ["the merge commit of a pull request merged into another branch", [pr(31, "develop", sha(30))]],
    ["a pull request merged into main whose merge commit is another", [pr(32, "main", sha(31))]],
  ])("refuses a pushed commit that is %s", async (_what, pulls) => {
    state.pulls[sha(30)] = pulls;
    const r = await cli("provenance", "main", sha(30));
    expect([r.code, r.stderr]).toEqual([7, expect.stringContaining("(the pushed commit): not the merge commit of a pull request merged into main")]);
  });

  it("passes a pushed commit that is one merged pull request's merge commit, among others listed for it", async () => {
    state.pulls[sha(30)] = [pr(33, "develop", sha(30)), pr(34, "main", sha(30)), pr(35, "main", null, false)];
    expect((await cli("provenance", "main", sha(30))).code).toBe(0);
  });

  it("reads every page of a commit's pull requests: the merged one after a page and more of open ones still counts", async () => {
    // off the default branch the list holds open pull requests too, 30 a page by default (GitHub REST "List pull
    // requests associated with a commit"); a writer opening many would otherwise push the merged one out of sight
    const open = Array.from({ length: 130 }, (_, i) => pr(100 + i, "hotfix/login", null, false));
    state.ahead = [{ sha: sha(40), message: "fix login" }, { sha: sha(41), message: "Merge pull request #7" }];
    state.pulls[sha(40)] = [...open, pr(7, "hotfix/login", sha(41))];
    state.pulls[sha(41)] = [...open, pr(7, "hotfix/login", sha(41))];
    const r = await cli("provenance", "refs/heads/hotfix/login", sha(41));
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(fake.requests.filter((q) => q.path.endsWith(`/commits/${sha(41)}/pulls`)).length).toBe(2);
  });

  it("a commit beyond the default branch merged into the branch through any of its pull requests counts; one only in an open pull request does not", async () => {
    state.ahead = [{ sha: sha(40), message: "fix" }, { sha: sha(41), message: "wip" }, { sha: sha(42), message: "merge" }];
    state.pulls[sha(40)] = [pr(40, "develop", sha(40)), pr(41, "hotfix/y", sha(42))];
    state.pulls[sha(41)] = [pr(42, "hotfix/y", null, false)];
    state.pulls[sha(42)] = [pr(41, "hotfix/y", sha(42))];
    const r = await cli("provenance", "hotfix/y", sha(42));
    expect(r.code).toBe(7);
    expect(r.stderr).toContain("1 commit(s) nobody reviewed into hotfix/y");
    expect(r.stderr).toContain(`${sha(41).slice(0, 12)} wip: in no pull request merged into hotfix/y`);
  });

  it("a pushed commit in no pull request at all is one unreviewed commit, listed once", async () => {
    state.ahead = [{ sha: sha(60), message: "direct push" }];
    state.pulls[sha(60)] = [];
    const r = await cli("provenance", "hotfix/q", sha(60));
    expect(r.code).toBe(7);
    expect(r.stderr).toContain("1 commit(s) nobody reviewed into hotfix/q");
    expect(r.stderr.split(sha(60).slice(0, 12)).length - 1).toBe(2); // the headline and its one line
  });

  it("refuses a branch too far ahead of the default branch to check, saying how far", async () => {
    state.ahead = Array.from({ length: MAX_AHEAD + 1 }, (_, i) => ({ sha: sha(5000 + i), message: `c${i}` }));
    const head = sha(5000 + MAX_AHEAD);
    state.pulls[head] = [pr(50, "hotfix/z", head)];
    const r = await cli("provenance", "hotfix/z", head);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${head.slice(0, 12)} is ${MAX_AHEAD + 1} commits ahead of main: more than ${MAX_AHEAD} are not checked; merge main into the branch first`);
  });

  it("fails closed when GitHub refuses the token", async () => {
    state.tokenValid = false;
    const r = await cli("provenance", "develop", sha(1));
    expect(r.code).toBe(1);
  });

  it("as its own process (what the workflow's npm run starts), the exit code is the process's: 0 reviewed, 7 not", async () => {
    state.pulls[sha(6)] = [pr(12, "main", sha(6))];
    expect((await cliProcess("provenance", "main", sha(6))).code).toBe(0);
    state.pulls[sha(7)] = [pr(14, "main", sha(8))];
    const r = await cliProcess("provenance", "main", sha(7));
    expect(r.code).toBe(7);
    expect(r.stderr).toContain("not the merge commit of a pull request merged into main");
  });
});

/** When every made-up apply job ran (GitHub's timestamps, whole seconds), and a moment inside it. */
const JOB_RAN = { started_at: "2026-11-20T10:00:00Z", completed_at: "2026-11-20T10:05:00Z" };
const DURING = "2026-11-20T10:01:00Z";
const DEPLOY_YML = ".github/workflows/deploy.yml";
let nextRunId = 8000;

/**
 * A stack's apply as deploy.yml makes it: a run of the deploy workflow started by a push to `branch` at `sha`, with
 * the job `apply <stack>` (deploy.yml's `name: apply ${{ matrix.environment }}`) and its `conclusion` (null: still
 * running), which only GitHub writes; and the record that job made while it ran: a deployment in `environment` with
 * the task `envmatrix-applied:<stack>`, `statuses` newest first, and a payload naming the run and its attempt.
 */
function applied(environment: string, id: number, stack: string, commit: string, statuses: string[], opts: { conclusion?: string | null; branch?: string } = {}): number {
  const runId = nextRunId++;
  const conclusion = opts.conclusion === undefined ? "success" : opts.conclusion;
  (state.runs ??= {})[runId] = { path: DEPLOY_YML, event: "push", head_branch: opts.branch ?? "main", head_sha: commit };
  (state.runJobs ??= {})[runId] = [
    { id: runId * 10, name: `apply ${stack}`, head_sha: commit, status: conclusion === null ? "in_progress" : "completed", conclusion, run_attempt: 1, started_at: JOB_RAN.started_at, completed_at: conclusion === null ? null : JOB_RAN.completed_at },
  ];
  (state.deployments[environment] ??= []).push({ id, sha: commit, statuses, task: `envmatrix-applied:${stack}`, payload: { run_id: runId, run_attempt: 1 }, created_at: DURING });
  return runId;
}
const prodGitHub = seedMatrix.environments.prod.identity.githubEnvironment;
const stagingGitHub = seedMatrix.environments.staging.identity.githubEnvironment;
const gatesGitHub = seedMatrix.organization.gates.githubEnvironment;

describe("the commit each stack last applied: its newest record, when that apply succeeded (stacks-to-plan --needed)", () => {
  it("is the commit of the stack's newest record when its outcome is success", async () => {
    applied(prodGitHub, 2, "prod", sha(20), ["success", "in_progress"]);
    applied(prodGitHub, 1, "prod", sha(10), ["success"]);
    recordsOfReviewedMerges();
    expect((await cli("stacks-to-plan", "main", "--needed")).stdout.trim()).toBe(sha(20));
  });
  it("is nothing when the newest apply failed or was rejected: what is applied is unknown, so the stack is planned", async () => {
    applied(prodGitHub, 3, "prod", sha(30), ["failure", "in_progress"], { conclusion: "failure" });
    applied(prodGitHub, 2, "prod", sha(20), ["success", "in_progress"]);
    recordsOfReviewedMerges();
    expect((await cli("stacks-to-plan", "main", "--needed")).stdout.trim()).toBe("");
  });
  it("is the newest by id whatever order GitHub lists them in, and an older failure does not matter", async () => {
    // listed oldest first, ids no other test's deployment has (the fake finds statuses by id)
    applied(prodGitHub, 901, "prod", sha(10), ["failure"], { conclusion: "failure" });
    applied(prodGitHub, 902, "prod", sha(20), ["success"]);
    recordsOfReviewedMerges();
    expect((await cli("stacks-to-plan", "main", "--needed")).stdout.trim()).toBe(sha(20));
  });
  it("is nothing for environments never deployed", async () => {
    expect((await cli("stacks-to-plan", "develop", "--needed")).stdout.trim()).toBe("");
  });
  it("counts a record made on any branch the stack deploys from: staging's from develop for a push to main, hotfix's from another hotfix branch", async () => {
    applied(stagingGitHub, 5, "staging", sha(40), ["success"], { branch: "develop" });
    applied(seedMatrix.environments.hotfix.identity.githubEnvironment, 6, "hotfix", sha(41), ["success"], { branch: "hotfix/a" });
    recordsOfReviewedMerges();
    expect((await cli("stacks-to-plan", "main", "--needed")).stdout.trim()).toBe(sha(40));
    expect((await cli("stacks-to-plan", "hotfix/b", "--needed")).stdout.trim()).toBe(sha(41));
  });
});

describe("stacks-to-plan --needed synthesizes only a reviewed merge result", () => {
  it("a record naming a commit that is no merged pull request's merge commit (a branch's own commit, a pull request's intermediate one) is not listed: its stacks are planned", async () => {
    applied(prodGitHub, 2, "prod", sha(60), ["success"]);
    applied(stagingGitHub, 1, "staging", sha(61), ["success"]);
    // sha(60): in a pull request that was merged, but its merge commit is another; sha(61): in an open one only
    state.pulls[sha(60)] = [pr(60, "main", sha(62))];
    state.pulls[sha(61)] = [pr(61, "main", null, false)];
    const r = await cli("stacks-to-plan", "main", "--needed");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe("");
    for (const x of [sha(60), sha(61)]) expect(r.stderr).toContain(`${x}: an apply record's commit that is no merged pull request's merge commit; not synthesized, its stacks are planned`);
    // the same commit as a pull request's merge commit is listed
    state.pulls[sha(61)] = [pr(61, "main", sha(61))];
    expect((await cli("stacks-to-plan", "main", "--needed")).stdout.trim()).toBe(sha(61));
  });
});

describe("stacks-to-plan: what differs from what each stack last applied", () => {
  const dirs = { head: "", old: "" };
  beforeAll(() => {
    dirs.head = path.join(scratchDir(), "head-out");
    dirs.old = path.join(scratchDir(), "old-out");
    expect(synthesize(definition, dirs.head)).toBe(0);
    // the commit last deployed had another prod pool size: prod (and its clone hotfix) differ, staging not
    const older = structuredClone(definition) as any;
    older.environments.prod.runtime.dbPoolSize = 40;
    expect(synthesize(older, dirs.old)).toBe(0);
  });

  it("lists the commits to synthesize, then plans what differs, what never applied, and nothing else", async () => {
    applied(prodGitHub, 2, "prod", sha(50), ["success", "in_progress"]);
    applied(stagingGitHub, 1, "staging", sha(50), ["success"]);
    recordsOfReviewedMerges();
    expect((await cli("stacks-to-plan", "main", "--needed")).stdout.trim()).toBe(sha(50));
    const r = await cli("stacks-to-plan", "refs/heads/main", "--head", dirs.head, "--at", `${sha(50)}=${dirs.old}`);
    expect(r.stderr).toBe("");
    // gates: never applied; prod: its config differs; staging: unchanged since its last success, but prod's gate
    // wants this commit deployed in staging first (entryGates.deployedFirstIn), so staging comes along
    expect(seedMatrix.environments.prod.entryGates.deployedFirstIn).toBe("staging");
    expect(JSON.parse(r.stdout).include.map((t: any) => t.environment)).toEqual(["gates", "staging", "prod"]);
  });

  it("plans an unchanged stack whose newest apply failed, and one whose commit could not be synthesized", async () => {
    applied(prodGitHub, 3, "prod", sha(50), ["failure"], { conclusion: "failure" });
    applied(stagingGitHub, 1, "staging", sha(51), ["success"]);
    applied(gatesGitHub, 4, "gates", sha(50), ["success"]);
    const r = await cli("stacks-to-plan", "main", "--head", dirs.head, "--at", `${sha(50)}=${dirs.head}`);
    // gates: same config as its last success → skipped; staging: sha 51 not synthesized → planned; prod: failed → planned
    expect(JSON.parse(r.stdout).include.map((t: any) => t.environment)).toEqual(["staging", "prod"]);
    // no earlier synth given at all (no --at): nothing can be compared, every stack of the branch is planned
    const none = await cli("stacks-to-plan", "main", "--head", dirs.head);
    expect(JSON.parse(none.stdout).include.map((t: any) => t.environment)).toEqual(["gates", "staging", "prod"]);
  });
});

/**
 * Prod split by team, three services of two teams: the head commit gives billing (team payments) its own latency
 * threshold, the older one the environment's, so only billing's monitors change.
 */
const split = (billingLatencyMs?: number) => {
  const def = structuredClone(definition) as any;
  def.services = [{ name: "api", team: "platform" }, { name: "billing", team: "payments", ...(billingLatencyMs ? { latencyMs: billingLatencyMs } : {}) }];
  for (const e of ["dev", "staging", "prod"]) def.environments[e].cost.budgetMonthly *= 3;
  def.environments.prod.splitByTeam = true;
  return def;
};
/** The synth outputs of those two commits, made once for the file. */
const splitDirs = { head: "", old: "" };
function synthesizeSplit(): void {
  if (splitDirs.head !== "") return;
  splitDirs.head = path.join(scratchDir(), "split-head-out");
  splitDirs.old = path.join(scratchDir(), "split-old-out");
  expect(synthesize(split(150), splitDirs.head)).toBe(0);
  expect(synthesize(split(), splitDirs.old)).toBe(0);
}

describe("stacks-to-plan with prod split by team (splitByTeam)", () => {
  const dirs = splitDirs;
  beforeAll(synthesizeSplit);

  it("a change to one service's threshold plans its team's stack in prod, not prod's own nor the other team's; staging (not split) and its gate come along", async () => {
    let id = 10;
    for (const stack of ["prod", "prod-platform", "prod-payments"]) applied(prodGitHub, id++, stack, sha(60), ["success"]);
    applied(stagingGitHub, id++, "staging", sha(60), ["success"]);
    applied(gatesGitHub, id++, "gates", sha(60), ["success"]);
    // deploy.yml's own words: stacks-to-plan -- "$REF" --head cdktf.out "${at[@]}"
    const [inv] = invocations().filter((i) => i.workflow === "deploy.yml" && i.script === "stacks-to-plan" && i.words.includes("--head"));
    const args = argv(inv, { REF: "refs/heads/main", at: ["--at", `${sha(60)}=${dirs.old}`] }).map((w) => (w === "cdktf.out" ? dirs.head : w));
    shared ??= startCliProcess();
    const r = await shared.run(args, githubEnv(), split(150));
    expect(r.stderr).toBe("");
    const include = JSON.parse(r.stdout).include;
    expect(include.map((t: any) => t.environment)).toEqual(["staging", "prod-payments"]);
    // the team stack runs in prod's GitHub environments, with prod's credentials and approval
    expect(include[1]).toMatchObject({ githubEnvironment: seedMatrix.environments.prod.identity.githubEnvironment, protected: true });
  });

  it("the pull-request review's changed-stacks says the same: its team's stacks, and the environments that do not split", async () => {
    const [inv] = invocations().filter((i) => i.workflow === "pull-request-review.yml" && i.script === "changed-stacks" && !i.words.includes("$RUNNER_TEMP/trusted-head"));
    const runnerTemp = path.join(scratchDir(), "split-runner");
    fs.mkdirSync(path.join(runnerTemp, "base"), { recursive: true });
    fs.mkdirSync(path.join(runnerTemp, "head"), { recursive: true });
    fs.cpSync(dirs.old, path.join(runnerTemp, "base", "cdktf.out"), { recursive: true });
    fs.cpSync(dirs.head, path.join(runnerTemp, "head", "cdktf.out"), { recursive: true });
    shared ??= startCliProcess();
    const r = await shared.run(argv(inv, { RUNNER_TEMP: runnerTemp }), {}, split(150));
    // hotfix is prod's clone: split too
    expect(JSON.parse(r.stdout)).toEqual(["dev", "hotfix-payments", "prod-payments", "staging"]);
  });

  it("each stack by its own record: a failed apply of one team's stack plans that stack (and, as its gate wants, staging), not the others", async () => {
    applied(prodGitHub, 22, "prod", sha(61), ["success"]);
    applied(prodGitHub, 21, "prod-platform", sha(61), ["failure"], { conclusion: "failure" });
    applied(prodGitHub, 20, "prod-payments", sha(61), ["success"]);
    applied(stagingGitHub, 19, "staging", sha(61), ["success"]);
    applied(gatesGitHub, 18, "gates", sha(61), ["success"]);
    shared ??= startCliProcess();
    const r = await shared.run(["stacks-to-plan", "main", "--head", dirs.head, "--at", `${sha(61)}=${dirs.head}`], githubEnv(), split(150));
    // a team stack is gated like its environment (deployedFirstIn staging): staging comes along
    expect(JSON.parse(r.stdout).include.map((t: any) => t.environment)).toEqual(["staging", "prod-platform"]);
  });
});

describe("each stack's own apply record (record-apply), read by stacks-to-plan", () => {
  const dirs = splitDirs;
  beforeAll(synthesizeSplit);
  const plan = async (...at: string[]) => {
    shared ??= startCliProcess();
    const r = await shared.run(["stacks-to-plan", "main", "--head", dirs.head, ...at.flatMap((a) => ["--at", a])], githubEnv(), split(150));
    return { planned: JSON.parse(r.stdout).include.map((t: any) => t.environment), stderr: r.stderr };
  };
  const needed = async () => {
    shared ??= startCliProcess();
    recordsOfReviewedMerges();
    return (await shared.run(["stacks-to-plan", "main", "--needed"], githubEnv(), split(150))).stdout.trim().split("\n").filter(Boolean).sort();
  };
  const upToDate = () => {
    applied(stagingGitHub, 1, "staging", sha(71), ["success"]);
    applied(gatesGitHub, 2, "gates", sha(71), ["success"]);
  };

  it("deploy.yml records each stack's apply with its run: started before terraform apply (failing the job if GitHub refuses), its outcome after", () => {
    const invs = invocations().filter((i) => i.workflow === "deploy.yml" && i.script === "record-apply");
    expect(invs.map((i) => i.words)).toEqual([
      ["$STACK", "--commit", "$SHA", "--state", "in_progress", "--run", "$GITHUB_RUN_ID", "--attempt", "$GITHUB_RUN_ATTEMPT"],
      ["$STACK", "--commit", "$SHA", "--state", "$OUTCOME", "--run", "$GITHUB_RUN_ID", "--attempt", "$GITHUB_RUN_ATTEMPT"],
    ]);
    const yml = fs.readFileSync(path.join(root, ".github", "workflows", "deploy.yml"), "utf8");
    const apply = yml.slice(yml.indexOf("\n  apply:"));
    const order = ["- name: Record that this stack's apply starts", "- name: terraform apply the saved plan", "- name: Record this stack's apply ("].map((n) => apply.indexOf(n));
    expect(order.every((at, k) => at > 0 && (k === 0 || at > order[k - 1]))).toBe(true);
    const start = apply.slice(order[0], order[1]);
    expect(start).not.toContain("continue-on-error");
    expect(start).not.toMatch(/\n\s+if:/);
    const finish = apply.slice(order[2], apply.indexOf("- name: Report the deployment to Datadog"));
    expect(finish).toContain("if: always() && steps.record.outcome == 'success'");
    expect(finish).toContain("OUTCOME: ${{ steps.apply.outcome == 'success' && 'success' || 'failure' }}");
    for (const step of [start, finish]) expect(step).toContain("GITHUB_TOKEN: ${{ github.token }}");
    expect(apply).toMatch(/permissions:[\s\S]*?\n\s+deployments: write\n/);
    // the resolve job reads the runs and jobs the records are checked against ("Get a workflow run" and "List jobs
    // for a workflow run" need actions: read)
    const resolve = yml.slice(yml.indexOf("\n  resolve:"), yml.indexOf("\n  plan:"));
    expect(resolve).toMatch(/permissions:[\s\S]*?\n\s+actions: read\n/);
  });

  it("record-apply: before the apply a deployment of the commit with the stack's task, its run in the payload and an in_progress status, after it that record's outcome; the others left as they were", async () => {
    state.deploymentsWritable = true;
    state.deployments[prodGitHub] = [{ id: 40, sha: sha(72), statuses: ["success"] }];
    shared ??= startCliProcess();
    // deploy.yml's own words: record-apply -- "$STACK" --commit "$SHA" --state in_progress --run … --attempt …, then --state "$OUTCOME"
    const [startInv, finishInv] = invocations().filter((i) => i.workflow === "deploy.yml" && i.script === "record-apply");
    const runOf = { GITHUB_RUN_ID: "4242", GITHUB_RUN_ATTEMPT: "2" };
    const started = await shared.run(argv(startInv, { STACK: "prod-payments", SHA: sha(72), ...runOf }), githubEnv(), split(150));
    expect(started.stderr).toBe("");
    expect(started.code).toBe(0);
    const finished = await shared.run(argv(finishInv, { STACK: "prod-payments", SHA: sha(72), OUTCOME: "success", ...runOf }), githubEnv(), split(150));
    expect(finished.stderr).toBe("");
    const posts = fake.requests.filter((q) => q.method === "POST").map((q) => ({ ...q, body: JSON.parse(q.body) }));
    const repoPath = `/repos/${seedMatrix.organization.github.owner}/${seedMatrix.organization.github.repository}`;
    expect(posts.map((q) => q.path.replace(/\d+/, "{id}"))).toEqual([`${repoPath}/deployments`, `${repoPath}/deployments/{id}/statuses`, `${repoPath}/deployments/{id}/statuses`]);
    // "Create a deployment": ref, environment, task, payload; no merge of the default branch, no wait for the commit's checks
    expect(posts[0].body).toMatchObject({ ref: sha(72), environment: prodGitHub, task: "envmatrix-applied:prod-payments", auto_merge: false, required_contexts: [], payload: { run_id: 4242, run_attempt: 2 } });
    expect(posts.slice(1).map((q) => q.body)).toMatchObject([
      { state: "in_progress", auto_inactive: false },
      { state: "success", auto_inactive: false },
    ]);
    // both statuses on the record made before the apply
    expect(new Set(posts.slice(1).map((q) => q.path)).size).toBe(1);
    // the apply job's own deployment keeps its success
    expect(state.deployments[prodGitHub].find((d) => d.id === 40)!.statuses).toEqual(["success"]);
    expect(started.stdout).toMatch(new RegExp(`^prod-payments applies ${sha(72).slice(0, 12)}: deployment \\d+ in ${prodGitHub}$`, "m"));
    expect(finished.stdout).toMatch(new RegExp(`^prod-payments applied ${sha(72).slice(0, 12)}: deployment \\d+ in ${prodGitHub}$`, "m"));
    // an outcome for an apply never started is refused: another stack, or another attempt of the run
    const orphan = await shared.run(argv(finishInv, { STACK: "prod-platform", SHA: sha(72), OUTCOME: "success", ...runOf }), githubEnv(), split(150));
    expect(orphan.code).toBe(1);
    expect(orphan.stderr).toMatch(/no record of prod-platform's apply of [0-9a-f]{12} in run 4242 attempt 2 was started/);
    const otherAttempt = await shared.run(argv(finishInv, { STACK: "prod-payments", SHA: sha(72), OUTCOME: "success", GITHUB_RUN_ID: "4242", GITHUB_RUN_ATTEMPT: "3" }), githubEnv(), split(150));
    expect(otherAttempt.stderr).toMatch(/no record of prod-payments's apply of [0-9a-f]{12} in run 4242 attempt 3 was started/);
    // a failed apply is recorded as failed, and said so
    expect((await shared.run(argv(startInv, { STACK: "prod-payments", SHA: sha(73), ...runOf }), githubEnv(), split(150))).code).toBe(0);
    const failed = await shared.run(argv(finishInv, { STACK: "prod-payments", SHA: sha(73), OUTCOME: "failure", ...runOf }), githubEnv(), split(150));
    expect(failed.code).toBe(0);
    expect(failed.stdout).toMatch(new RegExp(`^prod-payments failed to apply ${sha(73).slice(0, 12)}: deployment \\d+ in ${prodGitHub}$`, "m"));
    expect(JSON.parse(fake.requests.filter((q) => q.method === "POST").pop()!.body).state).toBe("failure");
  });

  it("record-apply refuses an unknown stack, a short sha and a run or attempt that is not one, all at once, and says when GitHub refuses the record", async () => {
    shared ??= startCliProcess();
    const bad = await shared.run(["record-apply", "prod-nobody", "--commit", "abc123", "--state", "in_progress", "--run", "", "--attempt", "0"], githubEnv(), split(150));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/no stack is named prod-nobody \(stacks: .*prod-payments/);
    expect(bad.stderr).toMatch(/--commit abc123: not a full 40-character commit sha/);
    expect(bad.stderr).toContain("--run : not a run id (GITHUB_RUN_ID)");
    expect(bad.stderr).toContain("--attempt 0: not a run attempt (GITHUB_RUN_ATTEMPT, from 1)");
    // a token without deployments: write (the fake is read-only then)
    state.deploymentsWritable = false;
    const refused = await shared.run(["record-apply", "prod-payments", "--commit", sha(72), "--state", "in_progress", "--run", "4242", "--attempt", "1"], githubEnv(), split(150));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/GitHub did not record prod-payments's in progress for [0-9a-f]{12} \(HTTP 405\); the next run plans prod-payments again/);
  });

  it("a stack whose newest apply did not succeed (running, failed, cancelled mid-apply, its outcome unrecorded, or a later step of its job failing) is planned, whatever older records say", async () => {
    const cases: [string[], string | null][] = [
      [["in_progress"], null],
      [["failure", "in_progress"], "failure"],
      [["in_progress"], "cancelled"],
      [[], "failure"],
      // the record says success, but its job did not succeed
      [["success", "in_progress"], "failure"],
      // the job succeeded, but GitHub did not take the record's outcome (record-apply after the apply may fail)
      [["in_progress"], "success"],
    ];
    for (const [newest, conclusion] of cases) {
      state.deployments = {};
      upToDate();
      applied(prodGitHub, 14, "prod", sha(71), ["success"]);
      // prod-payments applied 71 over 70 (the head's config); the newest apply did not succeed
      applied(prodGitHub, 12, "prod-payments", sha(71), newest, { conclusion });
      applied(prodGitHub, 11, "prod-payments", sha(70), ["inactive", "success"]);
      applied(prodGitHub, 10, "prod-platform", sha(71), ["inactive", "success"]);
      // compared with 70 (whose config is the head's, as in a revert), it would be skipped: it is planned
      const { planned } = await plan(`${sha(71)}=${dirs.head}`, `${sha(70)}=${dirs.head}`);
      expect({ newest, conclusion, planned }).toEqual({ newest, conclusion, planned: ["staging", "prod-payments"] });
    }
  });

  it("a run cancelled after prod's own stack applied: prod-payments, never reached, is compared with its own last apply and planned", async () => {
    upToDate();
    // the newest run applied prod's stack at 71 and was cancelled before prod-payments (no record of it at 71);
    // prod-payments and prod-platform last applied at 70, whose synth gave billing the environment's threshold
    applied(prodGitHub, 13, "prod", sha(71), ["success"]);
    applied(prodGitHub, 11, "prod-payments", sha(70), ["success"]);
    applied(prodGitHub, 10, "prod-platform", sha(70), ["inactive", "success"]);
    expect(await needed()).toEqual([sha(70), sha(71)].sort());
    // staging comes along: prod's gate wants the commit deployed there first (entryGates.deployedFirstIn)
    expect((await plan(`${sha(71)}=${dirs.head}`, `${sha(70)}=${dirs.old}`)).planned).toEqual(["staging", "prod-payments"]);
  });

  it("a stack with no record of its own never applied (new, or a run cancelled before it): planned", async () => {
    upToDate();
    applied(prodGitHub, 13, "prod", sha(71), ["success"]);
    applied(prodGitHub, 11, "prod-platform", sha(71), ["success"]);
    // GitHub's own deployment of an apply job (task "deploy") says nothing of which stack it applied
    state.deployments[prodGitHub].push({ id: 12, sha: sha(71), statuses: ["success"] });
    expect((await plan(`${sha(71)}=${dirs.head}`)).planned).toEqual(["staging", "prod-payments"]);
  });

  it("a stack applied before another in the same run is inactive once the later one succeeds (auto_inactive): it still succeeded, nothing is planned", async () => {
    upToDate();
    applied(prodGitHub, 16, "prod-payments", sha(71), ["success"]);
    applied(prodGitHub, 14, "prod-platform", sha(71), ["inactive", "success"]);
    applied(prodGitHub, 12, "prod", sha(71), ["inactive", "success"]);
    expect((await plan(`${sha(71)}=${dirs.head}`)).planned).toEqual([]);
  });

  it("a record no apply job of the pipeline made is skipped, saying why, and the stack's newest one that a job made decides", async () => {
    upToDate();
    applied(prodGitHub, 30, "prod", sha(71), ["success"]);
    applied(prodGitHub, 29, "prod-platform", sha(71), ["success"]);
    // prod-payments' own apply, at 70 (whose synth gave billing the environment's threshold): the head differs
    applied(prodGitHub, 10, "prod-payments", sha(70), ["success"]);
    // newer records anyone with write access could make, each saying prod-payments applied the head's 71 (which
    // would skip it), each unlike the pipeline's in exactly one way; newest first
    const forged = (id: number, change: (record: any, run: any, jobs: any[]) => void) => {
      const runId = applied(prodGitHub, id, "prod-payments", sha(71), ["success"]);
      const record = state.deployments[prodGitHub].find((d) => d.id === id)!;
      change(record, state.runs![runId], state.runJobs![runId]);
      return runId;
    };
    forged(28, (record) => delete record.payload);
    forged(27, (record) => (record.payload = { run_id: 999999, run_attempt: 1 }));
    const ofPullRequest = forged(26, (_r, run) => (run.path = ".github/workflows/pull-request.yml"));
    const dispatched = forged(25, (_r, run) => (run.event = "workflow_dispatch"));
    const onFeature = forged(24, (_r, run) => (run.head_branch = "feature/x"));
    const otherCommit = forged(23, (_r, run) => (run.head_sha = sha(70)));
    const otherStack = forged(22, (_r, _run, jobs) => (jobs[0].name = "apply prod-platform"));
    const otherAttempt = forged(21, (record) => (record.payload = { ...record.payload, run_attempt: 2 }));
    forged(20, (record) => (record.created_at = "2026-11-20T11:00:00Z"));
    forged(19, (record) => (record.created_at = "2026-11-20T09:59:59Z"));
    expect(await needed()).toEqual([sha(70), sha(71)].sort());
    const { planned, stderr } = await plan(`${sha(71)}=${dirs.head}`, `${sha(70)}=${dirs.old}`);
    expect(planned).toEqual(["staging", "prod-payments"]);
    const said = (id: number, sha12: string, why: string) => `prod-payments: skipped deployment ${id} (${sha12}): ${why}`;
    const s71 = sha(71).slice(0, 12);
    for (const line of [
      said(28, s71, "it names no deploy run (payload run_id and run_attempt)"),
      said(27, s71, "run 999999 does not exist"),
      said(26, s71, `run ${ofPullRequest} is of .github/workflows/pull-request.yml, not ${DEPLOY_YML}`),
      said(25, s71, `run ${dispatched} was started by workflow_dispatch, not a push`),
      said(24, s71, `run ${onFeature} ran on feature/x, which does not deploy prod-payments`),
      said(23, s71, `run ${otherCommit} ran ${sha(70).slice(0, 12)}, not ${s71}`),
      said(22, s71, `run ${otherStack} attempt 1 has no apply prod-payments job`),
      said(21, s71, `run ${otherAttempt} attempt 2 has no apply prod-payments job`),
      said(20, s71, "it was made at 2026-11-20T11:00:00Z, not while job"),
      said(19, s71, "it was made at 2026-11-20T09:59:59Z, not while job"),
    ]) {
      expect(stderr).toContain(line);
    }
    // said once for each record, on no other stack
    expect(stderr.trim().split("\n")).toHaveLength(10);
  });

  it("past the newest 20 records, all made up, the stack is planned: a flood of them costs GitHub no more requests", async () => {
    upToDate();
    applied(prodGitHub, 30, "prod", sha(71), ["success"]);
    applied(prodGitHub, 29, "prod-platform", sha(71), ["success"]);
    // its own apply at 71, the head's config: compared with it, prod-payments would be skipped
    applied(prodGitHub, 10, "prod-payments", sha(71), ["success"]);
    for (let id = 11; id <= 30; id++) state.deployments[prodGitHub].push({ id: 100 + id, sha: sha(71), statuses: ["success"], task: "envmatrix-applied:prod-payments" });
    const { planned, stderr } = await plan(`${sha(71)}=${dirs.head}`);
    expect(planned).toEqual(["staging", "prod-payments"]);
    expect(stderr.trim().split("\n")).toHaveLength(20);
  });
});

describe("last-applied: the commit drift plans a stack at", () => {
  it("is the stack's newest apply the pipeline made, when it succeeded and is a merged pull request's merge commit; else nothing, saying why", async () => {
    // staging deploys from develop too: its newest apply came from a develop push
    applied(stagingGitHub, 31, "staging", sha(81), ["success"], { branch: "develop" });
    applied(stagingGitHub, 30, "staging", sha(80), ["success"]);
    recordsOfReviewedMerges();
    const r = await cli("last-applied", "staging");
    expect([r.code, r.stdout.trim(), r.stderr]).toEqual([0, sha(81), ""]);
    // a made-up newer record is skipped, saying why; the pipeline's own decides
    state.deployments[stagingGitHub].push({ id: 32, sha: sha(82), statuses: ["success"], task: "envmatrix-applied:staging" });
    const forged = await cli("last-applied", "staging");
    expect([forged.stdout.trim(), forged.stderr]).toEqual([sha(81), expect.stringContaining("staging: skipped deployment 32 (")]);
    // a commit that is no merged pull request's merge commit is not synthesized (its code would run)
    state.pulls[sha(81)] = [pr(81, "develop", sha(83))];
    const notMerge = await cli("last-applied", "staging");
    expect([notMerge.code, notMerge.stdout, notMerge.stderr]).toEqual([0, "", expect.stringContaining(`${sha(81)}: staging's apply record names no merged pull request's merge commit; not used`)]);
    // never applied: nothing, said
    const never = await cli("last-applied", "prod");
    expect([never.code, never.stdout, never.stderr]).toEqual([0, "", "prod: no successful apply on record (never applied, or its newest apply did not succeed)\n"]);
    // a stack the matrix does not have
    const unknown = await cli("last-applied", "qa");
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringContaining("no stack is named qa")]);
  });
});

/** The seed matrix synthesized once for the file's readers of the gates stack (admissions, bypass-lists), which only read it. */
function seedOut(): string {
  const out = path.join(scratchDir(), "seed-out");
  if (!fs.existsSync(out)) expect(synthesize(definition, out)).toBe(0);
  return out;
}

describe("admissions: each GitHub environment admits only the branches and reviewers the gates stack writes", () => {
  const out = seedOut;
  const owner = seedMatrix.organization.github.owner;
  const repository = seedMatrix.organization.github.repository;
  /** The branch patterns each GitHub environment admits, as the synthesized gates stack writes its policies. */
  function writtenPolicies(): Record<string, string[]> {
    const gates = JSON.parse(fs.readFileSync(path.join(out(), "stacks", "gates", "cdk.tf.json"), "utf8"));
    const envName = (ref: string) => gates.resource.github_repository_environment[/github_repository_environment\.([a-z0-9_]+)\.environment/.exec(ref)![1]].environment;
    const expected: Record<string, string[]> = {};
    for (const p of Object.values<any>(gates.resource.github_repository_environment_deployment_policy)) {
      const patterns = p.for_each ? JSON.parse(/^\$\{toset\((\[.*\])\)\}$/.exec(p.for_each)![1]) : [p.branch_pattern];
      (expected[envName(p.environment)] ??= []).push(...patterns);
    }
    return expected;
  }
  /**
   * The required reviewers of each GitHub environment, from the matrix (README "Promotion"): every environment's
   * approval reviewers in its own environment, the gates' environment the reviewers of the environment it follows,
   * and an environment's branch creators in its `-branches` environment (self-review allowed there).
   */
  function matrixReviewers(): Record<string, { teams: string[]; users: string[]; preventSelfReview: boolean }> {
    const out: Record<string, { teams: string[]; users: string[]; preventSelfReview: boolean }> = {};
    for (const e of Object.values(seedMatrix.environments)) {
      const { teams, users } = e.approval.reviewers;
      if (teams.length + users.length > 0) out[e.identity.githubEnvironment] = { teams: [...teams], users: [...users], preventSelfReview: e.approval.preventSelfReview };
      const creators = e.identity.branchCreators ?? [];
      if (creators.length > 0) out[`${e.identity.githubEnvironment}-branches`] = { teams: [...creators], users: [], preventSelfReview: false };
    }
    const followed = seedMatrix.environments[seedMatrix.organization.gates.followsEnvironment].approval;
    out[seedMatrix.organization.gates.githubEnvironment] = { teams: [...followed.reviewers.teams], users: [...followed.reviewers.users], preventSelfReview: followed.preventSelfReview };
    return out;
  }
  /** The fake's environments: each with the matrix's branch policies, and its reviewers rule where the matrix gives one (GitHub REST "Get an environment"). */
  function asTheMatrixHasThem(): void {
    const policies = writtenPolicies();
    const reviewers = matrixReviewers();
    const names = [...new Set([...Object.keys(policies), ...Object.keys(reviewers)])];
    state.environments = Object.fromEntries(names.map((e) => [e, reviewers[e] ? ["required_reviewers"] : []]));
    state.environmentSettings = Object.fromEntries(
      Object.entries(reviewers).map(([e, r]) => [
        e,
        {
          rules: {
            required_reviewers: {
              prevent_self_review: r.preventSelfReview,
              reviewers: [...r.teams.map((slug, i) => ({ type: "Team", reviewer: { id: 100 + i, slug, name: slug } })), ...r.users.map((login, i) => ({ type: "User", reviewer: { id: 200 + i, login } }))],
            },
          },
        },
      ]),
    );
    state.branchPolicies = Object.fromEntries(Object.entries(policies).map(([e, ps]) => [e, ps.map((name, i) => ({ id: i + 1, name, type: "branch" }))]));
  }
  const prod = seedMatrix.environments.prod.identity.githubEnvironment;

  it("names a policy added by hand (a branch pattern or a tag) in its environment, exit 3; all the stack's own pass; an environment it cannot read fails", async () => {
    asTheMatrixHasThem();
    const expected = writtenPolicies();
    expect(Object.keys(expected).length).toBeGreaterThan(5);
    const clean = await cli("admissions", "--out", out());
    expect([clean.code, clean.stderr]).toEqual([0, ""]);
    expect(clean.stdout.trim().split("\n")).toHaveLength(Object.keys(state.environments!).length);
    state.branchPolicies![prod].push({ id: 90, name: "*", type: "branch" }, { id: 91, name: "v*", type: "tag" });
    // a tag policy named like one of the stack's branch patterns is still not the stack's
    state.branchPolicies![prod].push({ id: 92, name: expected[prod][0], type: "tag" });
    const extra = await cli("admissions", "--out", out());
    expect(extra.code).toBe(3);
    expect(extra.stderr).toBe(`${prod}: also admits branch *, tag v*, tag ${expected[prod][0]}, which the gates stack does not write (added by hand?): remove it in the repository's environment settings\n`);
    // a token that may not read them (Actions: read missing)
    state.forbidden = [`/repos/${owner}/${repository}/environments/${prod}/deployment-branch-policies`];
    const denied = await cli("admissions", "--out", out());
    expect([denied.code, denied.stderr]).toEqual([1, expect.stringContaining(`${prod}: could not read its deployment branch policies or reviewers (HTTP 403: the token needs Actions: read)`)]);
  });

  it("counts a policy the gates stack imports (an adopt file) as one it writes, not one added by hand", () => {
    const { expectedAdmissions } = require("../review/admissions") as typeof import("../review/admissions");
    const gates = JSON.parse(fs.readFileSync(path.join(out(), "stacks", "gates", "cdk.tf.json"), "utf8"));
    const prodPolicies = Object.entries<any>(gates.resource.github_repository_environment_deployment_policy).filter(([, p]) => p.environment.includes("prod_deploy_environment"));
    expect(prodPolicies.length).toBeGreaterThan(0);
    const [name, policy] = prodPolicies[0];
    const address = `github_repository_environment_deployment_policy.${name}${policy.for_each ? `[${JSON.stringify(JSON.parse(/^\$\{toset\((\[.*\])\)\}$/.exec(policy.for_each)![1])[0])}]` : ""}`;
    const adopted = { ...gates, import: [{ to: address, id: "envmatrix:production:1" }] };
    expect(expectedAdmissions(adopted)).toEqual(expectedAdmissions(gates));
    expect(expectedAdmissions(gates).get(prod)!.size).toBeGreaterThan(0);
  });

  // integrations/github 6.9.0's read sets reviewers only from a required_reviewers rule, so one removed by hand
  // stays in state: no plan or drift run sees it, and no gates apply writes it back
  it("names an environment whose required reviewers were removed or changed by hand, or whose self-review was allowed, exit 3", async () => {
    asTheMatrixHasThem();
    const reviewers = matrixReviewers();
    // every environment the matrix gives reviewers is read: prod's, its clone's, the gates' and the branch creators'
    expect(Object.keys(reviewers).sort()).toEqual([prod, seedMatrix.environments.hotfix.identity.githubEnvironment, seedMatrix.organization.gates.githubEnvironment, `${seedMatrix.environments.hotfix.identity.githubEnvironment}-branches`].sort());
    expect((await cli("admissions", "--out", out())).code).toBe(0);
    const team = reviewers[prod].teams[0];
    // the rule removed: GitHub lists the environment with no required_reviewers rule
    state.environments![prod] = [];
    const removed = await cli("admissions", "--out", out());
    expect(removed.code).toBe(3);
    expect(removed.stderr).toBe(
      `${prod}: no required reviewers (the gates stack writes teams ${team}; no plan shows this, and a gates apply does not write them back): set the required reviewers in the repository's environment settings as the matrix has them\n`,
    );
    // the rule back, but another team in place of the matrix's, a user added, and self-review allowed
    state.environments![prod] = ["required_reviewers"];
    state.environmentSettings![prod].rules!.required_reviewers = { prevent_self_review: false, reviewers: [{ type: "Team", reviewer: { id: 7, slug: "everyone" } }, { type: "User", reviewer: { id: 8, login: "octocat" } }] };
    const changed = await cli("admissions", "--out", out());
    expect(changed.code).toBe(3);
    expect(changed.stderr).toContain(`${prod}: team ${team} not among the reviewers; team everyone a reviewer the gates stack does not write; user octocat a reviewer the gates stack does not write; self-review allowed (the gates stack prevents it): set the required reviewers`);
    // logins compare without case, as GitHub's do
    state.environmentSettings![prod].rules!.required_reviewers = { prevent_self_review: true, reviewers: [{ type: "Team", reviewer: { id: 7, slug: team.toUpperCase() } }] };
    expect((await cli("admissions", "--out", out())).code).toBe(0);
    // logins and slugs written with capitals in the matrix match GitHub's as well (reviewerDifferences, directly)
    const { reviewerDifferences } = require("../review/admissions") as typeof import("../review/admissions");
    const github = { protection_rules: [{ type: "required_reviewers", prevent_self_review: true, reviewers: [{ type: "Team", reviewer: { slug: "platform-leads" } }, { type: "User", reviewer: { login: "octocat" } }] }] };
    expect(reviewerDifferences(github, { teams: ["Platform-Leads"], users: ["OctoCat"], preventSelfReview: true })).toEqual([]);
    // reviewers in a form it cannot read are refused, never passed: here ids written out instead of looked up
    const { expectedReviewers } = require("../review/admissions") as typeof import("../review/admissions");
    const literal = { resource: { github_repository_environment: { prod_deploy_environment: { environment: prod, reviewers: [{ teams: [1], users: [] }] } } } };
    expect(() => expectedReviewers(literal)).toThrow("github_repository_environment.prod_deploy_environment: reviewers [1] are not a lookup of data.github_team over a list of names");
    // the environment unreadable (Actions: read missing for it) while its policies are: a hand-added policy is still named
    state.branchPolicies![prod].push({ id: 90, name: "*", type: "branch" });
    state.forbidden = [`/repos/${owner}/${repository}/environments/${prod}`];
    const half = await cli("admissions", "--out", out());
    expect(half.code).toBe(1);
    expect(half.stderr).toContain(`${prod}: also admits branch *, which the gates stack does not write`);
    expect(half.stderr).toContain(`${prod}: could not read its deployment branch policies or reviewers (HTTP 403: the token needs Actions: read)`);
    state.forbidden = [];
    state.branchPolicies![prod].pop();
    // an environment of the stack that GitHub does not have: no answer to read, exit 1
    delete state.environments![prod];
    const gone = await cli("admissions", "--out", out());
    expect([gone.code, gone.stderr]).toEqual([1, expect.stringContaining(`${prod}: could not read its deployment branch policies or reviewers (HTTP 404)`)]);
  });
});

describe("bypass-lists: each ruleset's bypass list is the stack's, where no plan or apply would see to it", () => {
  // GitHub shows bypass_actors only to a token that may write the ruleset, so no plan sees one added by hand, and an
  // apply sends an empty list only when its plan changes it (integrations/github 6.9.0 ruleset update): this reads
  // them with the deploy app's token and compares them with the stack the apply job applies (plan/cdk.tf.json)
  const stackFile = () => path.join(seedOut(), "stacks", "gates", "cdk.tf.json");
  const rulesetName = (env: string) => `envmatrix: ${seedMatrix.environments[env].identity.protectedBranch} (${env})`;
  const byName = (name: string) => state.rulesets!.find((r) => r.name === name && r.source_type === undefined)!;
  /**
   * GitHub's rulesets as an apply left them: each the stack makes (a creation ruleset only where the matrix names
   * branch creators: count 0 makes none), with its bypass list as written; and the ids the plan's state holds.
   */
  function asApplied(): { address: string; id: number }[] {
    const gates = JSON.parse(fs.readFileSync(stackFile(), "utf8"));
    const made = Object.entries<any>(gates.resource.github_repository_ruleset).filter(([, r]) => r.count !== 0);
    state.rulesets = made.map(([, r], i) => ({ id: 101 + i, name: r.name, target: "branch", enforcement: r.enforcement, bypass_actors: r.bypass_actors }));
    // an organization ruleset of the same name applies to the repository too, but is not the stack's
    state.rulesets.push({ id: 99, name: rulesetName("prod"), target: "branch", enforcement: "active", source_type: "Organization", bypass_actors: [{ actor_id: 1, actor_type: "OrganizationAdmin", bypass_mode: "always" }] });
    return made.map(([key, r], i) => ({ address: `github_repository_ruleset.${key}${r.count === 1 ? "[0]" : ""}`, id: 101 + i }));
  }
  const extraAdvice =
    "which the gates stack does not write (added by hand, or taken out of the matrix): no plan shows a bypass actor, and no apply removes one where the stack's list is empty: remove it in the repository's ruleset settings";
  const idsFile = (ids: { address: string; id: number }[]) => {
    const file = path.join(fs.mkdtempSync(path.join(scratchDir(), "ruleset-ids-")), "ruleset-ids.json");
    fs.writeFileSync(file, JSON.stringify(ids));
    return file;
  };

  it("from a workstation: passes the lists as applied; names an actor added by hand, one removed, a ruleset renamed; fails without a token that may see them", async () => {
    asApplied();
    // the matrix: prod's branch ruleset lets nobody bypass (adminsCanBypass false), staging's the repository admin
    // role (adminsCanBypass true; GitHub's admin role is RepositoryRole 5, REST "Create a repository ruleset"), and
    // only hotfix names branch creators, so it alone has a creation ruleset
    expect(seedMatrix.environments.prod.approval.adminsCanBypass).toBe(false);
    expect(seedMatrix.environments.staging.approval.adminsCanBypass).toBe(true);
    expect(Object.entries(seedMatrix.environments).filter(([, e]) => e.identity.branchCreators !== undefined).map(([n]) => n)).toEqual(["hotfix"]);
    expect(byName(rulesetName("prod")).bypass_actors).toEqual([]);
    expect(byName(rulesetName("staging")).bypass_actors).toEqual([{ actor_id: 5, actor_type: "RepositoryRole", bypass_mode: "always" }]);
    expect(state.rulesets!.map((r) => r.name).filter((n) => n.endsWith("(creation)"))).toEqual([`${rulesetName("hotfix")} (creation)`]);
    // more rulesets than a page holds, the stack's last: every page is read, with the query kept
    state.rulesets!.unshift(...Array.from({ length: 120 }, (_, i) => ({ id: 1000 + i, name: `another team's ${i}`, target: "branch", enforcement: "active", bypass_actors: [] })));
    const clean = await cli("bypass-lists", stackFile());
    expect([clean.code, clean.stderr]).toEqual([0, ""]);
    expect(clean.stdout).toContain(`${rulesetName("prod")}: bypass list as the gates stack writes it\n`);
    expect(clean.stdout.trim().split("\n")).toHaveLength(4);
    // by hand: a team may bypass prod's ruleset, and staging's admin role was taken off
    (byName(rulesetName("prod")).bypass_actors as unknown[]).push({ actor_id: 42, actor_type: "Team", bypass_mode: "pull_request" });
    byName(rulesetName("staging")).bypass_actors = [];
    const changed = await cli("bypass-lists", stackFile());
    expect(changed.code).toBe(3);
    // in the order of their names
    expect(changed.stderr).toBe(
      `${rulesetName("staging")}: lacks RepositoryRole 5 (always), which the gates stack writes: set the list in the repository's ruleset settings as the matrix has it\n` +
        `${rulesetName("prod")}: also lets Team 42 (pull_request) bypass it, ${extraAdvice}\n`,
    );
    // the plan app's token: GitHub leaves bypass_actors out, which is never read as none
    state.rulesetsWritable = false;
    const hidden = await cli("bypass-lists", stackFile());
    expect(hidden.code).toBe(1);
    expect(hidden.stderr).toContain(`${rulesetName("prod")}: could not read its bypass list (GitHub showed no bypass list: the token needs write access to rulesets (Administration: write))\n`);
    // renamed by hand: not found by its name
    state.rulesetsWritable = true;
    byName(rulesetName("staging")).bypass_actors = [{ actor_id: 5, actor_type: "RepositoryRole", bypass_mode: "always" }];
    byName(rulesetName("prod")).name = "something else";
    const renamed = await cli("bypass-lists", stackFile());
    expect([renamed.code, renamed.stderr]).toEqual([1, `${rulesetName("prod")}: could not read its bypass list (no ruleset of this name: renamed or deleted by hand? (a plan of the gates stack shows it))\n`]);
  });

  it("before the apply: only the lists the apply leaves as they are (the empty ones), each found by the id in the plan's state; one the state lacks is the apply's to create", async () => {
    const ids = asApplied();
    // the matrix turned staging's admin bypass off: the stack's list is empty now, GitHub's still has the role, and
    // the plan app reads none either way, so no plan changes it and the apply would leave it
    const edited = structuredClone(definition) as any;
    edited.environments.staging.approval.adminsCanBypass = false;
    const out = path.join(scratchDir(), "bypass-no-admins");
    expect(synthesize(edited, out)).toBe(0);
    const kept = await cli("bypass-lists", path.join(out, "stacks", "gates", "cdk.tf.json"), "--before-apply", idsFile(ids));
    expect(kept.code).toBe(3);
    expect(kept.stderr).toBe(`${rulesetName("staging")}: also lets RepositoryRole 5 (always) bypass it, ${extraAdvice}\n`);
    // a list the stack writes is not compared before the apply: its plan changes it and the apply writes it whole
    byName(rulesetName("staging")).bypass_actors = [];
    (byName(`${rulesetName("hotfix")} (creation)`).bypass_actors as unknown[]).push({ actor_id: 42, actor_type: "Team", bypass_mode: "always" });
    const before = await cli("bypass-lists", stackFile(), "--before-apply", idsFile(ids));
    expect([before.code, before.stderr]).toEqual([0, ""]);
    expect(before.stdout).toContain(`${rulesetName("hotfix")} (creation): not compared (the apply writes this list whole (the planner reads it as none, so its plan changes it))\n`);
    // renamed by hand and given a bypass actor: found by its id all the same (the apply updates it in place)
    const prod = byName(rulesetName("prod"));
    prod.name = "renamed by hand";
    (prod.bypass_actors as unknown[]).push({ actor_id: 42, actor_type: "Team", bypass_mode: "always" });
    const renamed = await cli("bypass-lists", stackFile(), "--before-apply", idsFile(ids));
    expect([renamed.code, renamed.stderr]).toEqual([3, `${rulesetName("prod")}: also lets Team 42 (always) bypass it, ${extraAdvice}\n`]);
    // not in the plan's state: the apply creates it (as the stack writes it)
    const created = await cli("bypass-lists", stackFile(), "--before-apply", idsFile(ids.filter((x) => x.address !== "github_repository_ruleset.prod_branch_ruleset")));
    expect([created.code, created.stderr]).toEqual([0, ""]);
    expect(created.stdout).toContain(`${rulesetName("prod")}: not compared (not in the stack's state: the apply creates it)\n`);
    // no ids file, or not the plan job's shape: fails, never compares nothing
    const missing = await cli("bypass-lists", stackFile(), "--before-apply", path.join(scratchDir(), "none.json"));
    expect([missing.code, missing.stderr]).toEqual([1, `${path.join(scratchDir(), "none.json")}: no such file (the plan job writes it for the gates stack)\n`]);
    expect((await cli("bypass-lists", stackFile(), "--before-apply", idsFile([{ address: "x", id: null } as any]))).code).toBe(1);
  });

  it("refuses a stack whose rulesets it could not find or compare: ids, names or instances only a plan would know", () => {
    const { expectedBypassLists } = require("../review/bypass-lists") as typeof import("../review/bypass-lists");
    const ruleset = (r: object) => ({ resource: { github_repository_ruleset: { prod_branch_ruleset: { repository: "envmatrix", name: "x", bypass_actors: [], ...r } } } });
    expect(() => expectedBypassLists(ruleset({ bypass_actors: [{ actor_id: "${data.github_app.a.id}", actor_type: "Integration", bypass_mode: "always" }] }))).toThrow(
      "github_repository_ruleset.prod_branch_ruleset: a bypass actor's id is known only at plan",
    );
    expect(() => expectedBypassLists(ruleset({ name: "${var.name}" }))).toThrow("github_repository_ruleset.prod_branch_ruleset: its name is known only at plan");
    expect(() => expectedBypassLists(ruleset({ count: "${var.n}" }))).toThrow("github_repository_ruleset.prod_branch_ruleset: its instances are known only at plan");
    // count 0 makes none, count n the instances [0] … [n-1]
    expect([...expectedBypassLists(ruleset({ count: 0 })).keys()]).toEqual([]);
    expect([...expectedBypassLists(ruleset({ count: 1 })).keys()]).toEqual(["github_repository_ruleset.prod_branch_ruleset[0]"]);
    expect([...expectedBypassLists(ruleset({ count: 2 })).keys()]).toEqual(["github_repository_ruleset.prod_branch_ruleset[0]", "github_repository_ruleset.prod_branch_ruleset[1]"]);
    // one the stack imports (an adopt file's import block) is compared like any other
    expect([...expectedBypassLists({ ...ruleset({}), import: [{ to: "github_repository_ruleset.prod_branch_ruleset", id: "envmatrix:7" }] }).keys()]).toEqual(["github_repository_ruleset.prod_branch_ruleset"]);
  });
});

// Last, as a test of its own (not an afterAll): when only some of the file's tests run (a name filter, or a mutant's
// run under Stryker, which runs the tests that reach it), a hook's assertion about all of them would fail outside
// any test. Run with the others, it sees every request they made.
it("every request the file's runs made: to the fake on 127.0.0.1, for the matrix's repository; only record-apply writes", () => {
  // every call went to the fake on 127.0.0.1, for the matrix's repository, and none wrote anything
  expect(seen.length).toBeGreaterThan(10);
  const repo = `/repos/${seedMatrix.organization.github.owner}/${seedMatrix.organization.github.repository}/`;
  for (const r of seen) expect([r.host.startsWith("127.0.0.1:"), r.method, r.path.startsWith(repo)]).toEqual([true, "GET", true]);
  // record-apply writes a deployment and its status, nothing else
  expect(writing.filter((r) => r.method === "POST").length).toBeGreaterThan(0);
  for (const r of writing) {
    expect([r.host.startsWith("127.0.0.1:"), r.method === "GET" || /^\/repos\/[^/]+\/[^/]+\/deployments(\/\d+\/statuses)?$/.test(r.path)]).toEqual([true, true]);
  }
});
