/** The validated matrix: what main.ts and the tests load. */
import { matrix, MATRIX_FILE } from "./environments";
import { checkMatrix } from "./validate";
import type { Matrix } from "./types";

export { MATRIX_FILE };
export type * from "./types";

/** The matrix of config/environments.ts, validated; throws a MatrixError that lists every problem. */
export function loadMatrix(m: Matrix = matrix): Matrix {
  return checkMatrix(m, MATRIX_FILE);
}
