/** Names every stack derives from an environment's name, in one place: no two environments can share one. */
import type { EnvironmentSettings, Organization } from "../config/types";
import { planEnvironmentName } from "../config/promotion";
import { subtreeReadPolicy } from "../constructs/vault-access";
import type { EnvironmentVaultObjects } from "../constructs/deployer-access";

export function derivedNames(name: string, env: EnvironmentSettings, org: Organization) {
  return {
    vaultRole: `${name}-secret-sync`,
    vaultPolicy: `${org.project}-${name}-secrets-read`,
    /** The cluster's Kubernetes auth mount (set up at cluster bootstrap): environments on one cluster share it. */
    vaultAuthMount: `${org.vault.authMountPrefix}${env.cluster}`,
    /** Vault policies (and JWT roles) of the environment's deploy and read-only plan. */
    deployerPolicy: `${org.project}-${name}-deployer`,
    plannerPolicy: `${org.project}-${name}-planner`,
    /** The GitHub environment holding the read-only plan credentials. */
    planGitHubEnvironment: planEnvironmentName(env.identity.githubEnvironment),
  };
}

/** Where a service's secrets live under the KV mount (no `data/` or `metadata/`): what its ExternalSecret extracts. */
export const serviceSecretKey = (env: EnvironmentSettings, service: string): string => `${env.identity.vaultSubtree}/${service}`;

/** The Vault objects an environment's stack manages, as its deployer policy pins them. */
export function environmentVaultObjects(name: string, env: EnvironmentSettings, org: Organization, services: readonly { readonly name: string }[]): EnvironmentVaultObjects {
  const n = derivedNames(name, env, org);
  return {
    secretMetadataPaths: services.map((s) => `${org.vault.kvMount}/metadata/${serviceSecretKey(env, s.name)}`),
    readPolicyName: n.vaultPolicy,
    readPolicyText: subtreeReadPolicy(org.vault.kvMount, env.identity.vaultSubtree),
    authMountPath: n.vaultAuthMount,
    roleName: n.vaultRole,
    namespace: env.identity.namespace,
    serviceAccount: org.secretSync.serviceAccount,
    kvMount: org.vault.kvMount,
    audience: org.vault.tokenAudience,
    managedKvMount: org.vault.kvMountManagedBy === name ? org.vault.kvMount : undefined,
  };
}
