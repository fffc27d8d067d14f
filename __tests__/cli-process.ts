/**
 * One CLI process shared by a test file's runs (fixtures/cli-server.ts): `run(argv, env)` answers as a process
 * started with those arguments and that environment would (exit code, stdout, stderr), without paying a process
 * start per run. The process is preloaded like the spawned ones were: `--require` each of `preload`, then tsx.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as readline from "node:readline";
import type { MatrixDefinition } from "../config/types";

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliProcess {
  /** `definition`: the matrix the command loads instead of config/environments.ts. */
  run(argv: readonly string[], env?: Record<string, string>, definition?: MatrixDefinition): Promise<CliRun>;
  close(): Promise<void>;
}

type StrykerContext = { currentTestId?: string; mutantCoverage?: { static: Record<string, number>; perTest: Record<string, Record<string, number>> } };

/**
 * Mutation testing only: the mutants the CLI process reached during a run count as reached by the test that is
 * running (or as static when none is), as if the code had run in this process (fixtures/cli-server.ts says why).
 */
function creditMutantCoverage(reached: Record<string, number> | undefined): void {
  const stryker = (globalThis as { __stryker__?: StrykerContext }).__stryker__;
  if (!reached || !stryker) return;
  const coverage = (stryker.mutantCoverage ??= { static: {}, perTest: {} });
  const into = stryker.currentTestId ? (coverage.perTest[stryker.currentTestId] ??= {}) : coverage.static;
  for (const [id, hits] of Object.entries(reached)) into[id] = (into[id] ?? 0) + hits;
}

/** A preload for the CLI processes of commands that talk to Kubernetes (fixtures/preload-clients.cjs says why). */
export const PRELOAD_CLIENTS = path.join(__dirname, "fixtures", "preload-clients.cjs");

export function startCliProcess(opts: { env?: NodeJS.ProcessEnv; preload?: readonly string[] } = {}): CliProcess {
  const root = path.resolve(__dirname, "..");
  const args = [...(opts.preload ?? []).flatMap((p) => ["--require", p]), "--require", "tsx/cjs", path.join(__dirname, "fixtures", "cli-server.ts")];
  const child: ChildProcess = spawn(process.execPath, args, { cwd: root, env: opts.env ?? process.env, stdio: ["pipe", "inherit", "inherit", "pipe"] });
  const waiting: Array<(r: CliRun) => void> = [];
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  readline.createInterface({ input: child.stdio[3] as NodeJS.ReadableStream }).on("line", (line) => {
    const { mutantCoverage, ...run } = JSON.parse(line);
    creditMutantCoverage(mutantCoverage);
    waiting.shift()?.(run);
  });
  child.once("exit", (code) => {
    for (const w of waiting.splice(0)) w({ code: code ?? 1, stdout: "", stderr: `cli-server exited (${code})` });
  });
  return {
    run(argv, env = {}, definition) {
      return new Promise<CliRun>((resolve) => {
        waiting.push(resolve);
        child.stdin!.write(`${JSON.stringify({ argv, env, definition })}\n`);
      });
    },
    async close() {
      child.stdin!.end();
      await exited;
    },
  };
}
