/** Reading a cdktf.out folder: the stacks its manifest lists, each parsed, with clear errors for anything else. */
import * as fs from "node:fs";
import * as path from "node:path";

export class OutputError extends Error {}

const TF_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

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
    // only where cdktf writes it: a manifest cannot point the tools at another file than the one planned
    if (s?.synthesizedStackPath !== `stacks/${name}/cdk.tf.json`) {
      throw new OutputError(`${manifestPath}: stack ${name} is at ${JSON.stringify(s?.synthesizedStackPath)}, not stacks/${name}/cdk.tf.json`);
    }
    const file = path.join(outdir, String(s?.synthesizedStackPath));
    if (!fs.existsSync(file)) throw new OutputError(`${file}: listed in manifest.json but missing`);
    const bytes = fs.readFileSync(file);
    let json: Record<string, any>;
    try {
      json = JSON.parse(bytes.toString("utf8"));
    } catch (err) {
      throw new OutputError(`${file}: not valid JSON (${(err as Error).message})`);
    }
    // Terraform's identifiers: what reaches a markdown table or a shell is never anything else
    for (const [block, byType] of Object.entries<any>({ resource: json.resource ?? {}, data: json.data ?? {} })) {
      for (const [type, byName] of Object.entries<any>(byType)) {
        for (const n of [type, ...Object.keys(byName ?? {})]) {
          if (!TF_IDENTIFIER.test(n)) throw new OutputError(`${file}: ${block} ${JSON.stringify(n)} is not a Terraform identifier`);
        }
      }
    }
    out.set(name, { name, bytes, json });
  }
  return out;
}
