/**
 * The names of each test file's tests, as Jest matches them against testNamePattern (jest-circus's getTestID: the
 * describe titles and the test's, joined by spaces), kept from Stryker's dry run in the sandbox for the mutant runs
 * (bail-runner.cjs). One file per test file, so the dry run needs no cleanup and no ordering.
 */
const fs = require("node:fs");
const path = require("node:path");
const crypto = require("node:crypto");

const folder = (rootDir) => path.join(rootDir, ".stryker-test-names");
const fileFor = (rootDir, testPath) => path.join(folder(rootDir), `${crypto.createHash("sha256").update(testPath).digest("hex").slice(0, 16)}.json`);

/** The full name of a jest-circus test (its describe titles and its own, without the root block). */
function testName(test) {
  const parts = [];
  for (let at = test; at && at.parent; at = at.parent) parts.unshift(at.name);
  return parts.join(" ");
}

function saveTestNames(rootDir, testPath, names) {
  fs.mkdirSync(folder(rootDir), { recursive: true });
  fs.writeFileSync(fileFor(rootDir, testPath), JSON.stringify({ testPath, names }));
}

/** The names saved for this test file, or undefined when the dry run saved none (then the file is run). */
function testNamesOf(rootDir, testPath) {
  try {
    const saved = JSON.parse(fs.readFileSync(fileFor(rootDir, testPath), "utf8"));
    return saved.testPath === testPath ? saved.names : undefined;
  } catch {
    return undefined;
  }
}

module.exports = { testName, saveTestNames, testNamesOf };
