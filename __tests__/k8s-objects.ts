/**
 * Kubernetes objects as the API server will receive them, rebuilt from a synthesized stack: the typed
 * kubernetes_*_v1 resources (Terraform's snake_case schema mapped back to the API's shapes) and the
 * kubernetes_manifest resources as they are.
 */
import type { TerraformJson } from "./helpers";

const KINDS: Record<string, { apiVersion: string; kind: string }> = {
  kubernetes_namespace_v1: { apiVersion: "v1", kind: "Namespace" },
  kubernetes_network_policy_v1: { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy" },
  kubernetes_resource_quota_v1: { apiVersion: "v1", kind: "ResourceQuota" },
  kubernetes_limit_range_v1: { apiVersion: "v1", kind: "LimitRange" },
  kubernetes_service_account_v1: { apiVersion: "v1", kind: "ServiceAccount" },
  kubernetes_config_map_v1: { apiVersion: "v1", kind: "ConfigMap" },
  kubernetes_cluster_role_binding_v1: { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding" },
};

/** Maps whose keys are data (label keys, resource names), not schema fields. */
const VERBATIM = new Set(["labels", "annotations", "match_labels", "hard", "data", "default", "default_request", "max", "min"]);
/** Terraform blocks named in the singular for what the API calls a list. */
const RENAMED: Record<string, string> = { limit: "limits", subject: "subjects" };
/** Terraform metadata, not part of the object. */
const META = new Set(["//", "lifecycle", "depends_on", "provider", "count", "for_each"]);

const camel = (key: string) => RENAMED[key] ?? key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

function toApi(value: unknown, key = ""): unknown {
  if (Array.isArray(value)) return value.map((v) => toApi(v, key));
  if (value !== null && typeof value === "object") {
    if (VERBATIM.has(key)) return { ...value };
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !META.has(k))
        .map(([k, v]) => [camel(k), toApi(v, k)]),
    );
  }
  // The provider turns a numeric port string into an int; a string port is a named port.
  if (key === "port" && typeof value === "string" && /^\d+$/.test(value)) return Number(value);
  return value;
}

export interface ApiObject {
  readonly address: string;
  readonly object: Record<string, any>;
}

export function kubernetesObjects(stack: TerraformJson): ApiObject[] {
  const out: ApiObject[] = [];
  for (const [type, byName] of Object.entries(stack.resource)) {
    for (const [name, resource] of Object.entries<any>(byName)) {
      const address = `${type}.${name}`;
      if (type === "kubernetes_manifest") out.push({ address, object: resource.manifest });
      else if (KINDS[type]) out.push({ address, object: { ...KINDS[type], ...(toApi(resource) as object) } });
    }
  }
  return out;
}
