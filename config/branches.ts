/** GitHub's branch-pattern matching, shared by the matrix rules and the deploy workflow's branch resolution. */

/** `text` as a regular expression that matches it alone. */
const literal = (text: string): string => text.replace(/[.+?^${}()|[\]\\]/g, "\\$&");

/** `*` is any run of characters except `/`, `**` any run at all: GitHub's branch-pattern matching. */
export function branchMatches(pattern: string, branch: string): boolean {
  const source = pattern
    .split(/(\*\*|\*)/)
    .map((piece) => (piece === "**" ? ".*" : piece === "*" ? "[^/]*" : literal(piece)))
    .join("");
  return new RegExp(`^${source}$`).test(branch);
}

// GitHub ruleset patterns (fnmatch with FNM_PATHNAME: `*` stays within one `/`-separated part, `**/` spans any
// number of them; GitHub Docs, "About protected branches": "qa/**/* ... would match qa/foo/bar/foobar/hello-world")
// that together match every branch `pattern` matches as a Vault glob, whose `*` is any run of characters, `/`
// included (vault-plugin-auth-jwt claims.go, ryanuber/go-glob). The deployer roles bind the `ref` claim with such
// globs (constructs/deployer-access.ts), so a ruleset that must keep writers from making a branch a role admits has
// to cover these, not only the pattern's own one-part matches: for each `*`, either `*` or `*/**/*`. A pattern
// without `*` is itself.
export function vaultGlobCover(pattern: string): string[] {
  return pattern
    .split("*")
    .reduce<string[]>((heads, piece, i) => (i === 0 ? [piece] : heads.flatMap((h) => [`${h}*${piece}`, `${h}*/**/*${piece}`])), []);
}

// Whether `branch` is one of a pattern's names as a Vault glob reads it (`*` any run of characters, `/` included):
// what the deployer roles' `ref` admits, and what vaultGlobCover's ruleset patterns cover together.
export function vaultGlobMatches(pattern: string, branch: string): boolean {
  return new RegExp(`^${pattern.split("*").map(literal).join(".*")}$`).test(branch);
}
