/**
 * Renamed Terraform addresses, kept as `moved` blocks so state follows a rename instead of Terraform destroying
 * the old object and creating a new one (developer.hashicorp.com/terraform/language/modules/develop/refactoring).
 * Per kind of stack, new address → old address; every stack of that kind gets the block. stacks/addresses.json
 * records the addresses of the last reviewed synth, and __tests__/addresses.test.ts fails when one of them
 * disappears without an entry here (`npm run addresses` says what to do).
 */
import { Aspects, TerraformResource, type IAspect } from "cdktf";
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
  if (Object.keys(moved).length > 0) Aspects.of(scope).add(new MoveFrom(moved));
}
