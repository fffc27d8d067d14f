/** GitHub's branch-pattern matching, shared by the matrix rules and the deploy workflow's branch resolution. */

/** `*` is any run of characters except `/`, `**` any run at all: GitHub's branch-pattern matching. */
export function branchMatches(pattern: string, branch: string): boolean {
  const source = pattern
    .split(/(\*\*|\*)/)
    .map((piece) => (piece === "**" ? ".*" : piece === "*" ? "[^/]*" : piece.replace(/[.+?^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`).test(branch);
}
