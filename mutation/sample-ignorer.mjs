/**
 * Stryker ignore-plugin for the mutation sample (stryker.sample.config.mjs): inside a drawn node's range, Stryker
 * would also mutate every node nested in it (a drawn function body would bring all its mutants). This ignores each
 * node that is neither drawn nor contains a drawn node, so only the drawn nodes' mutants are placed and run.
 * (A node between two nested drawn nodes is still mutated; sample-score.mjs leaves those out of the score.)
 */
import fs from "node:fs";
import path from "node:path";
import { PluginKind, declareValuePlugin } from "@stryker-mutator/api/plugin";
import { SAMPLE_FILE } from "./sample.mjs";

let byFile;
function drawnIn(file) {
  byFile ??= (() => {
    const map = new Map();
    for (const n of JSON.parse(fs.readFileSync(SAMPLE_FILE, "utf8")).nodes) {
      if (!map.has(n.file)) map.set(n.file, []);
      map.get(n.file).push(n.location);
    }
    return map;
  })();
  return byFile.get(file) ?? [];
}

// babel's lines are 1-based, Stryker's sample locations 0-based; columns are 0-based in both
const before = (a, b) => a.line < b.line || (a.line === b.line && a.column <= b.column);

export const sampleIgnorer = {
  shouldIgnore(nodePath) {
    const loc = nodePath.node.loc;
    const filename = nodePath.hub?.file?.opts?.filename;
    if (!loc || !filename) return undefined;
    const start = { line: loc.start.line - 1, column: loc.start.column };
    const end = { line: loc.end.line - 1, column: loc.end.column };
    const drawn = drawnIn(path.relative(process.cwd(), filename).split(path.sep).join("/"));
    const holdsDrawn = drawn.some((d) => before(start, d.start) && before(d.end, end));
    return holdsDrawn ? undefined : "outside the mutation sample";
  },
};

export const strykerPlugins = [declareValuePlugin(PluginKind.Ignore, "sample", sampleIgnorer)];
