import { synthScope } from "./scratch";
import { Policy } from "@cdktf/provider-vault/lib/policy";
import { AuthBackend } from "@cdktf/provider-vault/lib/auth-backend";
import { KubernetesAuthBackendConfig } from "@cdktf/provider-vault/lib/kubernetes-auth-backend-config";
import { KubernetesAuthBackendRole } from "@cdktf/provider-vault/lib/kubernetes-auth-backend-role";
import { Mount } from "@cdktf/provider-vault/lib/mount";
import { ClusterRoleBindingV1 } from "@cdktf/provider-kubernetes/lib/cluster-role-binding-v1";
import { subtreeReadPolicy, VaultAccess, type VaultAccessProps } from "../constructs/vault-access";

const base: VaultAccessProps = {
  policyName: "shop-qa-read",
  kvMount: "kv",
  subtree: "qa",
  authMountPath: "k8s-qa",
  kubernetesHost: "https://qa.k8s.example:6443",
  roleName: "qa-sync",
  serviceAccount: "syncer",
  namespace: "shop-qa",
  audience: "vault",
  tokenTtlSeconds: 300,
  tokenReviewBindingName: "shop-qa-syncer-token-review",
};
const synth = (props: Partial<VaultAccessProps> = {}) =>
  synthScope((scope) => new VaultAccess(scope, "vault", { ...base, ...props }));

describe("subtreeReadPolicy", () => {
  it("reads kv/data/<subtree>/* and reads and lists kv/metadata/<subtree>/*, nothing else", () => {
    const rules = [...subtreeReadPolicy("kv", "qa").matchAll(/path "([^"]+)" \{\n  capabilities = \[([^\]]*)\]\n\}/g)].map((m) => [m[1], m[2]]);
    expect(rules).toEqual([
      ["kv/data/qa/*", '"read"'],
      ["kv/metadata/qa/*", '"read", "list"'],
    ]);
  });
});

describe("VaultAccess", () => {
  it("creates the policy under its name", () => {
    expect(synth()).toHaveResourceWithProperties(Policy, { name: "shop-qa-read", policy: subtreeReadPolicy("kv", "qa") });
  });

  it("mounts Kubernetes auth at its own path and points it at the cluster", () => {
    const json = synth();
    expect(json).toHaveResourceWithProperties(AuthBackend, { type: "kubernetes", path: "k8s-qa" });
    expect(json).toHaveResourceWithProperties(KubernetesAuthBackendConfig, {
      kubernetes_host: "https://qa.k8s.example:6443",
      backend: expect.stringMatching(/^\$\{vault_auth_backend\.[a-z_0-9A-Z]+\.path\}$/),
    });
  });

  it("gives Vault the cluster's CA when there is one", () => {
    const pem = "-----BEGIN CERTIFICATE-----\nMIIBexample\n-----END CERTIFICATE-----\n";
    expect(synth({ kubernetesCaCert: pem })).toHaveResourceWithProperties(KubernetesAuthBackendConfig, { kubernetes_ca_cert: pem });
    const [config] = Object.values<any>(JSON.parse(synth()).resource.vault_kubernetes_auth_backend_config);
    expect(config).not.toHaveProperty("kubernetes_ca_cert");
  });

  it("binds the role to one named service account in one namespace, with the policy, audience and a short TTL", () => {
    expect(synth()).toHaveResourceWithProperties(KubernetesAuthBackendRole, {
      role_name: "qa-sync",
      bound_service_account_names: ["syncer"],
      bound_service_account_namespaces: ["shop-qa"],
      audience: "vault",
      token_ttl: 300,
      token_max_ttl: 300,
      token_policies: [expect.stringMatching(/^\$\{vault_policy\.[a-z_0-9A-Z]+\.name\}$/)],
    });
  });

  it("lets Vault review the service account's tokens (system:auth-delegator)", () => {
    expect(synth()).toHaveResourceWithProperties(ClusterRoleBindingV1, {
      metadata: { name: "shop-qa-syncer-token-review" },
      role_ref: { api_group: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:auth-delegator" },
      subject: [{ kind: "ServiceAccount", name: "syncer", namespace: "shop-qa" }],
    });
  });

  it("uses an existing KV mount unless told to manage it, and then never lets Terraform destroy it", () => {
    expect(synth()).not.toHaveResource(Mount);
    expect(synth({ manageKvMount: true })).toHaveResourceWithProperties(Mount, {
      path: "kv",
      type: "kv",
      options: { version: "2" },
      lifecycle: { prevent_destroy: true },
    });
  });

  it("guards policy, auth mount and role with prevent_destroy only when asked", () => {
    const guarded = (json: string) =>
      Object.entries<Record<string, any>>(JSON.parse(json).resource)
        .filter(([, byName]) => Object.values(byName).some((r) => r.lifecycle?.prevent_destroy))
        .map(([type]) => type)
        .sort();
    expect(guarded(synth())).toEqual([]);
    expect(guarded(synth({ preventDestroy: true }))).toEqual(["vault_auth_backend", "vault_kubernetes_auth_backend_role", "vault_policy"]);
  });
});
