/**
 * Before a pull request's synthesized stack is planned with read-only credentials, trusted code (the default
 * branch's) checks that planning it cannot send those credentials anywhere but the real endpoints or read what
 * it should not: the same providers and backend the default branch's matrix gives, only resource and data
 * types envmatrix itself writes, no provisioners, no import blocks but the default branch's, and no expression but
 * the few forms envmatrix writes. What fails is planned after merge instead, by the deploy workflow.
 *
 * Expressions are allowed by form, not refused by name: Terraform's JSON syntax evaluates every string as a template
 * (`${…}`, `%{…}`), object keys included, and its expression syntax takes comments and spacing anywhere, even
 * between a function's name and its parenthesis, so no list of forbidden functions can be complete. What is planned is the vetted object
 * itself, written again (`--write`): a repeated key, which JSON.parse drops but Terraform merges, cannot carry a
 * block past the vetting.
 */
import { REPLACING_ATTRIBUTES } from "./stack-diff";
import { oneLine } from "../config/validate";
import { isPlainObject, sameJson as same } from "./json";

/** Resource types envmatrix writes (the reviewer tools know each one's replacing attributes). */
export const PLANNABLE_RESOURCE_TYPES: ReadonlySet<string> = new Set(Object.keys(REPLACING_ATTRIBUTES));
/** Data sources envmatrix reads: reviewer lookups by slug and login, nothing that returns a secret. */
export const PLANNABLE_DATA_TYPES: ReadonlySet<string> = new Set(["github_team", "github_user"]);
// `moved` and `removed` blocks change what the state calls an object or whether it holds it, on apply; a plan of
// them reads nothing more than the state (a split environment's stack carries removed blocks for good)
const TOP_LEVEL = new Set(["//", "terraform", "provider", "resource", "data", "moved", "removed"]);
/** A reference to another block's attribute (`type.name.attr`, `data.type.name.attr[0].x`) or to `each`. */
const REFERENCE = /^(?:each\.(?:key|value)|(?:data\.)?[a-z][a-z0-9_]*\.[a-z_][a-z0-9_-]*(?:\.[a-z_][a-z0-9_]*|\[\d+\])+)$/;
/** A literal string in an expression: no template, escape or quote inside it. */
const LITERAL = '"[A-Za-z0-9 _.:/@*+=,#-]*"';
/** The only expressions envmatrix writes, each a whole string; anything else with `${` or `%{` is refused. */
const EXPRESSIONS: readonly RegExp[] = [
  // a set of literal strings: a for_each over branch patterns, teams, users
  new RegExp(`^\\$\\{toset\\(\\[(?:${LITERAL}(?:, ${LITERAL})*)?\\]\\)\\}$`),
  // the numeric ids of a for_each of reviewer lookups (constructs/github-environment.ts)
  /^\$\{\[ for key, val in data\.github_(?:team|user)\.[a-z0-9_]+: tonumber\(val\.id\)\]\}$/,
];
const allowedExpression = (s: string): boolean => {
  const reference = /^\$\{(.*)\}$/.exec(s)?.[1];
  return (reference !== undefined && REFERENCE.test(reference)) || EXPRESSIONS.some((e) => e.test(s));
};


/** Every string of `value` with its path, object keys included (Terraform evaluates those as templates too). */
function strings(value: unknown, at: string, out: Array<[string, string]>): Array<[string, string]> {
  if (typeof value === "string") out.push([at, value]);
  else if (Array.isArray(value)) value.forEach((v, i) => strings(v, `${at}[${i}]`, out));
  else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const path = at ? `${at}.${k}` : k;
      out.push([`${path} (a key)`, k]);
      strings(v, path, out);
    }
  }
  return out;
}

/** Every reason `head` (a pull request's stack) may not be planned, judged against `trusted` (the default branch's); empty when it may. */
export function vetStackForPlan(stack: string, head: Record<string, any>, trusted: Record<string, any> | undefined): string[] {
  const problems: string[] = [];
  // one line each, whatever the pull request's keys hold: the review puts these lines into a fenced block of its
  // comment, which a key's line break and ``` would close (and what follows could hide the diffs below)
  const say = (m: string) => problems.push(oneLine(`${stack}: ${m}`));
  if (trusted === undefined) return [`${stack}: is a new stack (planned after merge, once its credentials exist)`];
  for (const key of Object.keys(head)) if (!TOP_LEVEL.has(key) && key !== "import") say(`"${key}" blocks are not planned from a pull request`);
  // an import block reads the object it names into the plan (and its output): only the default branch's, which
  // review let in (the environment's namespace, constructs/adopt.ts), are planned from a pull request
  if (!same(head.import ?? [], trusted.import ?? [])) say("import blocks differ from the default branch's (the plan would read the objects they name): planned after merge");
  if (!same(head.provider, trusted.provider)) say("provider settings differ from the default branch's (credentials would go elsewhere): planned after merge");
  if (!same(head.terraform, trusted.terraform)) say("backend or required providers differ from the default branch's: planned after merge");
  // a block's body as envmatrix writes it: one object (Terraform's JSON syntax also takes a list of bodies, which
  // the checks below would not look into)
  const isBody = isPlainObject;
  for (const kind of ["resource", "data"] as const) {
    if (head[kind] === undefined) continue;
    if (!isBody(head[kind])) say(`"${kind}" is not one object (envmatrix writes each block as one)`);
    else for (const [type, byName] of Object.entries(head[kind])) if (!isBody(byName)) say(`${kind}.${type} is not one object (envmatrix writes each block as one)`);
  }
  for (const [type, byName] of Object.entries<Record<string, any>>(head.resource ?? {})) {
    if (!PLANNABLE_RESOURCE_TYPES.has(type)) say(`resource type ${type} is not one envmatrix writes`);
    for (const [name, r] of Object.entries(byName ?? {})) {
      if (!isBody(r)) say(`${type}.${name} is not one object (envmatrix writes each block as one)`);
      else if ("provisioner" in r || "connection" in r) say(`${type}.${name} has a provisioner`);
    }
  }
  for (const [type, byName] of Object.entries<Record<string, any>>(head.data ?? {})) {
    if (!PLANNABLE_DATA_TYPES.has(type)) say(`data source ${type} is not one envmatrix reads`);
    for (const [name, d] of Object.entries(byName ?? {})) if (!isBody(d)) say(`data.${type}.${name} is not one object (envmatrix writes each block as one)`);
  }
  // every block but cdktf's metadata ("//", which Terraform ignores)
  const { "//": _metadata, ...blocks } = head;
  for (const [at, s] of strings(blocks, "", [])) {
    if (/[$%]\{/.test(s) && !allowedExpression(s)) say(`${at} holds an expression envmatrix does not write (${JSON.stringify(s.slice(0, 80))})`);
  }
  return problems;
}
