/**
 * `npm run bench`: synth time and peak memory of the seed matrix and of the matrix scaled to 4 environments ×
 * 100 services, each as a ratio to an empty cdktf app measured in the same run (these machines are shared and
 * noisy: only ratios mean anything). Every sample is a fresh process, so module loading is counted as a user
 * pays it; runs of the scenarios are interleaved and the median taken.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { matrix } from "../config/environments";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const root = path.resolve(__dirname, "..");
const environments = Object.keys(matrix.environments).length;

interface Scenario {
  readonly label: string;
  readonly args: readonly string[];
  readonly services?: number;
}
const scenarios: Scenario[] = [
  { label: "empty cdktf app (floor)", args: ["empty"] },
  { label: `seed matrix (${environments} envs × ${matrix.services.length} service)`, args: ["matrix", `${matrix.services.length}`], services: matrix.services.length },
  ...[25, 50, 100].map((n) => ({ label: `scaled matrix (${environments} envs × ${n} services)`, args: ["matrix", `${n}`], services: n })),
];

function sample(s: Scenario): { ms: number; mib: number } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "envmatrix-bench-"));
  try {
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, ["--require", "tsx/cjs", path.join(__dirname, "scenario.ts"), ...s.args], {
      cwd: root,
      env: { ...process.env, CDKTF_OUTDIR: outdir },
      encoding: "utf8",
    });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status !== 0) throw new Error(`${s.label} failed:\n${r.stderr}`);
    return { ms, mib: JSON.parse(r.stdout).maxRssKiB / 1024 };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const samples = scenarios.map(() => ({ ms: [] as number[], mib: [] as number[] }));
sample(scenarios[0]); // warm the file cache; not counted
for (let round = 0; round < ROUNDS; round++) {
  scenarios.forEach((s, i) => {
    const { ms, mib } = sample(s);
    samples[i].ms.push(ms);
    samples[i].mib.push(mib);
  });
}
const results = scenarios.map((s, i) => ({ ...s, ms: median(samples[i].ms), mib: median(samples[i].mib) }));
const [floor] = results;

console.log(`envmatrix bench: median of ${ROUNDS} fresh-process synths each, node ${process.version}, ${os.cpus().length} cpus`);
console.log("");
console.log("| scenario | synth time | × floor | peak memory | × floor |");
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const r of results) {
  console.log(`| ${r.label} | ${r.ms.toFixed(0)} ms | ${(r.ms / floor.ms).toFixed(2)} | ${r.mib.toFixed(0)} MiB | ${(r.mib / floor.mib).toFixed(2)} |`);
}

// Linear growth: the cost of one more service should not rise with the number of services.
const scaled = results.filter((r) => r.services !== undefined);
console.log("");
console.log("growth per added service (should stay flat if synth is linear in services):");
for (let i = 1; i < scaled.length; i++) {
  const [a, b] = [scaled[i - 1], scaled[i]];
  const n = b.services! - a.services!;
  console.log(
    `  ${a.services} → ${b.services} services: ${((b.ms - a.ms) / n).toFixed(2)} ms and ${(((b.mib - a.mib) / n) * 1024).toFixed(0)} KiB per service`,
  );
}

const seed = results[1];
const largest = scaled[scaled.length - 1];
console.log("");
console.log(`seed synth within 2× the empty-app floor: ${seed.ms / floor.ms <= 2 ? "yes" : "NO"} (${(seed.ms / floor.ms).toFixed(2)}× time, ${(seed.mib / floor.mib).toFixed(2)}× memory)`);
console.log(`${largest.services} services cost ${(largest.ms / seed.ms).toFixed(2)}× the seed's time and ${(largest.mib / seed.mib).toFixed(2)}× its memory`);
