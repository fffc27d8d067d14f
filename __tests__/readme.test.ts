/** The README's generated tables are the matrix's, not typed by hand. */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadMatrix } from "../config";
import { entryGatesTable, gatesTable, monitorTable, promotionDiagram, readmeTables, renderReadme } from "../scripts/readme-tables";
import { scratchDir } from "./scratch";
import { cli } from "./cli";
import { matrixMarkdown, matrixRows, matrixText } from "../review/matrix-table";
import { editableDefinition, seedMatrix, synthEnvironment } from "./helpers";

const readme = fs.readFileSync(path.resolve(__dirname, "..", "README.md"), "utf8");

describe("README", () => {
  it("plans from a workstation without a lock (a lock is a write, which read-only credentials may not make), as the workflows do", () => {
    expect(readme).toMatch(/^TF_CLI_ARGS_plan=-lock=false npx cdktf plan \w+/m);
    for (const f of ["deploy.yml", "drift.yml"]) expect(fs.readFileSync(path.join(__dirname, "..", ".github", "workflows", f), "utf8")).toContain("-lock=false");
  });

  it("opens with the two commands: synthesize every stack, and run the tests", () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)![1];
    expect(firstBlock).toMatch(/^npm ci && npm run synth\b/m);
    expect(firstBlock).toMatch(/^npm test\b/m);
  });

  it("has the current monitor table (run `npm run readme-tables -- --write` after a matrix change)", () => {
    expect(renderReadme(readme, seedMatrix)).toBe(readme);
    expect(readme).toContain(monitorTable(seedMatrix));
  });

  it("would be stale after a threshold change", () => {
    const def = editableDefinition();
    def.environments.staging.alerts.cpuPercent = 85;
    def.environments.dev.alerts.cpuPercent = 95;
    expect(renderReadme(readme, loadMatrix(def))).not.toBe(readme);
  });

  it("npm run readme-tables -- --write rewrites a stale README's generated sections and nothing else; without it, prints them", () => {
    const def = editableDefinition();
    def.environments.staging.alerts.cpuPercent = 85;
    const changed = loadMatrix(def);
    const file = path.join(scratchDir(), "README.md");
    const prose = "Hand-written prose outside the markers stays as it is.\n";
    fs.writeFileSync(file, `${prose}${readme}`);
    expect(readmeTables(["--write"], changed, file)).toMatch(/^README\.md: generated tables written \(matrix, monitors, .*\)\n$/);
    const written = fs.readFileSync(file, "utf8");
    expect(written).toBe(renderReadme(`${prose}${readme}`, changed));
    expect(written.startsWith(prose)).toBe(true);
    expect(written).toContain(monitorTable(changed));
    expect(written).not.toBe(`${prose}${readme}`);
    // printing: each table between its markers, exactly the sections the README holds
    const printed = readmeTables([], seedMatrix, file);
    expect([...readme.matchAll(/<!-- generated:([\w-]+) -->/g)].map(([, name]) => name).sort()).toEqual(["cost", "deployer-policy", "entry-gates", "gates", "matrix", "monitors", "promotion-flow", "rules"]);
    for (const [, name] of readme.matchAll(/<!-- generated:([\w-]+) -->/g)) {
      const section = new RegExp(`<!-- generated:${name} -->\n[\\s\\S]*?\n<!-- /generated:${name} -->`).exec(readme)![0];
      expect(printed).toContain(section);
    }
  });

  it("says what the seed does not have: two recipients, a low tier, several approvers and checks, a quote in a label", () => {
    const def = editableDefinition();
    // staging pages (on-call and chat) without tiers; prod's CPU monitor in the low tier (the weekly report)
    def.environments.staging.alerts.routing = "page";
    def.environments.prod.alerts.tiers.cpu = "low";
    def.environments.prod.approval.reviewers = { teams: ["platform-leads", "sre"], users: [] };
    def.environments.prod.entryGates.requiredChecks = ["build", 'lint "strict"'];
    const m = loadMatrix(def);
    const dd = m.organization.datadog;
    const cells = (table: string, label: string) => table.split("\n").find((l) => l.startsWith(`| ${label} |`))!.split(" | ").slice(1);
    const names = Object.keys(m.environments);
    const notifies = cells(monitorTable(m), "notifies");
    expect(notifies[names.indexOf("staging")]).toBe(`${dd.pagerHandle} + ${dd.chatHandle}`);
    expect(notifies[names.indexOf("prod")]).toMatch(/; CPU \(low\): weekly report$/);
    expect(cells(entryGatesTable(m), "checks succeeded on the commit")[names.indexOf("prod")]).toBe('`build`, `lint "strict"`');
    expect(cells(entryGatesTable(m), "approved by")[names.indexOf("prod")]).toBe(`@${m.organization.github.owner}/platform-leads, @${m.organization.github.owner}/sre`);
    // the gates table: the same approvers, and that the author is not one of them (prod prevents self-review)
    expect(cells(gatesTable(m), "prod")[2]).toBe(`@${m.organization.github.owner}/platform-leads, @${m.organization.github.owner}/sre (not whoever started the run: the merger)`);
    const diagram = promotionDiagram(m);
    // the edge into prod: its gates in a few words, a quote written as Mermaid's #quot;
    expect(diagram).toContain('check build; check lint #quot;strict#quot;');
    expect(diagram).toMatch(/approved by @[^ ]+\/platform-leads or @[^ ]+\/sre"\| e_prod/);
    // the clone's edge carries its own gates after "clone"
    expect(diagram).toMatch(/e_prod -\.->\|"clone; tests > 95%; [^"]*"\| e_hotfix/);
  });

  it("reads the entry-gates table's cells from the matrix, a column per environment", () => {
    const def = editableDefinition();
    def.environments.staging.entryGates.testPassRatePercent = 97;
    def.environments.staging.entryGates.requiredChecks = ["CodeQL"];
    const cells = (label: string) => entryGatesTable(loadMatrix(def)).split("\n").find((l) => l.startsWith(`| ${label} |`))!.split(" | ").slice(1);
    expect(entryGatesTable(seedMatrix).split("\n")[0]).toBe(`| gate | ${Object.keys(seedMatrix.environments).join(" | ")} |`);
    expect(cells("tests of the commit pass")[1]).toBe("more than 97%");
    expect(cells("checks succeeded on the commit")[1]).toBe("`CodeQL`");
    expect(cells("error rate of")[2]).toBe("staging below 0.1% over 60 min");
    expect(cells("deployed successfully first in")[2]).toBe("staging");
  });

  it("draws the promotion flow from the matrix: branch → environment, environment ⇒ next with the gates to enter it, clone ⇢ source", () => {
    const d = promotionDiagram(seedMatrix).split("\n");
    expect([d[0], d[1], d.at(-1)]).toEqual(["```mermaid", "flowchart LR", "```"]);
    // every deploy branch of every environment, and nothing else
    const deploys = d.filter((l) => / --> /.test(l)).map((l) => l.trim());
    expect(deploys.sort()).toEqual(
      Object.entries(seedMatrix.environments).flatMap(([n, e]) => e.identity.deployBranches.map((b) => `b_${b.replace(/[^A-Za-z0-9]/g, "_")} --> e_${n}`)).sort(),
    );
    // the promotion order without its clones, each edge labelled with the entry gates of its target
    expect(d.filter((l) => l.includes(" ==>|")).map((l) => l.trim())).toEqual([
      'e_dev ==>|"tests > 95%"| e_staging',
      'e_staging ==>|"staging error rate < 0.1%; deployed in staging first; Mon, Tue, Wed, Thu 09:00–16:00 Europe/Berlin; approved by @example-org/platform-leads"| e_prod',
    ]);
    expect(d.filter((l) => l.includes(" -.->|")).map((l) => l.trim())).toEqual(['e_prod -.->|"clone; tests > 95%; approved by @example-org/platform-leads"| e_hotfix']);
    expect(seedMatrix.clones).toEqual({ hotfix: "prod" });
  });

  it("reads the monitor table's values from the matrix", () => {
    const table = monitorTable(seedMatrix);
    const cells = (label: string) => table.split("\n").find((l) => l.startsWith(`| ${label} |`))!.split(" | ").slice(1);
    expect(cells("error rate, critical / warning")[2]).toBe("0.1% / 0.08%");
    expect(cells("notifies")[0]).toBe("nobody (logged only)");
  });
});

describe("npm run matrix", () => {
  const root = path.resolve(__dirname, "..");
  const run = (...args: string[]) =>
    execFileSync(process.execPath, ["--require", "tsx/cjs", "scripts/cli.ts", "matrix", ...args], { cwd: root, encoding: "utf8", env: { ...process.env, CI: "true" } });

  it("prints, as markdown, exactly the README's matrix table", async () => {
    const section = /<!-- generated:matrix -->\n([\s\S]*?)\n<!-- \/generated:matrix -->/.exec(readme)![1];
    const printed = await cli(["matrix", "--format", "markdown"]);
    expect(printed.stdout.trimEnd()).toBe(section);
  });

  it("has a row per matrix field and a column per environment, values from the matrix", () => {
    const { fields, environments, cells } = matrixRows(seedMatrix);
    expect(environments).toEqual(["dev", "staging", "prod", "hotfix"]);
    const at = (f: string) => cells[fields.indexOf(f)];
    expect(at("alerts.errorRatePercent")).toEqual(["5", "1", "0.1", "0.1"]);
    expect(at("identity.deployBranches")).toEqual(["develop", "develop, main", "main", "hotfix/*"]);
    expect(at("slo.availabilityPercent")).toEqual(["—", "95", "99.9", "99.9"]);
    // a block null in some environments is its fields' rows where it stands ("—" where null), not a row of dashes
    for (const block of ["canaryGate", "slo", "deploymentWindow"]) expect(fields).not.toContain(block);
    const window = fields.indexOf("deploymentWindow.timeZone");
    expect(fields.slice(window, window + 4)).toEqual(["deploymentWindow.timeZone", "deploymentWindow.days", "deploymentWindow.startHour", "deploymentWindow.endHour"]);
    expect(fields[window - 1]).toBe("approval.checklist"); // where the block stands in the matrix
    expect(at("deploymentWindow.days")).toEqual(["—", "—", "Mon, Tue, Wed, Thu", "—"]);
    // in the schema's order: a field only hotfix sets stands with its block, not last
    expect(fields.indexOf("identity.branchCreators")).toBe(fields.indexOf("identity.protectedBranch") + 1);
    expect(at("identity.branchCreators")).toEqual(["—", "—", "—", "hotfix-team"]);
    // the estimate, last: the prices and the budget are the matrix's; cost.test.ts checks the arithmetic
    expect(fields.slice(-2)).toEqual(["(estimate) a month at default replicas", "(estimate) a month at max replicas"]);
    expect(at("cost.budgetMonthly")).toEqual(["300", "500", "2000", "2000"]);
    // a list of objects, each written out (prod's traffic steps: percent and minutes each)
    const steps = seedMatrix.environments.prod.rollout.trafficSteps.map((s) => `${s.percent}% for ${s.minutes} min`).join(", ");
    expect(steps).not.toBe("");
    expect(at("rollout.trafficSteps")).toEqual(["—", "—", steps, steps]);
    for (const row of cells) for (const cell of row) expect(cell).not.toContain("[object");
  });

  it("as text: aligned columns, rows that differ marked", () => {
    const lines = matrixText(seedMatrix, (l) => `* ${l}`).split("\n");
    expect(lines[0]).toMatch(/^field\s+dev\s+staging\s+prod\s+hotfix$/);
    expect(lines.find((l) => l.includes("purpose"))!.startsWith("* ")).toBe(true);
    expect(lines.find((l) => l.startsWith("rolloutSurgePods"))).toBeDefined(); // same everywhere: unmarked
    expect(run()).not.toMatch(/\x1b\[/);
  });

  it("as markdown: a header, a separator and one row per field", () => {
    expect(matrixMarkdown(seedMatrix).split("\n")).toHaveLength(matrixRows(seedMatrix).fields.length + 2);
  });
});

describe("README: What each stack contains", () => {
  // The table's address column: `type.name`, `<service>` for each service, and `_suffix` shorthand for the
  // previous address with another suffix after `<service>` (`datadog_monitor.<service>_error_rate`, `_latency`).
  const section = readme.slice(readme.indexOf("## What each stack contains"), readme.indexOf("### The gates stack"));
  const patterns = section
    .split("\n")
    .filter((l) => /^\| `/.test(l))
    .flatMap((l) => {
      const spans = [...l.split(" | ")[0].matchAll(/`([^`]+)`/g)].map((x) => x[1]);
      const first = spans[0];
      return spans.map((span) => (span.startsWith("_") ? first.replace(/(<service>)_.*$/, `$1${span}`) : span));
    });
  const toRegExp = (p: string) => new RegExp(`^${p.replace(/\./g, "\\.").replace("<service>", "[a-z0-9_]+")}$`);

  // every resource any environment can have: the seed, and a variant that turns on what the seed leaves off
  // (ambient mesh probes, the KV mount owned by a stack, Vault's private CA)
  const variant = editableDefinition();
  variant.organization.serviceMesh.mode = "ambient";
  variant.organization.vault.kvMountManagedBy = "prod";
  variant.organization.vault.caCertificatePem = "-----BEGIN CERTIFICATE-----\nMIIBdummyPublicCa\n-----END CERTIFICATE-----\n";
  const addresses = new Set<string>();
  for (const m of [seedMatrix, loadMatrix(variant)]) {
    for (const name of Object.keys(m.environments)) {
      const { parsed } = synthEnvironment(name, m);
      for (const [type, byName] of Object.entries(parsed.resource)) for (const n of Object.keys(byName)) addresses.add(`${type}.${n}`);
    }
  }

  it("lists every resource a stack can hold", () => {
    expect([...addresses].filter((a) => !patterns.some((p) => toRegExp(p).test(a)))).toEqual([]);
  });

  it("lists no resource that no stack holds", () => {
    expect(patterns.length).toBeGreaterThan(20);
    expect(patterns.filter((p) => ![...addresses].some((a) => toRegExp(p).test(a)))).toEqual([]);
  });
});

