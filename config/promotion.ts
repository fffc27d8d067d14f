/**
 * What the deploy workflow asks of the matrix: which environments deploy from a branch, and whether an
 * environment's deployment window is open. Pure functions over the matrix, so CI never re-types the map.
 */
import type { DeploymentWindow, Matrix, Weekday } from "./types";

export interface DeployTarget {
  /** Environment name: the stack id. */
  readonly environment: string;
  /** The GitHub environment the deploy job runs in (its protection rules apply). */
  readonly githubEnvironment: string;
  /** Backend type: a deploy from CI needs shared, locked state. */
  readonly backend: string;
}

export class NoEnvironmentError extends Error {}

/** What a deploy job needs to know of an environment. */
export function deployTarget(m: Matrix, environment: string): DeployTarget {
  const e = m.environments[environment];
  return { environment, githubEnvironment: e.identity.githubEnvironment, backend: e.backend.type };
}

/** `*` is any run of characters except `/`, `**` any run at all: GitHub's branch-pattern matching. */
export function branchMatches(pattern: string, branch: string): boolean {
  const source = pattern
    .split(/(\*\*|\*)/)
    .map((piece) => (piece === "**" ? ".*" : piece === "*" ? "[^/]*" : piece.replace(/[.+?^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`).test(branch);
}

/**
 * The environments a push to `ref` deploys, in promotion order (then the rest in matrix order).
 * Environments that name the branch (exactly or by pattern) take it; an environment that deploys from any
 * branch (`*`) takes only branches nobody names, so `main` goes to staging and prod, not also to dev.
 */
export function environmentsForBranch(m: Matrix, ref: string): DeployTarget[] {
  if (ref.startsWith("refs/") && !ref.startsWith("refs/heads/")) {
    throw new NoEnvironmentError(`${ref} is not a branch: environments deploy from branches only`);
  }
  const branch = ref.replace(/^refs\/heads\//, "");
  if (branch.trim() === "") throw new NoEnvironmentError("no branch given");
  const order = [...m.promotionOrder, ...Object.keys(m.environments).filter((n) => !m.promotionOrder.includes(n))];
  const entries = order.map((name) => [name, m.environments[name]] as const);
  const named = entries.filter(([, e]) => e.identity.deployBranches.some((p) => p !== "*" && branchMatches(p, branch)));
  const chosen = named.length > 0 ? named : entries.filter(([, e]) => e.identity.deployBranches.includes("*"));
  if (chosen.length === 0) {
    const known = entries.map(([n, e]) => `${n}: ${e.identity.deployBranches.join(", ")}`).join("; ");
    throw new NoEnvironmentError(`no environment deploys from this branch: ${branch} (deploy branches: ${known})`);
  }
  return chosen.map(([environment]) => deployTarget(m, environment));
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
