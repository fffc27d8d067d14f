/** Vault's ACL path matching, for tests: `+` is one path segment, a trailing `*` is any suffix, the rest is literal. */
export function vaultPathMatches(pattern: string, path: string): boolean {
  const glob = pattern.endsWith("*") ? pattern.slice(0, -1) : pattern;
  const source = glob
    .split("+")
    .map((piece) => piece.replace(/[.*?^${}()|[\]\\]/g, "\\$&"))
    .join("[^/]+");
  return new RegExp(`^${source}${pattern.endsWith("*") ? ".*" : ""}$`).test(path);
}
