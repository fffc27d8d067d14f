/**
 * Your organization's own rules, beside envmatrix's (rules.ts): rows of the same kind, checked by the same engine,
 * reported with every other problem and listed in the README's "What the matrix validates". Add a row here; the
 * engine needs no change. For example, "prod runs at least 4 replicas":
 *
 *   eachEnvironment({
 *     id: "policy-prod-replicas",
 *     holds: "prod runs at least 4 replicas (capacity review 2026-10)",
 *     reads: ["replicas.min"],
 *     when: (_e, name) => name === "prod",
 *     check: (e) => (e.replicas.min < 4 ? ["replicas.min", `${e.replicas.min} is below 4 (policy: prod runs at least 4 replicas)`] : undefined),
 *   }, "policy"),
 *
 * `eachEnvironment`, `protectedEnvironment` and `alongPromotion` build rows for one environment, every protected
 * one, and each step of the promotion order; a row reads only valid fields (a refused field skips it) and, with
 * `walks: ["services"]`, counts or walks a list only where it is one. A whole-matrix row (a plain `Rule`) asks
 * `ctx.valid(path)` before it reads a value and `ctx.shaped(path)` before it walks a list: the schema has already
 * reported a refused value, and any value may be of the wrong type there (__tests__/matrix-junk.test.ts).
 */
import type { Rule } from "./rules";

export const policy: readonly Rule[] = [];
