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

describe("the commit applied by an environment's newest deployment, when it succeeded (stacks-to-plan --needed)", () => {
  it("is the newest deployment's commit when its newest status is success", async () => {
    state.deployments.production = [
      { id: 2, sha: sha(20), statuses: ["success", "in_progress"] },
      { id: 1, sha: sha(10), statuses: ["success"] },
    ];
    recordsOfReviewedMerges();
    expect((await cli("stacks-to-plan", "main", "--needed")).stdout.trim()).toBe(sha(20));
  });
  it("is nothing when the newest attempt failed or was rejected: what is applied is unknown, so the stack is planned", async () => {
    state.deployments.production = [
      { id: 3, sha: sha(30), statuses: ["failure", "in_progress"] },
      { id: 2, sha: sha(20), statuses: ["success", "in_progress"] },
    ];
    expect((await cli("stacks-to-plan", "main", "--needed")).stdout.trim()).toBe("");
  });
  it("is the newest by id whatever order GitHub lists them in, and an older failure does not matter", async () => {
    state.deployments.production = [
      // listed oldest first, ids no other test's deployment has (the fake finds statuses by id)
      { id: 901, sha: sha(10), statuses: ["failure"] },
      { id: 902, sha: sha(20), statuses: ["success"] },
    ];
    recordsOfReviewedMerges();
    expect((await cli("stacks-to-plan", "main", "--needed")).stdout.trim()).toBe(sha(20));
  });
  it("is nothing for environments never deployed", async () => {
    expect((await cli("stacks-to-plan", "develop", "--needed")).stdout.trim()).toBe("");
  });
});

describe("stacks-to-plan --needed synthesizes only a reviewed merge result: a deployment record is anyone's with write access to make", () => {
  it("a record naming a commit that is no merged pull request's merge commit (a branch's own commit, a pull request's intermediate one) is not listed: its stacks are planned", async () => {
    state.deployments.production = [{ id: 2, sha: sha(60), statuses: ["success"] }];
    state.deployments.staging = [{ id: 1, sha: sha(61), statuses: ["success"] }];
    // sha(60): in a pull request that was merged, but its merge commit is another; sha(61): in an open one only
    state.pulls[sha(60)] = [pr(60, "main", sha(62))];
    state.pulls[sha(61)] = [pr(61, "main", null, false)];
    const r = await cli("stacks-to-plan", "main", "--needed");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe("");
    for (const x of [sha(60), sha(61)]) expect(r.stderr).toContain(`${x}: a deployment record's commit that is no merged pull request's merge commit; not synthesized, its stacks are planned`);
    // the same commit as a pull request's merge commit is listed
    state.pulls[sha(61)] = [pr(61, "main", sha(61))];
    expect((await cli("stacks-to-plan", "main", "--needed")).stdout.trim()).toBe(sha(61));
  });
});

describe("stacks-to-plan: what differs from each environment's last successful deployment", () => {
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

  it("lists the commits to synthesize, then plans what differs, what never deployed, and nothing else", async () => {
    state.deployments.production = [{ id: 2, sha: sha(50), statuses: ["success", "in_progress"] }];
    state.deployments.staging = [{ id: 1, sha: sha(50), statuses: ["success"] }];
    recordsOfReviewedMerges();
    expect((await cli("stacks-to-plan", "main", "--needed")).stdout.trim()).toBe(sha(50));
    const r = await cli("stacks-to-plan", "refs/heads/main", "--head", dirs.head, "--at", `${sha(50)}=${dirs.old}`);
    expect(r.stderr).toBe("");
    // gates: never deployed; prod: its config differs; staging: unchanged since its last success, but prod's gate
    // wants this commit deployed in staging first (entryGates.deployedFirstIn), so staging comes along
    expect(seedMatrix.environments.prod.entryGates.deployedFirstIn).toBe("staging");
    expect(JSON.parse(r.stdout).include.map((t: any) => t.environment)).toEqual(["gates", "staging", "prod"]);
  });

  it("plans an unchanged stack whose newest deployment failed, and one whose commit could not be synthesized", async () => {
    state.deployments.production = [{ id: 3, sha: sha(50), statuses: ["failure"] }];
    state.deployments.staging = [{ id: 1, sha: sha(51), statuses: ["success"] }];
    state.deployments["envmatrix-gates"] = [{ id: 4, sha: sha(50), statuses: ["success"] }];
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
    state.deployments.production = [
      { id: 12, sha: sha(60), statuses: ["success"] },
      { id: 11, sha: sha(60), statuses: ["success"] },
    ];
    state.deployments.staging = [{ id: 10, sha: sha(60), statuses: ["success"] }];
    state.deployments["envmatrix-gates"] = [{ id: 9, sha: sha(60), statuses: ["success"] }];
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
    const [inv] = invocations().filter((i) => i.workflow === "pull-request-review.yml" && i.script === "changed-stacks");
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

  it("plans every stack of prod when one of the newest run's deployments there failed (each stack applied is a deployment of the same commit)", async () => {
    state.deployments.production = [
      { id: 22, sha: sha(61), statuses: ["success"] },
      { id: 21, sha: sha(61), statuses: ["failure"] },
    ];
    state.deployments.staging = [{ id: 20, sha: sha(61), statuses: ["success"] }];
    state.deployments["envmatrix-gates"] = [{ id: 19, sha: sha(61), statuses: ["success"] }];
    shared ??= startCliProcess();
    const r = await shared.run(["stacks-to-plan", "main", "--head", dirs.head, "--at", `${sha(61)}=${dirs.head}`], githubEnv(), split(150));
    expect(JSON.parse(r.stdout).include.map((t: any) => t.environment)).toEqual(["staging", "prod", "prod-platform", "prod-payments"]);
  });
});

describe("each stack's own apply record (record-apply), read by stacks-to-plan", () => {
  const prodGitHub = seedMatrix.environments.prod.identity.githubEnvironment;
  const dirs = splitDirs;
  beforeAll(synthesizeSplit);
  const plan = async (...at: string[]) => {
    shared ??= startCliProcess();
    const r = await shared.run(["stacks-to-plan", "main", "--head", dirs.head, ...at.flatMap((a) => ["--at", a])], githubEnv(), split(150));
    expect(r.stderr).toBe("");
    return JSON.parse(r.stdout).include.map((t: any) => t.environment);
  };
  const needed = async () => {
    shared ??= startCliProcess();
    recordsOfReviewedMerges();
    return (await shared.run(["stacks-to-plan", "main", "--needed"], githubEnv(), split(150))).stdout.trim().split("\n").filter(Boolean).sort();
  };
  const upToDate = () => {
    state.deployments.staging = [{ id: 1, sha: sha(71), statuses: ["success"] }];
    state.deployments["envmatrix-gates"] = [{ id: 2, sha: sha(71), statuses: ["success"] }];
  };

  it("deploy.yml records each stack's apply: started before terraform apply (failing the job if GitHub refuses), its outcome after", () => {
    const invs = invocations().filter((i) => i.workflow === "deploy.yml" && i.script === "record-apply");
    expect(invs.map((i) => i.words)).toEqual([
      ["$STACK", "--commit", "$SHA", "--state", "in_progress"],
      ["$STACK", "--commit", "$SHA", "--state", "$OUTCOME"],
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
  });

  it("record-apply: before the apply a deployment of the commit with the stack's task and an in_progress status, after it that record's outcome; the others left as they were", async () => {
    state.deploymentsWritable = true;
    state.deployments[prodGitHub] = [{ id: 40, sha: sha(72), statuses: ["success"] }];
    shared ??= startCliProcess();
    // deploy.yml's own words: record-apply -- "$STACK" --commit "$SHA" --state in_progress, then --state "$OUTCOME"
    const [startInv, finishInv] = invocations().filter((i) => i.workflow === "deploy.yml" && i.script === "record-apply");
    const started = await shared.run(argv(startInv, { STACK: "prod-payments", SHA: sha(72) }), githubEnv(), split(150));
    expect(started.stderr).toBe("");
    expect(started.code).toBe(0);
    const finished = await shared.run(argv(finishInv, { STACK: "prod-payments", SHA: sha(72), OUTCOME: "success" }), githubEnv(), split(150));
    expect(finished.stderr).toBe("");
    const posts = fake.requests.filter((q) => q.method === "POST").map((q) => ({ ...q, body: JSON.parse(q.body) }));
    const repoPath = `/repos/${seedMatrix.organization.github.owner}/${seedMatrix.organization.github.repository}`;
    expect(posts.map((q) => q.path.replace(/\d+/, "{id}"))).toEqual([`${repoPath}/deployments`, `${repoPath}/deployments/{id}/statuses`, `${repoPath}/deployments/{id}/statuses`]);
    // "Create a deployment": ref, environment, task; no merge of the default branch, no wait for the commit's checks
    expect(posts[0].body).toMatchObject({ ref: sha(72), environment: prodGitHub, task: "envmatrix-applied:prod-payments", auto_merge: false, required_contexts: [] });
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
    // an outcome for an apply never started is refused
    const orphan = await shared.run(argv(finishInv, { STACK: "prod-platform", SHA: sha(72), OUTCOME: "success" }), githubEnv(), split(150));
    expect(orphan.code).toBe(1);
    expect(orphan.stderr).toMatch(/no record of prod-platform's apply of [0-9a-f]{12} was started/);
    // a failed apply is recorded as failed, and said so
    expect((await shared.run(argv(startInv, { STACK: "prod-payments", SHA: sha(73) }), githubEnv(), split(150))).code).toBe(0);
    const failed = await shared.run(argv(finishInv, { STACK: "prod-payments", SHA: sha(73), OUTCOME: "failure" }), githubEnv(), split(150));
    expect(failed.code).toBe(0);
    expect(failed.stdout).toMatch(new RegExp(`^prod-payments failed to apply ${sha(73).slice(0, 12)}: deployment \\d+ in ${prodGitHub}$`, "m"));
    expect(JSON.parse(fake.requests.filter((q) => q.method === "POST").pop()!.body).state).toBe("failure");
  });

  it("record-apply refuses an unknown stack and a short sha, both at once, and says when GitHub refuses the record", async () => {
    shared ??= startCliProcess();
    const bad = await shared.run(["record-apply", "prod-nobody", "--commit", "abc123", "--state", "in_progress"], githubEnv(), split(150));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/no stack is named prod-nobody \(stacks: .*prod-payments/);
    expect(bad.stderr).toMatch(/--commit abc123: not a full 40-character commit sha/);
    // a token without deployments: write (the fake is read-only then)
    state.deploymentsWritable = false;
    const refused = await shared.run(["record-apply", "prod-payments", "--commit", sha(72), "--state", "in_progress"], githubEnv(), split(150));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/GitHub did not record prod-payments's in progress for [0-9a-f]{12} \(HTTP 405\); the next run plans prod-payments again/);
  });

  it("a stack whose newest record is not a success (an apply running, failed, cancelled mid-apply, or its outcome unrecorded) is planned, whatever older records say", async () => {
    for (const newest of [["in_progress"], ["failure", "in_progress"], []]) {
      upToDate();
      state.deployments[prodGitHub] = [
        { id: 14, sha: sha(71), statuses: ["success"], task: "envmatrix-applied:prod" },
        { id: 13, sha: sha(71), statuses: ["success"] },
        // prod-payments applied 71 over 70 (the head's config); the newest record's outcome is not success
        { id: 12, sha: sha(71), statuses: newest, task: "envmatrix-applied:prod-payments" },
        { id: 11, sha: sha(70), statuses: ["inactive", "success"], task: "envmatrix-applied:prod-payments" },
        { id: 10, sha: sha(71), statuses: ["inactive", "success"], task: "envmatrix-applied:prod-platform" },
      ];
      // compared with 70 (whose config is the head's, as in a revert), it would be skipped: it is planned
      expect({ newest, planned: await plan(`${sha(71)}=${dirs.head}`, `${sha(70)}=${dirs.head}`) }).toEqual({ newest, planned: ["staging", "prod-payments"] });
    }
  });

  it("a run cancelled after prod's own stack applied: prod-payments, never reached, is compared with its own last apply and planned", async () => {
    upToDate();
    // the newest run applied prod's stack at 71 and was cancelled before prod-payments (no deployment of it at 71);
    // prod-payments and prod-platform last applied at 70, whose synth gave billing the environment's threshold
    state.deployments[prodGitHub] = [
      { id: 13, sha: sha(71), statuses: ["success"], task: "envmatrix-applied:prod" },
      { id: 12, sha: sha(71), statuses: ["success"] },
      { id: 11, sha: sha(70), statuses: ["success"], task: "envmatrix-applied:prod-payments" },
      { id: 10, sha: sha(70), statuses: ["inactive", "success"], task: "envmatrix-applied:prod-platform" },
      { id: 9, sha: sha(70), statuses: ["inactive", "success"] },
    ];
    expect(await needed()).toEqual([sha(70), sha(71)].sort());
    // staging comes along: prod's gate wants the commit deployed there first (entryGates.deployedFirstIn)
    expect(await plan(`${sha(71)}=${dirs.head}`, `${sha(70)}=${dirs.old}`)).toEqual(["staging", "prod-payments"]);
  });

  it("without records (before the pipeline made them) the environment's newest deployment is every stack's baseline: the cancelled stack is missed, as before", async () => {
    upToDate();
    state.deployments[prodGitHub] = [
      { id: 12, sha: sha(71), statuses: ["success"] },
      { id: 9, sha: sha(70), statuses: ["inactive", "success"] },
    ];
    expect(await needed()).toEqual([sha(71)]);
    expect(await plan(`${sha(71)}=${dirs.head}`)).toEqual([]);
  });

  it("where stacks are recorded, a stack with no record of its own never applied (new, or a run cancelled before it): planned", async () => {
    upToDate();
    state.deployments[prodGitHub] = [
      { id: 13, sha: sha(71), statuses: ["success"], task: "envmatrix-applied:prod" },
      { id: 12, sha: sha(71), statuses: ["success"] },
      { id: 11, sha: sha(71), statuses: ["success"], task: "envmatrix-applied:prod-platform" },
    ];
    expect(await plan(`${sha(71)}=${dirs.head}`)).toEqual(["staging", "prod-payments"]);
  });

  it("a stack applied before another in the same run is inactive once the later one succeeds (auto_inactive): it still succeeded, nothing is planned", async () => {
    upToDate();
    state.deployments[prodGitHub] = [
      { id: 16, sha: sha(71), statuses: ["success"], task: "envmatrix-applied:prod-payments" },
      { id: 15, sha: sha(71), statuses: ["success"] },
      { id: 14, sha: sha(71), statuses: ["inactive", "success"], task: "envmatrix-applied:prod-platform" },
      { id: 13, sha: sha(71), statuses: ["inactive", "success"] },
      { id: 12, sha: sha(71), statuses: ["inactive", "success"], task: "envmatrix-applied:prod" },
      { id: 11, sha: sha(71), statuses: ["inactive", "success"] },
    ];
    expect(await plan(`${sha(71)}=${dirs.head}`)).toEqual([]);
    // a failure among the newest run's jobs still plans all of prod's stacks, records or not
    state.deployments[prodGitHub][3].statuses = ["failure"];
    expect(await plan(`${sha(71)}=${dirs.head}`)).toEqual(["staging", "prod", "prod-platform", "prod-payments"]);
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
