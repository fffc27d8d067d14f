/**
 * Organization settings: what a team changes once when it adopts envmatrix.
 *
 * PLACEHOLDERS: every value below is an example (`example.*` domains, documentation address ranges) and
 * must be replaced with your own. None of them is, or may ever be, a secret: credentials come from the
 * environment (KUBE_CONFIG_PATH, VAULT_TOKEN, GITHUB_TOKEN, DD_API_KEY / DD_APP_KEY).
 */
import type { Organization } from "./types";

export const organization = {
  project: "envmatrix",
  // PLACEHOLDER unit prices (on-demand compute of a typical cloud, per hour): set your provider's before relying on
  // the estimate; it is an estimate from the matrix, never a bill
  cost: { currency: "USD", vcpuHour: 0.04, gibHour: 0.005, hoursPerMonth: 730 },
  github: {
    owner: "example-org", // PLACEHOLDER: GitHub organization or user that owns the repository
    repository: "envmatrix", // PLACEHOLDER: repository whose environments the stacks manage
    defaultBranch: "main",
    owningTeam: "platform", // PLACEHOLDER team slug: CODEOWNERS of config/, constructs/, stacks/, .github/, …
    reviewApp: { appId: 1000001, environment: "envmatrix-review" }, // PLACEHOLDER app id: your review app's
    // PLACEHOLDER app id: the app that alone creates hotfix/* branches (Contents: write), at a commit of main only
    branchApp: { appId: 1000002 },
  },
  // GitHub gates and deployer policies are applied like prod: from main, with prod's reviewers and window.
  gates: { followsEnvironment: "prod", githubEnvironment: "envmatrix-gates" },
  vault: {
    address: "https://vault.example.internal:8200", // PLACEHOLDER
    kvMount: "secret",
    kvMountManagedBy: null, // the seed layout's `secret/` mount exists already
    authMountPrefix: "kubernetes-",
    githubJwtMount: "jwt-github", // created once: vault auth enable -path=jwt-github jwt (see README)
    tokenAudience: "vault",
    egressCidrs: ["192.0.2.0/28"], // PLACEHOLDER (TEST-NET-1): the addresses Vault answers on
  },
  // From the seed documents: database passwords every 30 days, API keys every 90, signing keys every 6 months.
  secretRotation: { databasePasswordDays: 30, apiKeyDays: 90, signingKeyMonths: 6 },
  clusters: {
    // PLACEHOLDERS: kubeconfig contexts and API servers of your clusters; add `caCertificatePem` (the API
    // server's CA, public) when Vault does not already trust it
    nonprod: { context: "nonprod", host: "https://nonprod.k8s.example.internal:6443" },
    prod: { context: "prod", host: "https://prod.k8s.example.internal:6443" },
  },
  ingressController: { namespace: "ingress-nginx", podLabels: { "app.kubernetes.io/name": "ingress-nginx" } },
  // the Pod Security Standards every namespace is held to; raise it after reading the release's changes
  podSecurityVersion: "v1.31",
  serviceMesh: {
    // Istio CNI: sidecars without istio-init's NET_ADMIN/NET_RAW, which Pod Security baseline/restricted forbid
    mode: "sidecar-cni",
    controlPlane: { namespace: "istio-system", podLabels: { app: "istiod" }, port: 15012 },
    injectionLabel: "istio-injection",
    injectionValue: "enabled",
    // The proxy's requests and limits, both: every pod carries sidecar.istio.io/proxyCPU, proxyCPULimit, proxyMemory
    // and proxyMemoryLimit with these (the profile's REQUIRED_POD_ANNOTATIONS), or the mesh's global.proxy.resources
    // has requests = limits = these. Istio's default limits (2000m, 1024Mi) do not fit the LimitRange and quota.
    sidecar: { cpuMillicores: 100, memoryMiB: 128 },
  },
  secretSync: { serviceAccount: "secret-sync" },
  // set up once per cluster by a cluster admin (npm run --silent cluster-bootstrap -- <cluster>)
  platform: { namespace: "envmatrix-system", tokenReviewerServiceAccount: "vault-token-reviewer" },
  datadog: {
    apiUrl: "https://api.datadoghq.com/",
    chatHandle: "@slack-platform-alerts", // PLACEHOLDER
    pagerHandle: "@pagerduty-platform-oncall", // PLACEHOLDER
    gateHandle: "@webhook-canary-gate", // PLACEHOLDER: the rollout controller's webhook
    ticketHandle: "@webhook-platform-tickets", // PLACEHOLDER: a webhook that opens a ticket
    agent: { transport: "tcp", namespace: "datadog", podLabels: { app: "datadog-agent" }, service: "datadog-agent" },
    runbookBaseUrl: "https://runbooks.example.internal/envmatrix", // PLACEHOLDER
    // PLACEHOLDER: the services' entry span name, which each tracer names its own (dd-trace-js: web.request; Go
    // net/http: http.request; Java: servlet.request); a service in another language sets its own traceOperation
    traceOperation: "http.request",
    // configured in Datadog as the APM second primary tag: without that, trace metrics do not carry it
    apmSecondPrimaryTag: { key: "track", canary: "canary", stable: "stable" },
  },
} as const satisfies Organization;
