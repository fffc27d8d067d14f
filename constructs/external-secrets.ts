/**
 * External Secrets Operator objects of one environment (external-secrets.io/v1): a namespaced SecretStore
 * that logs in to Vault as the secret sync's service account, and one ExternalSecret per service that copies
 * `<kvMount>/<subtree>/<service>` into a Kubernetes Secret named after the service. Values never pass
 * through Terraform: it only manages these two kinds of pointers.
 *
 * They are `kubernetes_manifest` resources, so planning them needs a reachable cluster with the operator's
 * CRDs installed.
 */
import { Construct } from "constructs";
import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { keptWhenProtected } from "./protection";

export const EXTERNAL_SECRETS_API_VERSION = "external-secrets.io/v1";
export const VAULT_CA_CONFIG_MAP = "vault-ca";
export const VAULT_CA_KEY = "ca.crt";

export interface ExternalSecretsProps {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Name of the SecretStore. @default "vault" */
  readonly storeName?: string;
  readonly vault: {
    readonly server: string;
    /** KV v2 mount, e.g. `secret`. */
    readonly kvMount: string;
    /** Path of the environment's Kubernetes auth mount. */
    readonly authMountPath: string;
    readonly role: string;
    readonly serviceAccount: string;
    readonly audience: string;
    /**
     * PEM of the private CA of Vault's certificate: published as ConfigMap `vault-ca` in the namespace and
     * trusted by the SecretStore (`caProvider`). @default the operator's system roots
     */
    readonly caCertificatePem?: string;
  };
  /** One ExternalSecret per service: `secretName` ← `remoteKey` (a path under the KV mount, no `data/`). */
  readonly secrets: readonly { readonly secretName: string; readonly remoteKey: string }[];
  /** Go duration, e.g. `1h`. */
  readonly refreshInterval: string;
  readonly creationPolicy: "Owner" | "Orphan" | "Merge";
  readonly deletionPolicy: "Delete" | "Retain" | "Merge";
  /** Annotations for every ExternalSecret (rotation guidance for operators). */
  readonly annotations?: Readonly<Record<string, string>>;
}

export class ExternalSecrets extends Construct {
  constructor(scope: Construct, id: string, props: ExternalSecretsProps) {
    super(scope, id);
    const storeName = props.storeName ?? "vault";

    // a namespaced SecretStore's caProvider reads a ConfigMap of its own namespace (ESO Vault provider docs)
    const caProvider = props.vault.caCertificatePem
      ? { type: "ConfigMap", name: VAULT_CA_CONFIG_MAP, key: VAULT_CA_KEY }
      : undefined;
    if (props.vault.caCertificatePem) {
      new ConfigMapV1(this, "vaultCa", {
        metadata: { name: VAULT_CA_CONFIG_MAP, namespace: props.namespace, labels: { ...props.labels } },
        data: { [VAULT_CA_KEY]: props.vault.caCertificatePem },
      });
    }

    keptWhenProtected(new Manifest(this, "secretStore", {
      manifest: {
        apiVersion: EXTERNAL_SECRETS_API_VERSION,
        kind: "SecretStore",
        metadata: { name: storeName, namespace: props.namespace, labels: { ...props.labels } },
        spec: {
          provider: {
            vault: {
              server: props.vault.server,
              path: props.vault.kvMount,
              version: "v2",
              ...(caProvider ? { caProvider } : {}),
              auth: {
                kubernetes: {
                  mountPath: props.vault.authMountPath,
                  role: props.vault.role,
                  serviceAccountRef: { name: props.vault.serviceAccount, audiences: [props.vault.audience] },
                },
              },
            },
          },
        },
      },
    }));

    for (const secret of props.secrets) externalSecret(this, secret, { ...props, storeName });
  }
}

/**
 * One service's ExternalSecret (`externalSecret-<secret>` under `scope`), syncing its Vault secret through the
 * SecretStore named `storeName` of the same namespace: in the environment's ExternalSecrets construct, or in a team
 * stack's (stacks/team-stack.ts), at the same address either way.
 */
export function externalSecret(
  scope: Construct,
  secret: { readonly secretName: string; readonly remoteKey: string },
  props: Pick<ExternalSecretsProps, "namespace" | "labels" | "refreshInterval" | "creationPolicy" | "deletionPolicy" | "annotations"> & { readonly storeName: string },
): Manifest {
  return keptWhenProtected(
    new Manifest(scope, `externalSecret-${secret.secretName}`, {
      manifest: {
        apiVersion: EXTERNAL_SECRETS_API_VERSION,
        kind: "ExternalSecret",
        metadata: { name: secret.secretName, namespace: props.namespace, labels: { ...props.labels }, ...(props.annotations ? { annotations: { ...props.annotations } } : {}) },
        spec: {
          refreshInterval: props.refreshInterval,
          secretStoreRef: { name: props.storeName, kind: "SecretStore" },
          target: {
            name: secret.secretName,
            creationPolicy: props.creationPolicy,
            deletionPolicy: props.deletionPolicy,
          },
          // every key of the Vault secret becomes a key of the Kubernetes Secret
          dataFrom: [{ extract: { key: secret.remoteKey } }],
        },
      },
    }),
  );
}
