/**
 * `npm run preflight -- <env>`: read-only checks, with the credentials `plan` would use, of everything an
 * environment's first plan and apply take for granted but Terraform cannot create. Each check is one line of a
 * checklist with the fix when it fails. Only reads: GETs, plus Datadog's monitor *validation* endpoint (POST
 * /api/v1/monitor/validate, which creates nothing). Uses each ecosystem's own client: @kubernetes/client-node,
 * @datadog/datadog-api-client, @octokit/rest, and Vault's HTTP API.
 */
import * as k8s from "@kubernetes/client-node";
import { datadogConfiguration, ddV1 } from "./datadog-client";
import type { Octokit } from "@octokit/rest";
import type { EnvironmentSettings, Matrix } from "../config/types";
import { clusterBootstrap } from "./cluster-bootstrap";
import { serviceSecretKey } from "../stacks/names";
import { PLAN_RETENTION_DAYS } from "./deploy-workflow";
import { vaultGet } from "./vault-http";

export interface Check {
  readonly system: "kubernetes" | "vault" | "datadog" | "github";
  readonly what: string;
  readonly ok: boolean;
  /** What was found. */
  readonly detail: string;
  /** What to do when it failed. */
  readonly fix?: string;
}

export interface Endpoints {
  /** kubeconfig file (KUBE_CONFIG_PATH), with the cluster's context. */
  readonly kubeconfigPath: string;
  readonly vaultAddress: string;
  readonly vaultToken: string;
  /** PEM of the CA of Vault's certificate (organization.vault.caCertificatePem), trusted as the provider trusts it. */
  readonly vaultCaPem?: string;
  readonly datadogApiUrl: string;
  readonly datadogApiKey: string;
  readonly datadogAppKey: string;
  readonly github: Octokit;
  /**
   * The environment `plan` runs in (process.env), for the variables the providers read besides the stack: checked
   * by `providerEnvironmentChecks`. None: not checked.
   */
  readonly providerEnv?: Readonly<Record<string, string | undefined>>;
}

import { ESO_CRDS, handlesOf } from "./preflight-reads";
import { errorText, isDenied } from "./http-errors";
const pass = (system: Check["system"], what: string, detail: string): Check => ({ system, what, ok: true, detail });
const failed = (system: Check["system"], what: string, detail: string, fix: string): Check => ({ system, what, ok: false, detail, fix });
const why = errorText;
/** Whether an error is "not allowed" rather than "not there": the fix is then the credentials, not an install. */
const denied = isDenied;
const CREDENTIALS_FIX = "give the plan credentials read access: npm run --silent deployer-rbac -- <env> --plan (Kubernetes) or the planner policy the gates stack writes (Vault)";

async function kubernetesChecks(m: Matrix, name: string, e: EnvironmentSettings, ep: Endpoints): Promise<Check[]> {
  const org = m.organization;
  const cluster = org.clusters[e.cluster];
  const kc = new k8s.KubeConfig();
  const out: Check[] = [];
  try {
    kc.loadFromFile(ep.kubeconfigPath);
    kc.setCurrentContext(cluster.context);
  } catch (err) {
    return [failed("kubernetes", `context ${cluster.context}`, `not in ${ep.kubeconfigPath} (${why(err)})`, `put a context named ${cluster.context} into the kubeconfig KUBE_CONFIG_PATH points at`)];
  }
  if (!kc.getContexts().some((c) => c.name === cluster.context)) {
    return [failed("kubernetes", `context ${cluster.context}`, `not in ${ep.kubeconfigPath}`, `put a context named ${cluster.context} into the kubeconfig KUBE_CONFIG_PATH points at`)];
  }
  try {
    const v = await kc.makeApiClient(k8s.VersionApi).getCode();
    out.push(pass("kubernetes", `context ${cluster.context} reachable`, `server ${v.gitVersion}`));
  } catch (err) {
    return [failed("kubernetes", `context ${cluster.context} reachable`, why(err), `check the API server ${kc.getCurrentCluster()?.server} is reachable and the credentials valid`)];
  }
  const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
  for (const crd of ESO_CRDS) {
    try {
      const c = await ext.readCustomResourceDefinition({ name: crd });
      const v1 = c.spec.versions.find((v) => v.name === "v1");
      out.push(
        v1?.served
          ? pass("kubernetes", `${crd} served at external-secrets.io/v1`, `versions ${c.spec.versions.map((v) => `${v.name}${v.served ? "" : " (not served)"}`).join(", ")}`)
          : failed("kubernetes", `${crd} served at external-secrets.io/v1`, `served: ${c.spec.versions.filter((v) => v.served).map((v) => v.name).join(", ") || "none"}`, "upgrade the External Secrets Operator to 0.16 or later (external-secrets.io/v1)"),
      );
    } catch (err) {
      out.push(
        denied(err)
          ? failed("kubernetes", `${crd} served at external-secrets.io/v1`, `not allowed to read it (${why(err)})`, CREDENTIALS_FIX)
          : failed("kubernetes", `${crd} served at external-secrets.io/v1`, `CRD missing (${why(err)})`, `install the External Secrets Operator (>= 0.16, with CRDs) before the first plan, or set environments.${name}.secrets.operatorInstalled: false`),
      );
    }
  }
  // the stack adopts the environment's namespace (an import block, constructs/adopt.ts): without it the first plan
  // fails with "Cannot import non-existent remote object"
  const what = `namespace ${e.identity.namespace}`;
  try {
    await kc.makeApiClient(k8s.CoreV1Api).readNamespace({ name: e.identity.namespace });
    out.push(pass("kubernetes", what, "present (the stack adopts it)"));
  } catch (err) {
    out.push(
      denied(err)
        ? failed("kubernetes", what, `not allowed to read it (${why(err)})`, CREDENTIALS_FIX)
        : failed("kubernetes", what, `missing (${why(err)})`, `a cluster admin applies npm run --silent deployer-rbac -- ${name}: it creates the namespace and binds the deployer's Role in it`),
    );
  }
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  if (e.sidecarInjection) {
    const mesh = org.serviceMesh;
    // sidecar-cni or ambient: the matrix refuses sidecars with "sidecar-init" (config/rules.ts, Pod Security
    // forbids istio-init's capabilities), so no checked environment has that mode
    const parts =
      mesh.mode === "ambient"
        ? [["DaemonSet", "ztunnel"], ["DaemonSet", "istio-cni-node"], ["Deployment", "istiod"]]
        : [["DaemonSet", "istio-cni-node"], ["Deployment", "istiod"]];
    for (const [kind, n] of parts) {
      try {
        if (kind === "DaemonSet") await apps.readNamespacedDaemonSet({ name: n, namespace: mesh.controlPlane.namespace });
        else await apps.readNamespacedDeployment({ name: n, namespace: mesh.controlPlane.namespace });
        out.push(pass("kubernetes", `mesh (${mesh.mode}): ${kind} ${mesh.controlPlane.namespace}/${n}`, "present"));
      } catch (err) {
        out.push(failed("kubernetes", `mesh (${mesh.mode}): ${kind} ${mesh.controlPlane.namespace}/${n}`, `missing (${why(err)})`, mesh.mode === "ambient" ? "install Istio with the ambient profile (istiod, istio-cni, ztunnel)" : "install Istio with its CNI plugin (components.cni.enabled=true): Pod Security forbids istio-init's capabilities"));
      }
    }
  }
  const boot = clusterBootstrap(m, e.cluster);
  const reviewer = boot.vault.tokenReviewerJwtFrom;
  const binding = boot.manifests.find((o) => o.kind === "ClusterRoleBinding")!;
  try {
    await kc.makeApiClient(k8s.CoreV1Api).readNamespacedServiceAccount({ name: reviewer.serviceAccount, namespace: reviewer.namespace });
    const b = await kc.makeApiClient(k8s.RbacAuthorizationV1Api).readClusterRoleBinding({ name: binding.metadata.name });
    const bound = b.roleRef.name === "system:auth-delegator" && (b.subjects ?? []).some((s) => s.kind === "ServiceAccount" && s.name === reviewer.serviceAccount && s.namespace === reviewer.namespace);
    out.push(
      bound
        ? pass("kubernetes", `token reviewer ${reviewer.namespace}/${reviewer.serviceAccount}`, "bound to system:auth-delegator")
        : failed("kubernetes", `token reviewer ${reviewer.namespace}/${reviewer.serviceAccount}`, `${binding.metadata.name} binds ${b.roleRef.name}`, `npm run --silent cluster-bootstrap -- ${e.cluster} and apply its manifests`),
    );
  } catch (err) {
    out.push(failed("kubernetes", `token reviewer ${reviewer.namespace}/${reviewer.serviceAccount}`, `missing (${why(err)})`, `npm run --silent cluster-bootstrap -- ${e.cluster} and apply its manifests`));
  }
  if (org.datadog.agent.transport === "tcp") {
    const a = org.datadog.agent;
    try {
      await kc.makeApiClient(k8s.CoreV1Api).readNamespacedService({ name: a.service, namespace: a.namespace });
      out.push(pass("kubernetes", `Datadog Agent service ${a.namespace}/${a.service}`, "present"));
    } catch (err) {
      out.push(failed("kubernetes", `Datadog Agent service ${a.namespace}/${a.service}`, `missing (${why(err)})`, "install the Datadog Agent with its local Service (the Helm chart's agents.localService), or set organization.datadog.agent.transport"));
    }
  }
  return out;
}

async function vault(ep: Endpoints, path: string): Promise<{ status: number; body: any }> {
  const answer = await vaultGet(ep.vaultAddress, ep.vaultToken, path, ep.vaultCaPem);
  if (answer.status === 0) return { status: 0, body: { errors: [answer.text] } };
  let body: any = undefined;
  try {
    body = JSON.parse(answer.text);
  } catch {
    // an empty body
  }
  return { status: answer.status, body };
}

/**
 * The KV mount a stack owns (organization.vault.kvMountManagedBy): missing is what its first apply expects; there,
 * it is the stack's own once applied (its description is the stack's) or one its adopt file imports, else that
 * apply would be refused ("path is already in use").
 */
function ownedMountCheck(what: string, kv: { status: number; body: any }, name: string, mount: string, stackJson: Record<string, any>): Check {
  if (kv.status === 404 || (kv.status === 400 && (kv.body?.type ?? kv.body?.data?.type) === undefined)) {
    return pass("vault", what, `not there yet: this stack creates it (organization.vault.kvMountManagedBy is ${name})`);
  }
  if (kv.status !== 200) return failed("vault", what, kv.status === 403 ? "not allowed to read it (HTTP 403)" : `HTTP ${kv.status}`, CREDENTIALS_FIX);
  const mine = Object.values<Record<string, unknown>>(stackJson.resource?.vault_mount ?? {}).find((r) => r.path === mount);
  if (mine !== undefined && (kv.body?.description ?? kv.body?.data?.description) === mine.description) return pass("vault", what, "this stack's own (its description)");
  if ((stackJson.import ?? []).some((i: { to?: string }) => String(i.to).startsWith("vault_mount."))) return pass("vault", what, "exists, and this stack's adopt file imports it");
  return failed(
    "vault",
    what,
    "exists already, while this stack creates it: its first apply would be refused (path is already in use)",
    `import it: add { "to": "vault_mount.kv_mount", "id": "${mount}" } to the import list of stacks/adopted/${name}.json, or set organization.vault.kvMountManagedBy to null to use it as it is`,
  );
}

async function vaultChecks(m: Matrix, name: string, e: EnvironmentSettings, ep: Endpoints, stackJson: Record<string, any>): Promise<Check[]> {
  const org = m.organization;
  const out: Check[] = [];
  try {
    const h = await vault(ep, "sys/health");
    // sys/health: 200 active, 429 unsealed standby (it forwards requests), 473 performance standby (Enterprise: it
    // serves reads, forwards writes), 503 sealed (Vault API docs, /sys/health)
    if (h.status === 0) return [failed("vault", `${ep.vaultAddress} reachable and unsealed`, h.body.errors[0], "check organization.vault.address and the network path to it")];
    if (h.status !== 200 && h.status !== 429 && h.status !== 473) return [failed("vault", `${ep.vaultAddress} reachable and unsealed`, `sys/health answered ${h.status}${h.body?.sealed ? " (sealed)" : ""}`, "unseal Vault, or point organization.vault.address at an active node")];
    out.push(pass("vault", `${ep.vaultAddress} reachable and unsealed`, `version ${h.body?.version ?? "?"}`));
  } catch (err) {
    return [failed("vault", `${ep.vaultAddress} reachable and unsealed`, why(err), "check organization.vault.address and the network path to it")];
  }
  const kv = await vault(ep, `sys/mounts/${org.vault.kvMount}`);
  const version = kv.body?.options?.version ?? kv.body?.data?.options?.version;
  const type = kv.body?.type ?? kv.body?.data?.type;
  const owner = org.vault.kvMountManagedBy;
  const mountWhat = `KV v2 mount ${org.vault.kvMount}/`;
  // the mount is this stack's own (vault_mount.kv_mount): missing is what its first apply expects, and an existing
  // one would be refused by that apply ("path is already in use") unless it is imported first
  if (owner === name) out.push(ownedMountCheck(mountWhat, kv, name, org.vault.kvMount, stackJson));
  else out.push(
    kv.status === 200 && type === "kv" && version === "2"
      ? pass("vault", `KV v2 mount ${org.vault.kvMount}/`, "kv, version 2")
      : kv.status === 403
        ? failed("vault", `KV v2 mount ${org.vault.kvMount}/`, "not allowed to read it (HTTP 403)", CREDENTIALS_FIX)
        : failed(
            "vault",
            `KV v2 mount ${org.vault.kvMount}/`,
            kv.status === 200 ? `type ${type}, version ${version ?? "1"}` : `HTTP ${kv.status}`,
            owner !== null && kv.status !== 200
              ? `apply ${owner}'s stack first: it creates the mount (organization.vault.kvMountManagedBy)`
              : `vault secrets enable -path=${org.vault.kvMount} kv-v2 (or set organization.vault.kvMountManagedBy to a protected environment)`,
          ),
  );
  const boot = clusterBootstrap(m, e.cluster);
  const cfg = await vault(ep, `auth/${boot.vault.mount}/config`);
  const what = `Kubernetes auth ${boot.vault.mount}/ for cluster ${e.cluster}`;
  const fix = `npm run --silent cluster-bootstrap -- ${e.cluster} and run its vault commands`;
  if (cfg.status === 403) out.push(failed("vault", what, "not allowed to read its config (HTTP 403)", CREDENTIALS_FIX));
  else if (cfg.status !== 200) out.push(failed("vault", what, `auth/${boot.vault.mount}/config answered ${cfg.status}`, fix));
  else {
    const d = cfg.body?.data ?? {};
    const problems = [
      d.kubernetes_host !== boot.vault.kubernetesHost && `kubernetes_host is ${d.kubernetes_host}, not ${boot.vault.kubernetesHost}`,
      d.token_reviewer_jwt_set !== true && "no token_reviewer_jwt: every login would be reviewed with its own token and refused (403)",
      boot.vault.disableLocalCaJwt && d.disable_local_ca_jwt !== true && "disable_local_ca_jwt is off while Vault runs outside the cluster",
      boot.vault.kubernetesCaCert !== undefined && d.kubernetes_ca_cert !== boot.vault.kubernetesCaCert && "kubernetes_ca_cert differs from the matrix's",
      // outside the cluster, with no CA, Vault checks the API server against its system roots, which rarely
      // hold a cluster's own CA: every login would fail with an x509 error
      boot.vault.disableLocalCaJwt && !d.kubernetes_ca_cert && `no kubernetes_ca_cert: Vault outside the cluster would verify ${boot.vault.kubernetesHost} against its system roots (set organization.clusters.${e.cluster}.caCertificatePem, unless that certificate is from a public CA)`,
    ].filter((x): x is string => typeof x === "string");
    out.push(problems.length === 0 ? pass("vault", what, "host, reviewer and CA as the matrix says") : failed("vault", what, problems.join("; "), fix));
  }
  for (const service of m.services) out.push(await secretWritten(ep, org.vault.kvMount, serviceSecretKey(e, service.name)));
  return out;
}

/**
 * Whether a service's secret is written, from its KV v2 metadata (versions and times; the planner policy reads
 * nothing else of it): its ExternalSecret extracts the newest version, and finds nothing where there is none or
 * it is deleted (Vault API, KV v2 "Read secret metadata": `current_version`, `versions.<n>.deletion_time`,
 * `destroyed`). Nothing then becomes the Secret the service's pods need.
 */
async function secretWritten(ep: Endpoints, mount: string, key: string): Promise<Check> {
  const what = `secret ${mount}/${key} written`;
  const write = `vault kv put ${mount}/${key} <KEY>=<value> … (README "Secrets")`;
  const r = await vault(ep, `${mount}/metadata/${key}`);
  if (r.status === 404) return failed("vault", what, "nothing there: its ExternalSecret would find nothing, and no Secret would reach the service's pods", write);
  if (r.status === 403) return failed("vault", what, "not allowed to read its metadata (HTTP 403)", "apply the gates stack: the planner policy it writes reads each service's secret metadata (never a value)");
  if (r.status !== 200) return failed("vault", what, `${mount}/metadata/${key} answered ${r.status}`, write);
  const current = r.body?.data?.current_version;
  const newest = r.body?.data?.versions?.[String(current)];
  if (!newest || newest.destroyed === true || (newest.deletion_time ?? "") !== "") {
    return failed("vault", what, `its newest version (${current ?? "none"}) is deleted or destroyed: its ExternalSecret would find nothing`, `vault kv undelete -versions=${current} ${mount}/${key}, or ${write}`);
  }
  return pass("vault", what, `version ${current}`);
}

/**
 * The body of a synthesized `datadog_monitor` as the API client's Monitor model (camelCase: the client's
 * serializer reads only its own attribute names and drops anything else).
 */
export function monitorBody(r: Record<string, any>): Record<string, unknown> {
  const t = r.monitor_thresholds ?? {};
  const num = (v: unknown) => (v === undefined ? undefined : Number(v));
  const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return defined({
    name: r.name,
    type: r.type,
    query: r.query,
    message: r.message,
    tags: r.tags,
    priority: num(r.priority),
    options: defined({
      thresholds: defined({ critical: num(t.critical), warning: num(t.warning), criticalRecovery: num(t.critical_recovery), warningRecovery: num(t.warning_recovery) }),
      notifyNoData: r.notify_no_data,
      noDataTimeframe: r.no_data_timeframe,
      onMissingData: r.on_missing_data,
      renotifyInterval: r.renotify_interval,
      timeoutH: r.timeout_h,
      requireFullWindow: r.require_full_window,
      includeTags: r.include_tags,
    }),
  });
}


async function datadogChecks(stackJsons: readonly Record<string, any>[], ep: Endpoints): Promise<Check[]> {
  const configuration = datadogConfiguration(ep.datadogApiUrl, ep.datadogApiKey, ep.datadogAppKey);
  const out: Check[] = [];
  try {
    const v = await new ddV1.AuthenticationApi(configuration).validate();
    if (!v.valid) throw new Error("not valid");
    out.push(pass("datadog", "API key valid", ep.datadogApiUrl));
  } catch (err) {
    return [failed("datadog", "API key valid", why(err), "set DD_API_KEY (and DD_APP_KEY) for the site in organization.datadog.apiUrl")];
  }
  const monitors = stackJsons.flatMap((j) => Object.values<Record<string, any>>(j.resource?.datadog_monitor ?? {}));
  const api = new ddV1.MonitorsApi(configuration);
  for (const r of monitors) {
    try {
      await api.validateMonitor({ body: monitorBody(r) as unknown as ddV1.Monitor });
      out.push(pass("datadog", `monitor accepted: ${r.name}`, r.query));
    } catch (err) {
      const body = (err as { body?: { errors?: string[] } }).body;
      out.push(failed("datadog", `monitor accepted: ${r.name}`, body?.errors?.join("; ") ?? why(err), "fix the query form (README \"Monitoring\" lists each form and its Datadog page)"));
    }
  }
  const handles = handlesOf(monitors.map((r) => String(r.message)));
  const pd = new ddV1.PagerDutyIntegrationApi(configuration);
  const slack = new ddV1.SlackIntegrationApi(configuration);
  const hooks = new ddV1.WebhooksIntegrationApi(configuration);
  for (const h of handles) {
    let m: RegExpMatchArray | null;
    try {
      if ((m = h.match(/^@pagerduty-(.+)$/))) await pd.getPagerDutyIntegrationService({ serviceName: m[1] });
      else if ((m = h.match(/^@webhook-(.+)$/))) await hooks.getWebhooksIntegration({ webhookName: m[1] });
      else if ((m = h.match(/^@slack-(.+)$/))) {
        // @slack-<account>-<channel> or @slack-<channel> (one account): try each split
        const name = m[1];
        const splits = [...name.matchAll(/-/g)].map((x) => [name.slice(0, x.index), name.slice(x.index! + 1)] as const);
        let found = false;
        for (const [account, channel] of splits) {
          try {
            const channels = await slack.getSlackIntegrationChannels({ accountName: account });
            if (channels.some((c) => c.name?.replace(/^#/, "") === channel)) found = true;
          } catch {
            // not an account
          }
          if (found) break;
        }
        if (!found) throw new Error(`no Slack account and channel make ${h} (a single-account handle @slack-<channel> cannot be checked: name the account, @slack-<account>-<channel>)`);
      } else {
        out.push(failed("datadog", `notification handle ${h}`, "not a PagerDuty, Slack or webhook handle", "use @pagerduty-…, @slack-… or @webhook-… handles in organization.datadog"));
        continue;
      }
      out.push(pass("datadog", `notification handle ${h}`, "known to Datadog"));
    } catch (err) {
      out.push(failed("datadog", `notification handle ${h}`, `unknown (${why(err)})`, `set up ${h} in Datadog's integration (or correct the handle in config/organization.ts)`));
    }
  }
  return out;
}

async function githubChecks(m: Matrix, ep: Endpoints): Promise<Check[]> {
  const { owner, repository } = m.organization.github;
  let repo: any;
  try {
    repo = (await ep.github.rest.repos.get({ owner, repo: repository })).data;
  } catch (err) {
    return [failed("github", `repository ${owner}/${repository} readable`, why(err), "give the token read access to the repository (the gates plan app: Administration read)")];
  }
  const out: Check[] = [pass("github", `repository ${owner}/${repository} readable`, `${repo.visibility ?? (repo.private ? "private" : "public")}`)];
  const wantsReviewers = Object.values(m.environments).some((e) => e.approval.reviewers.teams.length + e.approval.reviewers.users.length > 0);
  if (wantsReviewers && repo.private) {
    // docs.github.com "Deployments and environments": required reviewers on private or internal repositories
    // need GitHub Enterprise. The organization's plan is shown to its owners only; otherwise an environment
    // that already has a required-reviewers rule proves the plan allows them.
    let plan: string | undefined;
    try {
      plan = (await ep.github.rest.orgs.get({ org: owner })).data.plan?.name;
    } catch {
      plan = undefined;
    }
    let proven: string | undefined;
    if (plan === undefined) {
      // any environment's required-reviewers rule proves the plan has them, whoever the matrix names there
      for (const e of Object.values(m.environments)) {
        try {
          const env = (await ep.github.rest.repos.getEnvironment({ owner, repo: repository, environment_name: e.identity.githubEnvironment })).data;
          if ((env.protection_rules ?? []).some((r: { type: string }) => r.type === "required_reviewers")) proven = e.identity.githubEnvironment;
        } catch (err) {
          // not there yet (404); a 403 is the token missing Actions: read, which the provider's own reads need too
          if ((err as { status?: number }).status === 403) {
            out.push(failed("github", `read GitHub environment ${e.identity.githubEnvironment}`, "HTTP 403", "give the gates' GitHub Apps Repository permission Actions: read: GitHub wants it to read an environment or a deployment branch policy of a private or internal repository, and the provider reads them after every write"));
            break;
          }
        }
        if (proven) break;
      }
    }
    const what = "required reviewers available on this private repository";
    out.push(
      plan === "enterprise" || proven
        ? pass("github", what, plan ? `plan: ${plan}` : `environment ${proven} already has a required-reviewers rule`)
        : failed("github", what, plan ? `plan: ${plan}` : "the organization's plan is not visible to this token and no environment has required reviewers yet", "required reviewers and wait timers on private or internal repositories need GitHub Enterprise; make the repository public or move to Enterprise (an org owner can confirm the plan)"),
    );
  }
  // the rulesets' code scanning rule waits for CodeQL's results, and dependency review reads the dependency graph:
  // on a private or internal repository both need GitHub Code Security (formerly Advanced Security); GET /repos
  // shows `security_and_analysis` only to a token that may administer the repository (GitHub REST "Get a repository")
  const wantsScanning = Object.values(m.environments).some((e) => e.identity.protectedBranch !== null && e.approval.codeScanning !== null);
  if (wantsScanning && (repo.private || repo.visibility === "internal")) {
    const sa = repo.security_and_analysis as Record<string, { status?: string } | undefined> | null | undefined;
    const what = `code scanning available on this ${repo.visibility ?? "private"} repository`;
    const on = (k: string) => sa?.[k]?.status === "enabled";
    out.push(
      !sa
        ? failed("github", what, "the repository's security settings are not visible to this token", "give the token Administration read (the gates plan app has it), or have an admin confirm GitHub Code Security is enabled")
        : on("code_security") || on("advanced_security")
          ? pass("github", what, "GitHub Code Security enabled")
          : failed("github", what, "GitHub Code Security is not enabled: the protected branches' code scanning rule would wait for results forever", "enable GitHub Code Security for the repository (Settings → Advanced Security), which code scanning and dependency review need on a private repository"),
    );
  }
  out.push(await planRetentionCheck(ep, owner, repository));
  return out;
}

/**
 * The repository's artifact retention (GitHub REST "Get artifact and log retention settings for a repository":
 * `days`) against the days the deploy workflow keeps a saved plan: shorter, and GitHub cuts the plan's retention to
 * it, so a plan approved after that many days (a merge waiting for prod's window) is gone when its apply starts.
 */
async function planRetentionCheck(ep: Endpoints, owner: string, repo: string): Promise<Check> {
  const what = `artifact retention of ${owner}/${repo} at least ${PLAN_RETENTION_DAYS} days (a saved plan waits for its approval)`;
  try {
    const r = await ep.github.request("GET /repos/{owner}/{repo}/actions/permissions/artifact-and-log-retention", { owner, repo });
    const days = (r.data as { days?: number }).days;
    return typeof days === "number" && days >= PLAN_RETENTION_DAYS
      ? pass("github", what, `${days} days`)
      : failed("github", what, `${days ?? "?"} days: GitHub keeps the deploy run's saved plans no longer, and an apply approved later finds none`, `raise it to ${PLAN_RETENTION_DAYS} days or more (Settings → Actions → General → Artifact and log retention; an organization or enterprise limit caps it)`);
  } catch (err) {
    return failed("github", what, why(err), "give the token Administration read (the gates plan app has it), or have an admin confirm the retention in Settings → Actions → General");
  }
}

/**
 * The variables the providers read besides what the stack sets, where they would plan against something else than
 * what preflight checks:
 * - the kubernetes provider (2.38.0 kubernetes/provider.go) loads a kubeconfig only from `config_path(s)` or
 *   `KUBE_CONFIG_PATH(S)`, the stack sets neither, and with none it falls back to an empty client config ("provider
 *   operations will fail or attempt to connect to localhost"): `KUBE_CONFIG_PATH` must be set;
 * - `KUBE_CTX` overrides the stack's `config_context` for `kubernetes_manifest` only (manifest/provider/configure.go):
 *   the SecretStore and ExternalSecrets would go to another cluster than the rest of the stack;
 * - `GITHUB_OWNER` or `GITHUB_ORGANIZATION` overrides the stack's `owner` (integrations/github 6.9.0 provider.go).
 */
function providerEnvironmentChecks(m: Matrix, e: EnvironmentSettings, env: Readonly<Record<string, string | undefined>>): Check[] {
  const out: Check[] = [];
  const context = m.organization.clusters[e.cluster].context;
  out.push(
    env.KUBE_CONFIG_PATH
      ? pass("kubernetes", "KUBE_CONFIG_PATH set (the provider reads no other kubeconfig)", env.KUBE_CONFIG_PATH)
      : failed("kubernetes", "KUBE_CONFIG_PATH set (the provider reads no other kubeconfig)", "unset: the kubernetes provider would load no kubeconfig at all (not ~/.kube/config) and plan against an empty client config", `export KUBE_CONFIG_PATH=<a kubeconfig with the context ${context}>`),
  );
  if (env.KUBE_CTX && env.KUBE_CTX !== context) {
    out.push(failed("kubernetes", "KUBE_CTX unset, or the matrix's context", `${env.KUBE_CTX}: the provider would send the SecretStore and ExternalSecrets there, and the rest of the stack to ${context}`, "unset KUBE_CTX"));
  }
  const owner = m.organization.github.owner;
  for (const name of ["GITHUB_OWNER", "GITHUB_ORGANIZATION"]) {
    const v = env[name];
    if (v && v !== owner) out.push(failed("github", `${name} unset, or the matrix's owner`, `${v}: the github provider would manage ${v}'s repository instead of ${owner}'s`, `unset ${name}`));
  }
  return out;
}

/**
 * Every check for environment `name`, in order: the providers' environment, Kubernetes, Vault, Datadog, GitHub. `teamStackJsons`: the
 * environment's team stacks when it is split by team (config/stacks.ts teamStacks), which then hold its monitors:
 * the environment's own stack has none left to validate.
 */
export async function preflight(m: Matrix, name: string, stackJson: Record<string, any>, ep: Endpoints, teamStackJsons: readonly Record<string, any>[] = []): Promise<Check[]> {
  const e = m.environments[name];
  return [
    ...(ep.providerEnv ? providerEnvironmentChecks(m, e, ep.providerEnv) : []),
    ...(await kubernetesChecks(m, name, e, ep)),
    ...(await vaultChecks(m, name, e, ep, stackJson)),
    ...(await datadogChecks([stackJson, ...teamStackJsons], ep)),
    ...(await githubChecks(m, ep)),
  ];
}

export function formatChecklist(checks: readonly Check[]): string {
  return checks
    .map((c) => `${c.ok ? "✔" : "✘"} ${c.system.padEnd(10)} ${c.what}: ${c.detail}${c.ok ? "" : `\n    fix: ${c.fix}`}`)
    .join("\n");
}
