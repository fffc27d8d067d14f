/**
 * What `npm run adopt` looks for: from a synthesized stack (cdk.tf.json), each resource instance the stack would
 * create, where its object would already live (the name or key the matrix gave it) and, once found, the Terraform
 * import id of that object in its provider's documented format. Pure: no client, no network (review/adopt.ts does
 * the looking up).
 *
 * Import id formats, per resource type, with their sources: constructs/adopt.ts (IMPORT_ID_FORMAT).
 */

/** Where an object lives, as the system's own API names it. */
export type Locator =
  | { readonly system: "kubernetes"; readonly kind: KubernetesKind; readonly namespace?: string; readonly name: string }
  | { readonly system: "kubernetes"; readonly kind: "custom"; readonly group: string; readonly version: string; readonly plural: string; readonly namespace: string; readonly name: string }
  | { readonly system: "vault"; readonly kind: "policy" | "role"; readonly path: string; readonly name: string }
  | { readonly system: "datadog"; readonly kind: "monitor" | "slo" | "dashboard"; readonly name: string }
  | { readonly system: "github"; readonly kind: "environment"; readonly repository: string; readonly environment: string }
  | { readonly system: "github"; readonly kind: "deployment-policy"; readonly repository: string; readonly environment: string; readonly pattern: string }
  | { readonly system: "github"; readonly kind: "ruleset"; readonly repository: string; readonly name: string }
  | { readonly system: "github"; readonly kind: "variable"; readonly repository: string; readonly environment: string; readonly name: string };

export type KubernetesKind = "Namespace" | "ServiceAccount" | "ConfigMap" | "NetworkPolicy" | "ResourceQuota" | "LimitRange";

export interface Target {
  /** The resource instance's Terraform address, e.g. `kubernetes_config_map_v1.profile`. */
  readonly address: string;
  readonly type: string;
  readonly locate: Locator;
  /** The resource's arguments as synthesized, with references to other resources of the stack resolved where they can be. */
  readonly desired: Record<string, unknown>;
}

/** A value that depends on something only known at plan or apply time (a data source, a computed id). */
export const UNKNOWN: unique symbol = Symbol("unknown until plan");

/** What a lookup found: the id the API gives the object (Datadog's and GitHub's numbers), when the import id needs it. */
export interface Found {
  readonly remoteId?: string | number;
}

/**
 * The import id of `target`'s object when the stack's own configuration gives it (a Kubernetes object's
 * namespace and name, a Vault path, a GitHub environment or variable); undefined when only the API knows it
 * (Datadog's ids, GitHub's policy and ruleset numbers).
 */
export function configuredImportId(target: Target): string | undefined {
  const l = target.locate;
  // (each kind belongs to one system: a kind alone says which)
  if (l.system === "datadog" || l.kind === "deployment-policy" || l.kind === "ruleset") return undefined;
  return importId(target, {});
}

/** What adopt found an object by, when its import id is the API's: written beside the id, checked by synth. */
export function lookupName(target: Target): string | undefined {
  const l = target.locate;
  if (l.system === "datadog") return l.name;
  if (l.kind === "deployment-policy") return `${l.environment}: ${l.pattern}`;
  if (l.kind === "ruleset") return l.name;
  return undefined;
}

/**
 * A name as Go's url.PathEscape writes it into a path segment: letters, digits, `-_.~` and `$&+:=@` stay, every
 * other byte is %XX (encodeURIComponent also leaves `!'()*`, which Go escapes).
 */
const pathEscape = (name: string) =>
  encodeURIComponent(name)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%(3A|40|26|3D|2B|24)/g, (e) => decodeURIComponent(e));

/** The import id of `target`'s object, in its provider's documented format (constructs/adopt.ts). */
export function importId(target: Target, found: Found): string {
  const l = target.locate;
  switch (l.system) {
    case "kubernetes":
      if (l.kind === "custom") return `apiVersion=${l.group}/${l.version},kind=${String((target.desired.manifest as Record<string, unknown>).kind)},namespace=${l.namespace},name=${l.name}`;
      return l.namespace === undefined ? l.name : `${l.namespace}/${l.name}`;
    case "vault":
      return l.kind === "policy" ? l.name : l.path;
    case "datadog":
      return String(found.remoteId);
    case "github":
      switch (l.kind) {
        case "environment":
          return `${l.repository}:${l.environment}`;
        case "deployment-policy":
          // escaped as the provider's Create stores it: its Read puts the id's name into the URL as it is (github
          // 6.9.0 resource_github_repository_environment_deployment_policy.go, unlike the environment's and the
          // variable's Read, which escape it themselves)
          return `${l.repository}:${pathEscape(l.environment)}:${found.remoteId}`;
        case "ruleset":
          return `${l.repository}:${found.remoteId}`;
        case "variable":
          return `${l.repository}:${l.environment}:${l.name}`;
      }
  }
}

type Json = Record<string, any>;

/** One instance of a resource: no key, a `count` index or a `for_each` key (with `each.value`). */
interface Instance {
  readonly key?: string | number;
  readonly each?: unknown;
}

/** The instances of `r`, when its `count` or `for_each` is a literal; undefined when only plan can tell. */
function instancesOf(r: Json): Instance[] | undefined {
  if (r.count !== undefined) return typeof r.count === "number" ? Array.from({ length: r.count }, (_, i) => ({ key: i })) : undefined;
  if (r.for_each !== undefined) {
    const m = typeof r.for_each === "string" ? /^\$\{toset\((\[.*\])\)\}$/s.exec(r.for_each) : null;
    if (!m) return undefined;
    const values: unknown[] = JSON.parse(m[1]);
    return [...new Set(values.map(String))].map((v) => ({ key: v, each: v }));
  }
  return [{}];
}

/** `type.name`, `type.name[0]` or `type.name["key"]` (JSON writes a number bare and a string quoted, as Terraform does). */
const instanceAddress = (type: string, name: string, i: Instance) => (i.key === undefined ? `${type}.${name}` : `${type}.${name}[${JSON.stringify(i.key)}]`);

/**
 * `value` with `${each.value}` and plain references to another single-instance resource's literal attribute
 * (`${vault_policy.policy.name}`, `${kubernetes_namespace_v1.namespace.metadata[0].name}`) replaced by that
 * attribute's synthesized value; anything else with `${…}` in it becomes UNKNOWN.
 */
function resolve(stack: Json, value: unknown, each: unknown, depth = 0): unknown {
  if (typeof value === "string") {
    if (!value.includes("${")) return value;
    if (value === "${each.value}" && each !== undefined) return each;
    const m = /^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)((?:\.[a-z0-9_]+|\[0\])+)\}$/.exec(value);
    const r = m ? stack.resource?.[m[1]]?.[m[2]] : undefined;
    if (!m || !r || r.count !== undefined || r.for_each !== undefined || depth > 8) return UNKNOWN;
    let at: unknown = r;
    for (const step of m[3].match(/\.[a-z0-9_]+|\[0\]/g)!) {
      // a nested block is an object in cdk.tf.json, a one-element list in Terraform's references
      if (step === "[0]") at = Array.isArray(at) ? at[0] : at;
      else at = at !== null && typeof at === "object" ? (at as Json)[step.slice(1)] : undefined;
    }
    return at === undefined ? UNKNOWN : resolve(stack, at, undefined, depth + 1);
  }
  if (Array.isArray(value)) return value.map((v) => resolve(stack, v, each, depth));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).filter(([k]) => k !== "//" && k !== "lifecycle" && k !== "count" && k !== "for_each").map(([k, v]) => [k, resolve(stack, v, each, depth)]));
  }
  return value;
}

const KUBERNETES_KINDS: Readonly<Record<string, KubernetesKind>> = {
  kubernetes_namespace_v1: "Namespace",
  kubernetes_service_account_v1: "ServiceAccount",
  kubernetes_config_map_v1: "ConfigMap",
  kubernetes_network_policy_v1: "NetworkPolicy",
  kubernetes_resource_quota_v1: "ResourceQuota",
  kubernetes_limit_range_v1: "LimitRange",
};

/** Plural resource names of the custom kinds the stacks write (external-secrets.io's CRDs). */
const CUSTOM_PLURALS: Readonly<Record<string, string>> = { ExternalSecret: "externalsecrets", SecretStore: "secretstores" };

const text = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/** Where the object of a resource of `type` with arguments `d` lives; undefined when its name is only known at plan. */
function locatorOf(type: string, d: Json): Locator | undefined {
  const kind = KUBERNETES_KINDS[type];
  if (kind) {
    const name = text(d.metadata?.name);
    const namespace = text(d.metadata?.namespace);
    if (!name || (kind !== "Namespace" && !namespace)) return undefined;
    return { system: "kubernetes", kind, name, ...(kind === "Namespace" ? {} : { namespace }) };
  }
  switch (type) {
    case "kubernetes_manifest": {
      const mf = d.manifest ?? {};
      const [group, version] = String(mf.apiVersion ?? "").split("/");
      const name = text(mf.metadata?.name);
      const namespace = text(mf.metadata?.namespace);
      const plural = CUSTOM_PLURALS[mf.kind];
      return name && namespace && plural && version ? { system: "kubernetes", kind: "custom", group, version, plural, namespace, name } : undefined;
    }
    case "vault_policy":
      return text(d.name) ? { system: "vault", kind: "policy", path: `sys/policies/acl/${d.name}`, name: d.name } : undefined;
    case "vault_kubernetes_auth_backend_role":
    case "vault_jwt_auth_backend_role":
      return text(d.backend) && text(d.role_name) ? { system: "vault", kind: "role", path: `auth/${d.backend}/role/${d.role_name}`, name: d.role_name } : undefined;
    case "datadog_monitor":
      return text(d.name) ? { system: "datadog", kind: "monitor", name: d.name } : undefined;
    case "datadog_service_level_objective":
      return text(d.name) ? { system: "datadog", kind: "slo", name: d.name } : undefined;
    case "datadog_dashboard_json": {
      // the dashboard's title, in its JSON
      let title: unknown;
      try {
        title = typeof d.dashboard === "string" ? JSON.parse(d.dashboard).title : undefined;
      } catch {
        // not JSON: no title, so no name to look it up by
      }
      return text(title) && !String(title).includes("${") ? { system: "datadog", kind: "dashboard", name: String(title) } : undefined;
    }
    case "github_repository_environment":
      return text(d.repository) && text(d.environment) ? { system: "github", kind: "environment", repository: d.repository, environment: d.environment } : undefined;
    case "github_repository_environment_deployment_policy":
      return text(d.repository) && text(d.environment) && text(d.branch_pattern) ? { system: "github", kind: "deployment-policy", repository: d.repository, environment: d.environment, pattern: d.branch_pattern } : undefined;
    case "github_repository_ruleset":
      return text(d.repository) && text(d.name) ? { system: "github", kind: "ruleset", repository: d.repository, name: d.name } : undefined;
    case "github_actions_environment_variable":
      return text(d.repository) && text(d.environment) && text(d.variable_name) ? { system: "github", kind: "variable", repository: d.repository, environment: d.environment, name: d.variable_name } : undefined;
  }
  return undefined;
}

/** Resource types adopt knows how to find; any other type in a stack is listed as one adopt cannot look up. */
export const ADOPTABLE_TYPES: readonly string[] = [
  ...Object.keys(KUBERNETES_KINDS),
  "kubernetes_manifest",
  "vault_policy",
  "vault_kubernetes_auth_backend_role",
  "vault_jwt_auth_backend_role",
  "datadog_monitor",
  "datadog_service_level_objective",
  "datadog_dashboard_json",
  "github_repository_environment",
  "github_repository_environment_deployment_policy",
  "github_repository_ruleset",
  "github_actions_environment_variable",
];

export interface Targets {
  readonly targets: Target[];
  /** Addresses the stack adopts by itself (its own import blocks: the namespace, constructs/adopt.ts). */
  readonly adoptedByStack: string[];
  /** Resource instances adopt cannot look up, with why. */
  readonly skipped: { address: string; why: string }[];
}

/**
 * Every instance of `type` in `stack`, located as adopt locates it, for a check that compares each with its live
 * object (review/admissions.ts, bypass-lists.ts, vault-roles.ts, cluster-fields.ts). Import blocks do not take an
 * instance out (an adopted object is compared like any other), and one that cannot be located (a name or count only
 * a plan knows) is refused: the check would otherwise pass on what it never read.
 */
export function locatedInstances(stack: Json, type: string): Target[] {
  const { targets, skipped } = adoptionTargets({ ...stack, import: undefined });
  const unlocated = skipped.filter((s) => s.address.startsWith(`${type}.`));
  if (unlocated.length > 0) throw new Error(unlocated.map((s) => `${s.address}: ${s.why}`).join("; "));
  return targets.filter((t) => t.type === type);
}

/**
 * Every resource instance of `stack` (a synthesized cdk.tf.json, without adopt's own import blocks), in address
 * order, with where its object would live.
 */
export function adoptionTargets(stack: Json): Targets {
  const own = new Set<string>((stack.import ?? []).map((i: { to: string }) => i.to));
  const out: Targets = { targets: [], adoptedByStack: [], skipped: [] };
  for (const [type, byName] of Object.entries<Json>(stack.resource ?? {})) {
    for (const [name, r] of Object.entries<Json>(byName)) {
      const instances = instancesOf(r);
      if (instances === undefined) {
        out.skipped.push({ address: `${type}.${name}`, why: "its instances are known only at plan (count or for_each over a data source)" });
        continue;
      }
      for (const i of instances) {
        const address = instanceAddress(type, name, i);
        if (own.has(address)) {
          out.adoptedByStack.push(address);
          continue;
        }
        const desired = resolve(stack, r, i.each) as Json;
        const locate = ADOPTABLE_TYPES.includes(type) ? locatorOf(type, desired) : undefined;
        if (locate) out.targets.push({ address, type, locate, desired });
        else out.skipped.push({ address, why: ADOPTABLE_TYPES.includes(type) ? "its name is known only at plan" : `adopt does not look up ${type}` });
      }
    }
  }
  const byAddress = (a: { address: string }, b: { address: string }) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0);
  out.targets.sort(byAddress);
  out.skipped.sort(byAddress);
  out.adoptedByStack.sort();
  return out;
}

