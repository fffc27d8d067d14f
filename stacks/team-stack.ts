/**
 * A team's stack in an environment that splits by team (`splitByTeam`, config/stacks.ts): the team's services'
 * service accounts, ExternalSecrets, monitors and SLOs, with the same constructs and at the same addresses as in an
 * environment stack that does not split. It reads what the environment stack made by name, never by a reference
 * across stacks: the namespace by its name, the SecretStore by its name. So the environment stack applies first,
 * and the team stacks after it, each on its own state.
 */
import { Construct } from "constructs";
import type { EnvironmentSettings, Organization, Service } from "../config/types";
import { workloadServiceAccount } from "../constructs/namespace";
import { externalSecret } from "../constructs/external-secrets";
import { DatadogMonitors } from "../constructs/datadog-monitors";
import { protect } from "../constructs/protection";
import { ReadableStack } from "./logical-ids";
import { FORGOTTEN, MOVED, applyForgotten, applyMoves } from "./moved";
import { configureBackend, environmentProviders } from "./environment-stack";
import { environmentLabels, monitorsProps, secretSyncProps, type EnvironmentContext } from "./props";

export interface TeamStackProps {
  /** The stack's name, `<environment>-<team>`. */
  readonly name: string;
  readonly environmentName: string;
  readonly environment: EnvironmentSettings;
  readonly organization: Organization;
  /** The team's services: the resources of this stack. */
  readonly services: readonly Service[];
}

export class TeamStack extends ReadableStack {
  constructor(scope: Construct, props: TeamStackProps) {
    super(scope, props.name);
    applyMoves(this, MOVED.team);
    applyForgotten(this, FORGOTTEN[props.name]);
    const { environment: env, organization: org } = props;
    // the environment's context, narrowed to the team's services where a resource is per service
    const context: EnvironmentContext = { name: props.environmentName, env, org, services: props.services };

    configureBackend(this, props.name, env);
    environmentProviders(this, env, org, { vault: false });
    if (env.protected) protect(this);

    const labels = environmentLabels(context);
    // the namespace and the SecretStore are the environment stack's: named, not referenced
    const namespace = env.identity.namespace;
    const accounts = new Construct(this, "namespace");
    for (const s of props.services) workloadServiceAccount(accounts, s.name, { name: s.name, namespace, labels: { ...labels } });
    // the SecretStore and its login are the environment stack's; only the per-service ExternalSecrets are here
    const secrets = secretSyncProps(context, labels, namespace);
    if (secrets) {
      const scopeOfSecrets = new Construct(this, "externalSecrets");
      for (const secret of secrets.secrets) externalSecret(scopeOfSecrets, secret, { ...secrets, storeName: secrets.storeName ?? "vault" });
    }
    new DatadogMonitors(this, "monitors", monitorsProps(context));
  }
}
