/**
 * Which branches each GitHub environment admits, against the gates stack: every environment's deployment branch
 * policies are resources of their own, keyed by the matrix's patterns, so a policy added by hand (`*`, a tag) is in
 * no state, and no plan or drift run shows it, while it lets that branch's workflows into the environment's
 * secrets. This reads every policy GitHub has (REST "List deployment branch policies", Actions: read) and names
 * those the stack does not write. The expected ones come from the synthesized gates stack, as adopt reads it.
 */
import type { Octokit } from "@octokit/rest";
import { adoptionTargets } from "../stacks/adopt-targets";

export interface Admission {
  readonly environment: string;
  /** Policies GitHub has that the gates stack does not write, as `<type> <name>`. */
  readonly extra: readonly string[];
  /** Why the environment could not be read, when it could not. */
  readonly error?: string;
}

/** The patterns the gates stack admits per GitHub environment (deployment policies are branch policies). */
export function expectedAdmissions(gatesStack: Record<string, unknown>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const t of adoptionTargets(gatesStack).targets) {
    if (t.locate.system !== "github" || t.locate.kind !== "deployment-policy") continue;
    const patterns = out.get(t.locate.environment) ?? new Set<string>();
    patterns.add(t.locate.pattern);
    out.set(t.locate.environment, patterns);
  }
  return out;
}

export async function admissions(gh: Octokit, repo: { owner: string; repo: string }, expected: Map<string, Set<string>>): Promise<Admission[]> {
  const out: Admission[] = [];
  for (const [environment, patterns] of [...expected].sort(([a], [b]) => (a < b ? -1 : 1))) {
    try {
      const policies = await gh.paginate(gh.rest.repos.listDeploymentBranchPolicies, { ...repo, environment_name: environment, per_page: 100 });
      // the stack writes branch policies only (provider 6.9.0 sends type "branch"): a tag policy is never its own
      const extra = policies.filter((p) => (p.type ?? "branch") !== "branch" || !patterns.has(p.name ?? "")).map((p) => `${p.type ?? "branch"} ${p.name}`);
      out.push({ environment, extra });
    } catch (err) {
      out.push({ environment, extra: [], error: `HTTP ${(err as { status?: number }).status ?? 0}` });
    }
  }
  return out;
}
