/**
 * One measured synth, run in a fresh process by bench/bench.ts: `empty` (an App with one empty stack, the
 * floor every cdktf program pays), `matrix <services> [split]` (the seed matrix, its service list scaled, each
 * environment's budget scaled with it: the estimate grows with the pods), `bare <counts.json>` (bare cdktf:
 * the same stacks and resource counts with small configurations, no project code, bench/bare.ts) or
 * `bare-alike <configs.json>` (bare cdktf: the same resources configured as the project's output has them).
 * Prints the process's peak resident memory as JSON on stdout, and the milliseconds spent reading the bench's own
 * input file (`inputMs`), which bench.ts takes off the sample: a user's synth never reads it.
 */
import { App, TerraformStack } from "cdktf";
import { matrix } from "../config/environments";
import type { MatrixDefinition } from "../config/types";
import { prepareSynthProcess, run } from "../main";
import * as fs from "node:fs";
import { synthBare, synthBareAlike } from "./bare";

// measured as `cdktf synth` runs main.ts
prepareSynthProcess();

const [scenario, countArg] = process.argv.slice(2);
let inputMs = 0;
const outdir = process.env.CDKTF_OUTDIR;
if (!outdir) throw new Error("bench/scenario.ts: set CDKTF_OUTDIR");

if (scenario === "empty") {
  const app = new App({ outdir, stackTraces: false });
  new TerraformStack(app, "empty");
  app.synth();
} else if (scenario === "matrix") {
  const count = Number(countArg);
  // `split`: the services spread over 10 teams and every environment split by team (stacks/team-stack.ts)
  const split = process.argv[4] === "split";
  const services =
    count === matrix.services.length && !split
      ? matrix.services
      : Array.from({ length: count }, (_, i) => ({ name: `svc-${String(i + 1).padStart(3, "0")}`, team: split ? `team-${i % 10}` : "platform" }));
  // the cost estimate grows with the services: each full environment's budget grows with it
  const factor = Math.max(1, count / matrix.services.length);
  const environments = Object.fromEntries(
    Object.entries(matrix.environments).map(([n, e]) => [n, "cost" in e && e.cost ? { ...e, splitByTeam: split, cost: { ...e.cost, budgetMonthly: e.cost.budgetMonthly * factor } } : e]),
  ) as MatrixDefinition["environments"];
  const scaled: MatrixDefinition = { ...matrix, services, environments };
  if (run(scaled, outdir) !== 0) process.exit(1);
} else if (scenario === "bare") {
  synthBare(JSON.parse(fs.readFileSync(countArg, "utf8")), outdir);
} else if (scenario === "bare-alike") {
  synthBareAlike(() => {
    const start = process.hrtime.bigint();
    const configs = JSON.parse(fs.readFileSync(countArg, "utf8"));
    inputMs = Number(process.hrtime.bigint() - start) / 1e6;
    return configs;
  }, outdir);
} else {
  throw new Error(`bench/scenario.ts: unknown scenario ${scenario}`);
}
// resourceUsage().maxRSS is in KiB
process.stdout.write(JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS, inputMs }));
