/** A pull request's stack is planned with read-only credentials only when that cannot send them elsewhere or read the runner's files. */
import { cli } from "./cli";
import * as fs from "node:fs";
import * as path from "node:path";
import { vetStackForPlan } from "../review/vet-plan-input";
import { readOutput } from "../review/synth-output";
import { code } from "../review/markdown";
import { seedMatrix, synthEnvironment } from "./helpers";
import { scratchDir } from "./scratch";
import { run as synthesize } from "../main";
import { plannedInputs, terraformBinary } from "./fixtures/real-plan";
import { matrix as seedDefinition } from "../config/environments";

const trusted = synthEnvironment("staging").parsed as Record<string, any>;
const edited = (edit: (j: any) => void) => {
  const j = structuredClone(trusted);
  edit(j);
  return j;
};

describe("vetting a pull request's stack before a plan", () => {
  it("says each problem on one line, whatever the pull request's keys hold: the review fences them in its comment, and a key's line break and ``` would close the fence (hiding the diffs below in an HTML comment)", () => {
    const key = "x\n```\n\n<!--\n";
    const problems = vetStackForPlan("staging", edited((j) => (j.resource.kubernetes_config_map_v1.profile.data[key] = "${1}")), trusted);
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) {
      expect(p).not.toMatch(/[\n\r\u2028\u2029]/);
      expect(p.startsWith("staging: ")).toBe(true);
    }
    expect(problems.join("\n")).toContain("x\\n```\\n\\n<!--\\n");
  });

  it("lets the default branch's own stack, and one with changed resources, be planned", () => {
    // the stack adopts its namespace (constructs/adopt.ts): the default branch's own import block is planned
    expect(trusted.import).toEqual([expect.objectContaining({ id: seedMatrix.environments.staging.identity.namespace })]);
    expect(vetStackForPlan("staging", trusted, trusted)).toEqual([]);
    expect(vetStackForPlan("staging", edited((j) => (j.resource.kubernetes_config_map_v1.profile.data.LOG_LEVEL = "debug")), trusted)).toEqual([]);
  });
  it("plans a stack with moved and removed blocks (a rename, an environment split by team): they read nothing", () => {
    const withBlocks = edited((j) => {
      j.moved = [{ from: "kubernetes_config_map_v1.old", to: "kubernetes_config_map_v1.profile" }];
      j.removed = [{ from: "kubernetes_service_account_v1.workload_api", lifecycle: { destroy: false } }];
    });
    expect(vetStackForPlan("staging", withBlocks, trusted)).toEqual([]);
    expect(vetStackForPlan("staging", edited((j) => (j.check = { x: {} })), trusted)).toEqual(['staging: "check" blocks are not planned from a pull request']);
  });
  it("compares settings as data: the same provider settings and import blocks in another key order are the same", () => {
    const reordered = edited((j) => {
      j.provider.vault = j.provider.vault.map((p: Record<string, unknown>) => Object.fromEntries(Object.entries(p).reverse()));
      j.import = j.import.map((i: Record<string, unknown>) => Object.fromEntries(Object.entries(i).reverse()));
    });
    expect(Object.keys(reordered.provider.vault[0])).not.toEqual(Object.keys(trusted.provider.vault[0]));
    expect(vetStackForPlan("staging", reordered, trusted)).toEqual([]);
  });
  it.each<[string, (j: any) => void, RegExp]>([
    ["Vault address pointed at another server (the plan token would go there)", (j) => (j.provider.vault[0].address = "https://vault.attacker.example"), /provider settings differ/],
    ["another kube context", (j) => (j.provider.kubernetes[0].config_context = "prod"), /provider settings differ/],
    ["an extra provider that runs programs", (j) => (j.terraform.required_providers.external = { source: "hashicorp/external" }), /backend or required providers differ/],
    ["another backend", (j) => (j.terraform.backend = { s3: { bucket: "x" } }), /backend or required providers differ/],
    ["a data source that runs a program", (j) => (j.data = { external: { x: { program: ["sh", "-c", "env"] } } }), /data source external is not one envmatrix reads/],
    ["a data source that reads a secret", (j) => (j.data = { vault_generic_secret: { x: { path: "secret/prod/api" } } }), /data source vault_generic_secret/],
    ["a resource type envmatrix does not write", (j) => (j.resource.null_resource = { x: {} }), /resource type null_resource/],
    ["a provisioner", (j) => (j.resource.kubernetes_config_map_v1.profile.provisioner = [{ "local-exec": { command: "env" } }]), /has a provisioner/],
    ["an expression reading the runner's kubeconfig", (j) => (j.resource.kubernetes_config_map_v1.profile.data.X = '${file("/home/runner/work/_temp/kubeconfig")}'), /holds an expression envmatrix does not write/],
    ["a check block", (j) => (j.check = { x: {} }), /"check" blocks are not planned/],
    // an import reads the named object into the plan output: another namespace's, or a Vault policy it may read
    ["an import block the default branch does not have", (j) => j.import.push({ to: "kubernetes_config_map_v1.profile", id: "kube-system/coredns" }), /import blocks differ/],
    ["the default branch's import block pointed at another object", (j) => (j.import[0].id = "kube-system"), /import blocks differ/],
  ])("refuses %s", (_what, edit, rule) => {
    const problems = vetStackForPlan("staging", edited(edit), trusted);
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(rule)]));
    expect(problems.every((p) => p.startsWith("staging: "))).toBe(true);
  });
  it("refuses names that could break out of a markdown table or a shell word", () => {
    const dir = path.join(scratchDir(), "names");
    fs.mkdirSync(path.join(dir, "stacks", "staging"), { recursive: true });
    const bad = edited((j) => (j.resource.kubernetes_config_map_v1["x`</details><!--"] = {}));
    fs.writeFileSync(path.join(dir, "stacks", "staging", "cdk.tf.json"), JSON.stringify(bad));
    fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify({ stacks: { staging: { synthesizedStackPath: "stacks/staging/cdk.tf.json" } } }));
    expect(() => readOutput(dir)).toThrow(/is not a Terraform identifier/);
    expect(code("a`b|c\n</details><!--")).toBe("`a'b\\|c &lt;/details&gt;&lt;!--`");
  });

  it("plans what envmatrix itself writes: cdktf's metadata block, reviewer lookups by team and user, null values, no import blocks on either side", () => {
    const lookups = edited((j) => {
      j["//"] = { metadata: { backend: "s3", stackName: "staging", version: "0.21.0" } };
      j.data = { github_team: { reviewers: { slug: "platform-leads" } }, github_user: { approver: { username: "octocat" } } };
      j.resource.kubernetes_config_map_v1.profile.data.UNSET = null;
      delete j.import;
    });
    const trustedWithNull = edited((j) => {
      j.resource.kubernetes_config_map_v1.profile.data.UNSET = null;
      delete j.import;
    });
    expect(vetStackForPlan("staging", lookups, trustedWithNull)).toEqual([]);
    // no import blocks: the key left out or an empty list, on either side
    const withoutImports = edited((j) => delete j.import);
    const emptyImports = edited((j) => (j.import = []));
    expect([vetStackForPlan("staging", withoutImports, emptyImports), vetStackForPlan("staging", emptyImports, withoutImports)]).toEqual([[], []]);
    // settings compare as data, nulls included
    const nullSetting = edited((j) => (j.provider.kubernetes[0].config_path = null));
    expect(vetStackForPlan("staging", nullSetting, nullSetting)).toEqual([]);
  });

  it("each Terraform function that reads the runner's files, with or without a space before its parenthesis (developer.hashicorp.com/terraform/language/functions)", () => {
    const readers = ["file", "filebase64", "filebase64sha256", "filebase64sha512", "filemd5", "filesha1", "filesha256", "filesha512", "fileexists", "fileset", "templatefile", "pathexpand", "abspath"];
    for (const f of readers) {
      for (const call of [`\${${f}("/home/runner/.kube/config")}`, `\${${f} ("/home/runner/.kube/config")}`]) {
        const problems = vetStackForPlan("staging", edited((j) => (j.resource.kubernetes_config_map_v1.profile.data.X = call)), trusted);
        expect([call, problems.length]).toEqual([call, 1]);
      }
    }
  });

  // Terraform's JSON syntax evaluates every string as a template, object keys included, and its expressions take
  // comments anywhere (developer.hashicorp.com/terraform/language/syntax/json: "Expression Mapping"): a list of
  // forbidden functions can always be got round, so only the forms envmatrix writes pass
  it.each<[string, (j: any) => void]>([
    ["a comment between a function and its parenthesis", (j) => (j.resource.kubernetes_config_map_v1.profile.data.X = '${file/**/("/proc/self/environ")}')],
    ["a template in an object key (for_each over the runner's environment)", (j) => (j.resource.kubernetes_config_map_v1.profile.for_each = { '${file("/proc/self/environ")}-key': "v" })],
    ["a template in a data key", (j) => (j.resource.kubernetes_config_map_v1.profile.data['${jsonencode(data.github_team.x)}'] = "v")],
    ["a template directive", (j) => (j.resource.kubernetes_config_map_v1.profile.data.X = '%{ if fileexists("/home/runner/.kube/config") }yes%{ endif }')],
    ["a reference inside text", (j) => (j.resource.kubernetes_config_map_v1.profile.data.X = 'id: ${kubernetes_namespace_v1.namespace.id}')],
    ["a function envmatrix does not write around a reference", (j) => (j.resource.kubernetes_config_map_v1.profile.data.X = "${upper(kubernetes_namespace_v1.namespace.id)}")],
    ["a template inside a set's string", (j) => (j.resource.kubernetes_config_map_v1.profile.for_each = '${toset(["a${file(\\"/x\\")}"])}')],
    ["an escape inside a set's string", (j) => (j.resource.kubernetes_config_map_v1.profile.for_each = '${toset(["a\\u0024{x}"])}')],
    ["the reviewer ids' for over another data source", (j) => (j.resource.kubernetes_config_map_v1.profile.for_each = "${[ for key, val in data.external.x: tonumber(val.id)]}")],
    ["an expression in a moved block", (j) => (j.moved = [{ from: "kubernetes_config_map_v1.old", to: '${file("/x")}' }])],
    ["a reference to the runner's path", (j) => (j.resource.kubernetes_config_map_v1.profile.data.X = "${path.cwd}")],
  ])("refuses an expression envmatrix does not write: %s", (_what, edit) => {
    const problems = vetStackForPlan("staging", edited(edit), trusted);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^staging: \S+.* holds an expression envmatrix does not write \(".*"\)$/);
  });

  const terraform = terraformBinary();
  if (!terraform) console.warn("vet-plan-input.test: no terraform binary on PATH: the test of what Terraform itself makes of such a file is skipped");
  (terraform ? it : it.skip)("what Terraform itself does with such a file (offline, terraform_data): merges a repeated key, evaluates a key as a template and a function call with a comment inside", () => {
    const marker = path.join(scratchDir(), "runner-file.txt");
    fs.writeFileSync(marker, "read from the runner");
    const text = `{"resource":{"terraform_data":{"hidden":{"input":"first block"}}},"resource":{"terraform_data":{"visible":{"for_each":{"\${upper(\\"key\\")}":"v"},"input":"\${file/**/(\\"${marker}\\")}"}}}}`;
    expect(plannedInputs(text)).toEqual({ "terraform_data.hidden": "first block", 'terraform_data.visible["KEY"]': "read from the runner" });
    // what the vetting sees of the same file: the last "resource" key, whose key template and file call it refuses
    const parsed = JSON.parse(text);
    expect(Object.keys(parsed.resource.terraform_data)).toEqual(["visible"]);
    const problems = vetStackForPlan("staging", { ...trusted, resource: { ...trusted.resource, kubernetes_config_map_v1: { x: parsed.resource.terraform_data.visible } } }, trusted);
    expect(problems).toEqual([
      expect.stringContaining('for_each.${upper(\"key\")} (a key) holds an expression envmatrix does not write'),
      expect.stringContaining(".input holds an expression envmatrix does not write"),
    ]);
  });

  it("every expression every stack of the seed writes may be planned: references, each, a set of literal strings, the reviewer ids", () => {
    const out = path.join(scratchDir(), "every-stack");
    expect(synthesize(seedDefinition, out)).toBe(0);
    const stacks = readOutput(out);
    const expressions = new Set<string>();
    for (const [name, s] of stacks) {
      expect({ name, problems: vetStackForPlan(name, s.json, s.json) }).toEqual({ name, problems: [] });
      for (const m of JSON.stringify(s.json).matchAll(/\$\{(toset|\[ for|each\.|[a-z_]+\.)/g)) expressions.add(m[1]);
    }
    // each form is met in the seed's output, so the test covers each
    expect([...expressions].sort()).toEqual(expect.arrayContaining(["[ for", "each.", "toset"]));
    expect([...expressions].some((e) => /^[a-z_]+\.$/.test(e) && e !== "each.")).toBe(true);
  });

  it("names where an expression is, also inside a list, and shows at most 80 characters of it", () => {
    const expression = '${file("/home/runner/work/_temp/kubeconfig-of-the-deploy-job-with-a-long-name-and-more-words")}';
    const inList = edited((j) => (j.resource.kubernetes_config_map_v1.profile.metadata.finalizers = ["kept", expression]));
    expect(vetStackForPlan("staging", inList, trusted)).toEqual([
      `staging: resource.kubernetes_config_map_v1.profile.metadata.finalizers[1] holds an expression envmatrix does not write (${JSON.stringify(expression.slice(0, 80))})`,
    ]);
    expect(expression.length).toBeGreaterThan(80);
  });

  it("--write writes the stack as vetted: a key the file repeats (JSON.parse keeps the last, Terraform merges all) is not carried over", async () => {
    const dir = path.join(scratchDir(), "repeated");
    fs.mkdirSync(path.join(dir, "stacks", "staging"), { recursive: true });
    // a first "resource" key with a block the vetting would refuse, then the stack as the default branch makes it
    const text = `{"resource":{"terraform_data":{"hidden":{"input":"\${file(\\"/proc/self/environ\\")}"}}},${JSON.stringify(trusted).slice(1)}`;
    expect(JSON.parse(text)).toEqual(trusted);
    fs.writeFileSync(path.join(dir, "stacks", "staging", "cdk.tf.json"), text);
    fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify({ stacks: { staging: { synthesizedStackPath: "stacks/staging/cdk.tf.json" } } }));
    const good = path.join(scratchDir(), "repeated-trusted");
    fs.mkdirSync(path.join(good, "stacks", "staging"), { recursive: true });
    fs.writeFileSync(path.join(good, "stacks", "staging", "cdk.tf.json"), JSON.stringify(trusted));
    fs.writeFileSync(path.join(good, "manifest.json"), JSON.stringify({ stacks: { staging: { synthesizedStackPath: "stacks/staging/cdk.tf.json" } } }));
    const target = path.join(scratchDir(), "repeated-plan.tf.json");
    const r = await cli(["vet-plan-input", dir, good, "staging", "--write", target]);
    expect([r.code, r.stdout.trim()]).toEqual([0, "staging: may be planned"]);
    const written = fs.readFileSync(target, "utf8");
    expect(written).not.toContain("hidden");
    expect(JSON.parse(written)).toEqual(trusted);
    // a file already there is not overwritten; --write takes one stack
    const again = await cli(["vet-plan-input", dir, good, "staging", "--write", target]);
    expect([again.code, again.stderr]).toEqual([1, expect.stringContaining(`--write ${target}: already exists (it writes a new file only)`)]);
    const two = await cli(["vet-plan-input", dir, good, "staging", "dev", "--write", path.join(scratchDir(), "two.tf.json")]);
    expect([two.code, two.stderr]).toEqual([1, expect.stringContaining("--write takes one stack, not 2")]);
    // nothing is written for a stack that may not be planned
    const refusedTarget = path.join(scratchDir(), "refused.tf.json");
    fs.writeFileSync(path.join(dir, "stacks", "staging", "cdk.tf.json"), JSON.stringify(edited((j) => (j.resource.null_resource = { x: {} }))));
    expect((await cli(["vet-plan-input", dir, good, "staging", "--write", refusedTarget])).code).toBe(5);
    expect(fs.existsSync(refusedTarget)).toBe(false);
  });

  it("a connection block is a provisioner's; a body that is not one object is refused (Terraform's JSON also takes a list of bodies, where a provisioner would hide), and no crash", () => {
    const connection = edited((j) => (j.resource.kubernetes_config_map_v1.profile.connection = { type: "ssh", host: "example.org" }));
    expect(vetStackForPlan("staging", connection, trusted)).toEqual(["staging: kubernetes_config_map_v1.profile has a provisioner"]);
    const listed = edited((j) => (j.resource.kubernetes_config_map_v1.profile = [{ ...j.resource.kubernetes_config_map_v1.profile, provisioner: [{ "local-exec": { command: "env" } }] }]));
    expect(vetStackForPlan("staging", listed, trusted)).toEqual(["staging: kubernetes_config_map_v1.profile is not one object (envmatrix writes each block as one)"]);
    for (const body of [null, "text"]) {
      expect(vetStackForPlan("staging", edited((j) => (j.resource.kubernetes_config_map_v1.other = body)), trusted)).toEqual(["staging: kubernetes_config_map_v1.other is not one object (envmatrix writes each block as one)"]);
    }
    // one level up, a list of name maps, and the blocks themselves as a list: each refused where it is
    const typeListed = edited((j) => (j.resource.kubernetes_config_map_v1 = [{ profile: { ...j.resource.kubernetes_config_map_v1.profile, provisioner: [{ "local-exec": { command: "env" } }] } }]));
    expect(vetStackForPlan("staging", typeListed, trusted)).toEqual(expect.arrayContaining(["staging: resource.kubernetes_config_map_v1 is not one object (envmatrix writes each block as one)"]));
    const blocksListed = edited((j) => (j.resource = [j.resource]));
    expect(vetStackForPlan("staging", blocksListed, trusted)).toEqual(expect.arrayContaining(['staging: "resource" is not one object (envmatrix writes each block as one)']));
    const dataListed = edited((j) => (j.data = { github_team: { x: [{ slug: "a" }] } }));
    expect(vetStackForPlan("staging", dataListed, trusted)).toEqual(["staging: data.github_team.x is not one object (envmatrix writes each block as one)"]);
  });

  it("refuses a stack the default branch does not have", () => {
    expect(vetStackForPlan("qa", trusted, undefined)).toEqual(["qa: is a new stack (planned after merge, once its credentials exist)"]);
  });

  it("the CLI exits 5 with the reasons, and refuses a manifest that points anywhere but stacks/<name>/cdk.tf.json", async () => {
    const make = (name: string, json: object, stackPath = "stacks/staging/cdk.tf.json") => {
      const dir = path.join(scratchDir(), name);
      fs.mkdirSync(path.join(dir, "stacks", "staging"), { recursive: true });
      fs.writeFileSync(path.join(dir, "stacks", "staging", "cdk.tf.json"), JSON.stringify(json));
      fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify({ stacks: { staging: { synthesizedStackPath: stackPath } } }));
      return dir;
    };
    const run = (...args: string[]) => cli(["vet-plan-input", ...args]);
    const good = make("trusted", trusted);
    const bad = make("head", edited((j) => (j.provider.vault[0].address = "https://vault.attacker.example")));
    expect((await run(good, good, "staging")).code).toBe(0);
    // a stack the default branch's output does not have: new, planned after merge (not a crash)
    const empty = path.join(scratchDir(), "trusted-without-staging");
    fs.mkdirSync(empty, { recursive: true });
    fs.writeFileSync(path.join(empty, "manifest.json"), JSON.stringify({ stacks: {} }));
    const fresh = await run(good, empty, "staging");
    expect([fresh.code, fresh.stderr]).toEqual([5, expect.stringContaining("staging: is a new stack (planned after merge, once its credentials exist)")]);
    const r = await run(bad, good, "staging");
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("staging: provider settings differ");
    for (const [dir, where] of [
      ["escape", "../../../../etc/hostname"],
      // a decoy: the vetted file would not be the one Terraform loads from stacks/staging/
      ["decoy", "stacks/decoy/cdk.tf.json"],
    ]) {
      const e = await run(make(dir, trusted, where), good, "staging");
      expect(e.code).toBe(1);
      expect(e.stderr).toContain(`stack staging is at "${where}", not stacks/staging/cdk.tf.json`);
    }
  });
});

it("says in its help which output is untrusted and which is the default branch's", async () => {
  const r = await cli(["vet-plan-input", "--help"]);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/head\s+the pull request's cdktf\.out \(untrusted\)/);
  expect(r.stdout).toMatch(/trusted\s+the default branch's cdktf\.out, synthesized by its own code/);
});

