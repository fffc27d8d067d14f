/** Entry point of `cdktf synth`: validate the matrix, then one stack per environment. */
import { App } from "cdktf";
import { loadMatrix } from "./config";
import { matrix as seedMatrix } from "./config/environments";
import { MatrixError } from "./config/validate";
import { EnvironmentStack } from "./stacks/environment-stack";
import { GatesStack } from "./stacks/gates-stack";
import type { Matrix, MatrixDefinition } from "./config/types";

/** Every environment's stack on `app`, in the matrix's order, then the gates stack; the matrix must already be valid. */
export function buildApp(app: App, matrix: Matrix): App {
  for (const [name, environment] of Object.entries(matrix.environments)) {
    new EnvironmentStack(app, { name, environment, organization: matrix.organization, services: matrix.services });
  }
  new GatesStack(app, matrix);
  return app;
}

/**
 * Validate `matrix`, then synthesize every stack into `outdir` (cdktf's CDKTF_OUTDIR, else cdktf.out).
 * Returns the process exit code. An invalid matrix writes nothing: validation runs before the App exists,
 * so an earlier cdktf.out stays exactly as it was.
 */
export function run(matrix: MatrixDefinition = seedMatrix, outdir?: string): number {
  let valid: Matrix;
  try {
    valid = loadMatrix(matrix);
  } catch (err) {
    if (!(err instanceof MatrixError)) throw err;
    console.error(err.message);
    return 1;
  }
  // No stack traces in manifest.json: they hold this machine's paths, and the output must not.
  buildApp(new App({ outdir, stackTraces: false }), valid).synth();
  return 0;
}

/**
 * Settings of the synth process. cdktf records a full stack trace for every token it creates; with the
 * transpiler's source maps on, mapping those frames costs a quarter of a large synth, and nothing reads them.
 * ENVMATRIX_DEBUG=1 keeps source-mapped stack traces for debugging a crash.
 */
export function prepareSynthProcess(): void {
  if (!process.env.ENVMATRIX_DEBUG) process.setSourceMapsEnabled(false);
}

if (require.main === module) {
  prepareSynthProcess();
  process.exitCode = run();
}
