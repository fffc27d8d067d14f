/** CODEOWNERS from the matrix's owning team, and Dependabot for both ecosystems the project pins. */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { codeowners } from "../review/codeowners";
import { seedMatrix } from "./helpers";

const root = path.resolve(__dirname, "..");
const read = (f: string) => fs.readFileSync(path.join(root, f), "utf8");

describe(".github/CODEOWNERS", () => {
  const file = read(".github/CODEOWNERS");
  const rules = file.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#")).map((l) => l.split(/\s+/));
  const team = `@${seedMatrix.organization.github.owner}/${seedMatrix.organization.github.owningTeam}`;

  it("is the one the matrix gives (npm run --silent codeowners > .github/CODEOWNERS)", () => expect(file).toBe(codeowners(seedMatrix.organization)));
  it.each(["config/", "constructs/", "stacks/", ".github/", "scripts/", "review/", "package.json", "package-lock.json", "main.ts", ".npmrc", "__tests__/", "jest.config.js", "bench/", "README.md"])(
    "gives %s to the owning team",
    (p) => {
      // CODEOWNERS: the last matching pattern wins; a leading / anchors at the root
      const owning = rules.filter(([pattern]) => pattern === "*" || pattern === `/${p}` || (pattern.endsWith("/") && `/${p}`.startsWith(pattern))).pop();
      expect(owning?.slice(1)).toEqual([team]);
    },
  );
});

describe(".github/dependabot.yml", () => {
  const d = parse(read(".github/dependabot.yml"));
  it("updates npm and the pinned GitHub Actions", () => {
    expect(d.version).toBe(2);
    expect(d.updates.map((u: any) => u.package_ecosystem ?? u["package-ecosystem"]).sort()).toEqual(["github-actions", "npm"]);
    for (const u of d.updates) expect(u.directory).toBe("/");
  });
});
