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
import { ADDRESSES_FILE, addressProblems, synthesizedAddresses } from "../scripts/addresses";
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
  expect(MOVED).toEqual({ environment: {}, gates: {} });
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
