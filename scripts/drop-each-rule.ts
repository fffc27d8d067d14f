/**
 * `npm run drop-each-rule`: shows that every row of the rule tables (config/rules.ts) is held by a test. For each
 * row in turn it deletes the row's lines from a copy of the project, runs the matrix's rule tests there, and
 * expects them to fail; a row whose removal leaves every test passing is listed and the script exits 1.
 *
 * The bookkeeping test ("a test row for every rule") is left out of these runs: it would fail for any removed rule
 * whatever the other tests assert, and what is measured is whether a test notices the rule's absence by behaviour.
 * About 60 rules at a few seconds each.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.resolve(__dirname, "..");
const RULES_FILE = "config/rules.ts";
export const TESTS = ["__tests__/rule-tables.test.ts", "__tests__/matrix-rules.test.ts", "__tests__/trust-rules.test.ts"];
// Left out: the bookkeeping test, and the synth subprocess runs (slow, and about the loader, not a rule).
export const BOOKKEEPING = "^(?!the rule tables have a test row for every rule|synthesizing a bad matrix)";

export interface Row {
  readonly id: string;
  /** First and last line (0-based, inclusive) of the row in the file. */
  readonly from: number;
  readonly to: number;
}

/** The rows of every `…_RULES: readonly Rule[] = [ … ];` table: elements start at two spaces of indent. */
export function tableRows(source: string): Row[] {
  const lines = source.split("\n");
  const rows: Row[] = [];
  let inTable = false;
  let start = -1;
  const close = (end: number) => {
    if (start < 0) return;
    const text = lines.slice(start, end + 1).join("\n");
    const id = /id: "([^"]+)"/.exec(text)?.[1] ?? /^\s*acrossMatrix\(\s*"([^"]+)"/.exec(text)?.[1] ?? /^\s*unique\("([^"]+)"/.exec(text)?.[1];
    if (id === undefined) throw new Error(`${RULES_FILE}:${start + 1}: a table row without an id`);
    rows.push({ id: text.trimStart().startsWith("unique(") ? `unique-${id}` : id, from: start, to: end });
    start = -1;
  };
  lines.forEach((line, i) => {
    if (/^export const [A-Z_]+_RULES: readonly Rule\[\] = \[$/.test(line)) {
      inTable = true;
      return;
    }
    if (!inTable) return;
    if (line === "];") {
      close(i - 1);
      inTable = false;
    } else if (/^  [A-Za-z]/.test(line)) {
      close(i - 1);
      start = i;
    }
  });
  return rows;
}

/**
 * A copy of the project at `from` in a new temporary folder: the files git lists (tracked and untracked, not
 * ignored; a tracked file deleted from the work tree is left out), and node_modules linked rather than copied.
 */
export function copyProject(from: string = root): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envmatrix-drop-rule-"));
  const files = spawnSync("git", ["ls-files", "-co", "--exclude-standard"], { cwd: from, encoding: "utf8" }).stdout.split("\n").filter(Boolean);
  for (const f of files) {
    if (!fs.existsSync(path.join(from, f))) continue;
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.copyFileSync(path.join(from, f), path.join(dir, f));
  }
  fs.symlinkSync(path.join(from, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}

/** What one run of the rule tests says about a removed row, from its exit status and Jest's summary on stderr. */
export function verdict(run: { status: number | null; stderr: string }): string {
  const failed = /Tests:\s+(\d+) failed/.exec(run.stderr)?.[1];
  if (run.status !== 0 && failed !== undefined) return `caught (${failed} failing)`;
  return run.status !== 0 ? "did not run" : "NOT CAUGHT";
}

/**
 * Removes each row of `source` in turn and hands the rest to `runTests`; logs a line per row and a summary.
 * 0 when every removal made a test fail; 1 when one was not caught, or its tests did not run.
 */
export function dropEachRule(source: string, runTests: (withoutRow: string) => { status: number | null; stderr: string }, log: (line: string) => void): number {
  const rows = tableRows(source);
  const lines = source.split("\n");
  const held: string[] = [];
  for (const row of rows) {
    const v = verdict(runTests([...lines.slice(0, row.from), ...lines.slice(row.to + 1)].join("\n")));
    log(`${row.id.padEnd(42)} ${v}`);
    if (v.startsWith("caught")) held.push(row.id);
  }
  const missed = rows.filter((r) => !held.includes(r.id));
  log(`\n${rows.length} rules; ${held.length} caught by a failing test when removed${missed.length ? `; not caught: ${missed.map((r) => r.id).join(", ")}` : ""}`);
  return missed.length === 0 ? 0 : 1;
}

/** How one run of the rule tests is started: `spawnSync`'s shape, so a test can stand in for Jest. */
export type Spawn = (command: string, args: readonly string[], options: { cwd: string; encoding: "utf8"; env: NodeJS.ProcessEnv }) => { status: number | null; stderr: string };

/**
 * `npm run drop-each-rule`: the project at `from` copied once; for each row, the copy's rules.ts without it and the
 * rule tests run there (Jest, the bookkeeping test left out, CI mode); the copy removed afterwards.
 */
export function main(from: string = root, spawn: Spawn = spawnSync, log: (line: string) => void = (line) => console.log(line)): number {
  const copy = copyProject(from);
  const jest = path.join(from, "node_modules", "jest", "bin", "jest.js");
  try {
    return dropEachRule(
      fs.readFileSync(path.join(from, RULES_FILE), "utf8"),
      (without) => {
        fs.writeFileSync(path.join(copy, RULES_FILE), without);
        return spawn(process.execPath, [jest, "--silent", "--testNamePattern", BOOKKEEPING, ...TESTS], { cwd: copy, encoding: "utf8", env: { ...process.env, CI: "true" } });
      },
      log,
    );
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

if (require.main === module) process.exitCode = main();
