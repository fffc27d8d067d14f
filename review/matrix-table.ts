/** The environment matrix as one table: a row per field, a column per environment. */
import type { Matrix } from "../config/types";

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

function flatten(value: unknown, at: string, out: Map<string, unknown>): void {
  if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) flatten(v, at ? `${at}.${k}` : k, out);
  else out.set(at, value);
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return "—";
  if (Array.isArray(v)) return v.length === 0 ? "—" : v.map((x) => String(x)).join(", ");
  return String(v);
}

/** Rows in the order fields first appear, environments in matrix order; nested objects as dotted paths. */
export function matrixRows(m: Matrix): { fields: string[]; environments: string[]; cells: string[][] } {
  const environments = Object.keys(m.environments);
  const flat = environments.map((n) => {
    const out = new Map<string, unknown>();
    flatten(m.environments[n], "", out);
    return out;
  });
  // A block that is null in one environment and set in another (canaryGate, slo, deploymentWindow) is one row per
  // field where the block stands, "—" where it is null; the null itself is not a row of its own.
  const seen = [...new Set(flat.flatMap((f) => [...f.keys()]))];
  const isBlock = (f: string) => seen.some((g) => g.startsWith(`${f}.`));
  const fields = seen.flatMap((f) => (isBlock(f) ? seen.filter((g) => g.startsWith(`${f}.`)) : f.includes(".") && seen.some((b) => f.startsWith(`${b}.`) && isBlock(b)) ? [] : [f]));
  return { fields, environments, cells: fields.map((field) => flat.map((f) => cellText(f.get(field)))) };
}

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
