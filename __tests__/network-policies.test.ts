import { synthScope } from "./scratch";
import { NetworkPolicyV1 } from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import { NetworkPolicies, type NetworkPoliciesProps } from "../constructs/network-policies";

const base: NetworkPoliciesProps = { namespace: "team-a", labels: { "envmatrix.io/environment": "qa" } };

function policies(props: Partial<NetworkPoliciesProps> = {}): Record<string, any> {
  const json = synthScope((scope) => new NetworkPolicies(scope, "network", { ...base, ...props }));
  return JSON.parse(json).resource[NetworkPolicyV1.tfResourceType] ?? {};
}

const byName = (all: Record<string, any>) =>
  Object.fromEntries(Object.values(all).map((p: any) => [p.metadata.name, p.spec]));

describe("NetworkPolicies", () => {
  it("with no allows enabled, holds only the default deny: all pods, both directions, no rules", () => {
    const specs = byName(policies());
    expect(Object.keys(specs)).toEqual(["default-deny-all"]);
    expect(specs["default-deny-all"]).toEqual({ pod_selector: {}, policy_types: ["Ingress", "Egress"] });
  });

  it("allows the same environment's namespaces, by the name only the API server sets, in both directions", () => {
    const spec = byName(policies({ sameEnvironmentNamespaces: ["team-a"] }))["allow-same-environment"];
    const peer = [{ namespace_selector: { match_expressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["team-a"] }] } }];
    expect(spec).toEqual({ pod_selector: {}, policy_types: ["Ingress", "Egress"], ingress: [{ from: peer }], egress: [{ to: peer }] });
  });

  it("allows DNS also to the cluster's DNS addresses that are no pod (NodeLocal DNSCache on the host network, the kube-dns ClusterIP), by ipBlock, on the same ports", () => {
    const spec = byName(policies({ allowDns: true, dnsIpBlocks: ["169.254.20.10/32", "10.96.0.10/32"] }))["allow-dns"];
    expect(spec.egress).toEqual([
      {
        to: [
          {
            namespace_selector: { match_labels: { "kubernetes.io/metadata.name": "kube-system" } },
            pod_selector: { match_labels: { "k8s-app": "kube-dns" } },
          },
          { ip_block: { cidr: "169.254.20.10/32" } },
          { ip_block: { cidr: "10.96.0.10/32" } },
        ],
        ports: [
          { protocol: "UDP", port: "53" },
          { protocol: "TCP", port: "53" },
        ],
      },
    ]);
  });

  it("allows DNS only to kube-dns pods in kube-system, on port 53 over UDP and TCP", () => {
    const spec = byName(policies({ allowDns: true }))["allow-dns"];
    expect(spec.policy_types).toEqual(["Egress"]);
    expect(spec.egress).toEqual([
      {
        to: [
          {
            namespace_selector: { match_labels: { "kubernetes.io/metadata.name": "kube-system" } },
            pod_selector: { match_labels: { "k8s-app": "kube-dns" } },
          },
        ],
        ports: [
          { protocol: "UDP", port: "53" },
          { protocol: "TCP", port: "53" },
        ],
      },
    ]);
    expect(spec.ingress).toBeUndefined();
  });

  const controller = { namespace: "ingress-nginx", podLabels: { "app.kubernetes.io/name": "ingress-nginx" }, ports: [8080, 9090] };
  it("allows ingress from the ingress controller's pods only, to the services' ports only", () => {
    const spec = byName(policies({ ingressController: controller }))["allow-ingress-controller"];
    expect(spec).toEqual({
      pod_selector: {},
      policy_types: ["Ingress"],
      ingress: [
        {
          from: [
            {
              namespace_selector: { match_labels: { "kubernetes.io/metadata.name": "ingress-nginx" } },
              pod_selector: { match_labels: { "app.kubernetes.io/name": "ingress-nginx" } },
            },
          ],
          ports: [
            { protocol: "TCP", port: "8080" },
            { protocol: "TCP", port: "9090" },
          ],
        },
      ],
    });
  });

  it("in an ambient mesh, also lets HBONE (15008) in from the controller and kubelet probes from 169.254.7.127", () => {
    const specs = byName(policies({ ingressController: controller, ambientMesh: true }));
    expect(specs["allow-ingress-controller"].ingress[0].ports.map((p: any) => p.port)).toEqual(["8080", "9090", "15008"]);
    expect(specs["allow-ambient-probes"].ingress).toEqual([{ from: [{ ip_block: { cidr: "169.254.7.127/32" } }] }]);
    // one direction each: a policy naming a direction without rules for it would isolate the pods that way too
    expect(specs["allow-ambient-probes"].policy_types).toEqual(["Ingress"]);
  });

  it("lists the ports once each in numeric order, whatever the matrix's order: the same ports give the same bytes", () => {
    const unordered = { ...controller, ports: [9090, 15008, 443, 9090] };
    const spec = byName(policies({ ingressController: unordered, ambientMesh: true }))["allow-ingress-controller"];
    expect(spec.ingress[0].ports.map((p: any) => p.port)).toEqual(["443", "9090", "15008"]);
  });

  it("lets sidecars reach the mesh's control plane pods on its port", () => {
    const spec = byName(policies({ meshControlPlane: { namespace: "istio-system", podLabels: { app: "istiod" }, port: 15012 } }))["allow-mesh-control-plane"];
    expect(spec.egress).toEqual([
      {
        to: [{ namespace_selector: { match_labels: { "kubernetes.io/metadata.name": "istio-system" } }, pod_selector: { match_labels: { app: "istiod" } } }],
        ports: [{ protocol: "TCP", port: "15012" }],
      },
    ]);
  });

  it("lets pods send traces (TCP 8126) and DogStatsD (UDP 8125) to the Datadog Agent's pods", () => {
    const spec = byName(policies({ datadogAgent: { namespace: "datadog", podLabels: { app: "datadog-agent" } } }))["allow-datadog-agent"];
    expect(spec.egress[0].ports).toEqual([
      { protocol: "TCP", port: "8126" },
      { protocol: "UDP", port: "8125" },
    ]);
    expect(spec.egress[0].to).toEqual([{ namespace_selector: { match_labels: { "kubernetes.io/metadata.name": "datadog" } }, pod_selector: { match_labels: { app: "datadog-agent" } } }]);
    expect(spec.policy_types).toEqual(["Egress"]);
  });

  it("an empty list of same-environment namespaces allows nothing: no policy with an empty In list", () => {
    expect(Object.keys(byName(policies({ sameEnvironmentNamespaces: [] })))).toEqual(["default-deny-all"]);
  });

  it("allows egress to Vault's addresses on Vault's port only, from the pods labelled as Vault clients only", () => {
    const spec = byName(policies({ vaultEgress: { cidrs: ["192.0.2.0/28", "198.51.100.7/32"], port: 8200, podLabels: { "envmatrix.io/vault-client": "true" } } }))["allow-vault-egress"];
    expect(spec).toEqual({
      pod_selector: { match_labels: { "envmatrix.io/vault-client": "true" } },
      policy_types: ["Egress"],
      egress: [
        {
          to: [{ ip_block: { cidr: "192.0.2.0/28" } }, { ip_block: { cidr: "198.51.100.7/32" } }],
          ports: [{ protocol: "TCP", port: "8200" }],
        },
      ],
    });
  });

  it("puts every policy in the given namespace, with the given labels", () => {
    const all = policies({
      allowDns: true,
      ingressController: controller,
      sameEnvironmentNamespaces: ["team-a"],
      vaultEgress: { cidrs: ["192.0.2.0/28"], port: 8200, podLabels: { "envmatrix.io/vault-client": "true" } },
    });
    expect(Object.values(all).map((p) => p.metadata.name).sort()).toEqual(["allow-dns", "allow-ingress-controller", "allow-same-environment", "allow-vault-egress", "default-deny-all"]);
    for (const p of Object.values(all)) {
      expect(p.metadata.namespace).toBe("team-a");
      expect(p.metadata.labels).toEqual(base.labels);
    }
  });
});
