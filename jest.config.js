/**
 * Transpile-only: ts-jest honours tsconfig's `isolatedModules` and compiles each file on its own, without
 * type-checking (that is `npm run typecheck`, once for the whole project). ts-jest over swc because swc's
 * per-platform binaries are not all on the registry this project installs from, and `npm ci` refuses a lock
 * file that lacks them.
 */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }] },
  // skip-token-traces first (setupFiles run before the test framework and setup.ts: it says why)
  setupFiles: ["<rootDir>/__tests__/skip-token-traces.ts"],
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup.ts"],
  testTimeout: 60000,
  // Every core: Jest's default (cores − 1) runs the files one at a time on a two-core machine, while its main
  // process mostly waits. Measured here (2 cores): 3 min 53 s at the default, 1 min 17 s with two workers.
  maxWorkers: "100%",
};
