/**
 * What a saved Terraform plan will do, read from `terraform show -json <plan>` (Terraform's JSON output format,
 * developer.hashicorp.com/terraform/internals/json-format: `resource_changes[].change.actions`): per address,
 * added, changed in place, replaced, destroyed or unchanged. Destroys and replacements in a protected
 * environment lead the summary in bold, because the approver is about to approve exactly this plan.
 */

import { code } from "./markdown";

export type PlanAction = "create" | "update" | "replace" | "delete" | "forget" | "no-op";

export interface PlannedChange {
  readonly address: string;
  readonly action: PlanAction;
  /** For replacements: the attributes that force it (`replace_paths`), dotted. */
  readonly forcedBy: readonly string[];
  /** Terraform's reason, e.g. `delete_because_no_resource_config`, `replace_because_cannot_update`. */
  readonly reason?: string;
  /** The id of the existing object an `import` block adopts into this address (`change.importing.id`). */
  readonly importing?: string;
}

export interface PlanSummary {
  readonly stack: string;
  readonly protected: boolean;
  readonly changes: readonly PlannedChange[];
  readonly counts: Readonly<Record<PlanAction, number>>;
  /** How many existing objects the plan imports (Terraform's "N to import"), whatever else it does to them. */
  readonly imports: number;
}

export class PlanFormatError extends Error {}

/** Terraform's action lists → one action; `read` (data sources) is not a change to anything. */
function actionOf(actions: readonly string[]): PlanAction | "read" {
  const key = [...actions].sort().join(",");
  switch (key) {
    case "create":
    case "update":
    case "delete":
    case "no-op":
    case "read":
    // a `removed` block with destroy = false (Terraform ≥ 1.7): out of state, the object left as it is
    case "forget":
      return key;
    case "create,delete":
      return "replace"; // ["delete","create"] or ["create","delete"] (create_before_destroy)
    default:
      throw new PlanFormatError(`unknown plan actions ${JSON.stringify(actions)}`);
  }
}

/** The summary of one stack's plan, from the parsed `terraform show -json` document. */
export function summarizePlan(stack: string, plan: unknown, isProtected: boolean): PlanSummary {
  const doc = plan as { format_version?: unknown; resource_changes?: unknown };
  if (doc === null || typeof doc !== "object" || typeof doc.format_version !== "string") {
    throw new PlanFormatError(`${stack}: not the output of terraform show -json (no format_version)`);
  }
  if (!/^1\./.test(doc.format_version)) throw new PlanFormatError(`${stack}: plan format ${doc.format_version} is not 1.x`);
  const changes: PlannedChange[] = [];
  for (const rc of (doc.resource_changes ?? []) as any[]) {
    if (rc?.mode === "data") continue;
    const action = actionOf(rc?.change?.actions ?? []);
    if (action === "read") continue;
    changes.push({
      address: String(rc.address),
      action,
      forcedBy: ((rc.change.replace_paths ?? []) as unknown[][]).map((p) => p.join(".")),
      reason: typeof rc.action_reason === "string" ? rc.action_reason : undefined,
      importing: rc.change.importing ? String(rc.change.importing.id) : undefined,
    });
  }
  changes.sort((a, b) => a.address.localeCompare(b.address));
  const counts = { create: 0, update: 0, replace: 0, delete: 0, forget: 0, "no-op": 0 };
  for (const c of changes) counts[c.action]++;
  return { stack, protected: isProtected, changes, counts, imports: changes.filter((c) => c.importing !== undefined).length };
}

const LABEL: Record<PlanAction, string> = { create: "add", update: "change", replace: "replace", delete: "destroy", forget: "forget", "no-op": "unchanged" };

/**
 * Whether applying the plan changes any object (creates, updates, replaces or deletes one): an import or a forget
 * changes only the state, an output nothing outside it. What a deployment is (report-deployment).
 */
export const changesObjects = (s: PlanSummary) => s.counts.create + s.counts.update + s.counts.replace + s.counts.delete > 0;
export const hasChanges = (s: PlanSummary) => s.imports + s.counts.create + s.counts.update + s.counts.replace + s.counts.delete + s.counts.forget > 0;

/** "import" for an adopted object left as it is, "import, change" for one the apply also updates, and so on. */
const labelOf = (c: PlannedChange) => (c.importing === undefined ? LABEL[c.action] : c.action === "no-op" ? "import" : `import, ${LABEL[c.action]}`);
export const dangerous = (s: PlanSummary) => s.changes.filter((c) => c.action === "delete" || c.action === "replace");

/** Markdown for the job summary and the pull-request comment. */
export function planMarkdown(s: PlanSummary): string {
  const c = s.counts;
  // Terraform's own summary line names imports only when there are some ("Plan: 1 to import, 0 to add, …")
  const imports = s.imports > 0 ? `${s.imports} to import, ` : "";
  // and objects it forgets (removed blocks) only when there are some, as Terraform says them
  const forgets = c.forget > 0 ? `, ${c.forget} to forget` : "";
  const lines = [`#### ${s.stack}: ${imports}${c.create} to add, ${c.update} to change, ${c.replace} to replace, ${c.delete} to destroy${forgets}`, ""];
  const danger = dangerous(s);
  if (s.protected && danger.length > 0) {
    lines.push(`**⚠ ${s.stack} is protected and this plan destroys or replaces ${danger.length} resource(s):**`, "");
    for (const d of danger) lines.push(`- **${LABEL[d.action]} ${code(d.address)}**${d.forcedBy.length ? ` (forced by ${d.forcedBy.map((p) => code(p)).join(", ")})` : ""}`);
    lines.push("");
  }
  const shown = s.changes.filter((x) => x.action !== "no-op" || x.importing !== undefined);
  if (shown.length === 0) lines.push("No changes: the infrastructure matches this stack.");
  else {
    lines.push("| action | address |", "| --- | --- |");
    for (const change of shown) {
      const from = change.importing === undefined ? "" : ` ← ${code(change.importing)}`;
      lines.push(`| ${labelOf(change)} | ${code(change.address)}${from}${change.forcedBy.length ? ` (${change.forcedBy.map((p) => code(p)).join(", ")})` : ""} |`);
    }
  }
  return `${lines.join("\n")}\n`;
}
