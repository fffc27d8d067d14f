import { synthScope } from "./scratch";
import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest";
import { ExternalSecrets, type ExternalSecretsProps } from "../constructs/external-secrets";

const base: ExternalSecretsProps = {
  namespace: "shop-qa",
  labels: { "envmatrix.io/environment": "qa" },
  vault: { server: "https://vault.example:8200", kvMount: "kv", authMountPath: "k8s-qa", role: "qa-sync", serviceAccount: "syncer", audience: "vault" },
  secrets: [
    { secretName: "cart", remoteKey: "qa/cart" },
    { secretName: "checkout", remoteKey: "qa/checkout" },
  ],
  refreshInterval: "30m",
  creationPolicy: "Orphan",
  deletionPolicy: "Retain",
  annotations: { "envmatrix.io/rotate-api-keys-days": "90" },
};
const manifests = (props: Partial<ExternalSecretsProps> = {}) =>
  Object.values<any>(JSON.parse(synthScope((s) => new ExternalSecrets(s, "es", { ...base, ...props }))).resource[Manifest.tfResourceType]).map(
    (r) => r.manifest,
  );

describe("ExternalSecrets", () => {
  it("points a namespaced SecretStore at Vault's KV v2 mount with Kubernetes auth", () => {
    const store = manifests().find((m) => m.kind === "SecretStore");
    expect(store).toEqual({
      apiVersion: "external-secrets.io/v1",
      kind: "SecretStore",
      metadata: { name: "vault", namespace: "shop-qa", labels: { "envmatrix.io/environment": "qa" } },
      spec: {
        provider: {
          vault: {
            server: "https://vault.example:8200",
            path: "kv",
            version: "v2",
            auth: { kubernetes: { mountPath: "k8s-qa", role: "qa-sync", serviceAccountRef: { name: "syncer", audiences: ["vault"] } } },
          },
        },
      },
    });
  });

  it("syncs each service's Vault secret into a Secret named after it, with the given policies", () => {
    const secrets = manifests().filter((m) => m.kind === "ExternalSecret");
    expect(secrets.map((m) => [m.metadata.name, m.spec.target.name, m.spec.dataFrom])).toEqual([
      ["cart", "cart", [{ extract: { key: "qa/cart" } }]],
      ["checkout", "checkout", [{ extract: { key: "qa/checkout" } }]],
    ]);
    for (const m of secrets) {
      expect(m.apiVersion).toBe("external-secrets.io/v1");
      expect(m.spec).toMatchObject({
        refreshInterval: "30m",
        secretStoreRef: { name: "vault", kind: "SecretStore" },
        target: { creationPolicy: "Orphan", deletionPolicy: "Retain" },
      });
      expect(m.metadata.annotations).toEqual({ "envmatrix.io/rotate-api-keys-days": "90" });
      expect(m.metadata.labels).toEqual({ "envmatrix.io/environment": "qa" });
      expect(m.metadata.namespace).toBe("shop-qa");
    }
  });

  it("without annotations: none on the ExternalSecrets", () => {
    const secrets = manifests({ annotations: undefined }).filter((m) => m.kind === "ExternalSecret");
    expect(secrets.map((m) => m.metadata.annotations)).toEqual([undefined, undefined]);
  });

  it("trusts a private CA of Vault through ConfigMap vault-ca (key ca.crt) of its own namespace: a namespaced SecretStore's caProvider reads only there (ESO, Vault provider, caProvider)", () => {
    const pem = "-----BEGIN CERTIFICATE-----\nMIIBexample\n-----END CERTIFICATE-----\n";
    const json = JSON.parse(synthScope((s) => new ExternalSecrets(s, "es", { ...base, vault: { ...base.vault, caCertificatePem: pem } })));
    expect(Object.values<any>(json.resource.kubernetes_config_map_v1)).toEqual([
      { metadata: { name: "vault-ca", namespace: "shop-qa", labels: { "envmatrix.io/environment": "qa" } }, data: { "ca.crt": pem } },
    ]);
    const store = Object.values<any>(json.resource[Manifest.tfResourceType]).map((r) => r.manifest).find((m) => m.kind === "SecretStore");
    expect(store.spec.provider.vault.caProvider).toEqual({ type: "ConfigMap", name: "vault-ca", key: "ca.crt" });
  });

  it("without a private CA: no ConfigMap and no caProvider (the operator's system roots)", () => {
    const json = JSON.parse(synthScope((s) => new ExternalSecrets(s, "es", base)));
    expect(json.resource.kubernetes_config_map_v1).toBeUndefined();
    expect(manifests().find((m) => m.kind === "SecretStore").spec.provider.vault).not.toHaveProperty("caProvider");
  });

  it("holds no secret data: only pointers to Vault", () => {
    for (const m of manifests()) {
      expect(m.spec).not.toHaveProperty("data");
      expect(m).not.toHaveProperty("stringData");
    }
  });
});
