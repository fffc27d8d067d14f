/** No drift by construction: the same code path for every environment, so stacks differ only where the matrix does. */
import { testApp } from "./scratch";
import { TerraformStack } from "cdktf";
import { loadMatrix } from "../config";
import { buildApp } from "../main";
import type { EnvironmentIdentity, EnvironmentSettings } from "../config/types";
import { editableDefinition, environmentNames, seedMatrix, synthEnvironment, type Synthesized } from "./helpers";

const addresses = (s: Synthesized) =>
  Object.entries(s.parsed.resource)
    .flatMap(([type, byName]) => Object.keys(byName).map((name) => `${type}.${name}`))
    .sort();

/** Every leaf of a JSON document by its path. */
function leaves(value: unknown, at = "", out = new Map<string, unknown>()): Map<string, unknown> {
  if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) leaves(v, `${at}/${k}`, out);
  } else out.set(at, value);
  return out;
}

type Identity = EnvironmentIdentity & { name: string };
const identityOf = (name: string): Identity => ({ ...seedMatrix.environments[name].identity, name });

/**
 * How `clone` differs from `source` beyond their identities: a leaf that differs must be the source's value
 * with one identity value swapped for the clone's. Returns the unexplained differences (none means equal).
 */
function unexplainedDifferences(source: Synthesized, sourceId: Identity, clone: Synthesized, cloneId: Identity): string[] {
  const a = leaves(source.parsed);
  const b = leaves(clone.parsed);
  const problems: string[] = [];
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    if (!a.has(key) || !b.has(key)) {
      problems.push(`${key}: only in ${a.has(key) ? sourceId.name : cloneId.name}`);
      continue;
    }
    const [x, y] = [a.get(key), b.get(key)];
    if (x === y) continue;
    const fields = ["namespace", "githubEnvironment", "vaultSubtree", "protectedBranch", "name"] as const;
    const explained =
      typeof x === "string" &&
      typeof y === "string" &&
      fields.some((f) => x.split(String(sourceId[f])).join(String(cloneId[f])) === y);
    if (!explained) problems.push(`${key}: ${JSON.stringify(x)} → ${JSON.stringify(y)}`);
  }
  return problems;
}

describe("the app", () => {
  it("has one stack per environment, named after it, in the matrix's order, then the gates stack", () => {
    const app = buildApp(testApp(), seedMatrix);
    const stacks = app.node.children.filter((c) => c instanceof TerraformStack).map((c) => c.node.id);
    expect(stacks).toEqual(["dev", "staging", "prod", "hotfix", "gates"]);
  });
});

describe("across environments", () => {
  const seed = Object.fromEntries(environmentNames.map((n) => [n, synthEnvironment(n)]));

  /** Addresses that exist only where a matrix field switches them on, with that field. */
  const switched: Record<string, (e: EnvironmentSettings) => boolean> = Object.fromEntries(
    seedMatrix.services.flatMap((s) => [
      [`datadog_service_level_objective.${s.name}_availability_slo`, (e: EnvironmentSettings) => e.slo !== null],
      [`datadog_service_level_objective.${s.name}_latency_slo`, (e: EnvironmentSettings) => e.slo !== null && e.slo.latencyP99Ms !== null],
      [`datadog_monitor.${s.name}_canary_error_rate`, (e: EnvironmentSettings) => e.canaryGate !== null],
      [`datadog_monitor.${s.name}_canary_latency`, (e: EnvironmentSettings) => e.canaryGate !== null],
    ]).concat([
      // the mesh's control-plane egress exists where the matrix injects sidecars
      ["kubernetes_network_policy_v1.allow_mesh_control_plane", (e: EnvironmentSettings) => e.sidecarInjection],
    ]),
  );

  it("every stack has the same readable resource addresses, except what a matrix field switches on", () => {
    const everywhere = (name: string) => addresses(seed[name]).filter((a) => !(a in switched));
    const devAddresses = everywhere("dev");
    expect(devAddresses).toContain("kubernetes_namespace_v1.namespace");
    expect(devAddresses).toContain("kubernetes_network_policy_v1.default_deny");
    expect(devAddresses).toContain("datadog_monitor.api_error_rate");
    for (const name of environmentNames) {
      expect(everywhere(name)).toEqual(devAddresses);
      const e = seedMatrix.environments[name];
      for (const [address, on] of Object.entries(switched)) expect({ name, address, present: addresses(seed[name]).includes(address) }).toEqual({ name, address, present: on(e) });
    }
    // nothing hashed: no 8-hex-digit suffix anywhere
    for (const name of environmentNames) for (const a of addresses(seed[name])) expect(a).not.toMatch(/_[0-9A-F]{8}$/);
  });

  it("hotfix equals prod once identity (name, namespace, GitHub environment, Vault subtree, branch) is normalized", () => {
    expect(unexplainedDifferences(seed.prod, identityOf("prod"), seed.hotfix, identityOf("hotfix"))).toEqual([]);
  });

  it("the normalization does not hide a real difference", () => {
    // staging differs from dev in matrix values, not only identity: the comparison must say so
    const diffs = unexplainedDifferences(seed.dev, identityOf("dev"), seed.staging, identityOf("staging"));
    expect(diffs).toContainEqual(expect.stringMatching(/^\/resource\/kubernetes_config_map_v1\/profile\/data\/LOG_LEVEL: "debug" → "info"$/));
  });

  it("changing one prod value changes only prod's and hotfix's stacks", () => {
    const def = editableDefinition();
    def.environments.prod.runtime.dbPoolSize = 80;
    const edited = loadMatrix(def);
    const changed = environmentNames.filter((n) => synthEnvironment(n, edited).json !== seed[n].json);
    expect(changed).toEqual(["prod", "hotfix"]);
    const hotfixProfile = synthEnvironment("hotfix", edited).parsed.resource.kubernetes_config_map_v1.profile.data;
    expect(hotfixProfile.DB_POOL_SIZE).toBe("80");
  });

  it("changing one dev value changes only dev's stack", () => {
    const def = editableDefinition();
    def.environments.dev.replicas.max = 4;
    const edited = loadMatrix(def);
    expect(environmentNames.filter((n) => synthEnvironment(n, edited).json !== seed[n].json)).toEqual(["dev"]);
  });
});
