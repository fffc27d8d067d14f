/**
 * Vault access of one environment: a policy that reads only the environment's subtree of the KV v2 mount, and
 * one role on its cluster's Kubernetes auth mount that only the secret sync's service account in the
 * environment's namespace can log in as, with a token of the audience the role names. No resource here writes
 * secret data.
 *
 * How a login works (developer.hashicorp.com/vault/docs/auth/kubernetes): ESO asks the API server for a token
 * of the secret sync's service account with `audiences: [audience]` and sends it to Vault; Vault checks the
 * role (service account, namespace, audience) and asks the API server to review the token with its own
 * reviewer JWT — the cluster's token reviewer, configured on the mount at cluster bootstrap. Were the mount
 * configured without one, Vault would review with the login token itself, whose audience is not the API
 * server's: every login would fail with 403 (hashicorp/vault-secrets-operator#379, cert-manager#6150). So the
 * mount and its config are the cluster's, not an environment's, and no environment binds a cluster-wide role.
 */
import { Construct } from "constructs";
import { Policy } from "@cdktf/provider-vault/lib/policy";
import { KubernetesAuthBackendRole } from "@cdktf/provider-vault/lib/kubernetes-auth-backend-role";
import { Mount } from "@cdktf/provider-vault/lib/mount";
import { keptWhenProtected } from "./protection";

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
  /** Path of the cluster's Kubernetes auth mount, e.g. `kubernetes-prod` (set up at cluster bootstrap). */
  readonly authMountPath: string;
  readonly roleName: string;
  /** The only service account (by name, in `namespace` only) that may log in as the role. */
  readonly serviceAccount: string;
  readonly namespace: string;
  /** Audience the service account token must carry. */
  readonly audience: string;
  readonly tokenTtlSeconds: number;
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

  constructor(scope: Construct, id: string, props: VaultAccessProps) {
    super(scope, id);

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

    this.policy = keptWhenProtected(new Policy(this, "policy", {
      name: props.policyName,
      policy: subtreeReadPolicy(props.kvMount, props.subtree),
    }));

    this.role = keptWhenProtected(new KubernetesAuthBackendRole(this, "role", {
      backend: props.authMountPath,
      roleName: props.roleName,
      boundServiceAccountNames: [props.serviceAccount],
      boundServiceAccountNamespaces: [props.namespace],
      // Vault passes it to TokenReview: a token minted for another audience is refused
      audience: props.audience,
      tokenPolicies: [this.policy.name],
      tokenTtl: props.tokenTtlSeconds,
      tokenMaxTtl: props.tokenTtlSeconds,
    }));
  }
}
