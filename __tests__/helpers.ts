/**
 * Shared by the tests: synthesize one environment's stack from a (possibly edited) matrix. cdktf and the stacks
 * load on the first synthesis: the many test files that only read the matrix from here never load them.
 */
import { testApp } from "./scratch";
import { matrix as definition } from "../config/environments";
import { loadMatrix } from "../config";
import type { EnvironmentSettings, Matrix } from "../config/types";

/** The seed matrix, resolved (hotfix expanded from prod). */
export const seedMatrix: Matrix = loadMatrix();
export const environmentNames = Object.keys(seedMatrix.environments);

export interface Synthesized {
  /** The stack's cdk.tf.json, as cdktf writes it. */
  readonly json: string;
  readonly parsed: TerraformJson;
}

export interface TerraformJson {
  readonly resource: Record<string, Record<string, any>>;
  readonly provider: Record<string, any[]>;
  readonly terraform: { backend: Record<string, any> };
  readonly data: Record<string, Record<string, any>>;
  readonly [key: string]: any;
}

export function synthEnvironment(name: string, m: Matrix = seedMatrix): Synthesized {
  const { Testing } = require("cdktf") as typeof import("cdktf");
  const { EnvironmentStack } = require("../stacks/environment-stack") as typeof import("../stacks/environment-stack");
  const app = testApp();
  const stack = new EnvironmentStack(app, {
    name,
    environment: m.environments[name],
    organization: m.organization,
    services: m.services,
  });
  const json = Testing.synth(stack);
  return { json, parsed: JSON.parse(json) };
}

/** A deep copy of the seed matrix as written (hotfix still a clone of prod), for a test to edit freely. */
export function editableDefinition(): any {
  return structuredClone(definition);
}

/** The resources of one type, by address name. */
export function resources(s: Synthesized, type: string): Record<string, any> {
  return s.parsed.resource[type] ?? {};
}

export function env(name: string, m: Matrix = seedMatrix): EnvironmentSettings {
  return m.environments[name];
}

/**
 * The stack's JSON with references to other resources' configured values (`${type.name.attr}`,
 * `${type.name.metadata[0].name}`) replaced by those values, as Terraform would know them at plan time.
 */
export function resolveReferences(s: Synthesized): TerraformJson {
  const lookup = (type: string, name: string, attrPath: string): unknown => {
    let at: any = s.parsed.resource[type]?.[name];
    for (const part of attrPath.replace(/\[0\]/g, "").split(".")) at = at?.[part];
    if (at === undefined) throw new Error(`unresolvable reference ${type}.${name}.${attrPath}`);
    return at;
  };
  const resolved = s.json.replace(/\$\{([a-z0-9_]+)\.([a-z0-9_]+)\.([a-z0-9_.[\]]+)\}/g, (_m, type, name, attr) =>
    String(lookup(type, name, attr)),
  );
  return JSON.parse(resolved);
}

/** The literal list of a `${toset([...])}` for_each expression. */
export function tosetValues(expression: string): string[] {
  const m = /^\$\{toset\((\[.*\])\)\}$/.exec(expression);
  if (!m) throw new Error(`not a literal toset(): ${expression}`);
  return JSON.parse(m[1]);
}

/**
 * The pods a service's rollout runs beside `replicas.max`, worked out here from the matrix as the README's quota row
 * says (not by the code under test): the largest of the surge, the canary at the widest traffic step short of 100%
 * (rounded up), and with a fallback the whole previous version.
 */
export function expectedRolloutRoom(e: EnvironmentSettings): { pods: number; why: string } {
  const steps = e.rollout.trafficSteps.map((s) => s.percent).filter((p) => p < 100);
  const canary = steps.length > 0 ? Math.ceil((e.replicas.max * Math.max(...steps)) / 100) : 0;
  const previous = e.rollout.previousVersionFallbackMinutes > 0 ? e.replicas.max : 0;
  if (previous > e.rolloutSurgePods && previous >= canary) return { pods: previous, why: `${previous} previous version kept ready` };
  if (canary > e.rolloutSurgePods) return { pods: canary, why: `${canary} canary at ${Math.max(...steps)}%` };
  return { pods: e.rolloutSurgePods, why: `${e.rolloutSurgePods} surge` };
}

/**
 * The seed matrix as written, with a second service of a second team (api: platform, billing: payments; budgets
 * ×3 for the doubled pods) and prod split by team when `split`: the team stacks prod-platform and prod-payments.
 */
export function twoTeamsDefinition(split = true): any {
  const def = editableDefinition();
  def.services = [{ name: "api", team: "platform" }, { name: "billing", team: "payments" }];
  for (const e of ["dev", "staging", "prod"]) def.environments[e].cost.budgetMonthly *= 3;
  def.environments.prod.splitByTeam = split;
  return def;
}
