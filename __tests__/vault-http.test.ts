/**
 * Vault with a private CA (organization.vault.caCertificatePem): preflight and adopt trust it for their requests as
 * the Vault provider is given it, against a fake Vault on 127.0.0.1 serving TLS with a certificate of a CA made for
 * the test (by the openssl binary; skipped with a message where there is none).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import { vaultGet } from "../review/vault-http";
import { scratchDir } from "./scratch";
import { PRELOAD_CLIENTS, startCliProcess, type CliProcess } from "./cli-process";
import { editableDefinition } from "./helpers";
import { startFake, type Fake } from "./fakes/server";

const openssl = (() => {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
if (!openssl) console.warn("vault-http.test: no openssl binary on PATH: the private-CA tests are skipped");
const maybe = openssl ? describe : describe.skip;

maybe("a Vault whose certificate a private CA signed", () => {
  let server: https.Server;
  let url: string;
  let caPem: string;
  const seen: string[] = [];

  beforeAll(async () => {
    const dir = path.join(scratchDir(), "tls");
    fs.mkdirSync(dir, { recursive: true });
    const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=envmatrix test CA");
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
    fs.writeFileSync(path.join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "1", "-extfile", "san.ext");
    caPem = fs.readFileSync(path.join(dir, "ca.pem"), "utf8");
    server = https.createServer({ key: fs.readFileSync(path.join(dir, "server.key")), cert: fs.readFileSync(path.join(dir, "server.pem")) }, (req, res) => {
      seen.push(req.url ?? "");
      res.writeHead(req.url === "/v1/sys/policies/acl/envmatrix-staging-secrets-read" ? 200 : 404, { "content-type": "application/json" });
      res.end(JSON.stringify(req.url?.startsWith("/v1/sys/policies/acl/") ? { data: { name: "envmatrix-staging-secrets-read", policy: "x" } } : { errors: [] }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  // one CLI process for preflight and adopt (a process start each cost a second of this file's time)
  let cli: CliProcess | undefined;
  const shared = () => (cli ??= startCliProcess({ preload: [path.join(__dirname, "fakes", "no-egress.cjs"), PRELOAD_CLIENTS] }));
  afterAll(async () => {
    await cli?.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("is trusted with the matrix's CA, and refused without it (the system roots do not hold it)", async () => {
    expect(await vaultGet(url, "t", "sys/policies/acl/envmatrix-staging-secrets-read", caPem)).toMatchObject({ status: 200 });
    const refused = await vaultGet(url, "t", "sys/policies/acl/envmatrix-staging-secrets-read");
    expect(refused.status).toBe(0);
    expect(refused.text).toMatch(/self[- ]signed|unable to (get|verify)/i);
  });

  it("vault-roles reaches Vault at the matrix's address with its CA when VAULT_ADDR is not set (as the drift job runs it)", async () => {
    const def = editableDefinition();
    def.organization.vault.caCertificatePem = caPem;
    def.organization.vault.address = url;
    const out = path.join(scratchDir(), "tls-roles-out");
    expect(require("../main").run(def, out, path.join(scratchDir(), "no-adopt-files"))).toBe(0);
    seen.length = 0;
    // this Vault has no such role (404): an answer of Vault's own, not a certificate error (exit 1)
    const r = await shared().run(["vault-roles", path.join(out, "stacks", "staging", "cdk.tf.json")], { VAULT_TOKEN: "t" }, def);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, "vault_kubernetes_auth_backend_role.role: not in Vault (not deployed yet, or deleted: a plan shows it)\n", ""]);
    expect(seen).toEqual([`/v1/auth/${def.organization.vault.authMountPrefix}${def.environments.staging.cluster}/role/staging-secret-sync`]);
  });

  it("preflight reaches Vault with the matrix's CA: it gets Vault's own answer, not a certificate error", async () => {
    const def = editableDefinition();
    def.organization.vault.caCertificatePem = caPem;
    const out = path.join(scratchDir(), "tls-out");
    expect(require("../main").run(def, out, path.join(scratchDir(), "no-adopt-files"))).toBe(0);
    const r = await shared().run(["preflight", "staging", "--out", out], { VAULT_ADDR: url, VAULT_TOKEN: "t", KUBE_CONFIG_PATH: path.join(scratchDir(), "none"), DD_HOST: "http://127.0.0.1:59999", GITHUB_API_URL: "http://127.0.0.1:59999" }, def);
    // the fake answers 404 to sys/health: a connection that got through TLS
    expect(r.stdout).toMatch(/reachable and unsealed: sys\/health answered 404/);
  });

  it("adopt reads Vault with the matrix's CA (organization.vault.caCertificatePem)", async () => {
    const def = editableDefinition();
    def.organization.vault.caCertificatePem = caPem;
    const r = await shared().run(["adopt", "staging", "--dry-run"], { VAULT_ADDR: url, VAULT_TOKEN: "t", KUBE_CONFIG_PATH: path.join(scratchDir(), "none"), DD_HOST: "http://127.0.0.1:59999", GITHUB_API_URL: "http://127.0.0.1:59999" }, def);
    const line = r.stdout.split("\n").find((l) => l.startsWith("vault_policy.policy "));
    expect(line).toMatch(/\syes\s+envmatrix-staging-secrets-read\s/);
  });
});

describe("a GET of Vault over plain HTTP (a fake on 127.0.0.1), and when there is no answer", () => {
  let fake: Fake;
  beforeAll(async () => {
    fake = await startFake((r) => (r.path === "/v1/sys/health" ? { status: 200, body: { sealed: false } } : undefined));
  });
  afterAll(async () => fake.close());

  it("sends the token as X-Vault-Token to <address>/v1/<path>, a trailing slash on the address or not", async () => {
    for (const address of [fake.url, `${fake.url}/`]) {
      const before = fake.requests.length;
      const r = await vaultGet(address, "t0ken", "sys/health");
      expect([r.status, JSON.parse(r.text)]).toEqual([200, { sealed: false }]);
      const [q] = fake.requests.slice(before);
      expect([q.path, q.headers["x-vault-token"]]).toEqual(["/v1/sys/health", "t0ken"]);
    }
    expect((await vaultGet(fake.url, "t0ken", "nowhere")).status).toBe(404);
  });

  it("no answer is status 0 with the reason: not a URL, refused, or silent past the timeout", async () => {
    expect(await vaultGet("not a url", "t", "sys/health")).toEqual({ status: 0, text: expect.stringMatching(/^not a url: not a URL \(/) });
    expect(await vaultGet("http://127.0.0.1:9", "t", "sys/health")).toEqual({ status: 0, text: expect.stringMatching(/^http:\/\/127\.0\.0\.1:9: .*ECONNREFUSED/) });
    const silent = http.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const port = (silent.address() as AddressInfo).port;
      expect(await vaultGet(`http://127.0.0.1:${port}`, "t", "sys/health", undefined, 200)).toEqual({ status: 0, text: `http://127.0.0.1:${port}: no answer in 0.2 s` });
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
