/**
 * The project's GitHub Actions workflows: valid for GitHub, pinned, wired to the matrix rather than copies of it,
 * and — read together with the synthesized gates stack — unable to hand a deploy secret to code nobody reviewed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { Testing } from "cdktf";
import { parse, parseDocument } from "yaml";
import { branchMatches } from "../config/branches";
import { GatesStack } from "../stacks/gates-stack";
import { applyJobName } from "../review/deploy-workflow";
import { seedMatrix } from "./helpers";
import { cli } from "./cli";
import { scratchDir, testApp } from "./scratch";

const dir = path.resolve(__dirname, "..", ".github", "workflows");
const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
const text = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
const workflow = (f: string): any => parse(text(f));
const steps = (f: string, job: string): any[] => workflow(f).jobs[job].steps;
const runs = (f: string, job: string) => steps(f, job).map((s) => s.run ?? "").join("\n");
const gates = JSON.parse(Testing.synth(new GatesStack(testApp(), seedMatrix)));
const ACTIONS_APP_ID = 15368;

/** Branch patterns a synthesized ruleset protects with at least one required approving review. */
function reviewedPatterns(g: any): string[] {
  return Object.values<any>(g.resource.github_repository_ruleset ?? {})
    .filter((r) => r.enforcement === "active" && (r.rules?.pull_request?.required_approving_review_count ?? 0) >= 1)
    .flatMap((r) => r.conditions.ref_name.include.map((ref: string) => ref.replace(/^refs\/heads\//, "")));
}
const isReviewed = (pattern: string, reviewed: readonly string[]) =>
  reviewed.some((r) => r === pattern || (!pattern.includes("*") && branchMatches(r, pattern)));

/**
 * A job that only checks out and runs CodeQL (no command of the pull request's): it may upload its results to
 * code scanning (security-events: write), as github/codeql-action documents; nothing else in it uses the token.
 */
const onlyCodeScanning = (job: any) =>
  (job.steps ?? []).every((s: any) => s.run === undefined && /^(actions\/checkout|github\/codeql-action\/(init|analyze))@[0-9a-f]{40}$/.test(String(s.uses ?? "")));

const secretsOf = (job: any) => [...JSON.stringify(job).matchAll(/secrets\.([A-Za-z_]+)/g)].map((m) => m[1]);
const triggers = (w: any) => (typeof w.on === "string" ? [w.on] : Array.isArray(w.on) ? w.on : Object.keys(w.on));

/**
 * Every way a job could obtain a deploy secret without review, for workflows `ws` (file → parsed) and the
 * synthesized gates stack `g`. Deploy secrets are `DEPLOY_*` and live only in the environments' deploy GitHub
 * environments, whose deployment branch policies are the gates stack's.
 */
function trustViolations(ws: Record<string, any>, g: any): string[] {
  const v: string[] = [];
  const reviewed = reviewedPatterns(g);
  // the GitHub environments deploy secrets live in admit only reviewed branches
  for (const [address, policy] of Object.entries<any>(g.resource.github_repository_environment_deployment_policy)) {
    const patterns: string[] = JSON.parse(/^\$\{toset\((\[.*\])\)\}$/.exec(policy.for_each)![1]);
    for (const p of patterns) if (!isReviewed(p, reviewed)) v.push(`gates: ${address} admits ${p}, which no ruleset protects with a required review`);
  }
  for (const [address, env] of Object.entries<any>(g.resource.github_repository_environment)) {
    if (!env.deployment_branch_policy?.custom_branch_policies) v.push(`gates: ${address} admits any branch`);
  }
  // where the branch app's key lives: the default branch's workflow only (it creates branches at reviewed commits)
  for (const [address, env] of Object.entries<any>(g.resource.github_repository_environment).filter(([, e]) => String(e.environment).endsWith("-branches"))) {
    const policy = g.resource.github_repository_environment_deployment_policy[address.replace(/_environment$/, "_deployment_branch")];
    const patterns: string[] = policy ? JSON.parse(/^\$\{toset\((\[.*\])\)\}$/.exec(policy.for_each)![1]) : [];
    if (JSON.stringify(patterns) !== JSON.stringify([seedMatrix.organization.github.defaultBranch])) v.push(`gates: ${env.environment} admits ${patterns.join(", ")}, not the default branch alone`);
  }
  for (const [file, w] of Object.entries(ws)) {
    const on = triggers(w);
    if (on.includes("pull_request_target")) v.push(`${file}: pull_request_target runs with secrets next to a pull request's code`);
    if (JSON.stringify(w.permissions ?? null) !== "{}") v.push(`${file}: top-level permissions are not {}`);
    for (const [name, job] of Object.entries<any>(w.jobs)) {
      const where = `${file} ${name}`;
      const secrets = secretsOf(job);
      const environment: string | undefined = job.environment;
      if (secrets.length > 0 && environment === undefined) v.push(`${where}: reads ${secrets.join(", ")} outside a GitHub environment (repository secrets reach every branch)`);
      if (on.includes("pull_request") && (secrets.length > 0 || environment !== undefined)) v.push(`${where}: runs a pull request's code with secrets`);
      if (on.includes("pull_request") && Object.entries(job.permissions ?? {}).some(([k, x]) => !(k === "contents" && x === "read") && !(k === "security-events" && x === "write" && onlyCodeScanning(job)))) {
        v.push(`${where}: runs a pull request's code with more than contents: read`);
      }
      const deploySecrets = secrets.filter((s) => s.startsWith("DEPLOY_"));
      if (deploySecrets.length > 0) {
        if (environment !== "${{ matrix.githubEnvironment }}") v.push(`${where}: reads deploy secrets outside the environment's deploy GitHub environment`);
        if (on.join(",") !== "push") v.push(`${where}: reads deploy secrets on ${on.join(", ")}, not only on a push`);
        for (const b of w.on?.push?.branches ?? ["**"]) if (!isReviewed(b, reviewed)) v.push(`${where}: reads deploy secrets on a push to ${b}, which no ruleset protects with a required review`);
      }
      if (secrets.some((s) => !s.startsWith("DEPLOY_") && !s.startsWith("PLAN_") && !s.startsWith("REVIEW_") && !s.startsWith("BRANCH_"))) v.push(`${where}: reads ${secrets.join(", ")} (only DEPLOY_*, PLAN_*, REVIEW_* and BRANCH_* environment secrets exist)`);
      // the branch app's key: only the default branch's branches workflow, in the environment its request named
      if (secrets.some((s) => s.startsWith("BRANCH_")) && (file !== "branches.yml" || on.join(",") !== "workflow_dispatch" || environment !== "${{ needs.request.outputs.github-environment }}")) {
        v.push(`${where}: reads the branch app's key outside the branches workflow's -branches environment`);
      }
      // the review app's key: only the default branch's review workflow, in the review environment
      if (secrets.some((s) => s.startsWith("REVIEW_")) && (on.join(",") !== "workflow_run" || environment !== "${{ needs.review.outputs.reviewEnvironment }}")) {
        v.push(`${where}: reads the review app's key outside the review workflow's review environment`);
      }
      if ((secrets.length > 0 || environment) && (job.steps ?? []).some((s: any) => String(s.uses ?? "").startsWith("actions/setup-node@") && s.with?.cache)) {
        v.push(`${where}: restores a dependency cache next to secrets`);
      }
      if (secrets.some((s) => s.startsWith("PLAN_")) && environment !== "${{ matrix.planEnvironment }}") v.push(`${where}: reads plan secrets outside a plan environment`);
      if ((secrets.length > 0 || environment) && (job.steps ?? []).some((s: any) => /npm ci(?! --ignore-scripts)/.test(s.run ?? ""))) {
        v.push(`${where}: installs with lifecycle scripts next to secrets`);
      }
      if ((job.steps ?? []).some((s: any) => /\bnpx (?!--no-install)/.test(s.run ?? "")) && secrets.length > 0) v.push(`${where}: npx may download next to secrets`);
      for (const s of job.steps ?? []) {
        if (String(s.uses ?? "").startsWith("actions/checkout@") && s.with?.["persist-credentials"] !== false) v.push(`${where}: checkout persists its token`);
      }
      if (job.permissions === undefined) v.push(`${where}: has no permissions of its own`);
      const usesOidc = (job.steps ?? []).some((s: any) => /^(hashicorp\/vault-action|aws-actions\/configure-aws-credentials)@/.test(String(s.uses ?? "")));
      if ((job.permissions?.["id-token"] === "write") !== usesOidc) v.push(`${where}: id-token: write ${usesOidc ? "missing for" : "without"} OIDC`);
      if (on.includes("workflow_dispatch") || on.includes("schedule")) {
        const guard = on.includes("schedule") ? "github.event_name == 'schedule' || github.ref_name == github.event.repository.default_branch" : "github.ref_name == github.event.repository.default_branch";
        // the guard alone, or the guard first and more after it (`(guard) && …`): never the guard weakened
        const cond = String(job.if ?? "");
        // and nothing after it that could stand in for it (an `||`)
        if (cond !== guard && !(cond.startsWith(`(${guard}) && `) && !cond.slice(guard.length + 2).includes("||"))) v.push(`${where}: dispatchable on any ref`);
      }
    }
  }
  return v;
}

const real = Object.fromEntries(files.map((f) => [f, workflow(f)]));

describe("trust: no unreviewed code reaches a deploy secret", () => {
  it("holds for the workflows and the synthesized gates stack", () => {
    expect(trustViolations(real, gates)).toEqual([]);
  });

  // each row breaks one line the invariant rests on; the check must notice
  it.each<[string, (ws: any, g: any) => void, RegExp]>([
    ["deploy on a push to any branch", (ws) => (ws["deploy.yml"].on.push.branches = ["**"]), /push to \*\*, which no ruleset protects/],
    ["deploy on a push to feature/*", (ws) => ws["deploy.yml"].on.push.branches.push("feature/*"), /push to feature\/\*/],
    ["a pull request job given the deploy kubeconfig", (ws) => (ws["pull-request.yml"].jobs.check.steps[0].env = { K: "${{ secrets.DEPLOY_KUBECONFIG }}" }), /runs a pull request's code with secrets/],
    ["a pull request job with a command of its own next to security-events: write", (ws) => ws["security.yml"].jobs.codeql.steps.push({ run: "npm ci" }), /codeql: runs a pull request's code with more than contents: read/],
    ["security-events: write on a pull request job that is not CodeQL's", (ws) => (ws["security.yml"].jobs["audit-signatures"].permissions["security-events"] = "write"), /audit-signatures: runs a pull request's code with more than contents: read/],
    ["a pull request job in a plan environment", (ws) => (ws["pull-request.yml"].jobs.check.environment = "staging-plan"), /runs a pull request's code with secrets/],
    ["a repository-level secret", (ws) => (ws["deploy.yml"].jobs.resolve.steps[0].env = { T: "${{ secrets.TF_API_TOKEN }}" }), /outside a GitHub environment/],
    ["apply outside the deploy environment", (ws) => (ws["deploy.yml"].jobs.apply.environment = "${{ matrix.planEnvironment }}"), /reads deploy secrets outside the environment's deploy GitHub environment/],
    ["pull_request_target", (ws) => (ws["pull-request.yml"].on = { pull_request_target: null }), /pull_request_target/],
    ["drift dispatchable on any ref", (ws) => delete ws["drift.yml"].jobs.plan.if, /dispatchable on any ref/],
    ["drift's guard with an `||` after it", (ws) => (ws["drift.yml"].jobs.plan.if = `(github.event_name == 'schedule' || github.ref_name == github.event.repository.default_branch) && true || true`), /dispatchable on any ref/],
    ["install scripts next to deploy secrets", (ws) => (ws["deploy.yml"].jobs.apply.steps.find((s: any) => s.run?.startsWith("npm ci")).run = "npm ci"), /lifecycle scripts/],
    ["a checkout that keeps its token", (ws) => (ws["deploy.yml"].jobs.apply.steps[0].with = {}), /persists its token/],
    ["top-level write permissions", (ws) => (ws["deploy.yml"].permissions = { contents: "write" }), /top-level permissions/],
    ["an npm cache restored next to deploy secrets", (ws) => (ws["deploy.yml"].jobs.apply.steps.find((s: any) => String(s.uses).startsWith("actions/setup-node@")).with.cache = "npm"), /dependency cache next to secrets/],
    ["the review app's key in a pull_request job", (ws) => (ws["pull-request.yml"].jobs.check.steps[0].env = { K: "${{ secrets.REVIEW_APP_PRIVATE_KEY }}" }), /review app's key outside/],
    ["dev's deploy environment admitting feature/*", (_ws, g) => (g.resource.github_repository_environment_deployment_policy.dev_deploy_deployment_branch.for_each = '${toset(["develop","feature/*"])}'), /admits feature\/\*/],
    ["develop's ruleset without a required review", (_ws, g) => (g.resource.github_repository_ruleset.staging_branch_ruleset.rules.pull_request.required_approving_review_count = 0), /admits develop/],
    ["an environment admitting any branch", (_ws, g) => delete g.resource.github_repository_environment.dev_deploy_environment.deployment_branch_policy, /admits any branch/],
    ["the branch app's key in the deploy workflow", (ws) => (ws["deploy.yml"].jobs.apply.steps[0].env = { K: "${{ secrets.BRANCH_APP_PRIVATE_KEY }}" }), /branch app's key outside/],
    ["the branches workflow's job in a fixed environment", (ws) => (ws["branches.yml"].jobs.branch.environment = "hotfix-plan"), /branch app's key outside/],
    ["the branches workflow dispatchable on any ref", (ws) => delete ws["branches.yml"].jobs.branch.if, /branches\.yml branch: dispatchable on any ref/],
    ["hotfix's branches environment admitting hotfix/*", (_ws, g) => (g.resource.github_repository_environment_deployment_policy.hotfix_branches_deployment_branch.for_each = '${toset(["main","hotfix/*"])}'), /hotfix-branches admits main, hotfix\/\*, not the default branch alone/],
  ])("notices %s", (_what, breakIt, rule) => {
    const ws = structuredClone(real);
    const g = structuredClone(gates);
    breakIt(ws, g);
    expect(trustViolations(ws, g)).toEqual(expect.arrayContaining([expect.stringMatching(rule)]));
  });
});

describe("workflows", () => {
  it("every job that logs in to Vault trusts a private Vault CA, if the gates give one, in the login and in Terraform", () => {
    const pem = "-----BEGIN CERTIFICATE-----\nMIIBdummyPublicCaForTests\n-----END CERTIFICATE-----\n";
    let jobs = 0;
    for (const f of files) {
      for (const [name, job] of Object.entries<any>(workflow(f).jobs)) {
        const at = job.steps.findIndex((x: any) => String(x.uses ?? "").startsWith("hashicorp/vault-action@"));
        if (at < 0) continue;
        jobs++;
        expect({ f, name, ca: job.steps[at].with.caCertificate }).toEqual({ f, name, ca: "${{ vars.VAULT_CACERT_BASE64 }}" });
        // before the login and before any terraform: VAULT_CACERT names the decoded PEM (the vault provider reads it)
        const trust = job.steps.findIndex((x: any) => String(x.run ?? "").includes("VAULT_CACERT="));
        const firstTerraform = job.steps.findIndex((x: any) => /\bterraform\b[^\n]*\b(init|plan|apply)\b/.test(String(x.run ?? "")));
        expect({ f, name, trustBeforeLogin: trust >= 0 && trust < at, beforeTerraform: firstTerraform < 0 || trust < firstTerraform }).toEqual({ f, name, trustBeforeLogin: true, beforeTerraform: true });
        expect(job.steps[trust].if).toBe("vars.VAULT_CACERT_BASE64 != ''");
        // the step's own script, run with bash: the file holds the PEM and the job's environment names it
        const runner = fs.mkdtempSync(path.join(scratchDir(), "runner-"));
        const githubEnv = path.join(runner, "github-env");
        require("node:child_process").execFileSync("bash", ["-e", "-c", job.steps[trust].run], { env: { ...process.env, RUNNER_TEMP: runner, GITHUB_ENV: githubEnv, VAULT_CACERT_BASE64: Buffer.from(pem).toString("base64") } });
        expect(fs.readFileSync(path.join(runner, "vault-ca.pem"), "utf8")).toBe(pem);
        expect(fs.readFileSync(githubEnv, "utf8")).toBe(`VAULT_CACERT=${runner}/vault-ca.pem\n`);
      }
    }
    // deploy's plan and apply, the review's plan, drift
    expect(jobs).toBe(4);
  });
  it("read only variables and secrets GitHub lets exist: none named GITHUB_… (docs.github.com, naming conventions for secrets and for configuration variables: \"Names must not start with the GITHUB_ prefix\"), the gates stack writes none so named", () => {
    const named = files.flatMap((f) => [...text(f).matchAll(/\b(vars|secrets)\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => `${f}: ${m[1]}.${m[2]}`));
    expect(named.length).toBeGreaterThan(10);
    // secrets.GITHUB_TOKEN is GitHub's own (the job's token), not one of ours
    expect(named.filter((n) => /\.GITHUB_/i.test(n) && !n.endsWith("secrets.GITHUB_TOKEN"))).toEqual([]);
    const written = Object.values<any>(gates.resource.github_actions_environment_variable).map((v) => v.variable_name);
    expect(written.length).toBeGreaterThan(0);
    expect(written.filter((n: string) => /^GITHUB_/i.test(n))).toEqual([]);
    // the gates' GitHub App id, per environment: the deploy app's in envmatrix-gates, the plan app's in envmatrix-gates-plan
    expect(files.filter((f) => text(f).includes("vars.GATES_APP_ID"))).toEqual(["deploy.yml", "drift.yml", "pull-request-review.yml"]);
  });
  it("are the branches a branch app creates, the pull-request check, its review, the security checks, deploy, drift and mutation testing", () => {
    expect(files).toEqual(["branches.yml", "deploy.yml", "drift.yml", "mutation.yml", "pull-request-review.yml", "pull-request.yml", "security.yml"]);
  });
  /**
   * The workflow without what GitHub added after action-validator 0.6.0's bundled schema (the newest on the
   * registry): a concurrency block's `queue` (single or max, github.blog changelog 2026-05-07, GitHub Docs "Control the
   * concurrency of workflows and jobs"). Checked here instead: only those two values, only without cancel-in-progress.
   */
  const withoutNewerKeys = (f: string): string => {
    const doc = parseDocument(text(f));
    const wf = doc.toJS() as any;
    for (const [id, job] of Object.entries<any>(wf.jobs ?? {})) {
      if (job.concurrency?.queue === undefined) continue;
      expect([id, ["single", "max"].includes(job.concurrency.queue), job.concurrency["cancel-in-progress"] === true]).toEqual([id, true, false]);
      doc.deleteIn(["jobs", id, "concurrency", "queue"]);
    }
    return doc.toString();
  };
  it.each(files)("%s passes action-validator", (f) => {
    expect(validateWorkflow(withoutNewerKeys(f)).errors).toEqual([]);
  });
  it("action-validator still refuses a concurrency key GitHub does not have (what withoutNewerKeys removes is only queue)", () => {
    expect(validateWorkflow(text("deploy.yml")).errors.length).toBeGreaterThan(0);
    expect(validateWorkflow(withoutNewerKeys("deploy.yml").replace("cancel-in-progress: false", "cancel-in-progress: false\n      queue_size: 5")).errors.length).toBeGreaterThan(0);
  });
  it("action-validator rejects a broken workflow", () => {
    const broken = text("deploy.yml").replace("runs-on: ubuntu-latest", "runs_on: ubuntu-latest");
    expect(validateWorkflow(broken).errors.length).toBeGreaterThan(0);
  });
  it.each(files)("%s pins every action to a full commit SHA", (f) => {
    const uses = Object.values<any>(workflow(f).jobs).flatMap((j) => (j.steps ?? []).map((s: any) => s.uses).filter(Boolean));
    expect(uses.length).toBeGreaterThan(0);
    // owner/repo[/path]@<40 hex>: an action in a folder of its repository (github/codeql-action/init) too
    for (const u of uses) expect(u).toMatch(/^[\w.-]+\/[\w.-]+(\/[\w.-]+)*@[0-9a-f]{40}$/);
  });
  it.each(files)("%s holds no environment's GitHub environment name: it asks the matrix", (f) => {
    const t = text(f);
    for (const e of Object.values(seedMatrix.environments)) {
      expect(t).not.toMatch(new RegExp(`environment:\\s*"?${e.identity.githubEnvironment}"?\\s*$`, "m"));
    }
  });
  it("deploys on a push to exactly the matrix's deploy branches (its union), no other", () => {
    const union = [...new Set(Object.values(seedMatrix.environments).flatMap((e) => e.identity.deployBranches))].sort();
    expect([...workflow("deploy.yml").on.push.branches].sort()).toEqual(union);
  });
});

describe("deploy: the approver approves the plan that is applied", () => {
  const jobs = () => workflow("deploy.yml").jobs;
  it("deploys nothing unless every pushed commit came through a pull request merged into the branch", () => {
    const names = jobs().resolve.steps.map((s: any) => s.name ?? s.uses ?? s.run);
    expect(names.indexOf("Only reviewed commits deploy")).toBeLessThan(names.indexOf("Synthesize this commit"));
    expect(runs("deploy.yml", "resolve")).toContain('npm run --silent provenance -- "$REF" "$SHA"');
  });
  it("resolves branch → stacks with the matrix's script, keeping those that differ from their last successful deploy (tested in provenance.test.ts)", () => {
    const r = runs("deploy.yml", "resolve");
    expect(r).toContain('done < <(npm run --silent stacks-to-plan -- "$REF" --needed)');
    expect(r).toContain('include=$(npm run --silent stacks-to-plan -- "$REF" --head cdktf.out "${at[@]}")');
    expect(r).toContain('echo "targets=$include" >> "$GITHUB_OUTPUT"');
  });
  const hasJq = require("./fixtures/real-plan").onPath("jq");
  if (!hasJq) console.warn("workflows.test: no jq on PATH (GitHub's runners have it): the resolve step's run by bash is skipped");
  (hasJq ? it : it.skip)("synthesizes a deployment record's commit only when it is in the pushed commit's history: a record naming another branch's commit (anyone with write access can make one) runs none of its code, and its stacks are planned; a local-backend stack is left out", () => {
    // the step itself, run by bash in a repository of its own (main: c1 → c2, pushed; feature/x: f1 beyond c1),
    // with npm standing in: stacks-to-plan --needed names c1 and f1, synth makes the folder, the last call echoes
    const step = jobs().resolve.steps.find((x: any) => x.id === "targets");
    const dir = fs.mkdtempSync(path.join(require("node:os").tmpdir(), "envmatrix-resolve-"));
    try {
      const repo = path.join(dir, "repo");
      const sh = (cmd: string, cwd = repo) => require("node:child_process").execFileSync("bash", ["-c", cmd], { cwd, encoding: "utf8", env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" } }).trim();
      fs.mkdirSync(repo);
      sh("git init -q -b main && git commit -q --allow-empty -m c1");
      const c1 = sh("git rev-parse HEAD");
      sh("git checkout -q -b feature/x && git commit -q --allow-empty -m f1");
      const f1 = sh("git rev-parse HEAD");
      sh("git checkout -q main && git commit -q --allow-empty -m c2");
      const bin = path.join(dir, "bin");
      fs.mkdirSync(bin);
      const synthesized = path.join(dir, "synthesized");
      fs.writeFileSync(
        path.join(bin, "npm"),
        [
          "#!/usr/bin/env bash",
          `if [[ "$*" == *"stacks-to-plan"*"--needed"* ]]; then printf '%s\\n' ${c1} ${f1}; exit 0; fi`,
          `if [[ "$*" == "run synth" ]]; then mkdir -p cdktf.out && git rev-parse HEAD >> ${synthesized}; exit 0; fi`,
          // the stacks it would plan: one on the local backend, one on s3 (the arguments it got ride along)
          'if [[ "$*" == *"stacks-to-plan"* ]]; then printf \'{"include":[{"environment":"dev","backend":"local"},{"environment":"staging","backend":"s3","args":"%s"}]}\' "$*"; exit 0; fi',
          "exit 0",
        ].join("\n"),
        { mode: 0o755 },
      );
      const out = path.join(dir, "output");
      const log = require("node:child_process").execFileSync("bash", ["-c", step.run], {
        cwd: repo,
        encoding: "utf8",
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, RUNNER_TEMP: dir, GITHUB_OUTPUT: out, GITHUB_STEP_SUMMARY: path.join(dir, "summary"), REF: "refs/heads/main", GITHUB_TOKEN: "t" },
      });
      expect(fs.readFileSync(synthesized, "utf8").trim().split("\n")).toEqual([c1]);
      expect(log).toContain(`::warning::${f1} (a deployment record's commit) is not in this branch's history; its stacks are planned`);
      const targets = fs.readFileSync(out, "utf8");
      expect(targets).toContain(`--at ${c1}=${dir}/at-${c1}/cdktf.out`);
      expect(targets).not.toContain(f1);
      // the local-backend stack left out, with a warning; the other kept (jq, as on GitHub's runners)
      expect(JSON.parse(targets.replace(/^targets=/, "")).include.map((t: any) => t.environment)).toEqual(["staging"]);
      expect(log).toContain("::warning::dev is on the local backend: not planned or applied here");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  it("plans each stack in its read-only plan environment, saves the plan, summarizes it and uploads it", () => {
    const plan = jobs().plan;
    expect(plan.environment).toBe("${{ matrix.planEnvironment }}");
    const r = runs("deploy.yml", "plan");
    expect(r).toMatch(/terraform -chdir="\$dir" plan -input=false -lock=false -out=tfplan/);
    expect(r).toContain('terraform -chdir="$dir" show -json tfplan > "$RUNNER_TEMP/plan.json"');
    expect(r).toContain('npm run --silent plan-summary -- "$STACK" "$RUNNER_TEMP/plan.json" >> "$GITHUB_STEP_SUMMARY"');
    const upload = plan.steps.find((s: any) => String(s.uses).startsWith("actions/upload-artifact@"));
    expect(upload.with.name).toBe("plan-${{ matrix.environment }}");
    expect(upload.with.path).toContain("cdktf.out/stacks/${{ matrix.environment }}");
    expect(upload.with["include-hidden-files"]).toBe(true); // .terraform.lock.hcl
    // kept until the apply's approval in prod's window (a Thursday-evening merge waits for Monday), and one plan
    // per environment and run: a re-run replaces it, so the apply cannot download an earlier attempt's
    expect(upload.with["retention-days"]).toBe(7);
    // what preflight holds the repository's artifact retention to (review/deploy-workflow.ts)
    expect(upload.with["retention-days"]).toBe(require("../review/deploy-workflow").PLAN_RETENTION_DAYS);
    expect(upload.with.overwrite).toBe(true);
    const report = jobs().resolve.steps.find((s: any) => String(s.uses).startsWith("actions/upload-artifact@") && s.with.name === "tests-report");
    expect([report.with["retention-days"], report.with.overwrite]).toEqual([7, true]);
    // longer than any environment's window stays shut, plus a day for its reviewers: a run planned just after the
    // window closed is applied when it opens again
    const WEEK = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    for (const [name, e] of Object.entries(seedMatrix.environments)) {
      const w = e.deploymentWindow;
      if (!w) continue;
      const open = Array.from({ length: 168 }, (_, h) => (w.days as readonly string[]).includes(WEEK[Math.floor(h / 24)]) && h % 24 >= w.startHour && h % 24 < w.endHour);
      let shut = 0;
      for (let start = 0; start < 168; start++) {
        let n = 0;
        while (n < 168 && !open[(start + n) % 168]) n++;
        shut = Math.max(shut, n);
      }
      expect({ name, hours: upload.with["retention-days"] * 24 >= shut + 24 }).toEqual({ name, hours: true });
    }
  });
  it("applies, after the plan job, in the environment's GitHub environment, exactly the artifact of this run", () => {
    const apply = jobs().apply;
    expect(apply.needs).toEqual(["resolve", "plan"]);
    expect(apply.environment).toBe("${{ matrix.githubEnvironment }}");
    const downloads = apply.steps.filter((s: any) => String(s.uses).startsWith("actions/download-artifact@"));
    // no run-id: this run's artifacts, the plan job's plan and the resolve job's test report
    expect(downloads.map((d: any) => d.with)).toEqual([
      { name: "tests-report", path: "${{ runner.temp }}/tests" },
      { name: "plan-${{ matrix.environment }}", path: "plan" },
    ]);
    const names = apply.steps.map((s: any) => s.name ?? s.uses ?? s.run);
    expect(names.indexOf("The commit's test report (resolve job)")).toBeLessThan(names.indexOf("Gates"));
    expect(names.indexOf("Gates")).toBeLessThan(names.indexOf("terraform apply the saved plan"));
    expect(names.indexOf("The saved plan this run's plan job made")).toBeLessThan(names.indexOf("terraform apply the saved plan"));
  });
  it("before a gates apply, reads the bypass lists it leaves as they are with the deploy app, and fails on one the stack does not write", () => {
    const steps = jobs().apply.steps;
    const check = steps.find((s: any) => String(s.run ?? "").includes("bypass-lists"));
    // the stack about to be applied (the saved plan's folder), not a new synth, and its rulesets' ids in the plan's state
    expect(check.run).toBe("npm run --silent bypass-lists -- plan/cdk.tf.json --before-apply plan/ruleset-ids.json");
    expect(check.if).toBe("matrix.environment == 'gates'");
    // the deploy app's token, which may see bypass lists (the plan app's may not: provenance.test.ts)
    const app = steps.find((s: any) => s.id === "app");
    expect(app.with["private-key"]).toBe("${{ secrets.DEPLOY_GITHUB_APP_PRIVATE_KEY }}");
    expect(check.env).toEqual({ GITHUB_TOKEN: "${{ steps.app.outputs.token }}" });
    // after the token and the saved plan's download, before anything is recorded or applied: a failure leaves the saved
    // plan current for a re-run of the failed jobs, and fail-fast cancels the applies after it meanwhile
    const at = (name: string) => steps.findIndex((s: any) => s.name === name);
    expect(steps.indexOf(check)).toBeGreaterThan(steps.indexOf(app));
    expect(steps.indexOf(check)).toBeGreaterThan(at("The saved plan this run's plan job made"));
    expect(steps.indexOf(check)).toBeLessThan(at("Record that this stack's apply starts"));
    expect(steps.indexOf(check)).toBeLessThan(steps.findIndex((s: any) => s.id === "apply"));
    expect(check["continue-on-error"]).toBeUndefined();
    expect(jobs().apply.strategy["fail-fast"]).toBe(true);
    // the plan job writes the ids beside the saved plan, in the folder its artifact keeps
    const plan = jobs().plan.steps.find((s: any) => s.name === "terraform plan -out");
    expect(plan.run).toContain('if [ "$STACK" = gates ]; then jq -c "$RULESET_IDS" "$RUNNER_TEMP/plan.json" > "$dir/ruleset-ids.json"; fi');
    expect(plan.run.indexOf("ruleset-ids.json")).toBeGreaterThan(plan.run.indexOf('show -json tfplan > "$RUNNER_TEMP/plan.json"'));
    const upload = jobs().plan.steps.find((s: any) => String(s.uses).startsWith("actions/upload-artifact@"));
    expect(upload.with.path).toContain("cdktf.out/stacks/${{ matrix.environment }}\n");
  });
  const { terraformBinary, tf } = require("./fixtures/real-plan") as typeof import("./fixtures/real-plan");
  if (!terraformBinary() || !hasJq) console.warn("workflows.test: no terraform or jq binary on PATH: the plan job's ruleset-ids filter on a real plan is skipped");
  (terraformBinary() && hasJq ? it : it.skip)("the plan job's ruleset-ids filter, on a real terraform show -json: each managed resource of the type in the prior state, by address, with its id; none the plan creates", () => {
    const filter: string = jobs().plan.steps.find((s: any) => s.name === "terraform plan -out").env.RULESET_IDS;
    // the same filter on terraform_data (no provider to download): its `input` stands for ruleset_id
    expect(filter).toContain('.type == "github_repository_ruleset"');
    expect(filter).toContain(".values.ruleset_id");
    const onData = filter.replace('"github_repository_ruleset"', '"terraform_data"').replace(".values.ruleset_id", ".values.input");
    const dir = fs.mkdtempSync(path.join(scratchDir(), "ruleset-ids-"));
    const config = (resources: object) => fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify({ resource: { terraform_data: resources } }));
    config({ branch: { input: 101 }, creation: { count: 1, input: 102 } });
    tf(dir, "init", "-input=false");
    tf(dir, "apply", "-input=false", "-auto-approve");
    config({ branch: { input: 101 }, creation: { count: 1, input: 102 }, added: { input: 103 } });
    tf(dir, "plan", "-input=false", "-out=tfplan");
    const ids = require("node:child_process").execFileSync("jq", ["-c", onData], { input: tf(dir, "show", "-json", "tfplan"), encoding: "utf8" });
    const { stateIds } = require("../review/bypass-lists") as typeof import("../review/bypass-lists");
    expect([...stateIds(JSON.parse(ids))]).toEqual([
      ["terraform_data.branch", 101],
      ["terraform_data.creation[0]", 102],
    ]);
    // a stack with no state yet: none
    const fresh = fs.mkdtempSync(path.join(scratchDir(), "ruleset-ids-fresh-"));
    fs.writeFileSync(path.join(fresh, "main.tf.json"), JSON.stringify({ resource: { terraform_data: { branch: { input: 101 } } } }));
    tf(fresh, "init", "-input=false");
    tf(fresh, "plan", "-input=false", "-out=tfplan");
    expect(require("node:child_process").execFileSync("jq", ["-c", onData], { input: tf(fresh, "show", "-json", "tfplan"), encoding: "utf8" }).trim()).toBe("[]");
  });
  it("gates each apply on the report of this commit's tests, made once by the resolve job", () => {
    const resolve = jobs().resolve;
    const tests = resolve.steps.find((s: any) => s.name === "Tests of this commit (their report is the gates' pass rate)");
    expect(tests.run).toContain('npm test -- --ci --json --outputFile="$RUNNER_TEMP/tests/jest.json"');
    const upload = resolve.steps.find((s: any) => String(s.uses).startsWith("actions/upload-artifact@"));
    expect(upload.with).toMatchObject({ name: "tests-report", path: "${{ runner.temp }}/tests/jest.json", "if-no-files-found": "error" });
    const gate = jobs().apply.steps.find((s: any) => s.name === "Gates");
    expect(gate.run).toBe('npm run --silent gate -- "$STACK" --commit "$SHA" --report "$RUNNER_TEMP/tests/jest.json" --run "$RUN_ID" --branch "$REF"');
    // the branch the commit was pushed to: the gate wants the commit still its head (gate.test.ts)
    expect(gate.env.REF).toBe("${{ github.ref }}");
    // this run's own jobs decide "deployed first in", found by the name the apply job carries (deploy-workflow.ts applyJobName)
    expect(gate.env).toMatchObject({ SHA: "${{ github.sha }}", GITHUB_TOKEN: "${{ github.token }}", RUN_ID: "${{ github.run_id }}" });
    expect(jobs().apply.name).toBe(`${applyJobName("${{ matrix.environment }}")}`);
    // the gates read GitHub (deployments, check runs) with the job's token: read, nothing more but the deployments
    // record-apply writes after the apply (provenance.test.ts); the token reaches no other step
    expect(jobs().apply.permissions).toMatchObject({ deployments: "write", checks: "read", actions: "read" });
    const withJobToken = jobs().apply.steps.filter((s: any) => Object.values(s.env ?? {}).includes("${{ github.token }}")).map((s: any) => s.name);
    expect(withJobToken).toEqual(["Gates", "Still the newest commit of its branch, right before the apply", "Record that this stack's apply starts", "Record this stack's apply (what the next run's stacks-to-plan compares it with)"]);
    // the head checked again right before the apply: after the downloads and logins, before the record and apply
    const names = jobs().apply.steps.map((s: any) => s.name ?? "");
    const check = names.indexOf("Still the newest commit of its branch, right before the apply");
    expect(names.slice(check + 1, check + 3)).toEqual(["Record that this stack's apply starts", "terraform apply the saved plan"]);
    expect(names.indexOf("The saved plan this run's plan job made")).toBeLessThan(check);
  });
  it.each(files)("%s never deploys or applies without a saved plan", (f) => {
    const all = Object.keys(workflow(f).jobs).map((j) => runs(f, j)).join("\n");
    expect(all).not.toMatch(/cdktf (deploy|apply)/);
    expect(all).not.toMatch(/-auto-approve/);
    for (const line of all.split("\n").filter((l) => /terraform\b.*\bapply\b/.test(l))) expect(line).toMatch(/ tfplan$/);
  });
  it("applies one stack at a time, in resolve's order (gates first), never cancelling a running apply", () => {
    // queue: max, or a newer run's apply (develop's, into staging) cancels the pending one of main's run
    expect(jobs().apply.concurrency).toEqual({ group: "deploy-${{ matrix.environment }}", "cancel-in-progress": false, queue: "max" });
    expect(jobs().apply.strategy["max-parallel"]).toBe(1);
  });
  it("refuses runner-local state before planning", () => {
    const names = jobs().plan.steps.map((s: any) => s.name ?? s.uses ?? s.run);
    expect(names.indexOf("Refuse state that lives on this runner")).toBeLessThan(names.indexOf("terraform plan -out"));
  });
  it("logs in to Vault with GitHub's OIDC token, the role from the environment's variables, audience vault", () => {
    for (const job of ["plan", "apply"]) {
      const v = jobs()[job].steps.find((s: any) => String(s.uses).startsWith("hashicorp/vault-action@"));
      expect(v.with).toMatchObject({ method: "jwt", path: "${{ vars.VAULT_JWT_MOUNT }}", role: "${{ vars.VAULT_ROLE }}", jwtGithubAudience: "vault", exportToken: true });
    }
  });
  it("writes the kubeconfig private and removes it on exit", () => {
    for (const job of ["plan", "apply"]) {
      const r = runs("deploy.yml", job);
      expect(r.indexOf("umask 077")).toBeLessThan(r.indexOf("printf '%s' \"$KUBECONFIG_CONTENT\""));
      expect(r).toContain("trap 'rm -f \"$KUBE_CONFIG_PATH\"' EXIT");
    }
  });
});

describe("pull requests: the pull request's code runs without secrets, the default branch's code judges it", () => {
  it("check: tests, synthesizes and uploads the output and the matrix as data", () => {
    const r = runs("pull-request.yml", "check");
    for (const cmd of ["npm ci", "npm run typecheck", "npm test", "npm run synth", "npm run --silent matrix -- --format json"]) expect(r).toContain(cmd);
    expect(workflow("pull-request.yml").jobs.check.name).toBe("check");
  });
  it("rulesets require the check job (GitHub Actions) and the review's verdict, pinned to the review app only the verdict job can use", async () => {
    // every job a pull request runs (a required check no job posts would block every merge)
    const jobNames = Object.values(real)
      .filter((w) => triggers(w).includes("pull_request"))
      .flatMap((w) => Object.values<any>(w.jobs).map((j) => j.name));
    const verdict = workflow("pull-request-review.yml").jobs.verdict;
    // the verdict posts under each name the review job's review-checks gave for the pull request's base
    expect(verdict.steps.map((st: any) => st.run ?? "").join("\n")).toContain('-f name="$name"');
    // the command in-process (its npm script and arguments: cli-wiring.test.ts)
    const reviewChecks = async (base: string): Promise<string[]> => {
      const r = await cli(["review-checks", base]);
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout);
    };
    for (const r of Object.values<any>(gates.resource.github_repository_ruleset)) {
      const checks = r.rules?.required_status_checks?.required_check ?? [];
      if (checks.length === 0) continue;
      // a base this ruleset covers (its pattern's * as one part): the review posts the name it requires
      const base = String(r.conditions.ref_name.include[0]).replace(/^refs\/heads\//, "").replace(/\*/g, "x");
      const posted = await reviewChecks(base);
      const reviewCheck = checks.find((c: any) => c.integration_id === seedMatrix.organization.github.reviewApp.appId);
      expect(posted).toContain(reviewCheck.context);
      for (const c of checks.filter((x: any) => x !== reviewCheck)) {
        expect(jobNames).toContain(c.context);
        expect(c.integration_id).toBe(ACTIONS_APP_ID);
      }
    }
    expect(verdict.environment).toBe("${{ needs.review.outputs.reviewEnvironment }}");
    expect(verdict.steps[0].with["private-key"]).toBe("${{ secrets.REVIEW_APP_PRIVATE_KEY }}");
  });
  it("the verdict step, run by bash: posts each name the review gave, success only for the pull request as it still is (open, this head, this base); a re-run's old event or a base changed since posts failure; no name, nothing", () => {
    const step = workflow("pull-request-review.yml").jobs.verdict.steps.find((x: any) => String(x.name).startsWith("Post the verdict"));
    const dir = fs.mkdtempSync(path.join(scratchDir(), "verdict-"));
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    const posted = path.join(dir, "posted");
    // gh: the pulls API answers NOW (with the read token), a check run POST is recorded with its name and conclusion
    fs.writeFileSync(
      path.join(bin, "gh"),
      [
        "#!/usr/bin/env bash",
        'if [[ "$*" == *"repos/o/r/pulls/7"* ]]; then [ "$GH_TOKEN" = read-token ] || exit 9; [ "$NOW" != down ] || exit 1; echo "$NOW"; exit 0; fi',
        'if [[ "$1 $2 $3" == "api -X POST" ]]; then [ "$GH_TOKEN" = app-token ] || exit 9; name=""; conclusion=""; prev="";',
        '  for a in "$@"; do case "$prev" in -f) case "$a" in name=*) name="${a#name=}";; conclusion=*) conclusion="${a#conclusion=}";; esac;; esac; prev="$a"; done',
        `  [ "$name" != refused ] || exit 1; echo "$name=$conclusion" >> ${posted}; exit 0; fi`,
        "exit 1",
      ].join("\n"),
      { mode: 0o755 },
    );
    const head = "a".repeat(40);
    const runStep = (now: string, checks: string, review = "success") => {
      fs.rmSync(posted, { force: true });
      const runner = fs.mkdtempSync(path.join(dir, "runner-"));
      const r = require("node:child_process").spawnSync("bash", ["-e", "-c", step.run], {
        encoding: "utf8",
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, RUNNER_TEMP: runner, GH_TOKEN: "app-token", READ_TOKEN: "read-token", REPO: "o/r", PR: "7", HEAD_SHA: head, BASE_REF: "main", CHECKS: checks, REVIEW: review, PLAN: "success", REFUSED: "0", NOW: now },
      });
      return { status: r.status, posted: fs.existsSync(posted) ? fs.readFileSync(posted, "utf8").trim().split("\n") : [], out: `${r.stdout}${r.stderr}` };
    };
    const names = JSON.stringify(["envmatrix review (main)"]);
    expect(runStep(`open ${head} main`, names)).toMatchObject({ status: 0, posted: ["envmatrix review (main)=success"] });
    // retargeted since (the review judged it against another base), pushed since, or closed: failure
    for (const now of [`open ${head} develop`, `open ${"b".repeat(40)} main`, `closed ${head} main`]) {
      const r = runStep(now, names);
      expect([now, r.status, r.posted]).toEqual([now, 0, ["envmatrix review (main)=failure"]]);
      expect(r.out).toContain("this review speaks for neither");
    }
    // the review failed: failure, under every name
    expect(runStep(`open ${head} main`, JSON.stringify(["envmatrix review (main)", "envmatrix review (ma*)"]), "failure").posted).toEqual(["envmatrix review (main)=failure", "envmatrix review (ma*)=failure"]);
    // a base no ruleset covers: no name, nothing posted
    expect(runStep(`open ${head} main`, "[]")).toMatchObject({ status: 0, posted: [] });
    // GitHub not answering for the pull request: failure posted (an earlier success on the head must not stand)
    expect(runStep("down", names)).toMatchObject({ status: 0, posted: ["envmatrix review (main)=failure"] });
    // one post refused: the others are still posted, and the step fails
    expect(runStep(`open ${head} main`, JSON.stringify(["refused", "envmatrix review (main)"]))).toMatchObject({ status: 1, posted: ["envmatrix review (main)=success"] });
  });

  it("the review job says where and under which names its verdict goes in its first step after the install, so a review that fails later still gets its failure posted", () => {
    const review = workflow("pull-request-review.yml").jobs.review;
    expect(review.outputs.reviewEnvironment).toBe("${{ steps.verdict.outputs.reviewEnvironment }}");
    expect(review.outputs.checks).toBe("${{ steps.verdict.outputs.checks }}");
    const at = review.steps.findIndex((s: any) => s.id === "verdict");
    expect(review.steps.slice(0, at).map((s: any) => s.uses?.split("@")[0] ?? s.run)).toEqual(["actions/checkout", "actions/setup-node", "npm ci --ignore-scripts"]);
    expect(review.steps[at].run).toContain('npm run --silent review-checks -- "$BASE_REF"');
  });

  it("plans the very output the review judged: the review job keeps it as an artifact of this run right after downloading it, and the plan job takes that one (a download by name from the pull request's run takes its newest, which a re-run replaces)", () => {
    const w = workflow("pull-request-review.yml");
    const steps = w.jobs.review.steps;
    const download = steps.findIndex((s: any) => String(s.uses).startsWith("actions/download-artifact@") && s.with.name === "pull-request-synth");
    const keep = steps[download + 1];
    expect(String(keep.uses)).toMatch(/^actions\/upload-artifact@/);
    // overwrite: a re-run of the job uploads it again into the same run, which GitHub otherwise refuses
    expect(keep.with).toMatchObject({ name: "reviewed-head", path: `\${{ runner.temp }}/head/cdktf.out`, "if-no-files-found": "error", overwrite: true });
    expect(steps[download].with.path).toBe("${{ runner.temp }}/head");
    const planDownloads = w.jobs.plan.steps.filter((s: any) => String(s.uses).startsWith("actions/download-artifact@"));
    expect(planDownloads.map((s: any) => [s.with.name, s.with["run-id"], s.with.path])).toEqual([["reviewed-head", undefined, "${{ runner.temp }}/head/cdktf.out"]]);
    // nothing after the review reads the pull request's run again
    for (const [name, job] of Object.entries<any>(w.jobs)) if (name !== "review") for (const s of job.steps) expect([name, s.with?.name]).not.toEqual([name, "pull-request-synth"]);
  });

  it("plans exactly the vetted file, alone in a new folder (no other file of the pull request's is loaded)", () => {
    const r = runs("pull-request-review.yml", "plan");
    // the file planned is the one the vetting writes from what it parsed (vet-plan-input.test.ts: a repeated key)
    expect(r).toMatch(/dir="\$RUNNER_TEMP\/plan-\$STACK"\n\s*mkdir "\$dir"\n\s*npm run --silent vet-plan-input -- "\$RUNNER_TEMP\/head\/cdktf.out" cdktf.out "\$STACK" --write "\$dir\/cdk.tf.json"\n/);
    expect(r).not.toMatch(/\bcp\b[^\n]*head\/cdktf\.out/);
    expect(r).not.toMatch(/-chdir="?\$RUNNER_TEMP\/head/);
  });
  it("review runs on workflow_run, from the default branch, and reads the pull request's output as data", () => {
    const w = workflow("pull-request-review.yml");
    expect(w.on).toEqual({ workflow_run: { workflows: ["pull request"], types: ["completed"] } });
    const r = runs("pull-request-review.yml", "review");
    expect(r).toContain('npm run --silent check-matrix -- "$RUNNER_TEMP/head/matrix.json"');
    expect(r).toContain('--matrix-json "$RUNNER_TEMP/head/matrix.json"');
    expect(r).toContain('npm run --silent changed-stacks -- "$RUNNER_TEMP/base/cdktf.out" "$RUNNER_TEMP/head/cdktf.out"');
    expect(r).toContain('npm run --silent vet-plan-input -- "$RUNNER_TEMP/head/cdktf.out" cdktf.out "$stack"');
    // no step of the review workflow checks out the pull request's head
    for (const job of Object.values<any>(w.jobs)) for (const s of job.steps) expect(JSON.stringify(s.with ?? {})).not.toMatch(/head_sha|head\.sha|head_branch/);
  });
  it("judges only the check workflow's own runs, one pull request per head, and says when the pull request changed the code that made its output", () => {
    const review = workflow("pull-request-review.yml").jobs.review;
    expect(review.if).toContain("github.event.workflow_run.path == '.github/workflows/pull-request.yml'");
    const r = runs("pull-request-review.yml", "review");
    expect(r).toMatch(/if \[ "\$\(jq length <<<"\$PULL_REQUESTS"\)" -ne 1 \]; then[\s\S]*?exit 1/);
    // the changed files from the commits (all but the matrix files and the README; tests count), and the output
    // against what the base's code makes of the pull request's matrix (cli-wiring.test.ts runs both commands)
    expect(r).toContain("set -o pipefail");
    expect(r).toContain(`changed=$(git diff --name-only "$BASE_SHA...$HEAD_SHA" | { grep -Ev '^(config/environments\\.ts|config/organization\\.ts|README\\.md)$' || true; })`);
    expect(r).toContain('(cd "$code" && npm run --silent synth-matrix -- "$RUNNER_TEMP/head/matrix.json" "$RUNNER_TEMP/trusted-head" --adopted "$RUNNER_TEMP/head/adopted")');
    expect(r).toContain('differ=$(npm run --silent changed-stacks -- "$RUNNER_TEMP/trusted-head" "$RUNNER_TEMP/head/cdktf.out" | jq -r \'.[]\')');
    expect(r).toContain("**This pull request changes code that produces the output reviewed below**");
    // the warning leads the comment
    const comment = runs("pull-request-review.yml", "comment");
    expect(comment.indexOf("cat summary/warning.md")).toBeGreaterThan(0);
    expect(comment.indexOf("cat summary/warning.md")).toBeLessThan(comment.indexOf("cat summary/notes.md"));
    // the check job hands the adopt files over with the matrix
    expect(runs("pull-request.yml", "check")).toContain('if [ -d stacks/adopted ]; then cp -R stacks/adopted "$RUNNER_TEMP/review/adopted"; fi');
  });
  it("the warning step, run by bash: names the files beyond the matrix (tests too) and the stacks the base's code would not make; says nothing for a matrix-only change it reproduces; fails when the files cannot be read", () => {
    const step = workflow("pull-request-review.yml").jobs.review.steps.find((x: any) => String(x.run ?? "").includes("synth-matrix"));
    const dir = fs.mkdtempSync(path.join(scratchDir(), "review-warning-"));
    const git = (cwd: string, ...args: string[]) => require("node:child_process").execFileSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd, encoding: "utf8" }).trim();
    // origin: main with the matrix, and a pull request's head on refs/pull/7/head; the job's checkout has main only
    const origin = path.join(dir, "origin");
    fs.mkdirSync(path.join(origin, "config"), { recursive: true });
    git(origin, "init", "-q", "-b", "main");
    fs.writeFileSync(path.join(origin, "config", "environments.ts"), "export const a = 1;\n");
    git(origin, "add", "-A");
    git(origin, "commit", "-q", "-m", "base");
    const base = git(origin, "rev-parse", "HEAD");
    const head = (files: Record<string, string>) => {
      git(origin, "checkout", "-q", "--detach", base);
      for (const [f, t] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(origin, f)), { recursive: true });
        fs.writeFileSync(path.join(origin, f), t);
      }
      git(origin, "add", "-A");
      git(origin, "commit", "-q", "-m", "pr");
      const sha = git(origin, "rev-parse", "HEAD");
      git(origin, "update-ref", "refs/pull/7/head", sha);
      git(origin, "checkout", "-q", "main");
      return sha;
    };
    const checkout = path.join(dir, "checkout");
    git(dir, "clone", "-q", "--branch", "main", origin, checkout);
    // npm: synth-matrix makes its folder; changed-stacks says what CHANGED holds; jq -r '.[]' as jq would
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    // matrix-data: the real command (a matrix file that holds more than data is code)
    const matrixData = `exec "${process.execPath}" --require "${require.resolve("tsx/cjs")}" "${path.resolve(__dirname, "..", "scripts", "cli.ts")}" matrix-data "\${@: -1}"`;
    fs.writeFileSync(path.join(bin, "npm"), ["#!/usr/bin/env bash", 'if [[ "$*" == *synth-matrix* ]]; then exit 0; fi', 'if [[ "$*" == *changed-stacks* ]]; then echo "$CHANGED"; exit 0; fi', `if [[ "$*" == *matrix-data* ]]; then ${matrixData}; fi`, "exit 1"].join("\n"), { mode: 0o755 });
    fs.writeFileSync(path.join(bin, "jq"), ["#!/usr/bin/env bash", "tr -d '[]\" ' | tr ',' '\\n' | sed '/^$/d'"].join("\n"), { mode: 0o755 });
    const runStep = (headSha: string, changed: string, baseSha = base, originUrl = origin) => {
      const runner = fs.mkdtempSync(path.join(dir, "runner-"));
      fs.mkdirSync(path.join(runner, "summary"));
      git(checkout, "remote", "set-url", "origin", originUrl);
      const r = require("node:child_process").spawnSync("bash", ["-e", "-c", step.run], {
        cwd: checkout,
        encoding: "utf8",
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, RUNNER_TEMP: runner, GITHUB_WORKSPACE: checkout, BASE_SHA: baseSha, HEAD_SHA: headSha, PR: "7", CHANGED: changed, GITHUB_TOKEN: "t" },
      });
      const warning = path.join(runner, "summary", "warning.md");
      return { status: r.status, warning: fs.existsSync(warning) ? fs.readFileSync(warning, "utf8") : "" };
    };
    // the matrix alone, reproduced by the base's code: no warning
    const matrixOnly = head({ "config/environments.ts": "export const a = 2;\n" });
    expect(runStep(matrixOnly, "[]")).toEqual({ status: 0, warning: "" });
    // a matrix file that runs something where it is loaded (the deploy workflow loads it with its credentials), its
    // output the same: code, named
    const matrixCode = head({ "config/environments.ts": 'export const a = process.env.GITHUB_EVENT_NAME === "push" ? require("node:child_process").execSync("id") : 2;\n' });
    const coded = runStep(matrixCode, "[]");
    expect(coded.status).toBe(0);
    expect(coded.warning).toContain("> Files:\n> - config/environments.ts (not data only: code that runs wherever the matrix is loaded)\n");
    // the matrix alone, but the output is not what the base's code makes of it: the stacks named
    const altered = runStep(matrixOnly, '["prod"]');
    expect(altered.status).toBe(0);
    expect(altered.warning).toContain("**This pull request changes code that produces the output reviewed below**");
    expect(altered.warning).toContain("> Stacks whose output is not what the base's code makes of this matrix:\n> - prod\n");
    expect(altered.warning).not.toContain("> Files:");
    // a test changed (tests run before the pull request's synth): named, even with the output reproduced
    const withTest = head({ "config/environments.ts": "export const a = 3;\n", "__tests__/x.test.ts": "it('x', () => {});\n" });
    const named = runStep(withTest, "[]");
    expect(named.warning).toContain("> Files:\n> - __tests__/x.test.ts\n");
    expect(named.warning).not.toContain("config/environments.ts");
    // the base moved on after the pull request left it: its own later files are not the pull request's
    git(origin, "checkout", "-q", "main");
    fs.mkdirSync(path.join(origin, "review"), { recursive: true });
    fs.writeFileSync(path.join(origin, "review", "other.ts"), "export {};\n");
    git(origin, "add", "-A");
    git(origin, "commit", "-q", "-m", "another pull request, merged");
    const movedBase = git(origin, "rev-parse", "HEAD");
    git(checkout, "pull", "-q", "origin", "main");
    const sinceFork = runStep(withTest, "[]", movedBase);
    expect(sinceFork.warning).toContain("> - __tests__/x.test.ts\n");
    expect(sinceFork.warning).not.toContain("review/other.ts");
    // a head the full clone already has is not fetched again (the job's checkout keeps no credentials)
    git(checkout, "fetch", "-q", origin, "refs/pull/7/head");
    expect(runStep(withTest, "[]", movedBase, "/nonexistent-origin").status).toBe(0);
    // a long list of files: the first 20 and how many more (files sorted ahead cannot hide the rest), and the step
    // still succeeds (no pipe cut short under pipefail)
    const many = head(Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`review/generated-${i}-${"x".repeat(20)}.ts`, "export {};\n"])));
    const long = runStep(many, "[]", movedBase);
    const listed = long.warning.split("\n").filter((l) => l.startsWith("> - "));
    expect([long.status, listed.length, listed[20]]).toEqual([0, 21, "> - … and 2980 more"]);
    // a commit the checkout cannot read fails the step (and so the review), never passes quietly
    expect(runStep("f".repeat(40), "[]").status).not.toBe(0);
  });

  it("fails the verdict when a plan fails, after writing its summary", () => {
    const plan = runs("pull-request-review.yml", "plan");
    expect(plan.trim().endsWith('[ -z "${failed:-}" ]')).toBe(true);
    const upload = workflow("pull-request-review.yml").jobs.plan.steps.find((x: any) => String(x.uses).startsWith("actions/upload-artifact@"));
    expect(upload.if).toBe("always()");
    const verdict = runs("pull-request-review.yml", "verdict");
    expect(verdict).toContain('if [ "$REVIEW" = success ] && { [ "$PLAN" = success ] || [ "$PLAN" = skipped ]; }; then conclusion=success; fi');
  });
  it("plans vetted stacks with read-only credentials, no lock, and shows only the summary", () => {
    const r = runs("pull-request-review.yml", "plan");
    expect(r).toContain('npm run --silent vet-plan-input -- "$RUNNER_TEMP/head/cdktf.out" cdktf.out "$STACK" --write "$dir/cdk.tf.json"');
    expect(r).toMatch(/plan -input=false -lock=false -out=tfplan > \/dev\/null 2>&1/);
    expect(workflow("pull-request-review.yml").jobs.plan.environment).toBe("${{ matrix.planEnvironment }}");
  });
  it("posts one comment, updated in place, from a job that only downloads summaries", () => {
    const c = workflow("pull-request-review.yml").jobs.comment;
    expect(c.permissions).toEqual({ actions: "read", "pull-requests": "write" });
    expect(c.steps.map((s: any) => s.uses?.split("@")[0] ?? "run")).toEqual(["actions/download-artifact", "run"]);
    const r = runs("pull-request-review.yml", "comment");
    expect(r).toContain("<!-- envmatrix: synthesized diff and plan -->");
    expect(r).toContain('gh api -X PATCH "repos/$REPO/issues/comments/$id"');
    expect(r).toContain("Generated from the head's synthesized output");
  });
});

describe("drift", () => {
  it("plans every stack on a schedule with read-only credentials, -lock=false and -detailed-exitcode, and fails on drift", () => {
    const w = workflow("drift.yml");
    expect(w.on.schedule).toHaveLength(1);
    expect(runs("drift.yml", "stacks")).toContain("npm run --silent resolve-environment -- --all");
    const plan = runs("drift.yml", "plan");
    expect(plan).toContain("plan -input=false -lock=false -no-color -detailed-exitcode");
    expect(plan).toMatch(/if \[ "\$code" -eq 2 \]; then[\s\S]*exit 1/);
    expect(w.jobs.plan.environment).toBe("${{ matrix.planEnvironment }}");
    // the plan reads the output the "at" step chose
    expect(plan).toContain('dir="$OUT/stacks/$STACK"');
    expect(w.jobs.plan.steps.find((x: any) => x.name?.startsWith("Plan with")).env.OUT).toBe("${{ steps.at.outputs.out }}");
    expect(w.jobs.plan.permissions).toMatchObject({ deployments: "read", actions: "read", "pull-requests": "read" });
    expect(w.jobs.plan.steps[0].with["fetch-depth"]).toBe(0);
  });

  it("reads each stack's Vault roles with the planner's token after its plan, drift or not: what no plan shows emptied (vault-roles.test.ts)", () => {
    const steps = workflow("drift.yml").jobs.plan.steps;
    const check = steps.find((x: any) => String(x.run ?? "").includes("vault-roles"));
    // the stack as last applied, the output the plan read
    expect(check.run).toBe('npm run --silent vault-roles -- "$OUT/stacks/$STACK/cdk.tf.json"');
    expect(check.env).toEqual({ STACK: "${{ matrix.environment }}", OUT: "${{ steps.at.outputs.out }}" });
    // after the plan, whatever it found, once the planner's Vault login (VAULT_TOKEN, exported) and the synthesis succeeded
    const vault = steps.find((x: any) => String(x.uses).startsWith("hashicorp/vault-action@"));
    expect([vault.id, vault.with.exportToken]).toEqual(["vault", true]);
    expect(steps.indexOf(check)).toBeGreaterThan(steps.findIndex((x: any) => x.name?.startsWith("Plan with")));
    expect(check.if).toBe("${{ !cancelled() && steps.vault.outcome == 'success' && steps.at.outcome == 'success' }}");
  });

  it("reads each stack's Kubernetes objects with the plan kubeconfig after its plan, drift or not (cluster-fields.test.ts)", () => {
    const steps = workflow("drift.yml").jobs.plan.steps;
    const check = steps.find((x: any) => String(x.run ?? "").includes("cluster-fields"));
    expect(check.run).toContain('npm run --silent cluster-fields -- "$OUT/stacks/$STACK/cdk.tf.json"');
    // the plan's kubeconfig, written as the plan step writes it: owner-only, removed when the step ends
    expect(check.env).toEqual({ STACK: "${{ matrix.environment }}", OUT: "${{ steps.at.outputs.out }}", KUBECONFIG_CONTENT: "${{ secrets.PLAN_KUBECONFIG }}" });
    const lines = check.run.trim().split("\n");
    expect(lines.slice(0, 4)).toEqual(["umask 077", 'export KUBE_CONFIG_PATH="$RUNNER_TEMP/kubeconfig"', `trap 'rm -f "$KUBE_CONFIG_PATH"' EXIT`, `printf '%s' "$KUBECONFIG_CONTENT" > "$KUBE_CONFIG_PATH"`]);
    expect(steps.indexOf(check)).toBeGreaterThan(steps.findIndex((x: any) => x.name?.startsWith("Plan with")));
    expect(check.if).toBe("${{ !cancelled() && steps.at.outcome == 'success' }}");
  });

  it("the plan step, run by bash: a plan that only rewrites bypass lists passes (drift-verdict 0), drift fails the job with the summary (2), a verdict that failed fails it too", () => {
    const step = workflow("drift.yml").jobs.plan.steps.find((x: any) => x.name?.startsWith("Plan with"));
    const dir = fs.mkdtempSync(path.join(scratchDir(), "drift-plan-"));
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    // terraform: the plan finds changes (exit 2); npm: drift-verdict answers VERDICT, plan-summary one line
    fs.writeFileSync(path.join(bin, "terraform"), ["#!/usr/bin/env bash", 'if [[ "$*" == *" plan "* ]]; then exit 2; fi', 'if [[ "$*" == *" show "* ]]; then echo "{}"; fi', "exit 0"].join("\n"), { mode: 0o755 });
    fs.writeFileSync(path.join(bin, "npm"), ["#!/usr/bin/env bash", 'if [[ "$*" == *drift-verdict* ]]; then echo "verdict said"; exit "$VERDICT"; fi', 'if [[ "$*" == *plan-summary* ]]; then echo "summary said"; fi', "exit 0"].join("\n"), { mode: 0o755 });
    const runStep = (verdict: number) => {
      const runner = fs.mkdtempSync(path.join(dir, "runner-"));
      const summary = path.join(runner, "summary");
      const r = require("node:child_process").spawnSync("bash", ["-e", "-c", step.run], {
        cwd: dir,
        encoding: "utf8",
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, RUNNER_TEMP: runner, GITHUB_STEP_SUMMARY: summary, STACK: "gates", OUT: "cdktf.out", KUBECONFIG_CONTENT: "", VERDICT: String(verdict) },
      });
      return { status: r.status, summary: fs.existsSync(summary) ? fs.readFileSync(summary, "utf8") : "", out: `${r.stdout}${r.stderr}` };
    };
    const unseen = runStep(0);
    expect([unseen.status, unseen.summary]).toEqual([0, "verdict said\ngates: no drift the planner can see\n"]);
    const drifted = runStep(2);
    expect(drifted.status).toBe(1);
    expect(drifted.summary).toContain("### Drift in gates\nsummary said\n");
    expect(drifted.out).toContain("::error::gates has drifted from the matrix");
    expect(runStep(1).status).toBe(1);
  });

  it("plans each stack as it was last applied: its step, run by bash, synthesizes the commit last-applied names in a worktree, this checkout when that is it, and the default branch's with a warning when none is known", () => {
    const step = workflow("drift.yml").jobs.plan.steps.find((x: any) => x.id === "at");
    const dir = fs.mkdtempSync(path.join(scratchDir(), "drift-at-"));
    const repo = path.join(dir, "repo");
    const git = (...args: string[]) => require("node:child_process").execFileSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd: repo, encoding: "utf8" }).trim();
    fs.mkdirSync(repo);
    git("init", "-q", "-b", "main");
    git("commit", "-q", "--allow-empty", "-m", "c1");
    const c1 = git("rev-parse", "HEAD");
    git("commit", "-q", "--allow-empty", "-m", "c2");
    const c2 = git("rev-parse", "HEAD");
    // npm: last-applied says LAST; synth records where it ran; ci does nothing
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    const synthesized = path.join(dir, "synthesized");
    fs.writeFileSync(
      path.join(bin, "npm"),
      ["#!/usr/bin/env bash", 'if [[ "$*" == *last-applied* ]]; then [ -z "$LAST" ] || echo "$LAST"; exit 0; fi', `if [[ "$*" == "run synth" ]]; then git rev-parse HEAD >> ${synthesized}; exit 0; fi`, "exit 0"].join("\n"),
      { mode: 0o755 },
    );
    const runStep = (last: string) => {
      const runner = fs.mkdtempSync(path.join(dir, "runner-"));
      fs.rmSync(synthesized, { force: true });
      const out = path.join(runner, "output");
      const log = require("node:child_process").execFileSync("bash", ["-e", "-c", step.run], {
        cwd: repo,
        encoding: "utf8",
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, RUNNER_TEMP: runner, GITHUB_OUTPUT: out, GITHUB_STEP_SUMMARY: path.join(runner, "summary"), STACK: "staging", LAST: last },
      });
      if (fs.existsSync(path.join(runner, "at"))) git("worktree", "remove", "--force", path.join(runner, "at"));
      return { out: fs.readFileSync(out, "utf8").trim(), synthesized: fs.readFileSync(synthesized, "utf8").trim(), log, runner };
    };
    const older = runStep(c1);
    expect(older.out).toBe(`applied=true\nout=${older.runner}/at/cdktf.out`);
    expect(older.synthesized).toBe(c1);
    const same = runStep(c2);
    expect([same.out, same.synthesized]).toEqual(["applied=true\nout=cdktf.out", c2]);
    // no record: drift-verdict then takes an empty state for a stack never deployed
    const none = runStep("");
    expect([none.out, none.synthesized]).toEqual(["applied=false\nout=cdktf.out", c2]);
    expect(none.log).toContain("::warning::staging: no usable apply record (the line above says why); compared with the default branch's config");
    // a commit on no branch of the clone (a deleted hotfix branch's): the default branch's, said why
    const gone = runStep("e".repeat(40));
    // an apply on record, of a commit no branch has: its empty state would still be lost state
    expect([gone.out, gone.synthesized]).toEqual(["applied=true\nout=cdktf.out", c2]);
    expect(gone.log).toContain(`::warning::staging: its last applied commit ${"e".repeat(40)} is on no branch of this repository`);
  });
});

describe("security checks (.github/workflows/security.yml): what the source documents gate staging by", () => {
  const sec = workflow("security.yml");
  const job = (name: string) => Object.values<any>(sec.jobs).find((j) => j.name === name);
  const rulesets = Object.values<any>(gates.resource.github_repository_ruleset).filter((r) => r.rules?.pull_request);
  const branchOf = (r: any) => r.conditions.ref_name.include[0].replace(/^refs\/heads\//, "");

  it("run on every pull request, and on a push to each branch a ruleset protects (code scanning compares a pull request with its base's results)", () => {
    expect(triggers(sec)).toEqual(["pull_request", "push"]);
    expect(sec.on.pull_request).toBeNull();
    const protectedBranches = [...new Set(Object.values(seedMatrix.environments).map((e) => e.identity.protectedBranch).filter((b): b is string => b !== null))].sort();
    expect([...sec.on.push.branches].sort()).toEqual(protectedBranches);
  });

  it("each protected branch with code scanning in the matrix waits for CodeQL's results, with the matrix's thresholds; CodeQL analyses the TypeScript", () => {
    const scanned = Object.values(seedMatrix.environments).filter((e) => e.identity.protectedBranch !== null);
    expect(scanned.length).toBeGreaterThan(0);
    for (const e of scanned) {
      const r = rulesets.find((x) => branchOf(x) === e.identity.protectedBranch)!;
      expect(r.rules.required_code_scanning.required_code_scanning_tool).toEqual([
        { tool: e.approval.codeScanning!.tool, alerts_threshold: e.approval.codeScanning!.alertsThreshold, security_alerts_threshold: e.approval.codeScanning!.securityAlertsThreshold },
      ]);
      // github/codeql-action uploads its results as the tool "CodeQL"
      expect(e.approval.codeScanning!.tool).toBe("CodeQL");
    }
    const codeql = job("CodeQL analysis");
    expect(codeql.steps.map((st: any) => st.uses.split("@")[0])).toEqual(["actions/checkout", "github/codeql-action/init", "github/codeql-action/analyze"]);
    expect(codeql.steps[1].with).toMatchObject({ languages: "javascript-typescript", "build-mode": "none" });
    expect(codeql.permissions).toEqual({ contents: "read", "security-events": "write" });
  });

  it("dependency review runs on pull requests and fails on a high-severity advisory; npm audit signatures verifies what npm ci installed, without running its scripts", () => {
    const review = job("dependency review");
    expect(review.if).toBe("github.event_name == 'pull_request'");
    expect(review.steps.map((st: any) => st.uses?.split("@")[0])).toContain("actions/dependency-review-action");
    expect(review.steps.find((st: any) => String(st.uses).startsWith("actions/dependency-review-action@")).with["fail-on-severity"]).toBe("high");
    const audit = job("npm audit signatures").steps.map((st: any) => st.run).filter(Boolean);
    expect(audit).toEqual(["npm ci --ignore-scripts", "npm audit signatures"]);
  });

  it("the branches that staging and prod deploy from require them: the checks pinned to GitHub Actions", () => {
    for (const env of ["staging", "prod"]) {
      const e = seedMatrix.environments[env];
      const r = rulesets.find((x) => branchOf(x) === e.identity.protectedBranch)!;
      const contexts = r.rules.required_status_checks.required_check.filter((c: any) => c.integration_id === ACTIONS_APP_ID).map((c: any) => c.context);
      expect(contexts).toEqual(expect.arrayContaining(["dependency review", "npm audit signatures"]));
      expect(r.rules.required_code_scanning).toBeDefined();
    }
  });
});
