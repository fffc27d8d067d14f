/**
 * A request to the `branches` workflow (.github/workflows/branches.yml): create or delete a branch that only named
 * teams may have (identity.branchCreators, hotfix/*). The branch app does it, after a creator approves in the
 * environment's `<githubEnvironment>-branches` environment, and only at the default branch's head: a push runs the
 * workflow files of the commit pushed (GitHub Docs, "Triggering a workflow"), so a branch created at a commit
 * nobody reviewed would run that commit's workflows with the environment's credentials. Not at any commit of the
 * default branch's history: a merge or rebase leaves a pull request's intermediate commits there, none reviewed
 * on its own. The head is the last reviewed merge (the default branch takes pull requests only).
 */
import { branchMatches } from "../config/branches";
import { branchesEnvironmentName } from "../config/promotion";
import type { Matrix } from "../config/types";
import { environmentNamed } from "../config";

/** The git command the request needs, as the workflow's checkout answers it (tests give another). */
export interface Git {
  /** The full id of `rev` if it names a commit, else undefined (`git rev-parse --verify <rev>^{commit}`). */
  commit(rev: string): string | undefined;
}

export interface BranchRequest {
  readonly githubEnvironment: string;
  readonly ref: string;
  /** The commit to create the branch at (create only). */
  readonly sha?: string;
}

/** Why a request is refused: each problem a line. */
export class BranchRequestRefused extends Error {}

/**
 * Checks a request against the matrix; `defaultBranch` is the ref of the default branch's head as fetched
 * (`origin/main`), where a branch is created.
 */
export function branchRequest(m: Matrix, git: Git, req: { environment: string; branch: string; action: "create" | "delete"; defaultBranch: string }): BranchRequest {
  const e = environmentNamed(m, req.environment);
  const { protectedBranch: pattern, branchCreators, githubEnvironment } = e.identity;
  const problems: string[] = [];
  if (branchCreators === undefined || pattern === null) problems.push(`${req.environment} names no branch creators: its branches are not created here`);
  else if (!branchMatches(pattern, req.branch) || req.branch === pattern) problems.push(`${req.branch} is not a branch of ${req.environment} (${pattern})`);
  if (!/^[A-Za-z0-9._/-]+$/.test(req.branch) || req.branch.includes("..") || req.branch.endsWith("/") || req.branch.endsWith(".lock")) problems.push(`${req.branch} is not a branch name git takes`);
  let sha: string | undefined;
  if (req.action === "create") {
    sha = git.commit(req.defaultBranch);
    if (sha === undefined) problems.push(`${req.defaultBranch} is not fetched (the checkout needs the default branch: check it out)`);
  }
  if (problems.length > 0) throw new BranchRequestRefused(problems.join("\n"));
  return { githubEnvironment: branchesEnvironmentName(githubEnvironment), ref: `refs/heads/${req.branch}`, ...(sha ? { sha } : {}) };
}

/** The request as `$GITHUB_OUTPUT` lines. */
export const githubOutput = (r: BranchRequest): string =>
  [`github-environment=${r.githubEnvironment}`, `ref=${r.ref}`, ...(r.sha ? [`sha=${r.sha}`] : [])].join("\n") + "\n";
