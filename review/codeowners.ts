/**
 * `.github/CODEOWNERS`, generated from the matrix's owning team. Rulesets require a code owner's review, so
 * nothing that decides what is applied (the matrix, the code that synthesizes from it, the workflows and the
 * tools they run, the dependencies) merges without that team.
 */
import type { Organization } from "../config/types";

/** Paths that decide what reaches an apply, in the order CODEOWNERS lists them. */
export const OWNED_PATHS = [
  // everything, first: an unowned .npmrc (node-options), test or bench file runs in the deploy jobs too
  "*",
  "/config/",
  "/constructs/",
  "/stacks/",
  "/main.ts",
  "/cdktf.json",
  "/.github/",
  "/.ci/",
  "/scripts/",
  "/review/",
  "/package.json",
  "/package-lock.json",
  "/tsconfig.json",
] as const;

export function codeowners(org: Organization): string {
  const owner = `@${org.github.owner}/${org.github.owningTeam}`;
  return [
    "# Generated from organization.github.owningTeam: `npm run --silent codeowners > .github/CODEOWNERS` (a test checks it).",
    "# Protected branches' rulesets require a code owner's approval: what decides what is applied needs this team.",
    ...OWNED_PATHS.map((p) => `${p} ${owner}`),
    "",
  ].join("\n");
}
