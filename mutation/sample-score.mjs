/**
 * The score per folder of a `npm run mutate:sample` run, with a 95% interval: reads the sample
 * (reports/mutation-sample/sample.json) and Stryker's report (mutation.json) and counts only the drawn nodes'
 * mutants. Killed and timed-out mutants count as detected; survived and uncovered ones as not; mutants Stryker did
 * not run (ignored as static, compile errors) count in neither. Writes the table to score.md and prints it.
 */
import fs from "node:fs";
import { FOLDERS, SAMPLE_FILE, nodeKey } from "./sample.mjs";

const sample = JSON.parse(fs.readFileSync(SAMPLE_FILE, "utf8"));
const report = JSON.parse(fs.readFileSync("reports/mutation-sample/mutation.json", "utf8"));
const drawn = new Set(sample.nodes.map((n) => nodeKey(n.file, n.location)));

// the report's positions are 1-based lines and columns; the sample's 0-based
const reportKey = (file, l) =>
  nodeKey(file, { start: { line: l.start.line - 1, column: l.start.column - 1 }, end: { line: l.end.line - 1, column: l.end.column - 1 } });

/**
 * 95% interval of a ratio estimate from a cluster sample (nodes drawn at random, each with its mutants):
 * linearised variance over clusters, t ≈ 1.96; clipped to [0, 1].
 */
function interval(clusters) {
  const n = clusters.length;
  const total = clusters.reduce((s, c) => s + c.size, 0);
  const killed = clusters.reduce((s, c) => s + c.killed, 0);
  if (total === 0) return { score: NaN, low: NaN, high: NaN };
  const r = killed / total;
  const meanSize = total / n;
  const residual = clusters.reduce((s, c) => s + (c.killed - r * c.size) ** 2, 0) / Math.max(n - 1, 1);
  const se = Math.sqrt(residual / n) / meanSize;
  return { score: r, low: Math.max(0, r - 1.96 * se), high: Math.min(1, r + 1.96 * se) };
}

const DETECTED = new Set(["Killed", "Timeout"]);
const UNDETECTED = new Set(["Survived", "NoCoverage"]);
const rows = [];
const survivors = [];
for (const folder of FOLDERS.filter((f) => f in sample.folders)) {
  const counts = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, other: 0 };
  const clusters = new Map();
  for (const [file, { mutants }] of Object.entries(report.files)) {
    if (!file.startsWith(`${folder}/`)) continue;
    for (const m of mutants) {
      const key = reportKey(file, m.location);
      if (!drawn.has(key)) continue;
      if (DETECTED.has(m.status) || UNDETECTED.has(m.status)) counts[m.status]++;
      else {
        counts.other++;
        continue;
      }
      const c = clusters.get(key) ?? { size: 0, killed: 0 };
      c.size++;
      if (DETECTED.has(m.status)) c.killed++;
      clusters.set(key, c);
      if (UNDETECTED.has(m.status)) survivors.push(`${file}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName} (${m.status}) → ${JSON.stringify(m.replacement ?? "")}`);
    }
  }
  const { score, low, high } = interval([...clusters.values()]);
  const pct = (x) => (Number.isNaN(x) ? "–" : `${(100 * x).toFixed(1)}%`);
  rows.push(
    `| ${folder}/ | ${sample.folders[folder].mutants} | ${counts.Killed + counts.Timeout + counts.Survived + counts.NoCoverage + counts.other} | ${counts.Killed} | ${counts.Timeout} | ${counts.Survived} | ${counts.NoCoverage} | ${counts.other} | **${pct(score)}** | ${pct(low)} – ${pct(high)} |`,
  );
}
const table = [
  `Mutation sample (seed ${sample.seed}, at least ${sample.perFolder} mutants per folder)`,
  "",
  "| folder | mutants in folder | drawn | killed | timeout | survived | no coverage | not run | score | 95% interval |",
  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
  ...rows,
  "",
  "Not detected:",
  ...survivors.map((s) => `- ${s}`),
  "",
].join("\n");
fs.writeFileSync("reports/mutation-sample/score.md", table);
process.stdout.write(table);
