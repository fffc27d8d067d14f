/** Whole-stack tests, for every environment of the seed matrix: each value traced back to its matrix field. */
import "./cdktf-matchers";
import { testApp } from "./scratch";
import { Testing } from "cdktf";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { NetworkPolicyV1 } from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import { ResourceQuotaV1 } from "@cdktf/provider-kubernetes/lib/resource-quota-v1";
import { LimitRangeV1 } from "@cdktf/provider-kubernetes/lib/limit-range-v1";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { EnvironmentStack } from "../stacks/environment-stack";
import { cpuQuantity, memoryQuantity } from "../constructs/quantities";
import { env, environmentNames, expectedRolloutRoom, resources, seedMatrix, synthEnvironment } from "./helpers";
import type { EnvironmentSettings } from "../config/types";

const org = seedMatrix.organization;
const serviceNames = seedMatrix.services.map((s) => s.name);
const NS_REF = "${kubernetes_namespace_v1.namespace.metadata[0].name}";

/** The quota, worked out here from the matrix (not by the code under test), with its arithmetic spelled out. */
function expectedQuota(e: EnvironmentSettings) {
  const sidecar = e.sidecarInjection ? org.serviceMesh.sidecar : { cpuMillicores: 0, memoryMiB: 0 };
  const room = expectedRolloutRoom(e);
  const pods = serviceNames.length * (e.replicas.max + room.pods);
  const cpu = pods * (e.pod.cpuMillicores + sidecar.cpuMillicores);
  const memory = pods * (e.pod.memoryMiB + sidecar.memoryMiB);
  const arithmetic =
    `pods = ${serviceNames.length} service(s) × (${e.replicas.max} max + ${room.why}) = ${pods}; ` +
    `cpu = ${pods} × (${e.pod.cpuMillicores}m + ${sidecar.cpuMillicores}m sidecar) = ${cpu}m; ` +
    `memory = ${pods} × (${e.pod.memoryMiB}Mi + ${sidecar.memoryMiB}Mi sidecar) = ${memory}Mi`;
  return { pods, cpu, memory, arithmetic };
}

describe.each(environmentNames)("%s stack", (name) => {
  const e = env(name);
  const stack = synthEnvironment(name);
  const policyNames = Object.values(resources(stack, NetworkPolicyV1.tfResourceType)).map((p) => p.metadata.name);

  it("uses the cluster's kubeconfig context from the matrix, and no credential", () => {
    expect(stack.json).toHaveProviderWithProperties(KubernetesProvider, { config_context: org.clusters[e.cluster].context });
    expect(stack.parsed.provider.kubernetes).toEqual([{ config_context: org.clusters[e.cluster].context }]);
  });

  it("talks to the matrix's Datadog site and Vault address, keys and token from the environment", () => {
    expect(stack.parsed.provider.datadog).toEqual([{ api_url: org.datadog.apiUrl }]);
    expect(stack.parsed.provider.vault).toEqual([{ address: org.vault.address, skip_child_token: true }]);
  });

  it(`labels the namespace: environment, recommended labels, Pod Security "${e.protected ? "restricted" : "baseline"}"${e.sidecarInjection ? ", sidecar injection" : ""}`, () => {
    const psa = e.protected ? "restricted" : "baseline";
    expect(stack.json).toHaveResourceWithProperties(NamespaceV1, {
      metadata: {
        name: e.identity.namespace,
        labels: {
          "envmatrix.io/environment": name,
          "app.kubernetes.io/part-of": org.project,
          "app.kubernetes.io/managed-by": "envmatrix",
          "pod-security.kubernetes.io/enforce": psa,
          "pod-security.kubernetes.io/audit": psa,
          "pod-security.kubernetes.io/warn": psa,
          // pinned: a cluster upgrade does not silently change what is enforced
          "pod-security.kubernetes.io/enforce-version": org.podSecurityVersion,
          "pod-security.kubernetes.io/audit-version": org.podSecurityVersion,
          "pod-security.kubernetes.io/warn-version": org.podSecurityVersion,
          ...(e.sidecarInjection ? { [org.serviceMesh.injectionLabel]: org.serviceMesh.injectionValue } : {}),
        },
      },
    });
  });

  it("denies all ingress and egress by default", () => {
    expect(stack.json).toHaveResourceWithProperties(NetworkPolicyV1, {
      metadata: expect.objectContaining({ name: "default-deny-all", namespace: NS_REF }),
      spec: { pod_selector: {}, policy_types: ["Ingress", "Egress"] },
    });
  });

  it("has exactly the allows the matrix enables", () => {
    const expected = [
      "default-deny-all",
      ...(e.network.allowSameEnvironment ? ["allow-same-environment"] : []),
      ...(e.network.allowDns ? ["allow-dns"] : []),
      ...(e.network.allowIngressController ? ["allow-ingress-controller"] : []),
      ...(e.network.allowVaultEgress ? ["allow-vault-egress"] : []),
      // the seed's mesh is sidecar-cni and its agent transport tcp
      ...(e.sidecarInjection ? ["allow-mesh-control-plane"] : []),
      "allow-datadog-agent",
    ];
    expect(policyNames.sort()).toEqual(expected.sort());
  });

  (e.network.allowSameEnvironment ? it : it.skip)("allows its own namespace, by the name only the API server sets, both ways", () => {
    const peer = [{ namespace_selector: { match_expressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: [e.identity.namespace] }] } }];
    expect(stack.json).toHaveResourceWithProperties(NetworkPolicyV1, {
      metadata: expect.objectContaining({ name: "allow-same-environment" }),
      spec: { pod_selector: {}, policy_types: ["Ingress", "Egress"], ingress: [{ from: peer }], egress: [{ to: peer }] },
    });
  });

  (e.network.allowDns ? it : it.skip)("allows DNS to kube-dns in kube-system", () => {
    expect(stack.json).toHaveResourceWithProperties(NetworkPolicyV1, {
      metadata: expect.objectContaining({ name: "allow-dns" }),
      spec: expect.objectContaining({
        policy_types: ["Egress"],
        egress: [
          expect.objectContaining({
            to: [
              {
                namespace_selector: { match_labels: { "kubernetes.io/metadata.name": "kube-system" } },
                pod_selector: { match_labels: { "k8s-app": "kube-dns" } },
              },
            ],
          }),
        ],
      }),
    });
  });

  (e.network.allowIngressController ? it : it.skip)(`allows ingress from ${org.ingressController.namespace}'s controller pods to the services' ports only`, () => {
    const ports = [...new Set(seedMatrix.services.map((s) => s.port ?? 8080))].map((p) => ({ protocol: "TCP", port: `${p}` }));
    expect(stack.json).toHaveResourceWithProperties(NetworkPolicyV1, {
      metadata: expect.objectContaining({ name: "allow-ingress-controller" }),
      spec: {
        pod_selector: {},
        policy_types: ["Ingress"],
        ingress: [
          {
            from: [
              {
                namespace_selector: { match_labels: { "kubernetes.io/metadata.name": org.ingressController.namespace } },
                pod_selector: { match_labels: org.ingressController.podLabels },
              },
            ],
            ports,
          },
        ],
      },
    });
  });

  (e.sidecarInjection ? it : it.skip)("lets its sidecars reach istiod (15012): with egress denied they would never get configuration or certificates", () => {
    const cp = org.serviceMesh.controlPlane;
    expect(stack.json).toHaveResourceWithProperties(NetworkPolicyV1, {
      metadata: expect.objectContaining({ name: "allow-mesh-control-plane" }),
      spec: {
        pod_selector: {},
        policy_types: ["Egress"],
        egress: [
          {
            to: [{ namespace_selector: { match_labels: { "kubernetes.io/metadata.name": cp.namespace } }, pod_selector: { match_labels: cp.podLabels } }],
            ports: [{ protocol: "TCP", port: `${cp.port}` }],
          },
        ],
      },
    });
  });

  it("lets pods send traces to the Datadog Agent (TCP 8126, DogStatsD UDP 8125): without it every trace.* monitor goes No Data", () => {
    const policy = Object.values<any>(resources(stack, NetworkPolicyV1.tfResourceType)).find((p) => p.metadata.name === "allow-datadog-agent");
    expect(policy.spec.pod_selector).toEqual({});
    expect(policy.spec.egress[0].ports).toEqual([
      { protocol: "TCP", port: "8126" },
      { protocol: "UDP", port: "8125" },
    ]);
    expect(policy.spec.egress[0].to[0].namespace_selector.match_labels["kubernetes.io/metadata.name"]).toBe(org.datadog.agent.namespace);
  });

  (e.network.allowVaultEgress ? it : it.skip)("allows egress to Vault's CIDRs on the port of the Vault address, from pods labelled as Vault clients only", () => {
    expect(stack.json).toHaveResourceWithProperties(NetworkPolicyV1, {
      metadata: expect.objectContaining({ name: "allow-vault-egress" }),
      spec: {
        pod_selector: { match_labels: { "envmatrix.io/vault-client": "true" } },
        policy_types: ["Egress"],
        egress: [{ to: org.vault.egressCidrs.map((cidr) => ({ ip_block: { cidr } })), ports: [{ protocol: "TCP", port: "8200" }] }],
      },
    });
  });

  const q = expectedQuota(e);
  it(`bounds the namespace: ${q.arithmetic}`, () => {
    // the numbers are worked out above; their spelling as quantities is tested in namespace.test.ts
    const [cpu, memory] = [cpuQuantity(q.cpu), memoryQuantity(q.memory)];
    expect(stack.json).toHaveResourceWithProperties(ResourceQuotaV1, {
      metadata: expect.objectContaining({ namespace: NS_REF }),
      spec: {
        hard: { pods: `${q.pods}`, "requests.cpu": cpu, "limits.cpu": cpu, "requests.memory": memory, "limits.memory": memory },
      },
    });
  });

  it("defaults and caps every container at the environment's pod size", () => {
    const size = { cpu: cpuQuantity(e.pod.cpuMillicores), memory: memoryQuantity(e.pod.memoryMiB) };
    expect(stack.json).toHaveResourceWithProperties(LimitRangeV1, {
      spec: { limit: [{ type: "Container", default: size, default_request: size, max: size }] },
    });
  });

  it("has a service account per service and the secret sync's", () => {
    const names = Object.values(resources(stack, ServiceAccountV1.tfResourceType)).map((sa) => sa.metadata.name);
    expect(names.sort()).toEqual([...serviceNames, org.secretSync.serviceAccount].sort());
  });

  it("publishes the environment profile from the matrix", () => {
    expect(stack.json).toHaveResourceWithProperties(ConfigMapV1, {
      metadata: expect.objectContaining({ name: "environment-profile" }),
      data: {
        ENVIRONMENT: name,
        LOG_LEVEL: e.runtime.logLevel,
        API_TIMEOUT: `${e.runtime.apiTimeoutSeconds}s`,
        DB_POOL_SIZE: `${e.runtime.dbPoolSize}`,
        TLS_ENABLED: `${e.traffic.tls}`,
        RATE_LIMIT_ENABLED: `${e.traffic.rateLimit}`,
        CACHE_ENABLED: `${e.runtime.cacheEnabled}`,
        ENABLE_METRICS: `${e.runtime.metricsEnabled}`,
        ALERT_ON_ERRORS: `${e.runtime.alertOnErrors}`,
        DB_MIGRATIONS: e.runtime.databaseMigrations,
        FEATURE_FLAG_STEPS: e.rollout.featureFlagPercentSteps.map((p) => `${p}%`).join(","),
        TRAFFIC_STEPS: [...e.rollout.trafficSteps.map((t) => `${t.percent}%/${t.minutes}m`), "100%"].join(","),
        PREVIOUS_VERSION_FALLBACK: `${e.rollout.previousVersionFallbackMinutes}m`,
        PREVIOUS_VERSION_STANDBY: `${e.rollout.previousVersionStandbyMinutes}m`,
        ...(e.rollout.rollbackWithinMinutes === null ? {} : { ROLLBACK_WITHIN: `${e.rollout.rollbackWithinMinutes}m` }),
        REPLICAS_MIN: `${e.replicas.min}`,
        REPLICAS_DEFAULT: `${e.replicas.default}`,
        REPLICAS_MAX: `${e.replicas.max}`,
        // the quota's room per service (README "What each stack contains", the quota row), for the Deployments' maxSurge
        ROLLOUT_ROOM_PODS: `${expectedRolloutRoom(e).pods}`,
        DD_ENV: name,
        DD_AGENT_HOST: `${org.datadog.agent.service}.${org.datadog.agent.namespace}.svc`,
        REQUIRED_POD_LABELS: "tags.datadoghq.com/env=<env>,tags.datadoghq.com/service=<service>,tags.datadoghq.com/version=<version>",
        // where sidecars are injected (the seed's mesh runs them): the proxy's size, requests and limits (namespace.test.ts admits such a pod)
        ...(e.sidecarInjection && org.serviceMesh.mode.startsWith("sidecar")
          ? {
              REQUIRED_POD_ANNOTATIONS: [
                `sidecar.istio.io/proxyCPU=${org.serviceMesh.sidecar.cpuMillicores}m`,
                `sidecar.istio.io/proxyCPULimit=${org.serviceMesh.sidecar.cpuMillicores}m`,
                `sidecar.istio.io/proxyMemory=${org.serviceMesh.sidecar.memoryMiB}Mi`,
                `sidecar.istio.io/proxyMemoryLimit=${org.serviceMesh.sidecar.memoryMiB}Mi`,
              ].join(","),
            }
          : {}),
      },
    });
  });

  it("holds the source documents' application settings, rollout and migration mode for this environment", () => {
    // the documents, not the matrix: every environment caches; prod also exports metrics and alerts on errors;
    // flags 100% dev, 50% staging (A/B), 10 → 25 → 50 → 100% prod; prod's traffic 1% 5 min, 10% 10 min, 50% 15 min,
    // then 100%, the previous version kept 1 h as fallback and 24 h as standby, rollback under 5 minutes;
    // migrations automatic in dev, with a warning on destructive changes in staging, blue/green with manual
    // confirmation in prod (hotfix is prod's clone)
    const prodLike = {
      CACHE_ENABLED: "true",
      ENABLE_METRICS: "true",
      ALERT_ON_ERRORS: "true",
      DB_MIGRATIONS: "blue-green-manual",
      FEATURE_FLAG_STEPS: "10%,25%,50%,100%",
      TRAFFIC_STEPS: "1%/5m,10%/10m,50%/15m,100%",
      PREVIOUS_VERSION_FALLBACK: "60m",
      PREVIOUS_VERSION_STANDBY: "1440m",
      ROLLBACK_WITHIN: "5m",
    };
    const documents: Record<string, Record<string, string | undefined>> = {
      dev: { CACHE_ENABLED: "true", ENABLE_METRICS: "false", ALERT_ON_ERRORS: "false", DB_MIGRATIONS: "automatic", FEATURE_FLAG_STEPS: "100%", TRAFFIC_STEPS: "100%", ROLLBACK_WITHIN: undefined },
      staging: { CACHE_ENABLED: "true", ENABLE_METRICS: "false", ALERT_ON_ERRORS: "false", DB_MIGRATIONS: "automatic-warn-destructive", FEATURE_FLAG_STEPS: "50%", TRAFFIC_STEPS: "100%", ROLLBACK_WITHIN: undefined },
      prod: prodLike,
      hotfix: prodLike,
    };
    const profile = Object.values<any>(stack.parsed.resource.kubernetes_config_map_v1).find((c) => c.metadata.name === "environment-profile").data;
    for (const [key, value] of Object.entries(documents[name])) expect([key, profile[key]]).toEqual([key, value]);
  });

  it(`sets prevent_destroy ${e.protected ? "on what loses data or access: namespace, secret sync, Vault policy and role, SecretStore and ExternalSecrets" : "nowhere"} (protected: ${e.protected})`, () => {
    const guarded = Object.entries(stack.parsed.resource).flatMap(([type, byName]) =>
      Object.entries(byName)
        .filter(([, r]) => r.lifecycle?.prevent_destroy === true)
        .map(([address]) => `${type}.${address}`),
    );
    expect(guarded.sort()).toEqual(
      e.protected
        ? [
            "kubernetes_manifest.external_secret_api",
            "kubernetes_manifest.secret_store",
            "kubernetes_namespace_v1.namespace",
            "kubernetes_service_account_v1.secret_sync",
            "vault_kubernetes_auth_backend_role.role",
            "vault_policy.policy",
          ]
        : [],
    );
  });

  it("holds no GitHub resource and no GitHub provider: the gates stack alone administers the repository", () => {
    // were the environment's gate here, its deploy would need a token that also administers production's gate
    expect(Object.keys(stack.parsed.resource).filter((t) => t.startsWith("github_"))).toEqual([]);
    expect(Object.keys(stack.parsed.data ?? {}).filter((t) => t.startsWith("github_"))).toEqual([]);
    expect(Object.keys(stack.parsed.provider)).not.toContain("github");
  });

  it("configures Vault from the matrix's address, with no token, and creates no child token (a read-only plan token may not)", () => {
    expect(stack.parsed.provider.vault).toEqual([{ address: org.vault.address, skip_child_token: true }]);
  });

  it(`syncs each service's secrets every ${e.secrets.refreshInterval}, creationPolicy ${e.secrets.creationPolicy}, deletionPolicy ${e.secrets.deletionPolicy}`, () => {
    const manifests = Object.values(resources(stack, "kubernetes_manifest")).map((r) => r.manifest);
    const externalSecrets = manifests.filter((m) => m.kind === "ExternalSecret");
    expect(externalSecrets.map((m) => m.metadata.name)).toEqual(serviceNames);
    for (const m of externalSecrets) {
      expect(m.spec.refreshInterval).toBe(e.secrets.refreshInterval);
      expect(m.spec.target).toEqual({ name: m.metadata.name, creationPolicy: e.secrets.creationPolicy, deletionPolicy: e.secrets.deletionPolicy });
      expect(m.spec.dataFrom).toEqual([{ extract: { key: `${e.identity.vaultSubtree}/${m.metadata.name}` } }]);
      expect(m.metadata.annotations).toEqual({
        "envmatrix.io/rotate-database-passwords-days": `${org.secretRotation.databasePasswordDays}`,
        "envmatrix.io/rotate-api-keys-days": `${org.secretRotation.apiKeyDays}`,
        "envmatrix.io/rotate-signing-keys-months": `${org.secretRotation.signingKeyMonths}`,
      });
    }
    const store = manifests.find((m) => m.kind === "SecretStore");
    expect(store.spec.provider.vault).toMatchObject({ server: org.vault.address, path: org.vault.kvMount, version: "v2" });
  });

  it("keeps state on the local backend at a relative path outside cdktf.out", () => {
    expect(stack.parsed.terraform.backend).toEqual({ local: { path: `../../../terraform.${name}.tfstate` } });
  });
});

describe("secrets settings", () => {
  const synthWith = (edit: (e: any, o: any) => void) => {
    const environment: any = structuredClone(env("staging"));
    const organization: any = structuredClone(org);
    edit(environment, organization);
    const stack = new EnvironmentStack(testApp(), { name: "staging", environment, organization, services: seedMatrix.services });
    return JSON.parse(Testing.synth(stack));
  };

  const policiesOf = (parsed: any) => Object.fromEntries(Object.values<any>(parsed.resource.kubernetes_network_policy_v1).map((p) => [p.metadata.name, p.spec]));

  it("ambient mesh: enrolls the namespace, no sidecar in the quota, lets HBONE and the probes in, no istiod egress", () => {
    const parsed = synthWith((_e, o) => (o.serviceMesh.mode = "ambient"));
    expect(parsed.resource.kubernetes_namespace_v1.namespace.metadata.labels["istio.io/dataplane-mode"]).toBe("ambient");
    expect(parsed.resource.kubernetes_namespace_v1.namespace.metadata.labels[org.serviceMesh.injectionLabel]).toBeUndefined();
    const e = env("staging");
    const pods = seedMatrix.services.length * (e.replicas.max + expectedRolloutRoom(e).pods);
    expect(parsed.resource.kubernetes_resource_quota_v1.quota.spec.hard["requests.cpu"]).toBe(cpuQuantity(pods * e.pod.cpuMillicores));
    const policies = policiesOf(parsed);
    expect(policies["allow-ambient-probes"].ingress).toEqual([{ from: [{ ip_block: { cidr: "169.254.7.127/32" } }] }]);
    expect(policies["allow-ingress-controller"].ingress[0].ports.map((p: any) => p.port)).toContain("15008");
    expect(policies["allow-mesh-control-plane"]).toBeUndefined();
    // no proxy in the pods: nothing to size
    expect(parsed.resource.kubernetes_config_map_v1.profile.data.REQUIRED_POD_ANNOTATIONS).toBeUndefined();
  });

  it("agent over a socket (Datadog CSI driver): no agent egress, and the profile points the tracer at the socket", () => {
    const parsed = synthWith((_e, o) => (o.datadog.agent.transport = "socket"));
    expect(policiesOf(parsed)["allow-datadog-agent"]).toBeUndefined();
    // the CSI driver's sockets (docs.datadoghq.com, "Datadog CSI Driver"): traces and DogStatsD each have their own
    expect(parsed.resource.kubernetes_config_map_v1.profile.data).toMatchObject({ DD_TRACE_AGENT_URL: "unix:///var/run/datadog/apm.socket", DD_DOGSTATSD_URL: "unix:///var/run/datadog/dsd.socket" });
    expect(parsed.resource.kubernetes_config_map_v1.profile.data.DD_AGENT_HOST).toBeUndefined();
  });

  it("leaves the SecretStore and ExternalSecrets out where the cluster has no operator yet, and keeps the Vault side", () => {
    const parsed = synthWith((e) => (e.secrets.operatorInstalled = false));
    expect(parsed.resource.kubernetes_manifest).toBeUndefined();
    expect(Object.keys(parsed.resource)).toEqual(expect.arrayContaining(["vault_policy", "vault_kubernetes_auth_backend_role"]));
  });

  it("creates the KV mount only in the stack the matrix names as its owner", () => {
    expect(synthWith(() => undefined).resource.vault_mount).toBeUndefined();
    expect(synthWith((_e, o) => (o.vault.kvMountManagedBy = "staging")).resource.vault_mount).toEqual({
      kv_mount: expect.objectContaining({ path: org.vault.kvMount, type: "kv", options: { version: "2" }, lifecycle: { prevent_destroy: true } }),
    });
    expect(synthWith((_e, o) => (o.vault.kvMountManagedBy = "dev")).resource.vault_mount).toBeUndefined();
  });
});

describe("backends", () => {
  const withBackend = (backend: EnvironmentSettings["backend"]) => {
    const app = testApp();
    const stack = new EnvironmentStack(app, {
      name: "prod",
      environment: { ...env("prod"), backend },
      organization: org,
      services: seedMatrix.services,
    });
    return { stack, parsed: JSON.parse(Testing.synth(stack)) };
  };

  it("S3: one key per environment, encrypted, locked with Terraform's native lock file", () => {
    const { parsed } = withBackend({ type: "s3", bucket: "acme-tfstate", region: "eu-west-1", keyPrefix: "envmatrix" });
    expect(parsed.terraform.backend).toEqual({
      s3: { bucket: "acme-tfstate", region: "eu-west-1", key: "envmatrix/prod/terraform.tfstate", encrypt: true, use_lockfile: true },
    });
  });

  it("HCP Terraform: one workspace per environment", () => {
    const { parsed } = withBackend({ type: "hcp", organization: "acme", workspacePrefix: "envmatrix-" });
    expect(parsed.terraform.cloud).toEqual({ organization: "acme", workspaces: { name: "envmatrix-prod" } });
  });

  it("calls out a protected environment left on the local backend, and only that", () => {
    const messages = (backend: EnvironmentSettings["backend"], protectedEnv: boolean) => {
      const app = testApp();
      const stack = new EnvironmentStack(app, {
        name: "prod",
        environment: { ...env("prod"), protected: protectedEnv, backend },
        organization: org,
        services: seedMatrix.services,
      });
      Testing.synth(stack);
      return stack.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
    };
    expect(messages({ type: "local" }, true)).toEqual([expect.stringMatching(/^environments\.prod\.backend: protected environment on the local backend; .*no shared lock\. Choose "s3" or "hcp" in config\/environments\.ts/)]);
    expect(messages({ type: "local" }, false)).toEqual([]);
    expect(messages({ type: "s3", bucket: "acme-tfstate", region: "eu-west-1", keyPrefix: "x" }, true)).toEqual([]);
  });
});
