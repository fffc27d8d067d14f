/**
 * `npm run cost`: each environment's estimated monthly cost from the matrix (config/cost.ts), against its budget;
 * with `--against` another matrix (the default branch's), the change per environment, for the pull-request
 * comment ("prod: +$138.14/month at max replicas"). An estimate from the matrix, never a bill.
 */
import { estimateCost, money } from "../config/cost";
import type { Matrix } from "../config/types";

const signed = (n: number, currency: string) => (n > 0 ? `+${money(n, currency)}` : money(n, currency));

/** One row per environment: at default replicas, at max replicas, the budget. */
export function costRows(m: Matrix): { environment: string; atDefault: string; atMax: string; budget: string; arithmetic: string }[] {
  const c = m.organization.cost.currency;
  return Object.keys(m.environments).map((name) => {
    const e = estimateCost(m, name);
    return { environment: name, atDefault: money(e.atDefault.total, c), atMax: money(e.atMax.total, c), budget: money(m.environments[name].cost.budgetMonthly, c), arithmetic: e.atMax.arithmetic };
  });
}

export function costMarkdown(m: Matrix): string {
  return [
    "| environment | a month at default replicas | a month at max replicas | budget | the maximum, worked out |",
    "| --- | --- | --- | --- | --- |",
    ...costRows(m).map((r) => `| ${r.environment} | ${r.atDefault} | ${r.atMax} | ${r.budget} | ${r.arithmetic} |`),
  ].join("\n");
}

export function costText(m: Matrix): string {
  const rows = costRows(m);
  const w = Math.max(...rows.map((r) => r.environment.length));
  return [
    `estimated monthly cost from the matrix (never a bill), ${m.organization.cost.currency}:`,
    ...rows.map((r) => `${r.environment.padEnd(w)}  ${r.atDefault} at default replicas, ${r.atMax} at max replicas, budget ${r.budget}`),
  ].join("\n");
}

/** The change of each environment's estimate from `base` to `head`, as the pull-request comment shows it. */
export function costDelta(base: Matrix, head: Matrix): string {
  const c = head.organization.cost.currency;
  const lines: string[] = [];
  for (const name of Object.keys(head.environments)) {
    const after = estimateCost(head, name);
    const budget = money(head.environments[name].cost.budgetMonthly, c);
    if (!(name in base.environments)) {
      lines.push(`- ${name}: new, ${money(after.atMax.total, c)}/month at max replicas, ${money(after.atDefault.total, c)} at default (budget ${budget})`);
      continue;
    }
    const before = estimateCost(base, name);
    const dMax = Math.round((after.atMax.total - before.atMax.total) * 100) / 100;
    const dDefault = Math.round((after.atDefault.total - before.atDefault.total) * 100) / 100;
    if (dMax === 0 && dDefault === 0) continue;
    lines.push(
      `- ${name}: ${signed(dMax, c)}/month at max replicas (${money(before.atMax.total, c)} → ${money(after.atMax.total, c)}, budget ${budget}), ${signed(dDefault, c)} at default replicas`,
    );
  }
  for (const name of Object.keys(base.environments)) if (!(name in head.environments)) lines.push(`- ${name}: removed, ${signed(-estimateCost(base, name).atMax.total, c)}/month at max replicas`);
  return ["#### Estimated cost (from the matrix, never a bill)", "", ...(lines.length > 0 ? lines : ["No environment's estimate changed."])].join("\n");
}
