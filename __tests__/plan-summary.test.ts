/**
 * The plan summary on real `terraform show -json` output: the checked-in fixture (made by
 * fixtures/real-plan.ts with terraform 1.11.4 and the built-in terraform_data resource), and, where a terraform
 * binary is installed, a plan made fresh in this run, plus Terraform refusing a stale saved plan.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { changesObjects, dangerous, hasChanges, planMarkdown, PlanFormatError, summarizePlan } from "../review/plan-summary";
import { applySavedPlan, changeStateBehindThePlan, makeRealPlan, terraformBinary, tf as tfIn } from "./fixtures/real-plan";

const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "plan.json"), "utf8"));
// what fixtures/real-plan.ts does to each resource, read from its configuration (not from the code under test)
const expected = [
  { address: "terraform_data.gone", action: "delete", forcedBy: [], reason: "delete_because_no_resource_config" },
  { address: "terraform_data.keep", action: "no-op", forcedBy: [], reason: undefined },
  { address: "terraform_data.new", action: "create", forcedBy: [], reason: undefined },
  { address: "terraform_data.replace", action: "replace", forcedBy: ["triggers_replace"], reason: "replace_because_cannot_update" },
  { address: "terraform_data.update", action: "update", forcedBy: [], reason: undefined },
];

describe("plan summary of a real saved plan (fixture)", () => {
  const s = summarizePlan("prod", fixture, true);
  it("tells adds, in-place changes, replacements, deletes and no-ops apart, per address", () => {
    expect(s.changes).toEqual(expected);
    expect(s.counts).toEqual({ create: 1, update: 1, replace: 1, delete: 1, forget: 0, "no-op": 1 });
  });
  it("puts a protected stack's destroys and replacements first, in bold", () => {
    const md = planMarkdown(s);
    const lines = md.split("\n");
    expect(lines[0]).toBe("#### prod: 1 to add, 1 to change, 1 to replace, 1 to destroy");
    const warning = lines.findIndex((l) => l.startsWith("**⚠ prod is protected"));
    const table = lines.indexOf("| action | address |");
    expect(warning).toBeGreaterThan(0);
    expect(warning).toBeLessThan(table);
    expect(md).toContain("- **destroy `terraform_data.gone`**");
    expect(md).toContain("- **replace `terraform_data.replace`** (forced by `triggers_replace`)");
    expect(md).not.toContain("`terraform_data.keep`"); // unchanged resources are counted, not listed
  });
  it("does not shout for an unprotected stack, but still lists every change", () => {
    const md = planMarkdown(summarizePlan("dev", fixture, false));
    expect(md).not.toContain("⚠");
    for (const a of ["gone", "new", "replace", "update"]) expect(md).toContain(`\`terraform_data.${a}\``);
    // a markdown table: its header row and separator right after the heading's blank line
    expect(md.split("\n").slice(2, 4)).toEqual(["| action | address |", "| --- | --- |"]);
  });
  it("says so when nothing changes", () => {
    const noop = { ...fixture, resource_changes: fixture.resource_changes.filter((r: any) => r.change.actions[0] === "no-op") };
    const s0 = summarizePlan("prod", noop, true);
    expect(dangerous(s0)).toEqual([]);
    expect(planMarkdown(s0)).toContain("No changes");
  });
  it("refuses what is not terraform show -json output", () => {
    expect(() => summarizePlan("prod", { resource_changes: [] }, true)).toThrow(PlanFormatError);
    expect(() => summarizePlan("prod", { format_version: "2.0" }, true)).toThrow(/not 1\.x/);
    expect(() => summarizePlan("prod", { format_version: "1.2", resource_changes: [{ address: "x", change: { actions: ["explode"] } }] }, true)).toThrow(/unknown plan actions/);
  });
  it("the whole markdown: Terraform's count line, the protected stack's warning list, then one row per change", () => {
    // by hand from `expected` (the fixture's plan): the no-op counted and not listed, the two dangerous ones first
    expect(planMarkdown(s)).toBe(
      [
        "#### prod: 1 to add, 1 to change, 1 to replace, 1 to destroy",
        "",
        "**⚠ prod is protected and this plan destroys or replaces 2 resource(s):**",
        "",
        "- **destroy `terraform_data.gone`**",
        "- **replace `terraform_data.replace`** (forced by `triggers_replace`)",
        "",
        "| action | address |",
        "| --- | --- |",
        "| destroy | `terraform_data.gone` |",
        "| add | `terraform_data.new` |",
        "| replace | `terraform_data.replace` (`triggers_replace`) |",
        "| change | `terraform_data.update` |",
        "",
      ].join("\n"),
    );
  });
  it("is what `npm run plan-summary` prints", () => {
    const out = execFileSync(process.execPath, ["--require", "tsx/cjs", "scripts/cli.ts", "plan-summary", "prod", path.join(__dirname, "fixtures", "plan.json")], {
      cwd: path.resolve(__dirname, ".."),
      encoding: "utf8",
    });
    expect(out.trim()).toBe(planMarkdown(summarizePlan("prod", fixture, true)).trim());
  });
});

const terraform = terraformBinary();
const withTerraform = terraform ? describe : describe.skip;
if (!terraform) console.warn("plan-summary.test: no terraform binary on PATH: the fresh-plan tests are skipped (the fixture tests ran)");

withTerraform("a plan made in this run with the terraform binary", () => {
  let made: ReturnType<typeof makeRealPlan>;
  beforeAll(() => (made = makeRealPlan()));
  afterAll(() => made && fs.rmSync(made.dir, { recursive: true, force: true }));

  it("summarizes as the fixture does", () => {
    expect(summarizePlan("prod", made.json, true).changes).toEqual(expected);
  });
  it("cannot be applied once the state moved on: the approved plan is applied exactly, or nothing is", () => {
    changeStateBehindThePlan(made.dir);
    const r = applySavedPlan(made.dir);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/Saved plan is stale/);
  });
});

withTerraform("a plan that adopts an existing object (an import block, as every environment's namespace has)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envmatrix-import-plan-"));
  const env = { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_CLI_CONFIG_FILE: "/dev/null" };
  const tf = (...args: string[]) => execFileSync("terraform", [`-chdir=${dir}`, ...args], { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const plan = () => {
    const human = tf("plan", "-input=false", "-no-color", "-out=tfplan");
    return { human, json: JSON.parse(tf("show", "-json", "tfplan")) };
  };

  it("counts and lists the import as Terraform's own plan does, then nothing once applied", () => {
    fs.writeFileSync(
      path.join(dir, "main.tf.json"),
      JSON.stringify({
        // namespace: imported and changed (its input differs); bare: imported as it is (a no-op); quota: created
        resource: { terraform_data: { namespace: { input: "labels" }, bare: {}, quota: { input: "x" } } },
        import: [
          { to: "terraform_data.namespace", id: "envmatrix-staging" },
          { to: "terraform_data.bare", id: "as-it-is" },
        ],
      }),
    );
    tf("init", "-input=false");
    const first = plan();
    const s = summarizePlan("staging", first.json, true);
    // Terraform's line, e.g. "Plan: 1 to import, 1 to add, 1 to change, 0 to destroy."
    const [, imports, add, change, destroy] = /Plan: (\d+) to import, (\d+) to add, (\d+) to change, (\d+) to destroy\./.exec(first.human)!.map(Number);
    const md = planMarkdown(s);
    expect(md.split("\n")[0]).toBe(`#### staging: ${imports} to import, ${add} to add, ${change} to change, 0 to replace, ${destroy} to destroy`);
    expect(md).toContain("| import, change | `terraform_data.namespace` ← `envmatrix-staging` |");
    // imported and left as it is: still listed, as Terraform's plan lists "will be imported"
    expect(first.human).toMatch(/terraform_data\.bare will be imported/);
    expect(md).toContain("| import | `terraform_data.bare` ← `as-it-is` |");
    expect([hasChanges(s), changesObjects(s)]).toEqual([true, true]);
    tf("apply", "-input=false", "tfplan");
    const again = summarizePlan("staging", plan().json, true);
    expect([again.imports, hasChanges(again), changesObjects(again)]).toEqual([0, false, false]);
  });

  it("an import of an object as it is changes the state, not the object: no deployment (report-deployment)", () => {
    const only = fs.mkdtempSync(path.join(dir, "import-only-"));
    fs.writeFileSync(path.join(only, "main.tf.json"), JSON.stringify({ resource: { terraform_data: { bare: {} } }, import: [{ to: "terraform_data.bare", id: "as-it-is" }] }));
    tfIn(only, "init", "-input=false");
    expect(tfIn(only, "plan", "-input=false", "-no-color", "-out=tfplan")).toMatch(/Plan: 1 to import, 0 to add, 0 to change, 0 to destroy\./);
    const s = summarizePlan("staging", JSON.parse(tfIn(only, "show", "-json", "tfplan")), true);
    expect([s.imports, hasChanges(s), changesObjects(s)]).toEqual([1, true, false]);
  });
});

describe("a removed block (destroy = false): the plan forgets the object, as splitting an environment by team does", () => {
  const terraform = require("./fixtures/real-plan").terraformBinary();
  if (!terraform) console.warn("plan-summary.test: no terraform binary on PATH: the forget plan test is skipped");
  (terraform ? it : it.skip)("counts it as forgotten, not destroyed, from a real terraform show -json", () => {
    const { execFileSync } = require("node:child_process");
    const fs = require("node:fs");
    const os = require("node:os");
    const path = require("node:path");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envmatrix-forget-"));
    try {
      const env = { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_CLI_CONFIG_FILE: "/dev/null" };
      const tf = (...args: string[]) => execFileSync("terraform", [`-chdir=${dir}`, ...args], { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify({ resource: { terraform_data: { workload_billing: { input: "billing" }, kept: { input: "k" } } } }));
      tf("init", "-input=false");
      tf("apply", "-auto-approve", "-input=false");
      fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify({ resource: { terraform_data: { kept: { input: "k" } } }, removed: [{ from: "terraform_data.workload_billing", lifecycle: { destroy: false } }] }));
      tf("plan", "-input=false", "-out=tfplan");
      const summary = summarizePlan("prod", JSON.parse(tf("show", "-json", "tfplan")), true);
      expect(summary.counts).toMatchObject({ forget: 1, delete: 0 });
      expect(hasChanges(summary)).toBe(true);
      expect(planMarkdown(summary).split("\n")[0]).toBe("#### prod: 0 to add, 0 to change, 0 to replace, 0 to destroy, 1 to forget");
      expect(planMarkdown(summary)).toContain("| forget | `terraform_data.workload_billing` |");
      expect(planMarkdown(summary)).not.toContain("destroys or replaces");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("plan documents written by hand (Terraform's JSON output format, developer.hashicorp.com/terraform/internals/json-format)", () => {
  const plan = (...resourceChanges: unknown[]) => ({ format_version: "1.2", resource_changes: resourceChanges });
  const managed = (address: string, actions: string[], more: Record<string, unknown> = {}) => ({ address, mode: "managed", change: { actions, ...more } });

  it("refuses, as not terraform show -json output, a document without a format_version string", () => {
    for (const doc of [null, undefined, "1.2", { format_version: 1.2, resource_changes: [] }]) {
      expect(() => summarizePlan("prod", doc, true)).toThrow(new PlanFormatError("prod: not the output of terraform show -json (no format_version)"));
    }
    // 1.x only: "11.0" is not 1.x
    expect(() => summarizePlan("prod", { format_version: "11.0" }, true)).toThrow(new PlanFormatError("prod: plan format 11.0 is not 1.x"));
  });

  it("refuses a resource change without its actions with a plan format error, not a crash", () => {
    expect(() => summarizePlan("prod", plan({ address: "terraform_data.x", mode: "managed" }), true)).toThrow(new PlanFormatError("unknown plan actions []"));
    expect(() => summarizePlan("prod", plan(null), true)).toThrow(new PlanFormatError("unknown plan actions []"));
  });

  it("lists the changes by address whatever order the plan gives them in; a replacement's paths are dotted and each named", () => {
    const s = summarizePlan(
      "prod",
      plan(
        managed("vault_policy.b", ["update"]),
        managed("kubernetes_namespace_v1.namespace", ["delete", "create"], { replace_paths: [["metadata", 0, "name"], ["metadata", 0, "labels"]] }),
        managed("datadog_monitor.a", ["create"]),
      ),
      true,
    );
    expect(s.changes.map((c) => [c.address, c.action, c.forcedBy])).toEqual([
      ["datadog_monitor.a", "create", []],
      ["kubernetes_namespace_v1.namespace", "replace", ["metadata.0.name", "metadata.0.labels"]],
      ["vault_policy.b", "update", []],
    ]);
    const md = planMarkdown(s);
    expect(md).toContain("- **replace `kubernetes_namespace_v1.namespace`** (forced by `metadata.0.name`, `metadata.0.labels`)\n");
    expect(md).toContain("| replace | `kubernetes_namespace_v1.namespace` (`metadata.0.name`, `metadata.0.labels`) |\n");
  });

  it("has changes when it adds, changes, replaces, destroys or forgets anything: each alone is enough", () => {
    for (const actions of [["create"], ["update"], ["delete", "create"], ["create", "delete"], ["delete"], ["forget"]]) {
      expect([actions, hasChanges(summarizePlan("prod", plan(managed("terraform_data.x", actions)), true))]).toEqual([actions, true]);
    }
    expect(hasChanges(summarizePlan("prod", plan(managed("terraform_data.x", ["no-op"])), true))).toBe(false);
  });
});
