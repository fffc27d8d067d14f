/**
 * `npm run bench`: synth time and peak memory of the seed matrix and of the matrix scaled to 4 environments ×
 * 25 to 500 services, each as a ratio to an empty cdktf app measured in the same run (these machines are shared
 * and noisy: only ratios mean anything), and at 100 and 500 services against bare cdktf: the same stacks and
 * resource counts with no project code (bench/bare.ts), so the project's own cost per resource is a ratio measured
 * in the same run. Every sample is a fresh process, so module loading is counted as a user pays it; runs of the
 * scenarios are interleaved and the median taken. BENCH_ROUNDS (default 5) rounds; BENCH_LARGE=0 leaves out the
 * 500-service scenarios (a minute each).
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
  /** The bare-cdktf twin of the matrix at this many services. */
  readonly bareOf?: number;
}
const LARGE = process.env.BENCH_LARGE !== "0";
const sizes = [25, 50, 100, ...(LARGE ? [500] : [])];
const BARE_AT = [100, ...(LARGE ? [500] : [])];

/** Per stack, the resources of each type the project synthesizes at `services` services (the bare twin's counts). */
function countsAt(services: number): { file: string; resources: number } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "envmatrix-bench-count-"));
  try {
    const r = spawnSync(process.execPath, ["--require", "tsx/cjs", path.join(__dirname, "scenario.ts"), "matrix", `${services}`], { cwd: root, env: { ...process.env, CDKTF_OUTDIR: outdir }, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`counting ${services} services failed:\n${r.stderr}`);
    const counts: Record<string, Record<string, number>> = {};
    let resources = 0;
    for (const stack of fs.readdirSync(path.join(outdir, "stacks"))) {
      const json = JSON.parse(fs.readFileSync(path.join(outdir, "stacks", stack, "cdk.tf.json"), "utf8"));
      counts[stack] = Object.fromEntries(Object.entries<Record<string, unknown>>(json.resource ?? {}).map(([t, v]) => [t, Object.keys(v).length]));
      resources += Object.values(counts[stack]).reduce((a, b) => a + b, 0);
    }
    const file = path.join(os.tmpdir(), `envmatrix-bench-counts-${services}.json`);
    fs.writeFileSync(file, JSON.stringify(counts));
    return { file, resources };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}
const counted = Object.fromEntries(BARE_AT.map((n) => [n, countsAt(n)]));

const scenarios: Scenario[] = [
  { label: "empty cdktf app (floor)", args: ["empty"] },
  { label: `seed matrix (${environments} envs × ${matrix.services.length} service)`, args: ["matrix", `${matrix.services.length}`], services: matrix.services.length },
  ...sizes.map((n) => ({ label: `scaled matrix (${environments} envs × ${n} services)`, args: ["matrix", `${n}`], services: n })),
  ...(LARGE ? [{ label: `split by team (${environments} envs × 500 services, 10 teams)`, args: ["matrix", "500", "split"] }] : []),
  ...BARE_AT.map((n) => ({ label: `bare cdktf, the same ${counted[n].resources} resources (${n} services' worth)`, args: ["bare", counted[n].file], bareOf: n })),
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

// The project's own cost per resource against bare cdktf's, both above the empty app's floor (goal: at most 1.2×)
console.log("");
for (const n of BARE_AT) {
  const project = results.find((r) => r.services === n)!;
  const bare = results.find((r) => r.bareOf === n)!;
  const resources = counted[n].resources;
  const perResource = (ms: number) => (ms - floor.ms) / resources;
  const ratio = perResource(project.ms) / perResource(bare.ms);
  console.log(
    `${n} services (${resources} resources): ${perResource(project.ms).toFixed(3)} ms per resource against bare cdktf's ${perResource(bare.ms).toFixed(3)}: ${ratio.toFixed(2)}× (goal ≤ 1.2×: ${ratio <= 1.2 ? "yes" : "NO"}); memory ${project.mib.toFixed(0)} MiB against ${bare.mib.toFixed(0)} MiB (${(project.mib / bare.mib).toFixed(2)}×)`,
  );
}
