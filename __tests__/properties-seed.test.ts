/**
 * Invariants 5 and 6 of properties.test.ts, exhaustively over the seed matrix: every field of prod (or of the first
 * environment where another value is valid) and every organization field, changed alone, changes the synthesized
 * output of that environment's stacks and nothing else (or a named tool reads it).
 */
import { matrix as seedDefinition } from "../config/environments";
import type { MatrixDefinition } from "../config/types";
import { candidates, getPath, leafPaths, setPath } from "./arbitraries";
import { GATES, GATES_READ, changedStacks, load, mustChange, readByToolsOnly, synthAll, withClones } from "./properties-shared";

/** Organization fields no stack reads, and the tool that does (each tested there). */
const ORG_READ_BY_TOOLS_ONLY: Record<string, string> = {
  project: "every identity derives from it (namespace = <project>-<name>): trust-rules.test.ts refuses one without the other",
  "github.owningTeam": "codeowners (repository-files.test.ts)",
  "clusters.nonprod.host": "cluster-bootstrap: the Vault auth mount's kubernetes_host (vault-login.test.ts)",
  "clusters.prod.host": "cluster-bootstrap: the Vault auth mount's kubernetes_host (vault-login.test.ts)",
  "platform.namespace": "cluster-bootstrap and preflight (vault-login.test.ts, preflight.test.ts)",
  "platform.tokenReviewerServiceAccount": "cluster-bootstrap and preflight (vault-login.test.ts, preflight.test.ts)",
  "clusters.nonprod.caCertificatePem": "cluster-bootstrap: the Vault auth mount's kubernetes_ca_cert (vault-login.test.ts)",
  "vault.egressCidrMinPrefix": "checkMatrix: the narrowest Vault egress a matrix may open (trust-rules.test.ts)",
  "cost.currency": "cost, matrix and the budget rule (cost.test.ts)",
  "cost.vcpuHour": "cost, matrix and the budget rule (cost.test.ts)",
  "cost.gibHour": "cost, matrix and the budget rule (cost.test.ts)",
  "cost.hoursPerMonth": "cost, matrix and the budget rule (cost.test.ts)",
};

/** Optional organization fields the seed leaves out, with a value to set them to. */
const OPTIONAL_ORG_FIELDS: [string[], unknown[]][] = [
  [["clusters", "nonprod", "caCertificatePem"], ["-----BEGIN CERTIFICATE-----\nMIIBdummyPublicCaForTests\n-----END CERTIFICATE-----\n"]],
  [["vault", "caCertificatePem"], ["-----BEGIN CERTIFICATE-----\nMIIBdummyPublicCaForTests\n-----END CERTIFICATE-----\n"]],
  [["github", "actionsAppId"], [15369]],
  [["vault", "egressCidrMinPrefix"], [24, 28]],
  [["clusters", "nonprod", "dnsIpBlocks"], [["169.254.20.10/32"]]],
];

/**
 * Fields the rules tie to others, so no single edit of them is valid: the ties are set first (a valid matrix on
 * its own), then the field alone is changed.
 */
const COMPOUND: Record<string, { env: string; value: unknown; path?: string[]; prepare?: (d: any) => void }> = {
  // staging made protectable (reviewers, no self-review, no bypass, Secrets kept, paging) and given its own
  // cluster apart from dev's (a protected environment's cluster hosts only protected ones); then protected
  protected: {
    env: "staging",
    value: true,
    prepare: (d) => {
      Object.assign(d.environments.staging.approval, { reviewers: { teams: ["platform-leads"], users: [] }, preventSelfReview: true, adminsCanBypass: false, checklist: ["rollback plan documented"] });
      Object.assign(d.environments.staging.secrets, { creationPolicy: "Orphan", deletionPolicy: "Retain" });
      d.environments.staging.alerts.routing = "page";
      d.organization.clusters.staging = { context: "staging", host: "https://staging.k8s.example.internal:6443" };
      d.environments.staging.cluster = "staging";
    },
  },
  // a second protected cluster for prod (and its clone hotfix)
  cluster: { env: "prod", value: "prod-2", prepare: (d) => (d.organization.clusters["prod-2"] = { context: "prod-2", host: "https://prod-2.k8s.example.internal:6443" }) },
  // prod off the local backend waits on staging deployed first in the run: staging moves first (deployed-first-in-the-pipeline)
  "backend.type": {
    env: "prod",
    path: ["backend"],
    value: { type: "s3", bucket: "envmatrix-state", region: "eu-central-1", keyPrefix: "envmatrix" },
    prepare: (d) => (d.environments.staging.backend = { type: "s3", bucket: "envmatrix-state", region: "eu-central-1", keyPrefix: "envmatrix" }),
  },
  "approval.reviewers.users": { env: "prod", value: ["octocat"] },
  "deploymentWindow.timeZone": { env: "prod", value: "Europe/London" },
  // Delete takes an owned Secret (secret-deletion-owns-the-secret), and prod's is pinned (Orphan): staging keeps its
  // Secrets when a value leaves Vault, then stops owning them
  "secrets.creationPolicy": { env: "staging", value: "Orphan", prepare: (d) => (d.environments.staging.secrets.deletionPolicy = "Retain") },
  // the seed's pods dial the Agent's Service by name (tcp), and staging's and prod's sidecars dial istiod: DNS is
  // pinned (dns-where-names-are-dialled) until the Agent is reached over its socket, in dev (no sidecars)
  "network.allowDns": { env: "dev", value: false, prepare: (d) => (d.organization.datadog.agent.transport = "socket") },
  // prod's only critical tier: another monitor pages first (protected-tiers-page), then this one may be high
  "alerts.tiers.errorRate": { env: "prod", value: "high", prepare: (d) => (d.environments.prod.alerts.tiers = { ...d.environments.prod.alerts.tiers, latency: "critical" }) },
};

describe("for the seed matrix, exhaustively", () => {
  const base = synthAll(load(seedDefinition));
  // prod's fields: the environment with every optional block set (canary gate, SLOs, window, reviewers, a protected branch)
  const cases = leafPaths(seedDefinition.environments.prod)
    .filter((p) => p[0] !== "identity" && p[0] !== "purpose")
    .map((field) => [field.join("."), field] as const);

  it.each(cases)(`6. %s: another valid value, in prod or else the first environment where one is valid, changes the synthesized output (or a tool reads it)`, (dotted, field) => {
    let env: string;
    let before: MatrixDefinition = seedDefinition;
    let edited: MatrixDefinition;
    const compound = COMPOUND[dotted];
    if (compound) {
      // a field the rules tie to others: the others set first (valid on their own), then the field alone
      before = structuredClone(seedDefinition) as any;
      compound.prepare?.(before as any);
      env = compound.env;
      edited = { ...before, environments: { ...before.environments, [env]: setPath(before.environments[env], compound.path ?? field, compound.value) } };
    } else {
      // the rules pin some of prod's fields (protection, reviews, routing): the field is then varied where it may vary
      // the first environment in this order with a valid other value (looked for one environment at a time: a
      // matrix check per candidate is most of this test's time)
      let found: { env: string; valid: unknown } | undefined;
      for (const e of ["prod", "staging", "dev"]) {
        const valid = candidates(seedDefinition, e, field).find((v) => {
          try {
            load({ ...seedDefinition, environments: { ...seedDefinition.environments, [e]: setPath(seedDefinition.environments[e], field, v) } });
            return true;
          } catch {
            return false;
          }
        });
        if (valid !== undefined) {
          found = { env: e, valid };
          break;
        }
      }
      expect({ field: dotted, variable: found !== undefined }).toEqual({ field: dotted, variable: true });
      env = found!.env;
      edited = { ...seedDefinition, environments: { ...seedDefinition.environments, [env]: setPath(seedDefinition.environments[env], field, found!.valid) } };
    }
    const changed = changedStacks(before === seedDefinition ? base : synthAll(load(before)), synthAll(load(edited)));
    const allowed = [...withClones(before, env), ...(GATES_READ.includes(field[0]) ? [GATES] : [])];
    // an allowed environment's team stacks (splitByTeam: `<environment>-<team>`, no environment's name) are its own
    const teamOfAllowed = (s: string) => allowed.some((n) => s.startsWith(`${n}-`)) && !(s in before.environments) && !(s in edited.environments);
    expect({ dotted, outside: changed.filter((s) => !allowed.includes(s) && !teamOfAllowed(s)) }).toEqual({ dotted, outside: [] });
    if (readByToolsOnly(field)) expect(changed).toEqual([]);
    else if (mustChange(field, before.environments[env], edited.environments[env])) expect({ dotted, changed: changed.length > 0 }).toEqual({ dotted, changed: true });
  });

  const orgCases = [...leafPaths(seedDefinition.organization), ...OPTIONAL_ORG_FIELDS.map(([p]) => p)].map((p) => [p.join("."), p] as const);
  it.each(orgCases)("6. organization.%s: another valid value changes some stack (or a tool reads it)", (dotted, field) => {
    const current = getPath(seedDefinition.organization, field);
    const alternatives = [...(OPTIONAL_ORG_FIELDS.find(([p]) => p.join(".") === dotted)?.[1] ?? []), ...orgAlternatives(current, field)];
    const valid = alternatives.find((v) => {
      try {
        load({ ...seedDefinition, organization: setPath(seedDefinition.organization, field, v) });
        return true;
      } catch {
        return false;
      }
    });
    if (dotted in ORG_READ_BY_TOOLS_ONLY) return;
    // every field must have some other valid value to try, or the test proves nothing about it
    expect({ field: dotted, tried: alternatives, valid: valid !== undefined }).toEqual({ field: dotted, tried: alternatives, valid: true });
    const changed = changedStacks(base, synthAll(load({ ...seedDefinition, organization: setPath(seedDefinition.organization, field, valid) })));
    expect({ value: valid, changed: changed.length > 0 }).toEqual({ value: valid, changed: true });
  });
});

/** Other values for an organization field: a string suffixed or a URL's host changed, numbers moved, lists shortened or grown. */
function orgAlternatives(current: unknown, field: readonly string[]): unknown[] {
  if (field.join(".") === "gates.followsEnvironment") return ["staging", "hotfix"];
  if (field.join(".") === "datadog.apiUrl") return ["https://api.datadoghq.eu/"];
  if (typeof current === "number") return [current + 1, current * 2, current - 1].filter((x) => x > 0);
  if (typeof current === "boolean") return [!current];
  if (current === null) return field.at(-1) === "kvMountManagedBy" ? ["prod", "dev"] : [];
  if (Array.isArray(current)) return [[...current, "198.51.100.0/28"], current.slice(0, -1)];
  if (typeof current === "string") {
    if (/^https:\/\//.test(current)) return [current.replace("example", "example2"), current.replace(/\/$/, "") + "/x"];
    if (/^v\d+\.\d+$/.test(current)) return ["v1.30", "v1.32"];
    if (current.startsWith("@")) return [`${current}-2`];
    return [`${current}x`, `${current}-2`, current === "tcp" ? "socket" : current === "sidecar-cni" ? "ambient" : `${current}2`];
  }
  return [];
}
