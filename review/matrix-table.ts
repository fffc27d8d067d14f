/** The environment matrix as one table: a row per field, a column per environment. */
import type { Matrix } from "../config/types";
import { environmentSettingsSchema, unwrapped } from "../config/schema";
import { isPlainObject } from "./json";
import { estimateCost, money } from "../config/cost";

function flatten(value: unknown, at: string, out: Map<string, unknown>): void {
  if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) flatten(v, at ? `${at}.${k}` : k, out);
  else out.set(at, value);
}

/** A list's element: a traffic step as `10% for 10 min`, another object as its `key value` pairs, else its text. */
function elementText(x: unknown): string {
  if (!isPlainObject(x)) return String(x);
  if (typeof x.percent === "number" && typeof x.minutes === "number" && Object.keys(x).length === 2) return `${x.percent}% for ${x.minutes} min`;
  return Object.entries(x).map(([k, v]) => `${k} ${elementText(v)}`).join(" ");
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return "—";
  if (Array.isArray(v)) return v.length === 0 ? "—" : v.map(elementText).join(", ");
  return String(v);
}

/** Every field path of an environment in the schema's order (a nullable or optional block's fields where it stands). */
function schemaOrder(schema: any, at: string, out: string[]): string[] {
  const def = unwrapped(schema);
  if (def?.type === "object") for (const [k, v] of Object.entries(def.shape)) schemaOrder(v, at ? `${at}.${k}` : k, out);
  else if (def?.type === "union") for (const option of def.options) schemaOrder(option, at, out); // the backend's kinds
  else if (!out.includes(at)) out.push(at);
  return out;
}
const FIELD_ORDER = schemaOrder(environmentSettingsSchema, "", []);
const rank = (field: string) => {
  const i = FIELD_ORDER.findIndex((f) => f === field || f.startsWith(`${field}.`));
  return i === -1 ? FIELD_ORDER.length : i;
};

/** Rows in the schema's field order, environments in matrix order; nested objects as dotted paths. */
export function matrixRows(m: Matrix): { fields: string[]; environments: string[]; cells: string[][] } {
  const environments = Object.keys(m.environments);
  const flat = environments.map((n) => {
    const out = new Map<string, unknown>();
    flatten(m.environments[n], "", out);
    return out;
  });
  // A block that is null in one environment and set in another (canaryGate, slo, deploymentWindow) is one row per
  // field where the block stands, "—" where it is null; the null itself is not a row of its own.
  // in the schema's order, so a field only some environments set (identity.branchCreators) stands with its block
  const seen = [...new Set(flat.flatMap((f) => [...f.keys()]))].sort((a, b) => rank(a) - rank(b));
  const isBlock = (f: string) => seen.some((g) => g.startsWith(`${f}.`));
  const fields = seen.flatMap((f) => (isBlock(f) ? seen.filter((g) => g.startsWith(`${f}.`)) : f.includes(".") && seen.some((b) => f.startsWith(`${b}.`) && isBlock(b)) ? [] : [f]));
  // the estimate the matrix implies (config/cost.ts), below the fields it comes from
  const c = m.organization.cost.currency;
  const estimates = environments.map((n) => estimateCost(m, n));
  return {
    fields: [...fields, ESTIMATE_AT_DEFAULT, ESTIMATE_AT_MAX],
    environments,
    cells: [...fields.map((field) => flat.map((f) => cellText(f.get(field)))), estimates.map((e) => money(e.atDefault.total, c)), estimates.map((e) => money(e.atMax.total, c))],
  };
}

/** The derived rows: what the environment is estimated to cost a month (never a bill). */
export const ESTIMATE_AT_DEFAULT = "(estimate) a month at default replicas";
export const ESTIMATE_AT_MAX = "(estimate) a month at max replicas";

export function matrixMarkdown(m: Matrix): string {
  const { fields, environments, cells } = matrixRows(m);
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  return [
    `| field | ${environments.join(" | ")} |`,
    `| --- | ${environments.map(() => "---").join(" | ")} |`,
    ...fields.map((f, i) => `| ${f} | ${cells[i].map(esc).join(" | ")} |`),
  ].join("\n");
}

/** Aligned columns for a terminal; `differing` marks rows whose values are not all the same. */
export function matrixText(m: Matrix, differing: (s: string) => string = (s) => s): string {
  const { fields, environments, cells } = matrixRows(m);
  const rows = [["field", ...environments], ...fields.map((f, i) => [f, ...cells[i]])];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r, i) => {
      const line = r.map((v, c) => v.padEnd(widths[c])).join("  ").trimEnd();
      return i > 0 && new Set(r.slice(1)).size > 1 ? differing(line) : line;
    })
    .join("\n");
}
