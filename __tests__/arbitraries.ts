/**
 * Generated valid matrices for property tests (fast-check): the seed varied within the rules, so the invariants
 * are checked for matrices nobody wrote by hand. Each variation is one of
 * - more environments: clones of dev, staging or prod (a prod clone is protected: it joins the promotion order
 *   after the last environment and protects its own release branch), or full copies under a new name;
 * - other services: one to three, with their own names, teams and ports;
 * - edited fields: any leaf of any environment given another value (a value another environment has for that
 *   field, or a nearby number), kept only when the whole matrix still passes `checkMatrix`.
 * Identity follows the rules (namespace `<project>-<name>`, Vault subtree = name, GitHub environment = name).
 */
import { ALERT_TIERS, CODE_SCANNING_ALERT_THRESHOLDS, CODE_SCANNING_SECURITY_THRESHOLDS } from "../config/schema";
import fc from "fast-check";
import { checkMatrix, MatrixError } from "../config/validate";
import { matrix as seedDefinition } from "../config/environments";
import type { Matrix, MatrixDefinition } from "../config/types";

/** New environment names: none a prefix of another's (a GitHub environment name starts with its owner's name). */
const NEW_NAMES = ["qa", "uat", "perf", "demo", "sandbox"] as const;
const SERVICE_NAMES = ["api", "web", "worker", "billing", "search"] as const;
const TEAMS = ["platform", "payments", "growth"] as const;

export interface Variation {
  readonly extra: readonly { readonly name: string; readonly base: "dev" | "staging" | "prod"; readonly asClone: boolean }[];
  readonly services: readonly { readonly name: string; readonly team: string; readonly port: number | null }[];
  /** Field edits: environment index (into the matrix's environments), leaf index, candidate index. */
  readonly edits: readonly (readonly [number, number, number])[];
}

/** Every leaf path of a value: objects walked, arrays and null are leaves. */
export function leafPaths(value: unknown, at: readonly string[] = []): string[][] {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...at, k]));
  }
  return [[...at]];
}

export const getPath = (o: unknown, path: readonly string[]): any => path.reduce<any>((v, k) => v?.[k], o);

export function setPath<T>(o: T, path: readonly string[], value: unknown): T {
  if (path.length === 0) return value as T;
  const [head, ...rest] = path;
  return { ...(o as any), [head]: setPath((o as any)?.[head], rest, value) };
}

/** Numbers near `v` that keep its kind (whole numbers stay whole). */
function nearby(v: number): number[] {
  const whole = Number.isInteger(v);
  const out = whole ? [v + 1, v - 1, v * 2, Math.floor(v / 2)] : [v * 2, v / 2, Number((v * 1.5).toFixed(3))];
  return out.filter((x) => x !== v && x >= 0);
}

/**
 * Other values for a field: the values the other environments of `def` have for it, nearby numbers, the other
 * truth value, a shorter or longer list, a time string one step longer. Validity is not judged here.
 */
export function candidates(def: MatrixDefinition, env: string, path: readonly string[]): unknown[] {
  const current = getPath(def.environments[env], path);
  const seen = new Set([JSON.stringify(current)]);
  const out: unknown[] = [];
  const add = (v: unknown) => {
    const key = JSON.stringify(v);
    if (v === undefined || seen.has(key)) return;
    seen.add(key);
    out.push(structuredClone(v));
  };
  for (const other of Object.values(def.environments)) if (!("cloneOf" in other)) add(getPath(other, path));
  if (typeof current === "number") nearby(current).forEach(add);
  if (typeof current === "boolean") add(!current);
  if (typeof current === "string" && /^\d+[smh]$/.test(current)) add(`${Number(current.slice(0, -1)) * 2}${current.slice(-1)}`);
  // an alert tier: the other tiers
  if (path[0] === "alerts" && path[1] === "tiers" && typeof current === "string") ALERT_TIERS.forEach(add);
  // code scanning: another tool, the other thresholds (the enumerations GitHub's rulesets take)
  if (path.join(".") === "approval.codeScanning.tool") add("Semgrep");
  if (path.join(".") === "approval.codeScanning.alertsThreshold") CODE_SCANNING_ALERT_THRESHOLDS.forEach(add);
  if (path.join(".") === "approval.codeScanning.securityAlertsThreshold") CODE_SCANNING_SECURITY_THRESHOLDS.forEach(add);
  // a field naming an environment (an entry gate's source): any other environment
  if (["entryGates.sourceErrorRate.environment", "entryGates.deployedFirstIn"].includes(path.join("."))) Object.keys(def.environments).forEach(add);
  if (Array.isArray(current)) {
    if (current.length > 0) add(current.slice(0, -1));
    if (path.join(".") === "approval.requiredStatusChecks" || path.join(".") === "entryGates.requiredChecks") add([...current, "security-scan"]);
    if (path.join(".") === "approval.reviewers.teams") add([...current, "release-managers"]);
  }
  return out;
}

/** The full-settings environments of a definition (clones have only identity, purpose and window of their own). */
export const fullEnvironments = (def: MatrixDefinition) => Object.keys(def.environments).filter((n) => !("cloneOf" in def.environments[n]));

/** The definition `v` describes, or undefined when it breaks a rule. */
export function buildDefinition(v: Variation): MatrixDefinition | undefined {
  const project = seedDefinition.organization.project;
  let def: any = structuredClone(seedDefinition);
  for (const { name, base, asClone } of v.extra) {
    const from = def.environments[base];
    const isProtected = base === "prod";
    const branch = isProtected ? `release/${name}` : base === "dev" ? "develop" : "main";
    const identity = {
      namespace: `${project}-${name}`,
      githubEnvironment: name,
      vaultSubtree: name,
      deployBranches: [branch],
      protectedBranch: isProtected ? branch : null,
    };
    def.environments[name] = asClone
      ? { cloneOf: base, identity, purpose: `a clone of ${base}`, ...(isProtected ? {} : {}) }
      : { ...structuredClone(from), identity, purpose: `a copy of ${base}` };
    if (isProtected) def.promotionOrder = [...def.promotionOrder, name];
  }
  def.services = v.services.map((s) => (s.port === null ? { name: s.name, team: s.team } : { name: s.name, team: s.team, port: s.port }));
  for (const [envIndex, leafIndex, candidateIndex] of v.edits) {
    const names = fullEnvironments(def);
    const env = names[envIndex % names.length];
    const leaves = leafPaths(def.environments[env]).filter((p) => p[0] !== "identity" && p[0] !== "purpose");
    const path = leaves[leafIndex % leaves.length];
    const options = candidates(def, env, path);
    if (options.length === 0) continue;
    const edited = { ...def, environments: { ...def.environments, [env]: setPath(def.environments[env], path, options[candidateIndex % options.length]) } };
    // an edit that breaks a rule is dropped; the others stay
    if (validate(edited)) def = edited;
  }
  return validate(def) ? def : undefined;
}

function validate(def: MatrixDefinition): Matrix | undefined {
  try {
    return checkMatrix(def, "generated");
  } catch (err) {
    if (err instanceof MatrixError) return undefined;
    throw err;
  }
}

export const variation: fc.Arbitrary<Variation> = fc.record({
  extra: fc.uniqueArray(
    fc.record({ name: fc.constantFrom(...NEW_NAMES), base: fc.constantFrom("dev" as const, "staging" as const, "prod" as const), asClone: fc.boolean() }),
    { maxLength: 2, selector: (e) => e.name },
  ),
  services: fc.uniqueArray(
    fc.record({ name: fc.constantFrom(...SERVICE_NAMES), team: fc.constantFrom(...TEAMS), port: fc.option(fc.integer({ min: 1024, max: 9999 }), { nil: null }) }),
    { minLength: 1, maxLength: 3, selector: (s) => s.name },
  ),
  edits: fc.array(fc.tuple(fc.nat(20), fc.nat(200), fc.nat(10)), { maxLength: 8 }),
});

/** A generated valid matrix definition with the variation that made it (shown by fast-check on failure). */
export const validDefinition: fc.Arbitrary<MatrixDefinition> = variation
  .map(buildDefinition)
  .filter((d): d is MatrixDefinition => d !== undefined);

/** Fixed seed and bounded runs for `npm test`; FC_SEED / FC_RUNS override them to explore. */
export function runs(numRuns: number): fc.Parameters<unknown> {
  return {
    seed: process.env.FC_SEED ? Number(process.env.FC_SEED) : 20261123,
    numRuns: process.env.FC_RUNS ? Number(process.env.FC_RUNS) : numRuns,
    // fast-check prints the seed, the path and the counterexample on failure
    verbose: 1,
  };
}
