/** What `npm run preflight` reads on a cluster besides the stack's own objects (kept apart from the API clients). */
import type { EnvironmentSettings, Matrix } from "../config/types";
import { clusterBootstrap } from "./cluster-bootstrap";

export const ESO_CRDS = ["secretstores.external-secrets.io", "externalsecrets.external-secrets.io"];

/** What preflight reads on a cluster besides the stack's own objects: the planner's RBAC grants exactly these. */
export function preflightReads(m: Matrix, e: EnvironmentSettings): { apiGroup: string; resource: string; names: string[] }[] {
  const org = m.organization;
  const boot = clusterBootstrap(m, e.cluster);
  const mesh = e.sidecarInjection ? (org.serviceMesh.mode === "ambient" ? ["ztunnel", "istio-cni-node"] : org.serviceMesh.mode === "sidecar-cni" ? ["istio-cni-node"] : []) : [];
  return [
    { apiGroup: "apiextensions.k8s.io", resource: "customresourcedefinitions", names: ESO_CRDS },
    ...(mesh.length > 0 ? [{ apiGroup: "apps", resource: "daemonsets", names: mesh }] : []),
    ...(e.sidecarInjection ? [{ apiGroup: "apps", resource: "deployments", names: ["istiod"] }] : []),
    { apiGroup: "", resource: "serviceaccounts", names: [boot.vault.tokenReviewerJwtFrom.serviceAccount] },
    { apiGroup: "rbac.authorization.k8s.io", resource: "clusterrolebindings", names: [boot.manifests.find((o) => o.kind === "ClusterRoleBinding")!.metadata.name] },
    ...(org.datadog.agent.transport === "tcp" ? [{ apiGroup: "", resource: "services", names: [org.datadog.agent.service] }] : []),
  ];
}


/**
 * `@pagerduty-x`, `@slack-…`, `@webhook-x` handles in monitor messages (an e-mail address is not one), also inside a
 * conditional block (`{{^is_warning}}@pagerduty-x{{/is_warning}}`).
 */
export function handlesOf(messages: readonly string[]): string[] {
  return [...new Set(messages.flatMap((msg) => [...msg.matchAll(/(^|[\s(}])(@[A-Za-z0-9_.-]+)(?![A-Za-z0-9_.-]*@)/g)].map((m) => m[2])))].sort();
}
