/** The validated matrix: what main.ts and the tests load. */
import { matrix, MATRIX_FILE } from "./environments";
import { checkMatrix } from "./validate";
import type { EnvironmentSettings, Matrix, MatrixDefinition } from "./types";

export { MATRIX_FILE };
export type * from "./types";

/**
 * The matrix of config/environments.ts (or `definition`), validated and with clones resolved; throws a
 * MatrixError that lists every problem.
 */
export function loadMatrix(definition: MatrixDefinition = matrix): Matrix {
  return checkMatrix(definition, MATRIX_FILE);
}

/** The error for a name that is not one of the matrix's environments, listing those that are. */
export function unknownEnvironment(m: Matrix, name: string): Error {
  return new Error(`no environment "${name}" (environments: ${Object.keys(m.environments).join(", ")})`);
}

/** The settings of the environment `name`, or unknownEnvironment's error. */
export function environmentNamed(m: Matrix, name: string): EnvironmentSettings {
  const e = m.environments[name];
  if (!e) throw unknownEnvironment(m, name);
  return e;
}
