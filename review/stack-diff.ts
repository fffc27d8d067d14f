/**
 * What changed between two synth outputs, per stack and resource, with each changed attribute's old and new
 * value. Deletions and changes to attributes that force Terraform to replace a resource are flagged, and
 * weigh most in protected environments.
 */
import diff from "microdiff";
import { readOutput, type StackOutput } from "./synth-output";
import { code } from "./markdown";

/**
 * `forgotten`: gone from the stack, with a `removed` block that keeps the object (`destroy = false`: Terraform stops
 * managing it and destroys nothing; stacks/moved.ts FORGOTTEN, an environment split by team). `orphaned`: its stack
 * is no longer synthesized, so no run plans it again: neither deleted nor managed.
 */
export type ResourceChangeKind = "added" | "removed" | "changed" | "replaced" | "forgotten" | "orphaned";

export interface AttributeChange {
  readonly path: string;
  readonly old?: unknown;
  readonly new?: unknown;
  readonly forcesReplacement: boolean;
}

export interface ResourceChange {
  readonly address: string;
  readonly kind: ResourceChangeKind;
  readonly attributes: readonly AttributeChange[];
}

export interface StackDiff {
  readonly stack: string;
  readonly status: "added" | "removed" | "changed" | "unchanged";
  readonly protected: boolean;
  readonly resources: readonly ResourceChange[];
  /** Import blocks added, removed or given another id (the stack's own and the adopt files', stacks/adopted.ts). */
  readonly imports: readonly ImportChange[];
  /** Changes outside resources: providers, backend, data sources. */
  readonly settings: readonly AttributeChange[];
}

export interface ImportChange {
  readonly address: string;
  readonly kind: "added" | "removed" | "changed";
  readonly old?: string;
  readonly new?: string;
}

/** Import blocks by the address they import into. */
const importsOf = (json: Record<string, any> | undefined): Map<string, string> => new Map((json?.import ?? []).map((i: { to: string; id: string }) => [i.to, i.id]));

/**
 * Attributes whose change makes Terraform destroy and re-create the resource (ForceNew in the providers'
 * schemas, from their documentation), by resource type; a change at or below one of these paths replaces.
 */
export const REPLACING_ATTRIBUTES: Record<string, readonly string[]> = {
  kubernetes_namespace_v1: ["metadata.name"],
  kubernetes_network_policy_v1: ["metadata.name", "metadata.namespace"],
  kubernetes_resource_quota_v1: ["metadata.name", "metadata.namespace"],
  kubernetes_limit_range_v1: ["metadata.name", "metadata.namespace"],
  kubernetes_service_account_v1: ["metadata.name", "metadata.namespace"],
  kubernetes_config_map_v1: ["metadata.name", "metadata.namespace"],
  kubernetes_cluster_role_binding_v1: ["metadata.name", "role_ref"],
  kubernetes_manifest: ["manifest.apiVersion", "manifest.kind", "manifest.metadata.name", "manifest.metadata.namespace"],
  vault_policy: ["name"],
  vault_auth_backend: ["type"],
  vault_kubernetes_auth_backend_config: ["backend"],
  vault_kubernetes_auth_backend_role: ["backend", "role_name"],
  vault_mount: ["type"],
  github_repository_environment: ["repository", "environment"],
  github_repository_environment_deployment_policy: ["repository", "environment"],
  github_actions_environment_variable: ["repository", "environment", "variable_name"],
  github_branch_protection: ["repository_id"],
  // no ForceNew attribute in integrations/github 6.9.0's resource_github_repository_ruleset.go
  github_repository_ruleset: [],
  vault_jwt_auth_backend_role: ["backend", "role_name"],
  datadog_monitor: ["type"],
  datadog_service_level_objective: ["type"],
  // no ForceNew attribute in datadog 3.82.0's resource_datadog_dashboard_json.go: a changed dashboard is updated
  datadog_dashboard_json: [],
};

/** cdktf's own bookkeeping (construct paths), not configuration. */
function withoutMetadata(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutMetadata);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).filter(([k]) => k !== "//").map(([k, v]) => [k, withoutMetadata(v)]));
  }
  return value;
}

const joinPath = (parts: readonly (string | number)[]) =>
  parts.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");

function resourcesOf(json: Record<string, any> | undefined): Map<string, { type: string; body: unknown }> {
  const out = new Map<string, { type: string; body: unknown }>();
  for (const [type, byName] of Object.entries<Record<string, unknown>>(json?.resource ?? {})) {
    for (const [name, body] of Object.entries(byName)) out.set(`${type}.${name}`, { type, body: withoutMetadata(body) });
  }
  return out;
}

export function diffStack(stack: string, base: StackOutput | undefined, head: StackOutput | undefined, isProtected: boolean): StackDiff {
  if (base && head && base.bytes.equals(head.bytes)) return { stack, status: "unchanged", protected: isProtected, resources: [], imports: [], settings: [] };
  const [before, after] = [resourcesOf(base?.json), resourcesOf(head?.json)];
  const kept = new Set(
    (Array.isArray(head?.json?.removed) ? head!.json.removed : []).filter((r: any) => r?.lifecycle?.destroy === false).map((r: any) => String(r.from)),
  );
  const resources: ResourceChange[] = [];
  for (const address of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const [b, a] = [before.get(address), after.get(address)];
    if (!b) resources.push({ address, kind: "added", attributes: [] });
    else if (!a) resources.push({ address, kind: !head ? "orphaned" : kept.has(address) ? "forgotten" : "removed", attributes: [] });
    else {
      const replacing = REPLACING_ATTRIBUTES[a.type] ?? [];
      const attributes = diff(b.body as object, a.body as object).map((d) => {
        const path = joinPath(d.path);
        const forcesReplacement = replacing.some((r) => path === r || path.startsWith(`${r}.`) || path.startsWith(`${r}[`));
        return { path, old: (d as any).oldValue, new: (d as any).value, forcesReplacement };
      });
      if (attributes.length > 0) {
        resources.push({ address, kind: attributes.some((x) => x.forcesReplacement) ? "replaced" : "changed", attributes });
      }
    }
  }
  const [importsBefore, importsAfter] = [importsOf(base?.json), importsOf(head?.json)];
  const imports: ImportChange[] = [...new Set([...importsBefore.keys(), ...importsAfter.keys()])]
    .sort()
    .flatMap((address): ImportChange[] => {
      const [b, a] = [importsBefore.get(address), importsAfter.get(address)];
      if (b === a) return [];
      return [{ address, kind: b === undefined ? "added" : a === undefined ? "removed" : "changed", old: b, new: a }];
    });
  // removed blocks are read above, as the resources they keep
  const rest = (json: Record<string, any> | undefined) => withoutMetadata({ ...(json ?? {}), resource: undefined, import: undefined, removed: undefined, "//": undefined }) as object;
  const settings = diff(rest(base?.json), rest(head?.json)).map((d) => ({
    path: joinPath(d.path),
    old: (d as any).oldValue,
    new: (d as any).value,
    forcesReplacement: false,
  }));
  const status = !base ? "added" : !head ? "removed" : "changed";
  return { stack, status, protected: isProtected, resources, imports, settings };
}

/** Every stack of either output, in the head's order (then removed ones). */
export function diffOutputs(baseDir: string, headDir: string, isProtected: (stack: string) => boolean = () => false): StackDiff[] {
  const base = readOutput(baseDir);
  const head = readOutput(headDir);
  const names = [...head.keys(), ...[...base.keys()].filter((n) => !head.has(n))];
  return names.map((name) => diffStack(name, base.get(name), head.get(name), isProtected(name)));
}

export const anythingChanged = (diffs: readonly StackDiff[]) => diffs.some((d) => d.status !== "unchanged");

const count = (d: StackDiff, kind: ResourceChangeKind) => d.resources.filter((r) => r.kind === kind).length;
const show = (v: unknown) => (v === undefined ? "(none)" : JSON.stringify(v));

/** Identity for plain text; the CLI passes colours for a terminal. */
export interface Style {
  readonly bold: (s: string) => string;
  readonly red: (s: string) => string;
  readonly green: (s: string) => string;
  readonly yellow: (s: string) => string;
  readonly dim: (s: string) => string;
}
const plain: Style = { bold: (s) => s, red: (s) => s, green: (s) => s, yellow: (s) => s, dim: (s) => s };

function headline(d: StackDiff): string {
  if (d.status === "unchanged") return "unchanged";
  const parts = [
    count(d, "removed") && `${count(d, "removed")} to DELETE`,
    count(d, "orphaned") && `${count(d, "orphaned")} left behind, managed by nothing (no run plans a stack the matrix no longer has: cdktf destroy ${d.stack} first, or adopt them elsewhere)`,
    count(d, "forgotten") && `${count(d, "forgotten")} forgotten (kept, no longer managed here)`,
    count(d, "replaced") && `${count(d, "replaced")} to REPLACE`,
    count(d, "changed") && `${count(d, "changed")} changed`,
    count(d, "added") && `${count(d, "added")} added`,
    d.imports.filter((i) => i.kind !== "removed").length && `${d.imports.filter((i) => i.kind !== "removed").length} to import`,
    d.settings.length && `${d.settings.length} setting(s) changed`,
  ].filter(Boolean);
  const prefix = d.status === "added" ? "new stack: " : d.status === "removed" ? "stack REMOVED: " : "";
  return prefix + (parts.join(", ") || "changed");
}

const dangerous = (d: StackDiff) => d.status === "removed" || count(d, "removed") + count(d, "replaced") > 0;
/** What a dangerous stack's flag says it does: deletes and replaces, or leaves objects to nobody. */
const danger = (d: StackDiff) => (count(d, "removed") + count(d, "replaced") > 0 ? "deletes or replaces" : "leaves its objects unmanaged");

export function formatText(diffs: readonly StackDiff[], s: Style = plain): string {
  const lines: string[] = [];
  for (const d of diffs) {
    const name = `${d.stack}${d.protected ? " (protected)" : ""}`;
    if (d.status === "unchanged") {
      lines.push(`${s.dim(`${name}: unchanged`)}`);
      continue;
    }
    const warn = dangerous(d) ? (d.protected ? s.red(s.bold(" !!! DATA OR ACCESS AT RISK IN A PROTECTED ENVIRONMENT !!!")) : s.yellow(` (${danger(d)})`)) : "";
    lines.push(`${s.bold(name)}: ${headline(d)}${warn}`);
    for (const r of d.resources) {
      if (r.kind === "added") lines.push(s.green(`  + ${r.address}`));
      else if (r.kind === "removed") lines.push(s.red(`  - ${r.address}  DELETED`));
      else if (r.kind === "orphaned") lines.push(s.red(`  - ${r.address}  LEFT BEHIND (not deleted, not managed)`));
      else if (r.kind === "forgotten") lines.push(s.dim(`  · ${r.address}  forgotten: kept, no longer managed by this stack`));
      else {
        const why = r.attributes.filter((a) => a.forcesReplacement).map((a) => a.path);
        lines.push(r.kind === "replaced" ? s.red(`  ! ${r.address}  REPLACED (${why.join(", ")} forces replacement)`) : s.yellow(`  ~ ${r.address}`));
        for (const a of r.attributes) lines.push(`      ${a.path}: ${show(a.old)} → ${show(a.new)}${a.forcesReplacement ? s.red("  (forces replacement)") : ""}`);
      }
    }
    for (const i of d.imports) lines.push(i.kind === "removed" ? s.dim(`  · ${i.address}  import block removed (was ${show(i.old)})`) : `  ⇐ ${i.address}  imports ${show(i.new)}${i.kind === "changed" ? ` (was ${show(i.old)})` : ""}`);
    for (const a of d.settings) lines.push(`  ~ ${a.path}: ${show(a.old)} → ${show(a.new)}`);
  }
  return lines.join("\n");
}

const cell = (v: unknown) => code(show(v));

export function formatMarkdown(diffs: readonly StackDiff[]): string {
  if (!anythingChanged(diffs)) return "### envmatrix: synthesized Terraform\n\nNo stack changed.";
  const out = ["### envmatrix: synthesized Terraform", ""];
  out.push("| stack | result |", "| --- | --- |");
  for (const d of diffs) out.push(`| ${d.stack}${d.protected ? " (protected)" : ""} | ${dangerous(d) ? (d.protected ? "🛑 " : "⚠️ ") : ""}${headline(d)} |`);
  for (const d of diffs.filter((x) => x.status !== "unchanged")) {
    const flag = dangerous(d) ? (d.protected ? `🛑 **${danger(d)} in a protected environment** — ` : "⚠️ ") : "";
    out.push("", `<details${dangerous(d) ? " open" : ""}><summary><b>${d.stack}</b>${d.protected ? " (protected)" : ""}: ${flag}${headline(d)}</summary>`, "");
    out.push("| | address | attribute | old | new |", "| --- | --- | --- | --- | --- |");
    for (const r of d.resources) {
      const mark = { added: "➕", removed: "🗑️ delete", changed: "✏️", replaced: "♻️ replace", forgotten: "📤 forget (kept)", orphaned: "⚠️ left behind" }[r.kind];
      if (r.attributes.length === 0) out.push(`| ${mark} | ${code(r.address)} | | | |`);
      for (const a of r.attributes) {
        out.push(`| ${mark} | ${code(r.address)} | ${code(a.path)}${a.forcesReplacement ? " (forces replacement)" : ""} | ${cell(a.old)} | ${cell(a.new)} |`);
      }
    }
    for (const i of d.imports) out.push(`| ${i.kind === "removed" ? "import block removed" : "📥 import"} | ${code(i.address)} | (import id) | ${cell(i.old)} | ${cell(i.new)} |`);
    for (const a of d.settings) out.push(`| ✏️ | (stack settings) | ${code(a.path)} | ${cell(a.old)} | ${cell(a.new)} |`);
    out.push("", "</details>");
  }
  return out.join("\n");
}
