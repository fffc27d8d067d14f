/**
 * Jest's transform for the TypeScript sources: esbuild's transformSync, one file at a time, no type-checking
 * (`npm run typecheck` does that once for the whole project; tsconfig's `isolatedModules` keeps every file
 * compilable on its own). esbuild is the transpiler tsx (`npm run …`, `cdktf synth`) already runs these files
 * with, so the tests run the code as the commands do. It replaced ts-jest, which loads TypeScript's compiler in
 * every worker and transpiles with it: measured here on a fresh checkout (no Jest cache), that cost about a
 * quarter of the suite's CPU.
 */
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const esbuild = require("esbuild");

const tsconfig = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "tsconfig.json"), "utf8"));
const options = {
  loader: "ts",
  format: "cjs",
  target: tsconfig.compilerOptions.target.toLowerCase(),
  platform: "node",
  sourcemap: "external",
  // class fields and the like as tsc would compile them with this tsconfig
  tsconfigRaw: { compilerOptions: tsconfig.compilerOptions },
};
// Jest keeps a transformed file under this key alone: everything the output depends on is in it (this file's own
// code included, so an edit here is never served from an older cache)
const configKey = crypto
  .createHash("sha256")
  .update(JSON.stringify({ esbuild: esbuild.version, options }))
  .update(fs.readFileSync(__filename))
  .digest("hex");

module.exports = {
  process(sourceText, sourcePath) {
    // ts-jest moved jest.mock() above the imports (babel-jest does too); esbuild does not, so such a mock would
    // quietly come after the real module loaded: refused, with what to write instead
    if (/^\s*jest\.mock\(/m.test(sourceText)) {
      throw new Error(`${sourcePath}: jest.mock() is not hoisted above the imports by this transform (__tests__/esbuild-transform.cjs): use jest.doMock() before a require(), inside jest.isolateModules()`);
    }
    const { code, map } = esbuild.transformSync(sourceText, { ...options, sourcefile: sourcePath });
    return { code, map };
  },
  getCacheKey(sourceText, sourcePath, transformOptions) {
    // a coverage run (instrument) must not reuse the plain output
    const instrument = transformOptions?.instrument ? "instrument" : "plain";
    return crypto.createHash("sha256").update(configKey).update("\0").update(instrument).update("\0").update(sourcePath).update("\0").update(sourceText).digest("hex");
  },
};
