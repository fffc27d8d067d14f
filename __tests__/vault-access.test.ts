import { synthScope } from "./scratch";
import { Policy } from "@cdktf/provider-vault/lib/policy";
import { KubernetesAuthBackendRole } from "@cdktf/provider-vault/lib/kubernetes-auth-backend-role";
import { Mount } from "@cdktf/provider-vault/lib/mount";
import { policyRules } from "./vault-policy";
import { subtreeReadPolicy, VaultAccess, type VaultAccessProps } from "../constructs/vault-access";
import { protect } from "../constructs/protection";

const base: VaultAccessProps = {
  policyName: "shop-qa-read",
  kvMount: "kv",
  subtree: "qa",
  authMountPath: "k8s-cluster-a",
  roleName: "qa-sync",
  serviceAccount: "syncer",
  namespace: "shop-qa",
  audience: "vault",
  tokenTtlSeconds: 300,
};
const synth = (props: Partial<VaultAccessProps> = {}, protectedScope = false) =>
  synthScope((scope) => {
    if (protectedScope) protect(scope);
    new VaultAccess(scope, "vault", { ...base, ...props });
  });

describe("subtreeReadPolicy", () => {
  it("reads kv/data/<subtree>/* and reads and lists kv/metadata/<subtree>/*, nothing else", async () => {
    // every stanza with every attribute: an extra stanza, attribute or block fails this
    expect(await policyRules(subtreeReadPolicy("kv", "qa"))).toEqual([
      { path: "kv/data/qa/*", capabilities: ["read"] },
      { path: "kv/metadata/qa/*", capabilities: ["read", "list"] },
    ]);
  });
  it("opens with a comment naming what it reads and its writer (what `vault policy read` shows)", () => {
    expect(subtreeReadPolicy("kv", "qa").split("\n")[0]).toMatch(/^# read-only access to kv\/qa\/ .*written by envmatrix$/);
  });
});

describe("VaultAccess", () => {
  it("creates the policy under its name", () => {
    expect(synth()).toHaveResourceWithProperties(Policy, { name: "shop-qa-read", policy: subtreeReadPolicy("kv", "qa") });
  });

  it("neither mounts nor configures Kubernetes auth: the cluster's mount and its reviewer are the cluster bootstrap's", () => {
    const types = Object.keys(JSON.parse(synth()).resource);
    expect(types).not.toContain("vault_auth_backend");
    expect(types).not.toContain("vault_kubernetes_auth_backend_config");
  });

  it("binds the role to one named service account in one namespace, with the policy, audience and a short TTL", () => {
    expect(synth()).toHaveResourceWithProperties(KubernetesAuthBackendRole, {
      backend: "k8s-cluster-a",
      role_name: "qa-sync",
      bound_service_account_names: ["syncer"],
      bound_service_account_namespaces: ["shop-qa"],
      audience: "vault",
      token_ttl: 300,
      token_max_ttl: 300,
      token_policies: [expect.stringMatching(/^\$\{vault_policy\.[a-z_0-9A-Z]+\.name\}$/)],
    });
  });

  it("binds no cluster-wide role: Vault reviews tokens with the cluster's own reviewer", () => {
    expect(Object.keys(JSON.parse(synth()).resource)).not.toContain("kubernetes_cluster_role_binding_v1");
  });

  it("uses an existing KV mount unless told to manage it, and then never lets Terraform destroy it", () => {
    expect(synth()).not.toHaveResource(Mount);
    expect(synth({ manageKvMount: true })).toHaveResourceWithProperties(Mount, {
      path: "kv",
      type: "kv",
      options: { version: "2" },
      lifecycle: { prevent_destroy: true },
      // what `vault secrets list` shows beside the path
      description: expect.stringMatching(/^KV v2 secrets of every environment.*managed by envmatrix/),
    });
  });

  it("guards policy and role with prevent_destroy only in a protected scope", () => {
    const guarded = (json: string) =>
      Object.entries<Record<string, any>>(JSON.parse(json).resource)
        .filter(([, byName]) => Object.values(byName).some((r) => r.lifecycle?.prevent_destroy))
        .map(([type]) => type)
        .sort();
    expect(guarded(synth())).toEqual([]);
    expect(guarded(synth({}, true))).toEqual(["vault_kubernetes_auth_backend_role", "vault_policy"]);
  });
});
