/**
 * `npm run gate -- <env>`: the gates a change must pass to enter an environment (its `entryGates`, its deployment
 * window and its approval), each evaluated for one commit with the value it measured and the threshold, before
 * the deploy job applies. Every gate fails closed: a gate that cannot measure (no report, no data, an API that does
 * not answer) fails and says why, because a gate that passes when blind is no gate.
 *
 * - tests: more than `testPassRatePercent` of the commit's tests passed, from a JUnit XML or jest `--json` report;
 * - error rate: each service's errors / requests in the source environment over the lookback window, from Datadog's
 *   metrics API (GET /api/v1/query, docs.datadoghq.com/api/latest/metrics/#query-timeseries-points) with the
 *   error-rate monitor's own series (config/datadog-queries.ts). The counts are summed over the window before
 *   dividing, as Datadog evaluates `as_count()` queries in monitors
 *   (docs.datadoghq.com/monitors/guide/as-count-in-monitor-evaluations);
 * - deployed first: a deployment of this commit to the source environment's GitHub environment whose latest status
 *   is `success` (GET /repos/{owner}/{repo}/deployments?environment=&sha=, and its statuses);
 * - checks: each named check run on the commit completed with `success` (GET …/commits/{ref}/check-runs);
 * - window: config/promotion.ts's windowIsOpen at the gate's time;
 * - approval: GitHub's environment protection holds the deploy job until a reviewer approves; the gate checks that
 *   the stack's GitHub environment has that rule (`required_reviewers`, GET /repos/{o}/{r}/environments/{name}),
 *   so an environment the gates stack never configured does not pass for approved.
 */
import * as fs from "node:fs";
import type { Octokit } from "@octokit/rest";
import { XMLParser } from "fast-xml-parser";
import { datadogConfiguration, ddV1 } from "./datadog-client";
import type { EnvironmentSettings, Matrix } from "../config/types";
import { stackOf, teamStacks } from "../config/stacks";
import { errorDetail } from "./http-errors";
import { appliedTask, applyJobName } from "./deploy-workflow";
import { serviceScope, traceCount } from "../config/datadog-queries";
import { approverHandles, describeWindow, windowIsOpen } from "../config/promotion";

export interface GateResult {
  /** tests, error rate, deployed first, check <name>, window, approval. */
  readonly gate: string;
  readonly passed: boolean;
  /** What was measured, or why nothing could be. */
  readonly measured: string;
  /** What the matrix requires. */
  readonly threshold: string;
}

export interface GateInputs {
  readonly commit: string;
  /** A JUnit XML or jest JSON report of the commit's tests. */
  readonly reportFile?: string;
  readonly now: Date;
  readonly datadog: { readonly apiUrl: string; readonly apiKey: string; readonly appKey: string };
  readonly github: Octokit;
  readonly repo: { readonly owner: string; readonly repo: string };
  /** The stack's deploy GitHub environment, whose protection holds the apply job for approval. */
  readonly githubEnvironment: string;
  /**
   * The deploy workflow run the gate runs in (its github.run_id): "deployed first in" then asks that run's own
   * apply jobs, which only GitHub writes. Without it (a person running the gate), the environment's deployments,
   * which anyone with write access can create.
   */
  readonly runId?: number;
  /**
   * The branch the commit was pushed to (`main`, or `refs/heads/main`): the commit must still be its head. Runs start
   * and wait in no promised order (GitHub's concurrency docs: "ordering is not guaranteed"), and an older run's plan
   * applied after a newer push would undo that push, a revert included; the newer push's run applies this change
   * too, its stacks-to-plan comparing with what is applied.
   */
  readonly branch?: string;
}

export class ReportError extends Error {}

export interface TestCounts {
  readonly passed: number;
  readonly failed: number;
  /** Test files that did not run at all (they failed to load: jest's numRuntimeErrorTestSuites). */
  readonly notRun: number;
}

/** Every element named `name` anywhere below `node` (JUnit suites nest). */
function elements(node: unknown, name: string): Record<string, unknown>[] {
  if (node === null || typeof node !== "object") return [];
  if (Array.isArray(node)) return node.flatMap((n) => elements(n, name));
  return Object.entries(node as Record<string, unknown>).flatMap(([k, v]) => [...(k === name ? [v].flat() as Record<string, unknown>[] : []), ...elements(v, name)]);
}

/**
 * Passed and failed tests of a report (skipped ones are neither): jest's `--json` output, or JUnit XML counted by
 * its `<testcase>` elements (a `<failure>` or `<error>` inside fails one, `<skipped>` skips it), or, for a report of
 * totals only, by the innermost `<testsuite>` elements' attributes. A test file that failed to load has no failed test in jest's count:
 * it is counted apart (notRun), and fails the gate.
 */
export function readTestReport(text: string, file: string): TestCounts {
  const trimmed = text.trimStart();
  if (trimmed.startsWith("{")) {
    const r = JSON.parse(text) as { numPassedTests?: unknown; numFailedTests?: unknown; numRuntimeErrorTestSuites?: unknown };
    if (typeof r.numPassedTests !== "number" || typeof r.numFailedTests !== "number") throw new ReportError(`${file}: a JSON report without numPassedTests and numFailedTests (jest --json)`);
    return { passed: r.numPassedTests, failed: r.numFailedTests, notRun: typeof r.numRuntimeErrorTestSuites === "number" ? r.numRuntimeErrorTestSuites : 0 };
  }
  if (!trimmed.startsWith("<")) throw new ReportError(`${file}: neither JUnit XML nor a jest JSON report`);
  const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(text);
  const suites = elements(xml, "testsuite");
  if (suites.length === 0) throw new ReportError(`${file}: JUnit XML without a <testsuite>`);
  const cases = elements(xml, "testcase");
  if (cases.length > 0) {
    const failed = cases.filter((c) => c !== null && typeof c === "object" && ("failure" in c || "error" in c)).length;
    const skipped = cases.filter((c) => c !== null && typeof c === "object" && "skipped" in c && !("failure" in c || "error" in c)).length;
    return { passed: cases.length - failed - skipped, failed, notRun: 0 };
  }
  let passed = 0;
  let failed = 0;
  // the innermost suites only: a suite holding others carries their totals in its own attributes (JUnit's
  // aggregate form), so counting both would count each test twice
  for (const s of suites.filter((x) => elements(x, "testsuite").length === 0)) {
    const [tests, failures, errors, skipped] = ["tests", "failures", "errors", "skipped"].map((a) => Number(s[a] ?? 0));
    if (![tests, failures, errors, skipped].every(Number.isInteger)) throw new ReportError(`${file}: a <testsuite> whose counts are not whole numbers`);
    failed += failures + errors;
    passed += tests - failures - errors - skipped;
  }
  return { passed, failed, notRun: 0 };
}

const pct = (x: number) => `${Number(x.toFixed(4))}%`;

function testsGate(threshold: number, reportFile: string | undefined): GateResult {
  const gate = { gate: "tests", threshold: `more than ${pct(threshold)} pass` };
  if (reportFile === undefined) return { ...gate, passed: false, measured: "no test report given (--report <junit.xml | jest.json>)" };
  let counts: TestCounts;
  try {
    counts = readTestReport(fs.readFileSync(reportFile, "utf8"), reportFile);
  } catch (err) {
    return { ...gate, passed: false, measured: `unreadable report: ${(err as Error).message}` };
  }
  if (counts.notRun > 0) return { ...gate, passed: false, measured: `${counts.notRun} test file(s) did not run (they failed to load): their tests are counted nowhere` };
  const run = counts.passed + counts.failed;
  if (run === 0) return { ...gate, passed: false, measured: `${reportFile}: no test ran` };
  const rate = (100 * counts.passed) / run;
  return { ...gate, passed: rate > threshold, measured: `${pct(rate)} (${counts.passed} of ${run} passed)` };
}

/** The sum of every point of a query's series over the window; undefined when Datadog has no point at all. */
async function sumOver(api: ddV1.MetricsApi, query: string, from: number, to: number): Promise<number | undefined> {
  const r = await api.queryMetrics({ from, to, query });
  const points = (r.series ?? []).flatMap((s) => (s.pointlist ?? []).map((p) => p[1])).filter((v): v is number => typeof v === "number");
  return points.length === 0 ? undefined : points.reduce((a, b) => a + b, 0);
}

async function errorRateGate(
  m: Matrix,
  gateDef: NonNullable<EnvironmentSettings["entryGates"]["sourceErrorRate"]>,
  services: Matrix["services"],
  inputs: GateInputs,
): Promise<GateResult[]> {
  const configuration = datadogConfiguration(inputs.datadog.apiUrl, inputs.datadog.apiKey, inputs.datadog.appKey);
  const api = new ddV1.MetricsApi(configuration);
  const to = Math.floor(inputs.now.getTime() / 1000);
  const from = to - gateDef.lookbackMinutes * 60;
  const results: GateResult[] = [];
  for (const service of services) {
    // the service's own operation, as its monitors read it
    const op = service.traceOperation ?? m.organization.datadog.traceOperation;
    const scope = serviceScope(gateDef.environment, service.name);
    const gate = { gate: `error rate ${gateDef.environment}/${service.name}`, threshold: `below ${pct(gateDef.belowPercent)} over the last ${gateDef.lookbackMinutes} min` };
    let errors: number | undefined;
    let hits: number | undefined;
    try {
      [errors, hits] = [await sumOver(api, traceCount(op, "errors", scope), from, to), await sumOver(api, traceCount(op, "hits", scope), from, to)];
    } catch (err) {
      results.push({ ...gate, passed: false, measured: `Datadog did not answer: ${errorDetail(err)}` });
      continue;
    }
    if (hits === undefined || hits <= 0) {
      results.push({ ...gate, passed: false, measured: `no data: no request of ${service.name} in ${gateDef.environment} in the window` });
      continue;
    }
    const rate = (100 * (errors ?? 0)) / hits;
    results.push({ ...gate, passed: rate < gateDef.belowPercent, measured: `${pct(rate)} (${errors ?? 0} errors in ${hits} requests)` });
  }
  return results;
}

/**
 * "Deployed first in `source`", from the run's own jobs (GET …/actions/runs/{run_id}/jobs, every attempt): the source
 * environment's own apply job in this run, for this commit, and each of its team stacks' that ran, succeeded in its
 * newest attempt. A deploy run that applies prod always applies the environment it waits for (stacks-to-plan brings it
 * along), one stack at a time and before it; a re-run of prod's apply alone sees the earlier attempt's success.
 */
async function deployedFirstInRun(m: Matrix, source: string, runId: number, inputs: GateInputs): Promise<GateResult> {
  const stacks = [source, ...teamStacks(m, source).map((t) => t.name)];
  const gate = { gate: `deployed first in ${source}`, threshold: `this run's ${stacks.map(applyJobName).join(", ")} succeeded for ${inputs.commit.slice(0, 12)}` };
  try {
    const jobs = await inputs.github.paginate(inputs.github.rest.actions.listJobsForWorkflowRun, { ...inputs.repo, run_id: runId, filter: "all", per_page: 100 });
    const newest = stacks
      .map((stack) => jobs.filter((j) => j.name === applyJobName(stack) && j.head_sha === inputs.commit).sort((a, b) => (b.run_attempt ?? 0) - (a.run_attempt ?? 0) || b.id - a.id)[0])
      .filter((j): j is NonNullable<typeof j> => j !== undefined);
    // the source environment's own stack at least (its team stacks where it is split, besides)
    if (!newest.some((j) => j.name === applyJobName(source))) return { ...gate, passed: false, measured: `no ${applyJobName(source)} job in run ${runId}` };
    const failed = newest.filter((j) => j.conclusion !== "success");
    return failed.length === 0
      ? { ...gate, passed: true, measured: newest.map((j) => `job ${j.id} (${j.name}, attempt ${j.run_attempt ?? 1}): success`).join(", ") }
      : { ...gate, passed: false, measured: failed.map((j) => `${j.name}: ${j.conclusion ?? j.status}`).join(", ") };
  } catch (err) {
    return { ...gate, passed: false, measured: `GitHub did not answer: ${errorDetail(err)}` };
  }
}

/**
 * Without the run (a gate run by hand): the source's apply records of the commit (record-apply's deployments, one
 * task per stack), for its own stack and each of its team stacks. Not any deployment of its GitHub environment:
 * the team stacks' applies and GitHub Actions' own deployments of every job there share it.
 */
async function deployedFirstGate(m: Matrix, source: string, inputs: GateInputs): Promise<GateResult> {
  if (inputs.runId !== undefined) return deployedFirstInRun(m, source, inputs.runId, inputs);
  const githubEnvironment = m.environments[source].identity.githubEnvironment;
  const stacks = [source, ...teamStacks(m, source).map((t) => t.name)];
  const gate = { gate: `deployed first in ${source}`, threshold: `${inputs.commit.slice(0, 12)} applied successfully to ${stacks.join(", ")} (their apply records in ${githubEnvironment})` };
  try {
    const measured: string[] = [];
    for (const stack of stacks) {
      const task = appliedTask(stack);
      const deployments = (await inputs.github.rest.repos.listDeployments({ ...inputs.repo, environment: githubEnvironment, sha: inputs.commit, task, per_page: 100 })).data.filter((d) => d.task === task);
      let found: string | undefined;
      for (const d of deployments.sort((a, b) => b.id - a.id)) {
        const statuses = (await inputs.github.rest.repos.listDeploymentStatuses({ ...inputs.repo, deployment_id: d.id, per_page: 100 })).data.sort((a, b) => b.id - a.id);
        // GitHub marks a successful deployment `inactive` once a newer one to the environment succeeds
        // (auto_inactive, docs.github.com/rest/deployments/deployments#create-a-deployment): it still succeeded
        const latest = statuses.find((x) => x.state !== "inactive");
        if (latest?.state === "success") {
          found = `${stack}: deployment ${d.id}: success${statuses[0].state === "inactive" ? " (since superseded)" : ""}`;
          break;
        }
      }
      if (found === undefined) return { ...gate, passed: false, measured: `${stack}: ${deployments.length === 0 ? "never applied there" : `${deployments.length} apply record(s), none successful`}` };
      measured.push(found);
    }
    return { ...gate, passed: true, measured: measured.join("; ") };
  } catch (err) {
    return { ...gate, passed: false, measured: `GitHub did not answer: ${errorDetail(err)}` };
  }
}

async function checkGates(names: readonly string[], inputs: GateInputs): Promise<GateResult[]> {
  if (names.length === 0) return [];
  let runs: { id: number; name: string; status: string; conclusion: string | null }[];
  try {
    runs = await inputs.github.paginate(inputs.github.rest.checks.listForRef, { ...inputs.repo, ref: inputs.commit, per_page: 100 });
  } catch (err) {
    const measured = `GitHub did not answer: ${errorDetail(err)}`;
    return names.map((name) => ({ gate: `check ${name}`, passed: false, measured, threshold: "completed: success" }));
  }
  return names.map((name) => {
    // the latest run of the check decides (a re-run replaces an earlier failure)
    const latest = runs.filter((r) => r.name === name).sort((a, b) => b.id - a.id)[0];
    const measured = latest === undefined ? "no such check on the commit" : latest.status !== "completed" ? latest.status : `completed: ${latest.conclusion}`;
    return { gate: `check ${name}`, passed: latest?.status === "completed" && latest.conclusion === "success", measured, threshold: "completed: success" };
  });
}

async function approvalGate(reviewers: readonly string[], inputs: GateInputs): Promise<GateResult> {
  const environment = inputs.githubEnvironment;
  if (reviewers.length === 0) return { gate: "approval", passed: true, measured: "none required", threshold: "none" };
  const gate = { gate: "approval", threshold: `one of ${reviewers.join(", ")} approves (environment ${environment})` };
  try {
    const env = (await inputs.github.rest.repos.getEnvironment({ ...inputs.repo, environment_name: environment })).data;
    const required = (env.protection_rules ?? []).some((r) => r.type === "required_reviewers");
    return required
      ? { ...gate, passed: true, measured: "required reviewers rule: GitHub holds the deploy job until one approves" }
      : { ...gate, passed: false, measured: `environment ${environment} has no required-reviewers rule (not applied by the gates stack yet, or removed by hand: no plan shows a removed one and a gates apply does not restore it; set it in the repository's environment settings, npm run admissions names it)` };
  } catch (err) {
    const status = (err as { status?: number }).status;
    return { ...gate, passed: false, measured: status === 404 ? `environment ${environment} does not exist` : `GitHub did not answer: ${errorDetail(err)}` };
  }
}

/**
 * Every gate of stack `environment` for the commit. A team stack (config/stacks.ts) deploys into its environment:
 * all that environment's gates. The gates stack is applied like the environment it follows, and passes only that
 * environment's window and approval: it runs no workload to test or measure.
 */
/** The commit is still the head of its branch (GET /repos/{o}/{r}/git/ref/heads/{branch}); fails closed. */
export async function newestGate(ref: string, inputs: GateInputs): Promise<GateResult> {
  const branch = ref.replace(/^refs\/heads\//, "");
  const gate = { gate: "newest commit", threshold: `${inputs.commit.slice(0, 12)} is still the head of ${branch}` };
  try {
    const head = (await inputs.github.rest.git.getRef({ ...inputs.repo, ref: `heads/${branch}` })).data.object.sha;
    return head === inputs.commit
      ? { ...gate, passed: true, measured: `${branch} is at ${head.slice(0, 12)}` }
      : { ...gate, passed: false, measured: `${branch} has moved on to ${head.slice(0, 12)}: that push's run applies this change and what came after it` };
  } catch (err) {
    // a hotfix branch deleted after its merge back: its run can apply nothing any more, and no later run will
    if ((err as { status?: number }).status === 404) return { ...gate, passed: false, measured: `${branch} does not exist any more: deploy what it held from the branch it was merged into` };
    return { ...gate, passed: false, measured: `GitHub did not answer: ${errorDetail(err)}` };
  }
}

export async function evaluateGates(m: Matrix, environment: string, settings: EnvironmentSettings, inputs: GateInputs): Promise<GateResult[]> {
  const results: GateResult[] = [];
  if (inputs.branch !== undefined) results.push(await newestGate(inputs.branch, inputs));
  const of = stackOf(m, environment);
  const own = of?.kind !== "gates";
  const g = settings.entryGates;
  if (own && g.testPassRatePercent !== null) results.push(testsGate(g.testPassRatePercent, inputs.reportFile));
  // a team stack deploys its team's services only: theirs are the error rates that decide (another team's errors in
  // the source hold up no one else's apply); an environment's own stack, whose objects every service stands on, all
  const services = of?.kind === "team" ? of.services : m.services;
  if (own && g.sourceErrorRate !== null) results.push(...(await errorRateGate(m, g.sourceErrorRate, services, inputs)));
  if (own && g.deployedFirstIn !== null) results.push(await deployedFirstGate(m, g.deployedFirstIn, inputs));
  if (own) results.push(...(await checkGates(g.requiredChecks, inputs)));
  const w = settings.deploymentWindow;
  results.push({ gate: "window", passed: windowIsOpen(w, inputs.now), measured: inputs.now.toISOString(), threshold: describeWindow(w) });
  results.push(await approvalGate(approverHandles(m, settings), inputs));
  return results;
}

/** One line per gate (✔/✘, gate, measured, threshold); failed ones named last. */
export function formatGates(environment: string, commit: string, results: readonly GateResult[]): string {
  const width = Math.max(...results.map((r) => r.gate.length));
  const lines = [`gates of ${environment} for ${commit.slice(0, 12)}:`];
  for (const r of results) lines.push(`${r.passed ? "✔" : "✘"} ${r.gate.padEnd(width)}  ${r.measured}  (required: ${r.threshold})`);
  const failed = results.filter((r) => !r.passed);
  lines.push(failed.length === 0 ? `${environment}: every gate passed` : `${environment}: ${failed.length} gate(s) failed: ${failed.map((r) => r.gate).join(", ")}; nothing is applied`);
  return `${lines.join("\n")}\n`;
}
