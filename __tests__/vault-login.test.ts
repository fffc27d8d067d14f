/**
 * Works when applied: the secret sync of every environment can log in to Vault. The chain, from Vault's
 * Kubernetes auth docs (developer.hashicorp.com/vault/docs/auth/kubernetes) and ESO's Vault provider docs:
 *  1. ESO requests a token for the SecretStore's serviceAccountRef with exactly its `audiences`;
 *  2. it logs in on the SecretStore's mountPath with its role; Vault checks the role's bound service account,
 *     namespace and `audience` against the token;
 *  3. Vault reviews the token with the API server (TokenReview). With no `token_reviewer_jwt` on the mount,
 *     Vault outside the cluster reviews with the login token itself — audience `vault`, not the API server's —
 *     and the API server answers 403 (hashicorp/vault-secrets-operator#379, cert-manager#6150). So the mount
 *     must carry a reviewer JWT of an account bound to system:auth-delegator, and `disable_local_ca_jwt`
 *     where Vault is not in the cluster.
 * The old stacks (a per-environment mount configured without a reviewer, a ClusterRoleBinding per
 * environment) fail step 3 and the "no cluster-wide role per environment" rule below.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { clusterBootstrap, vaultCommands } from "../review/cluster-bootstrap";
import { environmentNames, resolveReferences, seedMatrix, synthEnvironment } from "./helpers";
import { scratchDir } from "./scratch";

const org = seedMatrix.organization;

describe.each(environmentNames)("%s's secret sync logs in to Vault", (name) => {
  const e = seedMatrix.environments[name];
  const stack = resolveReferences(synthEnvironment(name)) as Record<string, any>;
  const store = stack.resource.kubernetes_manifest.secret_store.manifest;
  const k8sAuth = store.spec.provider.vault.auth.kubernetes;
  const role = stack.resource.vault_kubernetes_auth_backend_role.role;
  const boot = clusterBootstrap(seedMatrix, e.cluster);

  it("1-2: the token ESO mints carries the role's audience, for the account and namespace the role binds", () => {
    expect(k8sAuth.serviceAccountRef.audiences).toContain(role.audience);
    expect(role.bound_service_account_names).toContain(k8sAuth.serviceAccountRef.name);
    expect(role.bound_service_account_namespaces).toContain(store.metadata.namespace);
    expect(k8sAuth.role).toBe(role.role_name);
    expect(k8sAuth.mountPath).toBe(role.backend);
  });

  it("3: the mount the role is on is the cluster's, configured with a reviewer that may review tokens", () => {
    expect(boot.vault.mount).toBe(role.backend);
    expect(boot.vault.kubernetesHost).toBe(org.clusters[e.cluster].host);
    // Vault is not in the cluster (the matrix does not say so): no fallback to a local pod token
    expect(boot.vault.disableLocalCaJwt).toBe(org.clusters[e.cluster].vaultInCluster !== true);
    const { namespace, secret, serviceAccount } = boot.vault.tokenReviewerJwtFrom;
    const tokenSecret = boot.manifests.find((o) => o.kind === "Secret" && o.metadata.name === secret);
    expect(tokenSecret).toMatchObject({ type: "kubernetes.io/service-account-token", metadata: { namespace, annotations: { "kubernetes.io/service-account.name": serviceAccount } } });
    const binding = boot.manifests.find((o) => o.kind === "ClusterRoleBinding")!;
    expect(binding.roleRef.name).toBe("system:auth-delegator");
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: serviceAccount, namespace }]);
    // and the login token could not review itself: its only audience is Vault's
    expect(k8sAuth.serviceAccountRef.audiences).toEqual([org.vault.tokenAudience]);
  });

  it("binds no cluster-wide role of its own (dev and staging share a cluster: neither may hold one)", () => {
    expect(stack.resource.kubernetes_cluster_role_binding_v1).toBeUndefined();
  });

  it("the bootstrap writes the mount's config with the reviewer JWT read from the cluster into a private file, never onto a command line", () => {
    const sh = vaultCommands(boot, org.clusters[e.cluster].context);
    expect(sh).toContain(`vault auth enable -path=${boot.vault.mount} kubernetes`);
    expect(sh).toContain(`vault write auth/${boot.vault.mount}/config`);
    expect(sh).toContain("disable_local_ca_jwt=true");
    expect(sh).toContain(`jwt=$(umask 077 && mktemp) && trap 'rm -f "$jwt"' EXIT`);
    expect(sh).toMatch(/kubectl --context '[^']+' -n [a-z-]+ get secret [a-z-]+ -o jsonpath='\{\.data\.token\}' \| base64 -d > "\$jwt"/);
    expect(sh).toContain('token_reviewer_jwt=@"$jwt"');
  });
});

describe("a private CA", () => {
  const pem = "-----BEGIN CERTIFICATE-----\nMIIBexampleexample\n-----END CERTIFICATE-----\n";
  it("of Vault: the SecretStore trusts it through a ConfigMap in its own namespace", () => {
    const m = structuredClone(seedMatrix) as any;
    m.organization.vault.caCertificatePem = pem;
    const s = synthEnvironment("staging", m).parsed as Record<string, any>;
    expect(s.resource.kubernetes_manifest.secret_store.manifest.spec.provider.vault.caProvider).toEqual({ type: "ConfigMap", name: "vault-ca", key: "ca.crt" });
    const cm = s.resource.kubernetes_config_map_v1.vault_ca;
    expect(cm).toMatchObject({ metadata: { name: "vault-ca", namespace: "${kubernetes_namespace_v1.namespace.metadata[0].name}" }, data: { "ca.crt": pem } });
  });
  it("of Vault, absent: no caProvider (the operator's system roots)", () => {
    const s = synthEnvironment("staging").parsed as Record<string, any>;
    expect(s.resource.kubernetes_manifest.secret_store.manifest.spec.provider.vault.caProvider).toBeUndefined();
  });
  it("of a cluster's API server: the bootstrap gives it to Vault", () => {
    const m = structuredClone(seedMatrix) as any;
    m.organization.clusters.nonprod.caCertificatePem = pem;
    const b = clusterBootstrap(m, "nonprod");
    expect(b.vault.kubernetesCaCert).toBe(pem);
    expect(vaultCommands(b, "nonprod")).toContain("kubernetes_ca_cert=@nonprod-ca.pem");
  });
});

it("the bootstrap's Kubernetes objects are valid (kubernetes-models)", () => {
  const file = path.join(scratchDir(), "bootstrap.json");
  const objects = Object.keys(org.clusters).flatMap((c) => clusterBootstrap(seedMatrix, c).manifests);
  fs.writeFileSync(file, JSON.stringify(objects));
  const results = JSON.parse(execFileSync(process.execPath, [path.join(__dirname, "fixtures", "validate-k8s.mjs"), file], { encoding: "utf8" }));
  expect(results.filter((r: any) => r.error !== null)).toEqual([]);
});
