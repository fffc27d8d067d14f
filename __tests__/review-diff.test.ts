/** `npm run diff` on fixture outputs: every kind of change reported, markdown checked, exit codes. */
import { cli } from "./cli";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { anythingChanged, diffOutputs, formatMarkdown, formatText } from "../review/stack-diff";
import { changedStacks } from "../review/changed-stacks";

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
    expect(of("staging")).toMatchObject({ status: "unchanged", resources: [] });
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
