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

/**
 * Every scenario runs on the node flags `cdktf synth` gives main.ts (cdktf.json's app command), the baselines too:
 * only the code differs. --no-allocation-site-pretenuring is one (README, "Speed": without it about one synth in
 * ten at 500 services took 2–3× as long and 110 MiB more).
 */
const NODE_ARGS: string[] = (() => {
  const app: string = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "cdktf.json"), "utf8")).app;
  const words = app.split(/\s+/);
  if (words[0] !== "node" || words.at(-1) !== "main.ts") throw new Error(`bench: cdktf.json's app is not "node … main.ts": ${app}`);
  return words.slice(1, -1);
})();
const root = path.resolve(__dirname, "..");
const environments = Object.keys(matrix.environments).length;

interface Scenario {
  readonly label: string;
  readonly args: readonly string[];
  readonly services?: number;
  /** The bare-cdktf twin of the matrix at this many services: small configurations, or the same ones. */
  readonly bareOf?: number;
  readonly alikeOf?: number;
}
const LARGE = process.env.BENCH_LARGE !== "0";
const sizes = [25, 50, 100, ...(LARGE ? [250, 500] : [])];
const BARE_AT = [100, ...(LARGE ? [250, 500] : [])];

/**
 * Per stack, the resources of each type the project synthesizes at `services` services (the bare twin's counts),
 * and each resource's configuration as synthesized (the configured twin's input).
 */
function countsAt(services: number): { file: string; configsFile: string; resources: number } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "envmatrix-bench-count-"));
  try {
    const r = spawnSync(process.execPath, [...NODE_ARGS, path.join(__dirname, "scenario.ts"), "matrix", `${services}`], { cwd: root, env: { ...process.env, CDKTF_OUTDIR: outdir }, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`counting ${services} services failed:\n${r.stderr}`);
    const counts: Record<string, Record<string, number>> = {};
    const configs: Record<string, Record<string, unknown[]>> = {};
    let resources = 0;
    for (const stack of fs.readdirSync(path.join(outdir, "stacks"))) {
      const json = JSON.parse(fs.readFileSync(path.join(outdir, "stacks", stack, "cdk.tf.json"), "utf8"));
      const byType = Object.entries<Record<string, unknown>>(json.resource ?? {});
      counts[stack] = Object.fromEntries(byType.map(([t, v]) => [t, Object.keys(v).length]));
      configs[stack] = Object.fromEntries(byType.map(([t, v]) => [t, Object.values(v)]));
      resources += Object.values(counts[stack]).reduce((a, b) => a + b, 0);
    }
    const file = path.join(os.tmpdir(), `envmatrix-bench-counts-${services}.json`);
    fs.writeFileSync(file, JSON.stringify(counts));
    const configsFile = path.join(os.tmpdir(), `envmatrix-bench-configs-${services}.json`);
    fs.writeFileSync(configsFile, JSON.stringify(configs));
    return { file, configsFile, resources };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}
const counted = Object.fromEntries(BARE_AT.map((n) => [n, countsAt(n)]));

/**
 * The configured twin is only a baseline if it synthesizes what the project does: every resource configuration
 * of its output, per stack and type, equal to the project's (cdktf's own "//" metadata and the addresses aside).
 */
function checkAlike(services: number, configsFile: string): void {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "envmatrix-bench-alike-"));
  try {
    const r = spawnSync(process.execPath, [...NODE_ARGS, path.join(__dirname, "scenario.ts"), "bare-alike", configsFile], { cwd: root, env: { ...process.env, CDKTF_OUTDIR: outdir }, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`the configured twin at ${services} services failed:\n${r.stderr}`);
    const expected: Record<string, Record<string, Array<Record<string, unknown>>>> = JSON.parse(fs.readFileSync(configsFile, "utf8"));
    const shapes = (list: Array<Record<string, unknown>>) => list.map(({ "//": _metadata, ...config }) => JSON.stringify(config)).sort();
    for (const [stack, types] of Object.entries(expected)) {
      const actual = JSON.parse(fs.readFileSync(path.join(outdir, "stacks", stack, "cdk.tf.json"), "utf8")).resource ?? {};
      for (const [type, list] of Object.entries(types)) {
        const [want, got] = [shapes(list), shapes(Object.values(actual[type] ?? {}))];
        const at = want.findIndex((w, i) => w !== got[i]);
        if (at >= 0 || want.length !== got.length) {
          throw new Error(`the configured twin differs from the project at ${services} services, ${stack} ${type}:\n  project: ${want[at]}\n  twin:    ${got[at]}`);
        }
      }
    }
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}
for (const n of BARE_AT) checkAlike(n, counted[n].configsFile);

const scenarios: Scenario[] = [
  { label: "empty cdktf app (floor)", args: ["empty"] },
  { label: `seed matrix (${environments} envs × ${matrix.services.length} service)`, args: ["matrix", `${matrix.services.length}`], services: matrix.services.length },
  ...sizes.map((n) => ({ label: `scaled matrix (${environments} envs × ${n} services)`, args: ["matrix", `${n}`], services: n })),
  ...(LARGE ? [{ label: `split by team (${environments} envs × 500 services, 10 teams)`, args: ["matrix", "500", "split"] }] : []),
  ...BARE_AT.map((n) => ({ label: `bare cdktf, ${counted[n].resources} resources, small configurations (${n} services' worth)`, args: ["bare", counted[n].file], bareOf: n })),
  ...BARE_AT.map((n) => ({ label: `bare cdktf, the same ${counted[n].resources} resources configured alike (${n} services' worth)`, args: ["bare-alike", counted[n].configsFile], alikeOf: n })),
];

function sample(s: Scenario): { ms: number; mib: number } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "envmatrix-bench-"));
  try {
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [...NODE_ARGS, path.join(__dirname, "scenario.ts"), ...s.args], {
      cwd: root,
      env: { ...process.env, CDKTF_OUTDIR: outdir },
      encoding: "utf8",
    });
    const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status !== 0) throw new Error(`${s.label} failed:\n${r.stderr}`);
    const { maxRssKiB, inputMs } = JSON.parse(r.stdout);
    // the configured twin's reading of its input file is the bench's, not cdktf's
    return { ms: elapsed - inputMs, mib: maxRssKiB / 1024 };
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

console.log(`envmatrix bench: median of ${ROUNDS} fresh-process synths each, node ${process.version} ${NODE_ARGS.join(" ")}, ${os.cpus().length} cpus`);
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

// the configured twin's memory per added service beside the project's: where both bend, it is cdktf's and V8's
const alike = results.filter((r) => r.alikeOf !== undefined);
for (let i = 1; i < alike.length; i++) {
  const [a, b] = [alike[i - 1], alike[i]];
  const n = b.alikeOf! - a.alikeOf!;
  console.log(`  bare cdktf configured alike, ${a.alikeOf} → ${b.alikeOf} services: ${((b.ms - a.ms) / n).toFixed(2)} ms and ${(((b.mib - a.mib) / n) * 1024).toFixed(0)} KiB per service`);
}

const seed = results[1];
const largest = scaled[scaled.length - 1];
console.log("");
console.log(`seed synth within 2× the empty-app floor: ${seed.ms / floor.ms <= 2 ? "yes" : "NO"} (${(seed.ms / floor.ms).toFixed(2)}× time, ${(seed.mib / floor.mib).toFixed(2)}× memory)`);
console.log(`${largest.services} services cost ${(largest.ms / seed.ms).toFixed(2)}× the seed's time and ${(largest.mib / seed.mib).toFixed(2)}× its memory`);

// The project's own cost per resource against bare cdktf's, both above the empty app's floor (goal: at most 1.2×).
// Against the configured twin, the difference is what the project's code adds; against the small configurations,
// it also holds what the project's richer resources cost cdktf itself.
console.log("");
for (const n of BARE_AT) {
  const project = results.find((r) => r.services === n)!;
  const resources = counted[n].resources;
  const perResource = (ms: number) => (ms - floor.ms) / resources;
  for (const [twin, bare] of [
    ["configured alike", results.find((r) => r.alikeOf === n)!],
    ["small configurations", results.find((r) => r.bareOf === n)!],
  ] as const) {
    const ratio = perResource(project.ms) / perResource(bare.ms);
    const goal = twin === "configured alike" ? ` (goal ≤ 1.2×: ${ratio <= 1.2 ? "yes" : "NO"})` : "";
    console.log(
      `${n} services (${resources} resources) against bare cdktf, ${twin}: ${perResource(project.ms).toFixed(3)} ms per resource against ${perResource(bare.ms).toFixed(3)}: ${ratio.toFixed(2)}×${goal}; memory ${project.mib.toFixed(0)} MiB against ${bare.mib.toFixed(0)} MiB (${(project.mib / bare.mib).toFixed(2)}×)`,
    );
  }
}
