/**
 * One measured synth, run in a fresh process by bench/bench.ts: `empty` (an App with one empty stack, the
 * floor every cdktf program pays) or `matrix <services>` (the seed matrix, its service list scaled).
 * Prints the process's peak resident memory as JSON on stdout.
 */
import { App, TerraformStack } from "cdktf";
import { matrix } from "../config/environments";
import type { MatrixDefinition } from "../config/types";
import { prepareSynthProcess, run } from "../main";

// measured as `cdktf synth` runs main.ts
prepareSynthProcess();

const [scenario, countArg] = process.argv.slice(2);
const outdir = process.env.CDKTF_OUTDIR;
if (!outdir) throw new Error("bench/scenario.ts: set CDKTF_OUTDIR");

if (scenario === "empty") {
  const app = new App({ outdir, stackTraces: false });
  new TerraformStack(app, "empty");
  app.synth();
} else if (scenario === "matrix") {
  const count = Number(countArg);
  const services =
    count === matrix.services.length
      ? matrix.services
      : Array.from({ length: count }, (_, i) => ({ name: `svc-${String(i + 1).padStart(3, "0")}`, team: "platform" }));
  const scaled: MatrixDefinition = { ...matrix, services };
  if (run(scaled, outdir) !== 0) process.exit(1);
} else {
  throw new Error(`bench/scenario.ts: unknown scenario ${scenario}`);
}
// resourceUsage().maxRSS is in KiB
process.stdout.write(JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS }));
