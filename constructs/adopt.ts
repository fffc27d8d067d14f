/**
 * Terraform `import` blocks (Terraform ≥ 1.5, developer.hashicorp.com/terraform/language/import): the resource
 * takes over an object that exists before the first apply, instead of failing on "already exists". Once the
 * object is in state the block is a no-op, so it stays in the configuration.
 *
 * cdktf's own `resource.importFrom(id)` writes the same block, but also adds a synth-time check that runs
 * `terraform version`: every synth (CI's, a reviewer's, the tests') would need a Terraform binary. The
 * workflows pin Terraform 1.11 (README "What plan and deploy need").
 *
 * Import id formats, per resource type, at the provider versions the stacks pin (kubernetes 2.38.0, vault 5.6.0,
 * datadog 3.82.0, github 6.9.0), from each resource's "Import" section of its registry documentation and the
 * provider's importer:
 * - kubernetes_namespace_v1: `<name>`; the namespaced kubernetes_*_v1 (service account, config map, network
 *   policy, resource quota, limit range): `<namespace>/<name>` (docs "Import", e.g. `terraform import
 *   kubernetes_config_map_v1.example default/my-config`; importer: idParts splits on "/").
 * - kubernetes_manifest: `apiVersion=<v>,kind=<k>,namespace=<ns>,name=<n>` (docs "Import": the comma-separated
 *   key=value form; util.ParseResourceID takes three or four parts, exactly these keys, in any order).
 * - vault_policy: `<name>`; vault_kubernetes_auth_backend_role and vault_jwt_auth_backend_role:
 *   `auth/<backend>/role/<role_name>` (docs "Import"; the importer matches `^auth/(.+)/role/(.+)$`).
 * - datadog_monitor: the monitor's numeric id; datadog_service_level_objective: the SLO's id;
 *   datadog_dashboard_json: the dashboard's id, like `sv7-gyh-kas` (docs "Import"; the importer passes it through).
 * - github_repository_environment: `<repository>:<environment>`; github_repository_environment_deployment_policy:
 *   `<repository>:<environment>:<policy id>`; github_repository_ruleset: `<repository>:<ruleset id>`;
 *   github_actions_environment_variable: `<repository>:<environment>:<variable name>` (docs "Import"; each
 *   importer splits on ":", the policy's id must be a number; the owner is the provider's). The names go raw,
 *   the provider escaping an environment's name itself, but for the deployment policy's: its Read does not, so
 *   that id carries the name as its Create stores it (url.PathEscape).
 */
import { createHash } from "node:crypto";
import { TerraformElement, type TerraformResource } from "cdktf";

export class ImportBlock extends TerraformElement {
  constructor(
    private readonly target: TerraformResource,
    private readonly importId: string,
    /** The instance of a resource with count or for_each: `[0]`, `["main"]`. */
    private readonly instanceKey = "",
  ) {
    // an instance key may hold "/" (a branch pattern), which construct ids turn into "--": a hash keeps ids apart
    super(target.node.scope!, instanceKey ? `${target.node.id}-import-${createHash("sha256").update(instanceKey).digest("hex").slice(0, 16)}` : `${target.node.id}-import`);
  }

  /** The address the block imports into. */
  get to(): string {
    return `${this.target.terraformResourceType}.${this.target.friendlyUniqueId}${this.instanceKey}`;
  }

  override toTerraform(): object {
    return { import: [{ to: this.to, id: this.importId }] };
  }

  override toHclTerraform(): object {
    return {
      import: [
        {
          to: { value: this.to, type: "simple", storageClassType: "reference" },
          id: { value: this.importId, type: "simple", storageClassType: "string" },
        },
      ],
    };
  }
}

/**
 * Adopts the existing object `id` (in the provider's documented import format) into `resource` on first apply;
 * `instanceKey` (`[0]`, `["main"]`) names one instance of a resource with count or for_each.
 */
export function adoptExisting<T extends TerraformResource>(resource: T, id: string, instanceKey?: string): T {
  new ImportBlock(resource, id, instanceKey);
  return resource;
}

/**
 * The import id each resource type's provider documents (below), as a pattern: synth refuses an
 * adopt file entry that does not match it, before Terraform would.
 */
export const IMPORT_ID_FORMAT: Readonly<Record<string, { pattern: RegExp; shape: string }>> = {
  kubernetes_namespace_v1: { pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, shape: "<name>" },
  ...Object.fromEntries(
    ["kubernetes_service_account_v1", "kubernetes_config_map_v1", "kubernetes_network_policy_v1", "kubernetes_resource_quota_v1", "kubernetes_limit_range_v1"].map((t) => [
      t,
      { pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/, shape: "<namespace>/<name>" },
    ]),
  ),
  // util.ParseResourceID: three or four comma-separated key=value parts, in any order, of exactly these keys
  kubernetes_manifest: {
    pattern: /^(?=(?:.*,)?apiVersion=)(?=(?:.*,)?kind=)(?=(?:.*,)?name=)(?:apiVersion|kind|namespace|name)=[^,=]+(?:,(?:apiVersion|kind|namespace|name)=[^,=]+){2,3}$/,
    shape: "apiVersion=<group/version>,kind=<kind>,namespace=<namespace>,name=<name>",
  },
  vault_policy: { pattern: /^[^/\s]+$/, shape: "<policy name>" },
  vault_kubernetes_auth_backend_role: { pattern: /^auth\/.+\/role\/[^/]+$/, shape: "auth/<backend>/role/<role name>" },
  vault_jwt_auth_backend_role: { pattern: /^auth\/.+\/role\/[^/]+$/, shape: "auth/<backend>/role/<role name>" },
  datadog_monitor: { pattern: /^\d+$/, shape: "<monitor id> (a number)" },
  datadog_service_level_objective: { pattern: /^[A-Za-z0-9]+$/, shape: "<SLO id>" },
  // docs/resources/dashboard_json.md "Import": the dashboard's id, e.g. sv7-gyh-kas
  datadog_dashboard_json: { pattern: /^[a-z0-9]{3}-[a-z0-9]{3}-[a-z0-9]{3}$/, shape: "<dashboard id> (like abc-def-ghi)" },
  github_repository_environment: { pattern: /^[^:]+:[^:]+$/, shape: "<repository>:<environment>" },
  github_repository_environment_deployment_policy: { pattern: /^[^:]+:[^:]+:\d+$/, shape: "<repository>:<environment>:<policy id>" },
  github_repository_ruleset: { pattern: /^[^:]+:\d+$/, shape: "<repository>:<ruleset id>" },
  github_actions_environment_variable: { pattern: /^[^:]+:[^:]+:[A-Za-z_][A-Za-z0-9_]*$/, shape: "<repository>:<environment>:<variable name>" },
};
