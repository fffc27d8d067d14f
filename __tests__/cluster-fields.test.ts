/**
 * `npm run cluster-fields -- <cdk.tf.json>` (the weekday drift job, with the plan kubeconfig) against a fake
 * Kubernetes API on 127.0.0.1: a service account whose automountServiceAccountToken was removed by hand is absent
 * from the object, which Kubernetes takes as "mount the token" (kubernetes.io "Configure Service Accounts for
 * Pods") and the kubernetes provider 2.38.0 reads as false, the stack's value; a SecretStore given another Vault
 * login by hand has a field its kubernetes_manifest does not name, which the plan takes from the live object.
 * No plan shows either.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { run as synthesize } from "../main";
import { matrix as definition } from "../config/environments";
import { kubeHandler, type KubeState } from "./fakes/platform";
import { startFake, type Fake } from "./fakes/server";
import { seedMatrix } from "./helpers";
import { scratchDir } from "./scratch";
import { PRELOAD_CLIENTS, startCliProcess, type CliProcess } from "./cli-process";

let kube: KubeState;
let fake: Fake;
let cli: CliProcess | undefined;
let kubeconfig: string;
const prodContext = seedMatrix.organization.clusters[seedMatrix.environments.prod.cluster].context;
beforeEach(async () => {
  kube = { version: "v1.31.0", crds: {}, daemonSets: [], deployments: [], serviceAccounts: [], clusterRoleBindings: {}, services: [], namespaces: [], tokenValid: true, objects: {} };
  fake = await startFake((r) => kubeHandler(kube)(r));
  kubeconfig = path.join(fs.mkdtempSync(path.join(scratchDir(), "sa-kube-")), "kubeconfig");
  // every cluster's context, only prod's (the stack's provider's config_context, README "Plan and deploy one
  // environment") reaching the fake, and another current: the stack's context is the one read
  const contexts = Object.values(seedMatrix.organization.clusters).map((c) => c.context);
  fs.writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        { name: "fake", cluster: { server: fake.url, "insecure-skip-tls-verify": true } },
        { name: "elsewhere", cluster: { server: "https://127.0.0.1:9", "insecure-skip-tls-verify": true } },
      ],
      users: [{ name: "planner", user: { token: "fake-kube-token" } }],
      contexts: contexts.map((name) => ({ name, context: { cluster: name === prodContext ? "fake" : "elsewhere", user: "planner" } })),
      "current-context": contexts.find((c) => c !== prodContext),
    }),
  );
});
afterEach(async () => fake.close());
afterAll(async () => cli?.close());
const run = (file: string, env: Record<string, string> = { KUBE_CONFIG_PATH: kubeconfig }) => (cli ??= startCliProcess({ preload: [PRELOAD_CLIENTS] })).run(["cluster-fields", file], env);

const stackFile = (stack: string) => {
  const dir = path.join(scratchDir(), "sa-out");
  if (!fs.existsSync(dir)) expect(synthesize(definition, dir, path.join(scratchDir(), "no-adopt-files"))).toBe(0);
  return path.join(dir, "stacks", stack, "cdk.tf.json");
};

// prod's namespace and accounts, from the matrix: the secret sync's and one per service (README "What each stack contains")
const ns = seedMatrix.environments.prod.identity.namespace;
const accounts = [seedMatrix.organization.secretSync.serviceAccount, ...seedMatrix.services.map((s) => s.name)];
const saPath = (name: string) => `/api/v1/namespaces/${ns}/serviceaccounts/${name}`;
const account = (name: string, automount?: boolean) => ({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: ns }, ...(automount === undefined ? {} : { automountServiceAccountToken: automount }) });

// prod's SecretStore, as the stack writes it: Vault, logged in to with Kubernetes auth only (README "Secrets")
const storePath = `/apis/external-secrets.io/v1/namespaces/${ns}/secretstores/vault`;
const store = (auth: Record<string, unknown> = {}) => ({
  apiVersion: "external-secrets.io/v1",
  kind: "SecretStore",
  metadata: { name: "vault", namespace: ns },
  // as the cluster holds it: with the CRD's defaults below the login method
  spec: { provider: { vault: { server: seedMatrix.organization.vault.address, path: seedMatrix.organization.vault.kvMount, version: "v2", auth: { kubernetes: { mountPath: `${seedMatrix.organization.vault.authMountPrefix}${seedMatrix.environments.prod.cluster}`, role: "prod-secret-sync", serviceAccountRef: { name: "secret-sync", audiences: ["vault"] } }, ...auth } } } },
});

it("passes accounts with automountServiceAccountToken false; names one where it was removed or set true, exit 3", async () => {
  for (const a of accounts) kube.objects![saPath(a)] = account(a, false);
  kube.objects![storePath] = store();
  const clean = await run(stackFile("prod"));
  expect([clean.code, clean.stderr]).toEqual([0, ""]);
  expect(clean.stdout.trim().split("\n")).toHaveLength(accounts.length + 1);
  expect(fake.requests.map((r) => r.path).sort()).toEqual([...accounts.map(saPath), storePath].sort());
  // removed by hand: the field is absent from the object
  const workload = seedMatrix.services[0].name;
  kube.objects![saPath(workload)] = account(workload);
  const removed = await run(stackFile("prod"));
  expect(removed.code).toBe(3);
  expect(removed.stderr).toBe(
    `kubernetes_service_account_v1.workload_${workload} (${ns}/${workload}): automountServiceAccountToken is not set, so Kubernetes mounts the token into its pods (the stack sets false): no plan shows this (the provider reads an absent value as false): kubectl patch serviceaccount ${workload} -n ${ns} -p '{"automountServiceAccountToken":false}'\n`,
  );
  kube.objects![saPath(workload)] = account(workload, true);
  expect((await run(stackFile("prod"))).stderr).toContain("automountServiceAccountToken is true (the stack sets false)");
});

it("names a Vault login or a provider added by hand to the SecretStore, exit 3; the CRD's defaults below them are not", async () => {
  for (const a of accounts) kube.objects![saPath(a)] = account(a, false);
  kube.objects![storePath] = store({ tokenSecretRef: { name: "root-token", key: "token" } });
  const added = await run(stackFile("prod"));
  expect(added.code).toBe(3);
  expect(added.stderr).toBe(
    `kubernetes_manifest.secret_store (${ns}/vault): vault login tokenSecretRef beside the stack's kubernetes: no plan shows what its manifest does not name: remove it (kubectl edit secretstore vault -n ${ns})\n`,
  );
  const other = store();
  (other.spec.provider as Record<string, unknown>).fake = { data: [] };
  kube.objects![storePath] = other;
  expect((await run(stackFile("prod"))).stderr).toContain("(" + ns + "/vault): provider fake, which the stack does not name: ");
});

it("an account the cluster lacks is a plan's to show; one it may not read, or no kubeconfig, fails; the gates stack has none", async () => {
  const absent = await run(stackFile("prod"));
  expect([absent.code, absent.stderr]).toEqual([0, ""]);
  expect(absent.stdout).toContain("not in the cluster (not deployed yet, or deleted: a plan shows it)");
  kube.forbidden = [saPath(accounts[0])];
  const denied = await run(stackFile("prod"));
  expect([denied.code, denied.stderr]).toEqual([1, expect.stringContaining(`(${ns}/${accounts[0]}): could not read it (HTTP 403: the kubeconfig's user may not read it)`)]);
  // the SecretStore unreadable (its Role lacks secretstores): a failure, never "not in the cluster"
  for (const a of accounts) kube.objects![saPath(a)] = account(a, false);
  kube.forbidden = [storePath];
  const store403 = await run(stackFile("prod"));
  expect([store403.code, store403.stderr]).toEqual([1, `kubernetes_manifest.secret_store (${ns}/vault): could not read it (HTTP 403: the kubeconfig's user may not read it)\n`]);
  // a kubeconfig without the stack's context: said so, before anything is read
  const noContext = path.join(scratchDir(), "kubeconfig-without-prod");
  const config = JSON.parse(fs.readFileSync(kubeconfig, "utf8"));
  config.contexts = config.contexts.filter((c: { name: string }) => c.name !== prodContext);
  fs.writeFileSync(noContext, JSON.stringify(config));
  const wrong = await run(stackFile("prod"), { KUBE_CONFIG_PATH: noContext });
  expect([wrong.code, wrong.stderr]).toEqual([1, `kubeconfig ${noContext}: no context ${prodContext} in it\n`]);
  const none = await run(stackFile("prod"), { KUBE_CONFIG_PATH: path.join(scratchDir(), "no-such-kubeconfig") });
  expect([none.code, none.stderr]).toEqual([1, expect.stringContaining("no-such-kubeconfig: ENOENT")]);
  // the gates stack writes no service account: nothing to read, and no kubeconfig needed
  const gates = await run(stackFile("gates"), { KUBE_CONFIG_PATH: "" });
  expect([gates.code, gates.stdout]).toEqual([0, "no Kubernetes object of this stack to read\n"]);
});

it("reads only the accounts the stack writes with automountServiceAccountToken false", () => {
  const { expectedAccounts } = require("../review/cluster-fields") as typeof import("../review/cluster-fields");
  const sa = (automount: boolean | undefined) => ({ metadata: { name: "x", namespace: "n" }, ...(automount === undefined ? {} : { automount_service_account_token: automount }) });
  const stack = { resource: { kubernetes_service_account_v1: { off: sa(false), on: sa(true), unset: sa(undefined) } } };
  expect(expectedAccounts(stack)).toEqual([{ address: "kubernetes_service_account_v1.off", namespace: "n", name: "x" }]);
});
