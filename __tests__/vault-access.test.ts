import "./cdktf-matchers";
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

describe("Vault's parameter constraints, as the tests judge policies by (vault-acl.ts, from vault/acl.go)", () => {
  const { vaultAllows } = require("./vault-acl") as typeof import("./vault-acl");
  const rules = (hcl: string) => policyRules(hcl);

  it("allowed_parameters: only the keys listed, any value for an empty list; \"*\" opens every other key (Vault docs, Parameter constraints)", async () => {
    const password = await rules('path "auth/userpass/users/*" {\n  capabilities = ["update"]\n  allowed_parameters = {\n    "password" = []\n  }\n}\n');
    expect(vaultAllows(password, "update", "auth/userpass/users/mitchellh", { password: "anything" })).toBe(true);
    expect(vaultAllows(password, "update", "auth/userpass/users/mitchellh", { password: "x", token_ttl: 60 })).toBe(false);
    expect(vaultAllows(password, "create", "auth/userpass/users/mitchellh", { password: "x" })).toBe(false);
    const rotate = await rules('path "transit/keys/*" {\n  capabilities = ["create", "update"]\n  allowed_parameters = {\n    "auto_rotate_period" = ["8h", "24h", "5d"]\n    "*" = []\n  }\n}\n');
    expect(vaultAllows(rotate, "create", "transit/keys/k", { auto_rotate_period: "24h", type: "aes256-gcm96" })).toBe(true);
    expect(vaultAllows(rotate, "create", "transit/keys/k", { auto_rotate_period: "1h" })).toBe(false);
  });

  it("denied_parameters: a key listed with no values is refused whatever its value, the empty string too; \"*\" refuses every write with data", async () => {
    const denied = await rules('path "auth/userpass/users/*" {\n  capabilities = ["update"]\n  denied_parameters = {\n    "token_policies" = []\n  }\n}\n');
    expect(vaultAllows(denied, "update", "auth/userpass/users/u", { password: "x" })).toBe(true);
    expect(vaultAllows(denied, "update", "auth/userpass/users/u", { password: "x", token_policies: "" })).toBe(false);
    const all = await rules('path "kv/*" {\n  capabilities = ["update"]\n  denied_parameters = {\n    "*" = []\n  }\n}\n');
    expect(vaultAllows(all, "update", "kv/x", { a: 1 })).toBe(false);
    expect(vaultAllows(all, "update", "kv/x", {})).toBe(true);
  });

  it("a value with a * at either end is a glob; lists match as a whole, or element by element since Vault 1.21 (not with VAULT_LEGACY_EXACT_MATCHING_ON_LIST)", async () => {
    const p = await rules('path "secret/x" {\n  capabilities = ["create"]\n  allowed_parameters = {\n    "name" = ["team-*"]\n    "policies" = ["a", "b"]\n  }\n}\n');
    expect(vaultAllows(p, "create", "secret/x", { name: "team-red" })).toBe(true);
    expect(vaultAllows(p, "create", "secret/x", { name: "red-team" })).toBe(false);
    expect(vaultAllows(p, "create", "secret/x", { policies: ["A", "b"] })).toBe(true);
    expect(vaultAllows(p, "create", "secret/x", { policies: ["a", "b"] }, { legacyListMatching: true })).toBe(false);
    expect(vaultAllows(p, "create", "secret/x", { policies: "a,b" })).toBe(true);
    expect(vaultAllows(p, "create", "secret/x", { policies: ["a", "c"] })).toBe(false);
  });

  it("the capability decides first: no stanza, a missing capability or deny refuses; the longest * prefix applies", async () => {
    const p = await rules('path "kv/*" {\n  capabilities = ["read"]\n}\npath "kv/private/*" {\n  capabilities = ["deny"]\n}\n');
    expect(vaultAllows(p, "read", "kv/open")).toBe(true);
    expect(vaultAllows(p, "read", "kv/private/x")).toBe(false);
    expect(vaultAllows(p, "update", "kv/open", { a: 1 })).toBe(false);
    expect(vaultAllows(p, "read", "other/x")).toBe(false);
  });
});
