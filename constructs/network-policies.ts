/**
 * NetworkPolicies of an environment's namespace: deny all ingress and egress, then allow only what the
 * matrix enables. Policies are additive, so each allow is its own object a reviewer can read on its own.
 */
import { Construct } from "constructs";
import { NetworkPolicyV1, type NetworkPolicyV1Spec } from "@cdktf/provider-kubernetes/lib/network-policy-v1";

/** Set by the API server on every namespace; safe to select on because nobody else can set it. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

export interface NetworkPoliciesProps {
  /** Namespace the policies live in (and protect). */
  readonly namespace: string;
  /** Labels for the policy objects themselves. */
  readonly labels: Readonly<Record<string, string>>;
  /** Namespaces carrying these labels belong to the same environment and may talk to this one, both ways.
   * @default - no same-environment allow */
  readonly sameEnvironmentSelector?: Readonly<Record<string, string>>;
  /** Allow egress to cluster DNS; almost every workload needs it once egress is denied.
   * @default false */
  readonly allowDns?: boolean;
  /** Namespace of the ingress controller, allowed to reach every pod here.
   * @default - no ingress controller allow */
  readonly ingressControllerNamespace?: string;
  /** Where Vault answers: egress to these CIDRs on this TCP port.
   * @default - no Vault egress */
  readonly vaultEgress?: { readonly cidrs: readonly string[]; readonly port: number };
}

/** Every pod in the namespace. */
const ALL_PODS = {};

export class NetworkPolicies extends Construct {
  constructor(scope: Construct, id: string, props: NetworkPoliciesProps) {
    super(scope, id);
    const policy = (policyId: string, name: string, spec: Omit<NetworkPolicyV1Spec, "podSelector">) =>
      new NetworkPolicyV1(this, policyId, {
        metadata: { name, namespace: props.namespace, labels: { ...props.labels } },
        spec: { podSelector: ALL_PODS, ...spec },
      });

    // Both policy types with no rules: nothing in, nothing out, until an allow below says otherwise.
    policy("defaultDeny", "default-deny-all", { policyTypes: ["Ingress", "Egress"] });

    if (props.sameEnvironmentSelector) {
      const peer = [{ namespaceSelector: { matchLabels: { ...props.sameEnvironmentSelector } } }];
      policy("allowSameEnvironment", "allow-same-environment", {
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: peer }],
        egress: [{ to: peer }],
      });
    }

    if (props.allowDns) {
      // egress is denied above, so DNS has to be allowed explicitly: kube-dns pods in kube-system only
      policy("allowDns", "allow-dns", {
        policyTypes: ["Egress"],
        egress: [
          {
            to: [
              {
                namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: "kube-system" } },
                podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
              },
            ],
            ports: [
              { protocol: "UDP", port: "53" },
              { protocol: "TCP", port: "53" },
            ],
          },
        ],
      });
    }

    if (props.ingressControllerNamespace) {
      policy("allowIngressController", "allow-ingress-controller", {
        policyTypes: ["Ingress"],
        ingress: [
          { from: [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: props.ingressControllerNamespace } } }] },
        ],
      });
    }

    if (props.vaultEgress) {
      policy("allowVaultEgress", "allow-vault-egress", {
        policyTypes: ["Egress"],
        egress: [
          {
            to: props.vaultEgress.cidrs.map((cidr) => ({ ipBlock: { cidr } })),
            ports: [{ protocol: "TCP", port: `${props.vaultEgress.port}` }],
          },
        ],
      });
    }
  }
}
