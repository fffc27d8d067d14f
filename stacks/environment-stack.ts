/**
 * One environment's Terraform stack. Maps the environment's record in the matrix onto constructs, in one
 * place and the same way for every environment: nothing here branches on an environment's name.
 */
import { Annotations, CloudBackend, LocalBackend, NamedCloudWorkspace, S3Backend, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { VaultProvider } from "@cdktf/provider-vault/lib/provider";
import { DatadogProvider } from "@cdktf/provider-datadog/lib/provider";
import type { EnvironmentSettings, Organization, Service } from "../config/types";
import { EnvironmentNamespace } from "../constructs/namespace";
import { NetworkPolicies } from "../constructs/network-policies";
import { VaultAccess } from "../constructs/vault-access";
import { ExternalSecrets } from "../constructs/external-secrets";
import { DatadogMonitors } from "../constructs/datadog-monitors";
import { canaryErrorRateAllowancePoints } from "../config/thresholds";
import { ReadableStack } from "./logical-ids";
import { derivedNames } from "./names";

export interface EnvironmentStackProps {
  /** The environment's name: the stack id, the `env` label and tag. */
  readonly name: string;
  readonly environment: EnvironmentSettings;
  readonly organization: Organization;
  readonly services: readonly Service[];
}

/** Label that marks every namespace and object of an environment (for people and tools; never a security selector). */
export const ENVIRONMENT_LABEL = "envmatrix.io/environment";
/** Pods that talk to Vault themselves carry this label; only they get the Vault egress. */
export const VAULT_CLIENT_LABEL = { "envmatrix.io/vault-client": "true" } as const;
/** Istio ambient: the namespace label that enrolls its pods (istio.io ambient docs). */
export const AMBIENT_LABEL = { key: "istio.io/dataplane-mode", value: "ambient" } as const;
/** Unified service tagging: the pod labels the Datadog Agent turns into env, service and version tags. */
export const UNIFIED_SERVICE_TAGGING_LABELS = ["tags.datadoghq.com/env", "tags.datadoghq.com/service", "tags.datadoghq.com/version"] as const;
/** The port a service listens on unless the matrix says otherwise. */
export const DEFAULT_SERVICE_PORT = 8080;

export class EnvironmentStack extends ReadableStack {
  constructor(scope: Construct, props: EnvironmentStackProps) {
    super(scope, props.name);
    const { name, environment: env, organization: org, services } = props;

    configureBackend(this, name, env);
    new KubernetesProvider(this, "kubernetes", {
      // The kubeconfig file itself comes from KUBE_CONFIG_PATH; only the context is the matrix's.
      configContext: org.clusters[env.cluster].context,
    });
    // The token comes from VAULT_TOKEN (or the CLI's token helper); only the address is the matrix's.
    // skip_child_token: the provider otherwise creates a child token at configure time, during plan too, which a
    // read-only plan token may not (auth/token/create); the job's own token is short-lived (OIDC, 15 minutes)
    new VaultProvider(this, "vault", { address: org.vault.address, skipChildToken: true });
    // Keys come from DD_API_KEY and DD_APP_KEY; only the site is the matrix's.
    new DatadogProvider(this, "datadog", { apiUrl: org.datadog.apiUrl });

    const labels = {
      [ENVIRONMENT_LABEL]: name,
      "app.kubernetes.io/part-of": org.project,
      "app.kubernetes.io/managed-by": "envmatrix",
    };
    const names = derivedNames(name, env, org);
    const namespace = this.configureNamespace(name, env, org, services, labels);
    this.configureSecrets(name, env, org, services, labels, names, namespace.namespaceName);
    // GitHub gates are not here: they are the gates stack's, applied only with a protected credential, so an
    // unprotected environment's deploy never holds a token that administers the repository.
    this.configureMonitors(name, env, org, services);
  }

  private configureNamespace(
    name: string,
    env: EnvironmentSettings,
    org: Organization,
    services: readonly Service[],
    labels: Readonly<Record<string, string>>,
  ): EnvironmentNamespace {
    const mesh = org.serviceMesh;
    const sidecars = env.sidecarInjection && mesh.mode !== "ambient";
    const ambient = env.sidecarInjection && mesh.mode === "ambient";
    const namespace = new EnvironmentNamespace(this, "namespace", {
      name: env.identity.namespace,
      labels,
      podSecurity: env.protected ? "restricted" : "baseline",
      podSecurityVersion: org.podSecurityVersion,
      sidecarInjectionLabel: sidecars
        ? { key: mesh.injectionLabel, value: mesh.injectionValue }
        : ambient
          ? AMBIENT_LABEL
          : undefined,
      pod: env.pod,
      // ambient pods have no sidecar: ztunnel runs on the node, outside the quota
      sidecar: sidecars ? mesh.sidecar : undefined,
      maxReplicas: env.replicas.max,
      rolloutSurgePods: env.rolloutSurgePods,
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
        REPLICAS_MIN: `${env.replicas.min}`,
        REPLICAS_DEFAULT: `${env.replicas.default}`,
        REPLICAS_MAX: `${env.replicas.max}`,
        // unified service tagging: the env tag every span and metric carries
        DD_ENV: name,
        ...(org.datadog.agent.transport === "tcp"
          ? { DD_AGENT_HOST: `${org.datadog.agent.service}.${org.datadog.agent.namespace}.svc` }
          : { DD_TRACE_AGENT_URL: "unix:///var/run/datadog/apm.socket", DD_DOGSTATSD_URL: "unix:///var/run/datadog/dsd.socket" }),
        // the monitors select pods by these labels: every workload's pod template must carry them
        REQUIRED_POD_LABELS: UNIFIED_SERVICE_TAGGING_LABELS.map((l) => `${l}=<${l.split("/")[1]}>`).join(","),
      },
      preventDestroy: env.protected,
    });

    const vaultUrl = new URL(org.vault.address);
    new NetworkPolicies(this, "network", {
      namespace: namespace.namespaceName,
      labels,
      sameEnvironmentNamespaces: env.network.allowSameEnvironment ? [env.identity.namespace] : undefined,
      allowDns: env.network.allowDns,
      ingressController: env.network.allowIngressController
        ? { ...org.ingressController, ports: [...new Set(services.map((s) => s.port ?? DEFAULT_SERVICE_PORT))] }
        : undefined,
      vaultEgress: env.network.allowVaultEgress
        ? { cidrs: org.vault.egressCidrs, port: Number(vaultUrl.port || 443), podLabels: VAULT_CLIENT_LABEL }
        : undefined,
      meshControlPlane: sidecars ? mesh.controlPlane : undefined,
      ambientMesh: ambient,
      datadogAgent: org.datadog.agent.transport === "tcp" ? org.datadog.agent : undefined,
    });
    return namespace;
  }

  private configureSecrets(
    name: string,
    env: EnvironmentSettings,
    org: Organization,
    services: readonly Service[],
    labels: Readonly<Record<string, string>>,
    names: ReturnType<typeof derivedNames>,
    namespaceName: string,
  ): void {
    const vault = new VaultAccess(this, "vaultAccess", {
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
      preventDestroy: env.protected,
    });

    // kubernetes_manifest needs the operator's CRDs at plan time: the matrix says whether the cluster has them.
    if (!env.secrets.operatorInstalled) return;
    const rotation = org.secretRotation;
    new ExternalSecrets(this, "externalSecrets", {
      namespace: namespaceName,
      labels,
      vault: {
        server: org.vault.address,
        kvMount: org.vault.kvMount,
        authMountPath: vault.role.backend,
        role: vault.role.roleName,
        caCertificatePem: org.vault.caCertificatePem,
        serviceAccount: org.secretSync.serviceAccount,
        audience: org.vault.tokenAudience,
      },
      secrets: services.map((s) => ({ secretName: s.name, remoteKey: `${env.identity.vaultSubtree}/${s.name}` })),
      refreshInterval: env.secrets.refreshInterval,
      creationPolicy: env.secrets.creationPolicy,
      deletionPolicy: env.secrets.deletionPolicy,
      annotations: {
        "envmatrix.io/rotate-database-passwords-days": `${rotation.databasePasswordDays}`,
        "envmatrix.io/rotate-api-keys-days": `${rotation.apiKeyDays}`,
        "envmatrix.io/rotate-signing-keys-months": `${rotation.signingKeyMonths}`,
      },
      preventDestroy: env.protected,
    });
  }

  private configureMonitors(name: string, env: EnvironmentSettings, org: Organization, services: readonly Service[]): void {
    const al = env.alerts;
    const dd = org.datadog;
    // quiet (logged only), chat, or page on-call and tell chat
    const notify = { none: [], chat: [dd.chatHandle], page: [dd.pagerHandle, dd.chatHandle] }[al.routing];
    new DatadogMonitors(this, "monitors", {
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
      notify,
      runbookBaseUrl: dd.runbookBaseUrl,
      traceOperation: dd.traceOperation,
      extraTags: ["managed-by:envmatrix"],
      slo: env.slo ?? undefined,
      canaryGate: env.canaryGate
        ? {
            maxErrorRateIncreasePoints: canaryErrorRateAllowancePoints(env.canaryGate.maxErrorRateIncreasePercent, al.errorRatePercent),
            maxLatencyIncreasePercent: env.canaryGate.maxLatencyIncreasePercent,
            tag: dd.apmSecondPrimaryTag,
            notify: [dd.gateHandle],
          }
        : undefined,
    });
  }
}

/** The stack's Terraform backend, from the environment's `backend` (state key and workspace named after `name`). */
export function configureBackend(stack: TerraformStack, name: string, env: EnvironmentSettings, where = `environments.${name}.backend`): void {
  const backend = env.backend;
  switch (backend.type) {
    case "local":
      // Relative to where Terraform runs (cdktf.out/stacks/<env>): the state sits beside the project,
      // outside cdktf.out, and the synthesized file holds no path of this machine.
      new LocalBackend(stack, { path: `../../../terraform.${name}.tfstate` });
      if (env.protected) {
        Annotations.of(stack).addWarning(
          `${where}: protected environment on the local backend; state lives on one machine ` +
            `with no shared lock. Choose "s3" or "hcp" in config/environments.ts before deploying it for real.`,
        );
      }
      return;
    case "s3":
      new S3Backend(stack, {
        bucket: backend.bucket,
        region: backend.region,
        key: `${backend.keyPrefix}/${name}/terraform.tfstate`,
        encrypt: true,
        kmsKeyId: backend.kmsKeyId,
      });
      // Terraform >= 1.10 locks with a lock file beside the state; no DynamoDB table needed.
      stack.addOverride("terraform.backend.s3.use_lockfile", true);
      return;
    case "hcp":
      new CloudBackend(stack, {
        organization: backend.organization,
        hostname: backend.hostname,
        workspaces: new NamedCloudWorkspace(`${backend.workspacePrefix}${name}`),
      });
      return;
  }
}
