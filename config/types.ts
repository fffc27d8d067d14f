/** The shape of the environment matrix. Units live in the field names; nothing here is a secret. */

export type LogLevel = "debug" | "info" | "warn" | "error";

/** Who hears about an alert: nobody (logged only), a chat channel, or on-call (page + chat). */
export type AlertRouting = "none" | "chat" | "page";

/** Where an environment keeps its Terraform state. */
export type BackendSettings =
  /** State beside the project (`terraform.<env>.tfstate`, ignored by git). Fine for dev; called out for protected environments. */
  | { readonly type: "local" }
  /** S3 with Terraform's native lock file (Terraform >= 1.10). The key is `<keyPrefix>/<env>/terraform.tfstate`. */
  | {
      readonly type: "s3";
      readonly bucket: string;
      readonly region: string;
      readonly keyPrefix: string;
      /** KMS key for state encryption; S3-managed encryption when omitted. */
      readonly kmsKeyId?: string;
      /**
       * IAM roles CI assumes with GitHub's OIDC token (aws-actions/configure-aws-credentials `role-to-assume`):
       * the deploy's may write the state and its lock file, the plan's only read the state. Not secrets.
       * @default none: long-lived AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY environment secrets (the fallback)
       */
      readonly deployRoleArn?: string;
      readonly planRoleArn?: string;
    }
  /** HCP Terraform (or Terraform Enterprise). The workspace is `<workspacePrefix><env>`. */
  | {
      readonly type: "hcp";
      readonly organization: string;
      readonly workspacePrefix: string;
      /** @default app.terraform.io */
      readonly hostname?: string;
    };

/**
 * What makes an environment itself rather than another: the fields hotfix does not take from prod.
 * The environment's name is its key in `environments`.
 */
export interface EnvironmentIdentity {
  /** Kubernetes namespace the environment's workloads run in. */
  readonly namespace: string;
  /** Name of the GitHub repository environment (`production`, …). */
  readonly githubEnvironment: string;
  /** Folder under the KV v2 mount that holds this environment's secrets (`secret/<subtree>/<service>`). */
  readonly vaultSubtree: string;
  /**
   * Branches (or `*` globs, GitHub's branch-pattern syntax) allowed to deploy here. Each must be a branch some
   * environment protects with at least one required review: every stack is applied only from reviewed merges.
   */
  readonly deployBranches: readonly string[];
  /** The branch (pattern) this environment's ruleset protects (pull requests, reviews, checks); `null` protects none. */
  readonly protectedBranch: string | null;
  /**
   * Teams (slugs) that alone may create branches matching `protectedBranch` (a ruleset `creation` rule they
   * bypass): without it anyone with write access could create `hotfix/x` holding unreviewed commits.
   * @default nobody is restricted (fine for a single named branch such as `main`, which exists already)
   */
  readonly branchCreators?: readonly string[];
}

export interface EnvironmentSettings {
  readonly identity: EnvironmentIdentity;
  /** One line for people: what the environment is for. */
  readonly purpose: string;
  /** Live users or their clone: approvals, restricted pods, prevent_destroy, paging. */
  readonly protected: boolean;
  /** Key into `organization.clusters`. */
  readonly cluster: string;
  readonly backend: BackendSettings;
  /** Size of one pod of one service (requests = limits). */
  readonly pod: { readonly cpuMillicores: number; readonly memoryMiB: number };
  /** Replica count of each service: autoscaling keeps it within min..max, starting at `default`. */
  readonly replicas: { readonly min: number; readonly default: number; readonly max: number };
  readonly traffic: { readonly tls: boolean; readonly rateLimit: boolean };
  /** The environment profile that deployments read (LOG_LEVEL, API_TIMEOUT, DB_POOL_SIZE). */
  readonly runtime: {
    readonly logLevel: LogLevel;
    readonly apiTimeoutSeconds: number;
    readonly dbPoolSize: number;
  };
  /** Monitors of every service: the critical thresholds, how they are evaluated, and who hears about them. */
  readonly alerts: {
    /** Critical: errors / requests, in percent. */
    readonly errorRatePercent: number;
    /** Critical: p99 request latency. */
    readonly latencyMs: number;
    /** Critical: CPU used / CPU limit of the service's pods, in percent. */
    readonly cpuPercent: number;
    readonly routing: AlertRouting;
    /** Warning threshold, as a percentage of the critical one (below it: warn first). */
    readonly warningAtPercentOfCritical: number;
    /** A threshold recovers when the value falls below this percentage of it (hysteresis against flapping). */
    readonly recoverAtPercentOfThreshold: number;
    readonly evaluationWindowMinutes: number;
    /** Alert when a service stops reporting (after `noDataTimeframeMinutes`). */
    readonly notifyNoData: boolean;
    readonly noDataTimeframeMinutes: number;
    /** Re-notify while still alerting; 0 never. */
    readonly renotifyMinutes: number;
    /** Datadog priority, 1 (highest) to 5. */
    readonly priority: number;
  };
  /**
   * Canary gate before promotion: monitors comparing the canary to the stable version that the deploy job
   * queries; `null` where there is no canary.
   */
  readonly canaryGate: { readonly maxErrorRateIncreasePercent: number; readonly maxLatencyIncreasePercent: number } | null;
  /** Service level objectives; `null` where there are no users to promise anything to. */
  readonly slo: { readonly availabilityPercent: number; readonly latencyP99Ms: number } | null;
  readonly approval: {
    /** Teams (slugs) and users (logins) who may approve a deployment; any one of them approves. */
    readonly reviewers: { readonly teams: readonly string[]; readonly users: readonly string[] };
    readonly preventSelfReview: boolean;
    readonly adminsCanBypass: boolean;
    readonly waitTimerMinutes: number;
    /** Approving reviews a pull request into the protected branch needs. */
    readonly requiredApprovingReviews: number;
    /** A new push to a pull request dismisses its approvals. */
    readonly dismissStaleReviews: boolean;
    /** Status checks (job names of the project's workflows) that must pass before merging. */
    readonly requiredStatusChecks: readonly string[];
    readonly allowForcePushes: boolean;
  };
  /**
   * When the deploy job may apply this environment's stack; `null` means at any time.
   * Checked by the deploy workflow (`npm run deploy-window`), not by Terraform.
   */
  readonly deploymentWindow: DeploymentWindow | null;
  /** The allows layered on the namespace's default deny. */
  readonly network: {
    /** Ingress from and egress to namespaces labelled with the same environment. */
    readonly allowSameEnvironment: boolean;
    /** Egress to cluster DNS (kube-system, k8s-app=kube-dns, port 53). */
    readonly allowDns: boolean;
    /** Ingress from the ingress controller's namespace (`organization.ingressController`). */
    readonly allowIngressController: boolean;
    /** Egress to Vault (`organization.vault.egressCidrs`, port of `organization.vault.address`). */
    readonly allowVaultEgress: boolean;
  };
  /** Label the namespace for service-mesh sidecar injection (`organization.serviceMesh`). */
  readonly sidecarInjection: boolean;
  /** Extra pods per service the quota leaves room for, so a rolling update at max replicas can surge. */
  readonly rolloutSurgePods: number;
  readonly secrets: SecretSyncSettings;
}

export type Weekday = "Mon" | "Tue" | "Wed" | "Thu" | "Fri" | "Sat" | "Sun";

/** Hours of the week in one time zone: [startHour, endHour) on each of `days`. */
export interface DeploymentWindow {
  /** IANA time zone, e.g. `Europe/Berlin`. */
  readonly timeZone: string;
  readonly days: readonly Weekday[];
  /** First hour in which deploys may start (0-23). */
  readonly startHour: number;
  /** Hour at which the window closes (1-24), exclusive. */
  readonly endHour: number;
}

/** How the environment's secrets reach its namespace: Vault → SecretStore → ExternalSecret → Secret. */
export interface SecretSyncSettings {
  /**
   * Whether the cluster runs the External Secrets Operator (its CRDs installed). `kubernetes_manifest` needs
   * the CRDs at plan time, so an environment whose cluster lacks them leaves the SecretStore and
   * ExternalSecrets out until it has them; the Vault side is created either way.
   */
  readonly operatorInstalled: boolean;
  /** How often each ExternalSecret re-reads Vault (a Go duration: `15m`, `1h`). */
  readonly refreshInterval: string;
  /** ESO target creationPolicy: `Owner` deletes the Secret with its ExternalSecret, `Orphan` keeps it. */
  readonly creationPolicy: "Owner" | "Orphan" | "Merge";
  /** ESO target deletionPolicy: what happens to the Secret when the value disappears from Vault. */
  readonly deletionPolicy: "Delete" | "Retain" | "Merge";
  /** Lifetime of the Vault token the secret sync logs in for. */
  readonly vaultTokenTtlSeconds: number;
}

export interface Cluster {
  /** kubeconfig context Terraform uses for this cluster (the file itself comes from KUBE_CONFIG_PATH). */
  readonly context: string;
  /** API server URL, as Vault's Kubernetes auth backend reaches it. */
  readonly host: string;
  /**
   * PEM of the CA that signed the API server's certificate (public, not a secret), for Vault to verify it.
   * @default Vault's own trust store
   */
  readonly caCertificatePem?: string;
  /**
   * Vault runs inside this cluster (then it may use its own pod's CA and token). @default false: Vault is
   * elsewhere, so the auth mount is configured with `disable_local_ca_jwt = true` and the reviewer's JWT.
   */
  readonly vaultInCluster?: boolean;
}

/** Settings a team changes once. Every value here is a placeholder until then; none is a secret. */
export interface Organization {
  /** Short name of the system these environments run; used in labels (`app.kubernetes.io/part-of`), namespaces. */
  readonly project: string;
  readonly github: {
    readonly owner: string;
    readonly repository: string;
    /** The repository's default branch: where pull-request review and drift workflows run (`workflow_run`, `schedule`). */
    readonly defaultBranch: string;
    /** Team (slug) that owns this repository's code: CODEOWNERS of everything that decides what is applied. */
    readonly owningTeam: string;
    /**
     * App id of GitHub Actions: the `check` job's status is pinned to it (the statuses API cannot fake it).
     * @default 15368
     */
    readonly actionsAppId?: number;
    /**
     * The GitHub App that posts the "envmatrix review" check run from the default branch's review workflow.
     * Any workflow on a writer's branch can post a check as GitHub Actions, so the check that says the
     * default branch's rules accepted a pull request is pinned to an app of its own, whose private key lives
     * only in `environment` (a GitHub environment admitting only the default branch).
     */
    readonly reviewApp: { readonly appId: number; readonly environment: string };
  };
  /**
   * The `gates` stack: every environment's GitHub environments, deployment branch policies, rulesets and the
   * Vault policy of each environment's deployer. It decides who may change what, so it is applied like the
   * strictest environment: from its branch, through its own GitHub environment, with its reviewers and window.
   */
  readonly gates: {
    /** A protected environment whose branch, reviewers, window and backend the gates stack takes. */
    readonly followsEnvironment: string;
    /** GitHub environment the gates stack is applied in (its admin credentials live there only). */
    readonly githubEnvironment: string;
  };
  readonly vault: {
    readonly address: string;
    /** Name of the KV v2 mount that holds every environment's subtree. */
    readonly kvMount: string;
    /**
     * Which environment's stack creates and owns the KV v2 mount (with prevent_destroy); `null` uses an
     * existing mount, created outside envmatrix.
     */
    readonly kvMountManagedBy: string | null;
    /**
     * Each cluster has one Kubernetes auth mount, `<authMountPrefix><cluster>`, enabled and configured once at
     * cluster bootstrap (`npm run --silent cluster-bootstrap -- <cluster>`) with the cluster's token reviewer:
     * its JWT is a credential, so it never passes through Terraform (plans, state, artifacts). Each environment's
     * stack writes only its own role there, bound to its namespace.
     */
    readonly authMountPrefix: string;
    /**
     * PEM of the CA that signed Vault's server certificate (public), when it is a private CA: the SecretStore
     * trusts it through a ConfigMap (`caProvider`). @default the operator's system roots
     */
    readonly caCertificatePem?: string;
    /**
     * JWT auth mount that trusts GitHub Actions' OIDC issuer (token.actions.githubusercontent.com), created once
     * outside envmatrix; the gates stack writes a deploy and a plan role per environment on it.
     */
    readonly githubJwtMount: string;
    /** Audience of the service account tokens the secret sync presents to Vault (bound on the role). */
    readonly tokenAudience: string;
    /** Where Vault answers, for the egress NetworkPolicy (NetworkPolicies match addresses, not names). */
    readonly egressCidrs: readonly string[];
    /**
     * The widest egress CIDR allowed, as a prefix length for IPv4 (IPv6 takes 96 more): an egress "to Vault"
     * of 0.0.0.0/0 would be egress to anywhere. @default 24
     */
    readonly egressCidrMinPrefix?: number;
  };
  /** Rotation guidance for operators, published on every ExternalSecret; envmatrix never holds a value. */
  readonly secretRotation: {
    readonly databasePasswordDays: number;
    readonly apiKeyDays: number;
    readonly signingKeyMonths: number;
  };
  readonly clusters: Readonly<Record<string, Cluster>>;
  readonly ingressController: {
    readonly namespace: string;
    /** Labels of the controller's pods: only they may reach the services, and only on the services' ports. */
    readonly podLabels: Readonly<Record<string, string>>;
  };
  /**
   * Pod Security Standards version pinned on every namespace (`pod-security.kubernetes.io/*-version`), so a
   * cluster upgrade does not change what is enforced unannounced: `v1.31`, or `latest`.
   */
  readonly podSecurityVersion: string;
  readonly serviceMesh: {
    /**
     * How the mesh joins pods. `sidecar-cni`: a sidecar, traffic redirected by Istio CNI (no init capabilities,
     * so Pod Security baseline/restricted admit it); `sidecar-init`: the istio-init container, which needs
     * NET_ADMIN and NET_RAW that baseline and restricted forbid (istio.io "Install Istio with Pod Security
     * Admission"); `ambient`: no sidecar, ztunnel on each node, HBONE on port 15008.
     */
    readonly mode: "sidecar-cni" | "sidecar-init" | "ambient";
    /** istiod: sidecars fetch configuration and certificates from it (xDS and CA on TCP 15012). */
    readonly controlPlane: { readonly namespace: string; readonly podLabels: Readonly<Record<string, string>>; readonly port: number };
    /** Namespace label that turns sidecar injection on, and its value. */
    readonly injectionLabel: string;
    readonly injectionValue: string;
    /** Requests (= limits) the mesh sets on its proxy container; the quota makes room for it. */
    readonly sidecar: { readonly cpuMillicores: number; readonly memoryMiB: number };
  };
  readonly secretSync: { readonly serviceAccount: string };
  /** What a cluster admin sets up once per cluster, outside any environment's stack. */
  readonly platform: {
    /** Namespace of the deployers' and the token reviewer's service accounts. */
    readonly namespace: string;
    /**
     * Service account Vault reviews login tokens with (TokenReview, `system:auth-delegator`): one per cluster,
     * so no environment's service account holds a cluster-wide role.
     */
    readonly tokenReviewerServiceAccount: string;
  };
  readonly datadog: {
    readonly apiUrl: string;
    readonly chatHandle: string;
    readonly pagerHandle: string;
    /** Who is told about canary gate monitors: the rollout that queries them, not on-call (e.g. `@webhook-canary-gate`). */
    readonly gateHandle: string;
    /**
     * How pods reach the node's Datadog Agent. `tcp`: traces to the agent's pods on 8126 (and DogStatsD on UDP
     * 8125), which default-deny egress must allow; `socket`: a Unix socket mounted through the Datadog CSI
     * driver (a hostPath socket is forbidden by Pod Security baseline), no network allow needed.
     */
    readonly agent: {
      readonly transport: "tcp" | "socket";
      readonly namespace: string;
      readonly podLabels: Readonly<Record<string, string>>;
      /** The agent's Service (internalTrafficPolicy: Local), which pods send traces to (`DD_AGENT_HOST`). */
      readonly service: string;
    };
    /** Monitor messages link `<runbookBaseUrl>/<service>/<monitor>`. */
    readonly runbookBaseUrl: string;
    /** The APM operation whose trace metrics the monitors read (`trace.<operation>.hits`, …). */
    readonly traceOperation: string;
    /**
     * The tag that tells canary spans from stable ones, configured as the APM **second primary tag** (Datadog:
     * APM → Setup & Configuration → Primary Tags). Trace metrics carry only env, service, version, resource,
     * http.status_code/class, host tags and the second primary tag
     * (docs.datadoghq.com/tracing/metrics/metrics_namespace): any other span tag is not on them.
     */
    readonly apmSecondPrimaryTag: { readonly key: string; readonly canary: string; readonly stable: string };
  };
}

export interface Service {
  /** Name of the service: its workload service account, Vault path, Secret and monitors. */
  readonly name: string;
  /** Owning team, for the `team:` tag and routing. */
  readonly team: string;
  /** The container port the service listens on: the only port the ingress controller may reach. @default 8080 */
  readonly port?: number;
}

/**
 * An environment declared as another one except for its identity: every other value is the source's, so a
 * change to the source reaches the clone without anyone copying it (hotfix = prod).
 */
export interface EnvironmentClone {
  /** Name of the environment this one is a clone of; it may not be a clone itself. */
  readonly cloneOf: string;
  readonly identity: EnvironmentIdentity;
  readonly purpose: string;
  /**
   * The one setting a clone may declare for itself, because it is about when, not what: an emergency
   * clone deploys outside business hours. @default the source's window
   */
  readonly deploymentWindow?: DeploymentWindow | null;
}

export type EnvironmentDefinition = EnvironmentSettings | EnvironmentClone;

/** The matrix as written in config/environments.ts: clones still refer to their source. */
export interface MatrixDefinition extends Omit<Matrix, "environments"> {
  readonly environments: Readonly<Record<string, EnvironmentDefinition>>;
}

/** The matrix with every clone resolved: what stacks are built from. */
export interface Matrix {
  readonly organization: Organization;
  /** Services that run in every environment. */
  readonly services: readonly Service[];
  /** Environments in promotion order: each may only be as strict as, or stricter than, the one before. */
  readonly promotionOrder: readonly string[];
  /** Every environment, keyed by its name (the stack id, the `env:` tag). */
  readonly environments: Readonly<Record<string, EnvironmentSettings>>;
}
