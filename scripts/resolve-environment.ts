/**
 * `npm run --silent resolve-environment -- <branch or ref> [--changed-between <base cdktf.out> <head cdktf.out>]`:
 * the environments a push to that branch deploys, as JSON for a GitHub Actions job matrix ({"include": [...]}),
 * in promotion order; with --changed-between, only those whose synthesized stack changed (all of them when
 * the base output does not exist, as on a new branch). Exits 3 with a clear message when no environment
 * deploys from the branch. `--all` lists every environment (the drift job's matrix).
 */
import * as fs from "node:fs";
import { loadMatrix } from "../config";
import { environmentsForBranch, NoEnvironmentError } from "../config/promotion";
import { changedStacks } from "../review/changed-stacks";

function main(args: string[]): number {
  const m = loadMatrix();
  if (args[0] === "--all") {
    const include = Object.entries(m.environments).map(([environment, e]) => ({
      environment,
      githubEnvironment: e.identity.githubEnvironment,
      backend: e.backend.type,
    }));
    process.stdout.write(`${JSON.stringify({ include })}\n`);
    return 0;
  }
  const [ref, flag, base, head] = args;
  if (ref === undefined || (flag !== undefined && (flag !== "--changed-between" || head === undefined)) || args.length > 4) {
    console.error("usage: resolve-environment <branch | refs/heads/branch> [--changed-between <base cdktf.out> <head cdktf.out>] | --all");
    return 2;
  }
  try {
    let include = environmentsForBranch(m, ref);
    if (flag !== undefined && fs.existsSync(base)) {
      const changed = new Set(changedStacks(base, head));
      include = include.filter((t) => changed.has(t.environment));
    }
    process.stdout.write(`${JSON.stringify({ include })}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof NoEnvironmentError)) throw err;
    console.error(err.message);
    return 3;
  }
}

process.exitCode = main(process.argv.slice(2));
