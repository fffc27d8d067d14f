/**
 * Test files in the order that kills a mutant soonest: a mutant's run stops at the first file with a failing test
 * (bail-runner.cjs), and Jest's default order puts the slowest files first. Files that synthesize per field
 * (compare, the property tests) or load the Kubernetes models go last; the rest smallest first.
 */
const Sequencer = require("@jest/test-sequencer").default;
const fs = require("node:fs");

const LAST = ["matrix-junk", "manifest-schema", "deployer-rbac", "workflows", "cli-wiring", "review-compare", "properties-seed", "properties"];
const rank = (p) => {
  const i = LAST.findIndex((name) => p.endsWith(`/${name}.test.ts`));
  return i === -1 ? -1 : i;
};

class FastFirstSequencer extends Sequencer {
  sort(tests) {
    return [...tests].sort((a, b) => rank(a.path) - rank(b.path) || fs.statSync(a.path).size - fs.statSync(b.path).size || a.path.localeCompare(b.path));
  }
}

module.exports = FastFirstSequencer;
