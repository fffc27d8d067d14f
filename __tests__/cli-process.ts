/**
 * One CLI process shared by a test file's runs (fixtures/cli-server.ts): `run(argv, env)` answers as a process
 * started with those arguments and that environment would (exit code, stdout, stderr), without paying a process
 * start per run. The process is preloaded like the spawned ones were: `--require` each of `preload`, then tsx.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as readline from "node:readline";

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliProcess {
  run(argv: readonly string[], env?: Record<string, string>): Promise<CliRun>;
  close(): Promise<void>;
}

export function startCliProcess(opts: { env?: NodeJS.ProcessEnv; preload?: readonly string[] } = {}): CliProcess {
  const root = path.resolve(__dirname, "..");
  const args = [...(opts.preload ?? []).flatMap((p) => ["--require", p]), "--require", "tsx/cjs", path.join(__dirname, "fixtures", "cli-server.ts")];
  const child: ChildProcess = spawn(process.execPath, args, { cwd: root, env: opts.env ?? process.env, stdio: ["pipe", "inherit", "inherit", "pipe"] });
  const waiting: Array<(r: CliRun) => void> = [];
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  readline.createInterface({ input: child.stdio[3] as NodeJS.ReadableStream }).on("line", (line) => waiting.shift()?.(JSON.parse(line)));
  child.once("exit", (code) => {
    for (const w of waiting.splice(0)) w({ code: code ?? 1, stdout: "", stderr: `cli-server exited (${code})` });
  });
  return {
    run(argv, env = {}) {
      return new Promise<CliRun>((resolve) => {
        waiting.push(resolve);
        child.stdin!.write(`${JSON.stringify({ argv, env })}\n`);
      });
    },
    async close() {
      child.stdin!.end();
      await exited;
    },
  };
}
