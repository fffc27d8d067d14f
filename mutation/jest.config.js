/**
 * The suite as Stryker runs it (`npm run mutate`): the project's Jest config, with
 * - an environment that credits code a test file runs outside its tests to that file's tests (see
 *   jest-environment.cjs), so per-test coverage picks the right tests for every mutant;
 * - without determinism.test.ts, which exercises product code only in `cdktf synth` child processes: Stryker's
 *   coverage cannot see into another process, so no mutant would ever select it. (The tests of the commands that
 *   run in the shared CLI process, preflight and provenance, do count: __tests__/cli-process.ts credits what that
 *   process reached to the test that asked.) It still runs in `npm test`;
 * - the fastest files first (sequencer.cjs), and a mutant's run that takes only the files holding its tests and
 *   stops at the first failing one (bail-runner.cjs), so a killed mutant costs one small file, not the suite.
 */
const base = require("../jest.config.js");
const path = require("node:path");

module.exports = {
  ...base,
  rootDir: path.resolve(__dirname, ".."),
  testEnvironment: path.join(__dirname, "jest-environment.cjs"),
  testSequencer: path.join(__dirname, "sequencer.cjs"),
  runner: path.join(__dirname, "bail-runner.cjs"),
  testPathIgnorePatterns: ["/node_modules/", "/__tests__/determinism\\.test\\.ts$"],
};
