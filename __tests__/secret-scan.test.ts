/** No secret value in the synthesized output (or the matrix): Terraform only ever holds pointers to Vault. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { run } from "../main";

/**
 * Example passwords of the kind seed documents and tutorials show (`vault kv put secret/dev/api password=…`).
 * The seed documents themselves are not in this repository; these are the usual suspects.
 */
const EXAMPLE_PASSWORDS = ["password", "password123", "changeme", "supersecret", "secret123", "hunter2", "letmein", "admin123", "P@ssw0rd", "s3cr3t", "dev-password", "prod-password", "example-password"];

/** Values that look like a credential whatever key holds them. */
const VALUE_PATTERNS: Array<[string, RegExp]> = [
  ["AWS access key id", /\bAKIA[0-9A-Z]{16}\b/],
  ["GitHub token", /\bgh[pousr]_[A-Za-z0-9]{36,}\b/],
  ["Vault token", /\bhv[sb]\.[A-Za-z0-9_-]{20,}/],
  ["Slack token", /\bxox[abprs]-[A-Za-z0-9-]{10,}/],
  ["private key", /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ["JSON web token", /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}/],
  ["Datadog API/app key (32 or 40 hex digits)", /\b[0-9a-f]{32}(?:[0-9a-f]{8})?\b/],
];

/** Keys that name a credential. A literal string under one is a secret in the output. */
const CREDENTIAL_KEY = /(^|[_-])(password|passwd|passphrase|secret|secret[_-]?key|api[_-]?key|app[_-]?key|token|private[_-]?key|access[_-]?key|client[_-]?secret|credentials?)$|^(password|secretKey|apiKey|appKey|token|privateKey|accessKey|clientSecret)$/i;

/** Resource types that would put secret data into Terraform state. */
const SECRET_WRITING_TYPES = /^(kubernetes_secret(_v1)?|vault_kv_secret(_v2)?|vault_generic_secret|github_actions_(environment_)?secret|github_actions_organization_secret)$/;

interface Finding {
  readonly file: string;
  readonly where: string;
  readonly what: string;
}

function scanJson(file: string, text: string): Finding[] {
  const findings: Finding[] = [];
  for (const [what, re] of VALUE_PATTERNS) if (re.test(text)) findings.push({ file, where: text.match(re)![0].slice(0, 12) + "…", what });
  const walk = (value: unknown, at: string, key: string) => {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${at}[${i}]`, key));
    else if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) {
        if (at === "/resource" && SECRET_WRITING_TYPES.test(k)) findings.push({ file, where: `${at}/${k}`, what: "a resource that writes secret data" });
        walk(v, `${at}/${k}`, k);
      }
    } else if (typeof value === "string") {
      const literal = value !== "" && !/^\$\{[^}]+\}$/.test(value);
      if (literal && CREDENTIAL_KEY.test(key)) findings.push({ file, where: at, what: `credential-like key "${key}" with a literal value` });
      if (EXAMPLE_PASSWORDS.some((p) => value === p || value.endsWith(`=${p}`))) findings.push({ file, where: at, what: "an example password" });
    }
  };
  walk(JSON.parse(text), "", "");
  return findings;
}

function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, encoding: "utf8" }) as string[])
    .map((f) => path.join(dir, f))
    .filter((f) => fs.statSync(f).isFile())
    .sort();
}

describe("secret scan", () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "envmatrix-scan-"));
  beforeAll(() => expect(run(undefined, outdir)).toBe(0));
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  it("finds no secret material in any synthesized file", () => {
    const files = filesUnder(outdir).filter((f) => f.endsWith(".json"));
    expect(files.map((f) => path.relative(outdir, f))).toEqual(expect.arrayContaining([path.join("stacks", "prod", "cdk.tf.json")]));
    const findings = files.flatMap((f) => scanJson(path.relative(outdir, f), fs.readFileSync(f, "utf8")));
    expect(findings).toEqual([]);
  });

  it("finds none in the matrix either", () => {
    const config = path.resolve(__dirname, "..", "config");
    for (const file of filesUnder(config)) {
      const text = fs.readFileSync(file, "utf8");
      for (const [what, re] of VALUE_PATTERNS) expect({ file, what, found: re.test(text) }).toMatchObject({ found: false });
      for (const p of EXAMPLE_PASSWORDS.filter((x) => x !== "password")) expect({ file, p, found: text.includes(`"${p}"`) }).toMatchObject({ found: false });
    }
  });

  it.each([
    ["an example password in a manifest", { resource: { kubernetes_manifest: { x: { manifest: { stringData: { DB: "changeme" } } } } } }, "an example password"],
    ["a credential key with a literal value", { provider: { datadog: [{ api_key: "not-a-reference" }] } }, 'credential-like key "api_key" with a literal value'],
    ["a Kubernetes Secret resource", { resource: { kubernetes_secret_v1: { db: { data: {} } } } }, "a resource that writes secret data"],
    ["a Vault KV write", { resource: { vault_kv_secret_v2: { db: { data_json: "${jsonencode(var.x)}" } } } }, "a resource that writes secret data"],
    ["a token-shaped value", { locals: { x: "ghp_0123456789abcdefghijABCDEFGHIJ012345" } }, "GitHub token"],
  ])("catches %s", (_what, doc, what) => {
    expect(scanJson("fixture.json", JSON.stringify(doc)).map((f) => f.what)).toContain(what);
  });

  it("lets references and non-secret token settings through", () => {
    const doc = { resource: { vault_kubernetes_auth_backend_role: { r: { token_ttl: 600, token_policies: ["${vault_policy.policy.name}"] } } }, provider: { x: [{ token: "${var.token}" }] } };
    expect(scanJson("fixture.json", JSON.stringify(doc))).toEqual([]);
  });
});
