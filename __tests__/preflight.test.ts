/**
 * `npm run preflight -- staging` against local fakes of the Kubernetes, Vault, Datadog and GitHub APIs on
 * 127.0.0.1: all green on a correct setup; each precondition broken one at a time gives its own failed line,
 * its fix, and exit code 1; every synthesized monitor goes to the validation endpoint; and the process under
 * test cannot open a connection to anything but 127.0.0.1 (fakes/no-egress.cjs).
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { run as synthesize } from "../main";
import { matrix as definition } from "../config/environments";
import { clusterBootstrap } from "../review/cluster-bootstrap";
import { handlesOf } from "../review/preflight-reads";
import { githubHandler, type GitHubState } from "./fakes/github";
import { datadogHandler, kubeHandler, vaultHandler, type DatadogState, type KubeState, type VaultState, fakeEndpointsEnv } from "./fakes/platform";
import { startFake, type Fake } from "./fakes/server";
import { seedMatrix } from "./helpers";
import { scratchDir } from "./scratch";
import { PRELOAD_CLIENTS, startCliProcess, type CliProcess } from "./cli-process";
import { parseAllDocuments } from "yaml";
import { cli as cliInProcess } from "./cli";
import { allows, rbacRequest } from "./rbac";

const exec = promisify(execFile);
const root = path.resolve(__dirname, "..");
const ENV = "staging";
const org = seedMatrix.organization;
const e = seedMatrix.environments[ENV];
const boot = clusterBootstrap(seedMatrix, e.cluster);

let out: string;
let kubeconfig: string;
let fakes: { kube: Fake; vault: Fake; datadog: Fake; github: Fake };
let kube: KubeState;
let vault: VaultState;
let dd: DatadogState;
let gh: GitHubState;
const seen: Fake["requests"] = [];

function healthy() {
  const reviewer = boot.vault.tokenReviewerJwtFrom;
  const binding = boot.manifests.find((o) => o.kind === "ClusterRoleBinding")!;
  kube = {
    version: "v1.31.4",
    crds: {
      "secretstores.external-secrets.io": [{ name: "v1", served: true }, { name: "v1beta1", served: true }],
      "externalsecrets.external-secrets.io": [{ name: "v1", served: true }, { name: "v1beta1", served: true }],
    },
    daemonSets: [`${org.serviceMesh.controlPlane.namespace}/istio-cni-node`],
    deployments: [`${org.serviceMesh.controlPlane.namespace}/istiod`],
    serviceAccounts: [`${reviewer.namespace}/${reviewer.serviceAccount}`],
    clusterRoleBindings: { [binding.metadata.name]: { roleRef: { name: "system:auth-delegator" }, subjects: [{ kind: "ServiceAccount", name: reviewer.serviceAccount, namespace: reviewer.namespace }] } },
    services: [`${org.datadog.agent.namespace}/${org.datadog.agent.service}`],
    // created by the cluster admin's apply of `deployer-rbac` (the stack adopts it)
    namespaces: [e.identity.namespace],
    tokenValid: true,
  };
  vault = {
    sealed: false,
    mounts: { [org.vault.kvMount]: { type: "kv", options: { version: "2" } } },
    // the admin gave Vault the cluster's CA at bootstrap (the seed matrix has none to compare with)
    kubernetesAuth: { [boot.vault.mount]: { kubernetes_host: org.clusters[e.cluster].host, kubernetes_ca_cert: "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n", disable_local_ca_jwt: true, token_reviewer_jwt_set: true } },
    token: "fake-vault-token",
    forbidden: [],
    // each service's secret written once (Vault API, KV v2 "Read secret metadata"), where its ExternalSecret reads
    documents: Object.fromEntries(seedMatrix.services.map((s) => [secretMetadataPath(s.name), { current_version: 1, versions: { "1": { created_time: "2026-11-01T00:00:00Z", deletion_time: "", destroyed: false } } }])),
  };
  dd = { apiKey: "fake-dd-api-key", appKey: "fake-dd-app-key", refuse: [], pagerduty: ["platform-oncall"], slack: { platform: ["alerts"] }, webhooks: [org.datadog.gateHandle, org.datadog.ticketHandle].map((h) => h.replace("@webhook-", "")) };
  gh = {
    ahead: [],
    pulls: {},
    deployments: {},
    repository: { private: true, visibility: "private", owner: { login: org.github.owner, type: "Organization" }, security_and_analysis: { code_security: { status: "enabled" }, secret_scanning: { status: "enabled" } } },
    orgPlan: "enterprise",
    permissions: { admin: false, push: false, pull: true },
    tokenValid: true,
  };
}

beforeAll(async () => {
  out = path.join(scratchDir(), "preflight-out");
  expect(synthesize(definition, out)).toBe(0);
  healthy();
  // the handlers read the current state objects through these closures
  fakes = {
    kube: await startFake((r) => kubeHandler(kube)(r)),
    vault: await startFake((r) => vaultHandler(vault)(r)),
    datadog: await startFake((r) => datadogHandler(dd)(r)),
    github: await startFake((r) => githubHandler(gh)(r)),
  };
  kubeconfig = path.join(scratchDir(), "kubeconfig");
  fs.writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      // the fake speaks plain http on 127.0.0.1; the client refuses http unless TLS verification is off
      clusters: [{ name: "fake", cluster: { server: fakes.kube.url, "insecure-skip-tls-verify": true } }],
      users: [{ name: "planner", user: { token: "fake-kube-token" } }],
      contexts: [{ name: org.clusters[e.cluster].context, context: { cluster: "fake", user: "planner" } }],
      "current-context": org.clusters[e.cluster].context,
    }),
  );
});
beforeEach(() => healthy());
afterEach(() => {
  for (const f of Object.values(fakes)) seen.push(...f.requests.splice(0));
});
afterAll(async () => {
  for (const f of Object.values(fakes)) await f.close();
});

const preflightEnv = () => fakeEndpointsEnv(fakes, kubeconfig);
const NO_EGRESS = path.join(__dirname, "fakes", "no-egress.cjs");
const ARGS = ["preflight", ENV, "--out"];

/** `npm run preflight -- staging` in the shared CLI process (preloaded with no-egress, like a spawned one). */
const cliProcess = (): CliProcess => (cli ??= startCliProcess({ preload: [NO_EGRESS, PRELOAD_CLIENTS], env: { ...process.env, ...preflightEnv() } }));
async function preflight(): Promise<{ code: number; stdout: string }> {
  const r = await cliProcess().run([...ARGS, out]);
  return { code: r.code, stdout: `${r.stdout}${r.stderr}` };
}
let cli: CliProcess | undefined;
afterAll(async () => cli?.close());

/** The same, as its own process: what `npm run preflight` starts. */
async function preflightProcess(): Promise<{ code: number; stdout: string }> {
  const args = ["--require", NO_EGRESS, "--require", "tsx/cjs", "scripts/cli.ts", ...ARGS, out];
  try {
    const r = await exec(process.execPath, args, { cwd: root, env: { ...process.env, ...preflightEnv() } });
    return { code: 0, stdout: r.stdout };
  } catch (err: any) {
    return { code: err.code, stdout: `${err.stdout}${err.stderr}` };
  }
}

const failedLines = (stdout: string) => stdout.split("\n").filter((l) => l.startsWith("✘"));
/** The checklist's lines, passed or failed: what the last line counts. */
const checkLines = (stdout: string) => stdout.split("\n").filter((l) => /^[✔✘] /.test(l));

it("passes every check on a correct setup, and sends every synthesized monitor to Datadog's validation", async () => {
  const before = fakes.kube.requests.length;
  const r = await preflight();
  // preflight runs with plan's credentials: every request it made of the cluster is one the planner's RBAC allows,
  // as `npm run deployer-rbac -- <env> --plan` prints it for the cluster admin (a 403 otherwise, on a real cluster)
  const planRbac = parseAllDocuments((await cliInProcess(["deployer-rbac", ENV, "--plan", "--out", out])).stdout).map((d) => d.toJS());
  const asked = fakes.kube.requests.slice(before).map((q) => [q.method, q.path, rbacRequest(q.method, q.path)] as const).filter(([, , req]) => req !== undefined);
  expect(asked.length).toBeGreaterThan(5);
  for (const [method, p, req] of asked) expect([method, p, allows(planRbac, req!.verb, req!.group, req!.resource, req!)]).toEqual([method, p, true]);
  expect(failedLines(r.stdout)).toEqual([]);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/all \d+ checks passed/);
  expect(r.stdout).toContain(`\nall ${checkLines(r.stdout).length} checks passed\n`);
  expect(checkLines(r.stdout).length).toBeGreaterThan(5);
  const stack = JSON.parse(fs.readFileSync(path.join(out, "stacks", ENV, "cdk.tf.json"), "utf8"));
  const expected = Object.values<any>(stack.resource.datadog_monitor).map((m) => m.query).sort();
  const bodies = fakes.datadog.requests.filter((q) => q.path === "/api/v1/monitor/validate").map((q) => JSON.parse(q.body));
  expect(bodies.map((b) => b.query).sort()).toEqual(expected);
  expect(expected.length).toBeGreaterThan(0);
  // with every option the provider sends at plan, in the API's spelling (the client drops unknown fields)
  for (const m of Object.values<any>(stack.resource.datadog_monitor)) {
    const b = bodies.find((x) => x.query === m.query);
    expect(b.options.thresholds).toEqual({
      critical: Number(m.monitor_thresholds.critical),
      warning: Number(m.monitor_thresholds.warning),
      critical_recovery: Number(m.monitor_thresholds.critical_recovery),
      warning_recovery: Number(m.monitor_thresholds.warning_recovery),
    });
    expect(b.options.notify_no_data).toBe(m.notify_no_data);
    expect(b.options.on_missing_data).toBe(m.on_missing_data);
    expect(b.options.renotify_interval).toBe(m.renotify_interval);
    expect(b.options.require_full_window).toBe(false);
    expect(b.priority).toBe(Number(m.priority));
  }
});

// [what is broken, how, the failed line's words, the fix's words]
/** Where a service's secret's metadata is: the KV mount, `metadata/`, the environment's subtree, the service (README "Secrets"). */
function secretMetadataPath(service: string): string {
  return `/v1/${org.vault.kvMount}/metadata/${e.identity.vaultSubtree}/${service}`;
}
const firstService = seedMatrix.services[0].name;

const broken: Array<[string, () => void, RegExp, RegExp]> = [
  // deploy.yml keeps a saved plan 7 days (retention-days), for a merge that waits for prod's window; GitHub cuts it
  // to the repository's retention
  ["the repository keeps artifacts 3 days, fewer than a saved plan must wait", () => (gh.artifactRetentionDays = 3), /artifact retention of .* at least 7 days \(a saved plan waits for its approval\): 3 days: GitHub keeps the deploy run's saved plans no longer/, /raise it to 7 days or more/],
  ["the token may not read the repository's Actions settings", () => (gh.forbidden = [`/repos/${org.github.owner}/${org.github.repository}/actions/permissions/artifact-and-log-retention`]), /artifact retention of .* at least 7 days .*: HTTP 403/, /Administration read/],
  ["a service's secret is not written in Vault yet", () => delete vault.documents![secretMetadataPath(firstService)], new RegExp(`vault +secret ${org.vault.kvMount}/${e.identity.vaultSubtree}/${firstService} written: nothing there: its ExternalSecret would find nothing`), new RegExp(`vault kv put ${org.vault.kvMount}/${e.identity.vaultSubtree}/${firstService} <KEY>=<value>`)],
  ["a service's secret's newest version is deleted", () => ((vault.documents![secretMetadataPath(firstService)] as any).versions["1"].deletion_time = "2026-11-20T00:00:00Z"), /its newest version \(1\) is deleted or destroyed/, /vault kv undelete -versions=1 /],
  ["the planner may not read a secret's metadata (the gates stack's planner policy not applied)", () => vault.forbidden.push(secretMetadataPath(firstService)), /not allowed to read its metadata \(HTTP 403\)/, /apply the gates stack: the planner policy/],
  ["the cluster refuses the credentials", () => (kube.tokenValid = false), /kubernetes\s+context nonprod reachable: HTTP 401/, /credentials valid/],
  ["the environment's namespace does not exist (deployer-rbac not applied)", () => (kube.namespaces = []), new RegExp(`kubernetes\\s+namespace ${e.identity.namespace}: missing`), new RegExp(`deployer-rbac -- ${ENV}: it creates the namespace`)],
  ["ESO's CRDs are not installed", () => delete kube.crds["secretstores.external-secrets.io"], /secretstores\.external-secrets\.io served at external-secrets\.io\/v1: CRD missing/, /install the External Secrets Operator \(>= 0\.16/],
  ["ESO serves only v1beta1", () => (kube.crds["externalsecrets.external-secrets.io"] = [{ name: "v1beta1", served: true }]), /externalsecrets\.external-secrets\.io served at external-secrets\.io\/v1: served: v1beta1/, /upgrade the External Secrets Operator to 0\.16/],
  ["Istio CNI is missing (sidecars would need istio-init)", () => (kube.daemonSets = []), /mesh \(sidecar-cni\): DaemonSet istio-system\/istio-cni-node: missing/, /install Istio with its CNI plugin/],
  ["the token reviewer is not bound to system:auth-delegator", () => (kube.clusterRoleBindings = {}), /token reviewer envmatrix-system\/vault-token-reviewer: missing/, /cluster-bootstrap -- nonprod/],
  ["the Datadog Agent's Service is missing", () => (kube.services = []), /Datadog Agent service datadog\/datadog-agent: missing/, /agents\.localService/],
  ["Vault is sealed", () => (vault.sealed = true), /vault\s+.* reachable and unsealed: sys\/health answered 503 \(sealed\)/, /unseal Vault/],
  ["the KV mount is version 1", () => (vault.mounts[org.vault.kvMount].options = {}), /KV v2 mount secret\/: type kv, version 1/, /kv-v2/],
  ["the auth mount has no token reviewer", () => (vault.kubernetesAuth[boot.vault.mount].token_reviewer_jwt_set = false), /Kubernetes auth kubernetes-nonprod\/ for cluster nonprod: no token_reviewer_jwt/, /cluster-bootstrap -- nonprod and run its vault commands/],
  ["Vault would verify the API server with its system roots (no CA on the mount)", () => (vault.kubernetesAuth[boot.vault.mount].kubernetes_ca_cert = ""), /no kubernetes_ca_cert: Vault outside the cluster would verify https:\/\/nonprod\.k8s\.example\.internal:6443 against its system roots/, /cluster-bootstrap/],
  ["Vault falls back to its own pod's token and CA", () => (vault.kubernetesAuth[boot.vault.mount].disable_local_ca_jwt = false), /disable_local_ca_jwt is off while Vault runs outside the cluster/, /cluster-bootstrap/],
  ["the planner may not read the KV mount (a permission, not a missing mount)", () => (vault.forbidden = [`/v1/sys/mounts/${org.vault.kvMount}`]), /KV v2 mount secret\/: not allowed to read it \(HTTP 403\)/, /planner policy/],
  ["istiod is missing", () => (kube.deployments = []), /mesh \(sidecar-cni\): Deployment istio-system\/istiod: missing/, /install Istio/],
  ["the auth mount points at another API server", () => (vault.kubernetesAuth[boot.vault.mount].kubernetes_host = "https://other:6443"), /kubernetes_host is https:\/\/other:6443/, /cluster-bootstrap/],
  ["the Datadog API key is wrong", () => (dd.apiKey = "another"), /datadog\s+API key valid: HTTP 403/, /set DD_API_KEY/],
  ["Datadog refuses a monitor's query", () => (dd.refuse = ["p99:trace"]), /monitor accepted: \[staging\] api p99 latency: The value provided for parameter 'query' is invalid: p99:trace/, /fix the query form/],
  ["the Slack handle is unknown to Datadog", () => (dd.slack = { platform: ["other"] }), /notification handle @slack-platform-alerts: unknown/, /integration/],
  ["the GitHub token is refused", () => (gh.tokenValid = false), /github\s+repository example-org\/envmatrix readable: HTTP 401/, /give the token read access/],
  ["required reviewers on a private repository without Enterprise", () => (gh.orgPlan = "team"), /required reviewers available on this private repository: plan: team/, /need GitHub Enterprise/],
  ["code scanning wanted on a private repository without GitHub Code Security", () => (gh.repository.security_and_analysis = { code_security: { status: "disabled" } }), /code scanning available on this private repository: GitHub Code Security is not enabled/, /enable GitHub Code Security/],
  ["a private repository whose security settings this token cannot see", () => delete gh.repository.security_and_analysis, /code scanning available on this private repository: the repository's security settings are not visible to this token/, /Administration read/],
  ["the planner may not read ESO's CRDs (a permission, not a missing operator)", () => (kube.forbidden = ["/apis/apiextensions.k8s.io/v1/customresourcedefinitions/secretstores.external-secrets.io"]), /secretstores\.external-secrets\.io served at external-secrets\.io\/v1: not allowed to read it \(HTTP 403\)/, /deployer-rbac -- <env> --plan/],
  ["the planner may not read the namespace", () => (kube.forbidden = [`/api/v1/namespaces/${e.identity.namespace}`]), new RegExp(`namespace ${e.identity.namespace}: not allowed to read it \\(HTTP 403\\)`), /deployer-rbac -- <env> --plan/],
  ["the token reviewer is bound to another role", () => (Object.values(kube.clusterRoleBindings)[0].roleRef.name = "view"), /token reviewer envmatrix-system\/vault-token-reviewer: \S+ binds view$/, /cluster-bootstrap -- nonprod and apply its manifests/],
  ["the binding names another account", () => (Object.values(kube.clusterRoleBindings)[0].subjects = [{ kind: "ServiceAccount", name: "someone-else", namespace: "envmatrix-system" }]), /token reviewer envmatrix-system\/vault-token-reviewer: \S+ binds system:auth-delegator$/, /cluster-bootstrap/],
  ["the planner may not read the auth mount's config", () => (vault.forbidden = [`/v1/auth/${boot.vault.mount}/config`]), /Kubernetes auth kubernetes-nonprod\/ for cluster nonprod: not allowed to read its config \(HTTP 403\)/, /planner policy/],
  ["the cluster's auth mount does not exist", () => delete vault.kubernetesAuth[boot.vault.mount], /Kubernetes auth kubernetes-nonprod\/ for cluster nonprod: auth\/kubernetes-nonprod\/config answered 404/, /cluster-bootstrap -- nonprod and run its vault commands/],
  ["the KV mount is another engine", () => (vault.mounts[org.vault.kvMount] = { type: "generic", options: { version: "2" } }), /KV v2 mount secret\/: type generic, version 2/, /kv-v2/],
  ["a private repository whose plan this token cannot see, and no environment with reviewers yet", () => delete gh.orgPlan, /plan is not visible to this token and no environment has required reviewers yet/, /an org owner can confirm/],
];

describe("a KV mount a stack owns (organization.vault.kvMountManagedBy)", () => {
  const owned = () => {
    const def = structuredClone(require("../config/environments").matrix);
    def.organization.vault.kvMountManagedBy = "prod";
    return def;
  };
  const kvLine = async (env: string, def: unknown) => {
    const r = await cliProcess().run(["preflight", env, "--out", out], {}, def as any);
    return `${r.stdout}${r.stderr}`.split("\n").find((l) => l.includes(`KV v2 mount ${org.vault.kvMount}/`)) ?? "(no KV line)";
  };
  it("missing: the owner's preflight passes (its first apply creates it), another environment's says to apply the owner first", async () => {
    delete vault.mounts[org.vault.kvMount];
    expect(await kvLine("prod", owned())).toMatch(/^✔ vault +KV v2 mount secret\/: not there yet: this stack creates it \(organization\.vault\.kvMountManagedBy is prod\)$/);
    const other = await kvLine(ENV, owned());
    expect(other).toMatch(/^✘ vault +KV v2 mount secret\/: HTTP 400/);
    const all = await cliProcess().run(["preflight", ENV, "--out", out], {}, owned());
    expect(all.stdout).toContain("apply prod's stack first: it creates the mount (organization.vault.kvMountManagedBy)");
  }, 60000);
  it("there already: the owner's preflight fails, saying to import it (its apply would be refused: path is already in use); once it is the stack's own (its description) it passes", async () => {
    expect(await kvLine("prod", owned())).toMatch(/^✘ vault +KV v2 mount secret\/: exists already, while this stack creates it/);
    // the stack's own mount after its first apply: the description the stack gives it (constructs/vault-access.ts)
    (vault.mounts[org.vault.kvMount] as any).description = "KV v2 secrets of every environment, one subtree each (managed by envmatrix)";
    const ownedOut = path.join(scratchDir(), "owned-out");
    if (!fs.existsSync(ownedOut)) expect(synthesize(owned(), ownedOut)).toBe(0);
    const r = await cliProcess().run(["preflight", "prod", "--out", ownedOut], {}, owned());
    expect(`${r.stdout}${r.stderr}`).toMatch(/✔ vault +KV v2 mount secret\/: this stack's own \(its description\)/);
    // someone else's mount, which the stack's adopt file imports (as the failed line said to): passes
    (vault.mounts[org.vault.kvMount] as any).description = "made by hand";
    const adopted = path.join(scratchDir(), "owned-adopted");
    fs.mkdirSync(adopted, { recursive: true });
    fs.writeFileSync(path.join(adopted, "prod.json"), JSON.stringify({ import: [{ to: "vault_mount.kv_mount", id: org.vault.kvMount }] }));
    const importingOut = path.join(scratchDir(), "owned-importing-out");
    if (!fs.existsSync(importingOut)) expect(synthesize(owned(), importingOut, adopted)).toBe(0);
    const imported = await cliProcess().run(["preflight", "prod", "--out", importingOut], {}, owned());
    expect(`${imported.stdout}${imported.stderr}`).toMatch(/✔ vault +KV v2 mount secret\/: exists, and this stack's adopt file imports it/);
  }, 60000);
});

it("an app without Actions: read cannot read the GitHub environments of a private repository (403): said with that fix, not taken for 'not there yet'", async () => {
  delete gh.orgPlan;
  const first = Object.values(seedMatrix.environments)[0].identity.githubEnvironment;
  gh.forbidden = [`/repos/${org.github.owner}/${org.github.repository}/environments/${first}`];
  const r = await preflight();
  expect(r.code).toBe(1);
  expect(failedLines(r.stdout)).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^✘ github +read GitHub environment ${first}: HTTP 403`))]));
  expect(r.stdout).toContain("give the gates' GitHub Apps Repository permission Actions: read");
}, 60000);

it.each(broken)("%s: its own failed line (the check as it reads when it passes), its fix, exit 1", async (_what, breakIt, line, fix) => {
  breakIt();
  const r = await preflight();
  expect(r.code).toBe(1);
  const failed = failedLines(r.stdout);
  expect(failed).toHaveLength(1);
  expect(failed[0]).toMatch(line);
  // the same check as when it passes (its system and what it checked), failed
  expect(expectedChecklist().map((l) => l.slice(2, l.indexOf(": ")))).toContain(failed[0].slice(2, failed[0].indexOf(": ")));
  const fixLine = r.stdout.split("\n")[r.stdout.split("\n").indexOf(failed[0]) + 1];
  expect(fixLine).toMatch(/^ {4}fix: /);
  expect(fixLine).toMatch(fix);
  // the count after the checklist; the failure is said once, in its line: no client's own log of the refused
  // request beside it (Octokit's request log: "GET /repos/… - 401 with id UNKNOWN in 3ms")
  expect(r.stdout).toContain(`\n1 of ${checkLines(r.stdout).length} checks failed\n`);
  expect(r.stdout).not.toMatch(/ with id \S+ in \d+ms/);
}, 60000);

it("a kubeconfig that cannot be read, or lacks the cluster's context: one failed line naming the context and the file, and its fix", async () => {
  const good = fs.readFileSync(kubeconfig, "utf8");
  const context = org.clusters[e.cluster].context;
  const fix = new RegExp(`^ {4}fix: put a context named ${context} into the kubeconfig KUBE_CONFIG_PATH points at$`);
  try {
    for (const [written, why] of [
      ["{ not a kubeconfig", / \(.+\)$/],
      [good.split(`"${context}"`).join('"another-context"'), /[^)]$/],
    ] as const) {
      fs.writeFileSync(kubeconfig, written);
      const r = await preflight();
      expect(r.code).toBe(1);
      const failed = failedLines(r.stdout);
      expect(failed).toEqual([expect.stringMatching(new RegExp(`^✘ kubernetes\\s+context ${context}: not in ${kubeconfig}`))]);
      expect(failed[0]).toMatch(why);
      expect(r.stdout.split("\n")[r.stdout.split("\n").indexOf(failed[0]) + 1]).toMatch(fix);
    }
  } finally {
    fs.writeFileSync(kubeconfig, good);
  }
}, 60000);

describe("the variables the providers read besides the stack", () => {
  const run = async (env: Record<string, string>) => {
    const r = await cliProcess().run([...ARGS, out], env);
    return { code: r.code, failed: failedLines(`${r.stdout}${r.stderr}`), out: `${r.stdout}${r.stderr}` };
  };
  it("no KUBE_CONFIG_PATH: the kubernetes provider (2.38.0) loads no kubeconfig at all, not ~/.kube/config", async () => {
    const r = await run({ KUBE_CONFIG_PATH: "" });
    expect(r.code).toBe(1);
    expect(r.failed[0]).toMatch(/^✘ kubernetes +KUBE_CONFIG_PATH set \(the provider reads no other kubeconfig\): unset: the kubernetes provider would load no kubeconfig at all/);
    expect(r.out).toContain(`fix: export KUBE_CONFIG_PATH=<a kubeconfig with the context ${org.clusters[e.cluster].context}>`);
  }, 60000);
  it("KUBE_CTX naming another context (the manifests would go there), GITHUB_OWNER or GITHUB_ORGANIZATION another owner: each its own failed line; the matrix's own values pass", async () => {
    const r = await run({ KUBE_CTX: "other-cluster", GITHUB_OWNER: "someone-else", GITHUB_ORGANIZATION: "another-org" });
    expect(r.code).toBe(1);
    expect(r.failed).toEqual([
      expect.stringMatching(/^✘ kubernetes +KUBE_CTX unset, or the matrix's context: other-cluster: the provider would send the SecretStore and ExternalSecrets there/),
      expect.stringMatching(new RegExp(`^✘ github +GITHUB_OWNER unset, or the matrix's owner: someone-else: the github provider would manage someone-else's repository instead of ${org.github.owner}'s`)),
      expect.stringMatching(/^✘ github +GITHUB_ORGANIZATION unset, or the matrix's owner: another-org/),
    ]);
    const same = await run({ KUBE_CTX: org.clusters[e.cluster].context, GITHUB_OWNER: org.github.owner });
    expect([same.code, same.failed]).toEqual([0, []]);
  }, 60000);
});

it("accepts an environment that already has required reviewers as proof, when the plan is not visible", async () => {
  delete gh.orgPlan;
  gh.environments = { production: ["required_reviewers", "branch_policy"] };
  const r = await preflight();
  expect(failedLines(r.stdout)).toEqual([]);
  expect(r.stdout).toContain("environment production already has a required-reviewers rule");
  // an environment with other rules only (a branch policy) proves nothing about reviewers
  gh.environments = { production: ["branch_policy"] };
  expect(failedLines((await preflight()).stdout)).toEqual([expect.stringMatching(/required reviewers available on this private repository: .*plan is not visible to this token and no environment has required reviewers yet/)]);
}, 60000);

it("asks nothing about code scanning on a public repository (GitHub runs it there for free)", async () => {
  gh.repository = { private: false, visibility: "public", owner: gh.repository.owner };
  const r = await preflight();
  expect(failedLines(r.stdout)).toEqual([]);
  expect(r.stdout).not.toMatch(/code scanning available/);
}, 60000);

it("runs as its own process too (what npm run starts): the same lines, and the exit code is the process's", async () => {
  // exit 0 from a process is the common path of every spawned CLI test (cli-wiring.test.ts); a failed line's 1 here
  vault.sealed = true;
  const sealed = await preflightProcess();
  expect(sealed.code).toBe(1);
  expect(failedLines(sealed.stdout)).toEqual([expect.stringMatching(/reachable and unsealed: sys\/health answered 503 \(sealed\)/)]);
}, 60000);

it("finds the handles in monitor messages, not e-mail addresses", () => {
  expect(handlesOf(["x @pagerduty-oncall @slack-acme-alerts\nmail ops@example.com (@webhook-gate)", "@slack-acme-alerts"])).toEqual([
    "@pagerduty-oncall",
    "@slack-acme-alerts",
    "@webhook-gate",
  ]);
});

/**
 * The checklist of a correct setup, line by line, from the matrix (staging on the nonprod cluster, its mesh mode,
 * the Agent's transport, the KV mount), the fakes' answers (server and Vault versions, the repository's plan and
 * security settings) and the stack's monitors: `✔ <system padded to 10> <what>: <detail>`.
 */
function expectedChecklist(): string[] {
  const stack = JSON.parse(fs.readFileSync(path.join(out, "stacks", ENV, "cdk.tf.json"), "utf8"));
  const monitors = Object.values<any>(stack.resource.datadog_monitor);
  const reviewer = boot.vault.tokenReviewerJwtFrom;
  const mesh = org.serviceMesh;
  const line = (system: string, what: string, detail: string) => `✔ ${system.padEnd(10)} ${what}: ${detail}`;
  return [
    line("kubernetes", "KUBE_CONFIG_PATH set (the provider reads no other kubeconfig)", kubeconfig),
    line("kubernetes", `context ${org.clusters[e.cluster].context} reachable`, "server v1.31.4"),
    line("kubernetes", "secretstores.external-secrets.io served at external-secrets.io/v1", "versions v1, v1beta1"),
    line("kubernetes", "externalsecrets.external-secrets.io served at external-secrets.io/v1", "versions v1, v1beta1"),
    line("kubernetes", `namespace ${e.identity.namespace}`, "present (the stack adopts it)"),
    // staging injects sidecars; the seed's mesh runs Istio's CNI (no istio-init)
    line("kubernetes", `mesh (sidecar-cni): DaemonSet ${mesh.controlPlane.namespace}/istio-cni-node`, "present"),
    line("kubernetes", `mesh (sidecar-cni): Deployment ${mesh.controlPlane.namespace}/istiod`, "present"),
    line("kubernetes", `token reviewer ${reviewer.namespace}/${reviewer.serviceAccount}`, "bound to system:auth-delegator"),
    line("kubernetes", `Datadog Agent service ${org.datadog.agent.namespace}/${org.datadog.agent.service}`, "present"),
    line("vault", `${fakes.vault.url} reachable and unsealed`, "version 1.21.1"),
    line("vault", `KV v2 mount ${org.vault.kvMount}/`, "kv, version 2"),
    line("vault", `Kubernetes auth ${boot.vault.mount}/ for cluster ${e.cluster}`, "host, reviewer and CA as the matrix says"),
    ...seedMatrix.services.map((s) => line("vault", `secret ${org.vault.kvMount}/${e.identity.vaultSubtree}/${s.name} written`, "version 1")),
    line("datadog", "API key valid", fakes.datadog.url),
    ...monitors.map((m) => line("datadog", `monitor accepted: ${m.name}`, m.query)),
    ...handlesOf(monitors.map((m) => String(m.message))).map((h) => line("datadog", `notification handle ${h}`, "known to Datadog")),
    line("github", `repository ${org.github.owner}/${org.github.repository} readable`, "private"),
    line("github", "required reviewers available on this private repository", "plan: enterprise"),
    line("github", "code scanning available on this private repository", "GitHub Code Security enabled"),
    line("github", `artifact retention of ${org.github.owner}/${org.github.repository} at least 7 days (a saved plan waits for its approval)`, "90 days"),
  ];
}

it("the checklist of a correct setup, line by line: each check's system, what it checked and what it found", async () => {
  const r = await preflight();
  expect(checkLines(r.stdout)).toEqual(expectedChecklist());
});

it("an environment without sidecars checks no mesh; an ambient mesh needs ztunnel besides the CNI and istiod", async () => {
  const dev = (await cliProcess().run(["preflight", "dev", "--out", out])).stdout;
  expect(dev).not.toMatch(/mesh \(/);
  const withMesh = async (mode: string) => {
    const def = structuredClone(definition) as any;
    def.organization.serviceMesh.mode = mode;
    const r = await cliProcess().run([...ARGS, out], {}, def);
    return checkLines(r.stdout).filter((l) => l.includes(" mesh (")).map((l) => l.replace(/ +/g, " "));
  };
  const ns = org.serviceMesh.controlPlane.namespace;
  kube.daemonSets = [`${ns}/istio-cni-node`];
  expect(await withMesh("ambient")).toEqual([
    `✘ kubernetes mesh (ambient): DaemonSet ${ns}/ztunnel: missing (HTTP 404)`,
    `✔ kubernetes mesh (ambient): DaemonSet ${ns}/istio-cni-node: present`,
    `✔ kubernetes mesh (ambient): Deployment ${ns}/istiod: present`,
  ]);
}, 60000);

describe("answers a working Vault also gives (Vault API docs: sys/health, sys/mounts/:path)", () => {
  it.each([
    [true, 429],
    ["performance", 473],
  ] as const)("a standby node (standby %s, sys/health %i: unsealed, forwarding to the active node) is reachable: every check passes", async (standby, _status) => {
    vault.standby = standby;
    const r = await preflight();
    expect(fakes.vault.requests.some((q) => q.path === "/v1/sys/health")).toBe(true);
    expect(checkLines(r.stdout)).toEqual(expectedChecklist());
    expect(r.code).toBe(0);
  }, 60000);

  it.each(["top", "data"] as const)("the KV mount's fields only %s level of the answer: still kv, version 2", async (shape) => {
    vault.mountShape = shape;
    expect(checkLines((await preflight()).stdout)).toContain(`✔ vault      KV v2 mount ${org.vault.kvMount}/: kv, version 2`);
    // and a version 1 mount in that shape is still told apart
    vault.mounts[org.vault.kvMount].options = { version: "1" };
    expect(failedLines((await preflight()).stdout)).toEqual([`✘ vault      KV v2 mount ${org.vault.kvMount}/: type kv, version 1`]);
  }, 60000);

  it("no Vault at the address: one failed line with the reason and the address's fix; the mount checks are not run against nothing", async () => {
    const r = await cliProcess().run([...ARGS, out], { VAULT_ADDR: "http://127.0.0.1:9" });
    const failed = failedLines(`${r.stdout}${r.stderr}`);
    expect(failed).toEqual([expect.stringMatching(/^✘ vault +http:\/\/127\.0\.0\.1:9 reachable and unsealed: \S/)]);
    expect(failed[0]).toMatch(/ECONNREFUSED|refused/i);
    const lines = r.stdout.split("\n");
    expect(lines[lines.indexOf(failed[0]) + 1]).toMatch(/^ {4}fix: check organization\.vault\.address and the network path to it$/);
    expect(checkLines(r.stdout).filter((l) => /^. vault /.test(l))).toHaveLength(1);
    expect(r.code).toBe(1);
  }, 60000);
});

describe("an environment that pages by tier, with a canary gate (prod's alerting on staging): PagerDuty and the webhooks", () => {
  let paging: string;
  let handles: string[];
  const pagingDefinition = structuredClone(definition) as any;
  beforeAll(() => {
    const def = pagingDefinition;
    def.environments[ENV].alerts = { ...def.environments[ENV].alerts, routing: "page", tiers: { errorRate: "critical", latency: "high", cpu: "medium" } };
    def.environments[ENV].canaryGate = { maxErrorRateIncreasePercent: 5, maxLatencyIncreasePercent: 10, minExcessErrors: 10 };
    paging = path.join(scratchDir(), "preflight-paging");
    expect(synthesize(def, paging)).toBe(0);
    const stack = JSON.parse(fs.readFileSync(path.join(paging, "stacks", ENV, "cdk.tf.json"), "utf8"));
    handles = handlesOf(Object.values<any>(stack.resource.datadog_monitor).map((m) => String(m.message)));
  });
  const run = async () => {
    const r = await cliProcess().run(["preflight", ENV, "--out", paging]);
    return { ...r, out: `${r.stdout}${r.stderr}` };
  };
  const unknownLine = (h: string) => expect.stringMatching(new RegExp(`^✘ datadog +notification handle ${h}: unknown \\(HTTP 404`));

  it("split by team: the monitors are in the team stacks, and each still goes to Datadog's validation, its handles looked up", async () => {
    const split = structuredClone(definition) as any;
    split.environments[ENV] = structuredClone(pagingDefinition.environments[ENV]);
    split.environments[ENV].splitByTeam = true;
    const splitOut = path.join(scratchDir(), "preflight-split");
    expect(synthesize(split, splitOut)).toBe(0);
    const monitorsOf = (stack: string) => Object.values<any>(JSON.parse(fs.readFileSync(path.join(splitOut, "stacks", stack, "cdk.tf.json"), "utf8")).resource.datadog_monitor ?? {});
    const teamStackNames = [...new Set(seedMatrix.services.map((s) => `${ENV}-${s.team}`))];
    expect(monitorsOf(ENV)).toEqual([]);
    const expected = teamStackNames.flatMap(monitorsOf);
    expect(expected.length).toBeGreaterThan(0);
    const before = fakes.datadog.requests.length;
    const r = await cliProcess().run(["preflight", ENV, "--out", splitOut], {}, split);
    expect(failedLines(`${r.stdout}${r.stderr}`)).toEqual([]);
    const asked = fakes.datadog.requests.slice(before);
    expect(asked.filter((q) => q.path === "/api/v1/monitor/validate").map((q) => JSON.parse(q.body).query).sort()).toEqual(expected.map((m) => m.query).sort());
    // the pager's service, the ticket and gate webhooks: looked up as in the unsplit stack
    expect(asked.some((q) => q.path.endsWith(`/services/${org.datadog.pagerHandle.replace("@pagerduty-", "")}`))).toBe(true);
    expect(asked.filter((q) => q.path.startsWith("/api/v1/integration/webhooks/configuration/webhooks/")).length).toBe(2);
  }, 60000);

  it("each handle is looked up in its own integration: all known, all pass", async () => {
    // critical pages on-call and chat, high opens a ticket, the canary gate calls the rollout controller
    expect(handles).toEqual([org.datadog.pagerHandle, org.datadog.chatHandle, org.datadog.ticketHandle, org.datadog.gateHandle].sort());
    const r = await run();
    for (const h of handles) expect(checkLines(r.out)).toContain(`✔ datadog    notification handle ${h}: known to Datadog`);
    const asked = fakes.datadog.requests.map((q) => q.path);
    expect(asked).toContain(`/api/v1/integration/pagerduty/configuration/services/${org.datadog.pagerHandle.replace("@pagerduty-", "")}`);
    for (const h of [org.datadog.ticketHandle, org.datadog.gateHandle]) expect(asked).toContain(`/api/v1/integration/webhooks/configuration/webhooks/${h.replace("@webhook-", "")}`);
    expect(failedLines(r.out)).toEqual([]);
  }, 60000);

  it("a PagerDuty service, or a webhook, Datadog does not have: that handle's own failed line and fix", async () => {
    dd.pagerduty = [];
    expect(failedLines((await run()).out)).toEqual([unknownLine(org.datadog.pagerHandle)]);
    healthy();
    dd.webhooks = dd.webhooks.filter((w) => `@webhook-${w}` !== org.datadog.ticketHandle);
    const r = await run();
    expect(failedLines(r.out)).toEqual([unknownLine(org.datadog.ticketHandle)]);
    expect(r.out).toContain(`    fix: set up ${org.datadog.ticketHandle} in Datadog's integration (or correct the handle in config/organization.ts)`);
  }, 60000);
});

it("touched nothing: every request went to a fake on 127.0.0.1, and only Datadog's validation was a POST", () => {
  const all = [...seen, ...Object.values(fakes).flatMap((f) => f.requests)];
  expect(all.length).toBeGreaterThan(100);
  for (const r of all) {
    expect(r.host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(r.method === "GET" || (r.method === "POST" && r.path === "/api/v1/monitor/validate")).toBe(true);
  }
});

describe("review/preflight.ts's pure parts, in this process", () => {
  // @kubernetes/client-node 1.x is ES modules, which this Jest setup does not transform (the command runs in the
  // CLI process); neither function reaches it
  const { monitorBody, formatChecklist } = (() => {
    let loaded: any;
    jest.isolateModules(() => {
      jest.doMock("@kubernetes/client-node", () => ({}));
      loaded = require("../review/preflight");
      jest.dontMock("@kubernetes/client-node");
    });
    return loaded;
  })();

  it("a synthesized monitor as the Datadog client's Monitor model: camelCase, numbers as numbers, and no key for what the stack leaves out", () => {
    const synthesized = {
      "//": { metadata: { path: "staging/api_cpu" } },
      name: "[staging] api CPU",
      type: "query alert",
      query: "avg(last_5m):avg:kubernetes.cpu.usage.total{env:staging} > 90",
      message: "CPU high @slack-platform",
      tags: ["env:staging", "managed-by:envmatrix"],
      priority: "3",
      monitor_thresholds: { critical: "90", warning: "80" },
      notify_no_data: false,
      require_full_window: false,
    };
    expect(monitorBody(synthesized)).toStrictEqual({
      name: "[staging] api CPU",
      type: "query alert",
      query: "avg(last_5m):avg:kubernetes.cpu.usage.total{env:staging} > 90",
      message: "CPU high @slack-platform",
      tags: ["env:staging", "managed-by:envmatrix"],
      priority: 3,
      options: { thresholds: { critical: 90, warning: 80 }, notifyNoData: false, requireFullWindow: false },
    });
  });

  it("the checklist: ✔ or ✘, the system padded to one width, and a failed check's fix on its own line", () => {
    const checks = [
      { system: "kubernetes", what: "namespace envmatrix-staging", ok: true, detail: "exists" },
      { system: "vault", what: "policy read", ok: false, detail: "HTTP 403", fix: "give the plan credentials read access" },
    ];
    expect(formatChecklist(checks)).toBe("✔ kubernetes namespace envmatrix-staging: exists\n✘ vault      policy read: HTTP 403\n    fix: give the plan credentials read access");
  });
});
