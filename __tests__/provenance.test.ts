/**
 * Only reviewed commits deploy, and "changed" is measured against what is applied: the deploy workflow's
 * questions to GitHub, answered by a fake GitHub REST API on 127.0.0.1 (shapes from GitHub's REST docs).
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { githubHandler, type GitHubState } from "./fakes/github";
import { startFake, type Fake } from "./fakes/server";
import { seedMatrix } from "./helpers";

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
afterEach(async () => {
  seen.push(...fake.requests);
  await fake.close();
});

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, ["--require", "tsx/cjs", "scripts/cli.ts", ...args], {
      cwd: root,
      env: { ...process.env, GITHUB_API_URL: fake.url, GITHUB_TOKEN: "test-token-not-a-secret" },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err: any) {
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const sha = (n: number) => n.toString(16).padStart(40, "a");

describe("provenance: every commit a push brings came through a pull request merged into that branch", () => {
  it("passes when each commit beyond the default branch is in a PR merged into the branch", async () => {
    state.ahead = [{ sha: sha(1), message: "fix login" }, { sha: sha(2), message: "Merge pull request #7" }];
    state.pulls[sha(1)] = [{ number: 7, merged_at: MERGED, base: { ref: "hotfix/login" } }];
    state.pulls[sha(2)] = [{ number: 7, merged_at: MERGED, base: { ref: "hotfix/login" } }];
    const r = await cli("provenance", "refs/heads/hotfix/login", sha(2));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("every commit came through a pull request merged into hotfix/login");
  });

  it("refuses a hotfix branch created at an unreviewed feature tip (exit 7, each commit and why)", async () => {
    state.ahead = [{ sha: sha(3), message: "feature: new billing" }, { sha: sha(4), message: "fix login" }];
    state.pulls[sha(3)] = [{ number: 9, merged_at: null, base: { ref: "develop" } }];
    state.pulls[sha(4)] = [{ number: 10, merged_at: MERGED, base: { ref: "hotfix/login" } }];
    const r = await cli("provenance", "hotfix/login", sha(4));
    expect(r.code).toBe(7);
    expect(r.stderr).toContain("1 commit(s) nobody reviewed into hotfix/login");
    expect(r.stderr).toContain(`${sha(3).slice(0, 12)} feature: new billing: in no pull request merged into hotfix/login`);
  });

  it("does not take a review into develop (one approval) for a review into a hotfix branch (prod's reviewers)", async () => {
    state.ahead = [{ sha: sha(5), message: "feature" }];
    state.pulls[sha(5)] = [{ number: 11, merged_at: MERGED, base: { ref: "develop" } }];
    const r = await cli("provenance", "hotfix/x", sha(5));
    expect(r.code).toBe(7);
    expect(r.stderr).toContain("merged only through #11 into develop, not into hotfix/x");
  });

  it("on the default branch, wants the pushed commit to be a merged pull request's", async () => {
    state.pulls[sha(6)] = [{ number: 12, merged_at: MERGED, base: { ref: "main" } }];
    expect((await cli("provenance", "main", sha(6))).code).toBe(0);
    expect((await cli("provenance", "main", sha(7))).code).toBe(7);
  });

  it("fails closed when GitHub refuses the token", async () => {
    state.tokenValid = false;
    const r = await cli("provenance", "develop", sha(1));
    expect(r.code).toBe(1);
  });
});

describe("last-deployed: the commit of the last successful deployment", () => {
  it("skips failed and rejected deployments, newest first", async () => {
    state.deployments.production = [
      { id: 3, sha: sha(30), statuses: ["failure", "in_progress"] },
      { id: 2, sha: sha(20), statuses: ["success", "in_progress"] },
      { id: 1, sha: sha(10), statuses: ["success"] },
    ];
    expect((await cli("last-deployed", "production")).stdout.trim()).toBe(sha(20));
  });
  it("prints nothing for an environment never deployed", async () => {
    expect((await cli("last-deployed", "staging")).stdout.trim()).toBe("");
  });
});

afterAll(() => {
  // every call went to the fake on 127.0.0.1, for the matrix's repository, and none wrote anything
  expect(seen.length).toBeGreaterThan(10);
  const repo = `/repos/${seedMatrix.organization.github.owner}/${seedMatrix.organization.github.repository}/`;
  for (const r of seen) expect([r.host.startsWith("127.0.0.1:"), r.method, r.path.startsWith(repo)]).toEqual([true, "GET", true]);
});
