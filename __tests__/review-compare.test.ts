/** `npm run compare`: environments differ only where the matrix says, and an unexplained difference is drift. */
import * as fs from "node:fs";
import * as os from "node:os";
import { cli } from "./cli";
import { compareEnvironments, buildStack, formatComparison, type StackBuilder } from "../review/compare";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { seedMatrix } from "./helpers";


describe("compare staging prod on the real matrix", () => {
  const c = compareEnvironments(seedMatrix, "staging", "prod");
  const find = (p: string) => c.differences.find((d) => d.path === p);

  it("finds differences, every one backed by a matrix field, and no drift", () => {
    expect(c.differences.length).toBeGreaterThan(20);
    expect(c.drift).toEqual([]);
    for (const d of c.differences) expect(d.fields.length).toBeGreaterThan(0);
  });

  it("credits each value to the field it comes from", () => {
    expect(find("resource.kubernetes_config_map_v1.profile.data.LOG_LEVEL")).toEqual({
      path: "resource.kubernetes_config_map_v1.profile.data.LOG_LEVEL",
      a: "info",
      b: "warn",
      fields: ["environments.prod.runtime.logLevel"],
    });
    expect(find("provider.kubernetes.0.config_context")!.fields).toEqual(["environments.prod.cluster"]);
    // prod's quota holds its previous version beside max replicas during the fallback (and the canary at its steps):
    // the rollout's fields move it too
    expect(find("resource.kubernetes_resource_quota_v1.quota.spec.hard.pods")!.fields).toEqual(["environments.prod.replicas.max", "environments.prod.rollout.trafficSteps", "environments.prod.rollout.previousVersionFallbackMinutes"]);
    expect(find("resource.kubernetes_resource_quota_v1.quota.spec.hard.requests.cpu")!.fields).toEqual(
      expect.arrayContaining(["environments.prod.pod.cpuMillicores", "environments.prod.replicas.max"]),
    );
    expect(find("resource.datadog_monitor.api_error_rate.monitor_thresholds.critical")!.fields).toEqual(["environments.prod.alerts.errorRatePercent"]);
  });

  it("normalizes identity: the namespace name is not a difference", () => {
    expect(find("resource.kubernetes_namespace_v1.namespace.metadata.name")).toBeUndefined();
    expect(c.identityNormalized).toBeGreaterThan(0);
  });

  it("shows a value one environment does not have as (absent), in text and in markdown", () => {
    // the matrix: staging has no canary gate and prod has one, so prod's canary monitors are absent in staging
    expect(seedMatrix.environments.staging.canaryGate).toBeNull();
    expect(seedMatrix.environments.prod.canaryGate).not.toBeNull();
    const onlyInProd = c.differences.find((d) => /^resource\.datadog_monitor\.\w*canary\w*\.name$/.test(d.path) && d.a === undefined)!;
    expect(onlyInProd.b).toBeDefined();
    const text = formatComparison(c, "text").split("\n");
    const at = text.indexOf(`  ${onlyInProd.path}`);
    expect(text.slice(at + 1, at + 3)).toEqual(["      staging: (absent)", `      prod: ${JSON.stringify(onlyInProd.b)}`]);
    expect(formatComparison(c, "markdown")).toContain(`| \`${onlyInProd.path}\` | \`(absent)\` | \`${JSON.stringify(onlyInProd.b)}\` |`);
  });

  it("prod and hotfix differ in nothing synthesized; the folder the syntheses needed is gone afterwards", () => {
    // every cdktf App needs a folder: compare makes one in the temporary directory and must remove it
    // the module itself: `import * as fs` gives read-only bindings, which the compare module reads through
    const made = jest.spyOn(require("node:fs") as typeof fs, "mkdtempSync");
    const during: boolean[] = [];
    let h: ReturnType<typeof compareEnvironments>;
    let folders: string[];
    try {
      h = compareEnvironments(seedMatrix, "prod", "hotfix", buildStack, () => during.push(made.mock.results.every((r) => fs.existsSync(r.value))));
    } finally {
      folders = made.mock.results.map((r) => r.value as string);
      made.mockRestore();
    }
    expect(folders).toEqual([expect.stringMatching(new RegExp(`^${os.tmpdir()}/envmatrix-compare-`))]);
    expect(during.length).toBeGreaterThan(0);
    expect(during.every(Boolean)).toBe(true);
    expect(folders.filter((f) => fs.existsSync(f))).toEqual([]);
    expect(h.differences).toEqual([]);
    // the two settings a clone declares for itself (config/environments.ts: hotfix), by the leaves that differ:
    // hotfix tests its own commit (95%) where prod takes staging's error rate and deployment instead
    expect(h.differingFields).toEqual(["deploymentWindow", "entryGates.testPassRatePercent", "entryGates.sourceErrorRate", "entryGates.deployedFirstIn"]);
  });
});

describe("an injected, unexplained difference", () => {
  // A stack that treats prod differently by name: exactly what the matrix is there to prevent.
  const drifting: StackBuilder = (scope, name, environment, m) => {
    const stack = buildStack(scope, name, environment, m);
    if (name === "prod") new ConfigMapV1(stack, "special", { metadata: { name: "only-in-prod" } });
    return stack;
  };
  const quietLabel: StackBuilder = (scope, name, environment, m) => {
    const stack = buildStack(scope, name, environment, m);
    new ConfigMapV1(stack, "flags", { metadata: { name: "flags" }, data: { FAST_PATH: name === "prod" ? "on" : "off" } });
    return stack;
  };

  it("is reported as drift with no matrix field behind it", () => {
    const c = compareEnvironments(seedMatrix, "staging", "prod", drifting);
    expect(c.drift.map((d) => d.path)).toEqual(expect.arrayContaining(["resource.kubernetes_config_map_v1.special.metadata.name"]));
    expect(c.drift.every((d) => d.fields.length === 0)).toBe(true);
  });

  it("an identity value used in a way the identity does not explain is drift too, listed in path order with the rest", () => {
    // a value only prod's namespace and GitHub environment together give: no single identity field moves it
    const shouting: StackBuilder = (scope, name, environment, m) => {
      const stack = buildStack(scope, name, environment, m);
      const both = environment.identity.namespace === m.environments.prod.identity.namespace && environment.identity.githubEnvironment === m.environments.prod.identity.githubEnvironment;
      new ConfigMapV1(stack, "aaa", { metadata: { name: "aaa" }, data: { NS: both ? "prod-like" : "other" } });
      return stack;
    };
    const c = compareEnvironments(seedMatrix, "staging", "prod", shouting);
    expect(c.drift.map((d) => d.path)).toContain("resource.kubernetes_config_map_v1.aaa.data.NS");
    const paths = c.differences.map((d) => d.path);
    expect(paths.length).toBeGreaterThan(5);
    expect(paths).toEqual([...paths].sort((p, q) => p.localeCompare(q)));
  });

  it("is caught even when it only changes a value", () => {
    const c = compareEnvironments(seedMatrix, "staging", "prod", quietLabel);
    expect(c.drift).toEqual([{ path: "resource.kubernetes_config_map_v1.flags.data.FAST_PATH", a: "off", b: "on", fields: [] }]);
  });
});

describe("the compare command", () => {
  const run = (...args: string[]) => cli(["compare", ...args]);

  it("exits 0 on the real matrix and says there is no drift; at an interactive terminal it counts the fields on stderr, and clears the line when done", async () => {
    // review/terminal.ts: progress only where stderr is a TTY, not in CI, not with NO_COLOR or TERM=dumb
    const saved = { isTTY: process.stderr.isTTY, write: process.stderr.write, CI: process.env.CI, NO_COLOR: process.env.NO_COLOR, TERM: process.env.TERM };
    const written: string[] = [];
    Object.defineProperty(process.stderr, "isTTY", { value: true, configurable: true });
    for (const key of ["CI", "NO_COLOR"] as const) delete process.env[key];
    process.env.TERM = "xterm-256color";
    process.stderr.write = ((chunk: string | Uint8Array) => written.push(String(chunk)) > 0) as typeof process.stderr.write;
    let r: Awaited<ReturnType<typeof run>>;
    try {
      r = await run("staging", "prod");
    } finally {
      process.stderr.write = saved.write;
      Object.defineProperty(process.stderr, "isTTY", { value: saved.isTTY, configurable: true });
      for (const key of ["CI", "NO_COLOR", "TERM"] as const) if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toMatch(/^staging ↔ prod: \d+ synthesized value\(s\) differ, from \d+ matrix field\(s\); \d+ identity value\(s\) normalized; no drift$/);
    expect(r.stdout).toContain("from: environments.prod.runtime.logLevel");
    const counts = written.map((w) => /comparing staging ↔ prod: field (\d+)\/(\d+)/.exec(w)).filter((m) => m !== null);
    expect(counts.length).toBeGreaterThan(1);
    expect(counts.at(-1)![1]).toBe(counts.at(-1)![2]);
    expect(written.at(-1)).toBe("\r\x1b[2K");
  });

  it("exits 1 naming the environments for an unknown one", async () => {
    const r = await run("staging", "production");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no environment "production" (environments: dev, staging, prod, hotfix)');
  });
});

describe("the comparison as printed (formatComparison), on a comparison written by hand", () => {
  const c = {
    a: "staging",
    b: "prod",
    differingFields: ["pod.cpuMillicores", "replicas.max"],
    differences: [
      { path: "resource.kubernetes_config_map_v1.flags.data.FAST_PATH", a: "off", b: "on", fields: [] },
      { path: "resource.kubernetes_resource_quota_v1.quota.spec.hard.requests.cpu", a: "2", b: "8", fields: ["environments.prod.pod.cpuMillicores", "environments.prod.replicas.max"] },
    ],
    identityNormalized: 3,
    drift: [{ path: "resource.kubernetes_config_map_v1.flags.data.FAST_PATH", a: "off", b: "on", fields: [] }],
  };
  const summary = "staging ↔ prod: 2 synthesized value(s) differ, from 2 matrix field(s); 3 identity value(s) normalized; 1 DRIFT";

  it("text: the summary, then per value its two sides and the fields it comes from, or DRIFT", () => {
    expect(formatComparison(c, "text")).toBe(
      [
        summary,
        "  resource.kubernetes_config_map_v1.flags.data.FAST_PATH",
        '      staging: "off"',
        '      prod: "on"',
        "      from: DRIFT (no matrix field)",
        "  resource.kubernetes_resource_quota_v1.quota.spec.hard.requests.cpu",
        '      staging: "2"',
        '      prod: "8"',
        "      from: environments.prod.pod.cpuMillicores, environments.prod.replicas.max",
      ].join("\n"),
    );
  });

  it("markdown: the summary in bold, then a table with a row per value, drift in bold", () => {
    expect(formatComparison(c, "markdown")).toBe(
      [
        `**${summary}**`,
        "",
        "| value | staging | prod | from |",
        "| --- | --- | --- | --- |",
        '| `resource.kubernetes_config_map_v1.flags.data.FAST_PATH` | `"off"` | `"on"` | **drift: no matrix field** |',
        '| `resource.kubernetes_resource_quota_v1.quota.spec.hard.requests.cpu` | `"2"` | `"8"` | `environments.prod.pod.cpuMillicores`, `environments.prod.replicas.max` |',
      ].join("\n"),
    );
  });
});

describe("the scratch folder an in-memory synthesis needs (stacks/scratch-folder.ts)", () => {
  const { withScratchFolder } = require("../stacks/scratch-folder") as typeof import("../stacks/scratch-folder");

  it("exists, empty, in the temporary directory while in use, and is gone after, also when the use throws", () => {
    let seen = "";
    expect(
      withScratchFolder("envmatrix-scratch-test-", (folder) => {
        seen = folder;
        expect(folder.startsWith(`${os.tmpdir()}/envmatrix-scratch-test-`)).toBe(true);
        expect(fs.readdirSync(folder)).toEqual([]);
        fs.mkdirSync(`${folder}/stacks/x`, { recursive: true });
        return 42;
      }),
    ).toBe(42);
    expect(fs.existsSync(seen)).toBe(false);
    expect(() =>
      withScratchFolder("envmatrix-scratch-test-", (folder) => {
        seen = folder;
        throw new Error("synth failed");
      }),
    ).toThrow("synth failed");
    expect(fs.existsSync(seen)).toBe(false);
  });

  it("a use that removed its folder itself: no error", () => {
    expect(withScratchFolder("envmatrix-scratch-test-", (folder) => (fs.rmSync(folder, { recursive: true }), "done"))).toBe("done");
  });
});
