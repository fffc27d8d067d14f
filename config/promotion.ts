/**
 * What the deploy workflow asks of the matrix: which environments deploy from a branch, and whether an
 * environment's deployment window is open. Pure functions over the matrix, so CI never re-types the map.
 */
import { branchMatches } from "./branches";
import { stackNames, stackOf, teamStacks } from "./stacks";
import { BRANCHES_ENVIRONMENT_SUFFIX, GATES_STACK, PLAN_ENVIRONMENT_SUFFIX } from "./validate";
import type { DeploymentWindow, EnvironmentSettings, Matrix, Weekday } from "./types";

export interface DeployTarget {
  /** The stack's name: an environment's, a team stack's (`<environment>-<team>`), or `gates`. */
  readonly environment: string;
  /** The GitHub environment the apply job runs in (its reviewers, branch policy and deploy secrets). */
  readonly githubEnvironment: string;
  /** The GitHub environment the plan job runs in (no reviewers; read-only secrets; the same branch policy). */
  readonly planEnvironment: string;
  /** Backend type: a deploy from CI needs shared, locked state. */
  readonly backend: string;
  /** Destroys and replacements in its plan are called out first. */
  readonly protected: boolean;
}

export class NoEnvironmentError extends Error {}

/** The GitHub environment holding a stack's read-only plan credentials. */
export const planEnvironmentName = (githubEnvironment: string) => `${githubEnvironment}${PLAN_ENVIRONMENT_SUFFIX}`;
/** Where the branch app's key lives for an environment whose branches only it creates (identity.branchCreators). */
export const branchesEnvironmentName = (githubEnvironment: string) => `${githubEnvironment}${BRANCHES_ENVIRONMENT_SUFFIX}`;

/**
 * The settings a stack is applied with: its environment's (a team stack's too: config/stacks.ts), or for the gates
 * stack the environment it follows.
 */
export function appliedLike(m: Matrix, stack: string): EnvironmentSettings | undefined {
  const s = stackOf(m, stack);
  if (s === undefined) return undefined;
  return m.environments[s.kind === "gates" ? m.organization.gates.followsEnvironment : s.environment];
}

/** What a deploy job needs to know of a stack. */
export function deployTarget(m: Matrix, stack: string): DeployTarget {
  const e = appliedLike(m, stack)!;
  const gh = stack === GATES_STACK ? m.organization.gates.githubEnvironment : e.identity.githubEnvironment;
  return { environment: stack, githubEnvironment: gh, planEnvironment: planEnvironmentName(gh), backend: e.backend.type, protected: e.protected };
}

/**
 * Every stack: the gates first (the others' GitHub environments and Vault roles come from it), then each
 * environment followed by its team stacks (they name the namespace and SecretStore its stack makes).
 */
export function allTargets(m: Matrix): DeployTarget[] {
  return stackNames(m).map((n) => deployTarget(m, n));
}

export { branchMatches } from "./branches";

/**
 * The stacks a push to `ref` deploys: the gates stack first when the branch is the one its followed environment
 * deploys from, then the environments that name the branch (exactly or by pattern), in promotion order (then the
 * rest in matrix order). Validation allows only reviewed branches, so no unreviewed push deploys anything.
 */
export function environmentsForBranch(m: Matrix, ref: string): DeployTarget[] {
  if (ref.startsWith("refs/") && !ref.startsWith("refs/heads/")) {
    throw new NoEnvironmentError(`${ref} is not a branch: environments deploy from branches only`);
  }
  const branch = ref.replace(/^refs\/heads\//, "");
  if (branch.trim() === "") throw new NoEnvironmentError("no branch given");
  const order = [...m.promotionOrder, ...Object.keys(m.environments).filter((n) => !m.promotionOrder.includes(n))];
  const deploysFrom = (patterns: readonly string[]) => patterns.some((p) => branchMatches(p, branch));
  const chosen = order.filter((name) => deploysFrom(m.environments[name].identity.deployBranches));
  if (chosen.length === 0) {
    const known = order.map((n) => `${n}: ${m.environments[n].identity.deployBranches.join(", ")}`).join("; ");
    throw new NoEnvironmentError(`no environment deploys from this branch: ${branch} (deploy branches: ${known})`);
  }
  const gates = deploysFrom(m.environments[m.organization.gates.followsEnvironment].identity.deployBranches) ? [GATES_STACK] : [];
  // each environment's team stacks right after it
  return [...gates, ...chosen.flatMap((e) => [e, ...teamStacks(m, e).map((t) => t.name)])].map((stack) => deployTarget(m, stack));
}

const WEEKDAY_BY_SHORT: Record<string, Weekday> = { Mon: "Mon", Tue: "Tue", Wed: "Wed", Thu: "Thu", Fri: "Fri", Sat: "Sat", Sun: "Sun" };

/** Weekday and hour of `at` in `timeZone`. */
export function localTime(at: Date, timeZone: string): { day: Weekday; hour: number; minute: number } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", { timeZone, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return { day: WEEKDAY_BY_SHORT[parts.weekday], hour: Number(parts.hour), minute: Number(parts.minute) };
}

/** Whether a deploy may start at `at`: on one of the window's days, from startHour:00 up to (not including) endHour:00. */
export function windowIsOpen(window: DeploymentWindow | null, at: Date): boolean {
  if (window === null) return true;
  const { day, hour } = localTime(at, window.timeZone);
  return window.days.includes(day) && hour >= window.startHour && hour < window.endHour;
}

export function describeWindow(window: DeploymentWindow | null): string {
  if (window === null) return "at any time";
  const hh = (h: number) => `${String(h).padStart(2, "0")}:00`;
  return `${window.days.join(", ")} ${hh(window.startHour)}–${hh(window.endHour)} ${window.timeZone}`;
}

/** Who may approve an environment's deploy, as GitHub handles: `@<owner>/<team>` and `@<user>`. */
export function approverHandles(m: Matrix, e: EnvironmentSettings): string[] {
  return [...e.approval.reviewers.teams.map((t) => `@${m.organization.github.owner}/${t}`), ...e.approval.reviewers.users.map((u) => `@${u}`)];
}

/**
 * The check run the default branch's review workflow posts on a pull request's head (see organization.github.reviewApp),
 * named after the branch pattern of the ruleset that requires it: a verdict speaks for the base it was judged
 * against. One name for every base, and a pull request reviewed into an unprotected branch of the writer's, then
 * retargeted to main (GitHub starts no run for a base change), or a second pull request of the same head, or an
 * old run re-run, left a success that main's ruleset took as its own.
 */
export const reviewCheck = (branchPattern: string): string => `envmatrix review (${branchPattern})`;
