/**
 * Tables of the README that are generated from the matrix, never typed by hand:
 * `npm run readme-tables` prints them, `npm run readme-tables -- --write` rewrites them in README.md between
 * their `<!-- generated:NAME -->` and `<!-- /generated:NAME -->` markers, and a test fails when the README is stale.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadMatrix } from "../config";
import { canaryErrorRateAllowancePoints, thresholdNumber, thresholdsAbove } from "../config/thresholds";
import { matrixMarkdown } from "../review/matrix-table";
import type { Matrix } from "../config/types";
import { alertRecipients, tierRoute } from "../stacks/props";
import { allTargets, appliedLike, approverHandles, describeWindow } from "../config/promotion";
import { deployerPolicy } from "../constructs/deployer-access";
import { environmentVaultObjects } from "../stacks/names";
import { RULES, type Rule, type RuleGroup } from "../config/rules";
import { policy } from "../config/policy";
import { costMarkdown } from "../review/cost";

const row = (cells: readonly (string | number)[]) => `| ${cells.join(" | ")} |`;

/** Monitors per environment: thresholds (critical / warning), evaluation, routing, SLOs, canary gate. */
export function monitorTable(m: Matrix): string {
  const names = Object.keys(m.environments);
  const envs = names.map((n) => m.environments[n]);
  const dd = m.organization.datadog;
  const pair = (critical: number, warnAt: number, unit: string) => {
    const t = thresholdsAbove(critical, warnAt, 100);
    return `${t.critical}${unit} / ${t.warning}${unit}`;
  };
  const KINDS = { errorRate: "error rate", latency: "latency", cpu: "CPU" } as const;
  const routing = (e: Matrix["environments"][string]) => {
    const tiers = e.alerts.tiers;
    if (tiers === null) return alertRecipients(e.alerts.routing, dd).join(" + ") || "nobody (logged only)";
    const whom = (tier: "critical" | "high" | "medium" | "low") =>
      tierRoute(tier, dd).notify.join(" + ") || (tier === "low" ? "weekly report" : "logged for investigation");
    return (Object.keys(KINDS) as (keyof typeof KINDS)[]).map((k) => `${KINDS[k]} (${tiers[k]}): ${whom(tiers[k])}`).join("; ");
  };
  const lines = [
    row(["", ...names]),
    row(["---", ...names.map(() => "---")]),
    row(["error rate, critical / warning", ...envs.map((e) => pair(e.alerts.errorRatePercent, e.alerts.warningAtPercentOfCritical, "%"))]),
    row(["p99 latency, critical / warning", ...envs.map((e) => pair(e.alerts.latencyMs, e.alerts.warningAtPercentOfCritical, " ms"))]),
    row(["CPU of limit, critical / warning", ...envs.map((e) => pair(e.alerts.cpuPercent, e.alerts.warningAtPercentOfCritical, "%"))]),
    row(["recovers below", ...envs.map((e) => `${e.alerts.recoverAtPercentOfThreshold}% of the threshold`)]),
    row(["evaluation window", ...envs.map((e) => `${e.alerts.evaluationWindowMinutes} min`)]),
    // the CPU monitor, per version, never notifies on no data (constructs/datadog-monitors.ts)
    row(["no data", ...envs.map((e) => (e.alerts.notifyNoData ? `alerts after ${e.alerts.noDataTimeframeMinutes} min (error rate, latency)` : "ignored"))]),
    row(["renotify", ...envs.map((e) => (e.alerts.renotifyMinutes > 0 ? `every ${e.alerts.renotifyMinutes} min` : "never"))]),
    row(["priority", ...envs.map((e) => (e.alerts.tiers ? "by tier: critical P1, high P2, medium P3, low P4" : `P${e.alerts.priority}`))]),
    row(["notifies", ...envs.map(routing)]),
    row(["SLOs (7 and 30 days)", ...envs.map((e) => (e.slo ? `${e.slo.availabilityPercent}% availability${e.slo.latencyP99Ms === null ? "" : `; p99 < ${e.slo.latencyP99Ms} ms`}` : "—"))]),
    row([
      "canary gate",
      ...envs.map((e) =>
        e.canaryGate
          ? `blocks on more than ${e.canaryGate.minExcessErrors} canary errors in a window beyond the stable's rate plus ${thresholdNumber(canaryErrorRateAllowancePoints(e.canaryGate.maxErrorRateIncreasePercent, e.alerts.errorRatePercent))} points (${e.canaryGate.maxErrorRateIncreasePercent}% of ${e.alerts.errorRatePercent}%); average latency at most +${e.canaryGate.maxLatencyIncreasePercent}%; tells ${dd.gateHandle}`
          : "—",
      ),
    ]),
  ];
  return lines.join("\n");
}

/** The Vault policy of the first environment's deployer, as the gates stack writes it (each is the same shape). */
export function deployerPolicyBlock(m: Matrix): string {
  const [name, env] = Object.entries(m.environments)[0];
  return ["```hcl", deployerPolicy(environmentVaultObjects(name, env, m.organization, m.services)).trimEnd(), "```"].join("\n");
}

/** Per stack: where its plan and apply run, and which branches may reach their credentials. */
export function gatesTable(m: Matrix): string {
  const lines = [row(["stack", "plan runs in (read-only)", "apply runs in", "approved by", "branches that reach its deploy credentials"]), row(["---", "---", "---", "---", "---"])];
  for (const t of allTargets(m)) {
    const e = appliedLike(m, t.environment)!;
    const who = approverHandles(m, e);
    const branches = e.identity.deployBranches;
    lines.push(row([t.environment, `\`${t.planEnvironment}\``, `\`${t.githubEnvironment}\``, who.length ? `${who.join(", ")}${e.approval.preventSelfReview ? " (not whoever started the run: the merger)" : ""}` : "nobody (a reviewed merge is the approval)", branches.map((b) => `\`${b}\``).join(", ")]));
  }
  return lines.join("\n");
}

/** Per environment: what `npm run gate` requires of a commit before the apply (README "Promotion gates"). */
export function entryGatesTable(m: Matrix): string {
  const names = Object.keys(m.environments);
  const envs = names.map((n) => m.environments[n]);
  const none = "—";
  const rows: Array<[string, (e: (typeof envs)[number]) => string]> = [
    ["tests of the commit pass", (e) => (e.entryGates.testPassRatePercent === null ? none : `more than ${e.entryGates.testPassRatePercent}%`)],
    ["error rate of", (e) => (e.entryGates.sourceErrorRate === null ? none : `${e.entryGates.sourceErrorRate.environment} below ${e.entryGates.sourceErrorRate.belowPercent}% over ${e.entryGates.sourceErrorRate.lookbackMinutes} min`)],
    ["deployed successfully first in", (e) => e.entryGates.deployedFirstIn ?? none],
    ["checks succeeded on the commit", (e) => (e.entryGates.requiredChecks.length === 0 ? none : e.entryGates.requiredChecks.map((c) => `\`${c}\``).join(", "))],
    ["window", (e) => describeWindow(e.deploymentWindow)],
    ["approved by", (e) => approverHandles(m, e).join(", ") || "nobody"],
  ];
  return [row(["gate", ...names]), row(["---", ...names.map(() => "---")]), ...rows.map(([label, cell]) => row([label, ...envs.map(cell)]))].join("\n");
}

/** The entry gates of an environment in a few words, for the promotion diagram's edges. */
function gateWords(m: Matrix, e: Matrix["environments"][string]): string[] {
  const g = e.entryGates;
  const words: string[] = [];
  if (g.testPassRatePercent !== null) words.push(`tests > ${g.testPassRatePercent}%`);
  if (g.sourceErrorRate !== null) words.push(`${g.sourceErrorRate.environment} error rate < ${g.sourceErrorRate.belowPercent}%`);
  if (g.deployedFirstIn !== null) words.push(`deployed in ${g.deployedFirstIn} first`);
  for (const c of g.requiredChecks) words.push(`check ${c}`);
  if (e.deploymentWindow !== null) words.push(describeWindow(e.deploymentWindow));
  const reviewers = approverHandles(m, e);
  if (reviewers.length > 0) words.push(`approved by ${reviewers.join(" or ")}`);
  return words;
}

/**
 * The promotion flow as a Mermaid flowchart: each deploy branch to the environments it deploys, each environment
 * to the next one along the promotion order with the gates a change passes to enter it, a clone to its source.
 */
export function promotionDiagram(m: Matrix): string {
  const id = (kind: "b" | "e", name: string) => `${kind}_${name.replace(/[^A-Za-z0-9]/g, "_")}`;
  const label = (text: string) => `"${text.replace(/"/g, "#quot;")}"`;
  const lines = ["```mermaid", "flowchart LR"];
  const branches = [...new Set(Object.values(m.environments).flatMap((e) => e.identity.deployBranches))];
  for (const b of branches) lines.push(`  ${id("b", b)}[${label(`branch ${b}`)}]`);
  for (const n of Object.keys(m.environments)) lines.push(`  ${id("e", n)}([${label(n)}])`);
  for (const [n, e] of Object.entries(m.environments)) for (const b of e.identity.deployBranches) lines.push(`  ${id("b", b)} --> ${id("e", n)}`);
  const clones = (n: string): string | undefined => m.clones[n];
  const chain = m.promotionOrder.filter((n) => Object.hasOwn(m.environments, n) && clones(n) === undefined);
  for (let i = 1; i < chain.length; i++) {
    const words = gateWords(m, m.environments[chain[i]]);
    lines.push(`  ${id("e", chain[i - 1])} ==>|${label(words.length ? words.join("; ") : "no gate")}| ${id("e", chain[i])}`);
  }
  for (const n of Object.keys(m.environments)) {
    const source = clones(n);
    if (source === undefined) continue;
    const words = gateWords(m, m.environments[n]);
    lines.push(`  ${id("e", source)} -.->|${label(`clone${words.length ? `; ${words.join("; ")}` : ""}`)}| ${id("e", n)}`);
  }
  lines.push("```");
  return lines.join("\n");
}

const RULE_GROUPS: Record<RuleGroup, string> = {
  environment: "Each environment",
  protected: "Each protected environment",
  unique: "Uniqueness and references",
  promotion: "Along the promotion order (each environment against the one before it; a message names both)",
  trust: "Trust (no edit points one environment's stack or deploy at another's objects)",
  policy: "Your organization's policy (config/policy.ts)",
};

/** The rule tables (config/rules.ts and config/policy.ts), one line per rule with its id, grouped. */
export function rulesList(rules: readonly Rule[] = [...RULES, ...policy]): string {
  const out: string[] = [];
  for (const [group, title] of Object.entries(RULE_GROUPS)) {
    const rows = rules.filter((r) => r.group === group);
    if (rows.length === 0) continue;
    if (out.length > 0) out.push("");
    out.push(`**${title}**`, "", ...rows.map((r) => `- ${r.holds} (\`${r.id}\`)`));
  }
  return out.join("\n");
}

export const TABLES: Record<string, (m: Matrix) => string> = {
  matrix: matrixMarkdown,
  monitors: monitorTable,
  "deployer-policy": deployerPolicyBlock,
  gates: gatesTable,
  "entry-gates": entryGatesTable,
  "promotion-flow": (m) => promotionDiagram(m),
  rules: () => rulesList(),
  cost: costMarkdown,
};

/** `readme` with every generated section replaced by the current table. */
export function renderReadme(readme: string, m: Matrix): string {
  let out = readme;
  for (const [name, table] of Object.entries(TABLES)) {
    const re = new RegExp(`(<!-- generated:${name} -->\\n)(?:[\\s\\S]*?\\n)?(<!-- /generated:${name} -->)`);
    if (!re.test(out)) throw new Error(`README.md: no <!-- generated:${name} --> … <!-- /generated:${name} --> section`);
    out = out.replace(re, (_m, open: string, close: string) => `${open}${table(m)}\n${close}`);
  }
  return out;
}

/**
 * The command: with `--write`, rewrites the generated sections of the README at `file` and says so; without,
 * prints each section between its markers. Returns the text to print.
 */
export function readmeTables(argv: readonly string[], m: Matrix, file: string): string {
  if (argv.includes("--write")) {
    fs.writeFileSync(file, renderReadme(fs.readFileSync(file, "utf8"), m));
    return `README.md: generated tables written (${Object.keys(TABLES).join(", ")})\n`;
  }
  return Object.entries(TABLES)
    .map(([name, table]) => `<!-- generated:${name} -->\n${table(m)}\n<!-- /generated:${name} -->\n\n`)
    .join("");
}

if (require.main === module) {
  process.stdout.write(readmeTables(process.argv.slice(2), loadMatrix(), path.resolve(__dirname, "..", "README.md")));
}
