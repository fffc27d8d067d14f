/**
 * Checks a matrix and reports every problem at once: first its shape against the schema (schema.ts: types, ranges,
 * patterns, enumerations, unknown keys with a "did you mean"), then the rule tables (rules.ts, and a team's own rows
 * in policy.ts). `checkMatrix` turns a non-empty list into one error naming the file.
 */
import { closest, distance } from "fastest-levenshtein";
import { z } from "zod";
import { policy } from "./policy";
import { RULES, evaluateRules, type Problem, type Rule } from "./rules";
import { environmentCloneSchema, environmentNameSchema, environmentSettingsSchema, matrixDefinitionSchema, show, unwrapped } from "./schema";
import type { EnvironmentClone, EnvironmentDefinition, EnvironmentSettings, Matrix, MatrixDefinition } from "./schema";

export type { Problem, Rule } from "./rules";
export { GATES_STACK, GITHUB_ACTIONS_APP_ID } from "./rules";
export { BRANCHES_ENVIRONMENT_SUFFIX, PLAN_ENVIRONMENT_SUFFIX } from "./schema";

export function isClone(e: EnvironmentDefinition): e is EnvironmentClone {
  return typeof e === "object" && e !== null && "cloneOf" in e;
}

/** `s` with every control character, and the Unicode line and paragraph separators, written as JSON escapes. */
export const oneLine = (s: string): string => s.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => JSON.stringify(c).slice(1, -1));

/**
 * `environments.prod.replicas.min`, `services[1].name`: a zod path as the matrix's problems name it. A key of other
 * characters than letters, digits and `_ . / -` (a label key's) is quoted (`environments["a b"]`, JSON's escapes): a pull request's matrix is printed in CI logs,
 * where a key holding a line break and `::warning::` would start a workflow command of its own.
 */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((k, i) => (typeof k === "number" ? `[${k}]` : /^[A-Za-z0-9_./-]+$/.test(String(k)) ? (i === 0 ? String(k) : `.${String(k)}`) : `[${JSON.stringify(String(k))}]`))
    .join("");
}

const valueAt = (data: unknown, path: readonly PropertyKey[]): unknown => path.reduce<any>((v, k) => v?.[k as any], data);

/** The fields of an object schema's definition, or none. */
const fieldsOf = (def: any): Record<string, z.ZodType> => (def?.type === "object" ? def.shape : {});

/**
 * The definition that describes the value at `path` (unwrapped), or undefined. The only union the tables parse is
 * the backend's: its option is the one whose `type` the data names.
 */
function definitionAt(schema: z.ZodType, data: unknown, path: readonly PropertyKey[]): any {
  let def = unwrapped(schema);
  let value: any = data;
  for (let i = 0; ; i++) {
    if (def?.type === "union") def = unwrapped(def.options.find((o: any) => unwrapped(o)?.shape?.type?._zod?.def?.values?.[0] === value?.type) ?? def.options[0]);
    if (i === path.length) return def;
    const key = path[i];
    value = value?.[key as any];
    def = unwrapped(def?.type === "object" ? def.shape[key as string] : def?.type === "record" ? def.valueType : def?.type === "array" ? def.element : undefined);
  }
}

/**
 * The key a misspelt or misplaced one most likely meant: a known key with the same letters in another case, the
 * same key one level down (`tls` → `traffic.tls`), or a known key within a Levenshtein distance of a third of its
 * length (at least 2; 1 for keys of three letters or fewer).
 */
export function didYouMean(key: string, fields: Record<string, z.ZodType>): string | undefined {
  const known = Object.keys(fields);
  if (known.length === 0) return undefined;
  const sameLetters = known.find((k) => k.toLowerCase() === key.toLowerCase());
  if (sameLetters) return sameLetters;
  const below = known.find((k) => Object.hasOwn(fieldsOf(unwrapped(fields[k])), key));
  if (below !== undefined) return `${below}.${key}`;
  const nearest = closest(key, known);
  const allowed = key.length <= 3 ? 1 : Math.max(2, Math.floor(key.length / 3));
  return distance(key, nearest) <= allowed ? nearest : undefined;
}

/** The schema's issues as problems: the path, the bad value and the rule. */
function shapeProblems(schema: z.ZodType, data: unknown, prefix: readonly PropertyKey[]): Problem[] {
  const result = schema.safeParse(data, { reportInput: true });
  if (result.success) return [];
  const problems: Problem[] = [];
  for (const issue of result.error.issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === "unrecognized_keys") {
      const fields = fieldsOf(definitionAt(schema, data, issue.path));
      for (const key of issue.keys) {
        const guess = didYouMean(key, fields);
        const hint = guess !== undefined ? `did you mean "${guess}"?` : `its fields: ${Object.keys(fields).join(", ")}`;
        problems.push({ path: formatPath([...path, key]), message: `is not a field of ${formatPath(path) || "the matrix"} (${hint})` });
      }
      continue;
    }
    // the backend's discriminated union, whose option the data's `type` names (the only union the tables parse)
    if ((issue as any).discriminator !== undefined) {
      const options = ((issue as any).options as unknown[]).join(", ");
      problems.push({ path: formatPath(path), message: `${show(valueAt(data, issue.path))} is not one of ${options}` });
      continue;
    }
    if ("input" in issue && issue.input === undefined) {
      problems.push({ path: formatPath(path), message: "is missing (every field without a default must be set)" });
      continue;
    }
    problems.push({ path: formatPath(path), message: issue.message });
  }
  return problems;
}

/** The definition a clone names as its source; undefined when the matrix has none by that name (an own key only:
 * `__proto__` or `constructor` names no environment). */
const sourceDefinition = (def: MatrixDefinition, clone: EnvironmentClone) =>
  Object.hasOwn(def.environments, clone.cloneOf) ? def.environments[clone.cloneOf] : undefined;

/** Clones replaced by their source's settings with their own identity; a broken clone is left out. */
export function resolveMatrix(def: MatrixDefinition): Matrix {
  const environments: Record<string, EnvironmentSettings> = {};
  const clones: Record<string, string> = {};
  for (const [name, e] of Object.entries(def.environments ?? {})) {
    if (!isClone(e)) {
      environments[name] = e;
      continue;
    }
    const source = sourceDefinition(def, e);
    // a source the schema refused as a whole (null, a list) has no settings to give
    if (source !== null && typeof source === "object" && !Array.isArray(source) && !isClone(source)) {
      const own = Object.fromEntries(CLONE_OWN.map((field) => [field, e[field] === undefined ? source[field] : e[field]]));
      environments[name] = { ...source, identity: e.identity, purpose: e.purpose, ...own };
      clones[name] = e.cloneOf;
    }
  }
  return { ...def, environments, clones };
}

function cloneProblems(def: MatrixDefinition): Problem[] {
  const problems: Problem[] = [];
  for (const [name, e] of Object.entries(def.environments)) {
    // a cloneOf that is not a string is the schema's problem, reported once
    if (!isClone(e) || typeof e.cloneOf !== "string") continue;
    const source = sourceDefinition(def, e);
    if (source === undefined) problems.push({ path: `environments.${name}.cloneOf`, message: `${show(e.cloneOf)} is not an environment in environments` });
    else if (e.cloneOf === name) problems.push({ path: `environments.${name}.cloneOf`, message: `${show(e.cloneOf)} is this environment itself (a clone takes another environment's settings)` });
    else if (isClone(source)) problems.push({ path: `environments.${name}.cloneOf`, message: `${show(e.cloneOf)} is itself a clone (clone the original, ${show(source.cloneOf)})` });
  }
  return problems;
}

/** Whether path `a` is `b` or lies inside it. */
const within = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || a.startsWith(`${b}[`);
/** Whether two problem paths touch: one is the other, or lies inside it. */
const touches = (a: string, b: string) => within(a, b) || within(b, a);

/** The settings a clone may declare for itself: environmentCloneSchema's fields besides what makes it a clone. */
const CLONE_OWN = Object.keys(environmentCloneSchema.shape).filter((k) => !["cloneOf", "identity", "purpose"].includes(k)) as (keyof EnvironmentClone & keyof EnvironmentSettings)[];

/**
 * Whether `field` (relative to the environment) of environment `name` is a value a clone takes from its source:
 * everything but its identity, purpose and cloneOf, and the CLONE_OWN settings it declares.
 */
function inheritedField(def: MatrixDefinition, name: string, field: string): boolean {
  const e = def.environments[name];
  // the clone as a whole (field "") is what its source is, as each of its inherited fields
  if (!isClone(e) || /^(identity|purpose|cloneOf)(\.|\[|$)/.test(field)) return false;
  const [top] = field.split(/[.[]/);
  return !CLONE_OWN.some((own) => own === top && e[own] !== undefined);
}

/** The top level of the matrix; each environment is checked against its own kind (an environment, or a clone). */
const topLevelSchema = matrixDefinitionSchema.extend({ environments: z.unknown() });

/**
 * Every problem of the matrix, in a stable order (shape first, then the rules in table order); empty when the
 * matrix is valid. `rules` defaults to envmatrix's tables plus the team's policy rows.
 */
export function validateMatrix(def: MatrixDefinition, rules: readonly Rule[] = [...RULES, ...policy]): Problem[] {
  const data = def as any;
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    return [{ path: "matrix", message: `${show(def)} is not a matrix (an object with organization, services, promotionOrder, environments)` }];
  }
  // The top level; then each environment against its own kind (an environment, or a clone of one).
  const problems = shapeProblems(topLevelSchema, data, []);
  const environments = data.environments;
  if (environments === null || typeof environments !== "object" || Array.isArray(environments)) {
    problems.push({ path: "environments", message: `${show(environments)} is not a map of environments by name` });
    return problems;
  }
  if (Object.keys(environments).length === 0) problems.push({ path: "environments", message: "is empty (define at least one environment)" });
  for (const [name, e] of Object.entries<any>(environments)) {
    const badName = environmentNameSchema.safeParse(name);
    if (!badName.success) problems.push({ path: `environments.${name}`, message: badName.error.issues[0].message });
    const kind = e !== null && typeof e === "object" && "cloneOf" in e ? environmentCloneSchema : environmentSettingsSchema;
    problems.push(...shapeProblems(kind, e, ["environments", name]));
  }
  problems.push(...cloneProblems(def));

  // The rules read typed values: a rule is skipped where a field it reads was refused above.
  const refused = problems.map((p) => p.path);
  const m = resolveMatrix(def);
  const inherited = (name: string, field: string) => inheritedField(def, name, field);
  // an inherited value is valid where its source's is
  const sourceOf = (path: string): string => {
    const at = /^environments\.([^.[]+)\.?(.*)$/.exec(path);
    // a path outside the environments is its own (an environment may be named `undefined`)
    if (at === null) return path;
    const [, name, field] = at;
    if (!inherited(name, field)) return path;
    return path.replace(`environments.${name}`, `environments.${(def.environments[name] as EnvironmentClone).cloneOf}`);
  };
  // A clone left out of the resolved matrix is never valid: its source missing or itself a clone is a problem at
  // its cloneOf (inside it), its source refused is a problem at the source, which its inherited values map to.
  // clear of refusals: no refused path `meets` the path, nor the source's path it maps to
  // (the rules ask about the same paths again and again: each path's answer is worked out once; with nothing
  // refused, every path is clear)
  const clear = (meets: (refusedPath: string, path: string) => boolean) => {
    if (refused.length === 0) return () => true;
    const answers = new Map<string, boolean>();
    return (path: string) => {
      let answer = answers.get(path);
      if (answer === undefined) {
        const own = sourceOf(path);
        answer = !refused.some((r) => meets(r, own) || meets(r, path));
        answers.set(path, answer);
      }
      return answer;
    };
  };
  const valid = clear(touches);
  const shaped = clear((r, path) => within(path, r));
  problems.push(...evaluateRules(rules, m, { valid, shaped, inherited }));
  return problems;
}

/** The matrix is invalid; `message` lists every problem, one per line, under the file's name. */
export class MatrixError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly Problem[],
  ) {
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    // one line each: a pull request's keys reach the path (a rule names its environment), and a line break there would
    // start a line of the CI log with whatever follows (GitHub reads `::warning::` and the like at a line's start)
    super([`${file}: ${count}`, ...problems.map((p) => oneLine(`  ${p.path}: ${p.message}`))].join("\n"));
    this.name = "MatrixError";
  }
}

/** The resolved matrix, once it is known to be valid; throws a `MatrixError` listing every problem otherwise. */
export function checkMatrix(def: MatrixDefinition, file: string): Matrix {
  const problems = validateMatrix(def);
  if (problems.length > 0) throw new MatrixError(file, problems);
  return resolveMatrix(def);
}
