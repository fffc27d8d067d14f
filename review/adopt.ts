/**
 * `npm run adopt -- <stack>`: looks up, with the credentials `plan` uses, each object the stack would create
 * (stacks/adopt-targets.ts says where), and says per Terraform address whether it already exists, its import id
 * and where it differs from what the stack sets (what the first plan after the import will change). Read-only:
 * GETs only, through each ecosystem's client (@kubernetes/client-node, Vault's HTTP API, @datadog/datadog-api-client,
 * @octokit/rest). The command (scripts/cli.ts) writes the import blocks of the objects found exactly once.
 */
import * as k8s from "@kubernetes/client-node";
import { datadogConfiguration, ddV1 } from "./datadog-client";
import { monitorBody, type Endpoints } from "./preflight";
import { errorText, httpStatus } from "./http-errors";
import { vaultGet } from "./vault-http";
import { UNKNOWN, importId, lookupName, type Locator, type Target } from "../stacks/adopt-targets";

/** Preflight's endpoints (the credentials `plan` uses), and the stack's kube context and the repositories' owner. */
export interface AdoptEndpoints extends Endpoints {
  /** The context the stack's Kubernetes provider uses; absent for a stack without Kubernetes. */
  readonly kubeContext?: string;
  readonly githubOwner: string;
}

export type Status = "found" | "missing" | "duplicate" | "denied" | "failed";

export interface Row {
  readonly address: string;
  readonly status: Status;
  /** The object's import id (found only). */
  readonly importId?: string;
  /** Attributes the stack sets that differ on the object (found only): the first plan after the import updates them. */
  readonly changes?: readonly string[];
  /** Attributes whose value only the plan knows (a data source's id): not compared. */
  readonly notCompared?: readonly string[];
  /** The name adopt found the object by, where its import id is the API's (stacks/adopt-targets.ts lookupName). */
  readonly name?: string;
  /** What was looked up, or why it could not be. */
  readonly detail: string;
}

type Json = Record<string, any>;

/** What one lookup gives: the object(s) found under the name, or why none could be read. */
type Lookup = { objects: Array<{ remoteId?: string | number; actual: Json }> } | { denied: string } | { failed: string };

/** A failed read as a lookup: 404 is "not there", 401/403 "not allowed", anything else a failure. */
function fromError(err: unknown): Lookup {
  const status = httpStatus(err);
  if (status === 404) return { objects: [] };
  if (status === 401 || status === 403) return { denied: `HTTP ${status}` };
  return { failed: errorText(err) };
}

// ---------------------------------------------------------------------------------------------- Kubernetes

function kubeClients(ep: AdoptEndpoints) {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(ep.kubeconfigPath);
  if (ep.kubeContext) kc.setCurrentContext(ep.kubeContext);
  return { core: kc.makeApiClient(k8s.CoreV1Api), net: kc.makeApiClient(k8s.NetworkingV1Api), custom: kc.makeApiClient(k8s.CustomObjectsApi) };
}

async function kubernetesLookup(clients: ReturnType<typeof kubeClients>, l: Extract<Locator, { system: "kubernetes" }>): Promise<Lookup> {
  const { core, net, custom } = clients;
  const ns = l.namespace ?? "";
  try {
    let actual: unknown;
    switch (l.kind) {
      case "Namespace":
        actual = await core.readNamespace({ name: l.name });
        break;
      case "ServiceAccount":
        actual = await core.readNamespacedServiceAccount({ name: l.name, namespace: ns });
        break;
      case "ConfigMap":
        actual = await core.readNamespacedConfigMap({ name: l.name, namespace: ns });
        break;
      case "ResourceQuota":
        actual = await core.readNamespacedResourceQuota({ name: l.name, namespace: ns });
        break;
      case "LimitRange":
        actual = await core.readNamespacedLimitRange({ name: l.name, namespace: ns });
        break;
      case "NetworkPolicy":
        actual = await net.readNamespacedNetworkPolicy({ name: l.name, namespace: ns });
        break;
      case "custom":
        actual = await custom.getNamespacedCustomObject({ group: l.group, version: l.version, namespace: l.namespace, plural: l.plural, name: l.name });
        break;
    }
    return { objects: [{ actual: l.kind === "custom" ? (actual as Json) : (apiJson(actual) as Json) }] };
  } catch (err) {
    return fromError(err);
  }
}

/**
 * The fields @kubernetes/client-node 1.4's model classes rename because they are reserved words in TypeScript
 * (`from` → `_from` in V1NetworkPolicyIngressRule, `default` → `_default` in V1LimitRangeItem; the generated
 * models have these five). Only model fields: a ConfigMap's data key `_from` stays as it is.
 */
const RENAMED_FIELDS: Readonly<Record<string, string>> = { _from: "from", _default: "default", _continue: "continue", _enum: "enum", _int: "int" };
const DATA_MAPS = new Set(["labels", "annotations", "data", "binaryData", "hard", "used", "matchLabels", "default", "defaultRequest", "max", "min", "maxLimitRequestRatio", "nodeSelector"]);

/** A typed client's object with the API's field names (RENAMED_FIELDS), maps of data left as they are. */
function apiJson(v: unknown, key = ""): unknown {
  if (Array.isArray(v)) return v.map((x) => apiJson(x));
  if (v === null || typeof v !== "object" || v instanceof Date) return v;
  if (DATA_MAPS.has(key)) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => {
    const name = RENAMED_FIELDS[k] ?? k;
    return [name, apiJson(x, name)];
  }));
}

/** `token_ttl` → `tokenTtl`: the Kubernetes provider's argument names are the API's fields in snake case. */
const camel = (k: string) => (/^[a-z0-9]+(_[a-z0-9]+)+$/.test(k) ? k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()) : k);

/** The synthesized arguments of a typed kubernetes_*_v1 resource in the API's shape. */
function kubernetesShape(v: unknown, key = ""): unknown {
  if (Array.isArray(v)) return v.map((x) => kubernetesShape(x));
  if (v === UNKNOWN || v === null || typeof v !== "object") return v;
  // maps whose keys are data, not field names (labels, ConfigMap data, quota and limit quantities)
  if (["labels", "annotations", "data", "hard", "match_labels", "default", "default_request", "max", "min", "max_limit_request_ratio"].includes(key)) return v;
  // kubernetes_limit_range_v1's `limit` blocks are the API's `limits` list
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k === "limit" && key === "spec" ? "limits" : camel(k), kubernetesShape(x, k)]));
}

// ---------------------------------------------------------------------------------------------- Vault

/** GET of a Vault path with the token (review/vault-http.ts). Vault API: 404 when nothing is at the path, 403 when the token's policies do not allow reading it. */
async function vaultLookup(ep: AdoptEndpoints, path: string): Promise<Lookup> {
  const answer = await vaultGet(ep.vaultAddress, ep.vaultToken, path, ep.vaultCaPem);
  if (answer.status === 0) return { failed: answer.text };
  if (answer.status === 404) return { objects: [] };
  if (answer.status === 401 || answer.status === 403) return { denied: `HTTP ${answer.status}` };
  if (answer.status !== 200) return { failed: `HTTP ${answer.status}` };
  try {
    const body = JSON.parse(answer.text) as { data?: Json };
    return { objects: [{ actual: body.data ?? {} }] };
  } catch {
    return { failed: `HTTP 200 but not JSON (${answer.text.slice(0, 60).replace(/\s+/g, " ")}…): a proxy in the way?` };
  }
}

// ---------------------------------------------------------------------------------------------- Datadog

const MANAGED_TAG = "managed-by:envmatrix";

/** Pages adopt reads of one list before it gives up (100 per page: 10,000 objects with names like the one looked for). */
const MAX_PAGES = 100;

type DatadogApis = { monitors: ddV1.MonitorsApi; slos: ddV1.ServiceLevelObjectivesApi; dashboards: ddV1.DashboardsApi };

/**
 * Datadog objects named `name`: monitors through GET /api/v1/monitor?name= (a filter on the name, paged by
 * page/page_size), SLOs through GET /api/v1/slo?query= (a search on the name, paged by limit/offset), dashboards
 * through GET /api/v1/dashboard (every dashboard, paged by count/start); the exact name is compared here. Of
 * several with the name, the one envmatrix tagged `managed-by:envmatrix` is the stack's own (created by an apply
 * whose state was lost), and the others are named in the line; otherwise they are duplicates.
 */
async function datadogLookup(api: DatadogApis, kind: "monitor" | "slo" | "dashboard", name: string): Promise<Lookup & { note?: string }> {
  const pageSize = 100;
  const all: Json[] = [];
  try {
    for (let page = 0; ; page++) {
      if (page === MAX_PAGES) return { failed: `more than ${MAX_PAGES * pageSize} ${kind}s match "${name}": narrow them down by hand` };
      const batch: Json[] =
        kind === "monitor"
          ? await api.monitors.listMonitors({ name, page, pageSize })
          : kind === "slo"
            ? ((await api.slos.listSLOs({ query: name, limit: pageSize, offset: page * pageSize })).data ?? [])
            : ((await api.dashboards.listDashboards({ filterShared: false, count: pageSize, start: page * pageSize })).dashboards ?? []);
      all.push(...batch);
      if (batch.length < pageSize) break;
    }
  } catch (err) {
    return fromError(err);
  }
  const named = all.filter((o) => (kind === "dashboard" ? o.title : o.name) === name);
  // monitors and SLOs carry their tags in the list; a dashboard's summary has none (the v1 client's
  // DashboardSummaryDefinition: id, title, description, … and no tags), so dashboards of one title stay a duplicate
  const managed = kind === "dashboard" ? [] : named.filter((o) => o.tags?.includes(MANAGED_TAG) === true);
  if (named.length > 1 && managed.length === 1) {
    const others = named.filter((o) => o !== managed[0]).map((o) => o.id);
    return { objects: managed.map((o) => ({ remoteId: o.id, actual: o })), note: `also ${others.join(", ")} with this name, without ${MANAGED_TAG}: left alone` };
  }
  return { objects: named.map((o) => ({ remoteId: o.id, actual: o })) };
}

/** A synthesized datadog_service_level_objective in the API client's shape. */
function sloShape(d: Json): Json {
  const ts = d.sli_specification?.time_slice;
  return {
    name: d.name,
    type: d.type,
    description: d.description,
    tags: d.tags,
    thresholds: (d.thresholds ?? []).map((t: Json) => ({ target: t.target, timeframe: t.timeframe })),
    ...(d.query ? { query: { numerator: d.query.numerator, denominator: d.query.denominator } } : {}),
    ...(ts ? { sliSpecification: { timeSlice: { comparator: ts.comparator, threshold: ts.threshold, queryIntervalSeconds: ts.query_interval_seconds } } } : {}),
  };
}

// ---------------------------------------------------------------------------------------------- GitHub

/**
 * Rule types of a ruleset that the GitHub API names otherwise than the provider's block (github 6.9.0
 * respository_rules_utils.go); every other rule's type is its block's name.
 */
const RENAMED_RULE_TYPES: Readonly<Record<string, string>> = { required_code_scanning: "code_scanning", required_workflows: "workflows" };
const ON_OFF_RULES = ["creation", "update", "deletion", "non_fast_forward", "required_linear_history", "required_signatures"];

/**
 * A ruleset's rules with the lists the provider holds as sets (github 6.9.0 resource_github_repository_ruleset.go:
 * `required_check`, `required_code_scanning_tool` are TypeSet) in one order: the same checks in another order are
 * no change to the plan.
 */
function setsInOrder(rules: Json): Json {
  const sorted = (xs: unknown, key: (x: Json) => string) => (Array.isArray(xs) ? [...(xs as Json[])].sort((a, b) => key(a).localeCompare(key(b))) : xs);
  const out = { ...rules };
  const checks = out.required_status_checks;
  if (checks && typeof checks === "object") out.required_status_checks = { ...checks, required_check: sorted(checks.required_check, (c) => `${c.context}\u0000${c.integration_id}`) };
  const scanning = out.required_code_scanning;
  if (scanning && typeof scanning === "object") out.required_code_scanning = { ...scanning, required_code_scanning_tool: sorted(scanning.required_code_scanning_tool, (t) => String(t.tool)) };
  return out;
}

/** A ruleset as the API gives it (GET /repos/{o}/{r}/rulesets/{id}), in the provider's shape, to compare with the stack's. */
function rulesetAsProvider(api: Json): Json {
  const rules: Json = Object.fromEntries(ON_OFF_RULES.map((k) => [k, false]));
  for (const r of (api.rules ?? []) as Json[]) {
    const name = Object.keys(RENAMED_RULE_TYPES).find((k) => RENAMED_RULE_TYPES[k] === r.type) ?? r.type;
    const p = r.parameters ?? {};
    if (ON_OFF_RULES.includes(name)) rules[name] = true;
    else if (name === "required_status_checks") {
      rules[name] = { required_check: p.required_status_checks ?? [], strict_required_status_checks_policy: p.strict_required_status_checks_policy, do_not_enforce_on_create: p.do_not_enforce_on_create ?? false };
    }
    else if (name === "required_code_scanning") rules[name] = { required_code_scanning_tool: p.code_scanning_tools ?? [] };
    else rules[name] = p;
  }
  return { name: api.name, enforcement: api.enforcement, target: api.target, conditions: api.conditions, bypass_actors: api.bypass_actors ?? [], rules: setsInOrder(rules) };
}

async function githubLookup(ep: AdoptEndpoints, l: Extract<Locator, { system: "github" }>, cache: Map<string, Promise<unknown>>): Promise<Lookup> {
  const gh = ep.github;
  const owner = ep.githubOwner;
  const once = <T>(key: string, read: () => Promise<T>): Promise<T> => {
    if (!cache.has(key)) cache.set(key, read());
    return cache.get(key) as Promise<T>;
  };
  // GitHub answers 404, not 403, for a private repository the token may not read: without this, every object of
  // the repository would read as missing (GitHub REST "Get a repository")
  const repo = await once(`repository ${l.repository}`, async (): Promise<Lookup | undefined> => {
    try {
      await gh.rest.repos.get({ owner, repo: l.repository });
      return undefined;
    } catch (err) {
      const status = httpStatus(err);
      return status === 404 || status === 401 || status === 403
        ? { denied: `repository ${owner}/${l.repository} not visible to this token (HTTP ${status})` }
        : fromError(err);
    }
  });
  if (repo) return repo;
  try {
    switch (l.kind) {
      case "environment": {
        const env = (await gh.rest.repos.getEnvironment({ owner, repo: l.repository, environment_name: l.environment })).data as Json;
        // the API gives the wait timer and required reviewers as protection rules; the provider's read puts
        // `reviewers` in state only from a required_reviewers rule (github 6.9.0
        // resource_github_repository_environment.go), so an environment without one reads as no reviewers block
        const rule = (type: string) => (env.protection_rules ?? []).find((r: Json) => r.type === type);
        const reviewers = (rule("required_reviewers")?.reviewers ?? []) as Json[];
        const ids = (type: string) => reviewers.filter((r) => r.type === type).map((r) => r.reviewer?.id);
        return {
          objects: [
            {
              actual: {
                wait_timer: rule("wait_timer")?.wait_timer ?? 0,
                prevent_self_review: rule("required_reviewers")?.prevent_self_review ?? false,
                can_admins_bypass: env.can_admins_bypass,
                reviewers: rule("required_reviewers") ? [{ teams: ids("Team"), users: ids("User") }] : [],
                deployment_branch_policy: env.deployment_branch_policy ?? { protected_branches: false, custom_branch_policies: false },
              },
            },
          ],
        };
      }
      case "deployment-policy": {
        const policies = await once(`policies ${l.repository} ${l.environment}`, () =>
          gh.paginate(gh.rest.repos.listDeploymentBranchPolicies, { owner, repo: l.repository, environment_name: l.environment, per_page: 100 }),
        );
        const named = (policies as Json[]).filter((p) => p.name === l.pattern && (p.type ?? "branch") === "branch");
        return { objects: named.map((p) => ({ remoteId: p.id, actual: { branch_pattern: p.name } })) };
      }
      case "ruleset": {
        const rulesets = await once(`rulesets ${l.repository}`, () => gh.paginate(gh.rest.repos.getRepoRulesets, { owner, repo: l.repository, per_page: 100, includes_parents: false }));
        const named = (rulesets as Json[]).filter((r) => r.name === l.name);
        const objects = [];
        for (const r of named) {
          const detail = (await gh.rest.repos.getRepoRuleset({ owner, repo: l.repository, ruleset_id: r.id })).data as Json;
          objects.push({ remoteId: r.id, actual: rulesetAsProvider(detail) });
        }
        return { objects };
      }
      case "variable": {
        const v = (await gh.rest.actions.getEnvironmentVariable({ owner, repo: l.repository, environment_name: l.environment, name: l.name })).data;
        return { objects: [{ actual: { value: v.value } }] };
      }
    }
  } catch (err) {
    return fromError(err);
  }
}

// ---------------------------------------------------------------------------------------------- differences

export interface Differences {
  /** Paths where the object differs from what the stack sets. */
  readonly changed: string[];
  /** Paths whose desired value only the plan knows (a data source's id): not compared. */
  readonly unknown: string[];
}

/**
 * Paths where `desired` (what the stack sets) differs from `actual` (the object). Only what the stack sets is
 * compared; lists of plain values compare as sets (tags, policies); values compare as text (the APIs give
 * numbers where Terraform's JSON has strings); a list on the object against one value of the stack's compares
 * as its comma-separated values (Vault's bound_claims: "a,b" is the values a and b). Maps in `owned` are the
 * stack's whole: a key only on the object differs too (Terraform would remove it).
 */
export function differences(desired: unknown, actual: unknown, owned: ReadonlySet<string> = new Set(), at = "", out: Differences = { changed: [], unknown: [] }): Differences {
  if (desired === undefined) return out;
  if (desired === UNKNOWN) {
    out.unknown.push(at);
    return out;
  }
  if (Array.isArray(desired)) {
    if (desired.includes(UNKNOWN)) {
      out.unknown.push(at);
      return out;
    }
    if (!Array.isArray(actual) || actual.length !== desired.length) {
      if (!(desired.length === 0 && (actual === undefined || actual === null))) out.changed.push(at);
      return out;
    }
    if (desired.every((x) => x === null || typeof x !== "object")) {
      const norm = (xs: unknown[]) => xs.map((x) => String(x)).sort().join("\u0000");
      if (norm(desired) !== norm(actual)) out.changed.push(at);
      return out;
    }
    desired.forEach((x, i) => differences(x, actual[i], owned, `${at}[${i}]`, out));
    return out;
  }
  if (desired !== null && typeof desired === "object") {
    const a = actual !== null && typeof actual === "object" ? (actual as Json) : {};
    for (const [k, v] of Object.entries(desired)) differences(v, a[k], owned, at ? `${at}.${k}` : k, out);
    if (owned.has(at)) for (const k of Object.keys(a)) if (!(k in desired)) out.changed.push(`${at}.${k}`);
    return out;
  }
  const shown = Array.isArray(actual) ? actual.map(String).sort().join(",") : String(actual ?? "");
  const want = Array.isArray(actual) ? String(desired).split(",").sort().join(",") : String(desired);
  if (want !== shown) out.changed.push(at);
  return out;
}

const pick = (o: Json, keys: readonly string[]) => Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));

/**
 * Label and annotation keys the Kubernetes provider leaves out of state when the stack does not set them: those of
 * a `*.kubernetes.io` host but app.kubernetes.io and service.beta.kubernetes.io (kubernetes 2.38.0
 * structures.go isInternalKey); any other key on the object is removed by the plan.
 */
export function isInternalKey(key: string): boolean {
  // the provider's url.Parse("//" + key).Hostname(): up to the first "/", or the whole key without one
  const host = key.includes("/") ? key.slice(0, key.indexOf("/")) : key;
  if (host === "app.kubernetes.io" || host === "service.beta.kubernetes.io") return false;
  return host.endsWith("kubernetes.io") || key.includes("deprecated.daemonset.template.generation");
}

/** The object's labels and annotations without the keys the provider ignores (isInternalKey) unless the stack sets them. */
function withoutInternalKeys(actual: Json, desired: Json): Json {
  const keep = (m: Json | undefined, set: Json | undefined) => Object.fromEntries(Object.entries(m ?? {}).filter(([k]) => !isInternalKey(k) || (set !== undefined && k in set)));
  const meta = actual.metadata ?? {};
  return { ...actual, metadata: { ...meta, labels: keep(meta.labels, desired.metadata?.labels), annotations: keep(meta.annotations, desired.metadata?.annotations) } };
}

/** The stack's ruleset (cdk.tf.json) in the shape rulesetAsProvider gives the API's. */
function rulesetDesired(d: Json): Json {
  const rules: Json = Object.fromEntries(ON_OFF_RULES.map((k) => [k, false]));
  for (const [k, v] of Object.entries<unknown>(d.rules ?? {})) rules[k] = v;
  // the provider's default where the stack leaves it out (github 6.9.0 resource_github_repository_ruleset.go): a
  // check waived on creation by hand is put back by the first apply
  if (rules.required_status_checks) rules.required_status_checks = { do_not_enforce_on_create: false, ...rules.required_status_checks };
  return {
    enforcement: d.enforcement,
    target: d.target,
    conditions: d.conditions,
    bypass_actors: d.bypass_actors ?? [],
    rules: setsInOrder(rules),
  };
}

/** The vault provider's token fields and what the plan writes for each the stack leaves out (5.6.0 auth_token.go). */
const TOKEN_FIELDS_UNSET = {
  token_bound_cidrs: [],
  token_explicit_max_ttl: 0,
  token_max_ttl: 0,
  token_no_default_policy: false,
  token_num_uses: 0,
  token_period: 0,
  token_policies: [],
  token_ttl: 0,
  token_type: "default",
};

/**
 * What the first plan after an import writes for an attribute the stack leaves out, where the provider reads the
 * object's value into state at import and neither computes nor keeps it (Optional, not Computed: the plan sets
 * the attribute's default, or clears it), in the shape `comparable` compares. Such an attribute is compared like
 * one the stack sets, wherever the object has a value for it: a role's bound CIDRs or `no_default_policy`, a JWT
 * role's bound subject, a monitor's restricted roles, a ruleset's conversation resolution set by hand are undone.
 * From the providers at the pinned versions: vault 5.6.0 resource_kubernetes_auth_backend_role.go and
 * resource_jwt_auth_backend_role.go; datadog 3.82.0 resource_datadog_monitor.go (restricted_roles is Computed only
 * with TERRAFORM_MONITOR_EXPLICIT_RESTRICTED_ROLES=true); github 6.9.0 resource_github_repository_ruleset.go.
 */
const UNSET: Readonly<Record<string, Json>> = {
  vault_kubernetes_auth_backend_role: { ...TOKEN_FIELDS_UNSET, bound_service_account_namespace_selector: "", audience: "" },
  vault_jwt_auth_backend_role: {
    ...TOKEN_FIELDS_UNSET,
    bound_subject: "",
    bound_audiences: [],
    bound_claims: {},
    claim_mappings: {},
    allowed_redirect_uris: [],
    oidc_scopes: [],
    groups_claim: "",
    verbose_oidc_logging: false,
    user_claim_json_pointer: false,
    disable_bound_claims_parsing: false,
    clock_skew_leeway: 0,
    expiration_leeway: 0,
    not_before_leeway: 0,
    max_age: 0,
  },
  // a threshold the stack leaves out (a gate's warning) the provider reads into state and sends only when set:
  // the first apply clears it (datadog 3.82.0 resource_datadog_monitor.go buildMonitorStruct)
  datadog_monitor: { restrictedRoles: [], options: { timeoutH: 0, escalationMessage: "", notifyAudit: false, thresholds: { warning: null, warningRecovery: null } } },
  github_repository_ruleset: { rules: { pull_request: { required_review_thread_resolution: false } } },
  kubernetes_network_policy_v1: { spec: { ingress: [], egress: [] } },
};

/** `desired` with `unset`'s value for each attribute it leaves out and the object has a value for (not null). */
export function withUnset(desired: Json, unset: Json | undefined, actual: Json): Json {
  if (!unset) return desired;
  const out: Json = { ...desired };
  for (const [k, v] of Object.entries(unset)) {
    const theirs = actual?.[k];
    if (theirs === undefined || theirs === null) continue;
    if (v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0) {
      // a block: its attributes one by one, where the stack sets the block (one it does not set is another row's)
      if (out[k] !== null && typeof out[k] === "object" && !Array.isArray(out[k])) out[k] = withUnset(out[k], v, theirs);
    } else if (out[k] === undefined) out[k] = v;
  }
  return out;
}

/** Maps the stack sets whole (one more key on the object is removed), by resource type. */
const OWNED_MAPS: Readonly<Record<string, readonly string[]>> = {
  vault_jwt_auth_backend_role: ["bound_claims", "claim_mappings"],
  // a selector's labels: the stack's default-deny selects every pod ({}); a label on the object narrows it
  kubernetes_network_policy_v1: ["spec.podSelector", "spec.podSelector.matchLabels"],
};

/** The monitor types the Datadog provider takes for the same thing (resource_datadog_monitor.go suppresses the difference). */
const SAME_MONITOR_TYPES = [["query alert", "metric alert"]];

/** What `target` sets, in the shape its API gives the object, the object as compared, and the maps the stack owns whole. */
export function comparable(target: Target, actual: Json): { desired: Json; actual: Json; owned: Set<string> } {
  const c = comparableAsSet(target, actual);
  return { desired: withUnset(c.desired, UNSET[target.type], c.actual), actual: c.actual, owned: new Set([...c.owned, ...(OWNED_MAPS[target.type] ?? [])]) };
}

/** `comparable` without the attributes the stack leaves out. */
function comparableAsSet(target: Target, actual: Json): { desired: Json; actual: Json; owned: Set<string> } {
  const d = target.desired as Json;
  switch (target.type) {
    case "kubernetes_manifest":
      // server-side apply: the manifest owns the fields it names, nothing else of the object
      return { desired: pick(d.manifest ?? {}, ["metadata", "spec"]), actual, owned: new Set() };
    case "vault_policy":
      return { desired: pick(d, ["policy"]), actual, owned: new Set() };
    case "vault_kubernetes_auth_backend_role":
    case "vault_jwt_auth_backend_role": {
      const { backend: _b, role_name: _r, ...rest } = d;
      return { desired: rest, actual, owned: new Set() };
    }
    case "datadog_monitor": {
      const desired = monitorBody(d);
      const same = SAME_MONITOR_TYPES.some((pair) => pair.includes(String(desired.type)) && pair.includes(String(actual.type)));
      return { desired, actual: same ? { ...actual, type: desired.type } : actual, owned: new Set() };
    }
    case "datadog_service_level_objective":
      return { desired: sloShape(d), actual, owned: new Set() };
    case "github_repository_environment":
      // reviewers the stack does not set, the first apply clears: the provider reads them back into state, and its
      // update sends them as null when the configuration has none, which is how the API clears them (github 6.9.0
      // createUpdateEnvironmentData; go-github keeps CreateUpdateEnvironment's reviewers without omitempty for
      // that reason). The branch policy is always set: the matrix refuses "*", the one way to leave it out.
      return { desired: { ...pick(d, ["wait_timer", "prevent_self_review", "can_admins_bypass", "deployment_branch_policy"]), reviewers: d.reviewers ?? [] }, actual, owned: new Set() };
    case "github_repository_ruleset":
      // the rules are the stack's whole: one more on the object is removed
      return { desired: rulesetDesired(d), actual, owned: new Set(["rules"]) };
    case "github_actions_environment_variable":
      return { desired: pick(d, ["value"]), actual, owned: new Set() };
    default: {
      // the typed Kubernetes resources own their labels, annotations, ConfigMap data and quota limits whole
      const { metadata, ...rest } = d;
      const desired = kubernetesShape({ metadata: { labels: metadata?.labels ?? {}, annotations: metadata?.annotations ?? {} }, ...rest }) as Json;
      return { desired, actual: withoutInternalKeys(actual, desired), owned: new Set(["metadata.labels", "metadata.annotations", "data", "spec.hard"]) };
    }
  }
}

/** Attributes whose change makes the provider replace the object rather than update it. */
const REPLACES: Readonly<Record<string, readonly string[]>> = { datadog_monitor: ["type"], datadog_service_level_objective: ["type"] };

// ---------------------------------------------------------------------------------------------- adopt

/**
 * What the first plan after an import does to a resource type whatever the object holds, from the provider's
 * source at the pinned version. github 6.9.0's deployment policy Read sets neither `repository` nor `environment`
 * after an import, and both force a new resource (resource_github_repository_environment_deployment_policy.go;
 * integrations/terraform-provider-github#2012): the plan replaces the policy, a moment with no policy (no branch
 * may deploy), then the same one again. datadog_dashboard_json writes the whole dashboard.
 */
const AFTER_IMPORT: Readonly<Record<string, string>> = {
  github_repository_environment_deployment_policy: "replaced (provider 6.9.0 reads no repository or environment back after an import: integrations/terraform-provider-github#2012)",
  datadog_dashboard_json: "its widgets and settings become the stack's (the resource is the whole dashboard)",
};

/**
 * What the first plan after an import does to a resource type besides what the comparison finds. kubernetes
 * 2.38.0's kubernetes_manifest import stores no manifest and warns "Apply needed after 'import'"
 * (manifest/provider/import.go), and its read never fills it in: the first apply server-side-applies the whole
 * manifest, without force_conflicts (manifest/provider/apply.go), so a field the object's other field manager
 * (kubectl, a controller) owns stops it with a conflict (kubernetes.io "Server-Side Apply", Conflicts).
 */
const APPLIED_AFTER_IMPORT: Readonly<Record<string, string>> = {
  kubernetes_manifest: "manifest applied in full once (the provider's import reads none back; a field another field manager owns stops that apply with a conflict)",
};

/** Where each target's object is looked up, for the table. */
export function describe(l: Locator): string {
  switch (l.system) {
    case "kubernetes":
      return l.kind === "custom" ? `${l.plural}.${l.group} ${l.namespace}/${l.name}` : `${l.kind} ${l.namespace ? `${l.namespace}/` : ""}${l.name}`;
    case "vault":
      return l.path;
    case "datadog":
      return `${l.kind} "${l.name}"`;
    case "github":
      switch (l.kind) {
        case "environment":
          return `environment ${l.environment}`;
        case "deployment-policy":
          return `environment ${l.environment} branch policy ${l.pattern}`;
        case "ruleset":
          return `ruleset "${l.name}"`;
        case "variable":
          return `environment ${l.environment} variable ${l.name}`;
      }
  }
}

/** Looks up one target's object; an unexpected answer (a proxy's page, a client error) is a failed lookup, not a crash. */
async function lookUp(t: Target, ep: AdoptEndpoints, clients: { kube?: ReturnType<typeof kubeClients> | { error: string }; dd?: DatadogApis; github: Map<string, Promise<unknown>> }): Promise<Lookup & { note?: string }> {
  const l = t.locate;
  try {
    if (l.system === "kubernetes") {
      if (clients.kube === undefined) {
        try {
          clients.kube = kubeClients(ep);
        } catch (err) {
          clients.kube = { error: `kubeconfig ${ep.kubeconfigPath}: ${String((err as Error)?.message ?? err).split("\n")[0]}` };
        }
      }
      return "error" in clients.kube ? { failed: clients.kube.error } : await kubernetesLookup(clients.kube, l);
    }
    if (l.system === "vault") return await vaultLookup(ep, l.path);
    if (l.system === "datadog") {
      if (clients.dd === undefined) {
        const configuration = datadogConfiguration(ep.datadogApiUrl, ep.datadogApiKey, ep.datadogAppKey);
        clients.dd = { monitors: new ddV1.MonitorsApi(configuration), slos: new ddV1.ServiceLevelObjectivesApi(configuration), dashboards: new ddV1.DashboardsApi(configuration) };
      }
      return await datadogLookup(clients.dd, l.kind, l.name);
    }
    return await githubLookup(ep, l, clients.github);
  } catch (err) {
    return { failed: `unexpected answer: ${String((err as Error)?.message ?? err).split("\n")[0]}` };
  }
}

/** Looks up every target (one at a time: the APIs' rate limits), in the targets' order. */
export async function adopt(targets: readonly Target[], ep: AdoptEndpoints): Promise<Row[]> {
  const rows: Row[] = [];
  const clients = { github: new Map<string, Promise<unknown>>() };
  for (const t of targets) {
    const found = await lookUp(t, ep, clients);
    const where = describe(t.locate);
    const note = found.note ? `; ${found.note}` : "";
    if ("denied" in found) rows.push({ address: t.address, status: "denied", detail: `${where}: not allowed to read it (${found.denied})` });
    else if ("failed" in found) rows.push({ address: t.address, status: "failed", detail: `${where}: ${found.failed}` });
    else if (found.objects.length === 0) rows.push({ address: t.address, status: "missing", detail: `${where}: none (the plan creates it)` });
    else if (found.objects.length > 1) rows.push({ address: t.address, status: "duplicate", detail: `${where}: ${found.objects.length} objects have this name (ids ${found.objects.map((o) => o.remoteId).join(", ")}); none imported: delete or rename all but one, then run adopt again` });
    else {
      // a type the first plan rewrites whatever the object holds (AFTER_IMPORT) is not compared
      const after = AFTER_IMPORT[t.type];
      let diff: Differences = { changed: [], unknown: [] };
      if (!after) {
        const c = comparable(t, found.objects[0].actual);
        diff = differences(c.desired, c.actual, c.owned);
      }
      const replacing = REPLACES[t.type] ?? [];
      const changes = after
        ? [after]
        : [...(APPLIED_AFTER_IMPORT[t.type] ? [APPLIED_AFTER_IMPORT[t.type]] : []), ...[...new Set(diff.changed)].map((path) => (replacing.includes(path) ? `${path} (the plan replaces it)` : path))];
      rows.push({ address: t.address, status: "found", importId: importId(t, found.objects[0]), changes, notCompared: [...new Set(diff.unknown)], name: lookupName(t), detail: `${where}${note}` });
    }
  }
  return rows;
}

/** The table adopt prints: one line per address. */
export function formatAdoptTable(rows: readonly Row[]): string {
  const head = ["address", "found", "import id", "the plan after import changes"];
  const cells = rows.map((r) => [
    r.address,
    r.status === "found" ? "yes" : r.status === "missing" ? "no" : r.status,
    r.importId ?? "—",
    r.status === "found" ? `${r.changes!.length === 0 ? "nothing" : r.changes!.join(", ")}${r.notCompared && r.notCompared.length > 0 ? ` (not compared, known at plan: ${r.notCompared.join(", ")})` : ""}${r.detail.includes("; ") ? ` (${r.detail.slice(r.detail.indexOf("; ") + 2)})` : ""}` : r.detail,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i]))).join("  ");
  return [line(head), ...cells.map(line)].join("\n");
}
