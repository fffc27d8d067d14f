/**
 * Whether a drift plan's changes are drift, or only what the read-only planner cannot see. GitHub returns a
 * ruleset's `bypass_actors` only to a token with write access to it (REST "Get a repository ruleset": "the
 * `bypass_actors` property is only returned if the user making the API request has write access to the
 * ruleset"), and provider 6.9.0 reads a missing list as an empty one (respository_rules_utils.go flattenBypassActors),
 * so the plan app's refresh of every ruleset with a bypass list plans to write that list again. Such an update, and
 * nothing else in it, is not drift; anything else in the plan is. Read from `terraform show -json`
 * (developer.hashicorp.com/terraform/internals/json-format: `resource_changes[].change.before|after|actions`).
 */

import { sameJson as same } from "./json";

export interface DriftVerdict {
  /** Addresses whose only change is the bypass list the planner cannot read. */
  readonly unseen: readonly string[];
  /** Addresses that changed otherwise: real drift. */
  readonly drifted: readonly string[];
  /**
   * The stack's state holds no managed resource: it was never deployed (a new environment, hotfix before its first
   * hotfix), and whatever the plan would do is its first deploy, not drift.
   */
  readonly notDeployed: boolean;
}

/** Managed resources in a plan's prior state (`prior_state.values.root_module`, its child modules included). */
function priorManaged(module: { resources?: Array<{ mode?: string }>; child_modules?: unknown[] } | undefined): number {
  if (!module) return 0;
  const own = (module.resources ?? []).filter((r) => r.mode === "managed").length;
  return own + (module.child_modules ?? []).reduce<number>((n, c) => n + priorManaged(c as typeof module), 0);
}


export function driftVerdict(plan: { resource_changes?: unknown; output_changes?: unknown; prior_state?: any }): DriftVerdict {
  if (plan.prior_state !== undefined && priorManaged(plan.prior_state?.values?.root_module) === 0) return { unseen: [], drifted: [], notDeployed: true };
  const unseen: string[] = [];
  const drifted: string[] = [];
  for (const rc of (Array.isArray(plan.resource_changes) ? plan.resource_changes : []) as Array<Record<string, any>>) {
    const actions: string[] = rc.change?.actions ?? [];
    // an import or a move changes the state even where nothing else changes (-detailed-exitcode says 2 for it)
    const moves = rc.change?.importing !== undefined || rc.previous_address !== undefined;
    if (!moves && actions.every((a) => a === "no-op" || a === "read")) continue;
    const before = rc.change?.before ?? {};
    const after = rc.change?.after ?? {};
    // a value unknown until apply is left out of `after` and flagged in `after_unknown`
    const unknown = rc.change?.after_unknown ?? {};
    const keys = new Set([...Object.keys(before), ...Object.keys(after), ...Object.keys(unknown)]);
    const onlyBypass =
      !moves &&
      rc.type === "github_repository_ruleset" &&
      actions.length === 1 &&
      actions[0] === "update" &&
      (before.bypass_actors ?? []).length === 0 &&
      [...keys].every((k) => k === "bypass_actors" || (unknown[k] === undefined || unknown[k] === false) && same(before[k], after[k]));
    (onlyBypass ? unseen : drifted).push(String(rc.address));
  }
  for (const [name, c] of Object.entries<Record<string, any>>((plan.output_changes ?? {}) as Record<string, any>)) {
    if (!(c?.actions ?? []).every((a: string) => a === "no-op")) drifted.push(`output.${name}`);
  }
  return { unseen, drifted, notDeployed: false };
}
