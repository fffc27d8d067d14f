/** What the two property test files share (properties.test.ts, properties-seed.test.ts): synthesis and the field lists. */
import { Testing, type App } from "cdktf";
import { buildApp } from "../main";
import { checkMatrix } from "../config/validate";
import type { Matrix, MatrixDefinition } from "../config/types";
import { testApp } from "./scratch";
import { expectedRolloutRoom } from "./helpers";

export const GATES = "gates";
export const load = (def: MatrixDefinition): Matrix => checkMatrix(def, "generated");

const synthesized = new Map<string, Map<string, string>>();

/**
 * Every stack's cdk.tf.json text, by stack name, synthesized in memory; once per matrix in this file. Synthesis is
 * a function of the matrix (invariant 1 checks it byte for byte), and the properties draw from one seed, so
 * invariant 3's matrices are the first of invariant 2's: they are synthesized once, as the issue asks of the
 * suite ("synthesize once, shared").
 */
export function synthAll(m: Matrix): Map<string, string> {
  const key = JSON.stringify(m);
  let out = synthesized.get(key);
  if (!out) {
    const app = buildApp(testApp() as unknown as App, m);
    out = new Map(app.node.children.map((stack) => [stack.node.id, Testing.synth(stack as any)]));
    synthesized.set(key, out);
  }
  return out;
}

/** The stacks whose text differs between two syntheses (added or removed ones included). */
export function changedStacks(a: Map<string, string>, b: Map<string, string>): string[] {
  return [...new Set([...a.keys(), ...b.keys()])].filter((s) => a.get(s) !== b.get(s)).sort();
}

/** The environments that take their settings from `name`: itself and its clones. */
export const withClones = (def: MatrixDefinition, name: string) =>
  Object.keys(def.environments).filter((n) => n === name || (def.environments[n] as { cloneOf?: string }).cloneOf === name);

/**
 * The settings of an environment that the gates stack reads: its GitHub environments and rulesets (identity,
 * approval), the deployer's Vault access (cluster → auth mount), the login variables (backend), prevent_destroy
 * (protected). From stacks/gates-stack.ts's design (DESIGN.md: the gates hold every environment's GitHub gate and
 * deployer access); anything else reaching the gates stack would couple every environment's edits to it.
 */
export const GATES_READ = ["identity", "approval", "backend", "cluster", "protected"];

/**
 * Fields no stack reads, each with the tool that does (and the test of that tool): a change to them must not
 * change any stack, and does not have to.
 */
export const READ_BY_TOOLS_ONLY: Record<string, string> = {
  deploymentWindow: "deploy-window (promotion.test.ts, cli-wiring.test.ts)",
  entryGates: "gate (gate.test.ts, cli-wiring.test.ts)",
  "approval.checklist": "approval-checklist (cli-wiring.test.ts)",
  cost: "cost (cost.test.ts, cli-wiring.test.ts)",
};

/**
 * Fields a stack reads only when another field enables them (the Datadog API ignores no_data_timeframe
 * without notify_no_data; an environment without a protected branch has no ruleset to hold the rules).
 */
export const READ_WHEN: Record<string, (e: any) => boolean> = {
  // the quota's room beside max replicas is the largest of the surge, the canary and the previous version (README's quota row)
  rolloutSurgePods: (e) => expectedRolloutRoom(e).why.endsWith(" surge"),
  "alerts.noDataTimeframeMinutes": (e) => e.alerts.notifyNoData === true,
  "approval.requiredApprovingReviews": (e) => e.identity.protectedBranch !== null,
  "approval.dismissStaleReviews": (e) => e.identity.protectedBranch !== null,
  "approval.requiredStatusChecks": (e) => e.identity.protectedBranch !== null,
  "approval.allowForcePushes": (e) => e.identity.protectedBranch !== null,
  "approval.codeScanning": (e) => e.identity.protectedBranch !== null,
  "approval.codeScanning.tool": (e) => e.identity.protectedBranch !== null,
  "approval.codeScanning.alertsThreshold": (e) => e.identity.protectedBranch !== null,
  "approval.codeScanning.securityAlertsThreshold": (e) => e.identity.protectedBranch !== null,
};

/** Whether a field (relative to the environment) is one of READ_BY_TOOLS_ONLY's, or inside one. */
export const readByToolsOnly = (field: readonly string[]) => Object.keys(READ_BY_TOOLS_ONLY).some((k) => field.join(".") === k || field.join(".").startsWith(`${k}.`));

/** Whether changing `field` of the environment (settings `e`, before and after) must change some stack. */
export const mustChange = (field: readonly string[], before: unknown, after: unknown) =>
  !readByToolsOnly(field) && (READ_WHEN[field.join(".")]?.(before) ?? true) && (READ_WHEN[field.join(".")]?.(after) ?? true);
