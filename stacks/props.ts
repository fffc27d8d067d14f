/**
 * The matrix → construct props, one pure function per capability: namespace (with its quota, limits and profile),
 * network policies, Vault access, secret sync, monitors. Each takes the environment's context (and what an earlier
 * construct named: the namespace, the Vault role) and returns plain data, so a test can read it without
 * synthesizing; `EnvironmentStack` is the list of `new X(this, id, xProps(context))`.
 */
import { rolloutRoomPods } from "../config/rollout-room";
import { sidecarInjected } from "../config/cost";
import { deploymentEventTags } from "../config/datadog-queries";
import type { DatadogDashboardProps } from "../constructs/datadog-dashboard";
import type { EnvironmentNamespaceProps } from "../constructs/namespace";
import type { NetworkPoliciesProps } from "../constructs/network-policies";
import type { VaultAccessProps } from "../constructs/vault-access";
import type { ExternalSecretsProps } from "../constructs/external-secrets";
import type { DatadogMonitorsProps, MonitorRoute } from "../constructs/datadog-monitors";
import { ALERT_TIERS } from "../config/schema";
import type { EnvironmentSettings, Organization, Service } from "../config/types";

type AlertTier = (typeof ALERT_TIERS)[number];
import { canaryErrorRateAllowancePoints } from "../config/thresholds";
import { derivedNames, serviceSecretKey } from "./names";
import { cpuQuantity, memoryQuantity } from "../constructs/quantities";

/** Label that marks every namespace and object of an environment (for people and tools; never a security selector). */
export const ENVIRONMENT_LABEL = "envmatrix.io/environment";
/** Pods that talk to Vault themselves carry this label; only they get the Vault egress. */
export const VAULT_CLIENT_LABEL = { "envmatrix.io/vault-client": "true" } as const;
/** Istio ambient: the namespace label that enrolls its pods (istio.io ambient docs). */
export const AMBIENT_LABEL = { key: "istio.io/dataplane-mode", value: "ambient" } as const;
/** Unified service tagging: the pod labels the Datadog Agent turns into env, service and version tags. */
export const UNIFIED_SERVICE_TAGGING_LABELS = ["tags.datadoghq.com/env", "tags.datadoghq.com/service", "tags.datadoghq.com/version"] as const;
/**
 * The pod annotations that size Istio's injected proxy (and, with the CNI, its istio-validation init container) as
 * the quota counts it: requests and limits both the matrix's sidecar size. Istio's injection template writes
 * requests only from proxyCPU/proxyMemory and limits only from proxyCPULimit/proxyMemoryLimit; with any of them
 * set it leaves the mesh's defaults out, and the LimitRange then gives a missing limit the whole pod size; with
 * none set the defaults apply, limits 2000m and 1024Mi (istio 1.27.9 injection-template.yaml "resources",
 * istio-discovery values.yaml global.proxy.resources), above a small pod's LimitRange max and twice the quota's
 * share of a large one.
 */
export function sidecarResourceAnnotations(sidecar: Organization["serviceMesh"]["sidecar"]): Record<string, string> {
  const [cpu, memory] = [cpuQuantity(sidecar.cpuMillicores), memoryQuantity(sidecar.memoryMiB)];
  return {
    "sidecar.istio.io/proxyCPU": cpu,
    "sidecar.istio.io/proxyCPULimit": cpu,
    "sidecar.istio.io/proxyMemory": memory,
    "sidecar.istio.io/proxyMemoryLimit": memory,
  };
}
/** The port a service listens on unless the matrix says otherwise. */
export const DEFAULT_SERVICE_PORT = 8080;

/** One environment as the props functions read it. */
export interface EnvironmentContext {
  /** The environment's name: the stack id, the `env` label and tag. */
  readonly name: string;
  readonly env: EnvironmentSettings;
  readonly org: Organization;
  readonly services: readonly Service[];
}

type Labels = Readonly<Record<string, string>>;

/** The labels every object of the environment carries. */
export function environmentLabels({ name, org }: EnvironmentContext): Labels {
  return {
    [ENVIRONMENT_LABEL]: name,
    "app.kubernetes.io/part-of": org.project,
    "app.kubernetes.io/managed-by": "envmatrix",
  };
}

/** How the mesh joins the environment's pods: sidecars, ambient, or not at all. */
function meshOf({ env, org }: EnvironmentContext) {
  // the cost estimate counts the same sidecar (config/cost.ts)
  return { sidecars: sidecarInjected(env, org), ambient: env.sidecarInjection && org.serviceMesh.mode === "ambient" };
}

/**
 * The rollout as profile values any rollout tool can read: steps as `<percent>%` (traffic: `<percent>%/<minutes>m`,
 * ending at 100%), durations as Go durations (`60m`).
 */
export function rolloutProfile(r: EnvironmentSettings["rollout"]): Record<string, string> {
  return {
    FEATURE_FLAG_STEPS: r.featureFlagPercentSteps.map((p) => `${p}%`).join(","),
    TRAFFIC_STEPS: [...r.trafficSteps.map((t) => `${t.percent}%/${t.minutes}m`), "100%"].join(","),
    PREVIOUS_VERSION_FALLBACK: `${r.previousVersionFallbackMinutes}m`,
    PREVIOUS_VERSION_STANDBY: `${r.previousVersionStandbyMinutes}m`,
    ...(r.rollbackWithinMinutes === null ? {} : { ROLLBACK_WITHIN: `${r.rollbackWithinMinutes}m` }),
  };
}

export function namespaceProps(context: EnvironmentContext, labels: Labels): EnvironmentNamespaceProps {
  const { name, env, org, services } = context;
  const mesh = org.serviceMesh;
  const { sidecars, ambient } = meshOf(context);
  return {
    name: env.identity.namespace,
    labels,
    podSecurity: env.protected ? "restricted" : "baseline",
    podSecurityVersion: org.podSecurityVersion,
    sidecarInjectionLabel: sidecars ? { key: mesh.injectionLabel, value: mesh.injectionValue } : ambient ? AMBIENT_LABEL : undefined,
    pod: env.pod,
    // ambient pods have no sidecar: ztunnel runs on the node, outside the quota
    sidecar: sidecars ? mesh.sidecar : undefined,
    maxReplicas: env.replicas.max,
    rolloutRoomPods: rolloutRoomPods(env),
    serviceCount: services.length,
    services: services.map((s) => s.name),
    secretSyncServiceAccount: org.secretSync.serviceAccount,
    profile: {
      ENVIRONMENT: name,
      LOG_LEVEL: env.runtime.logLevel,
      API_TIMEOUT: `${env.runtime.apiTimeoutSeconds}s`,
      DB_POOL_SIZE: `${env.runtime.dbPoolSize}`,
      TLS_ENABLED: `${env.traffic.tls}`,
      RATE_LIMIT_ENABLED: `${env.traffic.rateLimit}`,
      CACHE_ENABLED: `${env.runtime.cacheEnabled}`,
      ENABLE_METRICS: `${env.runtime.metricsEnabled}`,
      ALERT_ON_ERRORS: `${env.runtime.alertOnErrors}`,
      DB_MIGRATIONS: env.runtime.databaseMigrations,
      ...rolloutProfile(env.rollout),
      REPLICAS_MIN: `${env.replicas.min}`,
      REPLICAS_DEFAULT: `${env.replicas.default}`,
      REPLICAS_MAX: `${env.replicas.max}`,
      // the pods per service beyond REPLICAS_MAX the quota leaves room for: a Deployment's maxSurge must not exceed it
      // (Kubernetes' default, 25% of its replicas rounded up, is 2 at 5 replicas: a surge pod beyond the room is
      // refused by the quota, and the rollout crawls through FailedCreate events)
      ROLLOUT_ROOM_PODS: `${rolloutRoomPods(env)}`,
      // unified service tagging: the env tag every span and metric carries
      DD_ENV: name,
      ...(org.datadog.agent.transport === "tcp"
        ? { DD_AGENT_HOST: `${org.datadog.agent.service}.${org.datadog.agent.namespace}.svc` }
        : { DD_TRACE_AGENT_URL: "unix:///var/run/datadog/apm.socket", DD_DOGSTATSD_URL: "unix:///var/run/datadog/dsd.socket" }),
      // the monitors select pods by these labels: every workload's pod template must carry them
      REQUIRED_POD_LABELS: UNIFIED_SERVICE_TAGGING_LABELS.map((l) => `${l}=<${l.split("/")[1]}>`).join(","),
      // where a sidecar is injected, every workload's pod template carries these too: the quota and the LimitRange
      // hold only a proxy of the matrix's sidecar size
      ...(sidecars
        ? { REQUIRED_POD_ANNOTATIONS: Object.entries(sidecarResourceAnnotations(mesh.sidecar)).map(([k, v]) => `${k}=${v}`).join(",") }
        : {}),
    },
  };
}

export function networkProps(context: EnvironmentContext, labels: Labels, namespaceName: string): NetworkPoliciesProps {
  const { env, org, services } = context;
  const { sidecars, ambient } = meshOf(context);
  const vaultUrl = new URL(org.vault.address);
  return {
    namespace: namespaceName,
    labels,
    sameEnvironmentNamespaces: env.network.allowSameEnvironment ? [env.identity.namespace] : undefined,
    allowDns: env.network.allowDns,
    dnsIpBlocks: org.clusters[env.cluster].dnsIpBlocks,
    ingressController: env.network.allowIngressController
      ? { ...org.ingressController, ports: [...new Set(services.map((s) => s.port ?? DEFAULT_SERVICE_PORT))] }
      : undefined,
    vaultEgress: env.network.allowVaultEgress ? { cidrs: org.vault.egressCidrs, port: Number(vaultUrl.port || 443), podLabels: VAULT_CLIENT_LABEL } : undefined,
    meshControlPlane: sidecars ? org.serviceMesh.controlPlane : undefined,
    ambientMesh: ambient,
    datadogAgent: org.datadog.agent.transport === "tcp" ? org.datadog.agent : undefined,
  };
}

export function vaultAccessProps({ name, env, org }: EnvironmentContext, namespaceName: string): VaultAccessProps {
  const names = derivedNames(name, env, org);
  return {
    policyName: names.vaultPolicy,
    kvMount: org.vault.kvMount,
    subtree: env.identity.vaultSubtree,
    manageKvMount: org.vault.kvMountManagedBy === name,
    authMountPath: names.vaultAuthMount,
    roleName: names.vaultRole,
    serviceAccount: org.secretSync.serviceAccount,
    namespace: namespaceName,
    audience: org.vault.tokenAudience,
    tokenTtlSeconds: env.secrets.vaultTokenTtlSeconds,
  };
}

/** What each service's ExternalSecret needs: all of ExternalSecretsProps but the SecretStore's Vault login. */
export type SecretSyncProps = Omit<ExternalSecretsProps, "vault">;

/**
 * The ExternalSecrets' part of the secret sync, without the SecretStore's login: a team stack writes only its
 * services' ExternalSecrets, against the environment stack's SecretStore. Undefined where the cluster lacks the
 * External Secrets Operator (kubernetes_manifest needs its CRDs at plan time).
 */
export function secretSyncProps({ env, org, services }: EnvironmentContext, labels: Labels, namespaceName: string): SecretSyncProps | undefined {
  if (!env.secrets.operatorInstalled) return undefined;
  const rotation = org.secretRotation;
  return {
    namespace: namespaceName,
    labels,
    secrets: services.map((s) => ({ secretName: s.name, remoteKey: serviceSecretKey(env, s.name) })),
    refreshInterval: env.secrets.refreshInterval,
    creationPolicy: env.secrets.creationPolicy,
    deletionPolicy: env.secrets.deletionPolicy,
    annotations: {
      "envmatrix.io/rotate-database-passwords-days": `${rotation.databasePasswordDays}`,
      "envmatrix.io/rotate-api-keys-days": `${rotation.apiKeyDays}`,
      "envmatrix.io/rotate-signing-keys-months": `${rotation.signingKeyMonths}`,
    },
  };
}

/**
 * The secret sync's SecretStore and ExternalSecrets, logging in with the Vault role; undefined where the cluster
 * lacks the External Secrets Operator.
 */
export function externalSecretsProps(
  context: EnvironmentContext,
  labels: Labels,
  namespaceName: string,
  vaultRole: { readonly authMountPath: string; readonly role: string },
): ExternalSecretsProps | undefined {
  const sync = secretSyncProps(context, labels, namespaceName);
  if (!sync) return undefined;
  const { org } = context;
  return {
    ...sync,
    vault: {
      server: org.vault.address,
      kvMount: org.vault.kvMount,
      authMountPath: vaultRole.authMountPath,
      role: vaultRole.role,
      caCertificatePem: org.vault.caCertificatePem,
      serviceAccount: org.secretSync.serviceAccount,
      audience: org.vault.tokenAudience,
    },
  };
}

/** Who hears about an alert, by routing: nobody (logged only), chat, or on-call and chat. */
export function alertRecipients(routing: EnvironmentSettings["alerts"]["routing"], datadog: Organization["datadog"]): string[] {
  return { none: [], chat: [datadog.chatHandle], page: [datadog.pagerHandle, datadog.chatHandle] }[routing];
}

/**
 * Where a monitor of a tier goes (DESIGN.md, prod's alerting): critical pages on-call and tells the chat, high
 * opens a ticket, medium and low notify nobody (medium is looked into from Datadog's monitor list, low makes the
 * weekly report, both found by their `alert-tier` tag); the tier is also the monitor's priority.
 */
export function tierRoute(tier: AlertTier, datadog: Organization["datadog"]): MonitorRoute {
  const notify = { critical: [datadog.pagerHandle, datadog.chatHandle], high: [datadog.ticketHandle], medium: [], low: [] }[tier];
  return { notify, priority: ALERT_TIERS.indexOf(tier) + 1, tag: `alert-tier:${tier}` };
}

export function dashboardProps({ name, env, org, services }: EnvironmentContext, quota: DatadogDashboardProps["quota"]): DatadogDashboardProps {
  return {
    env: name,
    namespace: env.identity.namespace,
    services: services.map((s) => s.name),
    traceOperations: [...new Set(services.map((s) => s.traceOperation ?? org.datadog.traceOperation))].map((operation) => ({
      operation,
      services: services.filter((s) => (s.traceOperation ?? org.datadog.traceOperation) === operation).map((s) => s.name),
    })),
    errorRatePercent: env.alerts.errorRatePercent,
    latencyMs: env.alerts.latencyMs,
    quota,
    objectTags: [`env:${name}`, "managed-by:envmatrix"],
    deploymentTags: deploymentEventTags(name),
  };
}

export function monitorsProps({ name, env, org, services }: EnvironmentContext): DatadogMonitorsProps {
  const al = env.alerts;
  const dd = org.datadog;
  return {
    env: name,
    namespace: env.identity.namespace,
    services,
    errorRatePercent: al.errorRatePercent,
    latencyMs: al.latencyMs,
    cpuPercent: al.cpuPercent,
    warningAtPercentOfCritical: al.warningAtPercentOfCritical,
    recoverAtPercentOfThreshold: al.recoverAtPercentOfThreshold,
    evaluationWindowMinutes: al.evaluationWindowMinutes,
    notifyNoData: al.notifyNoData,
    noDataTimeframeMinutes: al.noDataTimeframeMinutes,
    renotifyMinutes: al.renotifyMinutes,
    priority: al.priority,
    notify: alertRecipients(al.routing, dd),
    // on-call is paged on everything but a warning, a ticket opened once per alert (constructs/datadog-monitors.ts deliver)
    handleKinds: { [dd.pagerHandle]: "page", [dd.ticketHandle]: "ticket" },
    tiers: al.tiers ? { errorRate: tierRoute(al.tiers.errorRate, dd), latency: tierRoute(al.tiers.latency, dd), cpu: tierRoute(al.tiers.cpu, dd) } : undefined,
    runbookBaseUrl: dd.runbookBaseUrl,
    traceOperation: dd.traceOperation,
    extraTags: ["managed-by:envmatrix"],
    slo: env.slo ?? undefined,
    canaryGate: env.canaryGate
      ? {
          maxErrorRateIncreasePoints: canaryErrorRateAllowancePoints(env.canaryGate.maxErrorRateIncreasePercent, al.errorRatePercent),
          minExcessErrors: env.canaryGate.minExcessErrors,
          maxLatencyIncreasePercent: env.canaryGate.maxLatencyIncreasePercent,
          tag: dd.apmSecondPrimaryTag,
          notify: [dd.gateHandle],
        }
      : undefined,
  };
}
