/**
 * Objects that existed before envmatrix managed them, taken over by Terraform `import` blocks: the files
 * `npm run adopt -- <stack>` writes, `stacks/adopted/<stack>.json`, one per stack, committed with the change
 * that adopts them. On synth each entry becomes an import block on the stack's resource (constructs/adopt.ts);
 * once the objects are in state the blocks are no-ops, and the file may be deleted. With no file, a stack's
 * output is exactly what it was before adopt existed.
 *
 * A file is checked before anything is written: every entry must name a resource the stack synthesizes, once,
 * with an import id in that resource type's documented format (constructs/adopt.ts); otherwise synth exits 1
 * listing every problem, and an earlier cdktf.out stays as it was.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { TerraformResource, type TerraformStack } from "cdktf";
import { IMPORT_ID_FORMAT, ImportBlock, adoptExisting } from "../constructs/adopt";
import { MatrixError, type Problem } from "../config/validate";
import { adoptionTargets, configuredImportId, lookupName } from "./adopt-targets";

/** Where the adopt files live, relative to the repository. */
export const ADOPTED_DIR = "stacks/adopted";

export interface Adoption {
  /** The resource instance's address: `type.name`, `type.name[0]` or `type.name["key"]`. */
  readonly to: string;
  readonly id: string;
  /** Where the id is the API's (a Datadog monitor's number), the name adopt found the object by. */
  readonly name?: string;
}

/** Per stack name, its adoptions in the order of the file. */
export type Adoptions = Readonly<Record<string, readonly Adoption[]>>;

/** The adopt files in `dir` (absolute), by stack name; none when the directory does not exist. */
export function readAdoptions(dir: string): Adoptions {
  if (!fs.existsSync(dir)) return {};
  const out: Record<string, Adoption[]> = {};
  const problems: Array<{ file: string; problems: Problem[] }> = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
    const shown = `${ADOPTED_DIR}/${file}`;
    let json: unknown;
    try {
      json = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"));
    } catch (err) {
      problems.push({ file: shown, problems: [{ path: "(file)", message: `is not JSON (${(err as Error).message})` }] });
      continue;
    }
    const list = (json as { import?: unknown })?.import;
    if (!Array.isArray(list)) {
      problems.push({ file: shown, problems: [{ path: "import", message: "must be a list of { to, id } (the file npm run adopt writes)" }] });
      continue;
    }
    const bad: Problem[] = [];
    list.forEach((e, i) => {
      if (typeof e?.to !== "string" || e.to === "") bad.push({ path: `import[${i}].to`, message: "must be a resource address, e.g. kubernetes_config_map_v1.profile" });
      if (typeof e?.id !== "string" || e.id === "") bad.push({ path: `import[${i}].id`, message: "must be the object's import id (a non-empty string)" });
      if (e?.name !== undefined && typeof e.name !== "string") bad.push({ path: `import[${i}].name`, message: "must be the name adopt found the object by (a string)" });
    });
    if (bad.length > 0) problems.push({ file: shown, problems: bad });
    else out[file.replace(/\.json$/, "")] = list.map((e) => ({ to: e.to, id: e.id, ...(e.name !== undefined ? { name: e.name } : {}) }));
  }
  if (problems.length > 0) throw adoptionError(problems);
  return out;
}

function adoptionError(all: Array<{ file: string; problems: Problem[] }>): MatrixError {
  return new MatrixError(ADOPTED_DIR, all.flatMap((f) => f.problems.map((p) => ({ path: `${path.basename(f.file)}: ${p.path}`, message: p.message }))));
}

/** `type.name` and the instance key (`[0]`, `["main"]`) of an address; undefined when it is not one. */
function parseAddress(to: string): { base: string; type: string; key?: string } | undefined {
  const m = /^([a-z0-9_]+)\.([A-Za-z0-9_-]+)(\[(?:\d+|"(?:[^"\\]|\\.)*")\])?$/.exec(to);
  return m ? { base: `${m[1]}.${m[2]}`, type: m[1], key: m[3] } : undefined;
}

/**
 * Whether an entry names this stack's object: an instance the stack has; an id the stack's configuration gives
 * (a Kubernetes object's namespace and name, a Vault path, a GitHub environment) exactly; for an id only the API
 * knows (Datadog's, GitHub's numbers), the name adopt found it by is this resource's. Otherwise a stale or
 * copied entry would import another environment's object, and the plan would rewrite it.
 */
function belongsToStack(a: Adoption, t: ReturnType<typeof adoptionTargets>): { field: "to" | "id" | "name"; message: string } | undefined {
  const target = t.targets.find((x) => x.address === a.to);
  if (!target) {
    const base = a.to.replace(/\[.*$/, "");
    // instances only the plan knows (for_each over a data source) cannot be checked here
    if (t.skipped.some((x) => x.address === base || x.address === a.to)) return undefined;
    const instances = t.targets.filter((x) => x.address.startsWith(`${base}[`)).map((x) => x.address.slice(base.length));
    return { field: "to", message: `${a.to}: the stack has no such instance (${instances.length > 0 ? `its instances: ${instances.join(", ")}` : "none: its count is 0"})` };
  }
  const expected = configuredImportId(target);
  // kubernetes_manifest's key=value parts may come in any order (the provider's ParseResourceID)
  const same = (x: string, y: string) => (target.type === "kubernetes_manifest" ? x.split(",").sort().join(",") === y.split(",").sort().join(",") : x === y);
  if (expected !== undefined && !same(a.id, expected)) return { field: "id", message: `"${a.id}" is not this stack's object: the stack's is ${expected} (another's would be imported, then rewritten by the plan)` };
  const name = lookupName(target);
  if (name !== undefined && a.name === undefined) return { field: "name", message: `is missing: the id is the API's, so adopt writes the name it found the object by (${JSON.stringify(name)}); run npm run adopt again` };
  if (name !== undefined && a.name !== name) return { field: "name", message: `${JSON.stringify(a.name)} is not this resource's object: it is ${JSON.stringify(name)} (another's would be imported, then rewritten by the plan)` };
  return undefined;
}

/**
 * Adds each adoption of `stack` as an import block on its resource. Throws a MatrixError naming the file, the
 * entry and the rule for every entry that does not fit the stack.
 */
export function applyAdoptions(stack: TerraformStack, adoptions: readonly Adoption[] | undefined): void {
  if (!adoptions || adoptions.length === 0) return;
  const file = `${ADOPTED_DIR}/${stack.node.id}.json`;
  const resources = new Map<string, TerraformResource>();
  // the stack's own import blocks (the namespace, constructs/adopt.ts)
  const own = new Set<string>();
  for (const c of stack.node.findAll()) {
    if (c instanceof TerraformResource) resources.set(`${c.terraformResourceType}.${c.friendlyUniqueId}`, c);
    else if (c instanceof ImportBlock) own.add(c.to);
  }
  const seen = new Set<string>();
  const problems: Problem[] = [];
  // the stack as it synthesizes (once, and only for a stack with an adopt file): where each resource's object lives
  let synthesized: ReturnType<typeof adoptionTargets> | undefined;
  const targets = () => (synthesized ??= adoptionTargets(stack.toTerraform() as Record<string, any>));
  const todo: Array<{ resource: TerraformResource; key?: string; id: string }> = [];
  adoptions.forEach((a, i) => {
    const at = `import[${i}]`;
    const address = parseAddress(a.to);
    const resource = address && resources.get(address.base);
    if (!address) problems.push({ path: `${at}.to`, message: `${a.to} is not a resource address (type.name, type.name[0] or type.name["key"])` });
    else if (!resource) problems.push({ path: `${at}.to`, message: `${a.to}: stack ${stack.node.id} has no resource ${address.base} (renamed or removed since adopt ran: run npm run adopt -- ${stack.node.id} again, or delete the entry)` });
    else if (own.has(a.to)) problems.push({ path: `${at}.to`, message: `${a.to}: the stack already imports it itself (constructs/adopt.ts); delete the entry` });
    else if (seen.has(a.to)) problems.push({ path: `${at}.to`, message: `${a.to} is adopted twice; Terraform takes one import block per address` });
    else if ((resource.count !== undefined || resource.forEach !== undefined) !== (address.key !== undefined))
      problems.push({ path: `${at}.to`, message: address.key === undefined ? `${a.to} has count or for_each: name one instance, e.g. ${a.to}["key"]` : `${address.base} has one instance: no [key] after it` });
    else {
      const format = IMPORT_ID_FORMAT[address.type];
      if (format && !format.pattern.test(a.id)) problems.push({ path: `${at}.id`, message: `"${a.id}" is not a ${address.type} import id: the provider expects ${format.shape}` });
      else {
        const problem = belongsToStack(a, targets());
        if (problem) problems.push({ path: `${at}.${problem.field}`, message: problem.message });
        else todo.push({ resource, key: address.key, id: a.id });
      }
    }
    seen.add(a.to);
  });
  if (problems.length > 0) throw new MatrixError(file, problems);
  for (const t of todo) adoptExisting(t.resource, t.id, t.key);
}
