/**
 * envmatrix's reviewer tools (npm run diff | compare | matrix | changed-stacks). Colour and progress at a
 * terminal, plain text when piped or in CI. Exit codes: diff 0 = nothing changed, 2 = changes, 1 = error;
 * compare 0 = no drift, 3 = drift, 1 = error.
 */
import { Command, Option } from "commander";
import { loadMatrix } from "../config";
import { MatrixError } from "../config/validate";
import { changedStacks } from "../review/changed-stacks";
import { compareEnvironments, formatComparison } from "../review/compare";
import { matrixMarkdown, matrixText } from "../review/matrix-table";
import { anythingChanged, diffOutputs, formatMarkdown, formatText } from "../review/stack-diff";
import { OutputError } from "../review/synth-output";
import { colors, progress, progressDone } from "../review/terminal";

const format = () => new Option("--format <format>", "output format").choices(["text", "markdown"]).default("text");

function fail(err: unknown): never {
  progressDone();
  if (err instanceof OutputError || err instanceof MatrixError || err instanceof Error) {
    console.error(colors.red(`error: ${err.message}`));
    process.exit(1);
  }
  throw err;
}

const program = new Command("envmatrix")
  .description("Review tools for the synthesized Terraform of every environment")
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 1));

program
  .command("diff")
  .description("per stack, the resources added, removed, changed and replaced between two synth outputs")
  .argument("<base>", "the base cdktf.out (e.g. of the target branch)")
  .argument("[head]", "the head cdktf.out", "cdktf.out")
  .addOption(format())
  .action((base: string, head: string, opts: { format: "text" | "markdown" }) => {
    try {
      progress(`reading ${base} and ${head}…`);
      const protectedEnvs = new Set(Object.entries(loadMatrix().environments).filter(([, e]) => e.protected).map(([n]) => n));
      const diffs = diffOutputs(base, head, (s) => protectedEnvs.has(s));
      progressDone();
      console.log(opts.format === "markdown" ? formatMarkdown(diffs) : formatText(diffs, colors));
      process.exitCode = anythingChanged(diffs) ? 2 : 0;
    } catch (err) {
      fail(err);
    }
  });

program
  .command("compare")
  .description("two environments side by side, identity normalized: each difference and the matrix field behind it; fails on drift")
  .argument("<a>", "environment, e.g. staging")
  .argument("<b>", "environment, e.g. prod")
  .addOption(format())
  .action((a: string, b: string, opts: { format: "text" | "markdown" }) => {
    try {
      const c = compareEnvironments(loadMatrix(), a, b, undefined, (done, total) => progress(`comparing ${a} ↔ ${b}: field ${done}/${total}`));
      progressDone();
      const text = formatComparison(c, opts.format);
      console.log(opts.format === "text" && c.drift.length > 0 ? text.replace(/DRIFT[^\n]*/g, (s) => colors.red(s)) : text);
      process.exitCode = c.drift.length > 0 ? 3 : 0;
    } catch (err) {
      fail(err);
    }
  });

program
  .command("matrix")
  .description("the environment matrix as a table (rows that differ between environments are highlighted)")
  .addOption(format())
  .action((opts: { format: "text" | "markdown" }) => {
    try {
      const m = loadMatrix();
      console.log(opts.format === "markdown" ? matrixMarkdown(m) : matrixText(m, colors.yellow));
    } catch (err) {
      fail(err);
    }
  });

program
  .command("changed-stacks")
  .description("the stacks whose synthesized config changed, as JSON for a CI job matrix")
  .argument("<base>", "the base cdktf.out")
  .argument("<head>", "the head cdktf.out")
  .action((base: string, head: string) => {
    try {
      console.log(JSON.stringify(changedStacks(base, head)));
    } catch (err) {
      fail(err);
    }
  });

program.parse();
