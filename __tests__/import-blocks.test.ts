/**
 * constructs/adopt.ts on its own: the import id each resource type's provider accepts (synth refuses an adopt file
 * entry that does not fit, stacks/adopted.ts), and the import block in both of cdktf's outputs (JSON, and HCL for
 * `cdktf synth --hcl`). The ids come from each resource's "Import" section of its registry documentation at the
 * pinned provider versions (kubernetes 2.38.0, vault 5.6.0, datadog 3.82.0, github 6.9.0).
 */
import * as path from "node:path";
import { App, TerraformIterator, TerraformStack, Testing } from "cdktf";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { IMPORT_ID_FORMAT, adoptExisting } from "../constructs/adopt";
import { scratchDir } from "./scratch";

const NAMESPACED = ["kubernetes_service_account_v1", "kubernetes_config_map_v1", "kubernetes_network_policy_v1", "kubernetes_resource_quota_v1", "kubernetes_limit_range_v1"];

/** For each type: the shape the message shows, ids the provider documents (accepted), and near misses (refused). */
const FORMATS: Record<string, { shape: string; accepted: string[]; refused: string[] }> = {
  // docs/resources/namespace_v1.md "Import": the name (a DNS label: lower-case letters, digits, "-" inside)
  kubernetes_namespace_v1: { shape: "<name>", accepted: ["envmatrix-staging", "a", "ab", "a1-b2-c3"], refused: ["", "-staging", "staging-", "Staging", "ns/name", "a_b"] },
  // docs/resources/<type>.md "Import": <namespace>/<name>, e.g. `default/my-config`
  ...Object.fromEntries(
    NAMESPACED.map((type) => [
      type,
      {
        shape: "<namespace>/<name>",
        accepted: ["default/my-config", "a/b", "envmatrix-staging/environment-profile", "ns/name.with.dots"],
        refused: ["my-config", "/my-config", "default/", "-ns/name", "ns-/name", "ns/-name", "ns/name-", "ns/name/extra", "x ns/name", "Default/my-config"],
      },
    ]),
  ),
  // docs/resources/manifest.md "Import": "apiVersion=v1,kind=Secret,namespace=default,name=foo"; the importer
  // (util.ParseResourceID) takes three or four key=value parts, of these keys, in any order
  kubernetes_manifest: {
    shape: "apiVersion=<group/version>,kind=<kind>,namespace=<namespace>,name=<name>",
    accepted: [
      "apiVersion=v1,kind=Secret,namespace=default,name=foo",
      "apiVersion=external-secrets.io/v1,kind=ClusterSecretStore,name=vault",
      "kind=Secret,apiVersion=v1,name=foo,namespace=default",
      "name=foo,kind=Secret,apiVersion=v1",
    ],
    refused: [
      "kind=Secret,name=foo",
      "apiVersion=v1,kind=Secret,namespace=default,name=foo,extra=1",
      "x,apiVersion=v1,kind=Secret,name=foo",
      "apiVersion=v1,kind=Secret,namespace=default,name=foo,",
      "apiVersion=v1,kind=Secret,colour=red,name=foo",
      "apiVersion=v1,kind=,name=foo",
    ],
  },
  // website/docs/r/policy.html.md "Import": the policy's name
  vault_policy: { shape: "<policy name>", accepted: ["envmatrix-staging-secrets-read", "dev"], refused: ["", "sys/policy/dev", "a/b", "a b"] },
  // website/docs/r/kubernetes_auth_backend_role.html.md, jwt_auth_backend_role.html.md "Import": auth/<backend>/role/<name>
  ...Object.fromEntries(
    ["vault_kubernetes_auth_backend_role", "vault_jwt_auth_backend_role"].map((type) => [
      type,
      {
        shape: "auth/<backend>/role/<role name>",
        accepted: ["auth/kubernetes/role/foo", "auth/kubernetes-nonprod/role/staging-secret-sync", "auth/team/jwt/role/deployer"],
        refused: ["kubernetes/role/foo", "x/auth/kubernetes/role/foo", "auth/kubernetes/role/foo/extra", "auth/kubernetes/role/", "auth//role/foo"],
      },
    ]),
  ),
  // docs/resources/monitor.md, service_level_objective.md, dashboard_json.md "Import": the object's id
  datadog_monitor: { shape: "<monitor id> (a number)", accepted: ["12345", "0"], refused: ["", "x123", "123x", "12 345"] },
  datadog_service_level_objective: { shape: "<SLO id>", accepted: ["12345678901234567890123456789012", "abcDEF123"], refused: ["", "-abc", "abc-", "ab cd"] },
  datadog_dashboard_json: { shape: "<dashboard id> (like abc-def-ghi)", accepted: ["sv7-gyh-kas", "abc-def-ghi"], refused: ["sv7gyhkas", "xsv7-gyh-kas", "sv7-gyh-kasx", "SV7-GYH-KAS", "sv7-gyh"] },
  // website/docs/r/*.html.markdown "Import": colon-separated, the repository first (the owner is the provider's)
  github_repository_environment: { shape: "<repository>:<environment>", accepted: ["platform:staging", "repo:prod gate"], refused: ["platform", "platform:", ":staging", "a:b:c"] },
  github_repository_environment_deployment_policy: {
    shape: "<repository>:<environment>:<policy id>",
    accepted: ["platform:staging:123"],
    refused: ["platform:staging", "platform:staging:abc", "a:platform:staging:1", "platform:staging:1x", "platform::1"],
  },
  github_repository_ruleset: { shape: "<repository>:<ruleset id>", accepted: ["platform:12345"], refused: ["platform", "platform:abc", "a:platform:1", "platform:1x", ":1"] },
  github_actions_environment_variable: {
    shape: "<repository>:<environment>:<variable name>",
    accepted: ["platform:staging:VAULT_ADDR", "repo:prod:_x1"],
    refused: ["platform:staging", "platform:staging:1VAR", "a:platform:staging:VAR", "platform:staging:VAR-X", "platform::VAR"],
  },
};

describe("the import id each resource type's provider accepts (IMPORT_ID_FORMAT)", () => {
  it("covers exactly the types the stacks adopt, no other", () => {
    expect(Object.keys(IMPORT_ID_FORMAT).sort()).toEqual(Object.keys(FORMATS).sort());
  });

  describe.each(Object.entries(FORMATS))("%s", (type, { shape, accepted, refused }) => {
    it("shows the documented shape in its message", () => {
      expect(IMPORT_ID_FORMAT[type].shape).toBe(shape);
    });
    it.each(accepted)("accepts %j", (id) => {
      expect(IMPORT_ID_FORMAT[type].pattern.test(id)).toBe(true);
    });
    it.each(refused)("refuses %j", (id) => {
      expect(IMPORT_ID_FORMAT[type].pattern.test(id)).toBe(false);
    });
  });
});

describe("an import block as cdktf writes it (constructs/adopt.ts ImportBlock)", () => {
  /** One stack with a namespace adopted whole and two instances of a for_each config map adopted. */
  function adoptingStack(): TerraformStack {
    const app = new App({ outdir: path.join(scratchDir(), "import-blocks"), skipValidation: true });
    const stack = new TerraformStack(app, "adopting");
    new KubernetesProvider(stack, "kubernetes", {});
    adoptExisting(new NamespaceV1(stack, "namespace", { metadata: { name: "envmatrix-dev" } }), "envmatrix-dev");
    const maps = new ConfigMapV1(stack, "maps", { forEach: TerraformIterator.fromList(["main", "feature/x"]), metadata: { name: "m", namespace: "envmatrix-dev" } });
    // two instances of one resource: their blocks must not collide (their construct ids differ by the key's hash)
    adoptExisting(maps, "envmatrix-dev/main", '["main"]');
    adoptExisting(maps, "envmatrix-dev/feature-x", '["feature/x"]');
    return stack;
  }

  it("JSON: one import block per adoption, each with its address and id", () => {
    expect(JSON.parse(Testing.synth(adoptingStack())).import).toEqual([
      { to: "kubernetes_namespace_v1.namespace", id: "envmatrix-dev" },
      { to: 'kubernetes_config_map_v1.maps["main"]', id: "envmatrix-dev/main" },
      { to: 'kubernetes_config_map_v1.maps["feature/x"]', id: "envmatrix-dev/feature-x" },
    ]);
  });

  it("HCL (cdktf synth --hcl, which writes each stack's toHclTerraform()): the same blocks, the address a reference and the id a string", () => {
    const blocks = [...adoptingStack().toHclTerraform().hcl.matchAll(/^import \{\n([\s\S]*?)\n\}$/gm)].map((m) => m[1].split("\n").map((l: string) => l.trim()));
    expect(blocks).toEqual([
      ["to = kubernetes_namespace_v1.namespace", 'id = "envmatrix-dev"'],
      ['to = kubernetes_config_map_v1.maps["main"]', 'id = "envmatrix-dev/main"'],
      ['to = kubernetes_config_map_v1.maps["feature/x"]', 'id = "envmatrix-dev/feature-x"'],
    ]);
  });
});
