/**
 * The suite as Stryker runs it (`npm run mutate`): the project's Jest config, with
 * - an environment that credits code a test file runs outside its tests to that file's tests (see
 *   jest-environment.cjs), so per-test coverage picks the right tests for every mutant;
 * - without the three suites that exercise product code only in child processes (determinism, preflight,
 *   provenance: Stryker's coverage cannot see into another process, so no mutant would ever select them, and they
 *   are the slowest files). They still run in `npm test`;
 * - the fastest files first (sequencer.cjs), so a killed mutant costs one small file, not the slowest.
 */
const base = require("../jest.config.js");
const path = require("node:path");

module.exports = {
  ...base,
  rootDir: path.resolve(__dirname, ".."),
  testEnvironment: path.join(__dirname, "jest-environment.cjs"),
  testSequencer: path.join(__dirname, "sequencer.cjs"),
  testPathIgnorePatterns: ["/node_modules/", "/__tests__/determinism\\.test\\.ts$", "/__tests__/preflight\\.test\\.ts$", "/__tests__/provenance\\.test\\.ts$"],
};
