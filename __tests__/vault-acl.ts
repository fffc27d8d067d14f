/**
 * Whether Vault lets a token with one policy make one request, as vault/acl.go's AllowOperation decides (hashicorp/
 * vault, main): the stanza of the most specific matching path, the operation's capability, and for a write its
 * parameter constraints:
 * - a request without data passes them;
 * - `denied_parameters` first: `"*"` denies every write with data; a key listed with an empty list is denied
 *   whatever its value, even "" ("Empty list is equivalent to the item always existing in the list");
 * - then `allowed_parameters`: a key not listed is refused unless `"*"` is; a listed key's value must match an
 *   allowed value (strings by glob at either end); a list matches as a whole or, since Vault 1.21 unless
 *   VAULT_LEGACY_EXACT_MATCHING_ON_LIST is set, element by element (a string as a comma-separated list too);
 * - `policies` and `token_policies` values are lowercased before either check.
 * Paths with `+` segments and `required_parameters` are not modelled: no policy of this project uses them.
 */
import type { PolicyRule } from "./vault-policy";
import { vaultPathMatches } from "./vault-paths";

export type Operation = "create" | "update" | "read" | "delete" | "list";
type Stanza = PolicyRule & { allowed_parameters?: Record<string, unknown[]>; denied_parameters?: Record<string, unknown[]> };

/** strutil.GlobbedStringsMatch: a `*` at the start or end of the allowed value is a glob, anything else literal. */
function globbedStringsMatch(item: string, val: string): boolean {
  if (item.length < 2) return val === item;
  const [pre, suf] = [item.startsWith("*"), item.endsWith("*")];
  if (pre && suf) return val.includes(item.slice(1, -1));
  if (pre) return val.endsWith(item.slice(1));
  if (suf) return val.startsWith(item.slice(0, -1));
  return val === item;
}

function valueInParameterList(v: unknown, list: unknown[]): boolean {
  return list.some((el) => (typeof el === "string" && typeof v === "string" ? globbedStringsMatch(el, v) : JSON.stringify(el) === JSON.stringify(v)));
}

/** parseutil.ParseCommaStringSlice of a string: "" is no element, the rest split on commas and trimmed. */
const commaSlice = (s: string): string[] => (s === "" ? [] : s.split(",").map((x) => x.trim()));

/**
 * valueInAllowedParameterList (`each` "every": every element must be allowed) and valueInDeniedParameterList
 * ("some": one denied element denies): an empty list holds any value; a list as a whole, else element by element
 * (a string as a comma-separated list) unless legacy matching.
 */
function inParameterList(v: unknown, list: unknown[], legacy: boolean, each: "every" | "some"): boolean {
  if (list.length === 0 || valueInParameterList(v, list)) return true;
  if (legacy) return false;
  const elements = Array.isArray(v) ? v : typeof v === "string" ? commaSlice(v) : undefined;
  return elements !== undefined && elements[each]((x) => valueInParameterList(x, list));
}

const normalized = (key: string, v: unknown): unknown => {
  if (!["policies", "token_policies"].includes(key.toLowerCase())) return v;
  if (typeof v === "string") return v.toLowerCase();
  return Array.isArray(v) ? v.map((x) => (typeof x === "string" ? x.toLowerCase() : x)) : v;
};

/** The stanza Vault applies to `path`: the exact one, else the longest `*` prefix. */
function stanzaFor(rules: readonly Stanza[], path: string): Stanza | undefined {
  const exact = rules.find((r) => r.path === path);
  if (exact) return exact;
  if (rules.some((r) => r.path.includes("+"))) throw new Error("vault-acl.ts does not model `+` path segments");
  return rules
    .filter((r) => r.path.endsWith("*") && vaultPathMatches(r.path, path))
    .sort((a, b) => b.path.length - a.path.length)[0];
}

export function vaultAllows(
  rules: readonly PolicyRule[],
  operation: Operation,
  path: string,
  data: Record<string, unknown> = {},
  opts: { legacyListMatching?: boolean } = {},
): boolean {
  const stanza = stanzaFor(rules as Stanza[], path);
  if (!stanza || stanza.capabilities.includes("deny") || !stanza.capabilities.includes(operation)) return false;
  if (!["read", "update", "create"].includes(operation) || Object.keys(data).length === 0) return true;
  const legacy = opts.legacyListMatching ?? false;
  const denied = stanza.denied_parameters ?? {};
  if ("*" in denied) return false;
  for (const [key, value] of Object.entries(data)) {
    const list = denied[key.toLowerCase()];
    if (list !== undefined && inParameterList(normalized(key, value), list, legacy, "some")) return false;
  }
  const allowed = stanza.allowed_parameters ?? {};
  const allowedAll = "*" in allowed;
  if (Object.keys(allowed).length === 0 || (allowedAll && Object.keys(allowed).length === 1)) return true;
  for (const [key, value] of Object.entries(data)) {
    const list = allowed[key.toLowerCase()];
    if (list === undefined && !allowedAll) return false;
    if (list !== undefined && !inParameterList(normalized(key, value), list, legacy, "every")) return false;
  }
  return true;
}

/**
 * The body terraform-provider-vault 5.6.0 writes for a `vault_kubernetes_auth_backend_role`
 * (vault/resource_kubernetes_auth_backend_role.go kubernetesAuthBackendRoleUpdateFields, vault/auth_token.go
 * updateTokenFields): on create, each token field the configuration sets; on update, only those that changed
 * (`changed`); on both, the bound service account names and namespaces where set, and
 * `bound_service_account_namespace_selector` always, "" when the configuration has none; `audience` and
 * `alias_name_source` when set (create) or changed (update). `role`: the resource with its references resolved.
 */
export function kubernetesAuthRoleWrite(role: Record<string, any>, create: boolean, changed: readonly string[] = []): Record<string, unknown> {
  const TOKEN_FIELDS = ["token_bound_cidrs", "token_policies", "token_explicit_max_ttl", "token_max_ttl", "token_no_default_policy", "token_period", "token_type", "token_ttl", "token_num_uses", "alias_metadata"];
  const sent = (k: string) => (create ? role[k] !== undefined : changed.includes(k));
  const body: Record<string, unknown> = {};
  for (const k of TOKEN_FIELDS) if (sent(k)) body[k] = role[k];
  for (const k of ["bound_service_account_names", "bound_service_account_namespaces"]) if (role[k] !== undefined) body[k] = role[k];
  body.bound_service_account_namespace_selector = role.bound_service_account_namespace_selector ?? "";
  for (const k of ["audience", "alias_name_source"]) if (sent(k)) body[k] = role[k];
  return body;
}
