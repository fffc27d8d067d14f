/** The CLI run in-process (scripts/cli.ts's runCli), its output captured: coverage counts it, no process per case. */
import { runCli } from "../scripts/cli";
import type { Matrix } from "../config/types";

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function cli(args: readonly string[], options: { loadMatrix?: () => Matrix } = {}): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), ...options });
  return { code, stdout, stderr };
}
