/**
 * What the deploy workflow asks GitHub before it plans anything, with the job's read-only token:
 *
 * - `unreviewedCommits`: every commit a push brings to a deploy branch beyond the default branch must have
 *   arrived through a merged pull request into that very branch (whose ruleset required the reviews). A branch
 *   protection is no help against a commit that was already there when the branch was created: a `hotfix/x`
 *   created at a feature branch's tip would otherwise deploy that feature unreviewed.
 * - `environmentDeployments` and `lastAppliedSha`: the commit of the environment's last successful deployment and
 *   of each stack's last recorded apply (`recordApply`), so "what changed" is measured against what is applied,
 *   not against the previous push: a rejected, failed or cancelled apply is planned again next time.
 *
 * GitHub REST: "Compare two commits" (GET /repos/{owner}/{repo}/compare/{basehead}), "List pull requests
 * associated with a commit" (GET /repos/{owner}/{repo}/commits/{sha}/pulls), "List deployments", "List
 * deployment statuses", "Create a deployment" and "Create a deployment status".
 */
import { Octokit } from "@octokit/rest";

export interface Repo {
  readonly owner: string;
  readonly repo: string;
}

/** Beyond this many commits ahead of the default branch nothing is vouched for (the API calls add up). */
const MAX_AHEAD = 1000;

export class ProvenanceError extends Error {}

/**
 * Octokit for `token`, at `GITHUB_API_URL` (set by GitHub Actions; a local fake in tests). Octokit's request log
 * (@octokit/plugin-request-log) writes every failed request to stderr (`GET /repos/… - 404 with id UNKNOWN`): the
 * commands report each failure in their own line (a 404 is often the answer adopt and preflight look for), so that
 * log is left out; warnings (deprecations) still reach stderr.
 */
export function github(token: string | undefined, baseUrl = process.env.GITHUB_API_URL ?? "https://api.github.com"): Octokit {
  return new Octokit({ auth: token, baseUrl, request: { retries: 0 }, log: { debug: () => undefined, info: () => undefined, warn: console.warn, error: () => undefined } });
}

export interface Unreviewed {
  readonly sha: string;
  readonly message: string;
  /** Why it does not count as reviewed. */
  readonly why: string;
}

/** Every commit `head` has that `base` has not, oldest first, across all pages of the compare API. */
async function commitsAhead(gh: Octokit, r: Repo, base: string, head: string): Promise<{ sha: string; message: string }[]> {
  const out: { sha: string; message: string }[] = [];
  for (let page = 1; ; page++) {
    const cmp = await gh.rest.repos.compareCommitsWithBasehead({ ...r, basehead: `${base}...${head}`, per_page: 100, page });
    if (cmp.data.total_commits > MAX_AHEAD) {
      throw new ProvenanceError(`${head.slice(0, 12)} is ${cmp.data.total_commits} commits ahead of ${base}: more than ${MAX_AHEAD} are not checked; merge ${base} into the branch first`);
    }
    out.push(...cmp.data.commits.map((c) => ({ sha: c.sha, message: c.commit.message.split("\n")[0] })));
    if (cmp.data.commits.length === 0 || out.length >= cmp.data.total_commits) return out;
  }
}

/**
 * Every pull request associated with `sha`, every page: off the default branch the list holds open pull requests
 * too (30 a page by default), and more of them would push the merged one off the first page (GitHub REST "List pull
 * requests associated with a commit").
 */
const pullsOf = (gh: Octokit, r: Repo, sha: string) => gh.paginate(gh.rest.repos.listPullRequestsAssociatedWithCommit, { ...r, commit_sha: sha, per_page: 100 });

/**
 * Whether `sha` is the merge commit of a merged pull request (its reviewed result): what a deploy run's pushed
 * commit always is (unreviewedCommits). A deployment record naming any other commit is not the pipeline's, or
 * names a pull request's intermediate commit (a merge or rebase leaves those in a branch's history): never
 * synthesized, since that runs the commit's code.
 */
export async function isReviewedMerge(gh: Octokit, r: Repo, sha: string): Promise<boolean> {
  return (await pullsOf(gh, r, sha)).some((p) => p.merged_at !== null && p.merge_commit_sha === sha);
}

/**
 * What keeps a push to `branch` from deploying: the pushed `head` must be the merge commit of a pull request
 * merged into `branch` (a commit that was merely *in* a pull request, such as an intermediate commit of a
 * squash-merged one, is not a reviewed state), and every commit beyond `defaultBranch` must have come through a
 * pull request merged into `branch` (commits that were on the branch when it was created were reviewed by
 * nobody). Empty when the push may deploy.
 */
export async function unreviewedCommits(gh: Octokit, r: Repo, branch: string, defaultBranch: string, head: string): Promise<Unreviewed[]> {
  const out: Unreviewed[] = [];
  const headPulls = await pullsOf(gh, r, head);
  const mergedHere = headPulls.some((p) => p.merged_at !== null && p.base.ref === branch && p.merge_commit_sha === head);
  if (!mergedHere) out.push({ sha: head, message: "(the pushed commit)", why: `not the merge commit of a pull request merged into ${branch}` });
  if (branch === defaultBranch) return out;
  for (const c of await commitsAhead(gh, r, defaultBranch, head)) {
    if (c.sha === head) continue;
    const pulls = await pullsOf(gh, r, c.sha);
    const into = pulls.filter((p) => p.merged_at !== null && p.base.ref === branch);
    if (into.length === 0) {
      const elsewhere = pulls.filter((p) => p.merged_at !== null).map((p) => `#${p.number} into ${p.base.ref}`);
      const why = elsewhere.length > 0 ? `merged only through ${elsewhere.join(", ")}, not into ${branch}` : `in no pull request merged into ${branch}`;
      out.push({ sha: c.sha, message: c.message, why });
    }
  }
  return out;
}

/**
 * The task of the record `record-apply` makes of one stack's successful apply: a deployment of its own in the
 * stack's GitHub environment. Several stacks share a GitHub environment (an environment split by team), and the
 * deployments GitHub Actions makes for the apply jobs do not say which stack each was; these records do.
 */
export const APPLIED_TASK_PREFIX = "envmatrix-applied:";
export const appliedTask = (stack: string): string => `${APPLIED_TASK_PREFIX}${stack}`;

/**
 * Whether deployment `id` succeeded: its newest status other than `inactive` is `success`. GitHub marks a successful
 * deployment `inactive` once a newer one to its environment succeeds ("auto_inactive … An inactive status is only
 * added to deployments that had a success state", docs.github.com/rest/deployments/statuses), so two stacks applied
 * one after the other in a run leave the first `inactive`: it still succeeded.
 */
async function succeeded(gh: Octokit, r: Repo, id: number): Promise<boolean> {
  const statuses = (await gh.rest.repos.listDeploymentStatuses({ ...r, deployment_id: id, per_page: 100 })).data.sort((a, b) => b.id - a.id);
  return statuses.find((s) => s.state !== "inactive")?.state === "success";
}

export interface EnvironmentDeployments {
  /**
   * The commit of the newest run's deployments when every one of them succeeded; undefined when the environment
   * never had one or one of them did not succeed (failed, rejected, still running): then nothing can be assumed
   * about what is applied, and every stack of the environment is planned.
   */
  readonly lastSha: string | undefined;
  /** Whether the pipeline records each stack's apply here (`record-apply`): then a stack without a record is planned. */
  readonly recording: boolean;
}

/** What `environment` (a GitHub environment) last had deployed, from its newest 100 deployments. */
export async function environmentDeployments(gh: Octokit, r: Repo, environment: string): Promise<EnvironmentDeployments> {
  const all = (await gh.rest.repos.listDeployments({ ...r, environment, per_page: 100 })).data.sort((a, b) => b.id - a.id);
  const recording = all.some((d) => d.task.startsWith(APPLIED_TASK_PREFIX));
  // the apply jobs' own deployments (GitHub Actions makes one per job that names the environment)
  const jobs = all.filter((d) => !d.task.startsWith(APPLIED_TASK_PREFIX));
  const newest = jobs[0];
  if (newest === undefined) return { lastSha: undefined, recording };
  // every deployment of that commit (one per stack applied in the run: an environment split by team has several)
  // must have succeeded, or what one of them applied is unknown and all the environment's stacks are planned
  for (const d of jobs.filter((x) => x.sha === newest.sha)) {
    if (!(await succeeded(gh, r, d.id))) return { lastSha: undefined, recording };
  }
  return { lastSha: newest.sha, recording };
}

/**
 * The commit `stack` last applied, from its newest record in `environment` (a GitHub environment): undefined when it
 * has none, or when its newest apply did not succeed (still running, failed, cancelled mid-apply, or its success
 * never recorded): then what it holds is unknown and it is planned. Only the newest record counts: an older
 * success says nothing once a later apply of the stack has started.
 */
export async function lastAppliedSha(gh: Octokit, r: Repo, environment: string, stack: string): Promise<string | undefined> {
  const records = (await gh.rest.repos.listDeployments({ ...r, environment, task: appliedTask(stack), per_page: 100 })).data
    .filter((d) => d.task === appliedTask(stack))
    .sort((a, b) => b.id - a.id);
  const newest = records[0];
  return newest !== undefined && (await succeeded(gh, r, newest.id)) ? newest.sha : undefined;
}

export type ApplyState = "in_progress" | "success" | "failure";

/**
 * Records `stack`'s apply of `sha` in `environment` (a GitHub environment). `in_progress`, before the apply: a
 * deployment with the stack's task (POST …/deployments; auto_merge off and no required contexts: a record, not a
 * request to merge or to wait for checks) and its first status. `success` or `failure`, after it: a status on that
 * stack's newest record of `sha` (POST …/deployments/{id}/statuses). auto_inactive off, so a record leaves the
 * environment's other deployments as they are. Returns the record's deployment id.
 */
export async function recordApply(gh: Octokit, r: Repo, environment: string, stack: string, sha: string, state: ApplyState): Promise<number> {
  let id: number;
  if (state === "in_progress") {
    const created = await gh.rest.repos.createDeployment({
      ...r,
      ref: sha,
      environment,
      task: appliedTask(stack),
      auto_merge: false,
      required_contexts: [],
      transient_environment: false,
      description: `envmatrix: ${stack} applies`,
    });
    if (!("id" in created.data)) throw new ProvenanceError(`GitHub made no deployment for ${stack} at ${sha.slice(0, 12)}: ${created.data.message ?? "no id in the answer"}`);
    id = created.data.id;
  } else {
    const started = (await gh.rest.repos.listDeployments({ ...r, environment, task: appliedTask(stack), sha, per_page: 100 })).data
      .filter((d) => d.task === appliedTask(stack) && d.sha === sha)
      .sort((a, b) => b.id - a.id)[0];
    if (started === undefined) throw new ProvenanceError(`no record of ${stack}'s apply of ${sha.slice(0, 12)} was started (record-apply --state in_progress)`);
    id = started.id;
  }
  await gh.rest.repos.createDeploymentStatus({ ...r, deployment_id: id, state, auto_inactive: false, description: `${stack}: ${state.replace("_", " ")}` });
  return id;
}
