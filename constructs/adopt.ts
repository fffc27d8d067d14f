/**
 * Terraform `import` blocks (Terraform ≥ 1.5, developer.hashicorp.com/terraform/language/import): the resource
 * takes over an object that exists before the first apply, instead of failing on "already exists". Once the
 * object is in state the block is a no-op, so it stays in the configuration.
 *
 * cdktf's own `resource.importFrom(id)` writes the same block, but also adds a synth-time check that runs
 * `terraform version`: every synth (CI's, a reviewer's, the tests') would need a Terraform binary. The
 * workflows pin Terraform 1.11 (README "What plan and deploy need").
 */
import { TerraformElement, type TerraformResource } from "cdktf";

export class ImportBlock extends TerraformElement {
  constructor(
    private readonly target: TerraformResource,
    private readonly importId: string,
    /** The instance of a resource with count or for_each: `[0]`, `["main"]`. */
    private readonly instanceKey = "",
  ) {
    super(target.node.scope!, `${target.node.id}-import${instanceKey}`);
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
