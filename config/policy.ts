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
 * one, and each step of the promotion order; a row reads only valid fields (a refused field skips it).
 */
import type { Rule } from "./rules";

export const policy: readonly Rule[] = [];
