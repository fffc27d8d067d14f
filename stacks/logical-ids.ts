/**
 * Readable Terraform addresses: `kubernetes_namespace_v1.namespace`, `kubernetes_network_policy_v1.default_deny`,
 * never `namespace_ns_1A2B3C4D`. The address comes from the construct path below the stack's direct child
 * (the capability is already in the resource type), in snake_case, with a repeated segment said once.
 * The same construct tree gives the same address in every environment's stack.
 */
import type { IConstruct, Node } from "constructs";
import { TerraformStack, type TerraformElement } from "cdktf";
import { repairHcl } from "./hcl-repair";

export function snakeCase(id: string): string {
  return id
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    // each run of them is one "_" now: at most one at either end
    .replace(/^_|_$/g, "")
    .toLowerCase();
}

/** The address for `node`, a descendant of `stack`. */
export function readableLogicalId(node: Node, stack: IConstruct): string {
  const below = node.scopes.slice(node.scopes.indexOf(stack) + 1);
  // Drop the stack's direct child unless it is the element itself (providers, backends, top-level resources).
  const parts = (below.length > 1 ? below.slice(1) : below).map((scope) => snakeCase(scope.node.id));
  const deduped = parts.filter((part, i) => part !== "" && part !== parts[i - 1]);
  const id = deduped.join("_");
  // Terraform names start with a letter or an underscore.
  return /^[0-9]/.test(id) ? `_${id}` : id;
}

/** A stack whose resources get readable addresses, unique within it (a clash is a bug in a construct's ids, caught at synth). */
export abstract class ReadableStack extends TerraformStack {
  private readonly addresses = new Map<string, string>();

  protected override allocateLogicalId(element: TerraformElement | Node): string {
    const node = "node" in element ? element.node : element;
    const id = readableLogicalId(node, this);
    const owner = this.addresses.get(id);
    if (owner !== undefined && owner !== node.path) {
      throw new Error(`${this.node.path}: constructs ${owner} and ${node.path} would both be addressed "${id}"; give one another id`);
    }
    this.addresses.set(id, node.path);
    return id;
  }

  /** `cdktf synth --hcl`: cdktf's rendering, with what it leaves out or garbles written (stacks/hcl-repair.ts). */
  override toHclTerraform(): { [key: string]: any } {
    const rendered = super.toHclTerraform();
    return { ...rendered, hcl: repairHcl(rendered.hcl, this.toTerraform()) };
  }
}
