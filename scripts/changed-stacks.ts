/**
 * `npm run --silent changed-stacks -- <base cdktf.out> <head cdktf.out>`: the stacks whose synthesized
 * config differs between two synth outputs (added, removed or changed), as a JSON array for a CI job matrix.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export function stackFiles(outdir: string): Map<string, Buffer> {
  const manifestPath = path.join(outdir, "manifest.json");
  if (!fs.existsSync(manifestPath)) throw new Error(`${outdir}: no manifest.json (is this a cdktf.out folder? run npm run synth)`);
  const manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8"));
  return new Map(
    Object.entries<any>(manifest.stacks).map(([name, s]) => [name, fs.readFileSync(path.join(outdir, s.synthesizedStackPath))]),
  );
}

export function changedStacks(baseDir: string, headDir: string): string[] {
  const base = stackFiles(baseDir);
  const head = stackFiles(headDir);
  return [...new Set([...base.keys(), ...head.keys()])]
    .filter((name) => !base.get(name)?.equals(head.get(name) ?? Buffer.alloc(0)) || !head.has(name))
    .sort();
}

if (require.main === module) {
  const [base, head] = process.argv.slice(2);
  if (!base || !head) {
    console.error("usage: changed-stacks <base cdktf.out> <head cdktf.out>");
    process.exitCode = 2;
  } else {
    try {
      process.stdout.write(`${JSON.stringify(changedStacks(base, head))}\n`);
    } catch (err) {
      console.error((err as Error).message);
      process.exitCode = 2;
    }
  }
}
