/**
 * The workflows' wiring, executed: every `npm run --silent <command> -- <args>` in .github/workflows is run
 * in-process with exactly those arguments (shell variables bound to fixture outputs), and what the next step of
 * the workflow relies on is asserted: the drift job's matrix holds every stack, a pull request's protected stack
 * is flagged when it deletes or replaces, a closed window stops a deploy.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { run as synthesize } from "../main";
import { matrix as definition } from "../config/environments";
import { cli } from "./cli";
import { buildProgram } from "../scripts/cli";
import { seedMatrix } from "./helpers";
import { resolveMatrix } from "../config/validate";
import { scratchDir } from "./scratch";
import { changedStacks } from "../review/changed-stacks";
import { argv, invocations, type Invocation } from "./workflow-invocations";

const root = path.resolve(__dirname, "..");
// fixtures: the seed's synth as the base and the default branch's output; a head whose prod renames its Vault
// read policy (a replacement) and whose hotfix points its Vault provider elsewhere (never planned from a pull
// request); the pull request's matrix as exported; a real plan's JSON
const tmp = scratchDir();
const runnerTemp = path.join(tmp, "runner");
const workspace = path.join(tmp, "workspace");
beforeAll(() => {
  for (const dir of [path.join(runnerTemp, "base", "cdktf.out"), path.join(workspace, "cdktf.out")]) {
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    expect(synthesize(definition, dir)).toBe(0);
  }
  fs.cpSync(path.join(runnerTemp, "base"), path.join(runnerTemp, "head"), { recursive: true });
  const prodFile = path.join(runnerTemp, "head", "cdktf.out", "stacks", "prod", "cdk.tf.json");
  const prod = JSON.parse(fs.readFileSync(prodFile, "utf8"));
  prod.resource.vault_policy.policy.name += "-renamed";
  fs.writeFileSync(prodFile, JSON.stringify(prod, null, 2));
  const hotfixFile = path.join(runnerTemp, "head", "cdktf.out", "stacks", "hotfix", "cdk.tf.json");
  const hotfix = JSON.parse(fs.readFileSync(hotfixFile, "utf8"));
  hotfix.provider.vault[0].address = "https://vault.attacker.example";
  fs.writeFileSync(hotfixFile, JSON.stringify(hotfix, null, 2));
  fs.writeFileSync(path.join(runnerTemp, "head", "matrix.json"), JSON.stringify(definition, null, 2));
  fs.copyFileSync(path.join(__dirname, "fixtures", "plan.json"), path.join(runnerTemp, "plan.json"));
}, 120_000);

const all = invocations();
const of = (workflow: string, script: string) => {
  const found = all.filter((i) => i.workflow === workflow && i.script === script);
  if (found.length === 0) throw new Error(`${workflow} no longer runs npm run ${script}`);
  return found;
};
/** A workflow's relative `cdktf.out` is the job's checkout (the default branch's synth). */
const inWorkspace = (args: string[]) => args.map((a) => (a === "cdktf.out" ? path.join(workspace, "cdktf.out") : a));
const run = (inv: Invocation, vars: Record<string, string | readonly string[]>) => cli(inWorkspace(argv(inv, { RUNNER_TEMP: runnerTemp, ...vars })));
const stacks = [...Object.keys(definition.environments), "gates"];

describe("the workflows' commands, run as the workflows run them", () => {
  it("every CLI command a workflow runs is exercised here or by a fake-backed test", () => {
    const here = ["resolve-environment", "changed-stacks", "diff", "vet-plan-input", "reviewed-branch", "check-matrix", "synth-matrix", "compare", "compare-pairs", "review-checks", "matrix-data", "matrix", "plan-summary", "drift-verdict", "approval-checklist", "cost", "branch-request"];
    // these talk to GitHub or Datadog: their tests run the workflow's invocation against fakes on 127.0.0.1
    const withFakes: Record<string, string> = { provenance: "provenance.test.ts", "stacks-to-plan": "provenance.test.ts", "record-apply": "provenance.test.ts", "last-applied": "provenance.test.ts", admissions: "provenance.test.ts", "bypass-lists": "provenance.test.ts", "vault-roles": "vault-roles.test.ts", "cluster-fields": "cluster-fields.test.ts", gate: "gate.test.ts", "report-deployment": "deployment-report.test.ts" };
    expect([...new Set(all.map((i) => i.script))].sort()).toEqual([...here, ...Object.keys(withFakes)].sort());
    for (const [script, file] of Object.entries(withFakes)) expect(fs.readFileSync(path.join(__dirname, file), "utf8")).toContain(`"${script}"`);
  });

  describe("branches.yml: the branch app's request, checked against the matrix, at the default branch's head", () => {
    // a repository of its own, checked out at main's head as the dispatched job's is (main: c1 → c2; feature/x one
    // commit beyond c1); the command runs git in the job's working directory
    const repo = path.join(tmp, "branches-repo");
    const git = (...args: string[]) => require("node:child_process").execFileSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd: repo, encoding: "utf8" }).trim();
    let head: string;
    beforeAll(() => {
      fs.mkdirSync(repo, { recursive: true });
      git("init", "-q", "-b", "main");
      git("commit", "-q", "--allow-empty", "-m", "one");
      git("checkout", "-q", "-b", "feature/x");
      git("commit", "-q", "--allow-empty", "-m", "unreviewed");
      git("checkout", "-q", "main");
      git("commit", "-q", "--allow-empty", "-m", "two");
      head = git("rev-parse", "HEAD");
    });
    const request = async (vars: Record<string, string>, cwd = repo) => {
      const [inv] = of("branches.yml", "branch-request");
      const was = process.cwd();
      process.chdir(cwd);
      try {
        return await run(inv, { ENVIRONMENT: "hotfix", ACTION: "create", ...vars });
      } finally {
        process.chdir(was);
      }
    };
    const hotfix = seedMatrix.environments.hotfix.identity;

    it("creates at the checkout's head (the default branch's, the only ref the job runs on): the -branches environment, the ref and the commit as $GITHUB_OUTPUT lines; a deletion names no commit", async () => {
      const r = await request({ BRANCH: "hotfix/login-timeout" });
      expect([r.code, r.stderr]).toEqual([0, ""]);
      expect(r.stdout).toBe(`github-environment=${hotfix.githubEnvironment}-branches\nref=refs/heads/hotfix/login-timeout\nsha=${head}\n`);
      expect((await request({ BRANCH: "hotfix/older", ACTION: "delete" })).stdout).toBe(`github-environment=${hotfix.githubEnvironment}-branches\nref=refs/heads/hotfix/older\n`);
      // the workflow takes no commit to start at: a merge or rebase leaves unreviewed intermediate commits in main's history
      expect(fs.readFileSync(path.join(root, ".github", "workflows", "branches.yml"), "utf8")).not.toMatch(/inputs\.commit|--commit/);
    });

    it.each([
      ["a branch outside the environment's pattern", () => ({ BRANCH: "feature/y" }), new RegExp(`feature/y is not a branch of hotfix \\(${hotfix.protectedBranch!.replace("*", "\\*")}\\)`)],
      ["an environment whose branches no team creates", () => ({ ENVIRONMENT: "prod", BRANCH: "main" }), /prod names no branch creators/],
      ["a name git does not take", () => ({ BRANCH: "hotfix/a..b" }), /hotfix\/a\.\.b is not a branch name git takes/],
      ["an unknown action", () => ({ BRANCH: "hotfix/x", ACTION: "rename" }), /rename|action/],
    ])("refuses %s: no output for the next job", async (_what, vars, says) => {
      const r = await request(vars());
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(says);
      expect(r.stdout).toBe("");
    });

    it("refuses to create where the checkout has no commit to start at (not a git checkout): exit 9", async () => {
      const bare = path.join(tmp, "not-a-checkout");
      fs.mkdirSync(bare, { recursive: true });
      const r = await request({ BRANCH: "hotfix/x" }, bare);
      expect([r.code, r.stdout]).toEqual([9, ""]);
      expect(r.stderr).toMatch(/HEAD is not fetched/);
    });
  });

  it("pull-request-review.yml: the comment's cost change, the pull request's matrix against the default branch's", async () => {
    const [inv] = of("pull-request-review.yml", "cost");
    const head = structuredClone(definition) as any;
    head.environments.prod.replicas.max += 2;
    fs.writeFileSync(path.join(runnerTemp, "cost-head.json"), JSON.stringify(head));
    fs.writeFileSync(path.join(runnerTemp, "base", "matrix.json"), JSON.stringify(definition));
    const words = argv(inv, { RUNNER_TEMP: runnerTemp }).map((w) => w.replace(path.join(runnerTemp, "head", "matrix.json"), path.join(runnerTemp, "cost-head.json")));
    const r = await cli(words);
    expect(r.code).toBe(0);
    // 2 more pods at prod's pod size (config/cost.ts; cost.test.ts works the numbers out)
    expect(r.stdout).toMatch(/^- prod: \+\$[0-9.,]+\/month at max replicas \(\$1,450\.60 → \$[0-9.,]+, budget \$2,000\), \$0 at default replicas$/m);
    expect(r.stdout).not.toMatch(/^- (dev|staging):/m);
  });

  it("drift.yml: the job matrix holds every stack of the matrix, the gates first", async () => {
    for (const inv of of("drift.yml", "resolve-environment")) {
      const r = await run(inv, {});
      expect(r.code).toBe(0);
      const include: { environment: string }[] = JSON.parse(r.stdout).include;
      expect(include.map((t) => t.environment).sort()).toEqual([...stacks].sort());
      expect(include[0].environment).toBe("gates");
    }
  });

  it("pull-request-review.yml: the pull request's matrix, synthesized by this checkout's code, is its output byte for byte where that code made it; every stack made otherwise is named", async () => {
    const [synth] = of("pull-request-review.yml", "synth-matrix");
    const [compared] = of("pull-request-review.yml", "changed-stacks").filter((i) => i.words.includes("$RUNNER_TEMP/trusted-head"));
    // a head made by this very code from the matrix (and no adopt files, as the pull request's artifact has none)
    const runner = fs.mkdtempSync(path.join(tmp, "trusted-"));
    fs.mkdirSync(path.join(runner, "head"));
    fs.writeFileSync(path.join(runner, "head", "matrix.json"), JSON.stringify(definition, null, 2));
    expect(synthesize(definition, path.join(runner, "head", "cdktf.out"), path.join(runner, "head", "adopted"))).toBe(0);
    const made = await cli(argv(synth, { RUNNER_TEMP: runner }));
    expect([made.code, made.stderr]).toEqual([0, ""]);
    const same = await cli(argv(compared, { RUNNER_TEMP: runner }));
    expect([same.code, JSON.parse(same.stdout)]).toEqual([0, []]);
    // the fixture head: prod and hotfix edited after synthesis (as a test or a config module of the pull request's
    // could, before its output is uploaded): both named, nothing else
    fs.rmSync(path.join(runnerTemp, "trusted-head"), { recursive: true, force: true });
    expect((await run(synth, {})).code).toBe(0);
    const differ = await run(compared, {});
    expect(JSON.parse(differ.stdout)).toEqual(["hotfix", "prod"]);
    fs.rmSync(path.join(runnerTemp, "trusted-head"), { recursive: true, force: true });
    // the pull request's adopt files (data) are synthesized with it: without them its stack would differ
    fs.mkdirSync(path.join(runner, "head", "adopted"));
    fs.writeFileSync(path.join(runner, "head", "adopted", "staging.json"), JSON.stringify({ import: [{ to: "kubernetes_config_map_v1.profile", id: "envmatrix-staging/environment-profile" }] }));
    fs.rmSync(path.join(runner, "head", "cdktf.out"), { recursive: true });
    fs.rmSync(path.join(runner, "trusted-head"), { recursive: true });
    expect(synthesize(definition, path.join(runner, "head", "cdktf.out"), path.join(runner, "head", "adopted"))).toBe(0);
    expect((await cli(argv(synth, { RUNNER_TEMP: runner }))).code).toBe(0);
    expect(JSON.parse((await cli(argv(compared, { RUNNER_TEMP: runner }))).stdout)).toEqual([]);
    const withoutAdopted = argv(synth, { RUNNER_TEMP: runner }).slice(0, 3).map((w) => w.replace("trusted-head", "without-adopted"));
    expect((await cli(withoutAdopted)).code).toBe(0);
    expect(changedStacks(path.join(runner, "without-adopted"), path.join(runner, "head", "cdktf.out"))).toEqual(["staging"]);
    // a matrix the checkout's rules refuse is synthesized nowhere (exit 1, nothing written)
    const bad = structuredClone(definition) as any;
    bad.environments.prod.replicas.min = -1;
    fs.writeFileSync(path.join(runner, "bad.json"), JSON.stringify(bad));
    const refused = await cli(["synth-matrix", path.join(runner, "bad.json"), path.join(runner, "nowhere")]);
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringContaining(`${path.join(runner, "bad.json")}: 1 problem`)]);
    expect(refused.stderr).toContain("environments.prod.replicas.min: -1 is out of range");
    expect(fs.existsSync(path.join(runner, "nowhere"))).toBe(false);
  });

  it("drift.yml: drift-verdict takes a ruleset update that only writes its bypass list again (GitHub shows the list to writers only: the read-only planner reads none) for no drift, and anything else for drift (exit 2)", async () => {
    const [inv] = of("drift.yml", "drift-verdict");
    // terraform show -json's resource_changes (developer.hashicorp.com/terraform/internals/json-format)
    const ruleset = (before: object, after: object, actions = ["update"]) => ({ address: "github_repository_ruleset.staging_branch_ruleset", type: "github_repository_ruleset", change: { actions, before, after } });
    const base = { name: "envmatrix: develop", enforcement: "active", rules: [{ pull_request: [{ required_approving_review_count: 1 }] }] };
    const bypass = [{ actor_id: 5, actor_type: "RepositoryRole", bypass_mode: "always" }];
    const own = fs.mkdtempSync(path.join(tmp, "drift-verdict-"));
    const verdict = async (changes: object[]) => {
      fs.writeFileSync(path.join(own, "plan.json"), JSON.stringify({ format_version: "1.2", resource_changes: changes }));
      return run(inv, { RUNNER_TEMP: own, APPLIED: "true" });
    };
    const unseen = await verdict([ruleset({ ...base, bypass_actors: [] }, { ...base, bypass_actors: bypass }), { address: "data.github_team.x", type: "github_team", change: { actions: ["read"], before: null, after: {} } }]);
    expect([unseen.code, unseen.stdout]).toEqual([0, "github_repository_ruleset.staging_branch_ruleset: only its bypass list, which GitHub shows the read-only planner as none: not drift\n"]);
    // the list and another setting: drift
    const more = await verdict([ruleset({ ...base, bypass_actors: [] }, { ...base, enforcement: "disabled", bypass_actors: bypass })]);
    expect([more.code, more.stdout]).toEqual([2, "github_repository_ruleset.staging_branch_ruleset: drifted\n"]);
    // a list the planner did see, changed: drift
    expect((await verdict([ruleset({ ...base, bypass_actors: [{ ...bypass[0], actor_id: 2 }] }, { ...base, bypass_actors: bypass })])).code).toBe(2);
    // a ruleset replaced, another resource updated: drift
    expect((await verdict([ruleset({ ...base, bypass_actors: [] }, { ...base, bypass_actors: bypass }, ["delete", "create"])])).code).toBe(2);
    const other = await verdict([{ address: "vault_policy.read", type: "vault_policy", change: { actions: ["update"], before: { policy: "a" }, after: { policy: "b" } } }]);
    expect([other.code, other.stdout]).toEqual([2, "vault_policy.read: drifted\n"]);
    // another attribute unknown until apply (left out of `after`, flagged in after_unknown): drift
    const unknown = { address: "github_repository_ruleset.staging_branch_ruleset", type: "github_repository_ruleset", change: { actions: ["update"], before: { ...base, etag: null, bypass_actors: [] }, after: { ...base, bypass_actors: bypass }, after_unknown: { etag: true } } };
    expect((await verdict([unknown])).code).toBe(2);
    // an import or a move without another change (a namespace made again by hand, imported): drift
    const importing = { address: "kubernetes_namespace_v1.namespace", type: "kubernetes_namespace_v1", change: { actions: ["no-op"], before: {}, after: {}, importing: { id: "envmatrix-staging" } } };
    expect((await verdict([importing])).code).toBe(2);
    expect((await verdict([{ ...importing, change: { actions: ["no-op"], before: {}, after: {} }, previous_address: "kubernetes_namespace_v1.old" }])).code).toBe(2);
    // an output that changes: drift
    const outputs = await verdict([]).then(async () => {
      fs.writeFileSync(path.join(own, "plan.json"), JSON.stringify({ format_version: "1.2", resource_changes: [], output_changes: { x: { actions: ["update"] } } }));
      return run(inv, { RUNNER_TEMP: own, APPLIED: "true" });
    });
    expect([outputs.code, outputs.stdout]).toEqual([2, "output.x: drifted\n"]);
  });

  it("drift.yml: drift-verdict takes the plan of a stack whose state holds no resource (never deployed: a new environment, hotfix before its first hotfix) for its first deploy, not drift; a state with one resource changed is drift", async () => {
    const [inv] = of("drift.yml", "drift-verdict");
    const own = fs.mkdtempSync(path.join(tmp, "drift-first-"));
    const verdict = async (plan: object, applied = "false") => {
      fs.writeFileSync(path.join(own, "plan.json"), JSON.stringify(plan));
      return run(inv, { RUNNER_TEMP: own, APPLIED: applied });
    };
    const notDeployed = "not deployed yet: its state holds no resource and no apply of it is on record, so nothing can have drifted (the plan is its first deploy)\n";
    // Terraform's JSON format: prior_state.values.root_module.resources, `mode` managed or data
    const create = { address: "vault_policy.read", type: "vault_policy", change: { actions: ["create"], before: null, after: { policy: "a" } } };
    const empty = await verdict({ format_version: "1.2", prior_state: { values: { root_module: {} } }, resource_changes: [create] });
    expect([empty.code, empty.stdout]).toEqual([0, notDeployed]);
    // the same empty state where an apply is on record (last-applied found one): the state was lost, which is drift
    const lost = await verdict({ format_version: "1.2", prior_state: { values: { root_module: {} } }, resource_changes: [create] }, "true");
    expect([lost.code, lost.stdout]).toEqual([2, "its state holds no resource, though an apply of it is on record: the state was lost or emptied, and every object that apply made is managed by nothing (restore the state, or import them: npm run adopt)\n"]);
    // data sources read during the plan are no deployment
    const dataOnly = { values: { root_module: { resources: [{ address: "data.github_team.t", mode: "data" }] } } };
    expect((await verdict({ format_version: "1.2", prior_state: dataOnly, resource_changes: [create] })).stdout).toBe(notDeployed);
    // one managed resource in the state, in a child module too: the plan's changes are judged as drift
    const managed = { values: { root_module: { child_modules: [{ resources: [{ address: "module.m.vault_policy.other", mode: "managed" }] }] } } };
    expect((await verdict({ format_version: "1.2", prior_state: managed, resource_changes: [create] })).code).toBe(2);
    const terraform = require("./fixtures/real-plan").terraformBinary();
    if (!terraform) return console.warn("skipped the real-plan half: no terraform binary on this machine");
    // a real saved plan (terraform_data needs no provider): first with no state at all, then after an apply
    const dir = fs.mkdtempSync(path.join(tmp, "drift-first-tf-"));
    const env = { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_CLI_CONFIG_FILE: "/dev/null" };
    const tf = (...args: string[]) => require("node:child_process").execFileSync("terraform", [`-chdir=${dir}`, ...args, "-input=false"], { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const configure = (input: string) => fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify({ resource: { terraform_data: { policy: { input } } }, output: { o: { value: input } } }));
    configure("a");
    tf("init");
    tf("plan", "-out=tfplan");
    const first = await verdict(JSON.parse(require("node:child_process").execFileSync("terraform", [`-chdir=${dir}`, "show", "-json", "tfplan"], { env, encoding: "utf8" })));
    expect([first.code, first.stdout]).toEqual([0, notDeployed]);
    tf("apply", "-auto-approve");
    configure("b");
    tf("plan", "-out=tfplan");
    const changed = await verdict(JSON.parse(require("node:child_process").execFileSync("terraform", [`-chdir=${dir}`, "show", "-json", "tfplan"], { env, encoding: "utf8" })));
    expect([changed.code, changed.stdout]).toEqual([2, "terraform_data.policy: drifted\noutput.o: drifted\n"]);
  }, 60_000);

  it("pull-request-review.yml: changed-stacks names prod and hotfix, the stacks whose config changed", async () => {
    const [inv] = of("pull-request-review.yml", "changed-stacks").filter((i) => !i.words.includes("$RUNNER_TEMP/trusted-head"));
    const r = await run(inv, {});
    expect([r.code, JSON.parse(r.stdout)]).toEqual([0, ["hotfix", "prod"]]); // sorted: one order whatever the outputs' order
  });

  it("pull-request-review.yml: the diff of a protected stack that replaces flags it in the comment; exit 2 = changed", async () => {
    const [inv] = of("pull-request-review.yml", "diff");
    const prod = await run(inv, { stack: "prod" });
    expect(prod.code).toBe(2);
    const policyName = `${seedMatrix.organization.project}-prod-secrets-read`;
    // protected (from the matrix) + a replacement of the Vault policy (its name is ForceNew)
    expect(seedMatrix.environments.prod.protected).toBe(true);
    expect(prod.stdout).toContain("| prod (protected) | 🛑 1 to REPLACE |");
    expect(prod.stdout).toContain(`| ♻️ replace | \`vault_policy.policy\` | \`name\` (forces replacement) | \`"${policyName}"\` | \`"${policyName}-renamed"\` |`);
    const dev = await run(inv, { stack: "dev" });
    expect([dev.code, dev.stdout]).toEqual([0, "### envmatrix: synthesized Terraform\n\nNo stack changed.\n"]);
  });

  it("pull-request-review.yml: a stack the default branch would synthesize the same way may be planned; others are refused with exit 5", async () => {
    // the plan step's --write "$dir/cdk.tf.json": a new folder per run, as the step makes one
    const dir = () => fs.mkdtempSync(path.join(scratchDir(), "plan-"));
    for (const inv of of("pull-request-review.yml", "vet-plan-input")) {
      const same = await run(inv, { stack: "staging", STACK: "staging", dir: dir() });
      expect([same.code, same.stdout]).toEqual([0, "staging: may be planned\n"]);
      // a renamed policy is an ordinary change to plan; a provider pointed elsewhere would send the credentials there
      expect((await run(inv, { stack: "prod", STACK: "prod", dir: dir() })).code).toBe(0);
      const elsewhere = await run(inv, { stack: "hotfix", STACK: "hotfix", dir: dir() });
      expect([elsewhere.code, elsewhere.stderr]).toEqual([5, "hotfix: provider settings differ from the default branch's (credentials would go elsewhere): planned after merge\n"]);
    }
  });

  it("pull-request-review.yml: only a branch some ruleset protects with a review counts as a reviewed base", async () => {
    const [inv] = of("pull-request-review.yml", "reviewed-branch");
    const reviewed = Object.values(seedMatrix.environments).find((e) => e.identity.protectedBranch !== null && e.approval.requiredApprovingReviews >= 1)!;
    const ok = await run(inv, { BASE_REF: reviewed.identity.protectedBranch! });
    const by = Object.entries(seedMatrix.environments).find(([, e]) => e === reviewed)![0];
    expect([ok.code, ok.stdout]).toEqual([0, `${reviewed.identity.protectedBranch}: reviewed (protected by ${by}'s ruleset)\n`]);
    expect((await run(inv, { BASE_REF: "feature/unreviewed" })).code).toBe(6);
  });

  it("pull-request-review.yml: the pull request's matrix is checked and compared with this checkout's rules", async () => {
    const [check] = of("pull-request-review.yml", "check-matrix");
    const good = await run(check, {});
    expect(good.code).toBe(0);
    // the job log names the file it checked and the environments it found there
    expect(good.stdout).toBe(`${path.join(runnerTemp, "head", "matrix.json")}: valid (${Object.keys(definition.environments).join(", ")})\n`);
    fs.writeFileSync(path.join(runnerTemp, "bad-matrix.json"), JSON.stringify({ ...definition, promotionOrder: ["prod", "dev"] }));
    const bad = await cli(argv(check, { RUNNER_TEMP: runnerTemp }).map((a) => a.replace(/head\/matrix\.json$/, "bad-matrix.json")));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("bad-matrix.json");
    // keys are the pull request's: one holding a line break and a workflow command starts no line of the job log
    // (GitHub reads `::warning::`, `::add-mask::`, `::stop-commands::` at a line's start), it is quoted
    const injected = structuredClone(definition) as any;
    injected.environments["b\n::warning::INJECTED"] = injected.environments.dev;
    injected.environments.dev.runtime["::error::x"] = 1;
    fs.writeFileSync(path.join(runnerTemp, "injected-matrix.json"), JSON.stringify(injected));
    const inj = await cli(argv(check, { RUNNER_TEMP: runnerTemp }).map((a) => a.replace(/head\/matrix\.json$/, "injected-matrix.json")));
    expect(inj.code).toBe(1);
    const lines = `${inj.stdout}${inj.stderr}`.split("\n");
    expect(lines.filter((l) => l.startsWith("::"))).toEqual([]);
    expect(inj.stderr).toContain('environments["b\\n::warning::INJECTED"]');
    expect(inj.stderr).toContain('environments.dev.runtime["::error::x"]');
  });

  it("pull-request-review.yml: matrix-data passes the seed's matrix files and names what in one is not data (exit 4)", async () => {
    const [inv] = of("pull-request-review.yml", "matrix-data");
    const own = fs.mkdtempSync(path.join(tmp, "matrix-data-"));
    fs.copyFileSync(path.join(__dirname, "..", "config", "environments.ts"), path.join(own, "matrix-data.ts"));
    expect(await run(inv, { RUNNER_TEMP: own })).toMatchObject({ code: 0, stderr: "" });
    fs.writeFileSync(path.join(own, "matrix-data.ts"), 'export const a = require("node:child_process").execSync("id");\n');
    const bad = await run(inv, { RUNNER_TEMP: own });
    expect([bad.code, bad.stderr]).toEqual([4, expect.stringContaining("matrix-data.ts:1: CallExpression")]);
  });

  it("pull-request-review.yml: review-checks names the verdict after each ruleset pattern that covers the base, as one JSON list for $GITHUB_OUTPUT; none for an unprotected base", async () => {
    const [inv] = of("pull-request-review.yml", "review-checks");
    const names = async (base: string) => {
      const r = await run(inv, { BASE_REF: base });
      expect([r.code, r.stdout.split("\n").length]).toEqual([0, 2]);
      return JSON.parse(r.stdout);
    };
    // the matrix's protected branches: main (prod), develop (staging), hotfix/* (hotfix)
    const protectedBranches = Object.values(seedMatrix.environments).map((e) => e.identity.protectedBranch).filter((b): b is string => b !== null);
    expect(protectedBranches).toEqual(expect.arrayContaining(["main", "develop", "hotfix/*"]));
    expect(await names("main")).toEqual(["envmatrix review (main)"]);
    expect(await names("hotfix/login")).toEqual(["envmatrix review (hotfix/*)"]);
    // a deeper name the hotfix ruleset also covers (its Vault-wide cover)
    expect(await names("hotfix/a/b")).toEqual(["envmatrix review (hotfix/*)"]);
    expect(await names("writer/stage")).toEqual([]);
    expect(await names("mainline")).toEqual([]);
  });

  it("pull-request-review.yml: compare of each promotion pair finds no drift (exit 0)", async () => {
    const [inv] = of("pull-request-review.yml", "compare");
    const r = await run(inv, { a: "staging", b: "prod" });
    expect([r.code, r.stderr]).toEqual([0, ""]);
  }, 120_000);

  it("pull-request-review.yml: the pairs compared are the matrix's promotion order, each environment with the next (an environment the pull request adds included)", async () => {
    const [inv] = of("pull-request-review.yml", "compare-pairs");
    const order = seedMatrix.promotionOrder;
    const expected = order.slice(1).map((b, i) => `${order[i]} ${b}`);
    expect(expected.length).toBeGreaterThan(1);
    const r = await run(inv, {});
    expect([r.code, r.stdout]).toEqual([0, `${expected.join("\n")}\n`]);
    // a pull request that adds qa between dev and staging: its matrix's pairs, not this checkout's
    const def = require("./helpers").editableDefinition();
    def.environments.qa = { cloneOf: "staging", purpose: "qa", identity: { ...def.environments.staging.identity, namespace: "envmatrix-qa", githubEnvironment: "qa", vaultSubtree: "qa", deployBranches: ["qa"], protectedBranch: "qa" } };
    def.promotionOrder = ["dev", "qa", "staging", "prod", "hotfix"];
    const qaRunner = fs.mkdtempSync(path.join(scratchDir(), "qa-runner-"));
    fs.mkdirSync(path.join(qaRunner, "head"));
    fs.writeFileSync(path.join(qaRunner, "head", "matrix.json"), JSON.stringify(def));
    const qa = await cli(argv(inv, { RUNNER_TEMP: qaRunner }));
    expect([qa.code, qa.stderr]).toEqual([0, ""]);
    expect(qa.stdout.split("\n").filter(Boolean)).toEqual(["dev qa", "qa staging", "staging prod", "prod hotfix"]);
  });

  it("matrix --format json gives the review environment's name at the path the workflow's jq reads", async () => {
    for (const inv of of("pull-request-review.yml", "matrix")) {
      const r = await run(inv, {});
      expect(JSON.parse(r.stdout).organization.github.reviewApp.environment).toBe(seedMatrix.organization.github.reviewApp.environment);
    }
  });

  it.each([["deploy.yml"], ["drift.yml"], ["pull-request-review.yml"]])("%s: plan-summary leads a protected stack's summary with its destroys and replacements", async (workflow) => {
    for (const inv of of(workflow, "plan-summary")) {
      const prod = await run(inv, { STACK: "prod" });
      expect(prod.code).toBe(0);
      expect(prod.stdout).toContain("**⚠ prod is protected and this plan destroys or replaces 2 resource(s):**");
      const dev = await run(inv, { STACK: "dev" });
      expect(dev.stdout).not.toContain("is protected");
    }
  });

});

describe("deploy.yml: the approval checklist beside the plan", () => {
  const [inv] = invocations().filter((i) => i.workflow === "deploy.yml" && i.script === "approval-checklist");
  const run = (stack: string) => cli(argv(inv, { STACK: stack }));

  it("prod's approvers read the matrix's checklist, one unchecked box per item; dev has none, the gates follow their environment", async () => {
    const prod = await run("prod");
    expect(prod.code).toBe(0);
    expect(prod.stdout.split("\n")[0]).toBe("#### Before you approve prod");
    expect(prod.stdout.split("\n").filter((l) => l.startsWith("- [ ] "))).toEqual(seedMatrix.environments.prod.approval.checklist.map((i) => `- [ ] ${i}`));
    expect(await run("dev")).toEqual({ code: 0, stdout: "", stderr: "" });
    const follows = seedMatrix.environments[seedMatrix.organization.gates.followsEnvironment].approval.checklist;
    expect((await run("gates")).stdout.split("\n").filter((l) => l.startsWith("- [ ] ")).length).toBe(follows.length);
  });

  it("an item is one line of prose in the summary: line breaks and tabs become one space, no HTML", () => {
    const { checklistMarkdown } = require("../review/checklist") as typeof import("../review/checklist");
    const e = structuredClone(seedMatrix.environments.prod) as any;
    e.approval.checklist = ["Read the\r\n\n\trunbook", "<details>hidden</details>"];
    expect(checklistMarkdown("prod", e)).toBe(
      ["#### Before you approve prod", "", "Approving the deployment says each of these holds:", "", "- [ ] Read the runbook", "- [ ] &lt;details&gt;hidden&lt;/details&gt;", ""].join("\n"),
    );
  });
});

describe("the CLI in-process", () => {
  it("--help lists every command with what it does, and each command's own help says it too", async () => {
    const program = buildProgram({ stdout: () => {}, stderr: () => {}, loadMatrix: () => seedMatrix });
    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    const names = program.commands.map((c) => c.name());
    expect(names).toEqual(expect.arrayContaining(["diff", "compare", "gate", "preflight", "approval-checklist"]));
    for (const c of program.commands) {
      expect([c.name(), c.description().length > 20]).toEqual([c.name(), true]);
      // commander wraps long lines: compare the first words
      expect(help.stdout).toContain(c.description().split(" ").slice(0, 3).join(" "));
      expect((await cli([c.name(), "--help"])).stdout).toContain(c.description().split(" ").slice(0, 3).join(" "));
    }
    expect(help.stdout).toContain("Review tools for the synthesized Terraform of every environment");
  });

  it("each command's help says what every argument and option is", async () => {
    const program = buildProgram({ stdout: () => {}, stderr: () => {}, loadMatrix: () => seedMatrix });
    for (const c of program.commands) {
      const help = (await cli([c.name(), "--help"])).stdout.replace(/\s+/g, " ");
      for (const what of [...c.registeredArguments, ...c.options]) {
        const name = "flags" in what ? what.flags : what.name();
        // a few words, as the help prints them (commander wraps long lines: compared with white space collapsed)
        expect([c.name(), name, what.description.split(" ").length >= 2]).toEqual([c.name(), name, true]);
        expect(help).toContain(what.description.replace(/\s+/g, " ").split(" ").slice(0, 4).join(" "));
      }
    }
  });

  it("an unknown command is exit 1 with commander's message", async () => {
    const r = await cli(["no-such-command"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unknown command 'no-such-command'");
  });

  it("as a process (what npm run starts), the command's exit code and streams are the process's", async () => {
    const child = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ["--require", "tsx/cjs", "scripts/cli.ts", "reviewed-branch", "feature/unreviewed"], { cwd: root }, (err, stdout, stderr) =>
        resolve({ code: err ? (err as { code?: number }).code ?? null : 0, stdout, stderr }),
      );
    });
    expect(child).toEqual({ code: 6, stdout: "", stderr: "feature/unreviewed: not a reviewed branch\n" });
  });

  it("help is exit 0", async () => {
    const r = await cli(["diff", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: envmatrix diff [options] <base> [head]");
  });
});

describe("the commands' edges", () => {
  const outDir = () => path.join(workspace, "cdktf.out");
  /** A run with the working directory at `dir` (a relative default such as `cdktf.out` is read there). */
  async function runIn(dir: string, args: string[]) {
    const before = process.cwd();
    process.chdir(dir);
    try {
      return await cli(args);
    } finally {
      process.chdir(before);
    }
  }

  it("diff: the head defaults to cdktf.out in the working directory (README: head defaults to `cdktf.out`)", async () => {
    const base = path.join(runnerTemp, "head", "cdktf.out");
    const named = await cli(["diff", base, outDir()]);
    expect(named.code).toBe(2);
    expect(await runIn(workspace, ["diff", base])).toEqual(named);
  });

  it("diff --stack: only the stacks named", async () => {
    const r = await cli(["diff", path.join(runnerTemp, "base", "cdktf.out"), path.join(runnerTemp, "head", "cdktf.out"), "--stack", "hotfix"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("hotfix");
    expect(r.stdout).not.toMatch(/\bprod\b/);
  });

  it("diff: an unprotected stack's replacement is listed, not flagged as a protected one's", async () => {
    const head = path.join(runnerTemp, "dev-head");
    fs.cpSync(outDir(), head, { recursive: true });
    const devFile = path.join(head, "stacks", "dev", "cdk.tf.json");
    const dev = JSON.parse(fs.readFileSync(devFile, "utf8"));
    dev.resource.vault_policy.policy.name += "-renamed";
    fs.writeFileSync(devFile, JSON.stringify(dev, null, 2));
    expect(seedMatrix.environments.dev.protected).toBe(false);
    const r = await cli(["diff", outDir(), head, "--format", "markdown"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("| ♻️ replace | `vault_policy.policy` |");
    expect(r.stdout).toContain("| dev | ⚠️ 1 to REPLACE |");
    expect(r.stdout).not.toContain("dev (protected)");
    expect(r.stdout).not.toContain("🛑");
  });

  it("deployer-rbac: YAML a cluster admin reads, every value in place (no anchors or aliases), one newline at the end; --out defaults to cdktf.out", async () => {
    // the plan's RBAC repeats one list of verbs across its rules: YAML would write it once with an anchor
    for (const plan of [[], ["--plan"]]) {
      const r = await cli(["deployer-rbac", "prod", ...plan, "--out", outDir()]);
      expect(r.code).toBe(0);
      expect(r.stdout).not.toMatch(/(^|[\s:-])[&*][A-Za-z0-9]+\b/m);
      expect(r.stdout.endsWith("\n")).toBe(true);
      expect(r.stdout.endsWith("\n\n")).toBe(false);
      expect(r.stdout.startsWith("---")).toBe(false);
      expect(await runIn(workspace, ["deployer-rbac", "prod", ...plan])).toEqual(r);
      // the deploy's account writes; the plan's (its own account) only reads
      const account = `${seedMatrix.organization.project}-prod-${plan.length ? "planner" : "deployer"}`;
      expect(r.stdout).toContain(`name: ${account}\n`);
      expect(/^\s*- (create|update|patch|delete)$/m.test(r.stdout)).toBe(plan.length === 0);
    }
  });

  it("deployer-rbac of a stack the output lacks: says to synthesize", async () => {
    const empty = path.join(runnerTemp, "empty-out");
    fs.mkdirSync(path.join(empty, "stacks"), { recursive: true });
    fs.writeFileSync(path.join(empty, "manifest.json"), JSON.stringify({ version: "0.21.0", stacks: {} }));
    const r = await cli(["deployer-rbac", "prod", "--out", empty]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${empty} has no stack prod (run npm run synth)`);
  });

  it("reviewed-branch: a ruleset that asks for no approving review does not make a branch reviewed", async () => {
    // the matrix's rules already keep such a ruleset off every deploy branch; the command does not lean on them
    // (defense in depth): here dev's ruleset protects a branch, unchecked, and asks for no review, as the seed's dev
    expect(seedMatrix.environments.dev.approval.requiredApprovingReviews).toBe(0);
    const m = structuredClone(definition) as any;
    m.environments.dev.identity.protectedBranch = "sandbox";
    const r = await cli(["reviewed-branch", "sandbox"], { loadMatrix: () => resolveMatrix(m) });
    expect([r.code, r.stderr]).toEqual([6, "sandbox: not a reviewed branch\n"]);
  });

  it("vet-plan-input: a stack the pull request's output lacks is refused (exit 5)", async () => {
    const r = await cli(["vet-plan-input", outDir(), outDir(), "staging", "nowhere"]);
    expect([r.code, r.stderr]).toEqual([5, `nowhere: not in ${outDir()}\n`]);
  });

  it("resolve-environment with neither a branch nor --all: exit 1 saying so", async () => {
    const r = await cli(["resolve-environment"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("name a branch, or pass --all");
  });

  it("gate without --commit and without GITHUB_SHA: exit 1 saying which commit to give", async () => {
    const saved = process.env.GITHUB_SHA;
    delete process.env.GITHUB_SHA;
    try {
      const r = await cli(["gate", "prod"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("no commit: give --commit <sha> (the workflow's GITHUB_SHA)");
    } finally {
      if (saved !== undefined) process.env.GITHUB_SHA = saved;
    }
  });

  it("deploy-window: now when --at is not given; --at that is not a date and time is refused", async () => {
    const now = await cli(["deploy-window", "dev"]);
    // dev has no window in the seed: open at any time
    expect(seedMatrix.environments.dev.deploymentWindow).toBeNull();
    expect(now.code).toBe(0);
    expect(now.stdout).toMatch(/^dev: deployment window open \(.+\)\n$/);
    const bad = await cli(["deploy-window", "prod", "--at", "tomorrow"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--at tomorrow is not a date and time");
  });

  it("matrix --format json-schema is the committed config/matrix.schema.json (README: regenerate it with this command)", async () => {
    const r = await cli(["matrix", "--format", "json-schema"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(fs.readFileSync(path.join(root, "config", "matrix.schema.json"), "utf8"));
    const json = await cli(["matrix", "--format", "json"]);
    expect(JSON.parse(json.stdout)).toEqual(JSON.parse(JSON.stringify(definition)));
  });

  it("plan-summary of a stack the matrix does not name (a stack since removed): summarized, as unprotected", async () => {
    const r = await cli(["plan-summary", "retired", path.join(__dirname, "fixtures", "plan.json")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("retired");
    expect(r.stdout).not.toContain("is protected");
  });

  it("cost: a table per environment as text, or as markdown", async () => {
    const text = await cli(["cost"]);
    const markdown = await cli(["cost", "--format", "markdown"]);
    expect([text.code, markdown.code]).toEqual([0, 0]);
    expect(markdown.stdout).toMatch(/^\|/m);
    expect(text.stdout).not.toMatch(/^\|/m);
    for (const name of Object.keys(definition.environments)) {
      expect(text.stdout).toContain(name);
      expect(markdown.stdout).toContain(name);
    }
  });
});
