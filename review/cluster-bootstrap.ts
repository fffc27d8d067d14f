/**
 * What a cluster admin sets up once per cluster, outside every environment's stack (`npm run --silent
 * cluster-bootstrap -- <cluster>`): the platform namespace, the token reviewer Vault reviews login tokens with
 * (the only service account bound to `system:auth-delegator`), the deployers' and planners' service accounts,
 * and the cluster's Kubernetes auth mount in Vault configured with that reviewer. The reviewer's JWT is a
 * credential: it goes from the cluster to Vault in one shell pipe and never into Terraform, so no plan, state
 * or artifact holds it (Vault's config write replaces the whole config, so Terraform could not manage the
 * mount's config without it: vault-plugin-auth-kubernetes path_config.go, pathConfigWrite).
 */
import type { Matrix } from "../config/types";

export interface VaultAuthConfig {
  /** `<authMountPrefix><cluster>`. */
  readonly mount: string;
  readonly kubernetesHost: string;
  readonly kubernetesCaCert?: string;
  /** Vault outside the cluster must not fall back to its own pod's CA and token. */
  readonly disableLocalCaJwt: boolean;
  /** Where the reviewer's long-lived token is read from at bootstrap. */
  readonly tokenReviewerJwtFrom: { readonly namespace: string; readonly secret: string; readonly serviceAccount: string };
}

export interface ClusterBootstrap {
  readonly cluster: string;
  readonly manifests: readonly Record<string, any>[];
  readonly vault: VaultAuthConfig;
}

export class BootstrapError extends Error {}

/**
 * A service account of the platform namespace (the token reviewer, each environment's deployer and planner), as
 * the bootstrap makes it and `deployer-rbac` makes it again for an environment added later: one object, so that
 * applying either output leaves the other's labels in place (`kubectl apply` removes a label it applied before
 * that the new manifest lacks).
 */
export function platformServiceAccount(project: string, namespace: string, name: string, environment?: string) {
  const labels = { "app.kubernetes.io/managed-by": "envmatrix", "app.kubernetes.io/part-of": project, ...(environment ? { "envmatrix.io/environment": environment } : {}) };
  return { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace, labels }, automountServiceAccountToken: false };
}

export function clusterBootstrap(m: Matrix, cluster: string): ClusterBootstrap {
  const c = m.organization.clusters[cluster];
  if (!c) throw new BootstrapError(`no cluster "${cluster}" in organization.clusters (known: ${Object.keys(m.organization.clusters).join(", ")})`);
  const { namespace, tokenReviewerServiceAccount: reviewer } = m.organization.platform;
  const labels = { "app.kubernetes.io/managed-by": "envmatrix", "app.kubernetes.io/part-of": m.organization.project };
  const reviewerSecret = `${reviewer}-token`;
  const serviceAccount = (name: string, environment?: string) => platformServiceAccount(m.organization.project, namespace, name, environment);
  const environments = Object.entries(m.environments).filter(([, e]) => e.cluster === cluster).map(([n]) => n);
  const manifests = [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels: { ...labels, "pod-security.kubernetes.io/enforce": "restricted" } } },
    serviceAccount(reviewer),
    // a long-lived token for Vault (kubernetes.io/docs/concepts/configuration/secret/#serviceaccount-token-secrets)
    {
      apiVersion: "v1",
      kind: "Secret",
      type: "kubernetes.io/service-account-token",
      metadata: { name: reviewerSecret, namespace, labels, annotations: { "kubernetes.io/service-account.name": reviewer } },
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: `${m.organization.project}-${reviewer}`, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:auth-delegator" },
      subjects: [{ kind: "ServiceAccount", name: reviewer, namespace }],
    },
    ...environments.flatMap((e) => [serviceAccount(`${m.organization.project}-${e}-deployer`, e), serviceAccount(`${m.organization.project}-${e}-planner`, e)]),
  ];
  return {
    cluster,
    manifests,
    vault: {
      mount: `${m.organization.vault.authMountPrefix}${cluster}`,
      kubernetesHost: c.host,
      kubernetesCaCert: c.caCertificatePem,
      disableLocalCaJwt: c.vaultInCluster !== true,
      tokenReviewerJwtFrom: { namespace, secret: reviewerSecret, serviceAccount: reviewer },
    },
  };
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The Vault side as shell commands for an admin (VAULT_ADDR/VAULT_TOKEN of an admin, kubectl on the cluster's context). */
export function vaultCommands(b: ClusterBootstrap, kubeContext: string): string {
  const v = b.vault;
  // the JWT goes through a private file (not the command line, where ps shows it) and is removed at once
  const lines = [
    `vault auth enable -path=${v.mount} kubernetes`,
    `jwt=$(umask 077 && mktemp) && trap 'rm -f "$jwt"' EXIT`,
    `kubectl --context ${shellQuote(kubeContext)} -n ${v.tokenReviewerJwtFrom.namespace} get secret ${v.tokenReviewerJwtFrom.secret} -o jsonpath='{.data.token}' | base64 -d > "$jwt"`,
    ...(v.kubernetesCaCert ? [`printf '%s' ${shellQuote(v.kubernetesCaCert)} > ${b.cluster}-ca.pem`] : []),
    `vault write auth/${v.mount}/config \\`,
    `  kubernetes_host=${shellQuote(v.kubernetesHost)} \\`,
    ...(v.kubernetesCaCert ? [`  kubernetes_ca_cert=@${b.cluster}-ca.pem \\`] : []),
    `  disable_local_ca_jwt=${v.disableLocalCaJwt} \\`,
    `  token_reviewer_jwt=@"$jwt"`,
  ];
  return lines.join("\n");
}
