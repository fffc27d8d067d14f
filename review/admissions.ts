/**
 * Who and what each GitHub environment admits, against the gates stack, where no plan can tell:
 * - Branches: every environment's deployment branch policies are resources of their own, keyed by the matrix's
 *   patterns, so a policy added by hand (`*`, a tag) is in no state, and no plan or drift run shows it, while it
 *   lets that branch's workflows into the environment's secrets. This reads every policy GitHub has (REST "List
 *   deployment branch policies", Actions: read) and names those the stack does not write.
 * - Reviewers: the github provider's read (integrations/github 6.9.0 resource_github_repository_environment.go,
 *   resourceGithubRepositoryEnvironmentRead) sets `reviewers` and `prevent_self_review` only inside its
 *   `case "required_reviewers"`: once that rule is removed by hand, the last reviewers stay in state, so the
 *   configuration still equals the state, no plan or drift run shows the loss, and no gates apply writes them back.
 *   This reads each environment the stack gives reviewers (REST "Get an environment", Actions: read) and names
 *   what its required-reviewers rule lacks or has beyond the stack's.
 * The expected ones come from the synthesized gates stack.
 */
import type { Octokit } from "@octokit/rest";
import { locatedInstances } from "../stacks/adopt-targets";

export interface Admission {
  readonly environment: string;
  /** Policies GitHub has that the gates stack does not write, as `<type> <name>`. */
  readonly extra: readonly string[];
  /** How the environment's required reviewers differ from the stack's, each a phrase; none when they agree. */
  readonly reviewers: readonly string[];
  /** Why the environment could not be read, when it could not. */
  readonly error?: string;
}

/** An environment's required reviewers as the gates stack writes them: team slugs, user logins, self-review. */
export interface Reviewers {
  readonly teams: readonly string[];
  readonly users: readonly string[];
  readonly preventSelfReview: boolean;
}

/** The patterns the gates stack admits per GitHub environment (deployment policies are branch policies). */
export function expectedAdmissions(gatesStack: Record<string, unknown>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  // every policy the stack writes, an adopted one's (an import block in the stack) included
  for (const t of locatedInstances(gatesStack, "github_repository_environment_deployment_policy")) {
    if (t.locate.system !== "github" || t.locate.kind !== "deployment-policy") continue;
    const patterns = out.get(t.locate.environment) ?? new Set<string>();
    patterns.add(t.locate.pattern);
    out.set(t.locate.environment, patterns);
  }
  return out;
}

type Json = Record<string, any>;

/**
 * The required reviewers of each GitHub environment the gates stack gives some. The stack looks reviewers up by
 * slug and login (constructs/github-environment.ts): `teams` is `[ for key, val in data.github_team.<name>:
 * tonumber(val.id)]` over a data source whose `for_each` is the matrix's slugs, and `users` the same over
 * `data.github_user`. Any other form is refused: this check would otherwise pass on what it cannot read.
 */
export function expectedReviewers(gatesStack: Json): Map<string, Reviewers> {
  const out = new Map<string, Reviewers>();
  const lookedUp = (expression: unknown, dataType: "github_team" | "github_user", address: string): string[] => {
    const m = typeof expression === "string" ? new RegExp(`^\\$\\{\\[ for key, val in data\\.${dataType}\\.([A-Za-z0-9_-]+): tonumber\\(val\\.id\\)\\]\\}$`).exec(expression) : null;
    const forEach = m ? gatesStack.data?.[dataType]?.[m[1]]?.for_each : undefined;
    const listed = typeof forEach === "string" ? /^\$\{toset\((\[.*\])\)\}$/s.exec(forEach) : null;
    if (!listed) throw new Error(`${address}: reviewers ${JSON.stringify(expression)} are not a lookup of data.${dataType} over a list of names`);
    return JSON.parse(listed[1]);
  };
  for (const [name, r] of Object.entries<Json>(gatesStack.resource?.github_repository_environment ?? {})) {
    const block = r.reviewers?.[0];
    if (!block) continue;
    const address = `github_repository_environment.${name}`;
    const teams = lookedUp(block.teams, "github_team", address);
    const users = lookedUp(block.users, "github_user", address);
    if (teams.length + users.length > 0) out.set(r.environment, { teams, users, preventSelfReview: r.prevent_self_review === true });
  }
  return out;
}

/** How an environment's required-reviewers rule, as GitHub gives it, differs from `want`. */
export function reviewerDifferences(environment: Json, want: Reviewers): string[] {
  const rule = (environment.protection_rules ?? []).find((r: Json) => r.type === "required_reviewers");
  const names = (list: readonly string[]) => list.join(", ");
  // the one case the provider's read cannot see (a rule present but different, a plan shows too)
  if (!rule) {
    const writes = [want.teams.length ? `teams ${names(want.teams)}` : "", want.users.length ? `users ${names(want.users)}` : ""].filter(Boolean).join(" and ");
    return [`no required reviewers (the gates stack writes ${writes}; no plan shows this, and a gates apply does not write them back)`];
  }
  // team slugs and logins: GitHub compares logins without case
  const of = (type: string, key: string): string[] => (rule.reviewers ?? []).filter((r: Json) => r.type === type).map((r: Json) => String(r.reviewer?.[key] ?? "").toLowerCase());
  const out: string[] = [];
  for (const [kind, have, wanted] of [
    ["team", of("Team", "slug"), want.teams.map((t) => t.toLowerCase())],
    ["user", of("User", "login"), want.users.map((u) => u.toLowerCase())],
  ] as const) {
    const missing = wanted.filter((w) => !have.includes(w));
    const extra = have.filter((h) => !wanted.includes(h));
    if (missing.length) out.push(`${kind} ${names(missing)} not among the reviewers`);
    if (extra.length) out.push(`${kind} ${names(extra)} a reviewer the gates stack does not write`);
  }
  if (want.preventSelfReview && rule.prevent_self_review !== true) out.push("self-review allowed (the gates stack prevents it)");
  return out;
}

export async function admissions(gh: Octokit, repo: { owner: string; repo: string }, expected: Map<string, Set<string>>, reviewers: Map<string, Reviewers> = new Map()): Promise<Admission[]> {
  const out: Admission[] = [];
  for (const environment of [...new Set([...expected.keys(), ...reviewers.keys()])].sort()) {
    const patterns = expected.get(environment);
    const want = reviewers.get(environment);
    // each read on its own: what one found is still named when the other fails
    let extra: string[] = [];
    let differences: string[] = [];
    let error: string | undefined;
    try {
      if (patterns) {
        const policies = await gh.paginate(gh.rest.repos.listDeploymentBranchPolicies, { ...repo, environment_name: environment, per_page: 100 });
        // the stack writes branch policies only (provider 6.9.0 sends type "branch"): a tag policy is never its own
        extra = policies.filter((p) => (p.type ?? "branch") !== "branch" || !patterns.has(p.name ?? "")).map((p) => `${p.type ?? "branch"} ${p.name}`);
      }
    } catch (err) {
      error = `HTTP ${(err as { status?: number }).status ?? 0}`;
    }
    try {
      if (want) differences = reviewerDifferences((await gh.rest.repos.getEnvironment({ ...repo, environment_name: environment })).data as Json, want);
    } catch (err) {
      error ??= `HTTP ${(err as { status?: number }).status ?? 0}`;
    }
    out.push({ environment, extra, reviewers: differences, ...(error ? { error } : {}) });
  }
  return out;
}
