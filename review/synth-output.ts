/** Reading a cdktf.out folder: the stacks its manifest lists, each parsed, with clear errors for anything else. */
import * as fs from "node:fs";
import * as path from "node:path";

export class OutputError extends Error {}

export interface StackOutput {
  readonly name: string;
  readonly bytes: Buffer;
  readonly json: Record<string, any>;
}

export function readOutput(outdir: string): Map<string, StackOutput> {
  const manifestPath = path.join(outdir, "manifest.json");
  if (!fs.existsSync(outdir)) throw new OutputError(`${outdir}: no such folder (run npm run synth to create cdktf.out)`);
  if (!fs.existsSync(manifestPath)) throw new OutputError(`${outdir}: no manifest.json (is this a cdktf.out folder? run npm run synth)`);
  let manifest: any;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8"));
  } catch (err) {
    throw new OutputError(`${manifestPath}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof manifest?.stacks !== "object" || manifest.stacks === null) throw new OutputError(`${manifestPath}: has no "stacks"`);
  const out = new Map<string, StackOutput>();
  for (const [name, s] of Object.entries<any>(manifest.stacks)) {
    // stack names become file names and job names downstream: only what the matrix could name
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) throw new OutputError(`${manifestPath}: ${JSON.stringify(name)} is not a stack name`);
    const file = path.join(outdir, String(s?.synthesizedStackPath));
    // a pull request's cdktf.out is untrusted input: its manifest may not point outside the folder
    const rel = path.relative(path.resolve(outdir), path.resolve(file));
    if (rel.startsWith("..") || path.isAbsolute(rel)) throw new OutputError(`${manifestPath}: stack ${name} points outside ${outdir} (${s?.synthesizedStackPath})`);
    if (!fs.existsSync(file)) throw new OutputError(`${file}: listed in manifest.json but missing`);
    const bytes = fs.readFileSync(file);
    let json: Record<string, any>;
    try {
      json = JSON.parse(bytes.toString("utf8"));
    } catch (err) {
      throw new OutputError(`${file}: not valid JSON (${(err as Error).message})`);
    }
    out.set(name, { name, bytes, json });
  }
  return out;
}
