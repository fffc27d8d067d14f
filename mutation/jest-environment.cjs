/**
 * Jest's node environment, plus one thing for mutation testing: code a test file runs outside any test (while its
 * describe blocks are collected, in beforeAll hooks: the tests synthesize stacks there once and assert on them)
 * counts as covered by every test of that file that starts after it.
 *
 * Why: Stryker's per-test coverage (@stryker-mutator/jest-runner, mixin-jest-environment.cjs) records such code as
 * "static". Static mutants either run the whole suite each (about 40 s apiece here: days for 5,000 mutants) or,
 * with ignoreStatic, are not tested at all. Attributed to the file's tests, a mutant in a construct runs exactly
 * the tests that read the stacks it changes. Outside Stryker (no `__stryker__` global) this is Jest's node
 * environment unchanged.
 *
 * In Stryker's dry run (no mutant active) it also keeps the names of the file's tests for the mutant runs
 * (test-names.cjs, bail-runner.cjs).
 */
const { TestEnvironment: NodeEnvironment } = require("jest-environment-node");
const { testName, saveTestNames } = require("./test-names.cjs");

class FileScopedCoverageEnvironment extends NodeEnvironment {
  #staticAtStart = {};
  #fileStatic = new Set();
  #testNames = [];
  #rootDir;
  #testPath;

  constructor(config, context) {
    super(config, context);
    this.#rootDir = config.projectConfig.rootDir;
    this.#testPath = context.testPath;
  }

  #context() {
    return this.global[this.global.__strykerGlobalNamespace__ ?? "__stryker__"];
  }

  async setup() {
    await super.setup();
    // the static counts before this file ran: the worker's earlier files added to them too
    this.#staticAtStart = { ...(this.#context()?.mutantCoverage?.static ?? {}) };
  }

  async teardown() {
    if (this.#testNames.length > 0) saveTestNames(this.#rootDir, this.#testPath, this.#testNames);
    await super.teardown();
  }

  async handleTestEvent(event) {
    if (!this.#context()) return;
    if (event.name === "test_start" && process.env.__STRYKER_ACTIVE_MUTANT__ === undefined) this.#testNames.push(testName(event.test));
    // a skipped test gets test_start but never test_done, where Stryker's handler (mixin-jest-environment.cjs)
    // would forget it: what runs next (a later beforeAll, the next file's imports) would count as covered by that
    // skipped test, which no mutant run runs, instead of by the tests that read it
    if (event.name === "test_skip" || event.name === "test_todo") this.#context().currentTestId = undefined;
    const coverage = this.#context().mutantCoverage;
    if (!coverage) return;
    if (event.name === "test_start" || event.name === "test_done") {
      for (const [id, hits] of Object.entries(coverage.static)) if (hits > (this.#staticAtStart[id] ?? 0)) this.#fileStatic.add(id);
    }
    // Stryker's own handler runs after this one: at test_done its currentTestId is still this test's
    const testId = this.#context().currentTestId;
    if (event.name === "test_done" && testId !== undefined) {
      const perTest = (coverage.perTest[testId] ??= {});
      for (const id of this.#fileStatic) perTest[id] = (perTest[id] ?? 0) + 1;
    }
  }
}

module.exports = FileScopedCoverageEnvironment;
