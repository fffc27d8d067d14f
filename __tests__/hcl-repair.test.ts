/**
 * `cdktf synth --hcl` (README: how to leave cdktf) writes what the JSON synth writes: cdktf 0.21 garbles the
 * terraform block's plain attributes and leaves out `removed` blocks (stacks/hcl-repair.ts). Read back with an HCL
 * parser (cdktf's own @cdktf/hcl2json), an environment split by team keeps its removed blocks and its
 * `required_version`, and the other stacks are what cdktf wrote.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { App, TerraformStack, Testing } from "cdktf";
import { parse } from "@cdktf/hcl2json";
import { loadMatrix } from "../config";
import { buildApp } from "../main";
import { repairHcl } from "../stacks/hcl-repair";
import { editableDefinition } from "./helpers";
import { scratchDir, testApp } from "./scratch";
import { terraformBinary } from "./fixtures/real-plan";

/** The seed with prod's two teams in stacks of their own (the removed blocks of team-stacks.test.ts). */
function splitProd(): TerraformStack[] {
  const def = editableDefinition();
  def.services = [
    { name: "api", team: "platform" },
    { name: "billing", team: "payments" },
  ];
  for (const e of ["dev", "staging", "prod"]) def.environments[e].cost.budgetMonthly *= 4;
  def.environments.prod.splitByTeam = true;
  return buildApp(testApp() as unknown as App, loadMatrix(def)).node.children as TerraformStack[];
}

describe("an environment split by team (prod, and hotfix its clone), written as HCL", () => {
  const stacks = splitProd();
  const jsonOf = new Map(stacks.map((s) => [s, JSON.parse(Testing.synth(s))]));
  const split = stacks.filter((s) => jsonOf.get(s).removed !== undefined);

  it("is prod and hotfix: the stacks with removed blocks", () => {
    expect(split.map((s) => s.node.id).sort()).toEqual(["hotfix", "prod"]);
  });

  it.each(["prod", "hotfix"])("%s keeps every removed block of its JSON: the address as a reference, destroy = false", async (name) => {
    const stack = split.find((s) => s.node.id === name)!;
    const json = jsonOf.get(stack);
    const hcl = await parse(`${name}.tf`, stack.toHclTerraform().hcl);
    expect(hcl.removed).toEqual(json.removed.map((r: { from: string }) => ({ from: `\${${r.from}}`, lifecycle: [{ destroy: false }] })));
  });

  it.each(["prod", "hotfix"])("%s keeps the terraform block's required_version (removed blocks need Terraform 1.7)", async (name) => {
    const stack = split.find((s) => s.node.id === name)!;
    const hcl = await parse(`${name}.tf`, stack.toHclTerraform().hcl);
    expect(jsonOf.get(stack).terraform.required_version).toBe(">= 1.7");
    expect(hcl.terraform.map((t: { required_version?: string }) => t.required_version)).toEqual([">= 1.7"]);
  });

  const terraform = terraformBinary();
  if (!terraform) it.skip("terraform fmt parses both (skipped: no terraform binary on this machine)", () => undefined);
  else
    it("terraform fmt parses both (as scripts/check-hcl.sh does the seed's stacks in CI)", () => {
      const dir = path.join(scratchDir(), "hcl-split");
      fs.mkdirSync(dir, { recursive: true });
      for (const stack of split) fs.writeFileSync(path.join(dir, `${stack.node.id}.tf`), stack.toHclTerraform().hcl);
      // fmt exits non-zero on a syntax error; -list=false -write=false: nothing printed, nothing rewritten
      expect(() => execFileSync(terraform, ["fmt", "-list=false", "-write=false", dir], { stdio: "pipe", env: { ...process.env, CHECKPOINT_DISABLE: "1" } })).not.toThrow();
    });

  it("the other stacks (no removed block, no plain terraform attribute): cdktf's text as it was", () => {
    const others = stacks.filter((s) => !split.includes(s));
    expect(others.length).toBe(stacks.length - 2);
    for (const stack of others) {
      const cdktfs = TerraformStack.prototype.toHclTerraform.call(stack) as { hcl: string };
      expect({ stack: stack.node.id, same: stack.toHclTerraform().hcl === cdktfs.hcl }).toEqual({ stack: stack.node.id, same: true });
    }
  });
});

describe("repairHcl on its own", () => {
  const cdktfWrote = 'terraform {\nrequired_providers {\n\n}\n\n  0 = "required_version"\n  1 = "experiments_off"\n}\n';
  it("writes each plain attribute of the terraform block with its value, in its place", () => {
    expect(repairHcl(cdktfWrote, { terraform: { required_providers: {}, required_version: ">= 1.7", experiments_off: true } })).toBe(
      'terraform {\nrequired_providers {\n\n}\n\n  required_version = ">= 1.7"\n  experiments_off = true\n}\n',
    );
  });
  it("leaves the terraform block's nested blocks (required_providers, backend, cloud) to cdktf, and writes numbers as numbers", () => {
    const withBlocks = 'terraform {\nrequired_providers {\n\n}\nbackend "s3" {\n}\ncloud {\n}\n  0 = "required_version"\n  1 = "attempts"\n}\n';
    const json = { terraform: { required_providers: {}, backend: { s3: {} }, cloud: { organization: "acme" }, required_version: ">= 1.7", attempts: 3 } };
    expect(repairHcl(withBlocks, json)).toBe('terraform {\nrequired_providers {\n\n}\nbackend "s3" {\n}\ncloud {\n}\n  required_version = ">= 1.7"\n  attempts = 3\n}\n');
  });

  it("refuses what it cannot write or does not recognize, saying what and where", () => {
    expect(() => repairHcl(cdktfWrote, { terraform: { required_version: ">= 1.7", experiments_off: { a: 1 } } })).toThrow(
      'terraform.experiments_off: {"a":1} is not a string, number or boolean: its HCL is not written here (stacks/hcl-repair.ts)',
    );
    expect(() => repairHcl("terraform {\n}\n", { terraform: { required_version: ">= 1.7" } })).toThrow("cdktf's HCL for the terraform block's required_version is not the one stacks/hcl-repair.ts repairs (a new cdktf?):\nterraform {\n}\n");
    const odd = { removed: [{ from: "a.b", lifecycle: { destroy: {} as unknown as boolean } }] };
    expect(() => repairHcl("x", odd)).toThrow("removed a.b: {} is not a string, number or boolean");
  });
  it("appends one removed block per address, and nothing without any", () => {
    expect(repairHcl("x", { removed: [{ from: "a.b", lifecycle: { destroy: false } }, { from: "c.d", lifecycle: { destroy: false } }] })).toBe(
      "x\n\nremoved {\n  from = a.b\n  lifecycle {\n    destroy = false\n  }\n}\n\nremoved {\n  from = c.d\n  lifecycle {\n    destroy = false\n  }\n}\n",
    );
    expect(repairHcl("x", { removed: [] })).toBe("x");
    expect(repairHcl("x", {})).toBe("x");
  });
});
