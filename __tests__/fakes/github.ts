/** A fake GitHub REST API (api.github.com) with the state a test sets: commits, pull requests, deployments, repository. */
import type { Handler } from "./server";

export interface GitHubState {
  /** Commits of `head` not on the default branch, oldest first (what "compare" returns). */
  ahead: { sha: string; message: string }[];
  /** Pull requests associated with each commit (GET /repos/{o}/{r}/commits/{sha}/pulls). */
  pulls: Record<string, { number: number; merged_at: string | null; merge_commit_sha: string | null; base: { ref: string } }[]>;
  /** Deployments per GitHub environment, newest first, each with its statuses newest first. */
  deployments: Record<string, { id: number; sha: string; statuses: string[] }[]>;
  repository: { private: boolean; visibility: string; owner: { login: string; type: string } };
  /** Organization plan as GET /orgs/{org} shows it to the token (absent when the token may not see it). */
  orgPlan?: string;
  /** Permissions of the token on the repository (GET /repos → permissions). */
  permissions: { admin: boolean; push: boolean; pull: boolean };
  /** Whether the token is accepted at all. */
  tokenValid: boolean;
  /** GitHub environments that exist, with their protection rule types (GET /repos/{o}/{r}/environments/{name}). */
  environments?: Record<string, string[]>;
  /** Check runs per commit (GET /repos/{o}/{r}/commits/{ref}/check-runs). */
  checkRuns?: Record<string, { id: number; name: string; status: "queued" | "in_progress" | "completed"; conclusion: string | null }[]>;
}

export function githubHandler(state: GitHubState): Handler {
  return ({ method, path, query, headers }) => {
    if (!state.tokenValid || !String(headers.authorization ?? "").match(/^(token|bearer) /i)) return { status: 401, body: { message: "Bad credentials" } };
    if (method !== "GET") return { status: 405, body: { message: "read-only fake" } };
    let m: RegExpMatchArray | null;
    if ((m = path.match(/^\/repos\/[^/]+\/[^/]+\/compare\/(.+)$/))) {
      // paginated as the API is: per_page (default 250) and page (from 1)
      const perPage = Number(query.get("per_page") ?? 250);
      const page = Number(query.get("page") ?? 1);
      const slice = state.ahead.slice((page - 1) * perPage, page * perPage);
      return { status: 200, body: { total_commits: state.ahead.length, commits: slice.map((c) => ({ sha: c.sha, commit: { message: c.message } })) } };
    }
    if ((m = path.match(/^\/repos\/[^/]+\/[^/]+\/commits\/([0-9a-f]+)\/pulls$/))) return { status: 200, body: state.pulls[m[1]] ?? [] };
    if ((m = path.match(/^\/repos\/[^/]+\/[^/]+\/deployments\/(\d+)\/statuses$/))) {
      const d = Object.values(state.deployments).flat().find((x) => x.id === Number(m![1]));
      // the API's order is not a promise: give the statuses oldest first, with ids that tell the order
      return d ? { status: 200, body: d.statuses.map((state, i) => ({ id: d.statuses.length - i, state })).reverse() } : undefined;
    }
    if (path.match(/^\/repos\/[^/]+\/[^/]+\/deployments$/)) {
      const env = query.get("environment") ?? "";
      // `sha` filters by commit, as the API documents
      const sha = query.get("sha");
      return { status: 200, body: (state.deployments[env] ?? []).filter((d) => sha === null || d.sha === sha).map((d) => ({ id: d.id, sha: d.sha, environment: env })) };
    }
    if ((m = path.match(/^\/repos\/[^/]+\/[^/]+\/commits\/([^/]+)\/check-runs$/))) {
      const runs = (state.checkRuns?.[m[1]] ?? []).map((r) => ({ ...r, head_sha: m![1] }));
      return { status: 200, body: { total_count: runs.length, check_runs: runs } };
    }
    if ((m = path.match(/^\/repos\/[^/]+\/[^/]+\/environments\/([^/]+)$/))) {
      const rules = state.environments?.[decodeURIComponent(m[1])];
      return rules ? { status: 200, body: { name: m[1], protection_rules: rules.map((type, i) => ({ id: i + 1, type })) } } : undefined;
    }
    if (path.match(/^\/repos\/[^/]+\/[^/]+$/)) return { status: 200, body: { ...state.repository, permissions: state.permissions } };
    if ((m = path.match(/^\/orgs\/([^/]+)$/))) return { status: 200, body: { login: m[1], ...(state.orgPlan ? { plan: { name: state.orgPlan } } : {}) } };
    return undefined;
  };
}
