/**
 * How a mutant's run picks and stops its test files (mutation/bail-runner.cjs with mutation/sequencer.cjs and the
 * test names mutation/jest-environment.cjs keeps from Stryker's dry run), on five one-test files run by a real
 * Jest. The score `npm run mutate` reports rests on it: a file left out that holds a selected test, or a run cut
 * short before any test failed, would let a mutant survive that the suite kills.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.resolve(__dirname, "..");
const { testNamesOf } = require("../mutation/test-names.cjs") as { testNamesOf(rootDir: string, testPath: string): string[] | undefined };

// each file's one test, in the order the sequencer runs them (smallest file first: the padding sets the sizes)
const FILES: Array<{ file: string; describe: string; inner?: string; test: string; passes: boolean }> = [
  { file: "a.spec.js", describe: "first", test: "alpha passes", passes: true },
  { file: "b.spec.js", describe: "second", test: "beta fails", passes: false },
  { file: "c.spec.js", describe: "third", inner: "inner", test: "gamma passes", passes: true },
  { file: "d.spec.js", describe: "fourth", test: "delta fails", passes: false },
  { file: "e.spec.js", describe: "fifth", test: "epsilon passes", passes: true },
];

let dir: string;
let dryRun: Array<[string, number]>;

beforeAll(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "envmatrix-mutation-runner-")));
  FILES.forEach(({ file, describe, inner, test, passes }, i) => {
    const testCall = `test(${JSON.stringify(test)}, () => { expect(${passes}).toBe(true); });`;
    const body = `describe(${JSON.stringify(describe)}, () => { ${inner ? `describe(${JSON.stringify(inner)}, () => { ${testCall} });` : testCall} });\n`;
    fs.writeFileSync(path.join(dir, file), `${"//".padEnd(100 * (i + 1), "-")}\n${body}`);
  });
  fs.writeFileSync(
    path.join(dir, "jest.config.js"),
    `module.exports = ${JSON.stringify({
      rootDir: dir,
      testMatch: ["**/*.spec.js"],
      transform: {},
      testSequencer: path.join(root, "mutation", "sequencer.cjs"),
      runner: path.join(root, "mutation", "bail-runner.cjs"),
      testEnvironment: path.join(root, "mutation", "jest-environment.cjs"),
      // what Stryker's environment adds to each test file's globals (the environment records only under Stryker)
      globals: { __stryker__: {} },
    })};\n`,
  );
  // the dry run: every file but d, whose names are then unknown (the runner must run d whatever the pattern)
  dryRun = run("", {}, ["d\\.spec"]);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The files Jest ran, in order, with each one's failed test count, for a run with this pattern and environment. */
function run(testNamePattern: string, env: Record<string, string>, ignore: string[] = []): Array<[string, number]> {
  const out = path.join(dir, "results.json");
  const runEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (!("__STRYKER_ACTIVE_MUTANT__" in env)) delete runEnv.__STRYKER_ACTIVE_MUTANT__;
  try {
    execFileSync(
      process.execPath,
      [require.resolve("jest/bin/jest"), "--config", path.join(dir, "jest.config.js"), "--runInBand", "--json", "--outputFile", out, "--testNamePattern", testNamePattern, ...ignore.flatMap((p) => ["--testPathIgnorePatterns", p])],
      { cwd: dir, env: runEnv, stdio: "pipe" },
    );
  } catch {
    // a failing test makes Jest exit 1; the results file says which
  }
  const results = JSON.parse(fs.readFileSync(out, "utf8"));
  return results.testResults
    .sort((x: { startTime: number }, y: { startTime: number }) => x.startTime - y.startTime)
    .map((r: { name: string; assertionResults: Array<{ status: string }> }) => [path.basename(r.name), r.assertionResults.filter((t) => t.status === "failed").length]);
}

describe("a mutant's Jest run (mutation/bail-runner.cjs)", () => {
  it("runs only the files holding a selected test, and those without saved names, and stops after the first failing file", () => {
    // b's only test is not selected: b is left out; d has no saved names: run, and its failure ends the run before e
    expect(run("(first alpha passes)|(third inner gamma passes)|(fourth delta fails)|(fifth epsilon passes)", { __STRYKER_ACTIVE_MUTANT__: "7" })).toEqual([
      ["a.spec.js", 0],
      ["c.spec.js", 0],
      ["d.spec.js", 1],
    ]);
  });

  it("matches names as Jest does (case-insensitive, anywhere in the name): 'BETA' selects b, whose failure ends the run", () => {
    expect(run("BETA", { __STRYKER_ACTIVE_MUTANT__: "7" })).toEqual([
      ["b.spec.js", 1],
    ]);
  });

  it("any other run (Stryker's dry run, npm test) is Jest's: every file, failures or not", () => {
    expect(dryRun).toEqual([
      ["a.spec.js", 0],
      ["b.spec.js", 1],
      ["c.spec.js", 0],
      ["e.spec.js", 0],
    ]);
  });

  it("after a skipped test, no test is current: Stryker would otherwise credit what runs next to the skipped test", () => {
    const fixture = path.join(dir, "skipped");
    fs.mkdirSync(fixture);
    // Stryker's handler sets currentTestId at test_start and clears it at test_done, which a skipped test never gets
    fs.writeFileSync(
      path.join(fixture, "skip.spec.js"),
      [
        "const seen = [];",
        'beforeAll(() => { globalThis.__stryker__.currentTestId = "set at test_start"; });',
        'test.skip("skipped", () => {});',
        'test("next", () => { seen.push(globalThis.__stryker__.currentTestId); expect(seen).toEqual([undefined]); });',
        "",
      ].join("\n"),
    );
    fs.writeFileSync(path.join(fixture, "jest.config.js"), `module.exports = ${JSON.stringify({ rootDir: fixture, testMatch: ["**/*.spec.js"], transform: {}, testEnvironment: path.join(root, "mutation", "jest-environment.cjs"), globals: { __stryker__: {} } })};\n`);
    const out = path.join(fixture, "results.json");
    try {
      execFileSync(process.execPath, [require.resolve("jest/bin/jest"), "--config", path.join(fixture, "jest.config.js"), "--json", "--outputFile", out], { cwd: fixture, stdio: "pipe" });
    } catch {
      // the results file says what failed
    }
    const results = JSON.parse(fs.readFileSync(out, "utf8"));
    expect(results.testResults[0].assertionResults.map((t: { title: string; status: string }) => [t.title, t.status])).toEqual([
      ["skipped", "pending"],
      ["next", "passed"],
    ]);
  });

  it("keeps each test's name as Jest matches testNamePattern against it: its describe titles and its own, joined by spaces", () => {
    expect(testNamesOf(dir, path.join(dir, "c.spec.js"))).toEqual(["third inner gamma passes"]);
    expect(testNamesOf(dir, path.join(dir, "a.spec.js"))).toEqual(["first alpha passes"]);
    expect(testNamesOf(dir, path.join(dir, "d.spec.js"))).toBeUndefined();
  });
});
