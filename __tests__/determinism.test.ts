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
  it("a plain { stack } holder stays empty, which cdktf and constructs read as no trace; an Error keeps its stack", () => {
    const holder = { stack: "" };
    Error.captureStackTrace(holder);
    expect(holder.stack).toBe("");
    const withMore = { stack: "", other: 1 };
    Error.captureStackTrace(withMore);
    expect(withMore.stack).toMatch(/^Error[^\n]*\n\s+at /);
    expect(new Error("kept").stack).toMatch(/^Error: kept\n\s+at /);
  });

  it("cdktf synth installs it (main.ts prepareSynthProcess), unless ENVMATRIX_DEBUG keeps everything for a crash", () => {
    const probe = "const m = require('./main'); m.prepareSynthProcess(); const o = { stack: '' }; Error.captureStackTrace(o); process.stdout.write(JSON.stringify(o.stack));";
    const run = (env: Record<string, string>) => execFileSync(process.execPath, ["--require", "tsx/cjs", "-e", probe], { cwd: root, env: { ...process.env, ...env }, encoding: "utf8" });
    expect(run({ ENVMATRIX_DEBUG: "" })).toBe('""');
    expect(JSON.parse(run({ ENVMATRIX_DEBUG: "1" }))).toMatch(/^Error\n/);
  });
});

describe("a full collection between stacks once the heap is large (stacks/collect-between-stacks.ts)", () => {
  const { App } = require("cdktf") as typeof import("cdktf");
  const { buildApp } = require("../main") as typeof import("../main");
  const { loadMatrix } = require("../config") as typeof import("../config");
  const { COLLECT_ABOVE_BYTES, collectBetweenStacks } = require("../stacks/collect-between-stacks") as typeof import("../stacks/collect-between-stacks");
  const files = (dir: string) =>
    new Map(
      (fs.readdirSync(dir, { recursive: true, encoding: "utf8" }) as string[])
        .filter((f) => fs.statSync(path.join(dir, f)).isFile())
        .sort()
        .map((f) => [f, fs.readFileSync(path.join(dir, f))]),
    );
  const synth = (heap: number | undefined) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envmatrix-collect-"));
    const app = buildApp(new App({ outdir: dir, stackTraces: false }), loadMatrix());
    const collected: string[] = [];
    let writing = "";
    // which stack was last written when the collection ran: the stacks' files appear one by one
    const gc = () => collected.push((writing = (fs.readdirSync(path.join(dir, "stacks")) as string[]).sort().join(",")));
    collectBetweenStacks(app, heap === undefined ? undefined : gc, () => heap ?? 0);
    app.synth();
    const out = files(dir);
    fs.rmSync(dir, { recursive: true, force: true });
    return { out, collected, writing };
  };

  it("collects after each stack is written when the heap holds more than the bound, and the files are the same bytes", () => {
    const plain = synth(undefined);
    const large = synth(COLLECT_ABOVE_BYTES + 1);
    const stacks = [...plain.out.keys()].filter((f) => f.endsWith("cdk.tf.json"));
    expect(stacks.length).toBe(5);
    // one collection per stack, each after one more stack's folder exists
    expect(large.collected.map((c) => c.split(",").length)).toEqual(stacks.map((_, i) => i + 1));
    expect([...large.out.keys()]).toEqual([...plain.out.keys()]);
    for (const [f, bytes] of plain.out) expect({ f, same: bytes.equals(large.out.get(f)!) }).toEqual({ f, same: true });
  });

  it("collects nothing below the bound (a small synth pays nothing)", () => {
    expect(synth(COLLECT_ABOVE_BYTES).collected).toEqual([]);
  });

  it("is what main.ts's run does, with V8's gc where --expose-gc gave it (cdktf.json's app command)", () => {
    const { run } = require("../main") as typeof import("../main");
    expect(JSON.parse(fs.readFileSync(path.join(root, "cdktf.json"), "utf8")).app.split(/\s+/)).toContain("--expose-gc");
    const calls: number[] = [];
    const g = globalThis as { gc?: () => void };
    const before = g.gc;
    g.gc = () => calls.push(1);
    const usage = jest.spyOn(process, "memoryUsage").mockReturnValue({ rss: 0, heapTotal: 0, heapUsed: COLLECT_ABOVE_BYTES + 1, external: 0, arrayBuffers: 0 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envmatrix-collect-run-"));
    try {
      expect(run(undefined, dir)).toBe(0);
    } finally {
      usage.mockRestore();
      g.gc = before;
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(calls.length).toBe(5);
  });
});
