/** A fake GitHub REST API (api.github.com) with the state a test sets: commits, pull requests, deployments, repository. */
import type { Handler } from "./server";

export interface GitHubState {
  /** Commits of `head` not on the default branch, oldest first (what "compare" returns). */
  ahead: { sha: string; message: string }[];
  /** Pull requests associated with each commit (GET /repos/{o}/{r}/commits/{sha}/pulls). */
  pulls: Record<string, { number: number; merged_at: string | null; merge_commit_sha: string | null; base: { ref: string } }[]>;
  /**
   * Deployments per GitHub environment, newest first, each with its statuses newest first. `task` is "deploy" (what
   * GitHub Actions gives the deployment of a job that names the environment) unless set.
   */
  deployments: Record<string, { id: number; sha: string; statuses: string[]; task?: string; payload?: Record<string, unknown>; created_at?: string }[]>;
  /** The time the fake stamps on what it creates (`created_at` of a new deployment); now unless set. */
  now?: string;
  /** Branch heads (GET /repos/{o}/{r}/git/ref/heads/{branch}; 404 for any other branch). */
  branches?: Record<string, string>;
  /** Workflow runs by id (GET /repos/{o}/{r}/actions/runs/{run_id}; 404 for any other id). */
  runs?: Record<string, { path: string; event: string; head_branch: string | null; head_sha: string }>;
  /**
   * The jobs of workflow runs, by run id, every attempt (GET /repos/{o}/{r}/actions/runs/{run_id}/jobs: `filter=latest`,
   * the default, keeps the newest attempt's; `all` every attempt's; paged, the list under `jobs`).
   */
  runJobs?: Record<string, { id: number; name: string; head_sha: string; status: string; conclusion: string | null; run_attempt: number; started_at?: string | null; completed_at?: string | null }[]>;
  /** Whether the token may create deployments and their statuses (`deployments: write`); the fake is read-only otherwise. */
  deploymentsWritable?: boolean;
  repository: { private: boolean; visibility: string; owner: { login: string; type: string }; security_and_analysis?: Record<string, { status: string }> };
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
  /** More of an environment's body (can_admins_bypass, deployment_branch_policy) and its rules' settings, by rule type. */
  environmentSettings?: Record<string, { body?: Record<string, unknown>; rules?: Record<string, Record<string, unknown>> }>;
  /** Deployment branch policies per environment (GET …/environments/{name}/deployment-branch-policies). */
  branchPolicies?: Record<string, { id: number; name: string; type?: string }[]>;
  /** Repository rulesets (GET …/rulesets, GET …/rulesets/{id}). */
  rulesets?: Array<{ id: number; name: string } & Record<string, unknown>>;
  /**
   * Whether the token has write access to the rulesets: GitHub returns a ruleset's `bypass_actors` only then
   * (REST "Get a repository ruleset"), and leaves the property out otherwise. Shown unless false.
   */
  rulesetsWritable?: boolean;
  /** Environment variables (GET …/environments/{env}/variables/{name}). */
  variables?: Record<string, Record<string, string>>;
  /** Paths the token may not read (403, as GitHub answers an app without the permission). */
  forbidden?: string[];
  /** Whether the repository is hidden from the token: GitHub answers 404 for everything of a private repository then. */
  repositoryHidden?: boolean;
  /** Artifact and log retention in days (GET …/actions/permissions/artifact-and-log-retention); 90 unless set. */
  artifactRetentionDays?: number;
}

export function githubHandler(state: GitHubState): Handler {
  return ({ method, path, query, headers, body }) => {
    if (!state.tokenValid || !String(headers.authorization ?? "").match(/^(token|bearer) /i)) return { status: 401, body: { message: "Bad credentials" } };
    if (method === "POST" && state.deploymentsWritable) {
      const written = writeDeployment(state, path, body);
      if (written) return written;
    }
    if (method !== "GET") return { status: 405, body: { message: "read-only fake" } };
    if (state.forbidden?.includes(path)) return { status: 403, body: { message: "Resource not accessible by integration" } };
    if (state.repositoryHidden && path.startsWith("/repos/")) return { status: 404, body: { message: "Not Found" } };
    let m: RegExpMatchArray | null;
    // a list paged as the API pages it: per_page (default 30), page (from 1), and a Link header to the next page
    const paged = <T>(all: T[], wrap: (items: T[]) => unknown) => {
      const perPage = Number(query.get("per_page") ?? 30);
      const page = Number(query.get("page") ?? 1);
      const items = all.slice((page - 1) * perPage, page * perPage);
      // the next page's link keeps the request's other parameters, as GitHub's does
      const nextQuery = new URLSearchParams(query);
      nextQuery.set("per_page", String(perPage));
      nextQuery.set("page", String(page + 1));
      const next = page * perPage < all.length ? { link: `<http://${headers.host}${path}?${nextQuery}>; rel="next"` } : undefined;
      return { status: 200, body: wrap(items), headers: next };
    };
    if ((m = path.match(/^\/repos\/[^/]+\/[^/]+\/environments\/([^/]+)\/deployment-branch-policies$/))) {
      const env = decodeURIComponent(m[1]);
      if (!state.environments?.[env]) return undefined;
      const policies = (state.branchPolicies?.[env] ?? []).map((p) => ({ node_id: `p${p.id}`, type: "branch", ...p }));
      return paged(policies, (items) => ({ total_count: policies.length, branch_policies: items }));
    }
    if ((m = path.match(/^\/repos\/[^/]+\/[^/]+\/environments\/([^/]+)\/variables\/([^/]+)$/))) {
      const value = state.variables?.[decodeURIComponent(m[1])]?.[decodeURIComponent(m[2])];
      return value === undefined ? undefined : { status: 200, body: { name: m[2], value, created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z" } };
    }
    if (path.match(/^\/repos\/[^/]+\/[^/]+\/rulesets$/)) {
      // the list gives each ruleset's summary; its rules, conditions and bypass actors come from GET …/rulesets/{id}
      // includes_parents (default true): the organization's rulesets that apply to the repository are listed too
      // (GitHub REST "Get all repository rulesets")
      const listed = (state.rulesets ?? []).filter((r) => r.source_type !== "Organization" || query.get("includes_parents") !== "false");
      return paged(listed, (items) => items.map((r) => ({ id: r.id, name: r.name, target: r.target, enforcement: r.enforcement, source_type: r.source_type ?? "Repository", source: r.source_type === "Organization" ? "example-org" : "example-org/envmatrix" })));
    }
    if ((m = path.match(/^\/repos\/[^/]+\/[^/]+\/rulesets\/(\d+)$/))) {
      const r = (state.rulesets ?? []).find((x) => x.id === Number(m![1]));
      if (!r) return undefined;
      const { bypass_actors, ...shown } = r;
      return { status: 200, body: state.rulesetsWritable === false ? shown : { ...shown, ...(bypass_actors === undefined ? {} : { bypass_actors }) } };
    }
    if ((m = path.match(/^\/repos\/[^/]+\/[^/]+\/compare\/(.+)$/))) {
      // paginated as the API is: per_page (default 250) and page (from 1)
      const perPage = Number(query.get("per_page") ?? 250);
      const page = Number(query.get("page") ?? 1);
      const slice = state.ahead.slice((page - 1) * perPage, page * perPage);
      return { status: 200, body: { total_commits: state.ahead.length, commits: slice.map((c) => ({ sha: c.sha, commit: { message: c.message } })) } };
    }
    // paged like every list (per_page, default 30; a Link header to the next page): the merged pull request may sit
    // after a page of open ones
    if ((m = path.match(/^\/repos\/[^/]+\/[^/]+\/commits\/([0-9a-f]+)\/pulls$/))) return paged(state.pulls[m[1]] ?? [], (items) => items);
    if ((m = path.match(/^\/repos\/[^/]+\/[^/]+\/actions\/runs\/(\d+)\/jobs$/))) {
      const jobs = state.runJobs?.[m[1]];
      if (jobs === undefined) return { status: 404, body: { message: "Not Found" } };
      const newest = Math.max(0, ...jobs.map((j) => j.run_attempt));
      const listed = query.get("filter") === "all" ? jobs : jobs.filter((j) => j.run_attempt === newest);
      return paged(listed, (items) => ({ total_count: listed.length, jobs: items }));
    }
    // "Get a reference": the ref after git/ref/, its slashes as they come or encoded (%2F)
    if ((m = path.match(/^\/repos\/[^/]+\/[^/]+\/git\/ref\/(.+)$/))) {
      const ref = decodeURIComponent(m[1]);
      const sha = ref.startsWith("heads/") ? state.branches?.[ref.slice("heads/".length)] : undefined;
      return sha ? { status: 200, body: { ref: `refs/${ref}`, object: { type: "commit", sha } } } : { status: 404, body: { message: "Not Found" } };
    }
    if ((m = path.match(/^\/repos\/[^/]+\/[^/]+\/actions\/runs\/(\d+)$/))) {
      const r = state.runs?.[m[1]];
      return r ? { status: 200, body: { id: Number(m[1]), ...r } } : { status: 404, body: { message: "Not Found" } };
    }
    if ((m = path.match(/^\/repos\/[^/]+\/[^/]+\/deployments\/(\d+)\/statuses$/))) {
      const d = Object.values(state.deployments).flat().find((x) => x.id === Number(m![1]));
      // the API's order is not a promise: give the statuses oldest first, with ids that tell the order
      return d ? { status: 200, body: d.statuses.map((state, i) => ({ id: d.statuses.length - i, state })).reverse() } : undefined;
    }
    if (path.match(/^\/repos\/[^/]+\/[^/]+\/deployments$/)) {
      const env = query.get("environment") ?? "";
      // `sha` and `task` filter, as the API documents
      const sha = query.get("sha");
      const task = query.get("task");
      return {
        status: 200,
        body: (state.deployments[env] ?? [])
          .filter((d) => (sha === null || d.sha === sha) && (task === null || (d.task ?? "deploy") === task))
          .map((d) => ({ id: d.id, sha: d.sha, environment: env, task: d.task ?? "deploy", payload: d.payload ?? {}, created_at: d.created_at ?? "2026-01-01T00:00:00Z" })),
      };
    }
    // GitHub REST "Get artifact and log retention settings for a repository": days, and the most the owner allows
    if (/^\/repos\/[^/]+\/[^/]+\/actions\/permissions\/artifact-and-log-retention$/.test(path)) {
      return { status: 200, body: { days: state.artifactRetentionDays ?? 90, maximum_allowed_days: 90 } };
    }
    if ((m = path.match(/^\/repos\/[^/]+\/[^/]+\/commits\/([^/]+)\/check-runs$/))) {
      const runs = (state.checkRuns?.[m[1]] ?? []).map((r) => ({ ...r, head_sha: m![1] }));
      return { status: 200, body: { total_count: runs.length, check_runs: runs } };
    }
    if ((m = path.match(/^\/repos\/[^/]+\/[^/]+\/environments\/([^/]+)$/))) {
      const name = decodeURIComponent(m[1]);
      const rules = state.environments?.[name];
      const more = state.environmentSettings?.[name];
      return rules ? { status: 200, body: { name, ...(more?.body ?? {}), protection_rules: rules.map((type, i) => ({ id: i + 1, type, ...(more?.rules?.[type] ?? {}) })) } } : undefined;
    }
    if (path.match(/^\/repos\/[^/]+\/[^/]+$/)) return { status: 200, body: { ...state.repository, permissions: state.permissions } };
    if ((m = path.match(/^\/orgs\/([^/]+)$/))) return { status: 200, body: { login: m[1], ...(state.orgPlan ? { plan: { name: state.orgPlan } } : {}) } };
    return undefined;
  };
}

/**
 * POST /repos/{o}/{r}/deployments (201 with the deployment; `ref`, `environment` and `task` as given) and
 * POST /repos/{o}/{r}/deployments/{id}/statuses (201), as "Create a deployment" and "Create a deployment status"
 * document them. With `auto_inactive` (default true) a success status marks the environment's earlier successful
 * deployments inactive, as GitHub does for a non-production environment.
 */
function writeDeployment(state: GitHubState, path: string, body: any): { status: number; body: unknown } | undefined {
  let m: RegExpMatchArray | null;
  if (path.match(/^\/repos\/[^/]+\/[^/]+\/deployments$/)) {
    if (typeof body?.ref !== "string" || typeof body?.environment !== "string") return { status: 422, body: { message: "ref and environment are required" } };
    const id = Math.max(0, ...Object.values(state.deployments).flat().map((d) => d.id)) + 1;
    const deployment = { id, sha: body.ref, statuses: [] as string[], task: body.task ?? "deploy", payload: body.payload, created_at: state.now ?? new Date().toISOString().replace(/\.\d+Z$/, "Z") };
    (state.deployments[body.environment] ??= []).unshift(deployment);
    return { status: 201, body: { id, sha: body.ref, ref: body.ref, task: deployment.task, environment: body.environment, payload: body.payload ?? {}, created_at: deployment.created_at } };
  }
  if ((m = path.match(/^\/repos\/[^/]+\/[^/]+\/deployments\/(\d+)\/statuses$/))) {
    const env = Object.keys(state.deployments).find((e) => state.deployments[e].some((d) => d.id === Number(m![1])));
    if (env === undefined) return { status: 404, body: { message: "Not Found" } };
    const deployment = state.deployments[env].find((d) => d.id === Number(m![1]))!;
    deployment.statuses.unshift(body.state);
    if (body.state === "success" && body.auto_inactive !== false) {
      for (const d of state.deployments[env]) if (d.id < deployment.id && d.statuses[0] === "success") d.statuses.unshift("inactive");
    }
    return { status: 201, body: { id: deployment.statuses.length, state: body.state } };
  }
  return undefined;
}
