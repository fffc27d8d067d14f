/**
 * Each ruleset's bypass list against the gates stack, read with the deploy app's token.
 *
 * No plan sees a bypass actor: GitHub returns a ruleset's `bypass_actors` only to a token with write access to it
 * (REST "Get a repository ruleset"), so the read-only plan app reads every list as none. Where the stack's list
 * is not empty, every gates plan therefore shows it as a change, and the apply writes it whole. Where it is empty
 * (the matrix lets nobody bypass: prod's and hotfix's branch rulesets), the plan sees no change, and the provider's
 * update sends `bypass_actors` only when the plan changes them (integrations/github 6.9.0
 * resource_github_repository_ruleset.go, resourceGithubRepositoryRulesetUpdate; otherwise go-github's
 * UpdateRuleset leaves an empty list out of the request, and GitHub keeps the list it has). So no apply removes an
 * actor added by hand there, nor the admin role of a matrix edit that turns `adminsCanBypass` off. The gates
 * apply job runs this before its apply: with `beforeApply`, only the lists the apply will not write are compared.
 */
import type { Octokit } from "@octokit/rest";

type Json = Record<string, any>;

export interface BypassList {
  /** The ruleset's name, which the stack gives it and GitHub lists it by. */
  readonly ruleset: string;
  /** Actors GitHub's list has that the stack does not write, as `<type> <id> (<mode>)`. */
  readonly extra: readonly string[];
  /** Actors the stack writes that GitHub's list lacks. */
  readonly missing: readonly string[];
  /** Why it was not compared: GitHub has no ruleset of this name (the apply creates it), or the apply writes the list whole. */
  readonly skipped?: string;
  /** Why the list could not be read, when it could not. */
  readonly error?: string;
}

/** An actor as one line: `RepositoryRole 5 (always)`; a deploy key or an organization admin has no id. */
const actor = (a: Json): string => `${a.actor_type} ${a.actor_id ?? "-"} (${a.bypass_mode ?? "always"})`;

/**
 * The bypass actors of each ruleset of a synthesized gates stack, by ruleset name. Their ids are written out
 * (constructs/branch-ruleset.ts: the matrix's app ids, the admin role's id): one that only a plan would know is
 * refused, since this check could not compare it.
 */
export function expectedBypassLists(gatesStack: Json): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, r] of Object.entries<Json>(gatesStack.resource?.github_repository_ruleset ?? {})) {
    const actors: Json[] = r.bypass_actors ?? [];
    for (const a of actors) {
      if (a.actor_id !== undefined && a.actor_id !== null && typeof a.actor_id !== "number") {
        throw new Error(`github_repository_ruleset.${name}: bypass actor id ${JSON.stringify(a.actor_id)} is not a number written out`);
      }
    }
    out.set(r.name, actors.map(actor).sort());
  }
  return out;
}

export async function bypassLists(gh: Octokit, repo: { owner: string; repo: string }, expected: Map<string, string[]>, opts: { beforeApply?: boolean } = {}): Promise<BypassList[]> {
  const compared = [...expected].sort(([a], [b]) => (a < b ? -1 : 1));
  let listed: Json[];
  try {
    // the repository's own rulesets: an organization's apply too, but are not the stack's
    listed = await gh.paginate(gh.rest.repos.getRepoRulesets, { ...repo, per_page: 100, includes_parents: false });
  } catch (err) {
    const error = `HTTP ${(err as { status?: number }).status ?? 0}`;
    return compared.map(([ruleset]) => ({ ruleset, extra: [], missing: [], error }));
  }
  const out: BypassList[] = [];
  for (const [ruleset, want] of compared) {
    const none = { ruleset, extra: [], missing: [] };
    if (opts.beforeApply && want.length > 0) {
      out.push({ ...none, skipped: "the apply writes this list whole (the planner reads it as none, so its plan changes it)" });
      continue;
    }
    const found = listed.filter((r) => r.name === ruleset);
    if (found.length === 0) {
      out.push({ ...none, skipped: "no ruleset of this name yet: the apply creates it" });
      continue;
    }
    if (found.length > 1) {
      out.push({ ...none, error: `${found.length} rulesets of this name` });
      continue;
    }
    try {
      const detail = (await gh.rest.repos.getRepoRuleset({ ...repo, ruleset_id: found[0].id })).data as Json;
      // left out, not empty, for a token without write access: never read as "none"
      if (!Array.isArray(detail.bypass_actors)) {
        out.push({ ...none, error: "GitHub showed no bypass list: the token needs write access to rulesets (Administration: write)" });
        continue;
      }
      const have: string[] = detail.bypass_actors.map(actor).sort();
      out.push({ ruleset, extra: have.filter((a) => !want.includes(a)), missing: want.filter((a) => !have.includes(a)) });
    } catch (err) {
      out.push({ ...none, error: `HTTP ${(err as { status?: number }).status ?? 0}` });
    }
  }
  return out;
}
