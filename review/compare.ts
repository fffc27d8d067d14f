/**
 * Two environments side by side: every synthesized value that differs once identity is normalized, with the
 * matrix field(s) it comes from. A field is credited with a value when giving the first environment the second's
 * value of that field (and nothing else) changes that value. A difference no field explains is drift: code that
 * treats environments differently behind the matrix's back.
 */
import { Testing } from "cdktf";
import { EnvironmentStack } from "../stacks/environment-stack";
import { TeamStack } from "../stacks/team-stack";
import { teamStackName, teamsOf } from "../config/stacks";
import { environmentNamed } from "../config";
import type { EnvironmentSettings, Matrix } from "../config/types";
import { isPlainObject } from "./json";
import { withScratchFolder } from "../stacks/scratch-folder";

/** Builds one environment's stack; the default is the real one (tests pass a deliberately drifting one). */
export type StackBuilder = (scope: ReturnType<typeof Testing.app>, name: string, environment: EnvironmentSettings, m: Matrix) => EnvironmentStack;

export const buildStack: StackBuilder = (scope, name, environment, m) =>
  new EnvironmentStack(scope, { name, environment, organization: m.organization, services: m.services });

export interface Difference {
  /** Where in the synthesized stack, e.g. `resource.kubernetes_config_map_v1.profile.data.LOG_LEVEL`. */
  readonly path: string;
  readonly a: unknown;
  readonly b: unknown;
  /** Matrix fields behind the difference (`environments.<env>.alerts.cpuPercent`); empty means drift. */
  readonly fields: readonly string[];
}

export interface Comparison {
  readonly a: string;
  readonly b: string;
  /** Matrix fields whose values differ between the two environments (identity and purpose aside). */
  readonly differingFields: readonly string[];
  readonly differences: readonly Difference[];
  readonly identityNormalized: number;
  readonly drift: readonly Difference[];
}

/** Paths of the settings that differ; objects are compared field by field, anything else as one value. */
export function differingSettings(a: unknown, b: unknown, at: string[] = []): string[][] {
  if (isPlainObject(a) && isPlainObject(b)) {
    return [...new Set([...Object.keys(a), ...Object.keys(b)])].flatMap((k) => differingSettings(a[k], b[k], [...at, k]));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [at];
}

function setPath(target: any, path: readonly string[], value: unknown): any {
  const [head, ...rest] = path;
  if (rest.length === 0) return { ...target, [head]: structuredClone(value) };
  // `target` is always an object: the caller's, or the `{}` of a level that was missing
  return { ...target, [head]: setPath(target[head] ?? {}, rest, value) };
}

/** Every leaf by its dotted path. Testing.synth has already dropped cdktf's `//` metadata blocks. */
function leaves(value: unknown, at: string, out: Map<string, unknown>): Map<string, unknown> {
  if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) leaves(v, at ? `${at}.${k}` : k, out);
  } else out.set(at, value);
  return out;
}

function synthLeaves(build: StackBuilder, m: Matrix, name: string, environment: EnvironmentSettings, outdir: string): Map<string, unknown> {
  // nothing is written there: Testing.synth serializes in memory, but every App needs a folder
  const app = Testing.app({ outdir });
  const stack = build(app, name, environment, m);
  const json = JSON.parse(Testing.synth(stack));
  // an environment split by team is compared across all its stacks: the team stacks' resources with its own
  // (their providers and backends are the environment's, by name)
  if (environment.splitByTeam) {
    for (const team of teamsOf(m.services)) {
      const services = m.services.filter((s) => s.team === team);
      const teamStack = new TeamStack(app, { name: teamStackName(name, team), environmentName: name, environment, organization: m.organization, services });
      for (const [type, byName] of Object.entries<Record<string, unknown>>(JSON.parse(Testing.synth(teamStack)).resource ?? {})) {
        json.resource[type] = { ...(json.resource[type] ?? {}), ...byName };
      }
    }
  }
  return leaves(json, "", new Map());
}

type Identity = Record<string, string>;
const identityOf = (name: string, e: EnvironmentSettings): Identity => ({
  name,
  namespace: e.identity.namespace,
  githubEnvironment: e.identity.githubEnvironment,
  vaultSubtree: e.identity.vaultSubtree,
  protectedBranch: e.identity.protectedBranch ?? "",
});

/** `b` is `a` with one identity value (or the name) of A swapped for B's. */
function identityExplains(a: unknown, b: unknown, ia: Identity, ib: Identity): boolean {
  if (typeof a !== "string" || typeof b !== "string") return false;
  return Object.keys(ia).some((k) => ia[k] !== "" && a.split(ia[k]).join(ib[k]) === b);
}

/** Keys whose value (or presence) differs between two leaf maps. */
function changedKeys(x: Map<string, unknown>, y: Map<string, unknown>): Set<string> {
  const keys = new Set<string>();
  for (const k of new Set([...x.keys(), ...y.keys()])) if (x.get(k) !== y.get(k) || x.has(k) !== y.has(k)) keys.add(k);
  return keys;
}

const valueAt = (o: unknown, path: readonly string[]) => path.reduce<any>((v, k) => v?.[k], o);

/**
 * A ↔ B in two steps, so that neither hides the other:
 * 1. identity: A's settings under A's identity versus under B's identity (name included). Every value that moves
 *    must be an identity value swapped in a string, or move when a single identity field (not the name) is
 *    swapped; anything else is code treating the environments' names differently: drift.
 * 2. settings: A's settings versus B's settings, both under B's identity. Every value that moves is credited to
 *    the fields that move it when A takes B's value of one field, or B falls back to A's; uncredited is drift.
 */
export function compareEnvironments(
  m: Matrix,
  a: string,
  b: string,
  build: StackBuilder = buildStack,
  onProgress: (done: number, total: number) => void = () => undefined,
): Comparison {
  return withScratchFolder("envmatrix-compare-", (outdir) => compareIn(outdir, m, a, b, build, onProgress));
}

function compareIn(
  outdir: string,
  m: Matrix,
  a: string,
  b: string,
  build: StackBuilder,
  onProgress: (done: number, total: number) => void,
): Comparison {
  const synth = (name: string, environment: EnvironmentSettings) => synthLeaves(build, m, name, environment, outdir);
  const [settingsA, settingsB] = [environmentNamed(m, a), environmentNamed(m, b)];
  const strip = ({ identity: _i, purpose: _p, ...rest }: EnvironmentSettings) => rest;
  const fieldPaths = differingSettings(strip(settingsA), strip(settingsB));
  const identityFields = (Object.keys(settingsA.identity) as (keyof EnvironmentSettings["identity"])[]).filter(
    (k) => JSON.stringify(settingsA.identity[k]) !== JSON.stringify(settingsB.identity[k]),
  );
  const total = identityFields.length + 2 * fieldPaths.length;
  let done = 0;
  const step = () => onProgress(++done, total);

  const leavesA = synth(a, settingsA);
  const leavesB = synth(b, settingsB);
  const aUnderB: EnvironmentSettings = { ...settingsA, identity: settingsB.identity, purpose: settingsB.purpose };
  const leavesAUnderB = synth(b, aUnderB);
  const [identityA, identityB] = [identityOf(a, settingsA), identityOf(b, settingsB)];

  // 1. identity
  const identityMoves = identityFields.map((f) => {
    step();
    return changedKeys(leavesA, synth(a, { ...settingsA, identity: { ...settingsA.identity, [f]: settingsB.identity[f] } }));
  });
  let identityNormalized = 0;
  const identityDrift: Difference[] = [];
  for (const key of changedKeys(leavesA, leavesAUnderB)) {
    const explained = identityExplains(leavesA.get(key), leavesAUnderB.get(key), identityA, identityB) || identityMoves.some((keys) => keys.has(key));
    if (explained) identityNormalized++;
    else identityDrift.push({ path: key, a: leavesA.get(key), b: leavesAUnderB.get(key), fields: [] });
  }

  // 2. settings, under B's identity
  const credited = fieldPaths.map((path) => {
    step();
    const forward = changedKeys(leavesAUnderB, synth(b, setPath(aUnderB, path, valueAt(settingsB, path)) as EnvironmentSettings));
    step();
    const back = changedKeys(leavesB, synth(b, setPath(settingsB, path, valueAt(settingsA, path)) as EnvironmentSettings));
    return { field: `environments.${b}.${path.join(".")}`, keys: new Set([...forward, ...back]) };
  });
  const differences: Difference[] = [...changedKeys(leavesAUnderB, leavesB)].sort().map((key) => ({
    path: key,
    a: leavesA.has(key) || !leavesAUnderB.has(key) ? leavesA.get(key) : leavesAUnderB.get(key),
    b: leavesB.get(key),
    fields: credited.filter((f) => f.keys.has(key)).map((f) => f.field),
  }));
  const all = [...differences, ...identityDrift].sort((p, q) => p.path.localeCompare(q.path));
  return {
    a,
    b,
    differingFields: fieldPaths.map((p) => p.join(".")),
    differences: all,
    identityNormalized,
    drift: all.filter((d) => d.fields.length === 0),
  };
}

const show = (v: unknown) => (v === undefined ? "(absent)" : JSON.stringify(v));

export function formatComparison(c: Comparison, format: "text" | "markdown"): string {
  const summary = `${c.a} ↔ ${c.b}: ${c.differences.length} synthesized value(s) differ, from ${c.differingFields.length} matrix field(s); ${c.identityNormalized} identity value(s) normalized; ${c.drift.length ? `${c.drift.length} DRIFT` : "no drift"}`;
  if (format === "markdown") {
    const rows = c.differences.map(
      (d) => `| \`${d.path}\` | \`${show(d.a)}\` | \`${show(d.b)}\` | ${d.fields.length ? d.fields.map((f) => `\`${f}\``).join(", ") : "**drift: no matrix field**"} |`,
    );
    return [`**${summary}**`, "", `| value | ${c.a} | ${c.b} | from |`, "| --- | --- | --- | --- |", ...rows].join("\n");
  }
  const lines = [summary];
  for (const d of c.differences) {
    lines.push(`  ${d.path}`, `      ${c.a}: ${show(d.a)}`, `      ${c.b}: ${show(d.b)}`, `      from: ${d.fields.length ? d.fields.join(", ") : "DRIFT (no matrix field)"}`);
  }
  return lines.join("\n");
}
