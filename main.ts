/** Entry point of `cdktf synth`: validate the matrix, then one stack per environment. */
import { App, TerraformResource, type TerraformStack } from "cdktf";
import { loadMatrix } from "./config";
import { matrix as seedMatrix } from "./config/environments";
import { GATES_STACK, MatrixError } from "./config/validate";
import { EnvironmentStack } from "./stacks/environment-stack";
import { GatesStack } from "./stacks/gates-stack";
import { TeamStack } from "./stacks/team-stack";
import { stackNames, stackOf, teamStacks } from "./config/stacks";
import { applyForgotten } from "./stacks/moved";
import type { Matrix, MatrixDefinition } from "./config/types";
import * as fs from "node:fs";
import * as path from "node:path";
import { ADOPTED_DIR, applyAdoptions, readAdoptions, type Adoptions } from "./stacks/adopted";
import { prepareSynthProcess } from "./stacks/token-stack-traces";
import { collectBetweenStacks } from "./stacks/collect-between-stacks";

/**
 * Every environment's stack on `app`, in the matrix's order, then the gates stack; the matrix must already be
 * valid. `adoptions`: the adopt files' import blocks per stack (stacks/adopted.ts); throws a MatrixError listing
 * every entry that does not fit its stack.
 */
export function buildApp(app: App, matrix: Matrix, adoptions: Adoptions = {}): App {
  // each environment, its team stacks after it, then the gates stack (the order of cdktf's manifest)
  const stacks = [...stackNames(matrix).filter((n) => n !== GATES_STACK), GATES_STACK].map((name) => buildStack(app, matrix, name));
  // an environment split by team forgets what its team stacks hold (removed blocks, destroy = false): switching the
  // split on then destroys nothing the environment's stack held; each team stack imports its objects (npm run adopt)
  for (const name of Object.keys(matrix.environments)) {
    const teams = teamStacks(matrix, name).map((t) => stacks.find((s) => s.node.id === t.name)!);
    if (teams.length === 0) continue;
    const held = teams.flatMap((t) => t.node.findAll().filter((c): c is TerraformResource => c instanceof TerraformResource).map((r) => `${r.terraformResourceType}.${r.friendlyUniqueId}`));
    applyForgotten(stacks.find((s) => s.node.id === name)!, held);
  }
  const problems: MatrixError[] = [];
  for (const stack of stacks) {
    try {
      applyAdoptions(stack, adoptions[stack.node.id]);
    } catch (err) {
      if (!(err instanceof MatrixError)) throw err;
      problems.push(err);
    }
  }
  const unknown = Object.keys(adoptions).filter((s) => !stacks.some((x) => x.node.id === s));
  if (unknown.length > 0) problems.push(new MatrixError(ADOPTED_DIR, unknown.map((s) => ({ path: `${s}.json`, message: `no stack is named ${s} (stacks: ${stacks.map((x) => x.node.id).join(", ")}); delete or rename the file` }))));
  // one error for every problem of every file, each line naming its file
  if (problems.length > 0) throw new MatrixError(ADOPTED_DIR, problems.flatMap((e) => e.problems.map((p) => ({ ...p, path: e.file === ADOPTED_DIR ? p.path : `${path.basename(e.file)}: ${p.path}` }))));
  return app;
}

/** One stack of the matrix on `app`, by name (config/stacks.ts: the gates, an environment's, a team's), without the others. */
export function buildStack(app: App, matrix: Matrix, name: string): TerraformStack {
  const stack = stackOf(matrix, name);
  if (stack === undefined) throw new Error(`no stack is named ${name} (stacks: ${stackNames(matrix).join(", ")})`);
  if (stack.kind === "gates") return new GatesStack(app, matrix);
  const environment = matrix.environments[stack.environment];
  if (stack.kind === "environment") return new EnvironmentStack(app, { name, environment, organization: matrix.organization, services: matrix.services });
  return new TeamStack(app, { name, environmentName: stack.environment, environment, organization: matrix.organization, services: stack.services });
}

/** The repository's adopt files (stacks/adopted/<stack>.json). */
export const REPOSITORY_ADOPTED_DIR = path.join(__dirname, ADOPTED_DIR);

/**
 * Validate `matrix` and the adopt files in `adoptedDir`, then synthesize every stack into `outdir` (cdktf's
 * CDKTF_OUTDIR, else cdktf.out). Returns the process exit code. An invalid matrix or adopt file writes nothing:
 * both are checked before synth writes, so an earlier cdktf.out stays exactly as it was.
 */
export function run(matrix: MatrixDefinition = seedMatrix, outdir?: string, adoptedDir: string = REPOSITORY_ADOPTED_DIR): number {
  let valid: Matrix;
  let adoptions: Adoptions;
  try {
    valid = loadMatrix(matrix);
    adoptions = readAdoptions(adoptedDir);
  } catch (err) {
    if (!(err instanceof MatrixError)) throw err;
    console.error(err.message);
    return 1;
  }
  // cdktf's App creates its output folder and the stacks folder in it when they are missing (cdktf lib/app.js,
  // manifest.js); an adopt entry is checked only once the stacks exist, so on a refusal those go again
  const target = outdir ?? process.env.CDKTF_OUTDIR ?? "cdktf.out";
  const created = [target, path.join(target, "stacks")].filter((d) => !fs.existsSync(d));
  let app: App;
  try {
    // No stack traces in manifest.json: they hold this machine's paths, and the output must not.
    app = buildApp(new App({ outdir, stackTraces: false }), valid, adoptions);
  } catch (err) {
    if (!(err instanceof MatrixError)) throw err;
    for (const d of created.reverse()) if (fs.existsSync(d) && fs.readdirSync(d).length === 0) fs.rmdirSync(d);
    console.error(err.message);
    return 1;
  }
  collectBetweenStacks(app);
  app.synth();
  return 0;
}

export { prepareSynthProcess };

if (require.main === module) {
  prepareSynthProcess();
  process.exitCode = run();
}
