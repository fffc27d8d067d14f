/**
 * `npm run adopt -- <stack>`: looks up, with the credentials `plan` uses, each object the stack would create
 * (review/adopt-targets.ts says where), and says per Terraform address whether it already exists, its import id
 * and where it differs from what the stack sets (what the first plan after the import will change). Read-only:
 * GETs only, through each ecosystem's client (@kubernetes/client-node, Vault's HTTP API, @datadog/datadog-api-client,
 * @octokit/rest). The command (scripts/cli.ts) writes the import blocks of the objects found exactly once.
 */
import * as k8s from "@kubernetes/client-node";
import type { Octokit } from "@octokit/rest";
import { datadogConfiguration, ddV1 } from "./datadog-client";
import { monitorBody } from "./preflight";
import { UNKNOWN, importId, type Locator, type Target } from "./adopt-targets";

export interface AdoptEndpoints {
  /** kubeconfig file (KUBE_CONFIG_PATH) and the context the stack's provider uses; absent for a stack without Kubernetes. */
  readonly kubeconfigPath: string;
  readonly kubeContext?: string;
  readonly vaultAddress: string;
  readonly vaultToken: string;
  readonly datadogApiUrl: string;
  readonly datadogApiKey: string;
  readonly datadogAppKey: string;
  readonly github: Octokit;
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
  /** What was looked up, or why it could not be. */
  readonly detail: string;
}

type Json = Record<string, any>;

/** What one lookup gives: the object(s) found under the name, or why none could be read. */
type Lookup = { objects: Array<{ remoteId?: string | number; actual: Json }> } | { denied: string } | { failed: string };

const httpStatus = (err: unknown): number | undefined => {
  // @kubernetes/client-node's ApiException has `code`, Octokit's RequestError `status`, Datadog's ApiException `code`
  const e = err as { code?: unknown; status?: unknown };
  return typeof e?.code === "number" ? e.code : typeof e?.status === "number" ? e.status : undefined;
};

/** A failed read as a lookup: 404 is "not there", 401/403 "not allowed", anything else a failure. */
function fromError(err: unknown): Lookup {
  const status = httpStatus(err);
  if (status === 404) return { objects: [] };
  if (status === 401 || status === 403) return { denied: `HTTP ${status}` };
  return { failed: status ? `HTTP ${status}` : String((err as Error)?.message ?? err).split("\n")[0] };
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
 * A typed client's object with the API's field names: its model classes rename the fields that are reserved words
 * in TypeScript (`from` → `_from` in V1NetworkPolicyIngressRule, `default` → `_default` in V1LimitRangeItem); no
 * Kubernetes API field starts with an underscore.
 */
function apiJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(apiJson);
  if (v === null || typeof v !== "object" || v instanceof Date) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.replace(/^_(?=[a-z])/, ""), apiJson(x)]));
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

async function vaultLookup(ep: AdoptEndpoints, path: string): Promise<Lookup> {
  let res: Response;
  try {
    res = await fetch(`${ep.vaultAddress.replace(/\/$/, "")}/v1/${path}`, { headers: { "X-Vault-Token": ep.vaultToken } });
  } catch (err) {
    return { failed: String((err as Error)?.message ?? err) };
  }
  // Vault API: 404 when nothing is at the path, 403 when the token's policies do not allow reading it
  if (res.status === 404) return { objects: [] };
  if (res.status === 401 || res.status === 403) return { denied: `HTTP ${res.status}` };
  if (res.status !== 200) return { failed: `HTTP ${res.status}` };
  const body = (await res.json()) as { data?: Json };
  return { objects: [{ actual: body.data ?? {} }] };
}

// ---------------------------------------------------------------------------------------------- Datadog

const MANAGED_TAG = "managed-by:envmatrix";

/**
 * Datadog objects named `name`: monitors through GET /api/v1/monitor?name= (a substring filter, paged by
 * page/page_size), SLOs through GET /api/v1/slo?query= (a search, paged by limit/offset); the exact name is
 * compared here. Of several with the name, the one envmatrix tagged `managed-by:envmatrix` is the stack's own
 * (created by an apply whose state was lost); otherwise they are duplicates.
 */
async function datadogLookup(api: { monitors: ddV1.MonitorsApi; slos: ddV1.ServiceLevelObjectivesApi }, kind: "monitor" | "slo", name: string): Promise<Lookup> {
  const pageSize = 100;
  const all: Json[] = [];
  try {
    for (let page = 0; ; page++) {
      const batch: Json[] =
        kind === "monitor"
          ? await api.monitors.listMonitors({ name, page, pageSize })
          : ((await api.slos.listSLOs({ query: name, limit: pageSize, offset: page * pageSize })).data ?? []);
      all.push(...batch);
      if (batch.length < pageSize) break;
    }
  } catch (err) {
    return fromError(err);
  }
  const named = all.filter((o) => o.name === name);
  const managed = named.filter((o) => (o.tags ?? []).includes(MANAGED_TAG));
  const chosen = named.length > 1 && managed.length === 1 ? managed : named;
  return { objects: chosen.map((o) => ({ remoteId: o.id, actual: o })) };
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

async function githubLookup(ep: AdoptEndpoints, l: Extract<Locator, { system: "github" }>, cache: Map<string, Promise<unknown>>): Promise<Lookup> {
  const gh = ep.github;
  const owner = ep.githubOwner;
  const once = <T>(key: string, read: () => Promise<T>): Promise<T> => {
    if (!cache.has(key)) cache.set(key, read());
    return cache.get(key) as Promise<T>;
  };
  try {
    switch (l.kind) {
      case "environment": {
        const env = (await gh.rest.repos.getEnvironment({ owner, repo: l.repository, environment_name: l.environment })).data as Json;
        // the API gives the wait timer and required reviewers as protection rules
        const rule = (type: string) => (env.protection_rules ?? []).find((r: Json) => r.type === type) ?? {};
        return {
          objects: [
            {
              actual: {
                wait_timer: rule("wait_timer").wait_timer ?? 0,
                prevent_self_review: rule("required_reviewers").prevent_self_review ?? false,
                can_admins_bypass: env.can_admins_bypass,
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
          objects.push({ remoteId: r.id, actual: { ...detail, rules: (detail.rules ?? []).map((x: Json) => x.type).sort() } });
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

/**
 * Paths where `desired` (what the stack sets) differs from `actual` (the object). Only what the stack sets is
 * compared; lists of plain values compare as sets (tags, policies); values compare as text (the APIs give
 * numbers where Terraform's JSON has strings). Maps in `owned` are the stack's whole: a key only on the object
 * differs too (Terraform would remove it).
 */
export function differences(desired: unknown, actual: unknown, owned: ReadonlySet<string> = new Set(), at = ""): string[] {
  if (desired === UNKNOWN || desired === undefined) return [];
  if (Array.isArray(desired)) {
    if (!Array.isArray(actual) || actual.length !== desired.length) return desired.length === 0 && (actual === undefined || actual === null) ? [] : [at];
    if (desired.every((x) => x === null || typeof x !== "object")) {
      const norm = (xs: unknown[]) => xs.map((x) => String(x)).sort().join("\u0000");
      return desired.includes(UNKNOWN) || norm(desired) === norm(actual) ? [] : [at];
    }
    return desired.flatMap((x, i) => differences(x, actual[i], owned, `${at}[${i}]`));
  }
  if (desired !== null && typeof desired === "object") {
    const a = actual !== null && typeof actual === "object" ? (actual as Json) : {};
    const out = Object.entries(desired).flatMap(([k, v]) => differences(v, a[k], owned, at ? `${at}.${k}` : k));
    if (owned.has(at)) for (const k of Object.keys(a)) if (!(k in desired)) out.push(`${at}.${k}`);
    return out;
  }
  return String(desired) === String(actual ?? "") ? [] : [at];
}

const pick = (o: Json, keys: readonly string[]) => Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));

/** What `target` sets, in the shape its API gives the object, and the maps it owns whole. */
function comparable(target: Target): { desired: Json; owned: Set<string> } {
  const d = target.desired as Json;
  switch (target.type) {
    case "kubernetes_manifest":
      return { desired: pick(d.manifest ?? {}, ["metadata", "spec"]), owned: new Set() };
    case "vault_policy":
      return { desired: pick(d, ["policy"]), owned: new Set() };
    case "vault_kubernetes_auth_backend_role":
    case "vault_jwt_auth_backend_role": {
      const { backend: _b, role_name: _r, ...rest } = d;
      return { desired: rest, owned: new Set() };
    }
    case "datadog_monitor":
      return { desired: monitorBody(d), owned: new Set() };
    case "datadog_service_level_objective":
      return { desired: sloShape(d), owned: new Set() };
    case "github_repository_environment":
      return { desired: pick(d, ["wait_timer", "prevent_self_review", "can_admins_bypass", "deployment_branch_policy"]), owned: new Set() };
    case "github_repository_environment_deployment_policy":
      return { desired: pick(d, ["branch_pattern"]), owned: new Set() };
    case "github_repository_ruleset":
      return { desired: { ...pick(d, ["enforcement", "target", "conditions"]), rules: Object.keys(d.rules ?? {}).filter((k) => d.rules[k] !== false).sort() }, owned: new Set() };
    case "github_actions_environment_variable":
      return { desired: pick(d, ["value"]), owned: new Set() };
    default: {
      // the typed Kubernetes resources: metadata's labels and annotations, and the rest of what the stack sets
      const { metadata, ...rest } = d;
      return { desired: kubernetesShape({ metadata: pick(metadata ?? {}, ["labels", "annotations"]), ...rest }) as Json, owned: new Set(["data", "spec.hard"]) };
    }
  }
}

// ---------------------------------------------------------------------------------------------- adopt

/**
 * What the first plan after an import does to a resource type whatever the object holds, from the provider's
 * source at the pinned version. github 6.9.0's deployment policy Read sets neither `repository` nor `environment`
 * after an import, and both force a new resource (resource_github_repository_environment_deployment_policy.go;
 * integrations/terraform-provider-github#2012): the plan replaces the policy, a moment with no policy (no branch
 * may deploy), then the same one again.
 */
const AFTER_IMPORT: Readonly<Record<string, string>> = {
  github_repository_environment_deployment_policy: "replaced (provider 6.9.0 reads no repository or environment back after an import: integrations/terraform-provider-github#2012)",
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

/** Looks up every target (one at a time: the APIs' rate limits), in the targets' order. */
export async function adopt(targets: readonly Target[], ep: AdoptEndpoints): Promise<Row[]> {
  const rows: Row[] = [];
  let kube: ReturnType<typeof kubeClients> | { error: string } | undefined;
  let dd: { monitors: ddV1.MonitorsApi; slos: ddV1.ServiceLevelObjectivesApi } | undefined;
  const githubCache = new Map<string, Promise<unknown>>();
  for (const t of targets) {
    const l = t.locate;
    let found: Lookup;
    if (l.system === "kubernetes") {
      if (kube === undefined) {
        try {
          kube = kubeClients(ep);
        } catch (err) {
          kube = { error: `kubeconfig ${ep.kubeconfigPath}: ${String((err as Error)?.message ?? err).split("\n")[0]}` };
        }
      }
      found = "error" in kube ? { failed: kube.error } : await kubernetesLookup(kube, l);
    } else if (l.system === "vault") found = await vaultLookup(ep, l.path);
    else if (l.system === "datadog") {
      const configuration = datadogConfiguration(ep.datadogApiUrl, ep.datadogApiKey, ep.datadogAppKey);
      dd ??= { monitors: new ddV1.MonitorsApi(configuration), slos: new ddV1.ServiceLevelObjectivesApi(configuration) };
      found = await datadogLookup(dd, l.kind, l.name);
    } else found = await githubLookup(ep, l, githubCache);
    const where = describe(l);
    if ("denied" in found) rows.push({ address: t.address, status: "denied", detail: `${where}: not allowed to read it (${found.denied})` });
    else if ("failed" in found) rows.push({ address: t.address, status: "failed", detail: `${where}: ${found.failed}` });
    else if (found.objects.length === 0) rows.push({ address: t.address, status: "missing", detail: `${where}: none (the plan creates it)` });
    else if (found.objects.length > 1) rows.push({ address: t.address, status: "duplicate", detail: `${where}: ${found.objects.length} objects have this name (ids ${found.objects.map((o) => o.remoteId).join(", ")}); none imported: delete or rename all but one, then run adopt again` });
    else {
      const { desired, owned } = comparable(t);
      const changes = AFTER_IMPORT[t.type] ? [AFTER_IMPORT[t.type]] : [...new Set(differences(desired, found.objects[0].actual, owned))];
      rows.push({ address: t.address, status: "found", importId: importId(t, found.objects[0]), changes, detail: where });
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
    r.status === "found" ? (r.changes!.length === 0 ? "nothing" : r.changes!.join(", ")) : r.detail,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i]))).join("  ");
  return [line(head), ...cells.map(line)].join("\n");
}
