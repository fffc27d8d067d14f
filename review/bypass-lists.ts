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
 * actor added by hand there, nor the admin role of a matrix edit that turns `adminsCanBypass` off.
 *
 * The gates apply job runs this before its apply, with the ids of the rulesets in the plan's prior state: only
 * the lists the apply leaves as they are (the empty ones) are compared, each ruleset found by the id the apply
 * updates it by (a ruleset renamed by hand is updated in place: `name` forces no replacement), and one the state
 * lacks is the apply's to create. From a workstation, without ids, each is found by its name and every list compared.
 */
import type { Octokit } from "@octokit/rest";
import { locatedInstances } from "../stacks/adopt-targets";

type Json = Record<string, any>;

export interface BypassList {
  /** The ruleset's Terraform address in the gates stack. */
  readonly address: string;
  /** Its name, which the stack gives it. */
  readonly ruleset: string;
  /** Actors GitHub's list has that the stack does not write, as `<type> <id> (<mode>)`. */
  readonly extra: readonly string[];
  /** Actors the stack writes that GitHub's list lacks. */
  readonly missing: readonly string[];
  /** Why it was not compared: the apply creates it, or writes its list whole. */
  readonly skipped?: string;
  /** Why the list could not be read, when it could not. */
  readonly error?: string;
}

export interface ExpectedRuleset {
  readonly name: string;
  /** Its bypass actors, each as `<type> <id> (<mode>)`, sorted. */
  readonly actors: readonly string[];
}

/** An actor as one line: `RepositoryRole 5 (always)`; a deploy key has no id (`DeployKey - (always)`). */
const actor = (a: Json): string => `${a.actor_type} ${a.actor_id ?? "-"} (${a.bypass_mode ?? "always"})`;

/**
 * The rulesets of a synthesized gates stack, by Terraform address (stacks/adopt-targets.ts names the instances and
 * resolves what the stack writes out). Actor ids are written out (constructs/branch-ruleset.ts: the matrix's app
 * ids, the admin role's id): one only a plan would know is refused, since this check could not compare it.
 */
export function expectedBypassLists(gatesStack: Json): Map<string, ExpectedRuleset> {
  const out = new Map<string, ExpectedRuleset>();
  for (const t of locatedInstances(gatesStack, "github_repository_ruleset")) {
    if (t.locate.kind !== "ruleset") continue;
    const actors = t.desired.bypass_actors ?? [];
    if (!Array.isArray(actors)) throw new Error(`${t.address}: its bypass actors are known only at plan`);
    for (const a of actors) {
      if (a.actor_id !== undefined && a.actor_id !== null && typeof a.actor_id !== "number") throw new Error(`${t.address}: a bypass actor's id is known only at plan`);
    }
    out.set(t.address, { name: t.locate.name, actors: actors.map(actor).sort() });
  }
  return out;
}

/**
 * The ids of the rulesets in a plan's prior state (`terraform show -json` of the saved plan, filtered by the
 * workflow to `[{address, id}]` from `.prior_state.values.root_module.resources`), by address.
 */
export function stateIds(entries: unknown): Map<string, number> {
  if (!Array.isArray(entries) || !entries.every((e) => typeof e?.address === "string" && Number.isInteger(e?.id))) {
    throw new Error("not a list of {address, id} with whole-number ids");
  }
  return new Map(entries.map((e) => [e.address, e.id]));
}

export async function bypassLists(gh: Octokit, repo: { owner: string; repo: string }, expected: Map<string, ExpectedRuleset>, beforeApply?: Map<string, number>): Promise<BypassList[]> {
  const compared = [...expected].sort(([, a], [, b]) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // from a workstation: found by name among the repository's own rulesets (an organization's apply too, but are not the stack's)
  let listed: Json[] = [];
  if (!beforeApply) {
    try {
      listed = await gh.paginate(gh.rest.repos.getRepoRulesets, { ...repo, per_page: 100, includes_parents: false });
    } catch (err) {
      const error = `HTTP ${(err as { status?: number }).status ?? 0}`;
      return compared.map(([address, { name }]) => ({ address, ruleset: name, extra: [], missing: [], error }));
    }
  }
  const out: BypassList[] = [];
  for (const [address, { name, actors: want }] of compared) {
    const none = { address, ruleset: name, extra: [], missing: [] };
    let id: number | undefined;
    if (beforeApply) {
      if (want.length > 0) {
        out.push({ ...none, skipped: "the apply writes this list whole (the planner reads it as none, so its plan changes it)" });
        continue;
      }
      id = beforeApply.get(address);
      if (id === undefined) {
        out.push({ ...none, skipped: "not in the stack's state: the apply creates it" });
        continue;
      }
    } else {
      const found = listed.filter((r) => r.name === name);
      if (found.length !== 1) {
        out.push({ ...none, error: found.length === 0 ? "no ruleset of this name: renamed or deleted by hand? (a plan of the gates stack shows it)" : `${found.length} rulesets of this name` });
        continue;
      }
      id = found[0].id as number;
    }
    try {
      const detail = (await gh.rest.repos.getRepoRuleset({ ...repo, ruleset_id: id })).data as Json;
      // left out, not empty, for a token without write access: never read as "none"
      if (!Array.isArray(detail.bypass_actors)) {
        out.push({ ...none, error: "GitHub showed no bypass list: the token needs write access to rulesets (Administration: write)" });
        continue;
      }
      const have: string[] = detail.bypass_actors.map(actor).sort();
      out.push({ ...none, extra: have.filter((a) => !want.includes(a)), missing: want.filter((a) => !have.includes(a)) });
    } catch (err) {
      out.push({ ...none, error: `HTTP ${(err as { status?: number }).status ?? 0}` });
    }
  }
  return out;
}
