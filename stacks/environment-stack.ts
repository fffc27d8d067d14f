/**
 * One environment's Terraform stack. Maps the environment's record in the matrix onto constructs, in one
 * place and the same way for every environment: nothing here branches on an environment's name.
 */
import { Annotations, CloudBackend, LocalBackend, NamedCloudWorkspace, S3Backend, TerraformStack, type TerraformElement } from "cdktf";
import type { Construct, Node } from "constructs";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { VaultProvider } from "@cdktf/provider-vault/lib/provider";
import { GithubProvider } from "@cdktf/provider-github/lib/provider";
import { DatadogProvider } from "@cdktf/provider-datadog/lib/provider";
import type { EnvironmentSettings, Organization, Service } from "../config/types";
import { EnvironmentNamespace } from "../constructs/namespace";
import { NetworkPolicies } from "../constructs/network-policies";
import { VaultAccess } from "../constructs/vault-access";
import { ExternalSecrets } from "../constructs/external-secrets";
import { GitHubEnvironment } from "../constructs/github-environment";
import { DatadogMonitors } from "../constructs/datadog-monitors";
import { readableLogicalId } from "./logical-ids";

export interface EnvironmentStackProps {
  /** The environment's name: the stack id, the `env` label and tag. */
  readonly name: string;
  readonly environment: EnvironmentSettings;
  readonly organization: Organization;
  readonly services: readonly Service[];
}

/** Label that marks every namespace of an environment; the same-environment NetworkPolicy selects on it. */
export const ENVIRONMENT_LABEL = "envmatrix.io/environment";

/** Names every part of a stack derives from the environment's name, in one place. */
function derivedNames(name: string, env: EnvironmentSettings, org: Organization) {
  return {
    vaultRole: `${name}-secret-sync`,
    vaultPolicy: `${org.project}-${name}-secrets-read`,
    vaultAuthMount: `${org.vault.authMountPrefix}${name}`,
    tokenReviewBinding: `${env.identity.namespace}-secret-sync-token-review`,
  };
}

export class EnvironmentStack extends TerraformStack {
  private readonly addresses = new Map<string, string>();

  constructor(scope: Construct, props: EnvironmentStackProps) {
    super(scope, props.name);
    const { name, environment: env, organization: org, services } = props;

    this.configureBackend(name, env);
    new KubernetesProvider(this, "kubernetes", {
      // The kubeconfig file itself comes from KUBE_CONFIG_PATH; only the context is the matrix's.
      configContext: org.clusters[env.cluster].context,
    });
    // The token comes from VAULT_TOKEN (or the CLI's token helper); only the address is the matrix's.
    new VaultProvider(this, "vault", { address: org.vault.address });
    // The token comes from GITHUB_TOKEN (or GitHub App variables); only the owner is the matrix's.
    new GithubProvider(this, "github", { owner: org.github.owner });
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
    this.configureGitHub(name, env, org, names.vaultRole);
    this.configureMonitors(name, env, org, services);
  }

  private configureNamespace(
    name: string,
    env: EnvironmentSettings,
    org: Organization,
    services: readonly Service[],
    labels: Readonly<Record<string, string>>,
  ): EnvironmentNamespace {
    const namespace = new EnvironmentNamespace(this, "namespace", {
      name: env.identity.namespace,
      labels,
      podSecurity: env.protected ? "restricted" : "baseline",
      sidecarInjectionLabel: env.sidecarInjection
        ? { key: org.serviceMesh.injectionLabel, value: org.serviceMesh.injectionValue }
        : undefined,
      pod: env.pod,
      sidecar: env.sidecarInjection ? org.serviceMesh.sidecar : undefined,
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
      },
      preventDestroy: env.protected,
    });

    const vaultUrl = new URL(org.vault.address);
    new NetworkPolicies(this, "network", {
      namespace: namespace.namespaceName,
      labels,
      sameEnvironmentSelector: env.network.allowSameEnvironment ? { [ENVIRONMENT_LABEL]: name } : undefined,
      allowDns: env.network.allowDns,
      ingressControllerNamespace: env.network.allowIngressController ? org.ingressController.namespace : undefined,
      vaultEgress: env.network.allowVaultEgress
        ? { cidrs: org.vault.egressCidrs, port: Number(vaultUrl.port || (vaultUrl.protocol === "https:" ? 443 : 80)) }
        : undefined,
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
      kubernetesHost: org.clusters[env.cluster].host,
      kubernetesCaCert: org.clusters[env.cluster].caCertificatePem,
      roleName: names.vaultRole,
      serviceAccount: org.secretSync.serviceAccount,
      namespace: namespaceName,
      audience: org.vault.tokenAudience,
      tokenTtlSeconds: env.secrets.vaultTokenTtlSeconds,
      tokenReviewBindingName: names.tokenReviewBinding,
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
        authMountPath: vault.authMount.path,
        role: vault.role.roleName,
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

  private configureGitHub(name: string, env: EnvironmentSettings, org: Organization, vaultRole: string): void {
    const a = env.approval;
    const branch = env.identity.protectedBranch;
    new GitHubEnvironment(this, "githubEnvironment", {
      repository: org.github.repository,
      environment: env.identity.githubEnvironment,
      waitTimerMinutes: a.waitTimerMinutes,
      canAdminsBypass: a.adminsCanBypass,
      preventSelfReview: a.preventSelfReview,
      reviewers: a.reviewers,
      deployBranches: env.identity.deployBranches,
      variables: {
        ENVMATRIX_ENVIRONMENT: name,
        ENVMATRIX_NAMESPACE: env.identity.namespace,
        KUBE_CONTEXT: org.clusters[env.cluster].context,
        VAULT_ADDR: org.vault.address,
        VAULT_ROLE: vaultRole,
        DD_ENV: name,
      },
      branchProtection:
        branch === null
          ? undefined
          : {
              pattern: branch,
              requiredApprovingReviews: a.requiredApprovingReviews,
              dismissStaleReviews: a.dismissStaleReviews,
              requiredStatusChecks: a.requiredStatusChecks,
              allowForcePushes: a.allowForcePushes,
              enforceAdmins: !a.adminsCanBypass,
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
      canaryGate: env.canaryGate ? { ...env.canaryGate, tag: dd.canaryTag } : undefined,
    });
  }

  private configureBackend(name: string, env: EnvironmentSettings): void {
    const backend = env.backend;
    switch (backend.type) {
      case "local":
        // Relative to where Terraform runs (cdktf.out/stacks/<env>): the state sits beside the project,
        // outside cdktf.out, and the synthesized file holds no path of this machine.
        new LocalBackend(this, { path: `../../../terraform.${name}.tfstate` });
        if (env.protected) {
          Annotations.of(this).addWarning(
            `environments.${name}.backend: protected environment on the local backend; state lives on one machine ` +
              `with no shared lock. Choose "s3" or "hcp" in config/environments.ts before deploying it for real.`,
          );
        }
        return;
      case "s3":
        new S3Backend(this, {
          bucket: backend.bucket,
          region: backend.region,
          key: `${backend.keyPrefix}/${name}/terraform.tfstate`,
          encrypt: true,
          kmsKeyId: backend.kmsKeyId,
        });
        // Terraform >= 1.10 locks with a lock file beside the state; no DynamoDB table needed.
        this.addOverride("terraform.backend.s3.use_lockfile", true);
        return;
      case "hcp":
        new CloudBackend(this, {
          organization: backend.organization,
          hostname: backend.hostname,
          workspaces: new NamedCloudWorkspace(`${backend.workspacePrefix}${name}`),
        });
        return;
    }
  }

  /** Readable addresses, unique within the stack (a clash is a bug in a construct's ids, caught at synth). */
  protected override allocateLogicalId(element: TerraformElement | Node): string {
    const node = "node" in element ? element.node : element;
    const id = readableLogicalId(node, this);
    const owner = this.addresses.get(id);
    if (owner !== undefined && owner !== node.path) {
      throw new Error(`${this.node.path}: constructs ${owner} and ${node.path} would both be addressed "${id}"; give one another id`);
    }
    this.addresses.set(id, node.path);
    return id;
  }
}
