/**
 * The matrix's shape is one zod schema (config/schema.ts): unknown and misspelt keys are refused with the path and a
 * suggestion, at load and at synth, and the JSON Schema for editors is exported from it.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isCidr, isHostCidr, matrixJsonSchema, show } from "../config/schema";
import { eachEnvironment } from "../config/rules";
import { MatrixError, validateMatrix } from "../config/validate";
import { editableDefinition } from "./helpers";

const problemsAfter = (edit: (m: any) => void) => {
  const m = editableDefinition();
  edit(m);
  return validateMatrix(m);
};

describe("field kinds", () => {
  it.each([
    ["a label key Kubernetes refuses", (m: any) => (m.organization.ingressController.podLabels = { "bad key!": "x" }), "organization.ingressController.podLabels", '"bad key!" is not a Kubernetes label key'],
    ["a label value Kubernetes refuses", (m: any) => (m.organization.ingressController.podLabels = { app: "not a value!" }), "organization.ingressController.podLabels.app", '"not a value!" is not a Kubernetes label value'],
    ["a default branch with a wildcard", (m: any) => (m.organization.github.defaultBranch = "main*"), "organization.github.defaultBranch", '"main*" is not a branch name (no white space, no comma, no *)'],
    ["a blank default branch", (m: any) => (m.organization.github.defaultBranch = " "), "organization.github.defaultBranch", '" " is not a branch name (no white space, no comma, no *)'],
  ])("%s is refused with its path and the rule", (_what, edit, at, message) => {
    expect(problemsAfter(edit)).toContainEqual({ path: at, message });
  });

  it("a rule does not run on a field the schema refused (one problem, no crash on the bad value)", () => {
    // protects-a-deploy-branch reads identity.deployBranches: given a number, it must not call .includes on it
    expect(problemsAfter((m) => (m.environments.staging.identity.deployBranches = 42))).toEqual([
      { path: "environments.staging.identity.deployBranches", message: expect.stringMatching(/^42 is not/) },
    ]);
  });
});

describe("a matrix that is not one", () => {
  it.each([[null], [5], [[]]])("%j: one problem, saying what a matrix is", (def) => {
    expect(validateMatrix(def as any)).toEqual([{ path: "matrix", message: `${JSON.stringify(def)} is not a matrix (an object with organization, services, promotionOrder, environments)` }]);
  });
  it.each([[null], [[]]])("environments %j: not a map of environments by name", (environments) => {
    expect(problemsAfter((m) => (m.environments = environments))).toContainEqual({ path: "environments", message: `${JSON.stringify(environments)} is not a map of environments by name` });
  });
  it("a clone of a clone: clone the original", () => {
    expect(problemsAfter((m) => (m.environments.hotfix2 = { cloneOf: "hotfix", purpose: "x", identity: m.environments.hotfix.identity }))).toContainEqual({
      path: "environments.hotfix2.cloneOf",
      message: '"hotfix" is itself a clone (clone the original, "prod")',
    });
  });
});

describe("a key the schema does not know", () => {
  it.each([
    ["a misspelt field", (m: any) => { m.environments.prod.alerts.errorRatePrecent = 0.05; delete m.environments.prod.alerts.errorRatePercent; }, "environments.prod.alerts.errorRatePrecent", 'is not a field of environments.prod.alerts (did you mean "errorRatePercent"?)'],
    ["a field in the wrong block", (m: any) => (m.environments.staging.tls = false), "environments.staging.tls", 'is not a field of environments.staging (did you mean "traffic.tls"?)'],
    ["a field in another case", (m: any) => { m.environments.dev.replicas.Max = 3; delete m.environments.dev.replicas.max; }, "environments.dev.replicas.Max", 'is not a field of environments.dev.replicas (did you mean "max"?)'],
    ["a misspelt organization field", (m: any) => (m.organization.vault.adress = "https://x"), "organization.vault.adress", 'is not a field of organization.vault (did you mean "address"?)'],
    ["a misspelt clone field", (m: any) => (m.environments.hotfix.clonOf = "prod"), "environments.hotfix.clonOf", 'is not a field of environments.hotfix (did you mean "cloneOf"?)'],
    ["a misspelt service field", (m: any) => (m.services[0].prot = 8080), "services[0].prot", 'is not a field of services[0] (did you mean "port"?)'],
    // only the same letters find it: "MAX" is three edits from "max"
    ["a field in capitals", (m: any) => { m.environments.dev.replicas.MAX = 3; delete m.environments.dev.replicas.max; }, "environments.dev.replicas.MAX", 'is not a field of environments.dev.replicas (did you mean "max"?)'],
    // a key of three letters may be one edit away, not two
    ["a short key two edits away", (m: any) => (m.environments.dev.replicas.mxa = 3), "environments.dev.replicas.mxa", "is not a field of environments.dev.replicas (its fields: min, default, max)"],
    ["a misspelt top-level field", (m: any) => (m.servics = []), "servics", 'is not a field of the matrix (did you mean "services"?)'],
    ["a misspelt backend field", (m: any) => (m.environments.prod.backend = { type: "s3", bucket: "state", region: "eu-west-1", keyPrefix: "x", kmsKeyID: "k" }), "environments.prod.backend.kmsKeyID", 'is not a field of environments.prod.backend (did you mean "kmsKeyId"?)'],
    // below a map (clusters by name): the fields of the map's values
    // blocks that may be null or left out: their fields are suggested through the wrapper
    ["a misspelt field in a block that may be null", (m: any) => (m.environments.prod.canaryGate.maxLatencyIncreasePrecent = 5), "environments.prod.canaryGate.maxLatencyIncreasePrecent", 'is not a field of environments.prod.canaryGate (did you mean "maxLatencyIncreasePercent"?)'],
    ["a misspelt field in a clone's own block, which it may leave out", (m: any) => (m.environments.hotfix.entryGates = { ...m.environments.prod.entryGates, requiredCheck: [] }), "environments.hotfix.entryGates.requiredCheck", 'is not a field of environments.hotfix.entryGates (did you mean "requiredChecks"?)'],
    ["a field of a block that may be null, one block up", (m: any) => (m.environments.prod.availabilityPercent = 99.9), "environments.prod.availabilityPercent", 'is not a field of environments.prod (did you mean "slo.availabilityPercent"?)'],
    ["a misspelt field of a cluster", (m: any) => (m.organization.clusters.prod.contxt = "prod"), "organization.clusters.prod.contxt", 'is not a field of organization.clusters.prod (did you mean "context"?)'],
  ])("%s is refused with its path and a suggestion", (_what, edit, at, message) => {
    expect(problemsAfter(edit)).toContainEqual({ path: at, message });
  });

  it("that resembles nothing is refused with the fields that exist there", () => {
    expect(problemsAfter((m) => (m.environments.dev.alerts.colour = "red"))).toEqual([
      {
        path: "environments.dev.alerts.colour",
        message:
          "is not a field of environments.dev.alerts (its fields: errorRatePercent, latencyMs, cpuPercent, routing, warningAtPercentOfCritical, recoverAtPercentOfThreshold, evaluationWindowMinutes, notifyNoData, noDataTimeframeMinutes, renotifyMinutes, priority, tiers)",
      },
    ]);
  });

  it("a field left out is missing, not wrong", () => {
    expect(problemsAfter((m) => delete m.environments.dev.runtime.logLevel)).toEqual([
      { path: "environments.dev.runtime.logLevel", message: "is missing (every field without a default must be set)" },
    ]);
  });

  it("a backend of an unknown type names the known ones", () => {
    expect(problemsAfter((m) => (m.environments.dev.backend = { type: "gcs" }))).toEqual([{ path: "environments.dev.backend.type", message: '"gcs" is not one of local, s3, hcp' }]);
  });
});

describe("the matrix as a whole", () => {
  it("with no environment says so, once (the names the promotion order and the gates give are not also each unknown)", () => {
    expect(problemsAfter((m) => (m.environments = {}))).toEqual([{ path: "environments", message: "is empty (define at least one environment)" }]);
  });

  it("a clone of itself is named as such (not as a clone to clone the original of)", () => {
    expect(problemsAfter((m) => (m.environments.hotfix.cloneOf = "hotfix"))).toEqual([{ path: "environments.hotfix.cloneOf", message: '"hotfix" is this environment itself (a clone takes another environment\'s settings)' }]);
  });

  it("fails with the file named first, the count, and each problem on its own line", () => {
    const one = new MatrixError("config/environments.ts", [{ path: "environments.dev.replicas.min", message: "2.5 is not a whole number" }]);
    expect(one.message).toBe("config/environments.ts: 1 problem\n  environments.dev.replicas.min: 2.5 is not a whole number");
    const two = new MatrixError("m.ts", [
      { path: "a", message: "x" },
      { path: "b", message: "y" },
    ]);
    expect(two.message).toBe("m.ts: 2 problems\n  a: x\n  b: y");
    expect(two.name).toBe("MatrixError");
  });

  it("gives a clone's inherited list the shape its source's has: a row that walks it skips the clone when the source's was refused", () => {
    // a team's row that counts the checklist's items and reports at the environment's own purpose (not inherited)
    const counted = eachEnvironment(
      { id: "policy-checklist-count", holds: "counts the checklist", reads: ["purpose"], walks: ["approval.checklist"], check: (e) => ["purpose", `${e.approval.checklist.length} items`] },
      "policy",
    );
    const m = editableDefinition();
    m.environments.prod.approval.checklist = "rollback plan documented";
    const problems = validateMatrix(m, [counted]);
    // prod's checklist refused: neither prod nor hotfix (its clone, which takes prod's) is counted
    expect(problems.filter((p) => /^environments\.(prod|hotfix)\.purpose$/.test(p.path))).toEqual([]);
    expect(problems).toContainEqual({ path: "environments.dev.purpose", message: "0 items" });
  });
});

describe("npm run synth on a matrix with an unknown and a misspelt key", () => {
  it("exits 1 naming the file, each path and the suggestion, and writes nothing", () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "envmatrix-misspelt-"));
    try {
      const result = spawnSync(process.execPath, ["--require", "tsx/cjs", path.join(__dirname, "fixtures", "synth-misspelt-matrix.ts")], {
        cwd: path.resolve(__dirname, ".."),
        env: { ...process.env, CDKTF_OUTDIR: outdir },
        encoding: "utf8",
      });
      expect(result.status).toBe(1);
      // the misspelling, the field it leaves unset, and the field in the wrong block
      expect(result.stderr).toContain("config/environments.ts: 3 problems");
      expect(result.stderr).toContain("  environments.prod.alerts.errorRatePercent: is missing");
      expect(result.stderr).toContain('  environments.prod.alerts.errorRatePrecent: is not a field of environments.prod.alerts (did you mean "errorRatePercent"?)');
      expect(result.stderr).toContain('  environments.staging.tls: is not a field of environments.staging (did you mean "traffic.tls"?)');
      expect(fs.readdirSync(outdir)).toEqual([]);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});

describe("the JSON Schema", () => {
  const committed = JSON.parse(fs.readFileSync(path.resolve(__dirname, "..", "config", "matrix.schema.json"), "utf8"));

  it("in config/matrix.schema.json is the schema's (npm run --silent matrix -- --format json-schema > config/matrix.schema.json)", () => {
    expect(committed).toEqual(matrixJsonSchema());
  });

  it("refuses unknown keys and carries the ranges, patterns and enumerations", () => {
    const alerts = committed.properties.environments.additionalProperties.anyOf[1].properties.alerts;
    expect(alerts.additionalProperties).toBe(false);
    expect(alerts.properties.routing.enum).toEqual(["none", "chat", "page"]);
    expect(alerts.properties.priority).toMatchObject({ type: "integer", minimum: 1, maximum: 5 });
    expect(committed.properties.environments.propertyNames.pattern).toBe("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
  });
});

describe("a CIDR (Vault's egress addresses): an IPv4 or IPv6 network with its prefix length, nothing around it", () => {
  it.each(["192.0.2.0/28", "0.0.0.0/0", "255.255.255.255/32", "10.100.200.1/8", "2001:db8::/120", "::/0", "2001:DB8::/128"])("%s is one", (cidr) => expect(isCidr(cidr)).toBe(true));
  it.each([
    ["an octet above 255, in any place", "256.0.2.0/28"],
    ["", "192.256.2.0/28"],
    ["", "192.0.256.0/28"],
    ["", "192.0.2.256/28"],
    ["an IPv4 prefix above 32", "192.0.2.0/33"],
    ["an IPv6 prefix above 128", "2001:db8::/129"],
    ["no prefix", "192.0.2.0"],
    ["text after it", "192.0.2.0/28 "],
    ["text before it", "x192.0.2.0/28"],
    ["an IPv6 with text after it", "2001:db8::/64x"],
    ["an IPv6 with text before it", "x:2001:db8::/64"],
    ["hex digits without a colon", "abcd/64"],
    ["a number", 28],
    ["four-digit octets", "1920.0.2.0/28"],
  ])("%s (%s) is not", (_what, value) => expect(isCidr(value)).toBe(false));
});

describe("a DNS server's address (organization.clusters.<c>.dnsIpBlocks): one address, never a range that would open port 53 to it", () => {
  it.each(["169.254.20.10/32", "10.96.0.10/32", "fd00::a/128"])("%s is one", (cidr) => expect(isHostCidr(cidr)).toBe(true));
  it.each(["0.0.0.0/0", "169.254.0.0/16", "10.96.0.10/31", "fd00::/64", "10.96.0.10", 32])("%s is not", (value) => expect(isHostCidr(value)).toBe(false));
  it("a range is refused at its path, every problem at once", () => {
    const def = editableDefinition();
    def.organization.clusters.nonprod.dnsIpBlocks = ["169.254.20.10/32", "0.0.0.0/0", "10.0.0.0/8"];
    const problems = validateMatrix(def);
    expect(problems.map((p) => p.path)).toEqual(["organization.clusters.nonprod.dnsIpBlocks[1]", "organization.clusters.nonprod.dnsIpBlocks[2]"]);
    expect(problems[0].message).toMatch(/one address as a CIDR/);
  });
});

describe("a value as a problem quotes it", () => {
  it.each([
    ["a string, in quotes", "prod", '"prod"'],
    ["a number as written", 2.5, "2.5"],
    ["null as written", null, "null"],
    ["undefined as written", undefined, "undefined"],
    ["true as written", true, "true"],
    ["a list as JSON (String([]) would be empty)", [], "[]"],
    ["an object as JSON", { a: 1 }, '{"a":1}'],
  ])("%s", (_what, value, shown) => expect(show(value)).toBe(shown));
});
