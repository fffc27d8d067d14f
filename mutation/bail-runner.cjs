/**
 * Jest's own runner, plus two things for a mutant's run (Stryker sets __STRYKER_ACTIVE_MUTANT__ for it; any other
 * run is Jest's runner unchanged):
 * - only the test files that hold a test the mutant's run selects. Stryker selects a mutant's tests by name
 *   (Jest's testNamePattern, from per-test coverage) but leaves every file in the run, and Jest loads each file
 *   and runs its top-level code even when none of its tests match: here that is every file's imports and
 *   synthesis, about 30 s per mutant whatever it covers. The names of each file's tests come from the dry run
 *   (jest-environment.cjs writes them).
 * - stop at the first file with a failing test. A mutant is killed by one failing test; Stryker's Jest runner
 *   turns Jest's `bail` off (Jest's bail ends the process), so without this a killed mutant still ran every file.
 *   With sequencer.cjs's order (fastest files first), a killed mutant costs about one small file.
 *
 * Two verdicts can differ from Stryker's own runner, both on purpose: a mutant that fails a test and also breaks
 * the loading of a later file is Killed (by that test) where Stryker would report a RuntimeError and leave it out
 * of the score; and a mutant that only makes the suite slower, its tests passing, Survives where the whole-suite
 * run's time budget used to call it a Timeout (detected). Stryker's --disableBail is not seen here: runs still stop
 * at the first failing file.
 */
const TestRunner = require("jest-runner").default;
const { testNamesOf } = require("./test-names.cjs");

const ACTIVE_MUTANT = "__STRYKER_ACTIVE_MUTANT__";

class BailingRunner extends TestRunner {
  async runTests(tests, watcher, options) {
    if (process.env[ACTIVE_MUTANT] === undefined || !options.serial) return super.runTests(tests, watcher, options);
    const pattern = this._globalConfig.testNamePattern ? new RegExp(this._globalConfig.testNamePattern, "i") : undefined;
    const selected = tests.filter((test) => {
      const names = pattern && testNamesOf(test.context.config.rootDir, test.path);
      return names === undefined || names.some((name) => pattern.test(name));
    });
    let failed = false;
    const offSuccess = this.on("test-file-success", ([, result]) => {
      if (result.numFailingTests > 0 || result.testExecError) failed = true;
    });
    const offFailure = this.on("test-file-failure", () => {
      failed = true;
    });
    try {
      for (const test of selected) {
        if (failed) break;
        await super.runTests([test], watcher, options);
      }
    } finally {
      offSuccess();
      offFailure();
    }
  }
}

module.exports = BailingRunner;
