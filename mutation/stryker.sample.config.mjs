/**
 * `npm run mutate:sample`: Stryker on a seeded random sample of the mutants of each folder (sample.mjs), everything
 * else as in stryker.config.json. MUTATION_SEED (default 20261124) and MUTATION_PER_FOLDER (default 50) choose the
 * sample; the same seed over the same code draws the same mutants. MUTATION_FOLDERS (comma-separated, default all
 * five) limits the draw to some folders.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FOLDERS, SAMPLE_FILE, drawSample, mutateRange } from "./sample.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const base = JSON.parse(fs.readFileSync(path.join(root, "stryker.config.json"), "utf8"));

const seed = Number(process.env.MUTATION_SEED ?? 20261124);
const perFolder = Number(process.env.MUTATION_PER_FOLDER ?? 50);
if (!Number.isInteger(seed) || !Number.isInteger(perFolder) || perFolder < 1) {
  throw new Error("MUTATION_SEED and MUTATION_PER_FOLDER must be whole numbers (MUTATION_PER_FOLDER at least 1)");
}
const folders = (process.env.MUTATION_FOLDERS ?? FOLDERS.join(",")).split(",").map((f) => f.trim()).filter(Boolean);
const unknown = folders.filter((f) => !FOLDERS.includes(f));
if (unknown.length > 0) throw new Error(`MUTATION_FOLDERS: ${unknown.join(", ")} is not one of ${FOLDERS.join(", ")}`);
const sample = await drawSample({ root, seed, perFolder, folders });
fs.mkdirSync(path.dirname(path.join(root, SAMPLE_FILE)), { recursive: true });
fs.writeFileSync(path.join(root, SAMPLE_FILE), `${JSON.stringify(sample, null, 1)}\n`);

export default {
  ...base,
  $schema: undefined,
  mutate: sample.nodes.map(mutateRange),
  plugins: ["@stryker-mutator/jest-runner", path.join(root, "mutation/sample-ignorer.mjs")],
  ignorers: ["sample"],
  incremental: false,
  // a mutant that loops (a mutated loop bound) is a timeout, i.e. detected; 10 s over 1.5× its tests' normal time
  // instead of the base 30 s keeps such mutants from dominating a sample run
  timeoutMS: 10000,
  // a sample's score is an estimate with an interval (sample-score.mjs), not a gate
  thresholds: { ...base.thresholds, break: null },
  reporters: ["progress-append-only", "json"],
  jsonReporter: { fileName: "reports/mutation-sample/mutation.json" },
};
