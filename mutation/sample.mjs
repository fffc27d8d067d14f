/**
 * A seeded random sample of the mutants `npm run mutate` would test, drawn per folder, for a score that one machine
 * can measure in well under an hour (the full run is the weekly workflow's job: about 5,300 mutants at 10 to 20 s
 * each here).
 *
 * The unit drawn is a mutated node (a source location): Stryker's instrumenter lists every mutant of the five
 * folders, the nodes of each folder are put in an order fixed by the seed (FNV-1a of seed + file + location), and
 * nodes are taken in that order until the folder has at least `perFolder` mutants. Every node is equally likely to
 * be drawn, so the share of killed mutants among the drawn nodes' mutants estimates the folder's score (a cluster
 * sample; sample-score.mjs gives a 95% interval with it). A folder's draw does not depend on which other folders are
 * drawn: sampling only `review` draws the nodes a sample of all five would draw there.
 */
import fs from "node:fs";
import path from "node:path";
import { Instrumenter } from "@stryker-mutator/instrumenter";

export const FOLDERS = ["config", "constructs", "stacks", "review", "scripts"];
export const SAMPLE_FILE = "reports/mutation-sample/sample.json";

const quietLogger = {
  debug() {},
  info() {},
  trace() {},
  warn: (...a) => console.warn(...a),
  error: (...a) => console.error(...a),
  isDebugEnabled: () => false,
  isTraceEnabled: () => false,
  isInfoEnabled: () => false,
};

function fnv1a(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A mutant's node as one string: file and Stryker's location (0-based lines and columns). */
export const nodeKey = (file, loc) => `${file}:${loc.start.line}:${loc.start.column}-${loc.end.line}:${loc.end.column}`;

function sourceFiles(root) {
  return FOLDERS.flatMap((dir) =>
    fs
      .readdirSync(path.join(root, dir), { recursive: true })
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
      .map((f) => `${dir}/${f.split(path.sep).join("/")}`),
  ).sort();
}

/**
 * @returns {{ seed: number, perFolder: number, folders: Record<string, { mutants: number, nodes: number, sampledMutants: number, sampledNodes: number }>, nodes: { file: string, location: any, mutants: number }[] }}
 */
export async function drawSample({ root = process.cwd(), seed, perFolder, folders: only = FOLDERS }) {
  const files = sourceFiles(root);
  const { mutants } = await new Instrumenter(quietLogger).instrument(
    files.map((name) => ({ name, mutate: true, content: fs.readFileSync(path.join(root, name), "utf8") })),
    { plugins: null, excludedMutations: [], ignorers: [], noHeader: true },
  );
  const nodes = new Map();
  for (const m of mutants) {
    const key = nodeKey(m.fileName, m.location);
    const node = nodes.get(key) ?? { file: m.fileName, location: m.location, mutants: 0 };
    node.mutants++;
    nodes.set(key, node);
  }
  const folders = {};
  const drawn = [];
  for (const folder of only) {
    const ordered = [...nodes.entries()]
      .filter(([, n]) => n.file.startsWith(`${folder}/`))
      .map(([key, n]) => ({ key, n, rank: fnv1a(`${seed}:${key}`) }))
      .sort((a, b) => a.rank - b.rank || a.key.localeCompare(b.key));
    let sampledMutants = 0;
    let sampledNodes = 0;
    for (const { n } of ordered) {
      if (sampledMutants >= perFolder) break;
      drawn.push(n);
      sampledMutants += n.mutants;
      sampledNodes++;
    }
    folders[folder] = {
      mutants: ordered.reduce((sum, { n }) => sum + n.mutants, 0),
      nodes: ordered.length,
      sampledMutants,
      sampledNodes,
    };
  }
  drawn.sort((a, b) => nodeKey(a.file, a.location).localeCompare(nodeKey(b.file, b.location)));
  return { seed, perFolder, folders, nodes: drawn };
}

/** Stryker's `mutate` entry for one node: file:line:column-line:column, lines 1-based, columns 0-based. */
export const mutateRange = (n) =>
  `${n.file}:${n.location.start.line + 1}:${n.location.start.column}-${n.location.end.line + 1}:${n.location.end.column}`;
