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
  /** Namespaces of the same environment (by name: `kubernetes.io/metadata.name`, which only the API server
   * sets), allowed to talk to this one both ways. @default - no same-environment allow */
  readonly sameEnvironmentNamespaces?: readonly string[];
  /** Allow egress to cluster DNS; almost every workload needs it once egress is denied.
   * @default false */
  readonly allowDns?: boolean;
  /** With allowDns: DNS servers no pod selector matches (NodeLocal DNSCache on the host network, the kube-dns
   * ClusterIP it answers on, a cloud resolver), allowed by address. @default - kube-dns pods only */
  readonly dnsIpBlocks?: readonly string[];
  /** The ingress controller's pods (namespace and labels), allowed to reach the services' ports here.
   * @default - no ingress controller allow */
  readonly ingressController?: { readonly namespace: string; readonly podLabels: Readonly<Record<string, string>>; readonly ports: readonly number[] };
  /** Where Vault answers: egress to these CIDRs on this TCP port, from pods labelled `podLabels` only.
   * @default - no Vault egress */
  readonly vaultEgress?: { readonly cidrs: readonly string[]; readonly port: number; readonly podLabels: Readonly<Record<string, string>> };
  /** Sidecars fetch configuration and certificates from the mesh's control plane (istiod, TCP 15012).
   * @default - no sidecars */
  readonly meshControlPlane?: { readonly namespace: string; readonly podLabels: Readonly<Record<string, string>>; readonly port: number };
  /** Ambient mesh: HBONE arrives on 15008, and kubelet probes come from 169.254.7.127 (istio.io "Ambient and
   * Kubernetes NetworkPolicy"). @default false */
  readonly ambientMesh?: boolean;
  /** The node's Datadog Agent pods: traces on TCP 8126, DogStatsD on UDP 8125. @default - no agent egress */
  readonly datadogAgent?: { readonly namespace: string; readonly podLabels: Readonly<Record<string, string>> };
}

/** Ambient mesh: pod-to-pod traffic is tunnelled to this port (HBONE). */
export const HBONE_PORT = 15008;
/** Ambient mesh: kubelet health probes arrive SNATed from this address. */
export const AMBIENT_PROBE_SOURCE = "169.254.7.127/32";
/** Datadog Agent: APM traces (TCP) and DogStatsD (UDP). */
export const DATADOG_TRACE_PORT = 8126;
export const DATADOG_DOGSTATSD_PORT = 8125;

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

    const inNamespace = (namespace: string, podLabels?: Readonly<Record<string, string>>) => ({
      namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } },
      ...(podLabels ? { podSelector: { matchLabels: { ...podLabels } } } : {}),
    });

    if (props.sameEnvironmentNamespaces && props.sameEnvironmentNamespaces.length > 0) {
      // by the name the API server sets: a label like envmatrix.io/environment can be put on any namespace by
      // whoever creates one
      const peer = [{ namespaceSelector: { matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: "In", values: [...props.sameEnvironmentNamespaces] }] } }];
      policy("allowSameEnvironment", "allow-same-environment", {
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: peer }],
        egress: [{ to: peer }],
      });
    }

    if (props.allowDns) {
      // egress is denied above, so DNS has to be allowed explicitly: kube-dns pods in kube-system, and the cluster's
      // DNS addresses that are no pod ("node-local-dns pods run with hostNetwork: True … use an ipBlock rule
      // instead", kubernetes/kubernetes cluster/addons/dns/nodelocaldns/README.md)
      policy("allowDns", "allow-dns", {
        policyTypes: ["Egress"],
        egress: [
          {
            to: [
              {
                namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: "kube-system" } },
                podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
              },
              ...(props.dnsIpBlocks ?? []).map((cidr) => ({ ipBlock: { cidr } })),
            ],
            ports: [
              { protocol: "UDP", port: "53" },
              { protocol: "TCP", port: "53" },
            ],
          },
        ],
      });
    }

    if (props.ingressController) {
      const ic = props.ingressController;
      const ports = [...new Set([...ic.ports, ...(props.ambientMesh ? [HBONE_PORT] : [])])].sort((a, b) => a - b);
      policy("allowIngressController", "allow-ingress-controller", {
        policyTypes: ["Ingress"],
        ingress: [{ from: [inNamespace(ic.namespace, ic.podLabels)], ports: ports.map((p) => ({ protocol: "TCP", port: `${p}` })) }],
      });
    }

    if (props.vaultEgress) {
      // ESO's controller calls Vault from its own namespace; here only pods that say they talk to Vault may
      new NetworkPolicyV1(this, "allowVaultEgress", {
        metadata: { name: "allow-vault-egress", namespace: props.namespace, labels: { ...props.labels } },
        spec: {
          podSelector: { matchLabels: { ...props.vaultEgress.podLabels } },
          policyTypes: ["Egress"],
          egress: [
            {
              to: props.vaultEgress.cidrs.map((cidr) => ({ ipBlock: { cidr } })),
              ports: [{ protocol: "TCP", port: `${props.vaultEgress.port}` }],
            },
          ],
        },
      });
    }

    if (props.meshControlPlane) {
      const cp = props.meshControlPlane;
      policy("allowMeshControlPlane", "allow-mesh-control-plane", {
        policyTypes: ["Egress"],
        egress: [{ to: [inNamespace(cp.namespace, cp.podLabels)], ports: [{ protocol: "TCP", port: `${cp.port}` }] }],
      });
    }

    if (props.ambientMesh) {
      policy("allowAmbientProbes", "allow-ambient-probes", {
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ ipBlock: { cidr: AMBIENT_PROBE_SOURCE } }] }],
      });
    }

    if (props.datadogAgent) {
      policy("allowDatadogAgent", "allow-datadog-agent", {
        policyTypes: ["Egress"],
        egress: [
          {
            to: [inNamespace(props.datadogAgent.namespace, props.datadogAgent.podLabels)],
            ports: [
              { protocol: "TCP", port: `${DATADOG_TRACE_PORT}` },
              { protocol: "UDP", port: `${DATADOG_DOGSTATSD_PORT}` },
            ],
          },
        ],
      });
    }
  }
}
