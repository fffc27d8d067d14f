/**
 * Renamed Terraform addresses, kept as `moved` blocks so state follows a rename instead of Terraform destroying
 * the old object and creating a new one (developer.hashicorp.com/terraform/language/modules/develop/refactoring).
 * Per kind of stack, new address → old address; every stack of that kind gets the block. stacks/addresses.json
 * records the addresses of the last reviewed synth, and __tests__/addresses.test.ts fails when one of them
 * disappears without an entry here (`npm run addresses` says what to do).
 */
import { Aspects, TerraformElement, TerraformResource, type IAspect, type TerraformStack } from "cdktf";
import type { IConstruct } from "constructs";

export type StackKind = "environment" | "team" | "gates";

export const MOVED: Readonly<Record<StackKind, Readonly<Record<string, string>>>> = {
  environment: {},
  team: {},
  gates: {},
};

class MoveFrom implements IAspect {
  constructor(private readonly moved: Readonly<Record<string, string>>) {}
  visit(node: IConstruct): void {
    if (!(node instanceof TerraformResource)) return;
    const from = this.moved[`${node.terraformResourceType}.${node.friendlyUniqueId}`];
    if (from !== undefined) node.moveFromId(from);
  }
}

/** Each resource under `scope` whose address is a key of `moved` gets a `moved` block from the old address. */
export function applyMoves(scope: IConstruct, moved: Readonly<Record<string, string>>): void {
  // nothing to move (the usual case): no aspect for every synth to walk the stack with
  if (Object.keys(moved).length > 0) Aspects.of(scope).add(new MoveFrom(moved));
}

/**
 * Addresses a stack no longer holds whose objects live on in another stack: per stack name, each becomes a
 * Terraform `removed` block with `destroy = false` (Terraform ≥ 1.7, developer.hashicorp.com/terraform/language/
 * resources/syntax#removing-resources), so the old stack forgets the object instead of destroying it. `moved` cannot
 * cross states: when a service changes team in an environment split by team, its resources leave one team stack
 * for another; the old one forgets them (here), the new one imports them (`npm run adopt -- <new stack>`).
 */
export const FORGOTTEN: Readonly<Record<string, readonly string[]>> = {};

class RemovedBlocks extends TerraformElement {
  readonly addresses: string[] = [];
  constructor(scope: TerraformStack) {
    super(scope, "forgotten");
  }

  override toTerraform(): object {
    return { removed: this.addresses.map((from) => ({ from, lifecycle: { destroy: false } })) };
  }
  // its HCL (`cdktf synth --hcl`): cdktf's stack renders no removed block; stacks/hcl-repair.ts writes them
}

/** The stack forgets (a `removed` block, destroy = false) each of `addresses`, besides any it forgets already. */
export function applyForgotten(stack: TerraformStack, addresses: readonly string[] | undefined): void {
  if (!addresses || addresses.length === 0) return;
  const existing = stack.node.tryFindChild("forgotten") as RemovedBlocks | undefined;
  // `removed` blocks are Terraform 1.7's: an older Terraform would refuse the configuration
  if (!existing) stack.addOverride("terraform.required_version", ">= 1.7");
  const blocks = existing ?? new RemovedBlocks(stack);
  blocks.addresses.splice(0, blocks.addresses.length, ...[...new Set([...blocks.addresses, ...addresses])].sort());
}
