/**
 * `npm run --silent resolve-environment -- <branch or ref>`: the environments a push to that branch deploys,
 * as JSON for a GitHub Actions job matrix ({"include": [...]}). Exits 3 with a clear message when no
 * environment deploys from the branch. `--all` lists every environment (the drift job's matrix).
 */
import { loadMatrix } from "../config";
import { environmentsForBranch, NoEnvironmentError } from "../config/promotion";

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
  if (args.length !== 1) {
    console.error("usage: resolve-environment <branch | refs/heads/branch> | --all");
    return 2;
  }
  try {
    process.stdout.write(`${JSON.stringify({ include: environmentsForBranch(m, args[0]) })}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof NoEnvironmentError)) throw err;
    console.error(err.message);
    return 3;
  }
}

process.exitCode = main(process.argv.slice(2));
