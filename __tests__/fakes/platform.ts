/**
 * Fakes of the Kubernetes API, Vault's HTTP API and Datadog's API, answering as their documentation says, with
 * the state preflight reads; a test breaks one thing at a time. Paths: Kubernetes API reference (core, apps,
 * apiextensions, rbac), Vault API docs (sys/health, sys/mounts/:path, auth/kubernetes/config), Datadog API
 * reference (v1 validate, monitor/validate, integration/pagerduty|slack|webhooks).
 */
import type { Handler } from "./server";

export interface KubeState {
  version: string;
  crds: Record<string, { name: string; served: boolean }[]>;
  daemonSets: string[]; // "<ns>/<name>"
  deployments: string[];
  serviceAccounts: string[];
  clusterRoleBindings: Record<string, { roleRef: { name: string }; subjects: { kind: string; name: string; namespace: string }[] }>;
  services: string[];
  namespaces: string[];
  tokenValid: boolean;
  /** Objects by their API path (GET /api/v1/namespaces/x/configmaps/y): what adopt reads. */
  objects?: Record<string, Record<string, unknown>>;
  /** API paths the token may not read (403 Forbidden, as RBAC answers). */
  forbidden?: string[];
}

const notFound = (kind: string, name: string) => ({ status: 404, body: { kind: "Status", apiVersion: "v1", status: "Failure", message: `${kind} "${name}" not found`, reason: "NotFound", code: 404 } });

export function kubeHandler(s: KubeState): Handler {
  return ({ method, path, headers }) => {
    if (!s.tokenValid || headers.authorization !== "Bearer fake-kube-token") return { status: 401, body: { kind: "Status", code: 401, reason: "Unauthorized" } };
    if (method !== "GET") return { status: 405, body: { kind: "Status", code: 405 } };
    if (s.forbidden?.includes(path)) return { status: 403, body: { kind: "Status", apiVersion: "v1", status: "Failure", message: `forbidden: User "planner" cannot get resource at ${path}`, reason: "Forbidden", code: 403 } };
    if (s.objects?.[path]) return { status: 200, body: s.objects[path] };
    let m: RegExpMatchArray | null;
    if (path === "/version") return { status: 200, body: { major: "1", minor: "31", gitVersion: s.version } };
    if ((m = path.match(/^\/apis\/apiextensions\.k8s\.io\/v1\/customresourcedefinitions\/([^/]+)$/))) {
      const versions = s.crds[m[1]];
      return versions ? { status: 200, body: { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name: m[1] }, spec: { group: m[1].split(".").slice(1).join("."), names: { plural: m[1].split(".")[0], kind: "X" }, scope: "Namespaced", versions: versions.map((v) => ({ ...v, storage: true })) } } } : notFound("customresourcedefinitions", m[1]);
    }
    if ((m = path.match(/^\/apis\/apps\/v1\/namespaces\/([^/]+)\/(daemonsets|deployments)\/([^/]+)$/))) {
      const list = m[2] === "daemonsets" ? s.daemonSets : s.deployments;
      return list.includes(`${m[1]}/${m[3]}`) ? { status: 200, body: { metadata: { name: m[3], namespace: m[1] }, spec: {} } } : notFound(m[2], m[3]);
    }
    if ((m = path.match(/^\/api\/v1\/namespaces\/([^/]+)$/))) {
      return s.namespaces.includes(m[1]) ? { status: 200, body: { apiVersion: "v1", kind: "Namespace", metadata: { name: m[1] }, status: { phase: "Active" } } } : notFound("namespaces", m[1]);
    }
    if ((m = path.match(/^\/api\/v1\/namespaces\/([^/]+)\/(serviceaccounts|services)\/([^/]+)$/))) {
      const list = m[2] === "serviceaccounts" ? s.serviceAccounts : s.services;
      return list.includes(`${m[1]}/${m[3]}`) ? { status: 200, body: { metadata: { name: m[3], namespace: m[1] } } } : notFound(m[2], m[3]);
    }
    if ((m = path.match(/^\/apis\/rbac\.authorization\.k8s\.io\/v1\/clusterrolebindings\/([^/]+)$/))) {
      const b = s.clusterRoleBindings[m[1]];
      return b ? { status: 200, body: { metadata: { name: m[1] }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", ...b.roleRef }, subjects: b.subjects } } : notFound("clusterrolebindings", m[1]);
    }
    return undefined;
  };
}

export interface VaultState {
  sealed: boolean;
  mounts: Record<string, { type: string; options: Record<string, string> }>;
  kubernetesAuth: Record<string, { kubernetes_host: string; kubernetes_ca_cert: string; disable_local_ca_jwt: boolean; token_reviewer_jwt_set: boolean }>;
  token: string;
  /** Paths the token's policy does not grant (403). */
  forbidden: string[];
  /** What GET answers as `data` at these paths (/v1/sys/policies/acl/x, /v1/auth/m/role/r): what adopt reads. */
  documents?: Record<string, Record<string, unknown>>;
  /** Paths answered 200 with this text (not JSON): a proxy's page. */
  raw?: Record<string, string>;
  /** Paths answered with this status (a sealed or failing node: 503, 500) and Vault's error body. */
  failing?: Record<string, number>;
  /**
   * A standby node: sys/health answers 429 (unsealed, standby), or 473 for an Enterprise performance standby (it
   * serves reads itself), and the node forwards every other request.
   */
  standby?: boolean | "performance";
  /**
   * Where sys/mounts/:path puts the mount's fields: at the top and under `data` as Vault's own sys responses do
   * (the default), or only one of the two (the API docs' sample shows the top; a proxy or a later Vault may not).
   */
  mountShape?: "top" | "data";
}

export function vaultHandler(s: VaultState): Handler {
  return ({ method, path, headers }) => {
    if (method !== "GET") return { status: 405, body: { errors: [] } };
    // sys/health's status codes by default: 200 initialized, unsealed and active; 429 unsealed and standby; 473
    // performance standby; 503 sealed (Vault API docs, /sys/health)
    if (path === "/v1/sys/health") {
      const status = s.sealed ? 503 : s.standby === "performance" ? 473 : s.standby ? 429 : 200;
      return { status, body: { initialized: true, sealed: s.sealed, standby: Boolean(s.standby), performance_standby: s.standby === "performance", version: "1.21.1" } };
    }
    if (headers["x-vault-token"] !== s.token || s.forbidden.includes(path)) return { status: 403, body: { errors: ["permission denied"] } };
    if (s.failing?.[path] !== undefined) return { status: s.failing[path], body: { errors: ["Vault is sealed"] } };
    if (s.raw?.[path] !== undefined) return { status: 200, raw: s.raw[path], headers: { "content-type": "text/html" } };
    if (s.documents?.[path]) return { status: 200, body: { request_id: "fake", data: s.documents[path] } };
    let m: RegExpMatchArray | null;
    if ((m = path.match(/^\/v1\/sys\/mounts\/(.+)$/))) {
      const mount = s.mounts[m[1]];
      const shapes = { top: { ...mount }, data: { data: mount } };
      return mount ? { status: 200, body: s.mountShape ? shapes[s.mountShape] : { ...mount, data: mount } } : { status: 400, body: { errors: [`No secret engine mount at ${m[1]}/`] } };
    }
    if ((m = path.match(/^\/v1\/auth\/([^/]+)\/config$/))) {
      const c = s.kubernetesAuth[m[1]];
      return c ? { status: 200, body: { data: c } } : { status: 404, body: { errors: [] } };
    }
    return undefined;
  };
}

export interface DatadogState {
  apiKey: string;
  appKey: string;
  /** Queries containing any of these are refused, as Datadog's validation refuses an unsupported query. */
  refuse: string[];
  pagerduty: string[];
  slack: Record<string, string[]>;
  webhooks: string[];
  /** Monitors and SLOs that exist (GET /api/v1/monitor, GET /api/v1/slo): what adopt reads. */
  monitors?: Array<Record<string, unknown> & { id: number; name: string }>;
  slos?: Array<Record<string, unknown> & { id: string; name: string }>;
  dashboards?: Array<Record<string, unknown> & { id: string; title: string }>;
  /** Paths the application key may not read (403). */
  forbidden?: string[];
  /** What was sent to POST /api/v2/dora/deployment and POST /api/v1/events. */
  doraDeployments?: unknown[];
  events?: unknown[];
  /** Datadog answering 503 to everything. */
  down?: boolean;
}

/** The number after a monitor query's final comparison. */
const queryThreshold = (q: string) => /[<>]=?\s*(-?[0-9.]+)\s*$/.exec(q)?.[1];

export function datadogHandler(s: DatadogState): Handler {
  return ({ method, path, body, headers, query }) => {
    if (s.down) return { status: 503, body: { errors: ["Service Unavailable"] } };
    if (headers["dd-api-key"] !== s.apiKey) return { status: 403, body: { errors: ["Forbidden"] } };
    if (path === "/api/v1/validate" && method === "GET") return { status: 200, body: { valid: true } };
    // these two take the API key alone (Datadog API reference: "Send a deployment event", "Post an event")
    if (path === "/api/v2/dora/deployment" && method === "POST") {
      const a = body?.data?.attributes ?? {};
      const missing = ["service", "started_at", "finished_at"].filter((k) => a[k] === undefined);
      if (missing.length > 0) return { status: 400, body: { errors: missing.map((k) => `missing ${k}`) } };
      (s.doraDeployments ??= []).push(body);
      return { status: 200, body: { data: { id: `dora-${s.doraDeployments.length}`, type: "dora_deployment" } } };
    }
    if (path === "/api/v1/events" && method === "POST") {
      if (!body?.title || !body?.text) return { status: 400, body: { errors: ["title and text are required"] } };
      (s.events ??= []).push(body);
      return { status: 202, body: { status: "ok", event: { id: s.events.length, title: body.title, tags: body.tags } } };
    }
    if (headers["dd-application-key"] !== s.appKey) return { status: 403, body: { errors: ["Forbidden"] } };
    let m: RegExpMatchArray | null;
    if (path === "/api/v1/monitor/validate" && method === "POST") {
      const errors: string[] = [];
      const q = String(body?.query ?? "");
      // documented: "the query's threshold must match the critical threshold in options.thresholds"
      if (Number(queryThreshold(q)) !== Number(body?.options?.thresholds?.critical)) errors.push("Alert threshold (" + queryThreshold(q) + ") does not match that used in the query");
      for (const bad of s.refuse) if (q.includes(bad)) errors.push(`The value provided for parameter 'query' is invalid: ${bad}`);
      return errors.length === 0 ? { status: 200, body: {} } : { status: 400, body: { errors } };
    }
    if (method !== "GET") return { status: 405, body: { errors: [] } };
    if (s.forbidden?.includes(path)) return { status: 403, body: { errors: ["Forbidden"] } };
    if (path === "/api/v1/monitor") {
      // name: "a string to filter monitors by name" (substring); page from 0, page_size (Datadog API reference)
      const name = (query.get("name") ?? "").toLowerCase();
      const size = Number(query.get("page_size") ?? 100);
      const page = Number(query.get("page") ?? 0);
      const all = (s.monitors ?? []).filter((x) => x.name.toLowerCase().includes(name));
      return { status: 200, body: all.slice(page * size, (page + 1) * size) };
    }
    if (path === "/api/v1/dashboard") {
      // every dashboard's summary, count (default 100) from start (Datadog API reference, "Get all dashboards")
      const count = Number(query.get("count") ?? 100);
      const start = Number(query.get("start") ?? 0);
      // filter[shared]=true: "only shared custom created or cloned dashboards"
      const listed = query.get("filter[shared]") === "true" ? (s.dashboards ?? []).filter((d) => d.is_shared === true) : (s.dashboards ?? []);
      return { status: 200, body: { dashboards: listed.slice(start, start + count) } };
    }
    if (path === "/api/v1/slo") {
      const q = (query.get("query") ?? "").toLowerCase();
      const limit = Number(query.get("limit") ?? 1000);
      const offset = Number(query.get("offset") ?? 0);
      const all = (s.slos ?? []).filter((x) => x.name.toLowerCase().includes(q));
      return { status: 200, body: { data: all.slice(offset, offset + limit), errors: [] } };
    }
    if ((m = path.match(/^\/api\/v1\/integration\/pagerduty\/configuration\/services\/([^/]+)$/))) {
      return s.pagerduty.includes(decodeURIComponent(m[1])) ? { status: 200, body: { service_name: m[1] } } : { status: 404, body: { errors: ["Service not found"] } };
    }
    if ((m = path.match(/^\/api\/v1\/integration\/slack\/configuration\/accounts\/([^/]+)\/channels$/))) {
      const channels = s.slack[decodeURIComponent(m[1])];
      return channels ? { status: 200, body: channels.map((c) => ({ name: `#${c}`, display: { message: true, notified: true, snapshot: true, tags: true } })) } : { status: 404, body: { errors: ["Account not found"] } };
    }
    if ((m = path.match(/^\/api\/v1\/integration\/webhooks\/configuration\/webhooks\/([^/]+)$/))) {
      return s.webhooks.includes(decodeURIComponent(m[1])) ? { status: 200, body: { name: m[1], url: "https://rollout.example.internal/gate" } } : { status: 404, body: { errors: ["Webhook not found"] } };
    }
    return undefined;
  };
}

/** The variables that point plan's credentials at the fakes (what preflight and adopt read), no proxy in between. */
export function fakeEndpointsEnv(fakes: { vault: { url: string }; datadog: { url: string }; github: { url: string } }, kubeconfig: string): Record<string, string> {
  return {
    KUBE_CONFIG_PATH: kubeconfig,
    VAULT_ADDR: fakes.vault.url,
    VAULT_TOKEN: "fake-vault-token",
    DD_HOST: fakes.datadog.url,
    DD_API_KEY: "fake-dd-api-key",
    DD_APP_KEY: "fake-dd-app-key",
    GITHUB_API_URL: fakes.github.url,
    GITHUB_TOKEN: "fake-github-token",
    HTTPS_PROXY: "",
    HTTP_PROXY: "",
  };
}
