/**
 * What main.ts does to the synth process, tested in this process (so that mutation testing sees them: the
 * determinism tests, which synthesize in child processes, are left out of Stryker's runs).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.resolve(__dirname, "..");

describe("tokens' stack traces are not collected (stacks/token-stack-traces.ts, as cdktf synth runs)", () => {
  const { skipTokenStackTraces } = require("../stacks/token-stack-traces") as typeof import("../stacks/token-stack-traces");
  // the suite's setup installs it already (__tests__/setup.ts); installing it again changes nothing
  skipTokenStackTraces();

  it("a plain { stack } holder stays empty, which cdktf and constructs read as no trace; an Error keeps its stack", () => {
    const holder = { stack: "" };
    Error.captureStackTrace(holder);
    expect(holder.stack).toBe("");
    const withMore = { stack: "", other: 1 };
    Error.captureStackTrace(withMore);
    expect(withMore.stack).toMatch(/^Error[^\n]*\n\s+at /);
    // one key that is not an empty stack: captured too
    for (const one of [{ other: 1 }, { stack: "already" }] as { stack?: string }[]) {
      Error.captureStackTrace(one);
      expect(one.stack).toMatch(/^Error[^\n]*\n\s+at /);
    }
    expect(new Error("kept").stack).toMatch(/^Error: kept\n\s+at /);
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

  it("the bound is the 128 MiB README's Speed section states", () => {
    expect(COLLECT_ABOVE_BYTES).toBe(128 * 2 ** 20);
    expect(fs.readFileSync(path.join(root, "README.md"), "utf8")).toContain("once the heap holds more than 128 MiB");
  });

  it("without V8's gc (a plain node): every stack keeps cdktf's own synthesizer, whatever the heap, and no other construct gets one", () => {
    const app = buildApp(new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), "envmatrix-collect-none-")), stackTraces: false }), loadMatrix());
    const before = app.node.findAll().map((c) => (c as { synthesizer?: unknown }).synthesizer);
    collectBetweenStacks(app, undefined, () => COLLECT_ABOVE_BYTES * 4);
    expect(app.node.findAll().map((c) => (c as { synthesizer?: unknown }).synthesizer)).toEqual(before);
    fs.rmSync(app.outdir, { recursive: true, force: true });
  });

  it("with it: only the stacks get the collecting synthesizer", () => {
    const app = buildApp(new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), "envmatrix-collect-which-")), stackTraces: false }), loadMatrix());
    const { TerraformStack } = require("cdktf") as typeof import("cdktf");
    const before = new Map(app.node.findAll().map((c) => [c, (c as { synthesizer?: unknown }).synthesizer]));
    collectBetweenStacks(app, () => undefined, () => 0);
    const changed = app.node.findAll().filter((c) => (c as { synthesizer?: unknown }).synthesizer !== before.get(c));
    expect(changed.map((c) => c.node.id).sort()).toEqual(app.node.findAll().filter(TerraformStack.isStack).map((c) => c.node.id).sort());
    expect(changed.length).toBe(5);
    fs.rmSync(app.outdir, { recursive: true, force: true });
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
