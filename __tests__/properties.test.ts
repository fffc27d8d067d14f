/**
 * What envmatrix promises for any valid matrix, not only the seed: checked with fast-check over generated
 * matrices (see arbitraries.ts), with a fixed seed and a bounded number of runs so `npm test` is repeatable;
 * fast-check prints the seed and the counterexample on failure (FC_SEED / FC_RUNS explore further).
 *
 * 1. synthesis succeeds and is byte-identical when repeated;
 * 2. no environment's Vault policy, Vault role, ExternalSecret or Kubernetes object reaches another's subtree
 *    or namespace;
 * 3. cluster-scoped and Vault-wide names are unique among the environments sharing a cluster or Vault;
 * 4. every synthesized difference between two environments is credited to a matrix field (no drift);
 * 5. changing one field of one environment changes only that environment's stack, its clones' stacks and, for
 *    the fields the gates read, the gates stack;
 * 6. every field the stacks read changes the output when changed: none is silently ignored.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { Testing, type App } from "cdktf";
import { buildApp, run as synthesizeTo } from "../main";
import { checkMatrix } from "../config/validate";
import { matrix as seedDefinition } from "../config/environments";
import { compareEnvironments } from "../review/compare";
import type { Matrix, MatrixDefinition } from "../config/types";
import { candidates, fullEnvironments, getPath, leafPaths, runs, setPath, validDefinition } from "./arbitraries";
import { scratchDir, testApp } from "./scratch";
import { vaultPathMatches } from "./vault-paths";
import { policyRules } from "./vault-policy";

const GATES = "gates";
const load = (def: MatrixDefinition): Matrix => checkMatrix(def, "generated");

/** Every stack's cdk.tf.json text, by stack name, synthesized in memory. */
function synthAll(m: Matrix): Map<string, string> {
  const app = buildApp(testApp() as unknown as App, m);
  return new Map(app.node.children.map((stack) => [stack.node.id, Testing.synth(stack as any)]));
}

/** The stacks whose text differs between two syntheses (added or removed ones included). */
function changedStacks(a: Map<string, string>, b: Map<string, string>): string[] {
  return [...new Set([...a.keys(), ...b.keys()])].filter((s) => a.get(s) !== b.get(s)).sort();
}

/** The environments that take their settings from `name`: itself and its clones. */
const withClones = (def: MatrixDefinition, name: string) =>
  Object.keys(def.environments).filter((n) => n === name || (def.environments[n] as { cloneOf?: string }).cloneOf === name);

/**
 * The settings of an environment that the gates stack reads: its GitHub environments and rulesets (identity,
 * approval), the deployer's Vault access (cluster → auth mount), the login variables (backend), prevent_destroy
 * (protected). From stacks/gates-stack.ts's design (DESIGN.md: the gates hold every environment's GitHub gate and
 * deployer access); anything else reaching the gates stack would couple every environment's edits to it.
 */
const GATES_READ = ["identity", "approval", "backend", "cluster", "protected"];

/**
 * Fields no stack reads, each with the tool that does (and the test of that tool): a change to them must not
 * change any stack, and does not have to.
 */
const READ_BY_TOOLS_ONLY: Record<string, string> = {
  deploymentWindow: "deploy-window (promotion.test.ts, cli-wiring.test.ts)",
};

/**
 * Fields a stack reads only when another field enables them (the Datadog API ignores no_data_timeframe
 * without notify_no_data; an environment without a protected branch has no ruleset to hold the rules).
 */
const READ_WHEN: Record<string, (e: any) => boolean> = {
  "alerts.noDataTimeframeMinutes": (e) => e.alerts.notifyNoData === true,
  "approval.requiredApprovingReviews": (e) => e.identity.protectedBranch !== null,
  "approval.dismissStaleReviews": (e) => e.identity.protectedBranch !== null,
  "approval.requiredStatusChecks": (e) => e.identity.protectedBranch !== null,
  "approval.allowForcePushes": (e) => e.identity.protectedBranch !== null,
};

/** Whether changing `field` of the environment (settings `e`, before and after) must change some stack. */
const mustChange = (field: readonly string[], before: unknown, after: unknown) =>
  !(field[0] in READ_BY_TOOLS_ONLY) && (READ_WHEN[field.join(".")]?.(before) ?? true) && (READ_WHEN[field.join(".")]?.(after) ?? true);

/** Organization fields no stack reads, and the tool that does (each tested there). */
const ORG_READ_BY_TOOLS_ONLY: Record<string, string> = {
  project: "every identity derives from it (namespace = <project>-<name>): trust-rules.test.ts refuses one without the other",
  "github.owningTeam": "codeowners (repository-files.test.ts)",
  "clusters.nonprod.host": "cluster-bootstrap: the Vault auth mount's kubernetes_host (vault-login.test.ts)",
  "clusters.prod.host": "cluster-bootstrap: the Vault auth mount's kubernetes_host (vault-login.test.ts)",
  "platform.namespace": "cluster-bootstrap and preflight (vault-login.test.ts, preflight.test.ts)",
  "platform.tokenReviewerServiceAccount": "cluster-bootstrap and preflight (vault-login.test.ts, preflight.test.ts)",
  "clusters.nonprod.caCertificatePem": "cluster-bootstrap: the Vault auth mount's kubernetes_ca_cert (vault-login.test.ts)",
  "vault.egressCidrMinPrefix": "checkMatrix: the narrowest Vault egress a matrix may open (trust-rules.test.ts)",
};

/** Optional organization fields the seed leaves out, with a value to set them to. */
const OPTIONAL_ORG_FIELDS: [string[], unknown[]][] = [
  [["clusters", "nonprod", "caCertificatePem"], ["-----BEGIN CERTIFICATE-----\nMIIBdummyPublicCaForTests\n-----END CERTIFICATE-----\n"]],
  [["vault", "caCertificatePem"], ["-----BEGIN CERTIFICATE-----\nMIIBdummyPublicCaForTests\n-----END CERTIFICATE-----\n"]],
  [["github", "actionsAppId"], [15369]],
  [["vault", "egressCidrMinPrefix"], [24, 28]],
];

/**
 * Fields the rules tie to others, so no single edit of them is valid: the ties are set first (a valid matrix on
 * its own), then the field alone is changed.
 */
const COMPOUND: Record<string, { env: string; value: unknown; path?: string[]; prepare?: (d: any) => void }> = {
  // staging made protectable (reviewers, no self-review, no bypass, Secrets kept, paging) and given its own
  // cluster apart from dev's (a protected environment's cluster hosts only protected ones); then protected
  protected: {
    env: "staging",
    value: true,
    prepare: (d) => {
      Object.assign(d.environments.staging.approval, { reviewers: { teams: ["platform-leads"], users: [] }, preventSelfReview: true, adminsCanBypass: false });
      Object.assign(d.environments.staging.secrets, { creationPolicy: "Orphan", deletionPolicy: "Retain" });
      d.environments.staging.alerts.routing = "page";
      d.organization.clusters.staging = { context: "staging", host: "https://staging.k8s.example.internal:6443" };
      d.environments.staging.cluster = "staging";
    },
  },
  // a second protected cluster for prod (and its clone hotfix)
  cluster: { env: "prod", value: "prod-2", prepare: (d) => (d.organization.clusters["prod-2"] = { context: "prod-2", host: "https://prod-2.k8s.example.internal:6443" }) },
  "backend.type": { env: "prod", path: ["backend"], value: { type: "s3", bucket: "envmatrix-state", region: "eu-central-1", keyPrefix: "envmatrix" } },
  "approval.reviewers.users": { env: "prod", value: ["octocat"] },
  "deploymentWindow.timeZone": { env: "prod", value: "Europe/London" },
};

describe("for any valid matrix", () => {
  it("1. synthesis succeeds and is byte-identical when repeated, file by file", () => {
    fc.assert(
      fc.property(validDefinition, (def) => {
        const dirs = ["a", "b"].map((d) => fs.mkdtempSync(path.join(scratchDir(), `det-${d}-`)));
        for (const dir of dirs) expect(synthesizeTo(def, dir)).toBe(0);
        const files = (dir: string) => (fs.readdirSync(dir, { recursive: true, encoding: "utf8" }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
        expect(files(dirs[1])).toEqual(files(dirs[0]));
        expect(files(dirs[0])).toEqual(expect.arrayContaining(Object.keys(def.environments).map((e) => path.join("stacks", e, "cdk.tf.json"))));
        for (const f of files(dirs[0])) expect({ f, same: fs.readFileSync(path.join(dirs[0], f)).equals(fs.readFileSync(path.join(dirs[1], f))) }).toEqual({ f, same: true });
        for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
      }),
      runs(4),
    );
  });

  it("2. no environment's Vault policy, role, ExternalSecret or Kubernetes object reaches another's subtree or namespace", async () => {
    await fc.assert(
      fc.asyncProperty(validDefinition, async (def) => {
        const m = load(def);
        const out = synthAll(m);
        const kv = m.organization.vault.kvMount;
        for (const [name, e] of Object.entries(m.environments)) {
          // references to the namespace resolved to its name, as Terraform will send them
          const stack = JSON.parse(out.get(name)!.replaceAll("${kubernetes_namespace_v1.namespace.metadata[0].name}", e.identity.namespace));
          const own = e.identity;
          // the read policy: exactly its own subtree's data and metadata, every stanza and attribute
          expect(await policyRules(stack.resource.vault_policy.policy.policy)).toEqual([
            { path: `${kv}/data/${own.vaultSubtree}/*`, capabilities: ["read"] },
            { path: `${kv}/metadata/${own.vaultSubtree}/*`, capabilities: ["read", "list"] },
          ]);
          for (const [other, o] of Object.entries(m.environments)) {
            if (other === name) continue;
            for (const rule of await policyRules(stack.resource.vault_policy.policy.policy)) {
              expect({ name, other, matches: vaultPathMatches(rule.path, `${kv}/data/${o.identity.vaultSubtree}/x`) }).toMatchObject({ matches: false });
            }
          }
          const role = stack.resource.vault_kubernetes_auth_backend_role.role;
          expect(role.bound_service_account_namespaces).toEqual([own.namespace]);
          // every Kubernetes object is in its own namespace (the namespace object itself is named so)
          for (const [type, byName] of Object.entries<Record<string, any>>(stack.resource)) {
            for (const [id, r] of Object.entries(byName)) {
              if (type === "kubernetes_manifest") {
                expect({ id, ns: r.manifest.metadata.namespace }).toEqual({ id, ns: own.namespace });
                if (r.manifest.kind === "ExternalSecret") {
                  for (const d of r.manifest.spec.dataFrom ?? []) expect(d.extract.key.startsWith(`${own.vaultSubtree}/`)).toBe(true);
                  for (const d of r.manifest.spec.data ?? []) expect(d.remoteRef.key.startsWith(`${own.vaultSubtree}/`)).toBe(true);
                }
              } else if (type.startsWith("kubernetes_")) {
                const meta = r.metadata;
                if (type === "kubernetes_namespace_v1") expect(meta.name).toBe(own.namespace);
                else expect({ id, ns: meta.namespace }).toEqual({ id, ns: own.namespace });
              }
            }
          }
        }
      }),
      runs(10),
    );
  });

  it("3. names shared by a cluster, Vault, GitHub or Datadog are unique among environments", () => {
    fc.assert(
      fc.property(validDefinition, (def) => {
        const m = load(def);
        const out = synthAll(m);
        const parsed = Object.fromEntries(Object.keys(m.environments).map((n) => [n, JSON.parse(out.get(n)!)]));
        const gates = JSON.parse(out.get(GATES)!);
        const unique = (what: string, values: string[]) => expect({ what, duplicates: values.filter((v, i) => values.indexOf(v) !== i) }).toEqual({ what, duplicates: [] });
        for (const cluster of new Set(Object.values(m.environments).map((e) => e.cluster))) {
          const on = Object.keys(m.environments).filter((n) => m.environments[n].cluster === cluster);
          unique(`namespaces on ${cluster}`, on.map((n) => parsed[n].resource.kubernetes_namespace_v1.namespace.metadata.name));
          unique(`Vault roles on ${cluster}'s auth mount`, on.map((n) => {
            const r = parsed[n].resource.vault_kubernetes_auth_backend_role.role;
            return `${r.backend}/${r.role_name}`;
          }));
        }
        unique("Vault policies", [
          ...Object.keys(m.environments).map((n) => parsed[n].resource.vault_policy.policy.name),
          ...Object.values<any>(gates.resource.vault_policy).map((p) => p.name),
        ]);
        unique("Vault JWT roles", Object.values<any>(gates.resource.vault_jwt_auth_backend_role).map((r) => `${r.backend}/${r.role_name}`));
        unique("GitHub environments", Object.values<any>(gates.resource.github_repository_environment).map((r) => r.environment));
        unique("Datadog monitor names", Object.keys(m.environments).flatMap((n) => Object.values<any>(parsed[n].resource.datadog_monitor ?? {}).map((x) => x.name)));
        unique("Datadog SLO names", Object.keys(m.environments).flatMap((n) => Object.values<any>(parsed[n].resource.datadog_service_level_objective ?? {}).map((x) => x.name)));
      }),
      runs(8),
    );
  });

  it("4. every difference between two environments is credited to a matrix field (no drift)", () => {
    fc.assert(
      fc.property(validDefinition, fc.nat(), fc.nat(), (def, i, j) => {
        const m = load(def);
        const names = Object.keys(m.environments);
        const [a, b] = [names[i % names.length], names[(i + 1 + (j % (names.length - 1))) % names.length]];
        const c = compareEnvironments(m, a, b);
        expect({ a, b, drift: c.drift }).toEqual({ a, b, drift: [] });
      }),
      runs(2),
    );
  }, 300_000);

  it("5 and 6. one field of one environment changed: that environment's stacks change, and nothing else", () => {
    fc.assert(
      fc.property(validDefinition, fc.nat(), fc.nat(), fc.nat(), (def, envIndex, leafIndex, candidateIndex) => {
        const names = fullEnvironments(def);
        const env = names[envIndex % names.length];
        const leaves = leafPaths(def.environments[env]).filter((p) => p[0] !== "identity" && p[0] !== "purpose");
        const field = leaves[leafIndex % leaves.length];
        const options = candidates(def, env, field).filter((v) => {
          try {
            load({ ...def, environments: { ...def.environments, [env]: setPath(def.environments[env], field, v) } });
            return true;
          } catch {
            return false;
          }
        });
        fc.pre(options.length > 0);
        const edited = { ...def, environments: { ...def.environments, [env]: setPath(def.environments[env], field, options[candidateIndex % options.length]) } };
        const changed = changedStacks(synthAll(load(def)), synthAll(load(edited)));
        const affected = withClones(def, env);
        const allowed = [...affected, ...(GATES_READ.includes(field[0]) ? [GATES] : [])].sort();
        const what = `environments.${env}.${field.join(".")}: ${JSON.stringify(getPath(def.environments[env], field))} → ${JSON.stringify(getPath(edited.environments[env], field))}`;
        // 5: nothing outside the environment (and its clones, and the gates for what the gates read) moves
        expect({ what, outside: changed.filter((s) => !allowed.includes(s)) }).toEqual({ what, outside: [] });
        // 6: and something moves, unless a tool rather than a stack reads the field
        if (mustChange(field, def.environments[env], edited.environments[env])) expect({ what, changedAny: changed.length > 0 }).toEqual({ what, changedAny: true });
        else if (field[0] in READ_BY_TOOLS_ONLY) expect({ what, changed }).toEqual({ what, changed: [] });
      }),
      runs(12),
    );
  }, 300_000);
});

describe("for the seed matrix, exhaustively", () => {
  const base = synthAll(load(seedDefinition));
  // prod's fields: the environment with every optional block set (canary gate, SLOs, window, reviewers, a protected branch)
  const cases = leafPaths(seedDefinition.environments.prod)
    .filter((p) => p[0] !== "identity" && p[0] !== "purpose")
    .map((field) => [field.join("."), field] as const);

  it.each(cases)(`6. %s: another valid value, in prod or else the first environment where one is valid, changes the synthesized output (or a tool reads it)`, (dotted, field) => {
    let env: string;
    let before: MatrixDefinition = seedDefinition;
    let edited: MatrixDefinition;
    const compound = COMPOUND[dotted];
    if (compound) {
      // a field the rules tie to others: the others set first (valid on their own), then the field alone
      before = structuredClone(seedDefinition) as any;
      compound.prepare?.(before as any);
      env = compound.env;
      edited = { ...before, environments: { ...before.environments, [env]: setPath(before.environments[env], compound.path ?? field, compound.value) } };
    } else {
      // the rules pin some of prod's fields (protection, reviews, routing): the field is then varied where it may vary
      const found = ["prod", "staging", "dev"]
        .map((e) => ({
          env: e,
          valid: candidates(seedDefinition, e, field).find((v) => {
            try {
              load({ ...seedDefinition, environments: { ...seedDefinition.environments, [e]: setPath(seedDefinition.environments[e], field, v) } });
              return true;
            } catch {
              return false;
            }
          }),
        }))
        .find((t) => t.valid !== undefined);
      expect({ field: dotted, variable: found !== undefined }).toEqual({ field: dotted, variable: true });
      env = found!.env;
      edited = { ...seedDefinition, environments: { ...seedDefinition.environments, [env]: setPath(seedDefinition.environments[env], field, found!.valid) } };
    }
    const changed = changedStacks(before === seedDefinition ? base : synthAll(load(before)), synthAll(load(edited)));
    const allowed = [...withClones(before, env), ...(GATES_READ.includes(field[0]) ? [GATES] : [])];
    expect({ dotted, outside: changed.filter((s) => !allowed.includes(s)) }).toEqual({ dotted, outside: [] });
    if (field[0] in READ_BY_TOOLS_ONLY) expect(changed).toEqual([]);
    else if (mustChange(field, before.environments[env], edited.environments[env])) expect({ dotted, changed: changed.length > 0 }).toEqual({ dotted, changed: true });
  });

  const orgCases = [...leafPaths(seedDefinition.organization), ...OPTIONAL_ORG_FIELDS.map(([p]) => p)].map((p) => [p.join("."), p] as const);
  it.each(orgCases)("6. organization.%s: another valid value changes some stack (or a tool reads it)", (dotted, field) => {
    const current = getPath(seedDefinition.organization, field);
    const alternatives = [...(OPTIONAL_ORG_FIELDS.find(([p]) => p.join(".") === dotted)?.[1] ?? []), ...orgAlternatives(current, field)];
    const valid = alternatives.find((v) => {
      try {
        load({ ...seedDefinition, organization: setPath(seedDefinition.organization, field, v) });
        return true;
      } catch {
        return false;
      }
    });
    if (dotted in ORG_READ_BY_TOOLS_ONLY) return;
    // every field must have some other valid value to try, or the test proves nothing about it
    expect({ field: dotted, tried: alternatives, valid: valid !== undefined }).toEqual({ field: dotted, tried: alternatives, valid: true });
    const changed = changedStacks(base, synthAll(load({ ...seedDefinition, organization: setPath(seedDefinition.organization, field, valid) })));
    expect({ value: valid, changed: changed.length > 0 }).toEqual({ value: valid, changed: true });
  });
});

/** Other values for an organization field: a string suffixed or a URL's host changed, numbers moved, lists shortened or grown. */
function orgAlternatives(current: unknown, field: readonly string[]): unknown[] {
  if (field.join(".") === "gates.followsEnvironment") return ["staging", "hotfix"];
  if (field.join(".") === "datadog.apiUrl") return ["https://api.datadoghq.eu/"];
  if (typeof current === "number") return [current + 1, current * 2, current - 1].filter((x) => x > 0);
  if (typeof current === "boolean") return [!current];
  if (current === null) return field.at(-1) === "kvMountManagedBy" ? ["prod", "dev"] : [];
  if (Array.isArray(current)) return [[...current, "198.51.100.0/28"], current.slice(0, -1)];
  if (typeof current === "string") {
    if (/^https:\/\//.test(current)) return [current.replace("example", "example2"), current.replace(/\/$/, "") + "/x"];
    if (/^v\d+\.\d+$/.test(current)) return ["v1.30", "v1.32"];
    if (current.startsWith("@")) return [`${current}-2`];
    return [`${current}x`, `${current}-2`, current === "tcp" ? "socket" : current === "sidecar-cni" ? "ambient" : `${current}2`];
  }
  return [];
}
