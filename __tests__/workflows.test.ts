/** The project's own GitHub Actions workflows: valid for GitHub, pinned, and wired to the matrix rather than copies of it. */
import * as fs from "node:fs";
import * as path from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { parse } from "yaml";
import { seedMatrix } from "./helpers";

const dir = path.resolve(__dirname, "..", ".github", "workflows");
const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
const text = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
const workflow = (f: string): any => parse(text(f));
const steps = (f: string, job: string): any[] => workflow(f).jobs[job].steps;
const runs = (f: string, job: string) => steps(f, job).map((s) => s.run ?? "").join("\n");

describe("workflows", () => {
  it("are the pull-request, deploy and drift workflows", () => {
    expect(files).toEqual(["deploy.yml", "drift.yml", "pull-request.yml"]);
  });

  it.each(files)("%s passes action-validator", (f) => {
    expect(validateWorkflow(text(f)).errors).toEqual([]);
  });

  it("action-validator rejects a broken workflow", () => {
    const broken = text("deploy.yml").replace("runs-on: ubuntu-latest", "runs_on: ubuntu-latest");
    expect(validateWorkflow(broken).errors.length).toBeGreaterThan(0);
  });

  it.each(files)("%s pins every action to a full commit SHA", (f) => {
    const uses = Object.values<any>(workflow(f).jobs).flatMap((j) => (j.steps ?? []).map((s: any) => s.uses).filter(Boolean));
    expect(uses.length).toBeGreaterThan(0);
    for (const u of uses) expect(u).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
  });

  it.each(files)("%s holds no environment's branch map or GitHub environment name: it asks the matrix", (f) => {
    const t = text(f);
    for (const e of Object.values(seedMatrix.environments)) {
      expect(t).not.toContain(`"${e.identity.githubEnvironment}"`);
      expect(t).not.toMatch(new RegExp(`environment:\\s*${e.identity.githubEnvironment}\\s*$`, "m"));
    }
    expect(t).not.toContain("hotfix/");
  });
});

describe("pull request workflow", () => {
  const check = () => runs("pull-request.yml", "check");
  it("installs from the lock file, type-checks, tests and synthesizes head and base", () => {
    for (const cmd of ["npm ci", "npm run typecheck", "npm test", "npm run synth", "git worktree add"]) expect(check()).toContain(cmd);
  });
  it("finds the changed stacks and comments a summary", () => {
    expect(check()).toContain("npm run --silent changed-stacks --");
    expect(check()).toContain('npm run --silent diff -- "$RUNNER_TEMP/base/cdktf.out" cdktf.out --format markdown');
    expect(check()).toContain("gh pr comment");
    expect(check()).toContain("npm run --silent compare -- staging prod");
  });
  it("plans only the changed stacks", () => {
    const plan = workflow("pull-request.yml").jobs.plan;
    expect(plan.if).toBe("needs.check.outputs.changed != '[]'");
    expect(plan.strategy.matrix.stack).toBe("${{ fromJSON(needs.check.outputs.changed) }}");
    expect(runs("pull-request.yml", "plan")).toContain('npx cdktf plan "$STACK"');
  });
  it("names its job 'check', the status check protected branches require", () => {
    expect(workflow("pull-request.yml").jobs.check.name).toBe("check");
    for (const e of Object.values(seedMatrix.environments)) {
      for (const c of e.approval.requiredStatusChecks) expect(Object.values<any>(workflow("pull-request.yml").jobs).map((j) => j.name)).toContain(c);
    }
  });
});

describe("deploy workflow", () => {
  const deploy = () => workflow("deploy.yml").jobs.deploy;
  it("resolves branch → environments with the matrix's script, keeping only changed stacks", () => {
    expect(runs("deploy.yml", "resolve")).toContain('npm run --silent resolve-environment -- "$REF" --changed-between');
  });
  it("runs each deploy in its GitHub environment, so that environment's protection rules apply", () => {
    expect(deploy().environment).toBe("${{ matrix.githubEnvironment }}");
    expect(deploy().strategy.matrix).toBe("${{ fromJSON(needs.resolve.outputs.targets) }}");
  });
  it("deploys one environment at a time, in promotion order, and never cancels a running apply", () => {
    expect(deploy().concurrency).toEqual({ group: "deploy-${{ matrix.environment }}", "cancel-in-progress": false });
    expect(deploy().strategy["max-parallel"]).toBe(1);
  });
  it("checks the deployment window and refuses runner-local state before it applies", () => {
    const names = deploy().steps.map((s: any) => s.name ?? s.uses ?? s.run);
    const window = names.indexOf("Deployment window");
    const apply = names.indexOf("cdktf deploy");
    expect(window).toBeGreaterThan(-1);
    expect(apply).toBeGreaterThan(window);
    expect(names.indexOf("Refuse state that lives on this runner")).toBeLessThan(apply);
    expect(runs("deploy.yml", "deploy")).toContain('npm run --silent deploy-window -- "$ENVIRONMENT"');
  });
  it("takes every provider's credentials, from secrets only", () => {
    const env = deploy().steps.find((s: any) => s.name === "cdktf deploy").env;
    for (const [k, v] of Object.entries<string>(env)) if (k !== "ENVIRONMENT") expect(v).toMatch(/^\$\{\{ secrets\.[A-Z_]+ \}\}$/);
    expect(Object.keys(env)).toEqual(expect.arrayContaining(["KUBECONFIG_CONTENT", "VAULT_TOKEN", "GITHUB_TOKEN", "DD_API_KEY", "DD_APP_KEY"]));
  });

  it.each([
    ["pull-request.yml", "plan", "cdktf plan"],
    ["drift.yml", "plan", "Plan with -detailed-exitcode"],
  ])("%s plans with every provider's read-only credentials", (file, job, step) => {
    const env = workflow(file).jobs[job].steps.find((s: any) => s.name === step).env;
    for (const k of ["KUBECONFIG_CONTENT", "VAULT_TOKEN", "GITHUB_TOKEN", "DD_API_KEY", "DD_APP_KEY"]) {
      expect(env[k]).toMatch(/^\$\{\{ secrets\.PLAN_[A-Z_]+ \}\}$/);
    }
  });
});

describe("drift workflow", () => {
  it("plans every stack on a schedule with -detailed-exitcode and fails on drift", () => {
    const w = workflow("drift.yml");
    expect(w.on.schedule).toHaveLength(1);
    expect(runs("drift.yml", "stacks")).toContain("npm run --silent resolve-environment -- --all");
    const plan = runs("drift.yml", "plan");
    expect(plan).toContain("terraform plan -input=false -lock=false -no-color -detailed-exitcode");
    expect(plan).toMatch(/if \[ "\$code" -eq 2 \]; then[\s\S]*exit 1/);
  });
});
