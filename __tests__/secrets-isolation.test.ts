/** Each environment reads its own secrets and nothing else: checked for every ordered pair of environments. */
import { environmentNames, resolveReferences, seedMatrix, synthEnvironment } from "./helpers";
import { vaultPathMatches } from "./vault-paths";
import { policyRules, type PolicyRule } from "./vault-policy";

const mount = seedMatrix.organization.vault.kvMount;
const stacks = Object.fromEntries(environmentNames.map((n) => [n, resolveReferences(synthEnvironment(n))]));
// every stanza with all its attributes, parsed as Vault would (an extra stanza or attribute is seen)
const policies: Record<string, PolicyRule[]> = {};
beforeAll(async () => {
  for (const n of environmentNames) policies[n] = await policyRules(stacks[n].resource.vault_policy.policy.policy);
});
const policyOf = (name: string) => policies[name];
const roleOf = (name: string) => stacks[name].resource.vault_kubernetes_auth_backend_role.role;

describe("vaultPathMatches", () => {
  it.each([
    ["secret/data/dev/*", "secret/data/dev/api", true],
    ["secret/data/dev/*", "secret/data/dev/api/nested", true],
    ["secret/data/dev/*", "secret/data/dev2/api", false],
    ["secret/data/dev/*", "secret/data/staging/api", false],
    ["secret/data/+/api", "secret/data/prod/api", true],
    ["secret/data/dev", "secret/data/dev/api", false],
  ])("%s matches %s: %s", (pattern, path, expected) => expect(vaultPathMatches(pattern, path)).toBe(expected));
});

describe.each(environmentNames)("%s's Vault access", (name) => {
  const subtree = seedMatrix.environments[name].identity.vaultSubtree;

  it("reads values and lists metadata under its own subtree, and can do nothing else", () => {
    expect(policyOf(name)).toEqual([
      { path: `${mount}/data/${subtree}/*`, capabilities: ["read"] },
      { path: `${mount}/metadata/${subtree}/*`, capabilities: ["read", "list"] },
    ]);
    expect(vaultPathMatches(policyOf(name)[0].path, `${mount}/data/${subtree}/api`)).toBe(true);
  });

  it("is a role bound to the named secret-sync account in its own namespace, never a wildcard", () => {
    const role = roleOf(name);
    expect(role.bound_service_account_names).toEqual([seedMatrix.organization.secretSync.serviceAccount]);
    expect(role.bound_service_account_namespaces).toEqual([seedMatrix.environments[name].identity.namespace]);
    expect(role.token_policies).toEqual([stacks[name].resource.vault_policy.policy.name]);
    for (const v of [...role.bound_service_account_names, ...role.bound_service_account_namespaces]) expect(v).not.toContain("*");
    expect(role.token_ttl).toBeLessThanOrEqual(3600);
  });

  it("logs in through its cluster's auth mount, with a role of its own name", () => {
    expect(roleOf(name).backend).toBe(`${seedMatrix.organization.vault.authMountPrefix}${seedMatrix.environments[name].cluster}`);
    expect(roleOf(name).role_name).toBe(`${name}-secret-sync`);
  });
});

const pairs = environmentNames.flatMap((a) => environmentNames.filter((b) => b !== a).map((b) => [a, b] as const));

describe.each(pairs)("%s cannot reach %s", (a, b) => {
  const other = seedMatrix.environments[b].identity;

  it(`${a}'s policy grants nothing on ${b}'s subtree`, () => {
    const probes = ["api", "db/password", "x"].flatMap((p) => [
      `${mount}/data/${other.vaultSubtree}/${p}`,
      `${mount}/metadata/${other.vaultSubtree}/${p}`,
    ]);
    for (const rule of policyOf(a)) {
      for (const probe of probes) expect({ rule: rule.path, probe, matches: vaultPathMatches(rule.path, probe) }).toMatchObject({ matches: false });
    }
  });

  it(`${a}'s role cannot be used from ${b}'s namespace, and is not ${b}'s role`, () => {
    // environments on one cluster share its auth mount: the role's namespace binding keeps them apart
    expect(roleOf(a).bound_service_account_namespaces).not.toContain(other.namespace);
    expect(`${roleOf(a).backend}/${roleOf(a).role_name}`).not.toBe(`${roleOf(b).backend}/${roleOf(b).role_name}`);
  });

  it(`${a}'s ExternalSecrets read only ${a}'s subtree`, () => {
    const keys = Object.values<any>(stacks[a].resource.kubernetes_manifest)
      .filter((m) => m.manifest.kind === "ExternalSecret")
      .flatMap((m) => m.manifest.spec.dataFrom.map((d: any) => d.extract.key as string));
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key.startsWith(`${seedMatrix.environments[a].identity.vaultSubtree}/`)).toBe(true);
      expect(key.startsWith(`${other.vaultSubtree}/`)).toBe(false);
    }
  });
});
