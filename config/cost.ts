/**
 * What an environment costs a month, estimated from the matrix (never a bill): its pods at the organization's
 * unit prices plus its fixed items, at default replicas and at max replicas (every service at max replicas plus
 * its surge pods: a month at the most the autoscaler runs). The namespace's ResourceQuota admits more, a rollout's
 * canary or previous version beside them (config/rollout-room.ts), for the hour or so a rollout lasts.
 *
 *   pods × (vCPU per pod × price per vCPU-hour + GiB per pod × price per GiB-hour) × hours per month + fixed
 *
 * A pod is the application container plus the mesh's sidecar where one is injected, as the quota counts it.
 */
import type { EnvironmentSettings, Matrix, Organization } from "./types";

/** Whether the environment's pods carry the mesh's sidecar (injection on, and a sidecar mode rather than ambient). */
export const sidecarInjected = (env: EnvironmentSettings, org: Organization): boolean => env.sidecarInjection && org.serviceMesh.mode !== "ambient";

/** One pod's requests (= limits): the application container, plus the sidecar where one is injected. */
export function podSize(env: EnvironmentSettings, org: Organization): { cpuMillicores: number; memoryMiB: number } {
  const sidecar = sidecarInjected(env, org) ? org.serviceMesh.sidecar : { cpuMillicores: 0, memoryMiB: 0 };
  return { cpuMillicores: env.pod.cpuMillicores + sidecar.cpuMillicores, memoryMiB: env.pod.memoryMiB + sidecar.memoryMiB };
}

export interface CostEstimate {
  readonly pods: number;
  readonly compute: number;
  readonly memory: number;
  readonly fixed: number;
  readonly total: number;
  /** The sum written out, with the matrix's numbers. */
  readonly arithmetic: string;
}

const cents = (n: number) => Math.round(n * 100) / 100;
/** `$1,450.31`, `$2,000` in the organization's currency ($ for USD, the code otherwise). */
export function money(amount: number, currency: string): string {
  const [whole, fraction] = cents(Math.abs(amount)).toFixed(2).split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const text = `${currency === "USD" ? "$" : `${currency} `}${grouped}${fraction === "00" ? "" : `.${fraction}`}`;
  return amount < 0 ? `-${text}` : text;
}
const num = (n: number) => String(Number(n.toFixed(4)));
/** A unit price, to the fraction of a cent it is given in: `$0.005`. */
const price = (n: number, currency: string) => `${currency === "USD" ? "$" : `${currency} `}${num(n)}`;
const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;

function estimate(pods: number, podsWhy: string, env: EnvironmentSettings, org: Organization): CostEstimate {
  const p = org.cost;
  const pod = podSize(env, org);
  const cores = pod.cpuMillicores / 1000;
  const gib = pod.memoryMiB / 1024;
  const compute = pods * cores * p.vcpuHour * p.hoursPerMonth;
  const memory = pods * gib * p.gibHour * p.hoursPerMonth;
  const fixed = Object.values(env.cost.fixedMonthly).reduce((a, b) => a + b, 0);
  const total = cents(compute + memory + fixed);
  const c = (n: number) => money(n, p.currency);
  return {
    pods,
    compute: cents(compute),
    memory: cents(memory),
    fixed: cents(fixed),
    total,
    arithmetic: `${podsWhy} × (${num(cores)} vCPU × ${price(p.vcpuHour, p.currency)} + ${num(gib)} GiB × ${price(p.gibHour, p.currency)}) × ${p.hoursPerMonth} h + ${c(fixed)} fixed = ${c(total)}`,
  };
}

/** The environment's monthly estimate at default replicas and at max replicas. */
export function estimateCost(m: Matrix, name: string): { atDefault: CostEstimate; atMax: CostEstimate } {
  const env = m.environments[name];
  const services = m.services.length;
  const s = plural(services, "service");
  const r = env.replicas;
  const maxPods = services * (r.max + env.rolloutSurgePods);
  return {
    atDefault: estimate(services * r.default, `${s} × ${plural(r.default, "default replica")} = ${plural(services * r.default, "pod")}`, env, m.organization),
    atMax: estimate(maxPods, `${s} × (${r.max} max + ${env.rolloutSurgePods} surge) = ${plural(maxPods, "pod")}`, env, m.organization),
  };
}
