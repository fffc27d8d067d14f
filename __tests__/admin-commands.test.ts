/**
 * The commands a person runs by hand and pastes from (README: "Before the first deploy"), through the CLI as npm
 * runs them: codeowners, deployer-rbac and cluster-bootstrap. Their functions are tested in repository-files,
 * deployer-rbac and vault-login; here the command's wiring: the arguments it passes, what it prints, its errors.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { run as synthesize } from "../main";
import { matrix as definition } from "../config/environments";
import { cli } from "./cli";
import { seedMatrix } from "./helpers";
import { scratchDir } from "./scratch";

const root = path.resolve(__dirname, "..");
const org = seedMatrix.organization;
const names = Object.keys(definition.environments).join(", ");
const yamlObjects = (text: string) =>
  parseAllDocuments(text).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS();
  });

it("codeowners prints the committed .github/CODEOWNERS (the README's `npm run --silent codeowners > .github/CODEOWNERS`)", async () => {
  const r = await cli(["codeowners"]);
  expect([r.code, r.stdout]).toEqual([0, fs.readFileSync(path.join(root, ".github", "CODEOWNERS"), "utf8")]);
});

describe("deployer-rbac", () => {
  const out = path.join(scratchDir(), "admin-out");
  beforeAll(() => expect(synthesize(definition, out)).toBe(0));

  it.each(Object.keys(definition.environments))("%s: the deploy's objects, bound in its namespace, as YAML without aliases", async (name) => {
    const r = await cli(["deployer-rbac", name, "--out", out]);
    expect(r.code).toBe(0);
    // an admin reads this before applying it: every list written out, no &anchors or *aliases
    expect(r.stdout).not.toMatch(/(^|\s)[&*]a\d+\b/m);
    const objects = yamlObjects(r.stdout);
    const namespaced = objects.filter((o) => o.kind === "Role" || o.kind === "RoleBinding");
    expect(namespaced.length).toBeGreaterThan(0);
    for (const o of namespaced) expect(o.metadata.namespace).toBe(definition.environments[name].identity.namespace);
    for (const o of objects) expect(o.metadata.labels["envmatrix.io/environment"]).toBe(name);
  });

  it("--plan: the planner's rules only read (get, list, watch)", async () => {
    const r = await cli(["deployer-rbac", "staging", "--plan", "--out", out]);
    expect(r.code).toBe(0);
    const rules = yamlObjects(r.stdout).flatMap((o) => o.rules ?? []);
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) expect(rule.verbs.filter((v: string) => !["get", "list", "watch"].includes(v))).toEqual([]);
    const deploy = yamlObjects((await cli(["deployer-rbac", "staging", "--out", out])).stdout).flatMap((o) => o.rules ?? []);
    expect(deploy.flatMap((rule) => rule.verbs)).toEqual(expect.arrayContaining(["create", "update", "delete"]));
  });

  it("refuses an unknown environment, naming those there are, and a folder without the stack", async () => {
    const unknown = await cli(["deployer-rbac", "production", "--out", out]);
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringContaining(`no environment "production" (environments: ${names})`)]);
    const empty = path.join(scratchDir(), "no-synth-here");
    fs.mkdirSync(empty, { recursive: true });
    const missing = await cli(["deployer-rbac", "staging", "--out", empty]);
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringContaining(`${empty}: no manifest.json (is this a cdktf.out folder? run npm run synth)`)]);
  });
});

describe("cluster-bootstrap", () => {
  it.each(Object.keys(org.clusters))("%s: kubectl manifests for its context, then the Vault commands for its auth mount", async (cluster) => {
    const r = await cli(["cluster-bootstrap", cluster]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe(`# kubectl --context ${org.clusters[cluster].context} apply -f - <<'EOF'`);
    const eof = lines.indexOf("# EOF");
    expect(eof).toBeGreaterThan(1);
    const objects = yamlObjects(lines.slice(1, eof).join("\n"));
    // Vault's Kubernetes auth: the token reviewer's account needs system:auth-delegator to call the TokenReview
    // API (developer.hashicorp.com/vault/docs/auth/kubernetes#configuring-kubernetes)
    const delegator = objects.find((o) => o.kind === "ClusterRoleBinding" && o.roleRef.name === "system:auth-delegator");
    expect(delegator.subjects).toEqual([expect.objectContaining({ kind: "ServiceAccount", name: org.platform.tokenReviewerServiceAccount, namespace: org.platform.namespace })]);
    const vault = lines.slice(eof + 1).join("\n");
    expect(vault).toMatch(/^vault auth enable -path=\S+ kubernetes$/m);
    const mount = /^vault auth enable -path=(\S+) kubernetes$/m.exec(vault)![1];
    expect(vault).toContain(`vault write auth/${mount}/config`);
    expect(vault).toContain(`kubernetes_host='${org.clusters[cluster].host}'`);
    // a deployer and a planner account for each environment on this cluster, and for no other
    const onIt = Object.entries(seedMatrix.environments).filter(([, e]) => e.cluster === cluster).map(([n]) => n);
    expect(onIt.length).toBeGreaterThan(0);
    const accounts = objects.filter((o) => o.kind === "ServiceAccount").map((o) => o.metadata.name);
    expect(accounts.sort()).toEqual([org.platform.tokenReviewerServiceAccount, ...onIt.flatMap((n) => [`${org.project}-${n}-deployer`, `${org.project}-${n}-planner`])].sort());
    // accounts for tokens minted on demand (CI) or by Vault's reviewer secret: no pod mounts one by default
    for (const o of objects.filter((x) => x.kind === "ServiceAccount")) expect([o.metadata.name, o.automountServiceAccountToken]).toEqual([o.metadata.name, false]);
    // the platform namespace runs no workload: Pod Security restricted, and every object says who manages it
    const ns = objects.find((o) => o.kind === "Namespace");
    expect([ns.metadata.name, ns.metadata.labels["pod-security.kubernetes.io/enforce"]]).toEqual([org.platform.namespace, "restricted"]);
    for (const o of objects) expect([o.kind, o.metadata.labels?.["app.kubernetes.io/managed-by"], o.metadata.labels?.["app.kubernetes.io/part-of"]]).toEqual([o.kind, "envmatrix", org.project]);
    // the reviewer's long-lived token is a service-account-token Secret of that account
    const secret = objects.find((o) => o.kind === "Secret");
    expect([secret.type, secret.metadata.annotations["kubernetes.io/service-account.name"]]).toEqual(["kubernetes.io/service-account-token", org.platform.tokenReviewerServiceAccount]);
    expect(vault).toContain(`get secret ${secret.metadata.name} `);
    // Vault outside the cluster (the seed's): it must not fall back to its own pod's token and CA
    expect(vault).toMatch(/^ {2}disable_local_ca_jwt=true \\$/m);
    expect(vault).not.toContain("kubernetes_ca_cert");
  });

  it("Vault inside the cluster may use its own pod's token and CA; a cluster's CA is written to a file Vault reads", async () => {
    // developer.hashicorp.com/vault/api-docs/auth/kubernetes#disable_local_ca_jwt
    const m = structuredClone(seedMatrix) as any;
    m.organization.clusters.prod.vaultInCluster = true;
    m.organization.clusters.prod.caCertificatePem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    const r = await cli(["cluster-bootstrap", "prod"], { loadMatrix: () => m });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}disable_local_ca_jwt=false \\$/m);
    expect(r.stdout).toContain("printf '%s' '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' > prod-ca.pem");
    expect(r.stdout).toMatch(/^ {2}kubernetes_ca_cert=@prod-ca\.pem \\$/m);
  });

  it("refuses a cluster the matrix does not have, naming those it has", async () => {
    const r = await cli(["cluster-bootstrap", "nowhere"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`no cluster "nowhere" in organization.clusters (known: ${Object.keys(org.clusters).join(", ")})`);
  });
});
