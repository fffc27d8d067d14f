/**
 * The bench's baseline: bare cdktf, no project code. The same stacks with the same number of resources of each
 * type as the project's synthesis (counted from its cdk.tf.json files), each resource made with the providers'
 * typed classes and a small fixed configuration. What the project costs beyond this is its own: the matrix's
 * validation, props, constructs, aspects and cross-resource references.
 */
import { App, TerraformStack, type TerraformResource } from "cdktf";
import type { Construct } from "constructs";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { NetworkPolicyV1 } from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import { ResourceQuotaV1 } from "@cdktf/provider-kubernetes/lib/resource-quota-v1";
import { LimitRangeV1 } from "@cdktf/provider-kubernetes/lib/limit-range-v1";
import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest";
import { VaultProvider } from "@cdktf/provider-vault/lib/provider";
import { Policy } from "@cdktf/provider-vault/lib/policy";
import { KubernetesAuthBackendRole } from "@cdktf/provider-vault/lib/kubernetes-auth-backend-role";
import { JwtAuthBackendRole } from "@cdktf/provider-vault/lib/jwt-auth-backend-role";
import { DatadogProvider } from "@cdktf/provider-datadog/lib/provider";
import { Monitor } from "@cdktf/provider-datadog/lib/monitor";
import { ServiceLevelObjective } from "@cdktf/provider-datadog/lib/service-level-objective";
import { DashboardJson } from "@cdktf/provider-datadog/lib/dashboard-json";
import { GithubProvider } from "@cdktf/provider-github/lib/provider";
import { RepositoryEnvironment } from "@cdktf/provider-github/lib/repository-environment";
import { RepositoryEnvironmentDeploymentPolicy } from "@cdktf/provider-github/lib/repository-environment-deployment-policy";
import { RepositoryRuleset } from "@cdktf/provider-github/lib/repository-ruleset";
import { ActionsEnvironmentVariable } from "@cdktf/provider-github/lib/actions-environment-variable";

/** Per stack, how many resources of each type. */
export type ResourceCounts = Record<string, Record<string, number>>;

/** Per stack, per resource type, each resource's configuration as the project's cdk.tf.json holds it. */
export type ResourceConfigs = Record<string, Record<string, Array<Record<string, unknown>>>>;

type ResourceClass = new (scope: Construct, id: string, config: any) => TerraformResource;

/** The providers' typed class of each resource type the project synthesizes. */
const CLASSES: Record<string, ResourceClass> = {
  kubernetes_namespace_v1: NamespaceV1,
  kubernetes_service_account_v1: ServiceAccountV1,
  kubernetes_config_map_v1: ConfigMapV1,
  kubernetes_network_policy_v1: NetworkPolicyV1,
  kubernetes_resource_quota_v1: ResourceQuotaV1,
  kubernetes_limit_range_v1: LimitRangeV1,
  kubernetes_manifest: Manifest,
  vault_policy: Policy,
  vault_kubernetes_auth_backend_role: KubernetesAuthBackendRole,
  vault_jwt_auth_backend_role: JwtAuthBackendRole,
  datadog_monitor: Monitor,
  datadog_service_level_objective: ServiceLevelObjective,
  datadog_dashboard_json: DashboardJson,
  github_repository_environment: RepositoryEnvironment,
  github_repository_environment_deployment_policy: RepositoryEnvironmentDeploymentPolicy,
  github_repository_ruleset: RepositoryRuleset,
  github_actions_environment_variable: ActionsEnvironmentVariable,
};

const meta = (i: number) => ({ name: `r-${i}`, namespace: "bench", labels: { "app.kubernetes.io/managed-by": "bench" } });

/** One resource of `type` in `scope`, typed, with a small configuration of that type's usual shape. */
const MAKE: Record<string, (scope: Construct, id: string, i: number) => void> = {
  kubernetes_namespace_v1: (s, id, i) => new NamespaceV1(s, id, { metadata: { name: `ns-${i}`, labels: { env: "bench" } } }),
  kubernetes_service_account_v1: (s, id, i) => new ServiceAccountV1(s, id, { metadata: meta(i), automountServiceAccountToken: false }),
  kubernetes_config_map_v1: (s, id, i) => new ConfigMapV1(s, id, { metadata: meta(i), data: { A: "1", B: "2", C: "3" } }),
  kubernetes_network_policy_v1: (s, id, i) =>
    new NetworkPolicyV1(s, id, { metadata: meta(i), spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ namespaceSelector: { matchLabels: { a: "b" } } }] }] } }),
  kubernetes_resource_quota_v1: (s, id, i) => new ResourceQuotaV1(s, id, { metadata: meta(i), spec: { hard: { pods: "10", "limits.cpu": "1" } } }),
  kubernetes_limit_range_v1: (s, id, i) => new LimitRangeV1(s, id, { metadata: meta(i), spec: { limit: [{ type: "Container", default: { cpu: "1" } }] } }),
  kubernetes_manifest: (s, id, i) => new Manifest(s, id, { manifest: { apiVersion: "v1", kind: "ConfigMap", metadata: meta(i), data: { a: "b" } } }),
  vault_policy: (s, id, i) => new Policy(s, id, { name: `p-${i}`, policy: 'path "secret/*" { capabilities = ["read"] }' }),
  vault_kubernetes_auth_backend_role: (s, id, i) => new KubernetesAuthBackendRole(s, id, { roleName: `r-${i}`, boundServiceAccountNames: ["a"], boundServiceAccountNamespaces: ["b"], tokenPolicies: ["p"] }),
  vault_jwt_auth_backend_role: (s, id, i) => new JwtAuthBackendRole(s, id, { roleName: `r-${i}`, userClaim: "sub", boundClaims: { a: "b" }, tokenPolicies: ["p"] }),
  datadog_monitor: (s, id, i) => new Monitor(s, id, { name: `m-${i}`, type: "query alert", query: "avg(last_5m):avg:system.load.1{*} > 2", message: "m", monitorThresholds: { critical: "2" }, tags: ["a:b"] }),
  datadog_service_level_objective: (s, id, i) =>
    new ServiceLevelObjective(s, id, { name: `s-${i}`, type: "metric", query: { numerator: "sum:a{*}.as_count()", denominator: "sum:b{*}.as_count()" }, thresholds: [{ timeframe: "7d", target: 99 }] }),
  datadog_dashboard_json: (s, id, i) => new DashboardJson(s, id, { dashboard: JSON.stringify({ title: `d-${i}`, layout_type: "ordered", widgets: [] }) }),
  github_repository_environment: (s, id, i) => new RepositoryEnvironment(s, id, { repository: "r", environment: `e-${i}`, waitTimer: 0 }),
  github_repository_environment_deployment_policy: (s, id, i) => new RepositoryEnvironmentDeploymentPolicy(s, id, { repository: "r", environment: `e-${i}`, branchPattern: "main" }),
  github_repository_ruleset: (s, id, i) =>
    new RepositoryRuleset(s, id, { name: `rs-${i}`, repository: "r", target: "branch", enforcement: "active", rules: { deletion: true, pullRequest: { requiredApprovingReviewCount: 1 } } }),
  github_actions_environment_variable: (s, id, i) => new ActionsEnvironmentVariable(s, id, { repository: "r", environment: "e", variableName: `V_${i}`, value: "v" }),
};

/** A stack with the four providers the project's stacks configure. */
function benchStack(app: App, name: string): TerraformStack {
  const stack = new TerraformStack(app, name);
  new KubernetesProvider(stack, "kubernetes", { configContext: "bench" });
  new VaultProvider(stack, "vault", { address: "https://vault.example", skipChildToken: true });
  new DatadogProvider(stack, "datadog", { apiUrl: "https://api.datadoghq.com" });
  new GithubProvider(stack, "github", { owner: "bench" });
  return stack;
}

/** An App with the counted stacks and resources, synthesized into `outdir`. */
export function synthBare(counts: ResourceCounts, outdir: string): void {
  const app = new App({ outdir, stackTraces: false });
  for (const [name, types] of Object.entries(counts)) {
    const stack = benchStack(app, name);
    for (const [type, n] of Object.entries(types)) {
      const make = MAKE[type];
      if (!make) throw new Error(`bench/bare.ts: no bare resource for ${type}`);
      for (let i = 0; i < n; i++) make(stack, `${type}_${i}`, i);
    }
  }
  app.synth();
}

/** Meta-arguments the typed configs cannot take as plain JSON (they want iterators and constructs): set as overrides. */
const META = new Set(["for_each", "count", "dynamic", "depends_on", "provider"]);

/** snake_case → the typed classes' camelCase, recursively; keys that are not snake_case (labels, manifests) stay. */
function typedConfig(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(typedConfig);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [/^[a-z][a-z0-9_]*$/.test(k) ? k.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()) : k, typedConfig(v)]),
  );
}

/**
 * The same stacks and resources as the project's synthesis, each resource configured exactly as the project's
 * cdk.tf.json has it (every attribute and block, in the typed classes' spelling), made by the typed class directly:
 * the cost cdktf itself has for these resources, so that what the project costs beyond it is its own (reading the
 * matrix, computing the props, the constructs, the references between resources). `configs` is dropped before the
 * synth, as the project's matrix would be garbage once its constructs exist.
 */
export function synthBareAlike(read: () => ResourceConfigs, outdir: string): void {
  const app = new App({ outdir, stackTraces: false });
  let configs: ResourceConfigs | undefined = read();
  for (const [name, types] of Object.entries(configs)) {
    const stack = benchStack(app, name);
    for (const [type, list] of Object.entries(types)) {
      const Class = CLASSES[type];
      if (!Class) throw new Error(`bench/bare.ts: no typed class for ${type}`);
      list.forEach((config, i) => {
        const meta = Object.entries(config).filter(([k]) => META.has(k));
        const rest = Object.fromEntries(Object.entries(config).filter(([k]) => !META.has(k) && k !== "//"));
        const resource = new Class(stack, `${type}_${i}`, typedConfig(rest));
        for (const [k, v] of meta) resource.addOverride(k, v);
      });
    }
  }
  configs = undefined;
  app.synth();
}
