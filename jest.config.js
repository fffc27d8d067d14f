/**
 * Transpile-only: esbuild compiles each TypeScript file on its own (__tests__/esbuild-transform.cjs; tsconfig's
 * `isolatedModules` keeps that sound), without type-checking (that is `npm run typecheck`, once for the whole
 * project). esbuild, not swc: swc's per-platform binaries are not all on the registry this project installs from,
 * and `npm ci` refuses a lock file that lacks them; esbuild's are, and tsx runs the commands with it already.
 */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": "<rootDir>/__tests__/esbuild-transform.cjs" },
  // skip-token-traces first (setupFiles run before the test framework and setup.ts: it says why)
  setupFiles: ["<rootDir>/__tests__/skip-token-traces.ts"],
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup.ts"],
  testTimeout: 60000,
  // Every core: Jest's default (cores − 1) runs the files one at a time on a two-core machine, while its main
  // process mostly waits. Measured here (2 cores): 3 min 53 s at the default, 1 min 17 s with two workers.
  maxWorkers: "100%",
};
