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

/** GitHub's compare lists at most this many commits; beyond it nothing can be vouched for. */
const COMPARE_LIMIT = 250;

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

/** Commits on `head` (of `branch`) that are not on `defaultBranch` and did not arrive through a merged pull request into `branch`. */
export async function unreviewedCommits(gh: Octokit, r: Repo, branch: string, defaultBranch: string, head: string): Promise<Unreviewed[]> {
  if (branch === defaultBranch) {
    // the default branch: every commit on it must be a merged pull request's (its ruleset allows nothing else)
    const pulls = await gh.rest.repos.listPullRequestsAssociatedWithCommit({ ...r, commit_sha: head });
    const merged = pulls.data.some((p) => p.merged_at !== null && p.base.ref === branch);
    return merged ? [] : [{ sha: head, message: "", why: `not the result of a pull request merged into ${branch}` }];
  }
  const cmp = await gh.rest.repos.compareCommitsWithBasehead({ ...r, basehead: `${defaultBranch}...${head}`, per_page: 100 });
  if (cmp.data.total_commits > COMPARE_LIMIT) {
    throw new ProvenanceError(`${branch} is ${cmp.data.total_commits} commits ahead of ${defaultBranch}: more than ${COMPARE_LIMIT} cannot be checked; merge ${defaultBranch} into it first`);
  }
  const out: Unreviewed[] = [];
  for (const c of cmp.data.commits) {
    const pulls = await gh.rest.repos.listPullRequestsAssociatedWithCommit({ ...r, commit_sha: c.sha });
    const into = pulls.data.filter((p) => p.merged_at !== null && p.base.ref === branch);
    if (into.length === 0) {
      const elsewhere = pulls.data.filter((p) => p.merged_at !== null).map((p) => `#${p.number} into ${p.base.ref}`);
      const why = elsewhere.length > 0 ? `merged only through ${elsewhere.join(", ")}, not into ${branch}` : `in no pull request merged into ${branch}`;
      out.push({ sha: c.sha, message: c.commit.message.split("\n")[0], why });
    }
  }
  return out;
}

/** The commit of the last successful deployment to `environment` (a GitHub environment), or undefined. */
export async function lastDeployedSha(gh: Octokit, r: Repo, environment: string): Promise<string | undefined> {
  const deployments = await gh.rest.repos.listDeployments({ ...r, environment, per_page: 30 });
  for (const d of deployments.data) {
    const statuses = await gh.rest.repos.listDeploymentStatuses({ ...r, deployment_id: d.id, per_page: 10 });
    // newest status first: a deployment counts once its latest word is success
    if (statuses.data[0]?.state === "success") return d.sha;
  }
  return undefined;
}
