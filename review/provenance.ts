/**
 * What the deploy workflow asks GitHub before it plans anything, with the job's read-only token:
 *
 * - `unreviewedCommits`: every commit a push brings to a deploy branch beyond the default branch must have
 *   arrived through a merged pull request into that very branch (whose ruleset required the reviews). A branch
 *   protection is no help against a commit that was already there when the branch was created: a `hotfix/x`
 *   created at a feature branch's tip would otherwise deploy that feature unreviewed.
 * - `lastApplied`: the commit of each stack's last recorded apply (`recordApply`), each record checked against the
 *   apply job that made it, so "what changed" is measured against what is applied, not against the previous push:
 *   a rejected, failed or cancelled apply is planned again next time, and a made-up record is skipped.
 *
 * GitHub REST: "Compare two commits" (GET /repos/{owner}/{repo}/compare/{basehead}), "List pull requests
 * associated with a commit" (GET /repos/{owner}/{repo}/commits/{sha}/pulls), "List deployments", "List
 * deployment statuses", "Create a deployment", "Create a deployment status", "Get a workflow run" and "List jobs for
 * a workflow run".
 */
import { Octokit } from "@octokit/rest";
import { APPLIED_TASK_PREFIX, DEPLOY_WORKFLOW, appliedTask, applyJobName } from "./deploy-workflow";

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

/** The task of a stack's apply record (review/deploy-workflow.ts says what it is). */
export { APPLIED_TASK_PREFIX, appliedTask };

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

/** The deploy run whose apply job makes a record: its id and attempt (GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT), in the record's payload. */
export interface DeployRun {
  readonly runId: number;
  readonly attempt: number;
}

/** At most this many of a stack's newest records are checked; past them (a flood of made-up ones) the stack is planned. */
const MAX_RECORDS_CHECKED = 20;

type Deployment = Awaited<ReturnType<Octokit["rest"]["repos"]["listDeployments"]>>["data"][number];
type Job = Awaited<ReturnType<Octokit["rest"]["actions"]["listJobsForWorkflowRun"]>>["data"]["jobs"][number];

/**
 * The apply job that made `record`, or why no apply job of the pipeline did. Anyone with write access (or a workflow
 * whose token may write deployments) can create a deployment with any task, commit and payload, and a workflow
 * token's carries the same GitHub Actions app as the pipeline's; runs and jobs only GitHub writes. So a record counts
 * only when the run its payload names is the deploy workflow's (`path`), started by a push to a branch that deploys
 * the stack (`head_branch`, `event`) at the record's commit (`head_sha`), and that run's attempt has the stack's
 * apply job, which was running when the record was made (`created_at` between the job's `started_at` and
 * `completed_at`): a record made up later, or for another stack, commit, branch or workflow, names no such job.
 * GitHub REST "Get a workflow run", "List jobs for a workflow run" (filter=all: every attempt).
 */
async function applyJobOf(gh: Octokit, r: Repo, stack: string, deploysFrom: (branch: string) => boolean, record: Deployment): Promise<Job | string> {
  const payload = (typeof record.payload === "object" && record.payload !== null ? record.payload : {}) as { run_id?: unknown; run_attempt?: unknown };
  const { run_id: runId, run_attempt: attempt } = payload;
  if (!Number.isSafeInteger(runId) || !Number.isSafeInteger(attempt)) return "it names no deploy run (payload run_id and run_attempt)";
  let run: Awaited<ReturnType<Octokit["rest"]["actions"]["getWorkflowRun"]>>["data"];
  try {
    run = (await gh.rest.actions.getWorkflowRun({ ...r, run_id: runId as number })).data;
  } catch (err) {
    if ((err as { status?: number }).status === 404) return `run ${runId} does not exist`;
    throw err;
  }
  const wrong = [
    run.path === DEPLOY_WORKFLOW ? undefined : `is of ${run.path}, not ${DEPLOY_WORKFLOW}`,
    run.event === "push" ? undefined : `was started by ${run.event}, not a push`,
    run.head_branch !== null && deploysFrom(run.head_branch) ? undefined : `ran on ${run.head_branch}, which does not deploy ${stack}`,
    run.head_sha === record.sha ? undefined : `ran ${run.head_sha.slice(0, 12)}, not ${record.sha.slice(0, 12)}`,
  ].filter((w): w is string => w !== undefined);
  if (wrong.length > 0) return `run ${runId} ${wrong.join(", ")}`;
  const jobs = await gh.paginate(gh.rest.actions.listJobsForWorkflowRun, { ...r, run_id: runId as number, filter: "all", per_page: 100 });
  const job = jobs.find((j) => j.run_attempt === attempt && j.name === applyJobName(stack));
  if (job === undefined) return `run ${runId} attempt ${attempt} has no ${applyJobName(stack)} job`;
  const made = Date.parse(record.created_at);
  const started = job.started_at ? Date.parse(job.started_at) : Number.NaN;
  const ended = job.completed_at ? Date.parse(job.completed_at) : Number.POSITIVE_INFINITY;
  if (!(made >= started && made <= ended)) return `it was made at ${record.created_at}, not while job ${job.id} (${job.name}) ran (${job.started_at} to ${job.completed_at ?? "now"})`;
  return job;
}

export interface LastApply {
  /**
   * The commit `stack` last applied: its newest record that the pipeline made, when that apply succeeded (the
   * record's outcome and its job's conclusion). Undefined when it has none, or that apply did not succeed (still
   * running, failed, cancelled mid-apply, its success never recorded): then what it holds is unknown and it is
   * planned. Only the newest counts: an older success says nothing once a later apply of the stack has started.
   */
  readonly sha: string | undefined;
  /** Newer records that no apply job of the pipeline made, each with why: skipped. */
  readonly skipped: readonly string[];
}

/**
 * What `stack` last applied, from its records in `environment` (a GitHub environment), each checked against the
 * apply job that made it (`applyJobOf`). `deploysFrom`: whether a push to a branch deploys the stack (its
 * environment's branches), so a hotfix record made on another `hotfix/*` branch counts.
 */
export async function lastApplied(gh: Octokit, r: Repo, environment: string, stack: string, deploysFrom: (branch: string) => boolean): Promise<LastApply> {
  const records = (await gh.rest.repos.listDeployments({ ...r, environment, task: appliedTask(stack), per_page: 100 })).data
    .filter((d) => d.task === appliedTask(stack))
    .sort((a, b) => b.id - a.id);
  const skipped: string[] = [];
  for (const record of records.slice(0, MAX_RECORDS_CHECKED)) {
    const job = await applyJobOf(gh, r, stack, deploysFrom, record);
    if (typeof job === "string") {
      skipped.push(`deployment ${record.id} (${record.sha.slice(0, 12)}): ${job}`);
      continue;
    }
    const ok = job.conclusion === "success" && (await succeeded(gh, r, record.id));
    return { sha: ok ? record.sha : undefined, skipped };
  }
  return { sha: undefined, skipped };
}

export type ApplyState = "in_progress" | "success" | "failure";

/**
 * Records `stack`'s apply of `sha` in `environment` (a GitHub environment). `in_progress`, before the apply: a
 * deployment with the stack's task (POST …/deployments; auto_merge off and no required contexts: a record, not a
 * request to merge or to wait for checks), naming `run` in its payload, and its first status. `success` or `failure`,
 * after it: a status on the stack's newest record of `sha` from that run attempt (POST …/deployments/{id}/statuses). auto_inactive off, so a record leaves the
 * environment's other deployments as they are. Returns the record's deployment id.
 */
export async function recordApply(gh: Octokit, r: Repo, environment: string, stack: string, sha: string, state: ApplyState, run: DeployRun): Promise<number> {
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
      // the run and attempt whose apply job this is, for stacks-to-plan to check against that job (applyJobOf)
      payload: { run_id: run.runId, run_attempt: run.attempt },
      description: `envmatrix: ${stack} applies`,
    });
    if (!("id" in created.data)) throw new ProvenanceError(`GitHub made no deployment for ${stack} at ${sha.slice(0, 12)}: ${created.data.message ?? "no id in the answer"}`);
    id = created.data.id;
  } else {
    // this run attempt's own record (a record of another run, or one anyone made, is left alone)
    const ofThisRun = (d: Deployment) => {
      const p = d.payload as { run_id?: unknown; run_attempt?: unknown } | string;
      return typeof p === "object" && p !== null && p.run_id === run.runId && p.run_attempt === run.attempt;
    };
    const started = (await gh.rest.repos.listDeployments({ ...r, environment, task: appliedTask(stack), sha, per_page: 100 })).data
      .filter((d) => d.task === appliedTask(stack) && d.sha === sha && ofThisRun(d))
      .sort((a, b) => b.id - a.id)[0];
    if (started === undefined) throw new ProvenanceError(`no record of ${stack}'s apply of ${sha.slice(0, 12)} in run ${run.runId} attempt ${run.attempt} was started (record-apply --state in_progress)`);
    id = started.id;
  }
  await gh.rest.repos.createDeploymentStatus({ ...r, deployment_id: id, state, auto_inactive: false, description: `${stack}: ${state.replace("_", " ")}` });
  return id;
}
