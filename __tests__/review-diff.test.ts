/** `npm run diff` on fixture outputs: every kind of change reported, markdown checked, exit codes. */
import { cli } from "./cli";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { anythingChanged, diffOutputs, diffStack, formatMarkdown, formatText, REPLACING_ATTRIBUTES } from "../review/stack-diff";
import { changedStacks } from "../review/changed-stacks";
import { OutputError, readOutput } from "../review/synth-output";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "envmatrix-diff-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A cdktf.out with the given stacks' cdk.tf.json contents. */
function output(dir: string, stacks: Record<string, object>): string {
  const base = path.join(tmp, dir);
  for (const [s, body] of Object.entries(stacks)) {
    fs.mkdirSync(path.join(base, "stacks", s), { recursive: true });
    fs.writeFileSync(path.join(base, "stacks", s, "cdk.tf.json"), JSON.stringify(body, null, 2));
  }
  const manifest = { stacks: Object.fromEntries(Object.keys(stacks).map((s) => [s, { synthesizedStackPath: `stacks/${s}/cdk.tf.json` }])) };
  fs.writeFileSync(path.join(base, "manifest.json"), JSON.stringify(manifest));
  return base;
}

const ns = (name: string) => ({ "//": { metadata: { path: "x" } }, metadata: { name, labels: { a: "1" } } });
const cm = (level: string) => ({ metadata: { name: "environment-profile" }, data: { LOG_LEVEL: level } });
const stack = (resources: Record<string, Record<string, object>>, provider = { kubernetes: [{ config_context: "c" }] }) => ({
  provider,
  resource: resources,
});

const base = output("base", {
  dev: stack({ kubernetes_config_map_v1: { profile: cm("debug") } }),
  staging: stack({ kubernetes_namespace_v1: { namespace: ns("app-staging") } }),
  prod: stack({ kubernetes_namespace_v1: { namespace: ns("app-prod") }, datadog_monitor: { api_cpu: { type: "query alert", query: "q > 1" } } }),
  old: stack({}),
});
const head = output("head", {
  dev: stack({ kubernetes_config_map_v1: { profile: cm("info") }, kubernetes_service_account_v1: { workload_api: { metadata: { name: "api" } } } }),
  staging: stack({ kubernetes_namespace_v1: { namespace: ns("app-staging") } }),
  prod: stack({ kubernetes_namespace_v1: { namespace: ns("app-production") } }, { kubernetes: [{ config_context: "prod-2" }] }),
});
const isProtected = (s: string) => s === "prod";
const diffs = diffOutputs(base, head, isProtected);
const of = (s: string) => diffs.find((d) => d.stack === s)!;

describe("diff", () => {
  it("reports an added resource and a changed attribute with its old and new value", () => {
    expect(of("dev").resources).toEqual([
      { address: "kubernetes_config_map_v1.profile", kind: "changed", attributes: [{ path: "data.LOG_LEVEL", old: "debug", new: "info", forcesReplacement: false }] },
      { address: "kubernetes_service_account_v1.workload_api", kind: "added", attributes: [] },
    ]);
  });

  it("reports a removed resource and a replacement, naming the attribute that forces it", () => {
    expect(of("prod").resources).toEqual([
      { address: "datadog_monitor.api_cpu", kind: "removed", attributes: [] },
      {
        address: "kubernetes_namespace_v1.namespace",
        kind: "replaced",
        attributes: [{ path: "metadata.name", old: "app-prod", new: "app-production", forcesReplacement: true }],
      },
    ]);
    expect(of("prod").settings).toEqual([{ path: "provider.kubernetes[0].config_context", old: "c", new: "prod-2", forcesReplacement: false }]);
  });

  it("reports unchanged stacks as unchanged, and a stack that is gone as removed", () => {
    expect(of("staging")).toMatchObject({ status: "unchanged", resources: [], imports: [], settings: [] });
    expect(of("old").status).toBe("removed");
    expect(changedStacks(base, head)).toEqual(["dev", "old", "prod"]);
  });

  it("ignores cdktf's construct-path metadata", () => {
    const moved = output("moved", { staging: stack({ kubernetes_namespace_v1: { namespace: { ...ns("app-staging"), "//": { metadata: { path: "y" } } } } }) });
    expect(diffOutputs(output("same", { staging: stack({ kubernetes_namespace_v1: { namespace: ns("app-staging") } }) }), moved)[0].resources).toEqual([]);
  });

  it("text: one line per stack, deletions and replacements loudest in protected environments", () => {
    const text = formatText(diffs).split("\n");
    expect(text).toContain("staging: unchanged");
    expect(text).toContain("prod (protected): 1 to DELETE, 1 to REPLACE, 1 setting(s) changed !!! DATA OR ACCESS AT RISK IN A PROTECTED ENVIRONMENT !!!");
    expect(text).toContain("  - datadog_monitor.api_cpu  DELETED");
    expect(text).toContain("  ! kubernetes_namespace_v1.namespace  REPLACED (metadata.name forces replacement)");
    expect(text).toContain('      metadata.name: "app-prod" → "app-production"  (forces replacement)');
    expect(text).toContain('      data.LOG_LEVEL: "debug" → "info"');
    expect(text).toContain("dev: 1 changed, 1 added");
  });

  it("markdown: a summary table and a collapsible section per changed stack, open when it deletes or replaces", () => {
    const md = formatMarkdown(diffs);
    expect(md).toContain("| stack | result |");
    expect(md).toContain("| prod (protected) | 🛑 1 to DELETE, 1 to REPLACE, 1 setting(s) changed |");
    expect(md).toContain("| staging | unchanged |");
    expect(md).toContain("<details open><summary><b>prod</b> (protected): 🛑 **deletes or replaces in a protected environment** — ");
    expect(md).toContain("<details><summary><b>dev</b>: 1 changed, 1 added</summary>");
    expect(md).toContain('| ♻️ replace | `kubernetes_namespace_v1.namespace` | `metadata.name` (forces replacement) | `"app-prod"` | `"app-production"` |');
    expect(md).toContain("| 🗑️ delete | `datadog_monitor.api_cpu` | | | |");
    expect(md).not.toContain("<summary><b>staging</b>");
    expect((md.match(/<details/g) ?? []).length).toBe((md.match(/<\/details>/g) ?? []).length);
  });

  // the whole output, by hand from the fixture: at a terminal the CLI passes colours (deletions and replacements
  // red, additions green, changes yellow, unchanged stacks dimmed); piped, the same text without them
  const marked = { bold: (t: string) => `<b>${t}</b>`, red: (t: string) => `<r>${t}</r>`, green: (t: string) => `<g>${t}</g>`, yellow: (t: string) => `<y>${t}</y>`, dim: (t: string) => `<d>${t}</d>` };
  const expectedText = [
    "<b>dev</b>: 1 changed, 1 added",
    "<y>  ~ kubernetes_config_map_v1.profile</y>",
    '      data.LOG_LEVEL: "debug" → "info"',
    "<g>  + kubernetes_service_account_v1.workload_api</g>",
    "<d>staging: unchanged</d>",
    "<b>prod (protected)</b>: 1 to DELETE, 1 to REPLACE, 1 setting(s) changed<r><b> !!! DATA OR ACCESS AT RISK IN A PROTECTED ENVIRONMENT !!!</b></r>",
    "<r>  - datadog_monitor.api_cpu  DELETED</r>",
    "<r>  ! kubernetes_namespace_v1.namespace  REPLACED (metadata.name forces replacement)</r>",
    '      metadata.name: "app-prod" → "app-production"<r>  (forces replacement)</r>',
    '  ~ provider.kubernetes[0].config_context: "c" → "prod-2"',
    "<b>old</b>: stack REMOVED: 1 setting(s) changed<y> (leaves its objects unmanaged)</y>",
    '  ~ provider: {"kubernetes":[{"config_context":"c"}]} → (none)',
  ].join("\n");

  it("text: every line of every stack, each in its colour at a terminal and plain when piped", () => {
    expect(formatText(diffs, marked)).toBe(expectedText);
    expect(formatText(diffs)).toBe(expectedText.replace(/<\/?[bgryd]>/g, ""));
  });

  it("markdown: the whole comment, a row per attribute, a bare row for an added or deleted resource, the stack settings last", () => {
    expect(formatMarkdown(diffs)).toBe(
      [
        "### envmatrix: synthesized Terraform",
        "",
        "| stack | result |",
        "| --- | --- |",
        "| dev | 1 changed, 1 added |",
        "| staging | unchanged |",
        "| prod (protected) | 🛑 1 to DELETE, 1 to REPLACE, 1 setting(s) changed |",
        "| old | ⚠️ stack REMOVED: 1 setting(s) changed |",
        "",
        "<details><summary><b>dev</b>: 1 changed, 1 added</summary>",
        "",
        "| | address | attribute | old | new |",
        "| --- | --- | --- | --- | --- |",
        '| ✏️ | `kubernetes_config_map_v1.profile` | `data.LOG_LEVEL` | `"debug"` | `"info"` |',
        "| ➕ | `kubernetes_service_account_v1.workload_api` | | | |",
        "",
        "</details>",
        "",
        "<details open><summary><b>prod</b> (protected): 🛑 **deletes or replaces in a protected environment** — 1 to DELETE, 1 to REPLACE, 1 setting(s) changed</summary>",
        "",
        "| | address | attribute | old | new |",
        "| --- | --- | --- | --- | --- |",
        "| 🗑️ delete | `datadog_monitor.api_cpu` | | | |",
        '| ♻️ replace | `kubernetes_namespace_v1.namespace` | `metadata.name` (forces replacement) | `"app-prod"` | `"app-production"` |',
        '| ✏️ | (stack settings) | `provider.kubernetes[0].config_context` | `"c"` | `"prod-2"` |',
        "",
        "</details>",
        "",
        "<details open><summary><b>old</b>: ⚠️ stack REMOVED: 1 setting(s) changed</summary>",
        "",
        "| | address | attribute | old | new |",
        "| --- | --- | --- | --- | --- |",
        '| ✏️ | (stack settings) | `provider` | `{"kubernetes":[{"config_context":"c"}]}` | `(none)` |',
        "",
        "</details>",
      ].join("\n"),
    );
  });

  it("markdown: one short line when nothing changed", () => {
    const same = diffOutputs(base, base);
    expect(anythingChanged(same)).toBe(false);
    expect(formatMarkdown(same)).toBe("### envmatrix: synthesized Terraform\n\nNo stack changed.");
  });
});

describe("the diff command", () => {
  const run = (...args: string[]) => cli(["diff", ...args]);

  it("exits 2 when something changed, 0 when nothing did", async () => {
    expect((await run(base, head)).code).toBe(2);
    expect((await run(base, base)).code).toBe(0);
  });

  it("prints plain text when piped or in CI", async () => {
    // eslint-disable-next-line no-control-regex
    expect((await run(base, head)).stdout).not.toMatch(/\x1b\[/);
  });

  it("exits 1 with a one-line error for a missing or malformed cdktf.out", async () => {
    const missing = await run(path.join(tmp, "nowhere"), head);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(`error: ${path.join(tmp, "nowhere")}: no such folder (run npm run synth to create cdktf.out)`);
    const broken = path.join(tmp, "broken");
    fs.mkdirSync(broken);
    fs.writeFileSync(path.join(broken, "manifest.json"), "{ not json");
    const bad = await run(broken, head);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/manifest\.json: not valid JSON/);
  });

  it("has help", async () => {
    const help = await run("--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: envmatrix diff [options] <base> [head]");
    expect(help.stdout.replace(/\s+/g, " ")).toContain('--format <format> output format (choices: "text", "markdown", default: "text")');
  });
});

/**
 * Which attribute changes make Terraform replace a resource, written from each provider's documentation and
 * schema (ForceNew) at the pinned versions, independently of review/stack-diff.ts's table:
 * - hashicorp/kubernetes: metadata.name and metadata.namespace of every namespaced *_v1 resource, a
 *   ClusterRoleBinding's role_ref (immutable in Kubernetes); kubernetes_manifest replaces on a change of
 *   apiVersion, kind, name or namespace (the object's identity);
 * - hashicorp/vault: vault_policy.name, vault_auth_backend.type, vault_mount.type, the backend of
 *   vault_kubernetes_auth_backend_config, backend and role_name of the Kubernetes and JWT auth roles;
 * - integrations/github: repository and environment of an environment, its deployment policy and variables (and
 *   variable_name), a branch protection's repository_id; a ruleset replaces on nothing (resource_github_repository_ruleset.go);
 * - DataDog/datadog: a monitor's and an SLO's type.
 */
const REPLACES: [string, string][] = [
  ["kubernetes_namespace_v1", "metadata.name"],
  ...["kubernetes_network_policy_v1", "kubernetes_resource_quota_v1", "kubernetes_limit_range_v1", "kubernetes_service_account_v1", "kubernetes_config_map_v1"].flatMap(
    (t): [string, string][] => [[t, "metadata.name"], [t, "metadata.namespace"]],
  ),
  ["kubernetes_cluster_role_binding_v1", "metadata.name"],
  ["kubernetes_cluster_role_binding_v1", "role_ref.name"],
  ...["apiVersion", "kind", "metadata.name", "metadata.namespace"].map((a): [string, string] => ["kubernetes_manifest", `manifest.${a}`]),
  ["vault_policy", "name"],
  ["vault_auth_backend", "type"],
  ["vault_mount", "type"],
  ["vault_kubernetes_auth_backend_config", "backend"],
  ["vault_kubernetes_auth_backend_role", "backend"],
  ["vault_kubernetes_auth_backend_role", "role_name"],
  ["vault_jwt_auth_backend_role", "backend"],
  ["vault_jwt_auth_backend_role", "role_name"],
  ["github_repository_environment", "repository"],
  ["github_repository_environment", "environment"],
  ["github_repository_environment_deployment_policy", "repository"],
  ["github_repository_environment_deployment_policy", "environment"],
  ["github_actions_environment_variable", "repository"],
  ["github_actions_environment_variable", "environment"],
  ["github_actions_environment_variable", "variable_name"],
  ["github_branch_protection", "repository_id"],
  ["datadog_monitor", "type"],
  ["datadog_service_level_objective", "type"],
];
/** Attributes each type changes in place (a sample: anything not ForceNew). */
const IN_PLACE: [string, string][] = [
  ["kubernetes_namespace_v1", "metadata.labels.team"],
  ["kubernetes_config_map_v1", "data.LOG_LEVEL"],
  ["kubernetes_manifest", "manifest.spec.refreshInterval"],
  ["vault_policy", "policy"],
  ["vault_kubernetes_auth_backend_role", "token_ttl"],
  ["github_repository_environment", "wait_timer"],
  ["github_repository_ruleset", "name"],
  ["github_repository_ruleset", "enforcement"],
  ["datadog_monitor", "query"],
  ["datadog_dashboard_json", "dashboard"],
];

const nested = (dotted: string, value: unknown): Record<string, unknown> =>
  dotted.split(".").reduceRight<any>((inner, key) => ({ [key]: inner }), value);
const stackOf = (type: string, body: object) => {
  const json = { resource: { [type]: { r: body } } };
  return { name: "prod", json, bytes: Buffer.from(JSON.stringify(json)) };
};

describe("replacement rules", () => {
  it.each(REPLACES)("%s: a change of %s replaces it", (type, attribute) => {
    const d = diffStack("prod", stackOf(type, nested(attribute, "before")), stackOf(type, nested(attribute, "after")), true);
    expect(d.resources).toEqual([
      { address: `${type}.r`, kind: "replaced", attributes: [{ path: attribute, old: "before", new: "after", forcesReplacement: true }] },
    ]);
  });

  it.each(IN_PLACE)("%s: a change of %s is in place", (type, attribute) => {
    const d = diffStack("prod", stackOf(type, nested(attribute, 1)), stackOf(type, nested(attribute, 2)), true);
    expect(d.resources.map((r) => [r.kind, r.attributes.map((a) => a.forcesReplacement)])).toEqual([["changed", [false]]]);
  });

  it("every type envmatrix writes has its rules here", () => {
    expect([...new Set([...REPLACES, ...IN_PLACE].map(([t]) => t))].sort()).toEqual(Object.keys(REPLACING_ATTRIBUTES).sort());
  });

  it("a protected stack whose only change is a replacement is flagged as putting data or access at risk", () => {
    const d = diffStack("prod", stackOf("vault_policy", { name: "a", policy: "p" }), stackOf("vault_policy", { name: "b", policy: "p" }), true);
    expect(formatText([d])).toContain("prod (protected): 1 to REPLACE !!! DATA OR ACCESS AT RISK IN A PROTECTED ENVIRONMENT !!!");
    expect(formatMarkdown([d])).toContain("| prod (protected) | 🛑 1 to REPLACE |");
    const unprotected = diffStack("dev", stackOf("vault_policy", { name: "a", policy: "p" }), stackOf("vault_policy", { name: "b", policy: "p" }), false);
    expect(formatText([unprotected])).toContain("dev: 1 to REPLACE (deletes or replaces)");
    expect(formatMarkdown([unprotected])).toContain("| dev | ⚠️ 1 to REPLACE |");
  });
});

describe("what mutation testing found unchecked in the diff", () => {
  it("lists each stack once, in the head's order, then the removed ones; a changed stack is 'changed'", () => {
    expect(diffs.map((d) => [d.stack, d.status])).toEqual([
      ["dev", "changed"],
      ["staging", "unchanged"],
      ["prod", "changed"],
      ["old", "removed"],
    ]);
  });

  it("marks no stack protected unless told which are", () => {
    expect(diffOutputs(base, head).map((d) => d.protected)).toEqual([false, false, false, false]);
  });

  it("says when a whole stack is new or removed; a removed stack's objects are left behind, not deleted (no run plans a stack the matrix no longer has)", () => {
    const added = diffStack("qa", undefined, stackOf("vault_policy", { name: "a" }), false);
    expect(added.resources).toEqual([{ address: "vault_policy.r", kind: "added", attributes: [] }]);
    expect(formatText([added])).toContain("qa: new stack: 1 added");
    expect(formatText([of("old")])).toContain("old: stack REMOVED: 1 setting(s) changed (leaves its objects unmanaged)");
    expect(formatMarkdown([of("old")])).toContain("| old | ⚠️ stack REMOVED: 1 setting(s) changed |");
    const removed = diffStack("dev", stackOf("vault_policy", { name: "a" }), undefined, false);
    expect(removed.resources).toEqual([{ address: "vault_policy.r", kind: "orphaned", attributes: [] }]);
    expect(formatText([removed])).toBe(
      "dev: stack REMOVED: 1 left behind, managed by nothing (no run plans a stack the matrix no longer has: cdktf destroy dev first, or adopt them elsewhere) (leaves its objects unmanaged)\n  - vault_policy.r  LEFT BEHIND (not deleted, not managed)",
    );
    expect(formatText([{ ...removed, protected: true }])).toContain("!!! DATA OR ACCESS AT RISK IN A PROTECTED ENVIRONMENT !!!");
  });

  it("a resource gone with a removed block that keeps it (destroy = false) is forgotten, not deleted, and no danger; without one, or one that destroys, it is deleted", () => {
    const base = stackOf("datadog_monitor", { name: "m" });
    const headWith = (removed: object[]) => {
      const json = { resource: {}, removed };
      return { name: "prod", json, bytes: Buffer.from(JSON.stringify(json)) };
    };
    const kept = diffStack("prod", base, headWith([{ from: "datadog_monitor.r", lifecycle: { destroy: false } }]), true);
    expect(kept.resources).toEqual([{ address: "datadog_monitor.r", kind: "forgotten", attributes: [] }]);
    // the removed block is what the forgotten line says, not a stack setting besides
    expect(kept.settings).toEqual([]);
    expect(formatText([kept])).toBe("prod (protected): 1 forgotten (kept, no longer managed here)\n  · datadog_monitor.r  forgotten: kept, no longer managed by this stack");
    expect(formatMarkdown([kept])).toContain("| 📤 forget (kept) | `datadog_monitor.r` | | | |");
    for (const removed of [[], [{ from: "datadog_monitor.r", lifecycle: { destroy: true } }], [{ from: "datadog_monitor.other", lifecycle: { destroy: false } }]]) {
      expect(diffStack("prod", base, headWith(removed), true).resources.map((r) => r.kind)).toEqual(["removed"]);
    }
  });

  it("replaces when one of several changed attributes forces it, also below a list index", () => {
    const two = diffStack("prod", stackOf("vault_policy", { name: "a", policy: "p" }), stackOf("vault_policy", { name: "b", policy: "q" }), true);
    expect(two.resources.map((r) => r.kind)).toEqual(["replaced"]);
    const listed = diffStack("prod", stackOf("kubernetes_cluster_role_binding_v1", { role_ref: [{ name: "a" }] }), stackOf("kubernetes_cluster_role_binding_v1", { role_ref: [{ name: "b" }] }), true);
    expect(listed.resources[0]).toMatchObject({ kind: "replaced", attributes: [{ path: "role_ref[0].name", forcesReplacement: true }] });
  });

  it("changes a resource of a type it has no rules for in place, and shows an attribute that was not set as (none)", () => {
    const unknown = diffStack("dev", stackOf("null_resource", { triggers: { a: "1" } }), stackOf("null_resource", { triggers: { a: "2" } }), false);
    expect(unknown.resources.map((r) => r.kind)).toEqual(["changed"]);
    const added = diffStack("dev", stackOf("vault_policy", { name: "a" }), stackOf("vault_policy", { name: "a", policy: "p" }), false);
    expect(formatText([added])).toContain('      policy: (none) → "p"');
  });
});

it("reads a null attribute as a value like any other (the ESO manifests carry some)", () => {
  const nulls = output("nulls", { dev: stack({ kubernetes_manifest: { es: { manifest: { spec: { target: null } } } } }) });
  const set = output("nulls-set", { dev: stack({ kubernetes_manifest: { es: { manifest: { spec: { target: { name: "api" } } } } } }) });
  const [d] = diffOutputs(nulls, set);
  expect(d.resources).toEqual([
    { address: "kubernetes_manifest.es", kind: "changed", attributes: [{ path: "manifest.spec.target", old: null, new: { name: "api" }, forcesReplacement: false }] },
  ]);
});


describe("import blocks (the stack's own and npm run adopt's, stacks/adopted.ts)", () => {
  const withImports = (imports: { to: string; id: string }[]) => ({ ...stack({ kubernetes_config_map_v1: { profile: cm("debug") } }), ...(imports.length ? { import: imports } : {}) });
  const before = output("imports-base", { prod: withImports([{ to: "kubernetes_namespace_v1.namespace", id: "app-prod" }]) });
  const after = output("imports-head", {
    prod: withImports([
      { to: "kubernetes_namespace_v1.namespace", id: "app-prod" },
      { to: "kubernetes_config_map_v1.profile", id: "app-prod/environment-profile" },
    ]),
  });

  it("lists an added import block by the address it imports into and its id, not as a stack setting", () => {
    const [d] = diffOutputs(before, after, () => true);
    expect(d.imports).toEqual([{ address: "kubernetes_config_map_v1.profile", kind: "added", old: undefined, new: "app-prod/environment-profile" }]);
    expect(d.settings).toEqual([]);
    expect(d.resources).toEqual([]);
    expect(formatText([d])).toBe('prod (protected): 1 to import\n  ⇐ kubernetes_config_map_v1.profile  imports "app-prod/environment-profile"');
    expect(formatMarkdown([d])).toContain('| 📥 import | `kubernetes_config_map_v1.profile` | (import id) | `(none)` | `"app-prod/environment-profile"` |');
  });

  it("a removed import block (its objects imported, the file deleted) is no change to any object and not dangerous", () => {
    const [d] = diffOutputs(after, before, () => true);
    expect(d.imports).toEqual([{ address: "kubernetes_config_map_v1.profile", kind: "removed", old: "app-prod/environment-profile", new: undefined }]);
    expect(formatText([d])).toBe('prod (protected): changed\n  · kubernetes_config_map_v1.profile  import block removed (was "app-prod/environment-profile")');
  });

  it("another id for the same address is shown with both", () => {
    const other = output("imports-other", { prod: withImports([{ to: "kubernetes_namespace_v1.namespace", id: "app-production" }]) });
    const [d] = diffOutputs(before, other);
    expect(formatText([d])).toBe('prod: 1 to import\n  ⇐ kubernetes_namespace_v1.namespace  imports "app-production" (was "app-prod")');
  });
});

describe("import blocks, deletions and replacements together", () => {
  const outputOf = (json: object) => ({ name: "dev", json: json as Record<string, any>, bytes: Buffer.from(JSON.stringify(json)) });
  const cmBody = (name: string, namespace: string, level: string) => ({ metadata: { name, namespace }, data: { LOG_LEVEL: level } });

  it("a deleted resource alone makes an unprotected stack one that deletes", () => {
    const d = diffStack("dev", outputOf({ resource: { vault_policy: { gone: { name: "g", policy: "p" } } } }), outputOf({ resource: {} }), false);
    expect(formatText([d])).toBe("dev: 1 to DELETE (deletes or replaces)\n  - vault_policy.gone  DELETED");
  });

  it("imports listed by address in order, only the added ones counted, each replacing attribute named once", () => {
    const before = outputOf({
      resource: { kubernetes_config_map_v1: { a: cmBody("a", "x", "debug") } },
      import: [{ to: "vault_policy.gone", id: "g" }],
    });
    const after = outputOf({
      resource: { kubernetes_config_map_v1: { a: cmBody("b", "y", "info") } },
      import: [
        { to: "kubernetes_config_map_v1.z", id: "y/z" },
        { to: "kubernetes_config_map_v1.a", id: "y/b" },
      ],
    });
    const d = diffStack("dev", before, after, false);
    expect(d.imports.map((i) => [i.address, i.kind])).toEqual([
      ["kubernetes_config_map_v1.a", "added"],
      ["kubernetes_config_map_v1.z", "added"],
      ["vault_policy.gone", "removed"],
    ]);
    expect(formatText([d])).toBe(
      [
        "dev: 1 to REPLACE, 2 to import (deletes or replaces)",
        "  ! kubernetes_config_map_v1.a  REPLACED (metadata.name, metadata.namespace forces replacement)",
        '      metadata.name: "a" → "b"  (forces replacement)',
        '      metadata.namespace: "x" → "y"  (forces replacement)',
        '      data.LOG_LEVEL: "debug" → "info"',
        '  ⇐ kubernetes_config_map_v1.a  imports "y/b"',
        '  ⇐ kubernetes_config_map_v1.z  imports "y/z"',
        '  · vault_policy.gone  import block removed (was "g")',
      ].join("\n"),
    );
    const md = formatMarkdown([d]).split("\n");
    expect(md).toContain("<details open><summary><b>dev</b>: ⚠️ 1 to REPLACE, 2 to import</summary>");
    expect(md.slice(-6)).toEqual([
      '| ♻️ replace | `kubernetes_config_map_v1.a` | `data.LOG_LEVEL` | `"debug"` | `"info"` |',
      '| 📥 import | `kubernetes_config_map_v1.a` | (import id) | `(none)` | `"y/b"` |',
      '| 📥 import | `kubernetes_config_map_v1.z` | (import id) | `(none)` | `"y/z"` |',
      '| import block removed | `vault_policy.gone` | (import id) | `"g"` | `(none)` |',
      "",
      "</details>",
    ]);
  });
});

describe("reading a cdktf.out folder (review/synth-output.ts): anything but what cdktf writes is a one-line error", () => {
  /** A folder with this manifest.json text (none when undefined) and these files. */
  const folder = (name: string, manifest: string | undefined, files: Record<string, string> = {}) => {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir, { recursive: true });
    if (manifest !== undefined) fs.writeFileSync(path.join(dir, "manifest.json"), manifest);
    for (const [f, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), text);
    }
    return dir;
  };
  const manifestOf = (stacks: Record<string, unknown>) => JSON.stringify({ stacks });
  const at = (name: string) => ({ synthesizedStackPath: `stacks/${name}/cdk.tf.json` });
  const refused = (dir: string) => {
    try {
      readOutput(dir);
    } catch (err) {
      return [err instanceof OutputError, (err as Error).message];
    }
    return [false, "read without an error"];
  };

  it("a folder without manifest.json, a manifest without stacks", () => {
    const bare = folder("no-manifest", undefined);
    expect(refused(bare)).toEqual([true, `${bare}: no manifest.json (is this a cdktf.out folder? run npm run synth)`]);
    for (const [name, text] of [["no-stacks", "{}"], ["null-stacks", '{"stacks":null}'], ["null-manifest", "null"], ["text-stacks", '{"stacks":"dev"}']]) {
      const dir = folder(name, text);
      expect(refused(dir)).toEqual([true, `${path.join(dir, "manifest.json")}: has no "stacks"`]);
    }
  });

  it("stack names: lower-case letters, digits and inner dashes only; one character is a name", () => {
    const ok = folder("one-letter", manifestOf({ a: at("a") }), { "stacks/a/cdk.tf.json": "{}" });
    expect([...readOutput(ok).keys()]).toEqual(["a"]);
    for (const bad of ["Prod", "dev_x", "-dev", "dev-"]) {
      const dir = folder(`bad-name-${bad}`, manifestOf({ [bad]: at(bad) }), { [`stacks/${bad}/cdk.tf.json`]: "{}" });
      expect(refused(dir)).toEqual([true, `${path.join(dir, "manifest.json")}: ${JSON.stringify(bad)} is not a stack name`]);
    }
  });

  it("a stack entry without a path, a listed file that is missing or not JSON", () => {
    const noPath = folder("null-entry", manifestOf({ dev: null }));
    expect(refused(noPath)).toEqual([true, `${path.join(noPath, "manifest.json")}: stack dev is at undefined, not stacks/dev/cdk.tf.json`]);
    const missing = folder("missing-stack", manifestOf({ dev: at("dev") }));
    expect(refused(missing)).toEqual([true, `${path.join(missing, "stacks/dev/cdk.tf.json")}: listed in manifest.json but missing`]);
    const broken = folder("broken-stack", manifestOf({ dev: at("dev") }), { "stacks/dev/cdk.tf.json": "{ not json" });
    expect(refused(broken)).toEqual([true, expect.stringContaining(`${path.join(broken, "stacks/dev/cdk.tf.json")}: not valid JSON (`)]);
  });

  it("a resource or data name that is not a Terraform identifier (a letter or _ first)", () => {
    const dir = folder("digit-first", manifestOf({ dev: at("dev") }), { "stacks/dev/cdk.tf.json": JSON.stringify({ data: { github_team: { "0day": {} } } }) });
    expect(refused(dir)).toEqual([true, `${path.join(dir, "stacks/dev/cdk.tf.json")}: data "0day" is not a Terraform identifier`]);
  });
});
