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

  it("allows the same environment's namespaces, by label, in both directions", () => {
    const spec = byName(policies({ sameEnvironmentSelector: { "envmatrix.io/environment": "qa" } }))["allow-same-environment"];
    const peer = [{ namespace_selector: { match_labels: { "envmatrix.io/environment": "qa" } } }];
    expect(spec).toEqual({ pod_selector: {}, policy_types: ["Ingress", "Egress"], ingress: [{ from: peer }], egress: [{ to: peer }] });
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

  it("allows ingress from the ingress controller's namespace, selected by its immutable name label", () => {
    const spec = byName(policies({ ingressControllerNamespace: "ingress-nginx" }))["allow-ingress-controller"];
    expect(spec).toEqual({
      pod_selector: {},
      policy_types: ["Ingress"],
      ingress: [{ from: [{ namespace_selector: { match_labels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }] }],
    });
  });

  it("allows egress to Vault's addresses on Vault's port only", () => {
    const spec = byName(policies({ vaultEgress: { cidrs: ["192.0.2.0/28", "198.51.100.7/32"], port: 8200 } }))["allow-vault-egress"];
    expect(spec).toEqual({
      pod_selector: {},
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
    const all = policies({ allowDns: true, ingressControllerNamespace: "ingress-nginx", sameEnvironmentSelector: { a: "b" } });
    expect(Object.keys(all)).toHaveLength(4);
    for (const p of Object.values(all)) {
      expect(p.metadata.namespace).toBe("team-a");
      expect(p.metadata.labels).toEqual(base.labels);
    }
  });
});
