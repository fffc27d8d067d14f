/**
 * A folder for a cdktf App that is only synthesized in memory (Testing.synth). Every App needs one (its manifest
 * makes `<outdir>/stacks`), and `Testing.app()` without an outdir makes a new temporary folder per call and never
 * removes it: each `npm run adopt`, compare or dashboard picture left one behind in the system's temporary
 * directory. This one is made there and removed when `use` returns or throws.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export function withScratchFolder<T>(prefix: string, use: (folder: string) => T): T {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  try {
    return use(folder);
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}
