/**
 * What the deploy workflow asks GitHub before it plans anything, with the job's read-only token:
 *
 * - `unreviewedCommits`: every commit a push brings to a deploy branch beyond the default branch must have
 *   arrived through a merged pull request into that very branch (whose ruleset required the reviews). A branch
 *   protection is no help against a commit that was already there when the branch was created: a `hotfix/x`
 *   created at a feature branch's tip would otherwise deploy that feature unreviewed.
 * - `lastDeployedSha`: the commit of the environment's last successful deployment, so "what changed" is measured
 *   against what is applied, not against the previous push: a rejected or failed apply is planned again next time.
 *
 * GitHub REST: "Compare two commits" (GET /repos/{owner}/{repo}/compare/{basehead}), "List pull requests
 * associated with a commit" (GET /repos/{owner}/{repo}/commits/{sha}/pulls), "List deployments" and "List
 * deployment statuses".
 */
import { Octokit } from "@octokit/rest";

export interface Repo {
  readonly owner: string;
  readonly repo: string;
}

/** Beyond this many commits ahead of the default branch nothing is vouched for (the API calls add up). */
const MAX_AHEAD = 1000;

export class ProvenanceError extends Error {}

/** Octokit for `token`, at `GITHUB_API_URL` (set by GitHub Actions; a local fake in tests). */
export function github(token: string | undefined, baseUrl = process.env.GITHUB_API_URL ?? "https://api.github.com"): Octokit {
  return new Octokit({ auth: token, baseUrl, request: { retries: 0 } });
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
 * What keeps a push to `branch` from deploying: the pushed `head` must be the merge commit of a pull request
 * merged into `branch` (a commit that was merely *in* a pull request, such as an intermediate commit of a
 * squash-merged one, is not a reviewed state), and every commit beyond `defaultBranch` must have come through a
 * pull request merged into `branch` (commits that were on the branch when it was created were reviewed by
 * nobody). Empty when the push may deploy.
 */
export async function unreviewedCommits(gh: Octokit, r: Repo, branch: string, defaultBranch: string, head: string): Promise<Unreviewed[]> {
  const out: Unreviewed[] = [];
  const headPulls = await gh.rest.repos.listPullRequestsAssociatedWithCommit({ ...r, commit_sha: head });
  const mergedHere = headPulls.data.some((p) => p.merged_at !== null && p.base.ref === branch && p.merge_commit_sha === head);
  if (!mergedHere) out.push({ sha: head, message: "(the pushed commit)", why: `not the merge commit of a pull request merged into ${branch}` });
  if (branch === defaultBranch) return out;
  for (const c of await commitsAhead(gh, r, defaultBranch, head)) {
    if (c.sha === head) continue;
    const pulls = await gh.rest.repos.listPullRequestsAssociatedWithCommit({ ...r, commit_sha: c.sha });
    const into = pulls.data.filter((p) => p.merged_at !== null && p.base.ref === branch);
    if (into.length === 0) {
      const elsewhere = pulls.data.filter((p) => p.merged_at !== null).map((p) => `#${p.number} into ${p.base.ref}`);
      const why = elsewhere.length > 0 ? `merged only through ${elsewhere.join(", ")}, not into ${branch}` : `in no pull request merged into ${branch}`;
      out.push({ sha: c.sha, message: c.message, why });
    }
  }
  return out;
}

/**
 * The commit applied to `environment` (a GitHub environment) by its last deployment, when that deployment
 * succeeded; undefined when it never had one or the newest attempt did not succeed (failed, rejected, still
 * running): then nothing can be assumed about what is applied, and the stack is planned.
 */
export async function lastDeployedSha(gh: Octokit, r: Repo, environment: string): Promise<string | undefined> {
  // one page of 100: a run of an environment split by team makes a deployment per stack
  const deployments = (await gh.rest.repos.listDeployments({ ...r, environment, per_page: 100 })).data.sort((a, b) => b.id - a.id);
  const newest = deployments[0];
  if (newest === undefined) return undefined;
  // every deployment of that commit (one per stack applied in the run: an environment split by team has several)
  // must have succeeded, or what one of them applied is unknown and all the environment's stacks are planned
  for (const d of deployments.filter((x) => x.sha === newest.sha)) {
    const statuses = (await gh.rest.repos.listDeploymentStatuses({ ...r, deployment_id: d.id, per_page: 100 })).data.sort((a, b) => b.id - a.id);
    if (statuses[0]?.state !== "success") return undefined;
  }
  return newest.sha;
}
