/**
 * Rules of how the real systems behave, as pure checks over a stack's synthesized JSON, each with its source.
 * Each must hold for today's output, and each must fail on the output from before issue 10
 * (fixtures/before-issue-10, synthesized from commit ab8ecaf with the same seed matrix): the proof that the
 * rule would have caught what issue 10 describes. The construct- and stack-level tests check the same
 * behaviour in more detail; these are the same rules at the level of Terraform JSON.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { seedMatrix, synthEnvironment } from "./helpers";

type Json = Record<string, any>;
const org = seedMatrix.organization;
const TRACE_METRIC_TAGS = ["env", "service", "version", "resource", "resource_name", "http.status_code", "http.status_class", "host"];

const all = (stack: Json, type: string): Json[] => Object.values<Json>(stack.resource?.[type] ?? {});
const policies = (stack: Json) => all(stack, "kubernetes_network_policy_v1");
const labelsOf = (stack: Json) => all(stack, "kubernetes_namespace_v1")[0].metadata.labels as Record<string, string>;

/** [rule, source, check(stack, secondPrimaryTag) → problems] */
const RULES: Array<[string, string, (s: Json, secondPrimaryTag: string | undefined) => string[]]> = [
  [
    "1. the secret sync can log in: no auth mount here reviews tokens with the login token, and no per-environment ClusterRoleBinding",
    "Vault Kubernetes auth docs; hashicorp/vault-secrets-operator#379, cert-manager#6150",
    (s) => [
      ...all(s, "vault_kubernetes_auth_backend_config").filter((c) => !c.token_reviewer_jwt).map(() => "auth mount configured without token_reviewer_jwt: Vault reviews with the login token (audience vault) → 403"),
      ...all(s, "kubernetes_cluster_role_binding_v1").map((b) => `ClusterRoleBinding ${b.metadata.name} per environment`),
    ],
  ],
  [
    "2a. no monitor filters trace metrics on a tag trace metrics do not carry",
    "docs.datadoghq.com/tracing/metrics/metrics_namespace",
    (s, second) =>
      all(s, "datadog_monitor")
        .flatMap((m) => [...String(m.query).matchAll(/trace\.[a-z0-9_.]+\{([^}]*)\}/g)].flatMap((x) => x[1].split(",")))
        .filter((tag) => ![...TRACE_METRIC_TAGS, ...(second ? [second] : [])].includes(tag.split(":")[0]))
        .map((tag) => `filters trace metrics on ${tag}`),
  ],
  [
    "2b. no monitor that exists only during a rollout notifies on missing data or tells on-call",
    "docs.datadoghq.com/monitors/guide/on_missing_data",
    (s) =>
      all(s, "datadog_monitor")
        .filter((m) => (m.tags ?? []).includes("canary-gate"))
        .flatMap((m) => [
          ...(m.notify_no_data === true ? [`${m.name} notifies on no data`] : []),
          ...(String(m.message).includes(org.datadog.pagerHandle) ? [`${m.name} pages on-call`] : []),
        ]),
  ],
  [
    "2c. no gate divides by the stable error rate (usually 0)",
    "arithmetic: x / 0",
    (s) =>
      all(s, "datadog_monitor")
        .filter((m) => (m.tags ?? []).includes("canary-gate") && /errors/.test(m.query))
        // any division whose right-hand side starts with the stable series' errors, whatever the spacing
        .filter((m) => new RegExp(`/\\s*\\(\\s*\\(?\\s*sum:trace\\.[a-z0-9_.]+\\.errors\\{[^}]*${org.datadog.apmSecondPrimaryTag.stable}`).test(m.query))
        .map((m) => `${m.name} divides by the stable error rate`),
  ],
  [
    "3a. every namespace with sidecar injection lets its sidecars reach istiod (TCP 15012)",
    "istio.io ports used by Istio (15012: xDS and CA)",
    (s) => {
      const injected = labelsOf(s)[org.serviceMesh.injectionLabel] === org.serviceMesh.injectionValue;
      const cp = org.serviceMesh.controlPlane.namespace;
      const allowed = policies(s).some((p) =>
        (p.spec.egress ?? []).some((e: Json) => (e.ports ?? []).some((x: Json) => x.port === "15012") && JSON.stringify(e.to ?? []).includes(`"kubernetes.io/metadata.name":"${cp}"`)),
      );
      return injected && !allowed ? ["sidecars cannot reach istiod"] : [];
    },
  ],
  [
    "3b. Pod Security is pinned to a version",
    "kubernetes.io/docs/concepts/security/pod-security-admission (enforce-version)",
    (s) => (labelsOf(s)["pod-security.kubernetes.io/enforce-version"] ? [] : ["enforce-version not pinned"]),
  ],
  [
    "4. pods can send traces to the Datadog Agent (TCP 8126) under default-deny egress",
    "docs.datadoghq.com/containers/kubernetes/apm",
    (s) =>
      org.datadog.agent.transport === "socket" ||
      policies(s).some((p) =>
        (p.spec.egress ?? []).some(
          (e: Json) => (e.ports ?? []).some((x: Json) => x.port === "8126") && JSON.stringify(e.to ?? []).includes(`"kubernetes.io/metadata.name":"${org.datadog.agent.namespace}"`),
        ),
      )
        ? []
        : ["no egress to the Agent's pods on 8126"],
  ],
  [
    "5. the Vault provider creates no child token (a read-only plan token may not)",
    "registry.terraform.io/providers/hashicorp/vault/latest/docs#skip_child_token",
    (s) => ((s.provider?.vault ?? []).every((p: Json) => p.skip_child_token === true) ? [] : ["the provider would create a child token"]),
  ],
  [
    "7a. same-environment peers are selected by kubernetes.io/metadata.name, which only the API server sets",
    "kubernetes.io/docs/concepts/services-networking/network-policies",
    (s) =>
      policies(s)
        .filter((p) => p.metadata.name === "allow-same-environment")
        .flatMap((p) => (p.spec.ingress ?? []).flatMap((i: Json) => i.from))
        .filter((peer: Json) => !JSON.stringify(peer.namespace_selector ?? {}).includes("kubernetes.io/metadata.name"))
        .map(() => "peers selected by a label any namespace creator can set"),
  ],
  [
    "7b. Vault egress only for the pods that call Vault, ingress from the controller's pods to service ports only",
    "least privilege",
    (s) => [
      ...policies(s).filter((p) => p.metadata.name === "allow-vault-egress" && JSON.stringify(p.spec.pod_selector) === "{}").map(() => "every pod may reach Vault"),
      ...policies(s)
        .filter((p) => p.metadata.name === "allow-ingress-controller")
        .filter((p) => p.spec.ingress.some((i: Json) => !i.ports || i.from.some((f: Json) => !f.pod_selector)))
        .map(() => "the controller's whole namespace reaches every port"),
    ],
  ],
];

const before = (name: string): Json => JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "before-issue-10", `${name}.json`), "utf8"));

describe.each(["staging", "prod"])("%s", (name) => {
  const today = synthEnvironment(name).parsed as Json;
  const old = before(name);
  // the canary rules (2a–2c) bite where there is a canary gate: prod
  const rulesThatApply = RULES.filter(([rule]) => name === "prod" || !rule.startsWith("2"));

  it.each(rulesThatApply)("holds today: %s (%s)", (_rule, _source, check) => {
    expect(check(today, org.datadog.apmSecondPrimaryTag.key)).toEqual([]);
  });

  // before issue 10 the matrix declared no second primary tag: `track` was a span tag
  it.each(rulesThatApply)("fails on the output from before issue 10: %s", (_rule, _source, check) => {
    expect(check(old, undefined).length).toBeGreaterThan(0);
  });
});
