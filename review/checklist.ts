/**
 * The approval checklist of an environment (`approval.checklist`), as the markdown the deploy workflow's plan job
 * writes into its job summary: the approver reads it beside the plan before approving the apply job.
 */
import type { EnvironmentSettings } from "../config/types";

/** An item as one line of prose: no line break, no HTML (nothing that could hide what follows in the summary). */
const prose = (text: string) => text.replace(/[\r\n\t]+/g, " ").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** `#### Before you approve <stack>` and one unchecked box per item; empty when the environment has none. */
export function checklistMarkdown(stack: string, settings: EnvironmentSettings): string {
  const items = settings.approval.checklist;
  if (items.length === 0) return "";
  return [`#### Before you approve ${stack}`, "", "Approving the deployment says each of these holds:", "", ...items.map((i) => `- [ ] ${prose(i)}`), ""].join("\n");
}
