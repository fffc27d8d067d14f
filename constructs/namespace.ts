/**
 * An environment's namespace and what lives in it regardless of workload: Pod Security Admission labels,
 * the quota and limit range that bound it, the service accounts of its services and of the secret sync,
 * and the environment profile that deployments read.
 */
import { Construct } from "constructs";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { ResourceQuotaV1 } from "@cdktf/provider-kubernetes/lib/resource-quota-v1";
import { LimitRangeV1 } from "@cdktf/provider-kubernetes/lib/limit-range-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { cpuQuantity, memoryQuantity } from "./quantities";
import { keptWhenProtected } from "./protection";
import { adoptExisting } from "./adopt";

export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

export interface PodSize {
  readonly cpuMillicores: number;
  readonly memoryMiB: number;
}

export interface QuotaInputs {
  /** Requests (= limits) of one application container. */
  readonly pod: PodSize;
  /** Requests (= limits) the service mesh gives its sidecar, when one is injected. */
  readonly sidecar?: PodSize;
  readonly maxReplicas: number;
  /** Pods per service beside max replicas while it changes version: surge, canary or the previous version (config/rollout-room.ts). */
  readonly rolloutRoomPods: number;
  readonly serviceCount: number;
}

export interface Quota {
  readonly pods: number;
  readonly cpuMillicores: number;
  readonly memoryMiB: number;
}

/**
 * What the namespace may hold: every service at max replicas plus the pods its rollout runs beside them (a surge,
 * a canary, or the previous version kept ready: config/rollout-room.ts), each pod the size of the application
 * container plus its sidecar. pods = services × (max + room); cpu = pods × pod cpu; memory likewise.
 */
export function computeQuota(q: QuotaInputs): Quota {
  const pods = q.serviceCount * (q.maxReplicas + q.rolloutRoomPods);
  return {
    pods,
    cpuMillicores: pods * (q.pod.cpuMillicores + (q.sidecar?.cpuMillicores ?? 0)),
    memoryMiB: pods * (q.pod.memoryMiB + (q.sidecar?.memoryMiB ?? 0)),
  };
}

export interface EnvironmentNamespaceProps extends QuotaInputs {
  readonly name: string;
  /** Labels for the namespace and every object in it (environment label, recommended labels). */
  readonly labels: Readonly<Record<string, string>>;
  /** Pod Security Admission level enforced, audited and warned on. */
  readonly podSecurity: PodSecurityLevel;
  /** The Pod Security Standards version pinned for each mode (`v1.31`): a cluster upgrade changes nothing unannounced. */
  readonly podSecurityVersion: string;
  /** Label that turns on sidecar injection; none when omitted. */
  readonly sidecarInjectionLabel?: { readonly key: string; readonly value: string };
  /** Services whose workloads run here: each gets a service account named after it. */
  readonly services: readonly string[];
  /** Service account the secret sync authenticates to Vault as. */
  readonly secretSyncServiceAccount: string;
  /** Environment profile: the values deployments read (`envFrom`) instead of re-typing them. */
  readonly profile: Readonly<Record<string, string>>;
}

export class EnvironmentNamespace extends Construct {
  readonly namespace: NamespaceV1;
  /** The namespace's name as a reference, so that whatever uses it is created after it. */
  readonly namespaceName: string;
  readonly quota: Quota;

  constructor(scope: Construct, id: string, props: EnvironmentNamespaceProps) {
    super(scope, id);
    const psa = Object.fromEntries(
      ["enforce", "audit", "warn"].flatMap((mode) => [
        [`pod-security.kubernetes.io/${mode}`, props.podSecurity],
        [`pod-security.kubernetes.io/${mode}-version`, props.podSecurityVersion],
      ]),
    );
    const injection = props.sidecarInjectionLabel
      ? { [props.sidecarInjectionLabel.key]: props.sidecarInjectionLabel.value }
      : {};

    // A cluster admin creates the namespace with the deployer's Role in it (npm run deployer-rbac: namespaced
    // rights are bound in the namespace, not cluster-wide), so the stack adopts it. Import id: the namespace's
    // name (the provider's importer passes the id through as the name: registry.terraform.io/providers/hashicorp/
    // kubernetes/latest/docs/resources/namespace_v1#import).
    this.namespace = keptWhenProtected(
      adoptExisting(new NamespaceV1(this, "namespace", { metadata: { name: props.name, labels: { ...props.labels, ...psa, ...injection } } }), props.name),
    );
    this.namespaceName = this.namespace.metadata.name;
    const metadata = (name: string) => ({ name, namespace: this.namespaceName, labels: { ...props.labels } });

    this.quota = computeQuota(props);
    const cpu = cpuQuantity(this.quota.cpuMillicores);
    const memory = memoryQuantity(this.quota.memoryMiB);
    new ResourceQuotaV1(this, "quota", {
      metadata: metadata("environment-quota"),
      spec: {
        hard: {
          pods: `${this.quota.pods}`,
          "requests.cpu": cpu,
          "limits.cpu": cpu,
          "requests.memory": memory,
          "limits.memory": memory,
        },
      },
    });

    // A container without resources would fall outside the quota arithmetic: give it the pod size,
    // and let no container ask for more than that.
    const size = { cpu: cpuQuantity(props.pod.cpuMillicores), memory: memoryQuantity(props.pod.memoryMiB) };
    new LimitRangeV1(this, "limits", {
      metadata: metadata("environment-limits"),
      spec: { limit: [{ type: "Container", default: size, defaultRequest: size, max: size }] },
    });

    for (const service of props.services) workloadServiceAccount(this, service, metadata(service));
    keptWhenProtected(new ServiceAccountV1(this, "secretSync", {
      metadata: metadata(props.secretSyncServiceAccount),
      automountServiceAccountToken: false,
    }));

    new ConfigMapV1(this, "profile", {
      metadata: metadata("environment-profile"),
      data: { ...props.profile },
    });
  }
}

/**
 * A service's workload service account (`workload-<service>` under `scope`): in the environment's namespace
 * construct, or in a team stack's (stacks/team-stack.ts), at the same address either way.
 */
export function workloadServiceAccount(scope: Construct, service: string, metadata: { name: string; namespace: string; labels: Record<string, string> }): ServiceAccountV1 {
  return new ServiceAccountV1(scope, `workload-${service}`, {
    metadata,
    // Workloads that need the API mount a token explicitly; nothing gets one by accident.
    automountServiceAccountToken: false,
  });
}
