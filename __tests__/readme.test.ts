/** The README's generated tables are the matrix's, not typed by hand. */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadMatrix } from "../config";
import { monitorTable, renderReadme } from "../scripts/readme-tables";
import { editableDefinition, seedMatrix } from "./helpers";

const readme = fs.readFileSync(path.resolve(__dirname, "..", "README.md"), "utf8");

describe("README", () => {
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

  it("reads the monitor table's values from the matrix", () => {
    const table = monitorTable(seedMatrix);
    const cells = (label: string) => table.split("\n").find((l) => l.startsWith(`| ${label} |`))!.split(" | ").slice(1);
    expect(cells("error rate, critical / warning")[2]).toBe("0.1% / 0.08%");
    expect(cells("notifies")[0]).toBe("nobody (logged only)");
  });
});
