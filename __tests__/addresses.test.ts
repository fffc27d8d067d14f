/**
 * Renames keep their state: the synthesized addresses are the recorded ones (stacks/addresses.json), and an
 * address that disappears needs a `moved` entry (stacks/moved.ts), which becomes Terraform's `moved` block.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Testing, TerraformStack, type App } from "cdktf";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { ADDRESSES_FILE, addressProblems, addressesCommand, synthesizedAddresses, type AddressesIo } from "../scripts/addresses";
import { MOVED, applyMoves } from "../stacks/moved";
import { buildApp } from "../main";
import { seedMatrix } from "./helpers";
import { scratchDir, testApp } from "./scratch";
import { terraformBinary } from "./fixtures/real-plan";

const recorded: Record<string, string[]> = JSON.parse(fs.readFileSync(ADDRESSES_FILE, "utf8"));
const current = synthesizedAddresses(seedMatrix, scratchDir());
const PROFILE = "kubernetes_config_map_v1.profile";
const RENAMED = "kubernetes_config_map_v1.environment_profile";

/** dev's addresses after renaming its profile ConfigMap (a refactor that changes a construct id). */
function devAfterRename(moved?: Record<string, string>): { addresses: string[]; json: any } {
  const app = buildApp(testApp() as unknown as App, seedMatrix);
  const dev = app.node.children.find((s) => s.node.id === "dev") as TerraformStack;
  const profile = dev.node.findAll().find((c) => c instanceof ConfigMapV1 && c.node.id === "profile") as ConfigMapV1;
  profile.overrideLogicalId("environment_profile");
  if (moved) applyMoves(dev, moved);
  const json = JSON.parse(Testing.synth(dev));
  return { addresses: Object.entries<Record<string, unknown>>(json.resource).flatMap(([t, byName]) => Object.keys(byName).map((n) => `${t}.${n}`)).sort(), json };
}

it("the seed synthesizes exactly the recorded addresses, and nothing is waiting for a move", () => {
  expect(Object.keys(recorded).sort()).toEqual([...Object.keys(seedMatrix.environments), "gates"].sort());
  expect(addressProblems(recorded, current)).toEqual([]);
  expect(MOVED).toEqual({ environment: {}, team: {}, gates: {} });
  // --write records what synthesizedAddresses gives: each stack's addresses sorted (a diff of the file is a review)
  expect(current).toEqual(recorded);
  for (const list of Object.values(current)) expect(list).toEqual([...list].sort());
});

describe("npm run addresses (addressesCommand, in-process)", () => {
  /** The command on the seed, with `record` as its stacks/addresses.json (a copy in this file's scratch folder). */
  let runs = 0;
  function run(argv: string[], record: string | undefined, over: Partial<AddressesIo> = {}) {
    const file = path.join(scratchDir(), `addresses-${++runs}.json`);
    if (record !== undefined) fs.writeFileSync(file, record);
    const out: string[] = [];
    const err: string[] = [];
    const code = addressesCommand(argv, { matrix: () => seedMatrix, file, adoptedDir: path.join(scratchDir(), "no-adopted"), log: (l) => out.push(l), error: (l) => err.push(l), ...over });
    return { code, out, err, file };
  }
  const leftBehind = () => fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith("envmatrix-addresses-"));

  it("--write writes stacks/addresses.json as it is committed, byte for byte, and says how many addresses of how many stacks", () => {
    const { code, out, err, file } = run(["--write"], undefined);
    expect(code).toBe(0);
    expect(err).toEqual([]);
    expect(fs.readFileSync(file, "utf8")).toBe(fs.readFileSync(ADDRESSES_FILE, "utf8"));
    expect(out).toEqual([`${path.relative(process.cwd(), file)}: ${Object.values(recorded).flat().length} addresses of ${Object.keys(recorded).length} stacks recorded`]);
  });

  it("against the committed record: exit 0, one line saying so, nothing on stderr", () => {
    expect(run([], fs.readFileSync(ADDRESSES_FILE, "utf8"))).toMatchObject({ code: 0, out: ["addresses: as recorded (or moved)"], err: [] });
  });

  it("against a record where dev's profile ConfigMap had another name: exit 1, the gone and the new address on stderr, the record left as it was", () => {
    const old = { ...recorded, dev: recorded.dev.map((a) => (a === PROFILE ? "kubernetes_config_map_v1.old_profile" : a)) };
    const text = JSON.stringify(old, null, 2);
    const { code, out, err, file } = run([], text);
    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err).toEqual([
      `dev: kubernetes_config_map_v1.old_profile is gone: Terraform would destroy it. Renamed? Add "<its new address>": "kubernetes_config_map_v1.old_profile" to MOVED.environment in stacks/moved.ts (its state then moves). Removed on purpose? npm run addresses -- --write records that.`,
      `dev: ${PROFILE} is new: npm run addresses -- --write records it.`,
    ]);
    expect(fs.readFileSync(file, "utf8")).toBe(text);
  });

  it("leaves no folder of its in-memory synthesis behind in the temporary directory", () => {
    const before = leftBehind();
    run([], fs.readFileSync(ADDRESSES_FILE, "utf8"));
    run(["--write"], undefined);
    expect(leftBehind()).toEqual(before);
  });
});

describe("addressProblems, on records made by hand", () => {
  const env = () => "environment" as const;
  const none = { environment: {}, team: {}, gates: {} };

  it("lists the stacks in name order, whatever order the records give them in", () => {
    const problems = addressProblems({ staging: ["a.x"], dev: ["a.x"] }, { staging: [], dev: [] }, none, env, {});
    expect(problems.map((p) => p.split(":")[0])).toEqual(["dev", "staging"]);
  });

  it("the gates stack's moves are read from MOVED.gates by default", () => {
    const moved = { environment: {}, team: {}, gates: { "a.new": "a.old" } };
    expect(addressProblems({ gates: ["a.old"] }, { gates: ["a.new"] }, moved)).toEqual(["gates: a.new is new: npm run addresses -- --write records it."]);
    // and an environment's from MOVED.environment, not the gates'
    expect(addressProblems({ dev: ["a.old"] }, { dev: ["a.new"] }, moved)[0]).toMatch(/^dev: a\.old is gone: Terraform would destroy it/);
  });

  it("an address moved between two environments' stacks (not into a team's) needs a removed block, even where the other imports it", () => {
    const problems = addressProblems({ dev: ["a.x"], staging: [] }, { dev: [], staging: ["a.x"] }, none, env, {}, { staging: ["a.x"] });
    expect(problems).toEqual([
      'dev: a.x moved to stack staging: Terraform would destroy it here and create it there. Add "a.x" to FORGOTTEN["dev"] in stacks/moved.ts (a removed block: forgotten, not destroyed), and npm run adopt -- staging (an import block there), then npm run addresses -- --write.',
      "staging: a.x is new: npm run addresses -- --write records it.",
    ]);
  });

  it("an address the stack forgets on purpose (FORGOTTEN) and that nothing takes over is no problem", () => {
    expect(addressProblems({ dev: ["a.x"] }, { dev: [] }, none, env, { dev: ["a.x"] })).toEqual([]);
  });

  it("stackKind: the gates stack, a team's stack, an environment's (and a name the matrix does not have: an environment's)", () => {
    const { stackKind } = require("../scripts/addresses") as typeof import("../scripts/addresses");
    const split = structuredClone(seedMatrix) as any;
    split.environments.prod.splitByTeam = true;
    const team = `prod-${seedMatrix.services[0].team}`;
    expect(["gates", team, "prod", "nowhere"].map(stackKind(split))).toEqual(["gates", "team", "environment", "environment"]);
  });
});

it("renaming a synthesized address without a moved entry fails, naming the address and what to do", () => {
  const { addresses } = devAfterRename();
  expect(addresses).toContain(RENAMED);
  const problems = addressProblems(recorded, { ...current, dev: addresses });
  expect(problems).toEqual([
    `dev: ${PROFILE} is gone: Terraform would destroy it. Renamed? Add "<its new address>": "${PROFILE}" to MOVED.environment in stacks/moved.ts (its state then moves). Removed on purpose? npm run addresses -- --write records that.`,
    `dev: ${RENAMED} is new: npm run addresses -- --write records it.`,
  ]);
});

it("with a moved entry, the stack carries Terraform's moved block and the old address is accounted for", () => {
  const moved = { [RENAMED]: PROFILE };
  const { addresses, json } = devAfterRename(moved);
  expect(json.moved).toEqual([{ from: PROFILE, to: RENAMED }]);
  const problems = addressProblems(recorded, { ...current, dev: addresses }, { environment: moved, team: {}, gates: {} });
  // only the new address is left to record
  expect(problems).toEqual([`dev: ${RENAMED} is new: npm run addresses -- --write records it.`]);
});

it("moves resources only: a data source of the moved type and name is read, not moved (Terraform's moved block takes resources and modules)", () => {
  const { DataGithubTeam } = require("@cdktf/provider-github/lib/data-github-team") as typeof import("@cdktf/provider-github/lib/data-github-team");
  const stack = new TerraformStack(testApp(), "moves");
  new DataGithubTeam(stack, "reviewers", { slug: "release-managers" });
  new ConfigMapV1(stack, "profile", { metadata: { name: "profile" } });
  applyMoves(stack, { "github_team.reviewers": "github_team.old", [`kubernetes_config_map_v1.profile`]: "kubernetes_config_map_v1.old" });
  expect(JSON.parse(Testing.synth(stack)).moved).toEqual([{ from: "kubernetes_config_map_v1.old", to: "kubernetes_config_map_v1.profile" }]);
});

describe("a stack forgetting addresses (applyForgotten)", () => {
  const { applyForgotten } = require("../stacks/moved") as typeof import("../stacks/moved");
  const synthForgetting = (...calls: (readonly string[] | undefined)[]) => {
    const stack = new TerraformStack(testApp(), "forgetting");
    new ConfigMapV1(stack, "kept", { metadata: { name: "kept" } });
    for (const addresses of calls) applyForgotten(stack, addresses);
    return JSON.parse(Testing.synth(stack));
  };
  it("nothing to forget: no removed block and no Terraform version required", () => {
    for (const json of [synthForgetting([]), synthForgetting(undefined), synthForgetting()]) {
      expect([json.removed, json.terraform?.required_version]).toEqual([undefined, undefined]);
    }
  });
  it("twice: one removed block per address, each once, in order, and Terraform 1.7 required once", () => {
    const json = synthForgetting(["b.y", "a.x"], ["a.x", "c.z"]);
    expect(json.removed).toEqual(["a.x", "b.y", "c.z"].map((from) => ({ from, lifecycle: { destroy: false } })));
    expect(json.terraform.required_version).toBe(">= 1.7");
  });
});

// Terraform itself reads the block (as synthesized): the built-in terraform_data stands in for the resource type
const terraform = terraformBinary();
if (!terraform) console.warn("addresses.test: no terraform binary on PATH: the moved-block plan test is skipped");
(terraform ? it : it.skip)("is read by Terraform: after the rename the plan moves the object, destroying and creating nothing", () => {
  const stack = new TerraformStack(testApp(), "moving");
  const renamed = new ConfigMapV1(stack, "renamed", { metadata: { name: "p" } });
  renamed.overrideLogicalId("environment_profile");
  renamed.moveFromId(PROFILE);
  const moved = JSON.parse(Testing.synth(stack)).moved[0];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envmatrix-moved-"));
  const env = { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_CLI_CONFIG_FILE: "/dev/null" };
  const tf = (...args: string[]) => execFileSync("terraform", [`-chdir=${dir}`, ...args, "-input=false", "-no-color"], { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const asData = (address: string) => address.replace(/^kubernetes_config_map_v1\./, "terraform_data.");
  try {
    fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify({ resource: { terraform_data: { profile: { input: "p" } } } }));
    tf("init");
    tf("apply", "-auto-approve");
    fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify({ resource: { terraform_data: { environment_profile: { input: "p" } } }, moved: [{ from: asData(moved.from), to: asData(moved.to) }] }));
    const plan = tf("plan");
    expect(plan).toMatch(/terraform_data\.profile has moved to terraform_data\.environment_profile/);
    expect(plan).toMatch(/Plan: 0 to add, 0 to change, 0 to destroy\.|No changes\./);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe("a service that changes team in an environment split by team", () => {
  const { loadMatrix } = require("../config");
  const { stackKind } = require("../scripts/addresses");
  const { FORGOTTEN, applyForgotten } = require("../stacks/moved");
  const split = (billingTeam: string) => {
    const def = require("./helpers").editableDefinition();
    def.services = [{ name: "api", team: "platform" }, { name: "billing", team: billingTeam }, { name: "ledger", team: "payments" }];
    for (const e of ["dev", "staging", "prod"]) def.environments[e].cost.budgetMonthly *= 4;
    def.environments.prod.splitByTeam = true;
    return loadMatrix(def);
  };
  const before = synthesizedAddresses(split("payments"), scratchDir());
  const after = synthesizedAddresses(split("platform"), scratchDir());

  it("without a removed block fails, saying where it went and what to do (moved cannot cross states)", () => {
    const problems: string[] = addressProblems(before, after, MOVED, stackKind(split("platform")), FORGOTTEN);
    expect(problems).toContain(
      'prod-payments: kubernetes_service_account_v1.workload_billing moved to stack prod-platform: Terraform would destroy it here and create it there. Add "kubernetes_service_account_v1.workload_billing" to FORGOTTEN["prod-payments"] in stacks/moved.ts (a removed block: forgotten, not destroyed), and npm run adopt -- prod-platform (an import block there), then npm run addresses -- --write.',
    );
  });

  it("with the addresses forgotten in the old stack and imported in the new one, only the new ones are left to record", () => {
    const gone = before["prod-payments"].filter((a: string) => !after["prod-payments"].includes(a));
    expect(gone.length).toBeGreaterThan(3);
    const forgotten = { "prod-payments": gone, "hotfix-payments": gone };
    // forgotten but not imported: the new stack would create a second one
    expect(addressProblems(before, after, MOVED, stackKind(split("platform")), forgotten, {}).filter((p) => / which does not import it/.test(p)).length).toBe(gone.length * 2);
    const problems: string[] = addressProblems(before, after, MOVED, stackKind(split("platform")), forgotten, { "prod-platform": gone, "hotfix-platform": gone });
    expect(problems.filter((p) => !/ is new: /.test(p))).toEqual([]);
  });

  it("a team left without services: its stack is no longer synthesized, and that is said", () => {
    const none = synthesizedAddresses(split("platform"), scratchDir());
    delete none["prod-payments"];
    expect(addressProblems(before, none, MOVED, stackKind(split("platform")), FORGOTTEN)).toContain(
      "prod-payments: the stack is no longer synthesized (an environment removed from the matrix, or a team left without services): nothing applies or destroys it any more, and its objects stay, managed by nothing. A retired environment: destroy its stack first (npx cdktf destroy prod-payments with its deployer's credentials, at the commit before its removal): the gates stack's next apply removes its GitHub environments and deployer roles. A team's: import them where they went (npm run adopt -- <that stack>) and remove prod-payments's state. Then npm run addresses -- --write.",
    );
  });

  const terraform = terraformBinary();
  (terraform ? it : it.skip)("the old stack's removed block: Terraform forgets the object and destroys nothing", () => {
    const app = buildApp(testApp() as unknown as App, split("platform"));
    const stack = app.node.children.find((s) => s.node.id === "prod-payments") as TerraformStack;
    applyForgotten(stack, ["kubernetes_service_account_v1.workload_billing"]);
    const json = JSON.parse(Testing.synth(stack));
    expect(json.removed).toEqual([{ from: "kubernetes_service_account_v1.workload_billing", lifecycle: { destroy: false } }]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envmatrix-removed-"));
    try {
      const env = { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_CLI_CONFIG_FILE: "/dev/null" };
      const tf = (...args: string[]) => execFileSync("terraform", [`-chdir=${dir}`, ...args, "-input=false", "-no-color"], { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify({ resource: { terraform_data: { workload_billing: { input: "billing" } } } }));
      tf("init");
      tf("apply", "-auto-approve");
      const removed = json.removed.map((r: any) => ({ ...r, from: r.from.replace(/^kubernetes_service_account_v1\./, "terraform_data.") }));
      fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify({ removed }));
      const plan = tf("plan");
      expect(plan).toMatch(/terraform_data\.workload_billing will no longer be managed by Terraform, but will not be destroyed/);
      expect(plan).toMatch(/Plan: 0 to add, 0 to change, 0 to destroy/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("switching an environment to split by team", () => {
  const { loadMatrix } = require("../config");
  const { stackKind } = require("../scripts/addresses");
  const { FORGOTTEN } = require("../stacks/moved");
  const matrix = (split: boolean) => loadMatrix(require("./helpers").twoTeamsDefinition(split));
  const before = synthesizedAddresses(matrix(false), scratchDir());
  const after = synthesizedAddresses(matrix(true), scratchDir());
  const moved = before.prod.filter((a: string) => !after.prod.includes(a));

  it("fails for every address a team stack would create instead of importing (the environment's stack forgets it by itself), naming the adopt to run", () => {
    const problems: string[] = addressProblems(before, after, MOVED, stackKind(matrix(true)), FORGOTTEN, {});
    const billing = "datadog_monitor.billing_latency";
    expect(moved).toContain(billing);
    expect(problems).toContain(
      `prod: ${billing} moved to stack prod-payments, which does not import it: prod-payments would create a second one (Datadog) or fail on "already exists" (Kubernetes). npm run adopt -- prod-payments writes its import block; once applied, npm run addresses -- --write.`,
    );
    expect(problems.filter((p) => / moved to stack /.test(p)).length).toBe(moved.length * 2); // prod's and its clone hotfix's
  });

  it("the clone split with it: hotfix's addresses went to hotfix's team stacks, and prod's import blocks alone leave them unimported", () => {
    const { stackEnvironment } = require("../scripts/addresses");
    const prodOnly: Record<string, string[]> = {};
    for (const team of ["platform", "payments"]) prodOnly[`prod-${team}`] = after[`prod-${team}`];
    const problems: string[] = addressProblems(before, after, MOVED, stackKind(matrix(true)), FORGOTTEN, prodOnly, stackEnvironment(matrix(true)));
    const unimported = problems.filter((p) => / which does not import it/.test(p));
    expect(unimported.length).toBe(moved.length);
    for (const p of unimported) expect(p).toMatch(/^hotfix: \S+ moved to stack hotfix-(platform|payments), which does not import it/);
  });

  it("passes once each team stack imports what it takes over (npm run adopt's files)", () => {
    const imported: Record<string, string[]> = {};
    for (const env of ["prod", "hotfix"]) for (const team of ["platform", "payments"]) imported[`${env}-${team}`] = after[`${env}-${team}`];
    const problems: string[] = addressProblems(before, after, MOVED, stackKind(matrix(true)), FORGOTTEN, imported);
    expect(problems.filter((p) => !/ is new: /.test(p))).toEqual([]);
  });

  it("npm run addresses reads what the team stacks import from the adopt files (stacks/adopted/<stack>.json)", () => {
    const record = path.join(scratchDir(), "split-addresses.json");
    fs.writeFileSync(record, JSON.stringify(before));
    const adopted = fs.mkdtempSync(path.join(scratchDir(), "adopted-"));
    const err: string[] = [];
    const io = { matrix: () => matrix(true), file: record, adoptedDir: adopted, log: () => undefined, error: (l: string) => err.push(l) };
    expect(addressesCommand([], io)).toBe(1);
    expect(err.filter((p) => / which does not import it: /.test(p)).length).toBe(moved.length * 2);
    for (const env of ["prod", "hotfix"])
      for (const team of ["platform", "payments"]) fs.writeFileSync(path.join(adopted, `${env}-${team}.json`), JSON.stringify({ import: after[`${env}-${team}`].map((to) => ({ to, id: "an-id" })) }));
    err.length = 0;
    expect(addressesCommand([], io)).toBe(1);
    expect(err.length).toBeGreaterThan(0);
    expect(err.filter((p) => !/ is new: /.test(p))).toEqual([]);
  });
});
