/**
 * The pods a service may run beside `replicas.max` while it changes version: what the namespace's quota leaves room
 * for (constructs/namespace.ts computeQuota). A ResourceQuota's `pods` counts every pod in a non-terminal state, the
 * old version's and the new one's alike (kubernetes.io, Resource Quotas), so the room is the largest of:
 * - `rolloutSurgePods`: a rolling update's surge;
 * - with traffic steps, the canary at the widest step short of 100%, scaled to its share of the replicas (a
 *   weighted canary's pods follow its weight), while the stable version keeps all of them;
 * - with `previousVersionFallbackMinutes`, a whole second version: the previous one "stays ready to take the
 *   traffic back" at full size while the new one serves at full size.
 * The cost estimate does not count it (config/cost.ts): it lasts while a rollout does, not a month.
 */
import type { EnvironmentSettings } from "./types";

export function rolloutRoomPods(env: Pick<EnvironmentSettings, "replicas" | "rolloutSurgePods" | "rollout">): number {
  const max = env.replicas.max;
  const widest = Math.max(0, ...env.rollout.trafficSteps.map((s) => s.percent).filter((p) => p < 100));
  const canary = Math.ceil((max * widest) / 100);
  const previous = env.rollout.previousVersionFallbackMinutes > 0 ? max : 0;
  return Math.max(env.rolloutSurgePods, canary, previous);
}
