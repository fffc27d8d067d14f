/**
 * The matrix → props functions (stacks/props.ts), read as plain data without synthesizing: what each capability
 * is given for an environment. Expected values come from the matrix and the README's "What each stack contains".
 */
import { alertRecipients, dashboardProps, externalSecretsProps, namespaceProps, networkProps, secretSyncProps, tierRoute, type EnvironmentContext } from "../stacks/props";
import { seedMatrix } from "./helpers";

const org = seedMatrix.organization;
const context = (name: string, edit: (c: any) => void = () => {}): EnvironmentContext => {
  const c: any = structuredClone({ name, env: seedMatrix.environments[name], org, services: seedMatrix.services });
  edit(c);
  return c;
};
const labels = { "envmatrix.io/environment": "x" };

describe("alert routing", () => {
  it("tells nobody, chat, or on-call and chat", () => {
    expect(alertRecipients("none", org.datadog)).toEqual([]);
    expect(alertRecipients("chat", org.datadog)).toEqual([org.datadog.chatHandle]);
    expect(alertRecipients("page", org.datadog)).toEqual([org.datadog.pagerHandle, org.datadog.chatHandle]);
  });
  it("by tier (DESIGN.md, prod's alerting): critical pages on-call and tells the chat, high opens a ticket, medium and low notify nobody; priority 1 to 4", () => {
    const d = org.datadog;
    expect((["critical", "high", "medium", "low"] as const).map((tier) => tierRoute(tier, d))).toEqual([
      { notify: [d.pagerHandle, d.chatHandle], priority: 1, tag: "alert-tier:critical" },
      { notify: [d.ticketHandle], priority: 2, tag: "alert-tier:high" },
      { notify: [], priority: 3, tag: "alert-tier:medium" },
      { notify: [], priority: 4, tag: "alert-tier:low" },
    ]);
  });
});

describe("secret sync props", () => {
  it("a team stack's part is the environment's without the SecretStore's login, and neither where the operator is missing", () => {
    const c = context("staging");
    const role = { authMountPath: "kubernetes-nonprod", role: "staging-secret-sync" };
    const { vault, ...rest } = externalSecretsProps(c, labels, "ns", role)!;
    expect(secretSyncProps(c, labels, "ns")).toEqual(rest);
    expect([vault.authMountPath, vault.role]).toEqual([role.authMountPath, role.role]);
    const without = context("staging", (x) => (x.env.secrets.operatorInstalled = false));
    expect([secretSyncProps(without, labels, "ns"), externalSecretsProps(without, labels, "ns", role)]).toEqual([undefined, undefined]);
  });
});

describe("network props", () => {
  it("open the ingress controller to each distinct service port, 8080 where none is set", () => {
    const c = context("staging", (x) => (x.services = [{ name: "a", team: "t" }, { name: "b", team: "t", port: 9090 }, { name: "c", team: "t", port: 8080 }]));
    expect(networkProps(c, labels, "ns").ingressController?.ports).toEqual([8080, 9090]);
  });

  it("reach Vault on its address's port, 443 when the address names none", () => {
    expect(networkProps(context("dev"), labels, "ns").vaultEgress?.port).toBe(8200); // https://vault.example.internal:8200
    expect(networkProps(context("dev", (x) => (x.org.vault.address = "https://vault.example.internal")), labels, "ns").vaultEgress?.port).toBe(443);
  });

  it("leave out what the environment turns off", () => {
    const c = context("dev", (x) => Object.assign(x.env.network, { allowSameEnvironment: false, allowIngressController: false, allowVaultEgress: false }));
    const p = networkProps(c, labels, "ns");
    expect([p.sameEnvironmentNamespaces, p.ingressController, p.vaultEgress]).toEqual([undefined, undefined, undefined]);
  });
});

describe("namespace props", () => {
  it("count the sidecar in the quota only where a sidecar is injected, and label ambient namespaces instead", () => {
    expect(namespaceProps(context("staging"), labels).sidecar).toEqual(org.serviceMesh.sidecar); // staging injects, sidecar-cni
    expect(namespaceProps(context("dev"), labels).sidecar).toBeUndefined(); // dev does not inject
    const ambient = namespaceProps(context("staging", (x) => (x.org.serviceMesh.mode = "ambient")), labels);
    expect(ambient.sidecar).toBeUndefined();
    expect(ambient.sidecarInjectionLabel).toEqual({ key: "istio.io/dataplane-mode", value: "ambient" });
  });

  it("hold restricted Pod Security where the environment is protected, baseline elsewhere", () => {
    expect(namespaceProps(context("prod"), labels).podSecurity).toBe("restricted");
    expect(namespaceProps(context("dev"), labels).podSecurity).toBe("baseline");
  });
});

describe("secret sync props", () => {
  const role = { authMountPath: "kubernetes-nonprod", role: "dev-secret-sync" };

  it("are none where the cluster has no External Secrets Operator", () => {
    expect(externalSecretsProps(context("dev", (x) => (x.env.secrets.operatorInstalled = false)), labels, "ns", role)).toBeUndefined();
  });

  it("read each service's secret from the environment's own subtree, with the role the Vault access created", () => {
    const p = externalSecretsProps(context("dev", (x) => (x.services = [{ name: "api", team: "t" }, { name: "billing", team: "t" }])), labels, "ns", role)!;
    expect(p.secrets).toEqual([{ secretName: "api", remoteKey: "dev/api" }, { secretName: "billing", remoteKey: "dev/billing" }]);
    expect([p.vault.authMountPath, p.vault.role]).toEqual([role.authMountPath, role.role]);
  });
});

describe("DNS addresses of a cluster", () => {
  it("reach the DNS allow of every environment on that cluster, and of no other", () => {
    const blocks = ["169.254.20.10/32", "10.96.0.10/32"];
    const withBlocks = (name: string) => networkProps(context(name, (c) => (c.org = { ...c.org, clusters: { ...c.org.clusters, [c.env.cluster]: { ...c.org.clusters[c.env.cluster], dnsIpBlocks: blocks } } })), labels, "ns");
    const onNonprod = Object.keys(seedMatrix.environments).filter((n) => seedMatrix.environments[n].cluster === seedMatrix.environments.dev.cluster);
    expect(onNonprod.length).toBeGreaterThan(0);
    for (const name of Object.keys(seedMatrix.environments)) {
      expect({ name, seed: networkProps(context(name), labels, "ns").dnsIpBlocks }).toEqual({ name, seed: undefined });
      expect({ name, set: withBlocks(name).dnsIpBlocks }).toEqual({ name, set: blocks });
    }
    // only the environment's own cluster's blocks: dev's blocks set on its cluster, prod (another cluster) has none
    const devCluster = seedMatrix.environments.dev.cluster;
    expect(seedMatrix.environments.prod.cluster).not.toBe(devCluster);
    const prod = networkProps(context("prod", (c) => (c.org = { ...c.org, clusters: { ...c.org.clusters, [devCluster]: { ...c.org.clusters[devCluster], dnsIpBlocks: blocks } } })), labels, "ns");
    expect(prod.dnsIpBlocks).toBeUndefined();
  });
});

describe("the dashboard's APM operations", () => {
  it("each operation the services' trace metrics are named after, once, in the services' order; the organization's where a service sets none", () => {
    const quota = { cpuMillicores: 1000, memoryMiB: 1024 };
    expect(dashboardProps(context("prod"), quota).traceOperations).toEqual([{ operation: org.datadog.traceOperation, services: seedMatrix.services.map((s) => s.name) }]);
    const services = [{ name: "a", team: "t", traceOperation: "web.request" }, { name: "b", team: "t" }, { name: "c", team: "t", traceOperation: "web.request" }];
    expect(dashboardProps(context("prod", (c) => (c.services = services)), quota).traceOperations).toEqual([
      { operation: "web.request", services: ["a", "c"] },
      { operation: org.datadog.traceOperation, services: ["b"] },
    ]);
  });
});

describe("the quota's room for a rollout beside max replicas (README: the quota row)", () => {
  const room = (edit: (e: any) => void) =>
    namespaceProps(context("staging", (c) => {
      c.env = structuredClone(c.env);
      c.env.replicas = { ...c.env.replicas, max: 5 };
      c.env.rolloutSurgePods = 1;
      c.env.rollout = { ...c.env.rollout, trafficSteps: [], previousVersionFallbackMinutes: 0 };
      edit(c.env);
    }), labels).rolloutRoomPods;
  it("the surge where nothing needs more; the canary at its widest step short of 100%, rounded up; the whole previous version while it is kept ready; the largest of them", () => {
    expect(room(() => {})).toBe(1);
    expect(room((e) => (e.rollout.trafficSteps = [{ percent: 1, minutes: 5 }, { percent: 10, minutes: 5 }, { percent: 50, minutes: 5 }]))).toBe(3);
    expect(room((e) => (e.rollout.trafficSteps = [{ percent: 100, minutes: 5 }]))).toBe(1);
    expect(room((e) => (e.rollout.previousVersionFallbackMinutes = 60))).toBe(5);
    expect(room((e) => ((e.rollout.previousVersionFallbackMinutes = 60), (e.rolloutSurgePods = 7)))).toBe(7);
    expect(room((e) => ((e.rollout.trafficSteps = [{ percent: 50, minutes: 5 }]), (e.rolloutSurgePods = 2)))).toBe(3);
  });
});
