/**
 * Every cdktf App needs a folder, and Testing.app() makes a new temporary one per call: the tests give theirs
 * one folder per test file instead, removed after the file (see setup.ts).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { App } from "cdktf";
import type { Construct } from "constructs";

// cdktf on first use: a test file that never makes an App never loads it
const cdktf = (): typeof import("cdktf") => require("cdktf");

let dir: string | undefined;

export function scratchDir(): string {
  dir ??= fs.mkdtempSync(path.join(os.tmpdir(), "envmatrix-test-"));
  return dir;
}

export function removeScratch(): void {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
}

/** Testing.app() in this file's scratch folder. */
export const testApp = (): App => cdktf().Testing.app({ outdir: scratchDir() });

/** Testing.synthScope(), in this file's scratch folder. */
export function synthScope(fn: (scope: Construct) => void): string {
  const { TerraformStack, Testing } = cdktf();
  const stack = new TerraformStack(testApp(), "stack");
  fn(stack);
  return Testing.synth(stack);
}
