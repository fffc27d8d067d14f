/**
 * Before a pull request's synthesized stack is planned with read-only credentials, trusted code (the default
 * branch's) checks that planning it cannot send those credentials anywhere but the real endpoints or read what
 * it should not: the same providers and backend the default branch's matrix gives, only resource and data
 * types envmatrix itself writes, no provisioners, no import blocks but the default branch's, no expression that
 * reads a file of the runner (where the kubeconfig is). What fails is planned after merge instead, by the deploy workflow.
 */
import { REPLACING_ATTRIBUTES } from "./stack-diff";

/** Resource types envmatrix writes (the reviewer tools know each one's replacing attributes). */
export const PLANNABLE_RESOURCE_TYPES: ReadonlySet<string> = new Set(Object.keys(REPLACING_ATTRIBUTES));
/** Data sources envmatrix reads: reviewer lookups by slug and login, nothing that returns a secret. */
export const PLANNABLE_DATA_TYPES: ReadonlySet<string> = new Set(["github_team", "github_user"]);
// `moved` and `removed` blocks change what the state calls an object or whether it holds it, on apply; a plan of
// them reads nothing more than the state (a split environment's stack carries removed blocks for good)
const TOP_LEVEL = new Set(["//", "terraform", "provider", "resource", "data", "moved", "removed"]);
/** Terraform functions that read the runner's file system. */
const READS_FILES = /\b(file|filebase64|filebase64sha256|filebase64sha512|filemd5|filesha1|filesha256|filesha512|fileexists|fileset|templatefile|pathexpand|abspath)\s*\(/;

/** JSON with sorted keys: equal settings compare equal whatever their key order or origin. */
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x) => (x !== null && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x));
const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);

function strings(value: unknown, at: string, out: Array<[string, string]>): Array<[string, string]> {
  if (typeof value === "string") out.push([at, value]);
  else if (Array.isArray(value)) value.forEach((v, i) => strings(v, `${at}[${i}]`, out));
  else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) strings(v, at ? `${at}.${k}` : k, out);
  return out;
}

/** Every reason `head` (a pull request's stack) may not be planned, judged against `trusted` (the default branch's); empty when it may. */
export function vetStackForPlan(stack: string, head: Record<string, any>, trusted: Record<string, any> | undefined): string[] {
  const problems: string[] = [];
  const say = (m: string) => problems.push(`${stack}: ${m}`);
  if (trusted === undefined) return [`${stack}: is a new stack (planned after merge, once its credentials exist)`];
  for (const key of Object.keys(head)) if (!TOP_LEVEL.has(key) && key !== "import") say(`"${key}" blocks are not planned from a pull request`);
  // an import block reads the object it names into the plan (and its output): only the default branch's, which
  // review let in (the environment's namespace, constructs/adopt.ts), are planned from a pull request
  if (!same(head.import ?? [], trusted.import ?? [])) say("import blocks differ from the default branch's (the plan would read the objects they name): planned after merge");
  if (!same(head.provider, trusted.provider)) say("provider settings differ from the default branch's (credentials would go elsewhere): planned after merge");
  if (!same(head.terraform, trusted.terraform)) say("backend or required providers differ from the default branch's: planned after merge");
  for (const [type, byName] of Object.entries<Record<string, any>>(head.resource ?? {})) {
    if (!PLANNABLE_RESOURCE_TYPES.has(type)) say(`resource type ${type} is not one envmatrix writes`);
    for (const [name, r] of Object.entries(byName ?? {})) {
      if (r && typeof r === "object" && ("provisioner" in r || "connection" in r)) say(`${type}.${name} has a provisioner`);
    }
  }
  for (const type of Object.keys(head.data ?? {})) if (!PLANNABLE_DATA_TYPES.has(type)) say(`data source ${type} is not one envmatrix reads`);
  for (const [at, s] of strings({ resource: head.resource, data: head.data }, "", [])) {
    if (READS_FILES.test(s)) say(`${at} reads a file of the runner (${s.slice(0, 60)})`);
  }
  return problems;
}
