/**
 * A Vault ACL policy as Vault reads it: parsed with cdktf's own HCL parser (`@cdktf/hcl2json`), never a regex, so
 * a stanza with an attribute a test did not expect (`max_wrapping_ttl`, `allowed_parameters`), a path declared twice
 * or a block other than `path` is seen, not skipped.
 */
import { parse } from "@cdktf/hcl2json";

export interface PolicyRule {
  readonly path: string;
  readonly capabilities: string[];
  /** Every other attribute of the stanza (`allowed_parameters`, `denied_parameters`, `max_wrapping_ttl`, …). */
  readonly [attribute: string]: unknown;
}

/** Every `path` stanza in the order written; throws on any top-level block or attribute other than `path`. */
export async function policyRules(hcl: string): Promise<PolicyRule[]> {
  const parsed = await parse("policy.hcl", hcl);
  const other = Object.keys(parsed).filter((k) => k !== "path");
  if (other.length > 0) throw new Error(`policy has top-level ${other.join(", ")} besides path stanzas:\n${hcl}`);
  return Object.entries<Record<string, unknown>[]>(parsed.path ?? {}).flatMap(([path, stanzas]) =>
    stanzas.map((stanza) => ({ path, ...stanza }) as PolicyRule),
  );
}

/** The stanzas by path; throws when a path is declared twice (Vault would merge them, a reader would not). */
export async function policyByPath(hcl: string): Promise<Record<string, PolicyRule>> {
  const rules = await policyRules(hcl);
  const twice = rules.map((r) => r.path).filter((p, i, all) => all.indexOf(p) !== i);
  if (twice.length > 0) throw new Error(`policy declares ${twice.join(", ")} more than once:\n${hcl}`);
  return Object.fromEntries(rules.map((r) => [r.path, r]));
}
