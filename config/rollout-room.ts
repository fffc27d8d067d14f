/**
 * The pods a service may run beside its `replicas.max` while it changes version: what the namespace's quota leaves
 * room for (constructs/namespace.ts computeQuota) and the cost estimate counts at its maximum (config/cost.ts), one
 * definition for both. A ResourceQuota's `pods` counts every pod in a non-terminal state, the old version's and the
 * new one's alike (kubernetes.io, Resource Quotas), so the room is the larger of:
 * - `rolloutSurgePods`: a rolling update's surge;
 * - with traffic steps, the canary at the widest step short of 100%, scaled to its share of the replicas (a
 *   weighted canary's pods follow its weight), while the stable version keeps all of them;
 * - with `previousVersionFallbackMinutes`, a whole second version: the previous one "stays ready to take the
 *   traffic back" at full size while the new one serves at full size.
 */
import type { EnvironmentSettings } from "./types";

export interface RolloutRoom {
  /** Pods per service beside `replicas.max`. */
  readonly pods: number;
  /** Why, in a few words, for the cost estimate's arithmetic and the README. */
  readonly why: string;
}

export function rolloutRoom(env: Pick<EnvironmentSettings, "replicas" | "rolloutSurgePods" | "rollout">): RolloutRoom {
  const max = env.replicas.max;
  const widest = Math.max(0, ...env.rollout.trafficSteps.map((s) => s.percent).filter((p) => p < 100));
  const candidates: RolloutRoom[] = [
    { pods: env.rolloutSurgePods, why: `${env.rolloutSurgePods} surge` },
    ...(widest > 0 ? [{ pods: Math.ceil((max * widest) / 100), why: `${Math.ceil((max * widest) / 100)} canary at ${widest}%` }] : []),
    ...(env.rollout.previousVersionFallbackMinutes > 0 ? [{ pods: max, why: `${max} previous version kept ready` }] : []),
  ];
  // the first of the largest: the surge where nothing else needs more
  return candidates.reduce((a, b) => (b.pods > a.pods ? b : a));
}
