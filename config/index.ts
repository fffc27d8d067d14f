/** The validated matrix: what main.ts and the tests load. */
import { matrix, MATRIX_FILE } from "./environments";
import { checkMatrix } from "./validate";
import type { Matrix, MatrixDefinition } from "./types";

export { MATRIX_FILE };
export type * from "./types";

/**
 * The matrix of config/environments.ts (or `definition`), validated and with clones resolved; throws a
 * MatrixError that lists every problem.
 */
export function loadMatrix(definition: MatrixDefinition = matrix): Matrix {
  return checkMatrix(definition, MATRIX_FILE);
}
