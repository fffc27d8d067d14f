/**
 * One environment's Terraform stack. Maps the environment's record in the matrix onto constructs, in one
 * place and the same way for every environment: nothing here branches on an environment's name.
 */
import { FORGOTTEN, MOVED, applyForgotten, applyMoves } from "./moved";
import { Annotations, CloudBackend, LocalBackend, NamedCloudWorkspace, S3Backend, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { VaultProvider } from "@cdktf/provider-vault/lib/provider";
import { DatadogProvider } from "@cdktf/provider-datadog/lib/provider";
import type { EnvironmentSettings, Organization, Service } from "../config/types";
import { EnvironmentNamespace } from "../constructs/namespace";
import { NetworkPolicies } from "../constructs/network-policies";
import { VaultAccess } from "../constructs/vault-access";
import { ExternalSecrets } from "../constructs/external-secrets";
import { DatadogMonitors } from "../constructs/datadog-monitors";
import { DatadogDashboard } from "../constructs/datadog-dashboard";
import { ReadableStack } from "./logical-ids";
import { protect } from "../constructs/protection";
import { dashboardProps, environmentLabels, externalSecretsProps, monitorsProps, namespaceProps, networkProps, vaultAccessProps, type EnvironmentContext } from "./props";

export interface EnvironmentStackProps {
  /** The environment's name: the stack id, the `env` label and tag. */
  readonly name: string;
  readonly environment: EnvironmentSettings;
  readonly organization: Organization;
  readonly services: readonly Service[];
}

export { AMBIENT_LABEL, DEFAULT_SERVICE_PORT, ENVIRONMENT_LABEL, UNIFIED_SERVICE_TAGGING_LABELS, VAULT_CLIENT_LABEL } from "./props";

export class EnvironmentStack extends ReadableStack {
  constructor(scope: Construct, props: EnvironmentStackProps) {
    super(scope, props.name);
    applyMoves(this, MOVED.environment);
    applyForgotten(this, FORGOTTEN[props.name]);
    const { name, environment: env, organization: org } = props;
    const context: EnvironmentContext = { name, env, org, services: props.services };

    configureBackend(this, name, env);
    environmentProviders(this, env, org, { vault: true });

    // A protected environment keeps what loses data or access when deleted: prevent_destroy on every resource its
    // constructs mark (constructs/protection.ts), in one place.
    if (env.protected) protect(this);
    // Each capability's props come from one pure function of the matrix (stacks/props.ts).
    const labels = environmentLabels(context);
    // split by team: the services' own resources (service accounts, ExternalSecrets, monitors and SLOs) are the team
    // stacks' (stacks/team-stack.ts); what the whole environment shares stays here
    const split = env.splitByTeam;
    const namespaceSettings = namespaceProps(context, labels);
    const namespace = new EnvironmentNamespace(this, "namespace", split ? { ...namespaceSettings, services: [] } : namespaceSettings);
    new NetworkPolicies(this, "network", networkProps(context, labels, namespace.namespaceName));
    const vault = new VaultAccess(this, "vaultAccess", vaultAccessProps(context, namespace.namespaceName));
    const secrets = externalSecretsProps(context, labels, namespace.namespaceName, { authMountPath: vault.role.backend, role: vault.role.roleName });
    if (secrets) new ExternalSecrets(this, "externalSecrets", split ? { ...secrets, secrets: [] } : secrets);
    // GitHub gates are not here: they are the gates stack's, applied only with a protected credential, so an
    // unprotected environment's deploy never holds a token that administers the repository.
    if (!split) new DatadogMonitors(this, "monitors", monitorsProps(context));
    new DatadogDashboard(this, "dashboard", dashboardProps(context, namespace.quota));
  }
}

/**
 * An environment's providers on `stack`, credentials from the environment: Kubernetes and Datadog, and Vault when
 * the stack writes Vault objects (a team stack does not).
 */
export function environmentProviders(stack: TerraformStack, env: EnvironmentSettings, org: Organization, opts: { vault: boolean }): void {
  new KubernetesProvider(stack, "kubernetes", {
    // The kubeconfig file itself comes from KUBE_CONFIG_PATH; only the context is the matrix's.
    configContext: org.clusters[env.cluster].context,
  });
  // The token comes from VAULT_TOKEN (or the CLI's token helper); only the address is the matrix's.
  // skip_child_token: the provider otherwise creates a child token at configure time, during plan too, which a
  // read-only plan token may not (auth/token/create); the job's own token is short-lived (OIDC, 15 minutes)
  if (opts.vault) new VaultProvider(stack, "vault", { address: org.vault.address, skipChildToken: true });
  // Keys come from DD_API_KEY and DD_APP_KEY; only the site is the matrix's.
  new DatadogProvider(stack, "datadog", { apiUrl: org.datadog.apiUrl });
}

/** The stack's Terraform backend, from the environment's `backend` (state key and workspace named after `name`). */
export function configureBackend(stack: TerraformStack, name: string, env: EnvironmentSettings, where = `environments.${name}.backend`): void {
  const backend = env.backend;
  switch (backend.type) {
    case "local":
      // Relative to where Terraform runs (cdktf.out/stacks/<env>): the state sits beside the project,
      // outside cdktf.out, and the synthesized file holds no path of this machine.
      new LocalBackend(stack, { path: `../../../terraform.${name}.tfstate` });
      if (env.protected) {
        Annotations.of(stack).addWarning(
          `${where}: protected environment on the local backend; state lives on one machine ` +
            `with no shared lock. Choose "s3" or "hcp" in config/environments.ts before deploying it for real.`,
        );
      }
      return;
    case "s3":
      new S3Backend(stack, {
        bucket: backend.bucket,
        region: backend.region,
        key: `${backend.keyPrefix}/${name}/terraform.tfstate`,
        encrypt: true,
        kmsKeyId: backend.kmsKeyId,
      });
      // Terraform >= 1.10 locks with a lock file beside the state; no DynamoDB table needed.
      stack.addOverride("terraform.backend.s3.use_lockfile", true);
      return;
    case "hcp":
      new CloudBackend(stack, {
        organization: backend.organization,
        hostname: backend.hostname,
        workspaces: new NamedCloudWorkspace(`${backend.workspacePrefix}${name}`),
      });
      return;
  }
}
