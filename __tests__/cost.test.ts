/**
 * The monthly cost estimate from the matrix (config/cost.ts, never a bill): per environment at default replicas and
 * at max replicas, worked out in each test's name from the matrix's numbers; the budget rule; and the
 * pull-request comment's change per environment when a change raises `replicas.max`.
 */
import { loadMatrix } from "../config";
import { validateMatrix } from "../config/validate";
import { estimateCost, money } from "../config/cost";
import { costDelta, costMarkdown, costText } from "../review/cost";
import type { Matrix } from "../config/types";
import { editableDefinition, seedMatrix } from "./helpers";

const org = seedMatrix.organization;
const price = org.cost;
const services = seedMatrix.services.length;
/** A pod as the quota counts it: the container, and the mesh's sidecar where one is injected (sidecar modes only). */
const pod = (name: string) => {
  const e = seedMatrix.environments[name];
  const sidecar = e.sidecarInjection && org.serviceMesh.mode !== "ambient" ? org.serviceMesh.sidecar : { cpuMillicores: 0, memoryMiB: 0 };
  return { cores: (e.pod.cpuMillicores + sidecar.cpuMillicores) / 1000, gib: (e.pod.memoryMiB + sidecar.memoryMiB) / 1024 };
};
const monthly = (pods: number, name: string) => {
  const p = pod(name);
  const fixed = Object.values(seedMatrix.environments[name].cost.fixedMonthly).reduce((a, b) => a + b, 0);
  return Math.round((pods * (p.cores * price.vcpuHour + p.gib * price.gibHour) * price.hoursPerMonth + fixed) * 100) / 100;
};

const cases = Object.keys(seedMatrix.environments).map((name) => {
  const e = seedMatrix.environments[name];
  const maxPods = services * (e.replicas.max + e.rolloutSurgePods);
  const p = pod(name);
  return [
    name,
    `${services} × (${e.replicas.max} max + ${e.rolloutSurgePods} surge) = ${maxPods} pods × (${p.cores} vCPU × ${price.vcpuHour} + ${p.gib} GiB × ${price.gibHour}) × ${price.hoursPerMonth} h = ${monthly(maxPods, name)}`,
    maxPods,
  ] as const;
});

describe("the estimate per environment", () => {
  it.each(cases)("%s at max replicas: %s", (name, _arithmetic, maxPods) => {
    const e = estimateCost(seedMatrix, name);
    expect(e.atMax.pods).toBe(maxPods);
    expect(e.atMax.total).toBe(monthly(maxPods, name));
    // default replicas: services × default, nothing for surge
    const env = seedMatrix.environments[name];
    expect(e.atDefault.pods).toBe(services * env.replicas.default);
    expect(e.atDefault.total).toBe(monthly(services * env.replicas.default, name));
  });

  it("the seed's figures, worked out by hand: dev $65.70, staging $217.36, prod and hotfix $1,450.60 a month at the maximum", () => {
    // dev: 4 pods × (0.5 × 0.04 + 0.5 × 0.005) × 730 = 4 × 0.0225 × 730 = 65.70
    // staging: 6 × (1.1 × 0.04 + 1.125 × 0.005) × 730 = 6 × 0.049625 × 730 = 217.3575
    // prod: 21 × (2.1 × 0.04 + 2.125 × 0.005) × 730 = 21 × 0.094625 × 730 = 1450.60125
    expect(Object.keys(seedMatrix.environments).map((n) => estimateCost(seedMatrix, n).atMax.total)).toEqual([65.7, 217.36, 1450.6, 1450.6]);
  });

  it("counts every service at max replicas with its surge: the ResourceQuota holds those and, where the rollout needs it, a canary or the previous version beside them for the rollout's while", () => {
    const { synthEnvironment, resources, expectedRolloutRoom } = require("./helpers");
    for (const name of Object.keys(seedMatrix.environments)) {
      const e = seedMatrix.environments[name];
      const hard = Object.values<any>(resources(synthEnvironment(name), "kubernetes_resource_quota_v1"))[0].spec.hard;
      expect(estimateCost(seedMatrix, name).atMax.pods).toBe(seedMatrix.services.length * (e.replicas.max + e.rolloutSurgePods));
      expect(Number(hard.pods)).toBe(seedMatrix.services.length * (e.replicas.max + expectedRolloutRoom(e).pods));
    }
    // prod keeps its previous version ready for an hour after a rollout: its quota holds two versions at max
    expect(seedMatrix.environments.prod.rollout.previousVersionFallbackMinutes).toBeGreaterThan(0);
  });

  it("adds the fixed items, and writes the sum out with the matrix's numbers", () => {
    const def = editableDefinition();
    def.environments.staging.cost.fixedMonthly = { "load balancer": 18, database: 120.5 };
    const e = estimateCost(loadMatrix(def), "staging");
    expect(e.atMax.fixed).toBe(138.5);
    expect(e.atMax.total).toBe(Math.round((monthly(e.atMax.pods, "staging") + 138.5) * 100) / 100);
    expect(e.atMax.arithmetic).toBe(`1 service × (5 max + 1 surge) = 6 pods × (1.1 vCPU × $0.04 + 1.125 GiB × $0.005) × 730 h + $138.50 fixed = $${e.atMax.total}`);
  });
});

describe("amounts and the arithmetic's words", () => {
  it("money: thousands grouped, cents only when there are some, the sign before the currency, $ for USD and the code otherwise", () => {
    expect([money(1234567.5, "USD"), money(100000, "USD"), money(999, "USD"), money(2000, "USD"), money(-5.1, "USD"), money(1450.311, "EUR")]).toEqual([
      "$1,234,567.50",
      "$100,000",
      "$999",
      "$2,000",
      "-$5.10",
      "EUR 1,450.31",
    ]);
  });

  it("at default replicas: one service, one replica, one pod, in the singular; several in the plural; unit prices in the matrix's currency", () => {
    const one = estimateCost(seedMatrix, "dev").atDefault.arithmetic;
    expect(one.startsWith("1 service × 1 default replica = 1 pod × (")).toBe(true);
    const def = editableDefinition();
    def.services = [{ name: "api", team: "platform" }, { name: "billing", team: "payments" }];
    for (const e of ["dev", "staging", "prod"]) def.environments[e].cost.budgetMonthly *= 4;
    def.organization.cost.currency = "EUR";
    const staging = seedMatrix.environments.staging.replicas;
    const several = estimateCost(loadMatrix(def), "staging").atDefault.arithmetic;
    expect(several).toMatch(new RegExp(`^2 services × ${staging.default} default replicas = ${2 * staging.default} pods × \\(1\\.1 vCPU × EUR 0\\.04 \\+ 1\\.125 GiB × EUR 0\\.005\\) × 730 h \\+ EUR 0 fixed = EUR [0-9,.]+$`));
  });
});

describe("the budget", () => {
  it("a clone may have its own budget (it runs beside its source, not instead of it), and is held to it", () => {
    const def = editableDefinition();
    def.environments.hotfix.cost = { budgetMonthly: 1000, fixedMonthly: {} };
    expect(validateMatrix(def).map((p) => p.path)).toEqual(["environments.hotfix.cost.budgetMonthly"]);
    def.environments.hotfix.cost = { budgetMonthly: 1500, fixedMonthly: { "hotfix runner": 20 } };
    expect(loadMatrix(def).environments.hotfix.cost.budgetMonthly).toBe(1500);
    expect(loadMatrix(def).environments.prod.cost.budgetMonthly).toBe(2000);
  });

  it("a maximum above the budget is refused, with the arithmetic and what to change", () => {
    const def = editableDefinition();
    def.environments.prod.cost.budgetMonthly = 1000;
    expect(validateMatrix(def)).toEqual([
      {
        path: "environments.prod.cost.budgetMonthly",
        message: `$1,000 is below the estimate at max replicas: 1 service × (20 max + 1 surge) = 21 pods × (2.1 vCPU × $0.04 + 2.125 GiB × $0.005) × 730 h + $0 fixed = $1,450.60 (lower replicas.max or the pod size, or raise the budget)`,
      },
    ]);
  });
});

describe("the pull-request comment's change", () => {
  it("raising prod's replicas.max by 2: prod and its clone hotfix cost more at max replicas, the same at default", () => {
    const def = editableDefinition();
    def.environments.prod.replicas.max += 2;
    const head = loadMatrix(def);
    const e = seedMatrix.environments.prod;
    const before = monthly(services * (e.replicas.max + e.rolloutSurgePods), "prod");
    const after = monthly(services * (e.replicas.max + 2 + e.rolloutSurgePods), "prod");
    const delta = Math.round((after - before) * 100) / 100;
    const usd = (n: number) => `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`.replace(/\.00$/, "");
    expect(costDelta(seedMatrix, head).split("\n")).toEqual([
      "#### Estimated cost (from the matrix, never a bill)",
      "",
      `- prod: +${usd(delta)}/month at max replicas (${usd(before)} → ${usd(after)}, budget $2,000), $0 at default replicas`,
      `- hotfix: +${usd(delta)}/month at max replicas (${usd(before)} → ${usd(after)}, budget $2,000), $0 at default replicas`,
    ]);
  });

  it("says so when no estimate changed", () => {
    expect(costDelta(seedMatrix, seedMatrix)).toBe("#### Estimated cost (from the matrix, never a bill)\n\nNo environment's estimate changed.");
  });
});

/** Dollars as the comments write them: thousands grouped, cents unless whole, a minus before the sign. */
const dollars = (n: number) => `${n < 0 ? "-" : ""}$${Math.abs(n).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`.replace(/\.00$/, "");
const atDefault = (name: string) => monthly(services * seedMatrix.environments[name].replicas.default, name);
const atMax = (name: string) => monthly(services * (seedMatrix.environments[name].replicas.max + seedMatrix.environments[name].rolloutSurgePods), name);

describe("every environment's estimate as a table (costText, costMarkdown)", () => {
  const names = Object.keys(seedMatrix.environments);
  it("text: one line per environment, the names padded to the longest (staging)", () => {
    expect(price.currency).toBe("USD");
    expect(costText(seedMatrix).split("\n")).toEqual([
      "estimated monthly cost from the matrix (never a bill), USD:",
      ...names.map((n) => `${n.padEnd("staging".length)}  ${dollars(atDefault(n))} at default replicas, ${dollars(atMax(n))} at max replicas, budget ${dollars(seedMatrix.environments[n].cost.budgetMonthly)}`),
    ]);
  });
  it("markdown: a row per environment with the maximum worked out", () => {
    expect(costMarkdown(seedMatrix).split("\n")).toEqual([
      "| environment | a month at default replicas | a month at max replicas | budget | the maximum, worked out |",
      "| --- | --- | --- | --- | --- |",
      ...names.map((n) => `| ${n} | ${dollars(atDefault(n))} | ${dollars(atMax(n))} | ${dollars(seedMatrix.environments[n].cost.budgetMonthly)} | ${estimateCost(seedMatrix, n).atMax.arithmetic} |`),
    ]);
  });
});

describe("the pull-request comment's change: environments added or removed, default replicas only", () => {
  const { hotfix: _hotfix, ...withoutHotfix } = seedMatrix.environments;
  const fewer = { ...seedMatrix, environments: withoutHotfix } as Matrix;
  const heading = ["#### Estimated cost (from the matrix, never a bill)", ""];

  it("a new environment: its estimate and budget; a removed one: its maximum, negative", () => {
    expect(costDelta(fewer, seedMatrix).split("\n")).toEqual([
      ...heading,
      `- hotfix: new, ${dollars(atMax("hotfix"))}/month at max replicas, ${dollars(atDefault("hotfix"))} at default (budget ${dollars(seedMatrix.environments.hotfix.cost.budgetMonthly)})`,
    ]);
    expect(costDelta(seedMatrix, fewer).split("\n")).toEqual([...heading, `- hotfix: removed, ${dollars(-atMax("hotfix"))}/month at max replicas`]);
  });

  it("one more default replica in staging: the same at max replicas, the change at default", () => {
    const def = editableDefinition();
    def.environments.staging.replicas.default += 1;
    const e = seedMatrix.environments.staging;
    const more = Math.round((monthly(services * (e.replicas.default + 1), "staging") - atDefault("staging")) * 100) / 100;
    expect(costDelta(seedMatrix, loadMatrix(def)).split("\n")).toEqual([
      ...heading,
      `- staging: $0/month at max replicas (${dollars(atMax("staging"))} → ${dollars(atMax("staging"))}, budget ${dollars(e.cost.budgetMonthly)}), +${dollars(more)} at default replicas`,
    ]);
  });
});
