/**
 * Matrix edits an attacker with write access would try, each refused with the field and the rule. Validation is
 * defence in depth (the credentials and branch rules are the wall), so each row is an edit that would otherwise
 * point one environment at another's objects, or open a path from unreviewed code to a deploy.
 */
import { githubEnvironmentOwner, matchesAnyBranch } from "../config/rules";
import { validateMatrix } from "../config/validate";
import { editableDefinition } from "./helpers";

type Edit = (m: any) => void;

/** [the attack, the edit, the path the problem must name, the words of the rule] */
const attacks: Array<[string, Edit, string, RegExp]> = [
  [
    "dev reads prod's secrets: dev's Vault subtree swapped to prod's (prod's renamed to pass uniqueness)",
    (m) => { m.environments.dev.identity.vaultSubtree = "prod"; m.environments.prod.identity.vaultSubtree = "prod-old"; },
    "environments.dev.identity.vaultSubtree",
    /"prod" is not "dev" \(the Vault subtree is the environment's name/,
  ],
  [
    "dev's stack PUTs production's gate: dev's GitHub environment swapped to production (prod's renamed)",
    (m) => { m.environments.dev.identity.githubEnvironment = "production"; m.environments.prod.identity.githubEnvironment = "prod-x"; },
    "environments.dev.identity.githubEnvironment",
    /"production" does not start with "dev" \(it reads as prod's/,
  ],
  [
    "dev's namespace pointed at prod's",
    (m) => { m.environments.dev.identity.namespace = "envmatrix-prod"; m.environments.prod.identity.namespace = "envmatrix-prod2"; },
    "environments.dev.identity.namespace",
    /"envmatrix-prod" is not "envmatrix-dev" \(a namespace is derived/,
  ],
  [
    "a GitHub environment named like the plan environments",
    (m) => (m.environments.staging.identity.githubEnvironment = "staging-plan"),
    "environments.staging.identity.githubEnvironment",
    /is reserved \(names ending in "-plan"/,
  ],
  [
    "dev deploys from any branch again, unreviewed",
    (m) => (m.environments.dev.identity.deployBranches = ["*"]),
    "environments.dev.identity.deployBranches[0]",
    /"\*" is not a reviewed branch/,
  ],
  [
    "dev deploys from feature/* (nobody reviews it)",
    (m) => (m.environments.dev.identity.deployBranches = ["develop", "feature/*"]),
    "environments.dev.identity.deployBranches[1]",
    /"feature\/\*" is not a reviewed branch/,
  ],
  [
    "the branch dev and staging deploy from loses its required review",
    (m) => (m.environments.staging.approval.requiredApprovingReviews = 0),
    "environments.dev.identity.deployBranches[0]",
    /"develop" is not a reviewed branch/,
  ],
  [
    "prod with no protected branch",
    (m) => { m.environments.prod.identity.protectedBranch = null; },
    "environments.prod.identity.protectedBranch",
    /null is not allowed \(a protected environment protects the branch it deploys from\)/,
  ],
  [
    "hotfix deploying from every branch one level down",
    (m) => { m.environments.hotfix.identity.deployBranches = ["*/*"]; m.environments.hotfix.identity.protectedBranch = "*/*"; },
    "environments.hotfix.identity.deployBranches[0]",
    /"\*\/\*" is not allowed \(a protected environment deploys only from named branches\)/,
  ],
  [
    "hotfix/* creatable by anyone with write access",
    (m) => { delete m.environments.hotfix.identity.branchCreators; },
    "environments.hotfix.identity.branchCreators",
    /is missing \(a protected environment that protects the pattern "hotfix\/\*" names who may create such branches/,
  ],
  [
    "staging moved onto prod's cluster",
    (m) => (m.environments.staging.cluster = "prod"),
    "environments.staging.cluster",
    /"prod" hosts the protected prod, hotfix \(a cluster that hosts a protected environment hosts only protected environments\)/,
  ],
  [
    "hotfix left out of the promotion order",
    (m) => (m.promotionOrder = ["dev", "staging", "prod"]),
    "promotionOrder",
    /does not list hotfix \(every protected environment is in the promotion order/,
  ],
  [
    "the KV mount (every environment's secrets) owned by dev",
    (m) => (m.organization.vault.kvMountManagedBy = "dev"),
    "organization.vault.kvMountManagedBy",
    /"dev" is not a protected environment/,
  ],
  [
    "Vault reached over plain http (tokens in clear)",
    (m) => (m.organization.vault.address = "http://vault.example.internal:8200"),
    "organization.vault.address",
    /is not an https URL/,
  ],
  [
    "a cluster's API server over plain http",
    (m) => (m.organization.clusters.nonprod.host = "http://nonprod.k8s.example.internal:6443"),
    "organization.clusters.nonprod.host",
    /is not an https URL/,
  ],
  [
    "runbooks over plain http",
    (m) => (m.organization.datadog.runbookBaseUrl = "http://runbooks.example.internal"),
    "organization.datadog.runbookBaseUrl",
    /is not an https URL/,
  ],
  [
    "egress \"to Vault\" opened to the whole internet",
    (m) => (m.organization.vault.egressCidrs = ["0.0.0.0/0"]),
    "organization.vault.egressCidrs[0]",
    /"0\.0\.0\.0\/0" is wider than \/24/,
  ],
  [
    "egress to Vault a /16 wide",
    (m) => (m.organization.vault.egressCidrs = ["10.0.0.0/16"]),
    "organization.vault.egressCidrs[0]",
    /wider than \/24/,
  ],
  [
    "the gates applied like an unprotected environment",
    (m) => (m.organization.gates.followsEnvironment = "dev"),
    "organization.gates.followsEnvironment",
    /"dev" is not a protected environment/,
  ],
  [
    "an environment named like the gates stack",
    (m) => { m.environments.gates = m.environments.dev; },
    "environments.gates",
    /"gates" is the name of envmatrix's own stack/,
  ],
  [
    "the gates' GitHub environment named like an environment's",
    (m) => (m.organization.gates.githubEnvironment = "prod-gates"),
    "organization.gates.githubEnvironment",
    /starts with the environment prod's name/,
  ],
];

describe("security-relevant bad edits", () => {
  it("are at least twelve", () => expect(attacks.length).toBeGreaterThanOrEqual(12));

  it.each(attacks)("%s: refused", (_what, edit, path, rule) => {
    const m = editableDefinition();
    edit(m);
    const problems = validateMatrix(m);
    const at = problems.filter((p) => p.path === path);
    expect(at.map((p) => p.message)).toEqual(expect.arrayContaining([expect.stringMatching(rule)]));
  });

  it("the seed matrix passes every one of these rules", () => expect(validateMatrix(editableDefinition())).toEqual([]));

  it("an egress bound the organization sets is honoured", () => {
    const m = editableDefinition();
    m.organization.vault.egressCidrMinPrefix = 28;
    m.organization.vault.egressCidrs = ["192.0.2.0/27"];
    expect(validateMatrix(m)).toEqual([{ path: "organization.vault.egressCidrs[0]", message: expect.stringMatching(/is wider than \/28/) }]);
  });
});

describe("whose name is it: the longest environment name a GitHub environment starts with", () => {
  // two environments whose names begin alike, the shorter first (the order a matrix may list them in)
  const m = { environments: { prod: {}, production: {}, dev: {} } } as any;

  it("reads production-eu as production's, not prod's, and prod-eu as prod's", () => {
    expect(githubEnvironmentOwner(m, "production-eu")).toBe("production");
    expect(githubEnvironmentOwner(m, "prod-eu")).toBe("prod");
    expect(githubEnvironmentOwner(m, "dev")).toBe("dev");
  });

  it("reads a name that only ends with, or contains, an environment's as nobody's", () => {
    expect(githubEnvironmentOwner(m, "eu-prod")).toBeUndefined();
    expect(githubEnvironmentOwner(m, "gates")).toBeUndefined();
  });
});

describe("a branch pattern that matches any branch (refused for protected environments)", () => {
  it.each(["*", "**", "*/*", "**/*", "/*"])("%s matches any branch", (pattern) => expect(matchesAnyBranch(pattern)).toBe(true));
  // a pattern with a named part matches only branches with that part: not every branch
  it.each(["main", "release/*", "*/main", "*-hotfix", "hotfix/**"])("%s does not", (pattern) => expect(matchesAnyBranch(pattern)).toBe(false));
});
