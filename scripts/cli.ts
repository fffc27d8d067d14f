/**
 * envmatrix's command line: the reviewer tools (npm run diff | compare | matrix | changed-stacks) and what the
 * workflows ask of the matrix (npm run resolve-environment | deploy-window). Colour and progress at a terminal,
 * plain text when piped or in CI. Exit codes: 1 is always an error (bad arguments, bad input);
 * diff 2 = something changed; compare 3 = drift; resolve-environment 3 = no environment deploys from the
 * branch; deploy-window 4 = the window is closed; vet-plan-input 5 = a pull request's stack may not be planned;
 * reviewed-branch 6 = the branch is not protected with a required review; provenance 7 = unreviewed commits;
 * gate 8 = a gate of the environment failed; adopt 1 = a lookup failed or was denied (nothing written);
 * branch-request 9 = the branches workflow may not create or delete that branch.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Command, Option } from "commander";
import type { App } from "cdktf";
import { environmentNamed, loadMatrix, unknownEnvironment } from "../config";
import { stackOf, teamStacks } from "../config/stacks";
import { checkMatrix, GATES_STACK, oneLine } from "../config/validate";
import { matrixJsonSchema } from "../config/schema";
import { branchMatches, vaultGlobMatches } from "../config/branches";
import { matrix as definition } from "../config/environments";
import type { MatrixDefinition } from "../config/types";
import { allTargets, appliedLike, describeWindow, environmentsForBranch, localTime, NoEnvironmentError, reviewCheck, windowIsOpen } from "../config/promotion";
import { changedStacks } from "../review/changed-stacks";
import { prepareSynthProcess } from "../stacks/token-stack-traces";
import { codeowners } from "../review/codeowners";
import { deployerRbac } from "../review/deployer-rbac";
import { clusterBootstrap, vaultCommands } from "../review/cluster-bootstrap";
import { preflightReads } from "../review/preflight-reads";
import { changesObjects, planMarkdown, PlanFormatError, summarizePlan } from "../review/plan-summary";
import { matrixMarkdown, matrixText } from "../review/matrix-table";
import { anythingChanged, diffOutputs, formatMarkdown, formatText } from "../review/stack-diff";
import { readOutput } from "../review/synth-output";
import { vetStackForPlan } from "../review/vet-plan-input";
import { colors, progress, progressDone } from "../review/terminal";
import { checklistMarkdown } from "../review/checklist";
import { costDelta, costMarkdown, costText } from "../review/cost";
import type { Matrix } from "../config/types";
import { withScratchFolder } from "../stacks/scratch-folder";

/** Where a run of the CLI writes, and the matrix it reads: the process's by default, a test's in-process. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** The matrix of config/environments.ts unless a test gives another. */
  readonly loadMatrix: () => Matrix;
}

/** Ends a command with an exit code (thrown by `exit`, caught by `runCli`). */
class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

// provenance and preflight use ESM-only clients (@octokit/rest, @kubernetes/client-node): loaded when their
// command runs, so every other command also runs in-process under jest's CommonJS loader
// (require, not import(): tsx's CommonJS hook resolves a require without its extension, an import() it does not)
const provenanceModule = async (): Promise<typeof import("../review/provenance")> => require("../review/provenance");
const preflightModule = async (): Promise<typeof import("../review/preflight")> => require("../review/preflight");
const gateModule = async (): Promise<typeof import("../review/gate")> => require("../review/gate");
const adoptModule = async (): Promise<typeof import("../review/adopt")> => require("../review/adopt");
// the stacks themselves (cdktf and the providers' bindings) only for the commands that synthesize: every other
// command starts without loading them (a third of a second per process, measured here)
const stacksModule = (): typeof import("../main") => require("../main");
const compareModule = (): typeof import("../review/compare") => require("../review/compare");
const ADOPTED_DIR_DEFAULT = path.resolve(__dirname, "..", "stacks", "adopted");

const format = () => new Option("--format <format>", "output format").choices(["text", "markdown"]).default("text");

/** The matrix to use: config/environments.ts, or a definition exported as JSON (`matrix --format json`) by another checkout. */
function matrixFrom(io: CliIo, file?: string) {
  if (file === undefined) return io.loadMatrix();
  let def: unknown;
  try {
    def = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`${file}: not a matrix exported as JSON (${(err as Error).message})`);
  }
  return checkMatrix(def as MatrixDefinition, file);
}

/** Whether a push to a branch deploys `stack` (a record made on any such branch counts for it: review/provenance.ts lastApplied). */
const deploysStack = (m: Matrix, stack: string) => (branch: string) => {
  try {
    return environmentsForBranch(m, branch).some((x) => x.environment === stack);
  } catch (err) {
    if (err instanceof NoEnvironmentError) return false;
    throw err;
  }
};

/**
 * Kubernetes objects as one multi-document YAML for a cluster admin to read and `kubectl apply`: every value written
 * out where it is, no YAML anchors and aliases for repeated lists.
 */
// yaml only for the commands that print manifests (its 70 modules cost every other command about 0.15 s to start)
const manifestsYaml = (objects: readonly object[]) => {
  const { stringify } = require("yaml") as typeof import("yaml");
  return objects.map((o) => stringify(o, { aliasDuplicateObjects: false })).join("---\n").trimEnd();
};

/** The settings a stack is applied with (the gates stack: those of the environment it follows), or the unknown-environment error. */
function appliedSettings(m: Matrix, stack: string) {
  const settings = appliedLike(m, stack);
  if (!settings) throw unknownEnvironment(m, stack);
  return settings;
}

/** The environment's stack in a synth output folder, or an error that says to synthesize. */
function synthesizedStack(out: string, environment: string) {
  const stack = readOutput(out).get(environment);
  if (!stack) throw new Error(`${out} has no stack ${environment} (run npm run synth)`);
  return stack;
}

/**
 * The endpoints and credentials `plan` uses, for preflight and adopt: the ecosystems' usual variables (which may
 * point a client elsewhere than the matrix: a proxy, a fake in tests), else the matrix's addresses.
 */
async function planEndpoints(m: Matrix): Promise<import("../review/preflight").Endpoints> {
  const { github } = await provenanceModule();
  const env = process.env;
  return {
    kubeconfigPath: env.KUBE_CONFIG_PATH ?? `${env.HOME}/.kube/config`,
    vaultAddress: env.VAULT_ADDR ?? m.organization.vault.address,
    vaultToken: env.VAULT_TOKEN ?? "",
    vaultCaPem: m.organization.vault.caCertificatePem,
    datadogApiUrl: env.DD_HOST ?? m.organization.datadog.apiUrl,
    datadogApiKey: env.DD_API_KEY ?? "",
    datadogAppKey: env.DD_APP_KEY ?? "",
    github: github(env.GITHUB_TOKEN ?? env.GH_TOKEN),
    providerEnv: env,
  };
}

/** The program, writing to `io`; each command's exit code is thrown as an `Exit` (0 when it returns). */
export function buildProgram(io: CliIo): Command {
  const log = (text: string) => io.stdout(`${text}\n`);
  const warn = (text: string) => io.stderr(`${text}\n`);
  const exit = (code: number): never => {
    throw new Exit(code);
  };
  const loadMatrix = io.loadMatrix;

  const program = new Command("envmatrix")
    .description("Review tools for the synthesized Terraform of every environment")
    .showHelpAfterError()
    // commander's own exits (help, a bad argument) become exit codes too: 0 for help, 1 for any error
    .exitOverride((err) => exit(err.exitCode === 0 ? 0 : 1))
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  program
    .command("diff")
    .description("per stack, the resources added, removed, changed and replaced between two synth outputs")
    .argument("<base>", "the base cdktf.out (e.g. of the target branch)")
    .argument("[head]", "the head cdktf.out", "cdktf.out")
    .addOption(format())
    .option("--stack <names...>", "only these stacks")
    .action((base: string, head: string, opts: { format: "text" | "markdown"; stack?: string[] }) => {
      progress(`reading ${base} and ${head}…`);
      const m = loadMatrix();
      const diffs = diffOutputs(base, head, (s) => appliedLike(m, s)?.protected === true).filter((d) => opts.stack === undefined || opts.stack.includes(d.stack));
      progressDone();
      log(opts.format === "markdown" ? formatMarkdown(diffs) : formatText(diffs, colors));
      exit(anythingChanged(diffs) ? 2 : 0);
    });

  program
    .command("compare")
    .description("two environments side by side, identity normalized: each difference and the matrix field behind it; fails on drift")
    .argument("<a>", "environment, e.g. staging")
    .argument("<b>", "environment, e.g. prod")
    .addOption(format())
    .option("--matrix-json <file>", "compare the matrix exported by `matrix --format json` (a pull request's) with this checkout's code")
    .action((a: string, b: string, opts: { format: "text" | "markdown"; matrixJson?: string }) => {
      const { compareEnvironments, formatComparison } = compareModule();
      const c = compareEnvironments(matrixFrom(io, opts.matrixJson), a, b, undefined, (done, total) => progress(`comparing ${a} ↔ ${b}: field ${done}/${total}`));
      progressDone();
      const text = formatComparison(c, opts.format);
      log(opts.format === "text" && c.drift.length > 0 ? text.replace(/DRIFT[^\n]*/g, (s) => colors.red(s)) : text);
      exit(c.drift.length > 0 ? 3 : 0);
    });

  program
    .command("compare-pairs")
    .description("the pairs `compare` checks, one \"<a> <b>\" per line: each environment of the promotion order with the one after it (as the promotion rules compare them)")
    .option("--matrix-json <file>", "the pairs of the matrix exported by `matrix --format json` (a pull request's)")
    .action((opts: { matrixJson?: string }) => {
      const m = matrixFrom(io, opts.matrixJson);
      const order = m.promotionOrder.filter((n) => Object.hasOwn(m.environments, n));
      for (let i = 1; i < order.length; i++) log(`${order[i - 1]} ${order[i]}`);
    });

  program
    .command("matrix")
    .description("the environment matrix as a table (rows that differ between environments are highlighted), or its definition as JSON")
    .addOption(new Option("--format <format>", "output format (json-schema: the schema every matrix is checked against, for editors)").choices(["text", "markdown", "json", "json-schema"]).default("text"))
    .action((opts: { format: "text" | "markdown" | "json" | "json-schema" }) => {
      if (opts.format === "json-schema") return log(JSON.stringify(matrixJsonSchema(), null, 2));
      const m = loadMatrix();
      if (opts.format === "json") log(JSON.stringify(definition, null, 2));
      else log(opts.format === "markdown" ? matrixMarkdown(m) : matrixText(m, colors.yellow));
    });

  program
    .command("changed-stacks")
    .description("the stacks whose synthesized config changed, as JSON for a CI job matrix")
    .argument("<base>", "the base cdktf.out")
    .argument("<head>", "the head cdktf.out")
    .action((base: string, head: string) => {
      log(JSON.stringify(changedStacks(base, head)));
    });

  program
    .command("codeowners")
    .description("the .github/CODEOWNERS the matrix's owning team gives")
    .action(() => {
      io.stdout(codeowners(loadMatrix().organization));
    });

  program
    .command("deployer-rbac")
    .description("the Kubernetes RBAC an environment's deploy (or --plan) needs, from its synthesized stack, as YAML for a cluster admin")
    .argument("<environment>", "environment name, e.g. staging")
    .option("--plan", "the read-only plan's RBAC")
    .option("--out <cdktf.out>", "synth output to read", "cdktf.out")
    .action((environment: string, opts: { plan?: boolean; out: string }) => {
      const m = loadMatrix();
      const settings = environmentNamed(m, environment);
      const stack = synthesizedStack(opts.out, environment);
      // split by team: the team stacks deploy into the same namespace with the environment's deployer, so its Role
      // covers their kinds too (config/stacks.ts)
      const json = structuredClone(stack.json);
      for (const t of teamStacks(m, environment)) {
        for (const [type, byName] of Object.entries<Record<string, unknown>>(synthesizedStack(opts.out, t.name).json.resource ?? {})) {
          json.resource[type] = { ...(json.resource[type] ?? {}), ...byName };
        }
      }
      const mode = opts.plan ? "plan" : "deploy";
      const extraReads = opts.plan ? preflightReads(m, settings) : [];
      const objects = deployerRbac(json, { project: m.organization.project, environment, mode, deployersNamespace: m.organization.platform.namespace, extraReads });
      log(manifestsYaml(objects));
    });

  program
    .command("provenance")
    .description("whether every commit a push brings to a deploy branch came through a pull request merged into it; exit 7 listing those that did not")
    .argument("<branch>", "the pushed branch (refs/heads/… or its name)")
    .argument("<sha>", "the pushed commit")
    .action(async (branch: string, sha: string) => {
      const { github, unreviewedCommits } = await provenanceModule();
      const m = loadMatrix();
      const name = branch.replace(/^refs\/heads\//, "");
      const repo = { owner: m.organization.github.owner, repo: m.organization.github.repository };
      const bad = await unreviewedCommits(github(process.env.GITHUB_TOKEN ?? process.env.GH_TOKEN), repo, name, m.organization.github.defaultBranch, sha);
      if (bad.length === 0) {
        log(`${name} at ${sha.slice(0, 12)}: every commit came through a pull request merged into ${name}`);
        return;
      }
      warn(`${name} at ${sha.slice(0, 12)}: ${bad.length} commit(s) nobody reviewed into ${name}; nothing is deployed:`);
      for (const c of bad) warn(`  ${c.sha.slice(0, 12)} ${c.message}: ${c.why}`);
      exit(7);
    });

  program
    .command("stacks-to-plan")
    .description("the stacks a push to a branch deploys whose config differs from what their environment last deployed successfully, as a job matrix; --needed lists the commits to synthesize first")
    .argument("<branch>", "branch name or refs/heads/… ref")
    .option("--needed", "print the commits of the last successful deployments (one per line) and stop")
    .option("--head <cdktf.out>", "this commit's synth output", "cdktf.out")
    .option("--at <sha=dir...>", "synth outputs of earlier commits, as <sha>=<cdktf.out>")
    .action(async (branch: string, opts: { needed?: boolean; head: string; at?: string[] }) => {
      const { github, lastApplied, isReviewedMerge } = await provenanceModule();
      const m = loadMatrix();
      const repo = { owner: m.organization.github.owner, repo: m.organization.github.repository };
      const gh = github(process.env.GITHUB_TOKEN ?? process.env.GH_TOKEN);
      const targets = environmentsForBranch(m, branch);
      // each stack is compared with what it last applied: its newest record that the pipeline's apply job made
      // (a record anyone else made is skipped, said here); none, or that apply not a success: planned
      const baseline = new Map<string, string | undefined>();
      for (const t of targets) {
        const last = await lastApplied(gh, repo, t.githubEnvironment, t.environment, deploysStack(m, t.environment));
        for (const why of last.skipped) warn(`${t.environment}: skipped ${why}`);
        baseline.set(t.environment, last.sha);
      }
      if (opts.needed) {
        // only a reviewed merge result is synthesized (its code runs); any other commit's stacks are planned (no
        // --at for it). A push deploys only merge commits, so a checked record names one; this holds regardless
        for (const sha of new Set([...baseline.values()].filter((x): x is string => x !== undefined))) {
          if (await isReviewedMerge(gh, repo, sha)) log(sha);
          else warn(`${sha}: an apply record's commit that is no merged pull request's merge commit; not synthesized, its stacks are planned`);
        }
        return;
      }
      const at = new Map((opts.at ?? []).map((a) => [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] as const));
      const chosen = new Set(
        targets
          .filter((t) => {
            const sha = baseline.get(t.environment);
            // never applied, or the newest attempt did not succeed, or no synth of that commit: plan it
            if (sha === undefined || !at.has(sha)) return true;
            return changedStacks(at.get(sha)!, opts.head).includes(t.environment);
          })
          .map((t) => t.environment),
      );
      // an environment gated on another having deployed this very commit first (entryGates.deployedFirstIn) brings
      // that one along: its apply changes nothing where its config did not, and records the deployment the gate reads
      for (let grew = true; grew; ) {
        grew = false;
        for (const t of targets) {
          // a team stack is gated like its environment (review/gate.ts); the gates stack is not
          const of = stackOf(m, t.environment);
          const first = of && of.kind !== "gates" ? m.environments[of.environment].entryGates.deployedFirstIn : null;
          if (chosen.has(t.environment) && first && !chosen.has(first) && targets.some((x) => x.environment === first)) {
            chosen.add(first);
            grew = true;
          }
        }
      }
      log(JSON.stringify({ include: targets.filter((t) => chosen.has(t.environment)) }));
    });

  program
    .command("last-applied")
    .description("the commit a stack last applied through the deploy workflow (its newest apply record that the run's apply job made, when that apply succeeded, a merged pull request's merge commit), or nothing when that is not known; drift plans the stack at that commit")
    .argument("<stack>", "stack name, e.g. staging")
    .action(async (stack: string) => {
      const { github, lastApplied, isReviewedMerge } = await provenanceModule();
      const m = loadMatrix();
      const target = allTargets(m).find((t) => t.environment === stack);
      if (!target) throw new Error(`no stack is named ${stack} (stacks: ${allTargets(m).map((t) => t.environment).join(", ")})`);
      const repo = { owner: m.organization.github.owner, repo: m.organization.github.repository };
      const gh = github(process.env.GITHUB_TOKEN ?? process.env.GH_TOKEN);
      const last = await lastApplied(gh, repo, target.githubEnvironment, stack, deploysStack(m, stack));
      for (const why of last.skipped) warn(`${stack}: skipped ${why}`);
      if (last.sha === undefined) return warn(`${stack}: no successful apply on record (never applied, or its newest apply did not succeed)`);
      // its code runs where it is synthesized: a reviewed merge result only
      if (!(await isReviewedMerge(gh, repo, last.sha))) return warn(`${last.sha}: ${stack}'s apply record names no merged pull request's merge commit; not used`);
      log(last.sha);
    });

  program
    .command("record-apply")
    .description("record a stack's apply of a commit in its GitHub environment (a deployment with the stack's task): in_progress before the apply, success or failure after it, so the next stacks-to-plan compares that stack with what it applied")
    .argument("<stack>", "stack name, e.g. prod-payments")
    .requiredOption("--commit <sha>", "the commit the apply applies")
    .addOption(new Option("--state <state>", "in_progress (before the apply), success or failure (after it)").choices(["in_progress", "success", "failure"]).makeOptionMandatory())
    .requiredOption("--run <id>", "the deploy run whose apply job this is (GITHUB_RUN_ID)")
    .requiredOption("--attempt <n>", "its attempt (GITHUB_RUN_ATTEMPT)")
    .action(async (stack: string, opts: { commit: string; state: "in_progress" | "success" | "failure"; run: string; attempt: string }) => {
      const { github, recordApply } = await provenanceModule();
      const m = loadMatrix();
      const target = allTargets(m).find((t) => t.environment === stack);
      const problems = [
        ...(target ? [] : [`no stack is named ${stack} (stacks: ${allTargets(m).map((t) => t.environment).join(", ")})`]),
        ...(/^[0-9a-f]{40}$/.test(opts.commit) ? [] : [`--commit ${opts.commit}: not a full 40-character commit sha`]),
        ...(/^[1-9]\d{0,15}$/.test(opts.run) ? [] : [`--run ${opts.run}: not a run id (GITHUB_RUN_ID)`]),
        ...(/^[1-9]\d{0,5}$/.test(opts.attempt) ? [] : [`--attempt ${opts.attempt}: not a run attempt (GITHUB_RUN_ATTEMPT, from 1)`]),
      ];
      if (problems.length > 0) {
        for (const p of problems) warn(`record-apply: ${p}`);
        exit(1);
      }
      const repo = { owner: m.organization.github.owner, repo: m.organization.github.repository };
      const { errorText } = require("../review/http-errors") as typeof import("../review/http-errors");
      try {
        const id = await recordApply(github(process.env.GITHUB_TOKEN ?? process.env.GH_TOKEN), repo, target!.githubEnvironment, stack, opts.commit, opts.state, { runId: Number(opts.run), attempt: Number(opts.attempt) });
        log(`${stack} ${opts.state === "in_progress" ? "applies" : opts.state === "success" ? "applied" : "failed to apply"} ${opts.commit.slice(0, 12)}: deployment ${id} in ${target!.githubEnvironment}`);
      } catch (err) {
        // before the apply this fails the job (nothing applied, the stack is planned again); after it, a record
        // left in_progress plans the stack again next time (a plan without changes)
        warn(`record-apply: GitHub did not record ${stack}'s ${opts.state.replace("_", " ")} for ${opts.commit.slice(0, 12)} (${errorText(err)}); the next run plans ${stack} again`);
        exit(1);
      }
    });

  program
    .command("preflight")
    .description("read-only checks of what an environment's first plan needs (cluster, Vault, Datadog, GitHub), with plan's credentials; exit 1 on any failed line")
    .argument("<environment>", "environment name, e.g. staging")
    .option("--out <cdktf.out>", "synth output whose monitors (the environment's stack's and its team stacks') Datadog validates", "cdktf.out")
    .action(async (environment: string, opts: { out: string }) => {
      const m = loadMatrix();
      environmentNamed(m, environment);
      const stack = synthesizedStack(opts.out, environment);
      const { formatChecklist, preflight } = await preflightModule();
      const ep = await planEndpoints(m);
      // split by team, its monitors are in its team stacks
      const teams = teamStacks(m, environment).map((t) => synthesizedStack(opts.out, t.name).json);
      const checks = await preflight(m, environment, stack.json, ep, teams);
      log(`preflight ${environment}:`);
      log(formatChecklist(checks));
      const failedCount = checks.filter((c) => !c.ok).length;
      log(failedCount === 0 ? `all ${checks.length} checks passed` : `${failedCount} of ${checks.length} checks failed`);
      exit(failedCount === 0 ? 0 : 1);
    });

  program
    .command("adopt")
    .description("look up, with plan's credentials, each object a stack would create; write import blocks for those that exist into stacks/adopted/<stack>.json (read-only remotely; exit 1 writing nothing when a lookup fails)")
    .argument("<stack>", "an environment's stack (e.g. prod) or gates")
    .option("--dir <folder>", "where the adopt files are (the stacks read them from stacks/adopted)", ADOPTED_DIR_DEFAULT)
    .option("--dry-run", "print the table only; write nothing")
    .action(async (stack: string, opts: { dir: string; dryRun?: boolean }) => {
      const m = loadMatrix();
      const settings = appliedSettings(m, stack);
      // the stack as synthesized without any adopt file: every resource is a candidate
      const { Testing } = require("cdktf") as typeof import("cdktf");
      const { adoptionTargets } = require("../stacks/adopt-targets") as typeof import("../stacks/adopt-targets");
      // the one stack alone: a stack reads nothing from the others
      const targets = withScratchFolder("envmatrix-adopt-", (outdir) =>
        adoptionTargets(JSON.parse(Testing.synth(stacksModule().buildStack(Testing.app({ outdir, stackTraces: false }) as unknown as App, m, stack)))),
      );
      const { adopt, formatAdoptTable } = await adoptModule();
      const ep = { ...(await planEndpoints(m)), kubeContext: m.organization.clusters[settings.cluster]?.context, githubOwner: m.organization.github.owner };
      // the stacks' providers are given the matrix's addresses, which beat these variables: say when adopt reads elsewhere
      if (ep.vaultAddress !== m.organization.vault.address) warn(`VAULT_ADDR (${ep.vaultAddress}) is not organization.vault.address (${m.organization.vault.address}), which plan reads`);
      if (ep.datadogApiUrl !== m.organization.datadog.apiUrl) warn(`DD_HOST (${ep.datadogApiUrl}) is not organization.datadog.apiUrl (${m.organization.datadog.apiUrl}), which plan reads`);
      const rows = await adopt(targets.targets, ep);
      log(`adopt ${stack}:`);
      log(formatAdoptTable(rows));
      for (const a of targets.adoptedByStack) log(`${a}: adopted by the stack itself (constructs/adopt.ts)`);
      for (const s of targets.skipped) log(`${s.address}: not looked up: ${s.why}`);
      const count = (status: string) => rows.filter((r) => r.status === status).length;
      const found = rows.filter((r) => r.status === "found");
      const file = path.join(opts.dir, `${stack}.json`);
      const shown = path.relative(process.cwd(), file) || file;
      const broken = count("denied") + count("failed");
      if (broken > 0) {
        warn(`${broken} lookup${broken === 1 ? "" : "s"} failed (denied or unreachable): nothing written${fs.existsSync(file) ? `, ${shown} left as it was` : ""}; give the credentials read access and run adopt again`);
        exit(1);
      }
      log(`${found.length} found, ${count("missing")} missing (the plan creates them), ${count("duplicate")} found more than once (not imported)`);
      if (opts.dryRun) return;
      if (found.length === 0) {
        // an earlier file is never removed here: its objects may be imported already (delete it by hand then)
        log(`nothing to import: nothing written${fs.existsSync(file) ? ` (${shown} left as it was)` : ""}`);
        return;
      }
      const body = {
        "//": `npm run adopt -- ${stack}: objects that existed before the stack managed them; Terraform imports each on the next apply (stacks/adopted.ts)`,
        import: found.map((r) => ({ to: r.address, id: r.importId!, ...(r.name !== undefined ? { name: r.name } : {}) })),
      };
      fs.mkdirSync(opts.dir, { recursive: true });
      // written whole or not at all
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, `${JSON.stringify(body, null, 2)}\n`);
      fs.renameSync(tmp, file);
      log(`wrote ${shown}: ${found.length} import block${found.length === 1 ? "" : "s"}; commit it, then plan ${stack} (a pull request's plan leaves new import blocks to the plan after merge)`);
    });

  program
    .command("report-deployment")
    .description("after an apply: a DORA deployment per service (on success) and a deployment event per service to Datadog; never fails the deploy (exit 0, each failure a line)")
    .argument("<stack>", "the stack that was applied (an environment, or gates: nothing to report)")
    .requiredOption("--commit <sha>", "the commit applied")
    .requiredOption("--started <seconds>", "when the apply started, seconds since the epoch")
    .option("--finished <seconds>", "when it finished (default: now)")
    .addOption(new Option("--outcome <outcome>", "how the apply ended").choices(["success", "failure"]).makeOptionMandatory())
    .option("--run-url <url>", "the workflow run, for the event's text")
    .option("--plan <file>", "the saved plan the apply applied, as terraform show -json prints it (its resource_changes are enough): a successful apply of a plan that creates, updates, replaces and deletes nothing deployed nothing: no DORA deployment, its events tagged changes:none (a file that cannot be read: reported as a deployment)")
    .action(async (stack: string, opts: { commit: string; started: string; finished?: string; outcome: "success" | "failure"; runUrl?: string; plan?: string }) => {
      const m = loadMatrix();
      appliedSettings(m, stack);
      // an environment's stack deploys every service, a team stack its team's (config/stacks.ts); the gates none
      const of = stackOf(m, stack)!;
      if (of.kind === "gates") {
        log(`Datadog: ${stack} runs no service: no deployment to report`);
        return;
      }
      // a split environment's own stack deploys no service: its team stacks report theirs (no deployment counted
      // twice). Its failure they cannot: the apply matrix's fail-fast cancels them before they report, so it says
      // so itself, for every service (a failure sends events only, no DORA deployment)
      if (of.kind === "environment" && m.environments[of.environment].splitByTeam && opts.outcome === "success") {
        log(`Datadog: ${stack} is split by team: its team stacks report its services' deployments`);
        return;
      }
      // an apply of a plan without changes (an output, a moved or import block, a provider upgrade) changed no
      // service's environment: no DORA deployment (it would count in deployment frequency)
      let changedObjects: boolean | undefined;
      if (opts.plan !== undefined && opts.outcome === "success") {
        try {
          changedObjects = changesObjects(summarizePlan(stack, JSON.parse(fs.readFileSync(opts.plan, "utf8")), false));
        } catch (err) {
          // never the parser's message: it quotes the file around the error, and a plan may hold secret values
          const why = err instanceof SyntaxError ? "not JSON" : err instanceof PlanFormatError ? err.message : ((err as NodeJS.ErrnoException).code ?? (err as Error).name);
          log(`Datadog: the applied plan (${opts.plan}) could not be read (${oneLine(why)}): reported as a deployment`);
        }
      }
      const services = of.kind === "team" ? of.services : m.services;
      const seconds = (v: string, what: string) => {
        if (!/^\d+$/.test(v)) throw new Error(`--${what} ${v}: not seconds since the epoch (date -u +%s)`);
        return new Date(Number(v) * 1000);
      };
      const { reportDeployment } = require("../review/deployment-report") as typeof import("../review/deployment-report");
      const env = process.env;
      const { lines } = await reportDeployment(
        {
          environment: of.environment,
          services: services.map((s) => ({ name: s.name, team: s.team })),
          commit: opts.commit,
          repositoryUrl: `https://github.com/${m.organization.github.owner}/${m.organization.github.repository}`,
          startedAt: seconds(opts.started, "started"),
          finishedAt: opts.finished === undefined ? new Date() : seconds(opts.finished, "finished"),
          outcome: opts.outcome,
          runUrl: opts.runUrl,
          changedObjects,
        },
        { apiUrl: env.DD_HOST ?? m.organization.datadog.apiUrl, apiKey: env.DD_API_KEY ?? "" },
      );
      for (const l of lines) log(l);
    });

  program
    .command("cost")
    .description("each environment's estimated monthly cost from the matrix (never a bill): at default replicas and at max replicas, against its budget; --against another matrix: the change per environment (the pull-request comment)")
    .option("--matrix-json <file>", "a matrix exported as JSON instead of config/environments.ts (a pull request's)")
    .option("--against <file>", "the matrix to compare with, exported as JSON (the default branch's)")
    .addOption(format())
    .action((opts: { matrixJson?: string; against?: string; format: "text" | "markdown" }) => {
      const m = matrixFrom(io, opts.matrixJson);
      if (opts.against) log(costDelta(matrixFrom(io, opts.against), m));
      else log(opts.format === "markdown" ? costMarkdown(m) : costText(m));
    });

  program
    .command("cluster-bootstrap")
    .description("what a cluster admin applies once per cluster: platform namespace, token reviewer, deployer accounts (YAML), and the Vault auth mount with the reviewer (shell)")
    .argument("<cluster>", "a key of organization.clusters")
    .action((cluster: string) => {
      const m = loadMatrix();
      const b = clusterBootstrap(m, cluster);
      log(`# kubectl --context ${m.organization.clusters[cluster].context} apply -f - <<'EOF'`);
      log(manifestsYaml(b.manifests));
      log("# EOF\n# then, with an admin's VAULT_ADDR and VAULT_TOKEN:");
      log(vaultCommands(b, m.organization.clusters[cluster].context));
    });

  program
    .command("check-matrix")
    .description("validate a matrix exported as JSON (a pull request's) with this checkout's rules; exit 1 listing every problem")
    .argument("<matrix-json>", "the output of `npm run --silent matrix -- --format json`")
    .action((file: string) => {
      const m = matrixFrom(io, file);
      log(`${file}: valid (${Object.keys(m.environments).join(", ")})`);
    });

  program
    .command("synth-matrix")
    .description("synthesize a matrix exported as JSON (a pull request's) with this checkout's code: what this code makes of it, to compare with the output the pull request's own code made")
    .argument("<matrix-json>", "the output of `npm run --silent matrix -- --format json`")
    .argument("<outdir>", "the folder to synthesize into (cdktf.out's layout)")
    .option("--adopted <dir>", "adopt files (stacks/adopted/<stack>.json) instead of this checkout's: a pull request's, as data")
    .action((file: string, outdir: string, opts: { adopted?: string }) => {
      let def: unknown;
      try {
        def = JSON.parse(fs.readFileSync(file, "utf8"));
      } catch (err) {
        throw new Error(`${file}: not a matrix exported as JSON (${(err as Error).message})`);
      }
      // refused under the file's own name first; then main.ts's run: the adopt files checked too (nothing written on
      // a refusal), every stack synthesized
      checkMatrix(def as MatrixDefinition, file);
      const { run, REPOSITORY_ADOPTED_DIR } = require("../main") as typeof import("../main");
      const code = run(def as MatrixDefinition, outdir, opts.adopted ?? REPOSITORY_ADOPTED_DIR);
      if (code !== 0) exit(code);
      log(`${file}: synthesized into ${outdir}`);
    });

  program
    .command("reviewed-branch")
    .description("whether a branch is protected with at least one required review by some environment's ruleset; exit 6 when not")
    .argument("<branch>", "branch name")
    .action((branch: string) => {
      const m = loadMatrix();
      const by = Object.entries(m.environments).find(
        ([, e]) => e.identity.protectedBranch !== null && e.approval.requiredApprovingReviews >= 1 && branchMatches(e.identity.protectedBranch, branch),
      );
      if (by) log(`${branch}: reviewed (protected by ${by[0]}'s ruleset)`);
      else {
        warn(`${branch}: not a reviewed branch`);
        exit(6);
      }
    });

  program
    .command("matrix-data")
    .description("whether matrix files hold data only (constants of literals, no call, no getter, no other import): the review counts one that does not as code; exit 4 naming each problem")
    .argument("<files...>", "matrix files (a pull request's config/environments.ts, config/organization.ts)")
    .action((files: string[]) => {
      const { matrixDataProblems } = require("../review/matrix-data") as typeof import("../review/matrix-data");
      const problems = files.flatMap((f) => matrixDataProblems(fs.readFileSync(f, "utf8"), f));
      for (const p of problems) warn(oneLine(p));
      if (problems.length > 0) exit(4);
    });

  program
    .command("review-checks")
    .description("the names of the review's check runs a pull request into <base> must carry, as one JSON list: one per ruleset whose branch pattern matches the base (each requires its own); [] where none does")
    .argument("<base>", "the pull request's base branch")
    .action((base: string) => {
      const m = loadMatrix();
      // a ruleset covers its pattern's names of more /-parts too (constructs/branch-ruleset.ts, vaultGlobCover)
      const patterns = [...new Set(Object.values(m.environments).map((e) => e.identity.protectedBranch).filter((p): p is string => p !== null && vaultGlobMatches(p, base)))].sort();
      log(JSON.stringify(patterns.map(reviewCheck)));
    });

  program
    .command("branch-request")
    .description(
      "checks a request of the branches workflow: a branch only the branch app creates (identity.branchCreators), at the default branch's head; prints its GitHub environment, ref and commit as $GITHUB_OUTPUT lines, exit 9 when refused",
    )
    .argument("<environment>", "the environment whose branch it is")
    .argument("<branch>", "the branch (hotfix/login-timeout)")
    .addOption(new Option("--action <action>", "what to do with it").choices(["create", "delete"]).default("create"))
    .requiredOption("--default-branch <ref>", "the default branch as fetched (origin/main): a branch is created at its head")
    .action((environment: string, branch: string, opts: { action: "create" | "delete"; defaultBranch: string }) => {
      const { branchRequest, BranchRequestRefused, githubOutput } = require("../review/branch-request") as typeof import("../review/branch-request");
      const { spawnSync } = require("node:child_process") as typeof import("node:child_process");
      // git of the workflow's checkout; the revision after --end-of-options, never as an option
      const git = {
        commit: (rev: string) => {
          const r = spawnSync("git", ["rev-parse", "--verify", "--quiet", "--end-of-options", `${rev}^{commit}`], { encoding: "utf8" });
          return r.status === 0 ? r.stdout.trim() : undefined;
        },
      };
      try {
        log(githubOutput(branchRequest(io.loadMatrix(), git, { environment, branch, action: opts.action, defaultBranch: opts.defaultBranch })).trimEnd());
      } catch (err) {
        if (!(err instanceof BranchRequestRefused)) throw err;
        warn(err.message);
        exit(9);
      }
    });

  program
    .command("vet-plan-input")
    .description("whether a pull request's synthesized stacks may be planned with read-only credentials; exit 5 and the reasons when not")
    .argument("<head>", "the pull request's cdktf.out (untrusted)")
    .argument("<trusted>", "the default branch's cdktf.out, synthesized by its own code")
    .argument("<stacks...>", "the stacks to plan")
    .option("--write <file>", "with one stack: write the vetted stack there, as parsed (what is planned is what was vetted: a repeated key of the file cannot slip past)")
    .action((headDir: string, trustedDir: string, stacks: string[], opts: { write?: string }) => {
      const writeProblems = opts.write === undefined ? [] : [
        ...(stacks.length === 1 ? [] : [`--write takes one stack, not ${stacks.length}`]),
        ...(fs.existsSync(opts.write) ? [`--write ${opts.write}: already exists (it writes a new file only)`] : []),
      ];
      if (writeProblems.length > 0) {
        for (const p of writeProblems) warn(`vet-plan-input: ${p}`);
        exit(1);
      }
      const head = readOutput(headDir);
      const trusted = readOutput(trustedDir);
      const problems = stacks.flatMap((s) => {
        const h = head.get(s);
        return h === undefined ? [`${s}: not in ${headDir}`] : vetStackForPlan(s, h.json, trusted.get(s)?.json);
      });
      for (const p of problems) warn(p);
      if (problems.length > 0) exit(5);
      // JSON.parse keeps the last of a repeated key, Terraform merges them all: the file written is the object vetted
      if (opts.write !== undefined) fs.writeFileSync(opts.write, `${JSON.stringify(head.get(stacks[0])!.json, null, 2)}\n`);
      log(`${stacks.join(", ")}: may be planned`);
    });

  program
    .command("plan-summary")
    .description("what a saved plan will do, from `terraform show -json`: per address added, changed, replaced, destroyed")
    .argument("<stack>", "the stack the plan is of (protected stacks lead with destroys and replacements, in bold)")
    .argument("<plan-json>", "the output of terraform show -json <saved plan>")
    .action((stack: string, planJson: string) => {
      const m = loadMatrix();
      const isProtected = appliedLike(m, stack)?.protected === true;
      const summary = summarizePlan(stack, JSON.parse(fs.readFileSync(planJson, "utf8")), isProtected);
      log(planMarkdown(summary));
    });

  program
    .command("admissions")
    .description("what each GitHub environment admits beyond what the gates stack writes, where no plan shows it: a deployment branch or tag policy added by hand (no state holds it), required reviewers removed or changed by hand (the provider keeps the last ones in state); exit 3 naming them")
    .option("--out <cdktf.out>", "synth output to read the gates stack from", "cdktf.out")
    .action(async (opts: { out: string }) => {
      const { admissions, expectedAdmissions, expectedReviewers } = require("../review/admissions") as typeof import("../review/admissions");
      const { github } = await provenanceModule();
      const m = loadMatrix();
      const repo = { owner: m.organization.github.owner, repo: m.organization.github.repository };
      const gates = synthesizedStack(opts.out, GATES_STACK).json;
      const result = await admissions(github(process.env.GITHUB_TOKEN ?? process.env.GH_TOKEN), repo, expectedAdmissions(gates), expectedReviewers(gates));
      for (const a of result) {
        if (a.error) warn(`${a.environment}: could not read its deployment branch policies or reviewers (${a.error}${a.error === "HTTP 403" ? ": the token needs Actions: read" : ""})`);
        if (a.extra.length > 0) warn(`${a.environment}: also admits ${a.extra.join(", ")}, which the gates stack does not write (added by hand?): remove it in the repository's environment settings`);
        if (a.reviewers.length > 0) warn(`${a.environment}: ${a.reviewers.join("; ")}: set the required reviewers in the repository's environment settings as the matrix has them`);
        if (!a.error && a.extra.length === 0 && a.reviewers.length === 0) log(`${a.environment}: admits only what the gates stack writes`);
      }
      if (result.some((a) => a.error)) exit(1);
      if (result.some((a) => a.extra.length > 0 || a.reviewers.length > 0)) exit(3);
    });

  program
    .command("bypass-lists")
    .description("each ruleset's bypass list against a gates stack's, read with a token that may see them: no plan sees a bypass actor, and no apply removes one where the stack's list is empty; exit 3 naming a difference")
    .argument("<cdk.tf.json>", "the gates stack (in the apply job: the saved plan's plan/cdk.tf.json)")
    .option("--before-apply <ruleset-ids.json>", "the plan's prior-state ruleset ids ([{address, id}], the plan job's): compare only the lists the apply leaves as they are (the empty ones), each found by its id")
    .action(async (stackFile: string, opts: { beforeApply?: string }) => {
      const { bypassLists, expectedBypassLists, stateIds } = require("../review/bypass-lists") as typeof import("../review/bypass-lists");
      const { github } = await provenanceModule();
      const m = loadMatrix();
      const repo = { owner: m.organization.github.owner, repo: m.organization.github.repository };
      let ids: Map<string, number> | undefined;
      if (opts.beforeApply !== undefined) {
        try {
          ids = stateIds(JSON.parse(fs.readFileSync(opts.beforeApply, "utf8")));
        } catch (err) {
          warn(`${opts.beforeApply}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message} (the plan job writes it for the gates stack)`);
          return exit(1);
        }
      }
      const result = await bypassLists(github(process.env.GITHUB_TOKEN ?? process.env.GH_TOKEN), repo, expectedBypassLists(JSON.parse(fs.readFileSync(stackFile, "utf8"))), ids);
      for (const r of result) {
        if (r.error) warn(`${r.ruleset}: could not read its bypass list (${r.error})`);
        if (r.extra.length > 0) warn(`${r.ruleset}: also lets ${r.extra.join(", ")} bypass it, which the gates stack does not write (added by hand, or taken out of the matrix): no plan shows a bypass actor, and no apply removes one where the stack's list is empty: remove it in the repository's ruleset settings`);
        if (r.missing.length > 0) warn(`${r.ruleset}: lacks ${r.missing.join(", ")}, which the gates stack writes: set the list in the repository's ruleset settings as the matrix has it`);
        if (r.skipped) log(`${r.ruleset}: not compared (${r.skipped})`);
        else if (!r.error && r.extra.length + r.missing.length === 0) log(`${r.ruleset}: bypass list as the gates stack writes it`);
      }
      if (result.some((r) => r.error)) exit(1);
      if (result.some((r) => r.extra.length + r.missing.length > 0)) exit(3);
    });

  program
    .command("vault-roles")
    .description("each Vault role of a synthesized stack, read from Vault with the planner's token (VAULT_ADDR, VAULT_TOKEN), in what no plan shows: a Kubernetes role's audience and a JWT role's bound claims emptied by hand; exit 3 naming them")
    .argument("<cdk.tf.json>", "the stack as last applied (drift's synthesis)")
    .action(async (stackFile: string) => {
      const { expectedVaultRoles, vaultRoles } = require("../review/vault-roles") as typeof import("../review/vault-roles");
      const { vaultGet } = require("../review/vault-http") as typeof import("../review/vault-http");
      const m = loadMatrix();
      const address = process.env.VAULT_ADDR ?? m.organization.vault.address;
      const token = process.env.VAULT_TOKEN ?? "";
      const result = await vaultRoles((p) => vaultGet(address, token, p, m.organization.vault.caCertificatePem), expectedVaultRoles(JSON.parse(fs.readFileSync(stackFile, "utf8"))));
      for (const r of result) {
        if (r.error) warn(`${r.address} (${r.path}): could not read it (${r.error})`);
        else if (r.absent) log(`${r.address}: not in Vault (not deployed yet, or deleted: a plan shows it)`);
        else if (r.problems.length > 0) warn(`${r.address} (${r.path}): ${r.problems.join("; ")}: no plan shows this: write the stack's value into the role again (vault write ${r.path} …)`);
        else log(`${r.address}: as the stack writes it`);
      }
      if (result.some((r) => r.error)) exit(1);
      if (result.some((r) => r.problems.length > 0)) exit(3);
    });

  program
    .command("cluster-fields")
    .description("what no plan shows changed by hand in a synthesized stack's Kubernetes objects, read from its cluster (KUBE_CONFIG_PATH, the stack's context): a service account's automountServiceAccountToken removed, a SecretStore's provider or Vault login added; exit 3 naming them")
    .argument("<cdk.tf.json>", "the stack as last applied (drift's synthesis)")
    .action(async (stackFile: string) => {
      const { expectedAccounts, expectedStores, secretStores, serviceAccounts } = require("../review/cluster-fields") as typeof import("../review/cluster-fields");
      const k8s = require("@kubernetes/client-node") as typeof import("@kubernetes/client-node");
      const stack = JSON.parse(fs.readFileSync(stackFile, "utf8"));
      const accounts = expectedAccounts(stack);
      const stores = expectedStores(stack);
      if (accounts.length + stores.length === 0) return log("no Kubernetes object of this stack to read");
      // the context the stack's own kubernetes provider uses, in the kubeconfig it reads (KUBE_CONFIG_PATH)
      const context: unknown = stack.provider?.kubernetes?.[0]?.config_context;
      const kc = new k8s.KubeConfig();
      try {
        kc.loadFromFile(process.env.KUBE_CONFIG_PATH ?? "");
        if (typeof context !== "string") throw new Error("the stack's kubernetes provider names no config_context");
        kc.setCurrentContext(context);
        if (!kc.getContextObject(context)) throw new Error(`no context ${context} in it`);
      } catch (err) {
        warn(`kubeconfig ${process.env.KUBE_CONFIG_PATH ?? "(KUBE_CONFIG_PATH not set)"}: ${(err as Error).message}`);
        return exit(1);
      }
      const result = [...(await serviceAccounts(kc.makeApiClient(k8s.CoreV1Api), accounts)), ...(await secretStores(kc.makeApiClient(k8s.CustomObjectsApi), stores))];
      for (const r of result) {
        if (r.error) warn(`${r.address} (${r.object}): could not read it (${r.error})`);
        else if (r.absent) log(`${r.address}: not in the cluster (not deployed yet, or deleted: a plan shows it)`);
        else if (r.problem) warn(`${r.address} (${r.object}): ${r.problem}`);
        else log(`${r.address}: as the stack writes it`);
      }
      if (result.some((r) => r.error)) exit(1);
      if (result.some((r) => r.problem)) exit(3);
    });

  program
    .command("drift-verdict")
    .description("whether a drift plan's changes are drift (exit 2, naming them), or only ruleset bypass lists the read-only planner cannot read, or a first deploy of a stack whose state is empty (exit 0, saying which)")
    .argument("<plan-json>", "the output of terraform show -json <saved plan>")
    .addOption(new Option("--applied <known>", "whether the stack has an apply on record (last-applied found one): its state is then never empty by right").choices(["true", "false"]).default("false"))
    .action((planJson: string, opts: { applied: "true" | "false" }) => {
      const { driftVerdict } = require("../review/drift-verdict") as typeof import("../review/drift-verdict");
      const v = driftVerdict(JSON.parse(fs.readFileSync(planJson, "utf8")));
      if (v.notDeployed && opts.applied === "true") {
        log("its state holds no resource, though an apply of it is on record: the state was lost or emptied, and every object that apply made is managed by nothing (restore the state, or import them: npm run adopt)");
        return exit(2);
      }
      if (v.notDeployed) return log("not deployed yet: its state holds no resource and no apply of it is on record, so nothing can have drifted (the plan is its first deploy)");
      for (const a of v.unseen) log(`${a}: only its bypass list, which GitHub shows the read-only planner as none: not drift`);
      for (const a of v.drifted) log(`${a}: drifted`);
      if (v.drifted.length > 0) exit(2);
    });

  program
    .command("resolve-environment")
    .description("the environments a push to a branch deploys, in promotion order, as a GitHub Actions job matrix")
    .argument("[branch]", "branch name or refs/heads/… ref")
    .option("--all", "every stack, the gates first (the drift job's matrix)")
    .action((branch: string | undefined, opts: { all?: boolean }) => {
      const m = loadMatrix();
      if (opts.all) {
        log(JSON.stringify({ include: allTargets(m) }));
        return;
      }
      if (branch === undefined) throw new Error("name a branch, or pass --all");
      log(JSON.stringify({ include: environmentsForBranch(m, branch) }));
    });

  program
    .command("gate")
    .description(
      "the gates a change must pass to enter an environment, for one commit: its tests, another environment's error rate (Datadog), deployed there first, checks, window, approval; exit 8 naming the failed ones",
    )
    .argument("<environment>", "environment name, e.g. prod (or gates)")
    .option("--commit <sha>", "the commit to be applied (default: $GITHUB_SHA)")
    .option("--report <file>", "the commit's test report: JUnit XML or jest --json output")
    .option("--at <time>", "an ISO 8601 date and time instead of now")
    .option("--run <id>", "the deploy workflow run (github.run_id): \"deployed first in\" then reads its own apply jobs, not deployment records anyone with write access can make")
    .option("--branch <ref>", "the branch the commit was pushed to (github.ref): the commit must still be its head, or a newer push's run applies instead")
    .addOption(new Option("--only <gate>", "evaluate this gate alone (newest: checked again right before the apply, with --branch)").choices(["newest"]))
    .action(async (environment: string, opts: { commit?: string; report?: string; at?: string; run?: string; branch?: string; only?: "newest" }) => {
      const m = loadMatrix();
      const settings = appliedSettings(m, environment);
      const commit = opts.commit ?? process.env.GITHUB_SHA;
      if (!commit) throw new Error("no commit: give --commit <sha> (the workflow's GITHUB_SHA)");
      const now = opts.at === undefined ? new Date() : new Date(opts.at);
      if (Number.isNaN(now.getTime())) throw new Error(`--at ${opts.at} is not a date and time`);
      if (opts.run !== undefined && !/^[1-9][0-9]*$/.test(opts.run)) throw new Error(`--run ${opts.run} is not a workflow run id`);
      const { github } = await provenanceModule();
      const { evaluateGates, formatGates, newestGate } = await gateModule();
      if (opts.only === "newest" && opts.branch === undefined) throw new Error("--only newest needs --branch <ref> (the workflow's GITHUB_REF)");
      const env = process.env;
      const inputs = {
        commit,
        reportFile: opts.report,
        now,
        // the ecosystems' usual variables, as for preflight; the keys are the deploy job's own
        datadog: { apiUrl: env.DD_HOST ?? m.organization.datadog.apiUrl, apiKey: env.DD_API_KEY ?? "", appKey: env.DD_APP_KEY ?? "" },
        github: github(env.GITHUB_TOKEN ?? env.GH_TOKEN),
        repo: { owner: m.organization.github.owner, repo: m.organization.github.repository },
        githubEnvironment: allTargets(m).find((t) => t.environment === environment)!.githubEnvironment,
        ...(opts.run !== undefined ? { runId: Number(opts.run) } : {}),
        ...(opts.branch !== undefined ? { branch: opts.branch } : {}),
      };
      const results = opts.only === "newest" ? [await newestGate(opts.branch!, inputs)] : await evaluateGates(m, environment, settings, inputs);
      const text = formatGates(environment, commit, results).trimEnd();
      if (results.every((r) => r.passed)) {
        log(text);
        return;
      }
      warn(text);
      exit(8);
    });

  program
    .command("approval-checklist")
    .description("what an approver of the stack's deploy confirms (the matrix's approval.checklist), as markdown for the plan job's summary; nothing when it has none")
    .argument("<stack>", "environment name, e.g. prod (or gates: the environment it follows)")
    .action((stack: string) => {
      const m = loadMatrix();
      const settings = appliedSettings(m, stack);
      io.stdout(checklistMarkdown(stack, settings));
    });

  program
    .command("deploy-window")
    .description("whether an environment's deployment window is open (now, or --at a time); exit 4 when closed")
    .argument("<environment>", "environment name, e.g. prod")
    .option("--at <time>", "an ISO 8601 date and time instead of now")
    .action((environment: string, opts: { at?: string }) => {
      const m = loadMatrix();
      // the gates stack is applied like the environment it follows, in that environment's window
      const e = appliedSettings(m, environment);
      const at = opts.at === undefined ? new Date() : new Date(opts.at);
      if (Number.isNaN(at.getTime())) throw new Error(`--at ${opts.at} is not a date and time`);
      const w = e.deploymentWindow;
      if (windowIsOpen(w, at)) {
        log(`${environment}: deployment window open (${describeWindow(w)})`);
        return;
      }
      const local = localTime(at, w!.timeZone);
      const hhmm = `${String(local.hour).padStart(2, "0")}:${String(local.minute).padStart(2, "0")}`;
      warn(`${environment}: deployment window closed: deploys may start ${describeWindow(w)}; it is ${local.day} ${hhmm} there now`);
      exit(4);
    });

  return program;
}

/**
 * Run the CLI on `argv` (the arguments after `cli.ts`) and return its exit code; output goes to `io` (the
 * process's stdout and stderr unless given). Tests call this in-process with the workflows' exact arguments.
 */
export async function runCli(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const full: CliIo = {
    stdout: io.stdout ?? ((t) => void process.stdout.write(t)),
    stderr: io.stderr ?? ((t) => void process.stderr.write(t)),
    loadMatrix: io.loadMatrix ?? (() => loadMatrix()),
  };
  try {
    await buildProgram(full).parseAsync([...argv], { from: "user" });
    return 0;
  } catch (err) {
    // every command's failures end here: its exit code, "no environment" (3, told apart from an error), or an
    // error (1: a bad argument or input, a MatrixError or OutputError listing every problem)
    if (err instanceof Exit) return err.code;
    progressDone();
    if (err instanceof NoEnvironmentError) {
      full.stderr(`${err.message}\n`);
      return 3;
    }
    if (!(err instanceof Error)) throw err;
    full.stderr(`${colors.red(`error: ${err.message}`)}\n`);
    return 1;
  }
}

if (require.main === module) {
  // as `cdktf synth` (main.ts): several commands synthesize, and nothing they print reads a token's stack trace
  prepareSynthProcess();
  runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
