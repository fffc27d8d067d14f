import "./cdktf-matchers";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { terraformBinary } from "./fixtures/real-plan";
import { synthScope } from "./scratch";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { ResourceQuotaV1 } from "@cdktf/provider-kubernetes/lib/resource-quota-v1";
import { LimitRangeV1 } from "@cdktf/provider-kubernetes/lib/limit-range-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { computeQuota, EnvironmentNamespace, type EnvironmentNamespaceProps } from "../constructs/namespace";
import { cpuQuantity, memoryQuantity } from "../constructs/quantities";
import { protect } from "../constructs/protection";

const base: EnvironmentNamespaceProps = {
  name: "shop-qa",
  labels: { "envmatrix.io/environment": "qa" },
  podSecurity: "baseline",
  podSecurityVersion: "v1.30",
  pod: { cpuMillicores: 250, memoryMiB: 384 },
  maxReplicas: 4,
  rolloutRoomPods: 1,
  serviceCount: 2,
  services: ["cart", "checkout"],
  secretSyncServiceAccount: "secret-sync",
  profile: { LOG_LEVEL: "info" },
};

const synth = (props: Partial<EnvironmentNamespaceProps> = {}, protectedScope = false) =>
  synthScope((scope) => {
    if (protectedScope) protect(scope);
    new EnvironmentNamespace(scope, "namespace", { ...base, ...props });
  });

describe("computeQuota", () => {
  it("2 services × (4 max + 1 surge) = 10 pods; cpu 10 × 250m = 2500m; memory 10 × 384Mi = 3840Mi", () => {
    expect(computeQuota(base)).toEqual({ pods: 10, cpuMillicores: 2500, memoryMiB: 3840 });
  });

  it("adds the sidecar to every pod: 10 × (250m + 100m) = 3500m, 10 × (384Mi + 128Mi) = 5Gi", () => {
    expect(computeQuota({ ...base, sidecar: { cpuMillicores: 100, memoryMiB: 128 } })).toEqual({
      pods: 10,
      cpuMillicores: 3500,
      memoryMiB: 5120,
    });
  });
});

describe("quantities", () => {
  it.each([
    [500, "500m"],
    [2000, "2"],
    [2500, "2500m"],
  ])("cpu %i millicores is %s", (m, q) => expect(cpuQuantity(m)).toBe(q));
  it.each([
    [512, "512Mi"],
    [2048, "2Gi"],
    [3840, "3840Mi"],
  ])("memory %i MiB is %s", (m, q) => expect(memoryQuantity(m)).toBe(q));
});

describe("EnvironmentNamespace", () => {
  it("labels the namespace with its labels and the Pod Security Admission level in all three modes", () => {
    expect(synth({ podSecurity: "restricted" })).toHaveResourceWithProperties(NamespaceV1, {
      metadata: {
        name: "shop-qa",
        labels: {
          "envmatrix.io/environment": "qa",
          "pod-security.kubernetes.io/enforce": "restricted",
          "pod-security.kubernetes.io/audit": "restricted",
          "pod-security.kubernetes.io/warn": "restricted",
          "pod-security.kubernetes.io/enforce-version": "v1.30",
          "pod-security.kubernetes.io/audit-version": "v1.30",
          "pod-security.kubernetes.io/warn-version": "v1.30",
        },
      },
    });
  });

  it("adds the sidecar injection label only when asked", () => {
    const labelsOf = (json: string) => Object.values<any>(JSON.parse(json).resource.kubernetes_namespace_v1)[0].metadata.labels;
    expect(labelsOf(synth())).not.toHaveProperty("istio-injection");
    expect(labelsOf(synth({ sidecarInjectionLabel: { key: "istio-injection", value: "enabled" } }))).toHaveProperty(
      "istio-injection",
      "enabled",
    );
  });

  it("bounds the namespace with the computed quota", () => {
    expect(synth()).toHaveResourceWithProperties(ResourceQuotaV1, {
      spec: {
        hard: { pods: "10", "requests.cpu": "2500m", "limits.cpu": "2500m", "requests.memory": "3840Mi", "limits.memory": "3840Mi" },
      },
    });
  });

  it("gives every container the pod size by default and lets none ask for more", () => {
    const size = { cpu: "250m", memory: "384Mi" };
    expect(synth()).toHaveResourceWithProperties(LimitRangeV1, {
      spec: { limit: [{ type: "Container", default: size, default_request: size, max: size }] },
    });
  });

  it("creates a service account per service and one for the secret sync, none automounting a token", () => {
    const sas = Object.values<any>(JSON.parse(synth()).resource[ServiceAccountV1.tfResourceType]);
    expect(sas.map((sa) => sa.metadata.name).sort()).toEqual(["cart", "checkout", "secret-sync"]);
    expect(sas.every((sa) => sa.automount_service_account_token === false)).toBe(true);
  });

  it("publishes the profile as a ConfigMap", () => {
    // jest's objectContaining is partial only at the top level: nested partial matches say so explicitly.
    expect(synth()).toHaveResourceWithProperties(ConfigMapV1, {
      metadata: expect.objectContaining({ name: "environment-profile" }),
      data: { LOG_LEVEL: "info" },
    });
  });

  it("sets prevent_destroy on the namespace and the secret sync's account only in a protected scope", () => {
    const protectedObjects = (json: string) =>
      Object.entries<Record<string, any>>(JSON.parse(json).resource)
        .flatMap(([type, byName]) =>
          Object.values(byName)
            .filter((res) => res.lifecycle?.prevent_destroy === true)
            .map((res) => `${type}/${res.metadata.name}`),
        )
        .sort();
    expect(protectedObjects(synth())).toEqual([]);
    expect(protectedObjects(synth({}, true))).toEqual([
      "kubernetes_namespace_v1/shop-qa",
      "kubernetes_service_account_v1/secret-sync",
    ]);
  });
});

describe("adopting the namespace a cluster admin created (npm run deployer-rbac binds the deployer's Role in it)", () => {
  const json = JSON.parse(synth());
  const [id] = Object.keys(json.resource.kubernetes_namespace_v1);

  it("has an import block to the namespace's address, with the namespace's name as id (the provider's import format)", () => {
    expect(json.import).toEqual([{ to: `kubernetes_namespace_v1.${id}`, id: base.name }]);
  });

  // Terraform itself reads the block (the JSON form, as synthesized): with the built-in terraform_data at the same
  // name, no provider is needed. A first plan imports; once imported the block is a no-op, so it stays.
  const terraform = terraformBinary();
  if (!terraform) console.warn("namespace.test: no terraform binary on PATH: the import-block plan test is skipped");
  (terraform ? it : it.skip)("is read by Terraform: the first plan imports, and after the apply it is a no-op", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envmatrix-import-"));
    try {
      const block = json.import[0];
      const config = { resource: { terraform_data: { [id]: { input: "adopted" } } }, import: [{ ...block, to: block.to.replace(/^kubernetes_namespace_v1\./, "terraform_data.") }] };
      fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify(config));
      const env = { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_CLI_CONFIG_FILE: "/dev/null" };
      const tf = (...args: string[]) => execFileSync("terraform", [`-chdir=${dir}`, ...args, "-input=false", "-no-color"], { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      tf("init");
      expect(tf("plan")).toMatch(/Plan: 1 to import, 0 to add/);
      tf("apply", "-auto-approve");
      expect(tf("plan")).toMatch(/No changes\./);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the namespace's own objects", () => {
  it("the quota and the limit range: their fixed names, in the namespace, with the environment's labels", () => {
    const json = JSON.parse(synth());
    // adopt looks an existing object up by its name (README, "Adopting existing infrastructure"); the label marks the environment's objects
    const meta = (type: string) => Object.values<any>(json.resource[type]).map((r) => r.metadata);
    expect(meta(ResourceQuotaV1.tfResourceType).map((m) => [m.name, m.labels])).toEqual([["environment-quota", base.labels]]);
    expect(meta(LimitRangeV1.tfResourceType).map((m) => [m.name, m.labels])).toEqual([["environment-limits", base.labels]]);
    for (const m of [...meta(ResourceQuotaV1.tfResourceType), ...meta(LimitRangeV1.tfResourceType)]) expect(m.namespace).toMatch(/^\$\{kubernetes_namespace_v1\.\w+\.metadata\[0\]\.name\}$/);
  });
});

/**
 * A workload's pod where a sidecar is injected, admitted as the cluster admits it: Istio's injector sizes the proxy
 * from the pod's annotations (istio 1.27.9 manifests/charts/istio-control/istio-discovery/files/injection-template.yaml,
 * the "resources" template: requests from proxyCPU/proxyMemory, limits from proxyCPULimit/proxyMemoryLimit, and
 * only when none of the four is set the mesh's global.proxy.resources, whose defaults in values.yaml are requests
 * 100m/128Mi, limits 2000m/1024Mi); the istio-validation init container of the CNI takes the same template. Then the
 * LimitRanger admission plugin gives a container its `default` limit and `defaultRequest` request where it has
 * none and refuses one above `max`; the ResourceQuota then counts every admitted pod's requests and limits
 * (kubernetes.io/docs/concepts/policy/limit-range, /resource-quotas).
 */
describe("a workload's pod with the injected proxy, under the namespace's LimitRange and quota", () => {
  const { seedMatrix, synthEnvironment, environmentNames, expectedRolloutRoom } = require("./helpers") as typeof import("./helpers");
  type Resources = { requests: Record<string, number>; limits: Record<string, number> };
  /** "250m" → 250, "2" → 2000 (cpu, millicores); "128Mi" → 128, "2Gi" → 2048 (memory, MiB). */
  const amount = (resource: string, q: string): number => {
    if (resource === "cpu") return q.endsWith("m") ? Number(q.slice(0, -1)) : Number(q) * 1000;
    const m = /^(\d+)(Mi|Gi)$/.exec(q);
    if (!m) throw new Error(`not a MiB/GiB quantity: ${q}`);
    return Number(m[1]) * (m[2] === "Gi" ? 1024 : 1);
  };
  const ISTIO_DEFAULTS: Resources = { requests: { cpu: 100, memory: 128 }, limits: { cpu: 2000, memory: 1024 } };
  const injectedProxy = (annotations: Record<string, string>): Resources => {
    const a = (k: string) => annotations[`sidecar.istio.io/${k}`];
    if (!["proxyCPU", "proxyMemory", "proxyCPULimit", "proxyMemoryLimit"].some((k) => a(k) !== undefined)) return ISTIO_DEFAULTS;
    const pick = (cpu: string | undefined, memory: string | undefined) =>
      Object.fromEntries([["cpu", cpu], ["memory", memory]].filter(([, v]) => v !== undefined).map(([k, v]) => [k, amount(k!, v!)]));
    return { requests: pick(a("proxyCPU"), a("proxyMemory")), limits: pick(a("proxyCPULimit"), a("proxyMemoryLimit")) };
  };

  describe.each(environmentNames.filter((n) => seedMatrix.environments[n].sidecarInjection))("%s (sidecars injected)", (name) => {
    const env = seedMatrix.environments[name];
    const sidecar = seedMatrix.organization.serviceMesh.sidecar;
    const stack = synthEnvironment(name).parsed;
    const profile = stack.resource.kubernetes_config_map_v1.profile.data;
    const limit = stack.resource.kubernetes_limit_range_v1.limits.spec.limit[0];
    const hard = stack.resource.kubernetes_resource_quota_v1.quota.spec.hard;
    const of = (m: Record<string, string>): Record<string, number> => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, amount(k, v)]));
    /** LimitRanger: the defaults where a container has none, then `max`; undefined when the pod is refused. */
    const admitted = (containers: Resources[]): Resources[] | undefined => {
      const out = containers.map((c) => ({ requests: { ...of(limit.default_request), ...c.requests }, limits: { ...of(limit.default), ...c.limits } }));
      const max = of(limit.max);
      return out.every((c) => Object.keys(max).every((k) => c.limits[k] <= max[k] && c.requests[k] <= max[k])) ? out : undefined;
    };
    /** How many such pods the quota holds: the fewest by any of its limits. */
    const podsThatFit = (containers: Resources[]): number => {
      const sum = (kind: "requests" | "limits", k: string) => containers.reduce((s, c) => s + c[kind][k], 0);
      return Math.min(
        Number(hard.pods),
        ...(["cpu", "memory"] as const).flatMap((k) => [Math.floor(amount(k, hard[`requests.${k}`]) / sum("requests", k)), Math.floor(amount(k, hard[`limits.${k}`]) / sum("limits", k))]),
      );
    };
    const app: Resources = { requests: {}, limits: {} }; // a container that states no resources: the LimitRange sizes it
    const wanted = seedMatrix.services.length * (env.replicas.max + expectedRolloutRoom(env).pods);

    it("the profile tells every workload the four proxy annotations, requests and limits both the matrix's sidecar size", () => {
      const annotations = Object.fromEntries(String(profile.REQUIRED_POD_ANNOTATIONS).split(",").map((kv) => kv.split("=") as [string, string]));
      expect(injectedProxy(annotations)).toEqual({ requests: { cpu: sidecar.cpuMillicores, memory: sidecar.memoryMiB }, limits: { cpu: sidecar.cpuMillicores, memory: sidecar.memoryMiB } });
    });

    it(`with them, each pod is admitted and all ${wanted} pods (services × (replicas.max + the rollout's room)) fit the quota`, () => {
      const annotations = Object.fromEntries(String(profile.REQUIRED_POD_ANNOTATIONS).split(",").map((kv) => kv.split("=") as [string, string]));
      const pod = admitted([app, injectedProxy(annotations)]);
      expect(pod).toEqual([
        { requests: { cpu: env.pod.cpuMillicores, memory: env.pod.memoryMiB }, limits: { cpu: env.pod.cpuMillicores, memory: env.pod.memoryMiB } },
        { requests: { cpu: sidecar.cpuMillicores, memory: sidecar.memoryMiB }, limits: { cpu: sidecar.cpuMillicores, memory: sidecar.memoryMiB } },
      ]);
      // the istio-validation init container is the proxy's size: it adds nothing to the pod's requests or limits
      expect(admitted([injectedProxy(annotations)])).toBeDefined();
      expect(podsThatFit(pod!)).toBe(wanted);
    });

    it("without them the pods do not fit: Istio's default limits (2000m, 1024Mi), or requests alone (the LimitRange then gives the proxy the pod size as its limit)", () => {
      const requestsOnly = { "sidecar.istio.io/proxyCPU": `${sidecar.cpuMillicores}m`, "sidecar.istio.io/proxyMemory": `${sidecar.memoryMiB}Mi` };
      for (const annotations of [{}, requestsOnly] as Record<string, string>[]) {
        const pod = admitted([app, injectedProxy(annotations)]);
        expect(pod === undefined || podsThatFit(pod) < wanted).toBe(true);
      }
    });
  });
});
