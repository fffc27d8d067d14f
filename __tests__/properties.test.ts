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
 *
 * The exhaustive pass of 6 over every field of the seed matrix is properties-seed.test.ts (its own file, so Jest runs
 * the two on separate workers).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { run as synthesizeTo } from "../main";
import { compareEnvironments } from "../review/compare";
import { candidates, fullEnvironments, getPath, leafPaths, runs, setPath, validDefinition } from "./arbitraries";
import { scratchDir } from "./scratch";
import { vaultPathMatches } from "./vault-paths";
import { policyRules } from "./vault-policy";
import { GATES, GATES_READ, changedStacks, load, mustChange, readByToolsOnly, synthAll, withClones } from "./properties-shared";

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
        else if (readByToolsOnly(field)) expect({ what, changed }).toEqual({ what, changed: [] });
      }),
      runs(12),
    );
  }, 300_000);
});
