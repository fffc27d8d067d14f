/**
 * Two gaps of cdktf 0.21's HCL rendering (`cdktf synth --hcl`: TerraformStack.toHclTerraform), repaired on its
 * output for every stack of ours (stacks/logical-ids.ts ReadableStack):
 * - the `terraform` block's plain attributes (`required_version`, which stacks/moved.ts sets beside `removed`
 *   blocks) come out as `  0 = "required_version"`: renderTerraform (cdktf lib/hcl/render.js) hands
 *   renderSimpleAttributes the list of their names instead of the attributes, and the file does not parse;
 * - `removed` blocks are left out: the stack renders only the fragment kinds it knows (resource, data, provider,
 *   terraform, module, output, moved, import, locals, variable: lib/terraform-stack.js toHclTerraform). Without them,
 *   an environment split by team would destroy what its team stacks took over.
 * cdktf is archived (README "CDK for Terraform is archived"): no fix will come upstream.
 */

/** The terraform block's nested blocks, which cdktf renders right; every other key is a plain attribute. */
const TERRAFORM_BLOCKS = ["required_providers", "backend", "cloud"];

export interface StackJson {
  readonly terraform?: Record<string, unknown>;
  readonly removed?: readonly { readonly from: string; readonly lifecycle: { readonly destroy: boolean } }[];
}

/** A string, number or boolean as an HCL literal (JSON's syntax for them is HCL's). */
function literal(value: unknown, at: string): string {
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return JSON.stringify(value);
  throw new Error(`${at}: ${JSON.stringify(value)} is not a string, number or boolean: its HCL is not written here (stacks/hcl-repair.ts)`);
}

/** `hcl`, cdktf's rendering of the stack whose JSON is `json`, with the terraform block's plain attributes and the removed blocks written. */
export function repairHcl(hcl: string, json: StackJson): string {
  let out = hcl;
  const plain = Object.keys(json.terraform ?? {}).filter((key) => !TERRAFORM_BLOCKS.includes(key));
  if (plain.length > 0) {
    const broken = `${plain.map((name, i) => `  ${i} = "${name}"`).join("\n")}\n}`;
    if (!out.includes(broken)) throw new Error(`cdktf's HCL for the terraform block's ${plain.join(", ")} is not the one stacks/hcl-repair.ts repairs (a new cdktf?):\n${hcl}`);
    out = out.replace(broken, `${plain.map((name) => `  ${name} = ${literal(json.terraform![name], `terraform.${name}`)}`).join("\n")}\n}`);
  }
  const removed = (json.removed ?? []).map((r) => `removed {\n  from = ${r.from}\n  lifecycle {\n    destroy = ${literal(r.lifecycle.destroy, `removed ${r.from}`)}\n  }\n}`);
  return removed.length > 0 ? `${out}\n\n${removed.join("\n\n")}\n` : out;
}
