/**
 * Vault access of one environment: a policy that reads only the environment's subtree of the KV v2 mount,
 * an own Kubernetes auth mount configured for the environment's cluster, and one role that only the secret
 * sync's service account in the environment's namespace can log in as. No resource here writes secret data.
 */
import { Construct } from "constructs";
import { Policy } from "@cdktf/provider-vault/lib/policy";
import { AuthBackend } from "@cdktf/provider-vault/lib/auth-backend";
import { KubernetesAuthBackendConfig } from "@cdktf/provider-vault/lib/kubernetes-auth-backend-config";
import { KubernetesAuthBackendRole } from "@cdktf/provider-vault/lib/kubernetes-auth-backend-role";
import { Mount } from "@cdktf/provider-vault/lib/mount";
import { ClusterRoleBindingV1 } from "@cdktf/provider-kubernetes/lib/cluster-role-binding-v1";

export interface VaultAccessProps {
  /** Name of the policy (unique in Vault). */
  readonly policyName: string;
  /** KV v2 mount holding every environment's subtree, e.g. `secret`. */
  readonly kvMount: string;
  /** This environment's folder under the mount: the policy reaches `<kvMount>/data/<subtree>/*` and nothing else. */
  readonly subtree: string;
  /** Create the KV v2 mount here (it is shared: exactly one stack may own it).
   * @default false - the mount exists already */
  readonly manageKvMount?: boolean;
  /** Path of this environment's Kubernetes auth mount, e.g. `kubernetes-prod`. */
  readonly authMountPath: string;
  /** API server of the environment's cluster, as Vault reaches it. */
  readonly kubernetesHost: string;
  /** PEM of the API server's CA. @default Vault's own trust store */
  readonly kubernetesCaCert?: string;
  readonly roleName: string;
  /** The only service account (by name, in `namespace` only) that may log in as the role. */
  readonly serviceAccount: string;
  readonly namespace: string;
  /** Audience the service account token must carry. */
  readonly audience: string;
  readonly tokenTtlSeconds: number;
  /** Name of the ClusterRoleBinding that lets Vault review the service account's tokens. */
  readonly tokenReviewBindingName: string;
  /** Refuse to destroy the policy, auth mount, role (and the KV mount if managed here).
   * @default false */
  readonly preventDestroy?: boolean;
}

/** Vault's path-based ACL for reading one subtree of a KV v2 mount: values under data/, listing under metadata/. */
export function subtreeReadPolicy(kvMount: string, subtree: string): string {
  return [
    `# read-only access to ${kvMount}/${subtree}/ (KV v2), written by envmatrix`,
    `path "${kvMount}/data/${subtree}/*" {`,
    `  capabilities = ["read"]`,
    `}`,
    `path "${kvMount}/metadata/${subtree}/*" {`,
    `  capabilities = ["read", "list"]`,
    `}`,
    ``,
  ].join("\n");
}

export class VaultAccess extends Construct {
  readonly policy: Policy;
  readonly role: KubernetesAuthBackendRole;
  readonly authMount: AuthBackend;

  constructor(scope: Construct, id: string, props: VaultAccessProps) {
    super(scope, id);
    const lifecycle = props.preventDestroy ? { preventDestroy: true } : undefined;

    if (props.manageKvMount) {
      // Losing the mount loses every environment's secrets: never destroy it through Terraform.
      new Mount(this, "kvMount", {
        path: props.kvMount,
        type: "kv",
        options: { version: "2" },
        description: "KV v2 secrets of every environment, one subtree each (managed by envmatrix)",
        lifecycle: { preventDestroy: true },
      });
    }

    this.policy = new Policy(this, "policy", {
      name: props.policyName,
      policy: subtreeReadPolicy(props.kvMount, props.subtree),
      lifecycle,
    });

    this.authMount = new AuthBackend(this, "authMount", {
      type: "kubernetes",
      path: props.authMountPath,
      description: `Kubernetes auth for ${props.namespace} (managed by envmatrix)`,
      lifecycle,
    });
    new KubernetesAuthBackendConfig(this, "authConfig", {
      backend: this.authMount.path,
      kubernetesHost: props.kubernetesHost,
      kubernetesCaCert: props.kubernetesCaCert,
    });

    this.role = new KubernetesAuthBackendRole(this, "role", {
      backend: this.authMount.path,
      roleName: props.roleName,
      boundServiceAccountNames: [props.serviceAccount],
      boundServiceAccountNamespaces: [props.namespace],
      audience: props.audience,
      tokenPolicies: [this.policy.name],
      tokenTtl: props.tokenTtlSeconds,
      tokenMaxTtl: props.tokenTtlSeconds,
      lifecycle,
    });

    // Vault has no reviewer token of its own: it asks the API server to review the caller's token with that
    // same token, which needs the TokenReview permission of system:auth-delegator.
    new ClusterRoleBindingV1(this, "tokenReview", {
      metadata: { name: props.tokenReviewBindingName },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:auth-delegator" },
      subject: [{ kind: "ServiceAccount", name: props.serviceAccount, namespace: props.namespace }],
    });
  }
}
