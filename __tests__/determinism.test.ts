/** Reviewers diff synthesized output: it must be the same bytes whatever the folder, machine or run. */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.resolve(__dirname, "..");
const SOURCES = ["main.ts", "config", "constructs", "stacks", "package.json", "tsconfig.json", "cdktf.json"];

/** A copy of the project at `dir` (sources copied, node_modules linked), synthesized into its own cdktf.out. */
function synthIn(dir: string, extraEnv: Record<string, string> = {}): Map<string, Buffer> {
  fs.mkdirSync(dir, { recursive: true });
  for (const entry of SOURCES) fs.cpSync(path.join(root, entry), path.join(dir, entry), { recursive: true });
  fs.symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir");
  const env = { ...process.env, ...extraEnv };
  delete env.CDKTF_OUTDIR;
  // as `cdktf synth` runs it: cdktf.json's app command (its node flags included)
  const [node, ...args] = JSON.parse(fs.readFileSync(path.join(dir, "cdktf.json"), "utf8")).app.split(/\s+/);
  expect(node).toBe("node");
  execFileSync(process.execPath, args, { cwd: dir, env });
  const out = path.join(dir, "cdktf.out");
  const files = (fs.readdirSync(out, { recursive: true, encoding: "utf8" }) as string[])
    .filter((f) => fs.statSync(path.join(out, f)).isFile())
    .sort();
  return new Map(files.map((f) => [f, fs.readFileSync(path.join(out, f))]));
}

describe("synthesized output", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "envmatrix-determinism-"));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  // two synths, each its own process: in two folders, the second with another HOME, time zone and locale
  let first: Map<string, Buffer>;
  let second: Map<string, Buffer>;
  beforeAll(() => {
    first = synthIn(path.join(tmp, "a"));
    second = synthIn(path.join(tmp, "elsewhere", "deeper", "checkout"), { HOME: tmp, TZ: "Pacific/Kiritimati", LANG: "de_DE.UTF-8" });
  });

  it("is byte-identical from two different folders, users' environments and runs", () => {
    expect([...first.keys()]).toEqual(expect.arrayContaining(["manifest.json", ...["dev", "staging", "prod", "hotfix"].map((e) => path.join("stacks", e, "cdk.tf.json"))]));
    expect([...second.keys()]).toEqual([...first.keys()]);
    for (const [file, bytes] of first) expect({ file, same: bytes.equals(second.get(file)!) }).toEqual({ file, same: true });
  });

  it("holds no path of this machine (neither checkout's folder, nor HOME)", () => {
    for (const out of [first, second]) {
      for (const [file, bytes] of out) {
        const text = bytes.toString("utf8");
        expect({ file, absolute: /"\/(tmp|home|root|work|Users)\//.test(text) || text.includes(tmp) }).toEqual({ file, absolute: false });
      }
    }
  });
});

describe("tokens' stack traces are not collected (stacks/token-stack-traces.ts, as cdktf synth runs)", () => {
  it("cdktf synth installs it (main.ts prepareSynthProcess), unless ENVMATRIX_DEBUG keeps everything for a crash", () => {
    const probe = "const m = require('./main'); m.prepareSynthProcess(); const o = { stack: '' }; Error.captureStackTrace(o); process.stdout.write(JSON.stringify(o.stack));";
    const run = (env: Record<string, string>) => execFileSync(process.execPath, ["--require", "tsx/cjs", "-e", probe], { cwd: root, env: { ...process.env, ...env }, encoding: "utf8" });
    expect(run({ ENVMATRIX_DEBUG: "" })).toBe('""');
    expect(JSON.parse(run({ ENVMATRIX_DEBUG: "1" }))).toMatch(/^Error\n/);
  });
});
