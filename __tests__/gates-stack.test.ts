/**
 * The gates stack: every environment's GitHub gates and each deployer's Vault access, checked against the
 * matrix (expected values are the matrix's, never the stack's), and against how Vault will judge the writes of
 * each environment's deploy (policies parsed with cdktf's own HCL parser, not a regex).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { Testing } from "cdktf";
import { GatesStack } from "../stacks/gates-stack";
import { environmentNames, resolveReferences, seedMatrix, synthEnvironment, tosetValues } from "./helpers";
import { testApp } from "./scratch";
import type { Matrix } from "../config/types";
import { vaultPathMatches } from "./vault-paths";
import { policyByPath, policyRules, type PolicyRule } from "./vault-policy";
import { kubernetesAuthRoleWrite, vaultAllows } from "./vault-acl";

const org = seedMatrix.organization;
const synthGates = (m: Matrix = seedMatrix) => JSON.parse(Testing.synth(new GatesStack(testApp(), m)));
const gates = synthGates();
const res = (type: string, address: string) => {
  const r = gates.resource[type]?.[address];
  if (r === undefined) throw new Error(`no ${type}.${address} in the gates stack`);
  return r;
};

type PolicyStanza = { capabilities: string[]; allowed_parameters?: Record<string, unknown[]>; denied_parameters?: Record<string, unknown[]> };
/** The stanzas by path (a path declared twice, or a block other than `path`, throws). */
const policy = (hcl: string) => policyByPath(hcl) as Promise<Record<string, PolicyStanza & PolicyRule>>;


describe("the gates stack", () => {
  it("administers GitHub and writes Vault policies with tokens from the environment only", () => {
    expect(gates.provider.github).toEqual([{ owner: org.github.owner }]);
    expect(gates.provider.vault).toEqual([{ address: org.vault.address, skip_child_token: true }]);
    expect(Object.keys(gates.provider).sort()).toEqual(["github", "vault"]);
  });
  it(`is applied like ${org.gates.followsEnvironment}: its own GitHub environment takes ${org.gates.followsEnvironment}'s reviewers, branches and rules`, () => {
    const f = seedMatrix.environments[org.gates.followsEnvironment];
    expect(res("github_repository_environment", "gates_deploy_environment")).toMatchObject({
      environment: org.gates.githubEnvironment,
      can_admins_bypass: f.approval.adminsCanBypass,
      prevent_self_review: f.approval.preventSelfReview,
      deployment_branch_policy: { protected_branches: false, custom_branch_policies: true },
      lifecycle: { prevent_destroy: true },
    });
    expect(tosetValues(gates.data.github_team.gates_deploy_reviewer_team.for_each)).toEqual(f.approval.reviewers.teams);
    expect(tosetValues(res("github_repository_environment_deployment_policy", "gates_deploy_deployment_branch").for_each)).toEqual(f.identity.deployBranches);
  });
});

/** The variables of the GitHub environment at `<prefix>_environment` (its variables are `<prefix>_variable_<name>`), by name. */
const variablesOf = (g: any, prefix: string): Record<string, string> =>
  Object.fromEntries(
    Object.entries<any>(g.resource.github_actions_environment_variable)
      .filter(([a]) => a.startsWith(`${prefix}_variable_`))
      .map(([, v]) => [v.variable_name, v.value]),
  );

describe("the branch rulesets", () => {
  it("have names unique in the repository (GitHub refuses a second ruleset of the same name), each naming its branch and environment", () => {
    const names = Object.values<any>(gates.resource.github_repository_ruleset).map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    for (const [name, e] of Object.entries(seedMatrix.environments).filter(([, e]) => e.identity.protectedBranch !== null)) {
      const ruleset: string = res("github_repository_ruleset", `${name}_branch_ruleset`).name;
      expect([ruleset.startsWith("envmatrix: "), ruleset.includes(` ${e.identity.protectedBranch} `), ruleset.endsWith(`(${name})`)]).toEqual([true, true, true]);
    }
  });
});

describe("the gates' own environments", () => {
  const f = seedMatrix.environments[org.gates.followsEnvironment];
  it("log in as the gates' roles that README's Bootstrap has an administrator write once, deploy and plan apart", () => {
    const login = (role: string) => ({ VAULT_ADDR: org.vault.address, VAULT_JWT_MOUNT: org.vault.githubJwtMount, VAULT_ROLE: role });
    expect(variablesOf(gates, "gates_deploy")).toEqual(login(`${org.project}-gates-deployer`));
    expect(variablesOf(gates, "gates_plan")).toEqual(login(`${org.project}-gates-planner`));
  });
  it(`plan from ${org.gates.followsEnvironment}'s branches and the default branch, with no reviewers`, () => {
    const plan = res("github_repository_environment", "gates_plan_environment");
    expect(plan).toMatchObject({ environment: `${org.gates.githubEnvironment}-plan`, wait_timer: 0, can_admins_bypass: false, prevent_self_review: false });
    expect(plan.reviewers).toBeUndefined();
    expect(new Set(tosetValues(res("github_repository_environment_deployment_policy", "gates_plan_deployment_branch").for_each))).toEqual(new Set([...f.identity.deployBranches, org.github.defaultBranch]));
  });
  it("say so when the environment they follow keeps its state on the local backend, naming organization.gates", () => {
    const stack = new GatesStack(testApp(), seedMatrix);
    Testing.synth(stack);
    const warnings = stack.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
    expect(warnings).toEqual(
      f.protected && f.backend.type === "local" ? [expect.stringMatching(new RegExp(`^organization\\.gates \\(environments\\.${org.gates.followsEnvironment}\\.backend\\): protected environment on the local backend`))] : [],
    );
  });
});

describe("a private Vault CA reaches every job that logs in to Vault: VAULT_CACERT_BASE64 beside VAULT_ADDR (vault-action's caCertificate takes base64, action.yml v3.4.0; the jobs decode it for VAULT_CACERT)", () => {
  const pem = "-----BEGIN CERTIFICATE-----\nMIIBdummyPublicCaForTests\n-----END CERTIFICATE-----\n";
  const m = structuredClone(seedMatrix) as any;
  m.organization.vault.caCertificatePem = pem;
  const g = synthGates(m);
  const loginEnvironments = (x: any) =>
    Object.values<any>(x.resource.github_actions_environment_variable)
      .filter((v) => v.variable_name === "VAULT_ADDR")
      .map((v) => v.environment);
  it("set: every environment with VAULT_ADDR has it, and it decodes to the matrix's PEM", () => {
    const withCa = Object.values<any>(g.resource.github_actions_environment_variable).filter((v) => v.variable_name === "VAULT_CACERT_BASE64");
    expect(withCa.map((v) => v.environment).sort()).toEqual(loginEnvironments(g).sort());
    expect(withCa.length).toBeGreaterThan(environmentNames.length);
    for (const v of withCa) expect(Buffer.from(v.value, "base64").toString("utf8")).toBe(pem);
  });
  it("unset (the seed): no such variable (the jobs then trust the public CAs, as vault-action and the provider do by default)", () => {
    expect(seedMatrix.organization.vault.caCertificatePem).toBeUndefined();
    expect(loginEnvironments(gates).length).toBeGreaterThan(0);
    expect(Object.values<any>(gates.resource.github_actions_environment_variable).filter((v) => v.variable_name === "VAULT_CACERT_BASE64")).toEqual([]);
  });
});

describe("on an S3 backend: deploy and plan jobs get the region and their own IAM role to assume (deploy.yml's configure-aws-credentials reads vars.AWS_ROLE_ARN and vars.AWS_REGION)", () => {
  const m = structuredClone(seedMatrix) as any;
  const arn = (kind: string, env: string) => `arn:aws:iam::123456789012:role/envmatrix-${kind}-${env}`;
  for (const [name, e] of Object.entries<any>(m.environments)) {
    e.backend = { type: "s3", bucket: "acme-tfstate", region: `eu-west-${name.length}`, keyPrefix: "envmatrix", deployRoleArn: arn("deploy", name), planRoleArn: arn("plan", name) };
  }
  m.environments.dev.backend = { type: "s3", bucket: "acme-tfstate", region: "us-east-1", keyPrefix: "envmatrix" };
  const g = synthGates(m);
  it.each(environmentNames.filter((n) => n !== "dev"))("%s: its region, the deploy role in the deploy environment, the plan role in the plan environment", (name) => {
    expect(variablesOf(g, `${name}_deploy`)).toMatchObject({ AWS_REGION: `eu-west-${name.length}`, AWS_ROLE_ARN: arn("deploy", name) });
    expect(variablesOf(g, `${name}_plan`)).toMatchObject({ AWS_REGION: `eu-west-${name.length}`, AWS_ROLE_ARN: arn("plan", name) });
  });
  it("without roles in the matrix: the region only (the job's own AWS credentials)", () => {
    for (const kind of ["deploy", "plan"]) {
      const vars = variablesOf(g, `dev_${kind}`);
      expect([vars.AWS_REGION, "AWS_ROLE_ARN" in vars]).toEqual(["us-east-1", false]);
    }
  });
  it(`the gates' own environments: ${org.gates.followsEnvironment}'s region and roles`, () => {
    const f = org.gates.followsEnvironment;
    expect(variablesOf(g, "gates_deploy")).toMatchObject({ AWS_REGION: `eu-west-${f.length}`, AWS_ROLE_ARN: arn("deploy", f) });
    expect(variablesOf(g, "gates_plan")).toMatchObject({ AWS_REGION: `eu-west-${f.length}`, AWS_ROLE_ARN: arn("plan", f) });
  });
  it("on the local backend (the seed): no AWS variable at all", () => {
    const names = Object.values<any>(gates.resource.github_actions_environment_variable).map((v) => v.variable_name);
    expect(names.filter((n) => n.startsWith("AWS_"))).toEqual([]);
  });
});

describe("the review app's environment", () => {
  it("admits only the default branch and holds the review app's id as a variable", () => {
    expect(res("github_repository_environment", "gates_review_environment")).toMatchObject({
      environment: org.github.reviewApp.environment,
      deployment_branch_policy: { protected_branches: false, custom_branch_policies: true },
    });
    expect(tosetValues(res("github_repository_environment_deployment_policy", "gates_review_deployment_branch").for_each)).toEqual([org.github.defaultBranch]);
    // the variable's environment is a reference to the review environment (created first)
    const variables = Object.values<any>(gates.resource.github_actions_environment_variable).filter((v) => v.environment === "${github_repository_environment.gates_review_environment.environment}");
    expect(variables.map((v) => [v.variable_name, v.value])).toEqual([["REVIEW_APP_ID", `${org.github.reviewApp.appId}`]]);
  });
});

describe.each(environmentNames)("%s's gates", (name) => {
  const e = seedMatrix.environments[name];
  const deployEnv = res("github_repository_environment", `${name}_deploy_environment`);
  const planEnv = res("github_repository_environment", `${name}_plan_environment`);

  it(`deploys through GitHub environment "${e.identity.githubEnvironment}" with the matrix's protection rules`, () => {
    expect(deployEnv).toMatchObject({
      repository: org.github.repository,
      environment: e.identity.githubEnvironment,
      wait_timer: e.approval.waitTimerMinutes,
      can_admins_bypass: e.approval.adminsCanBypass,
      prevent_self_review: e.approval.preventSelfReview,
    });
    const reviewerCount = e.approval.reviewers.teams.length + e.approval.reviewers.users.length;
    expect(deployEnv.reviewers === undefined).toBe(reviewerCount === 0);
    // one reviewers block naming the looked-up team and user ids (the provider wants numeric ids)
    if (reviewerCount > 0) expect(deployEnv.reviewers).toEqual([{ teams: expect.stringContaining("github_team"), users: expect.stringContaining("github_user") }]);
    expect(tosetValues(gates.data.github_team[`${name}_deploy_reviewer_team`].for_each)).toEqual(e.approval.reviewers.teams);
    expect(tosetValues(gates.data.github_user[`${name}_deploy_reviewer_user`].for_each)).toEqual(e.approval.reviewers.users);
  });

  it(`lets only ${e.identity.deployBranches.join(", ")} reach its deploy secrets`, () => {
    expect(deployEnv.deployment_branch_policy).toEqual({ protected_branches: false, custom_branch_policies: true });
    const policy = res("github_repository_environment_deployment_policy", `${name}_deploy_deployment_branch`);
    expect(tosetValues(policy.for_each)).toEqual(e.identity.deployBranches);
    expect(policy.branch_pattern).toBe("${each.value}");
  });

  it(`keeps read-only plan credentials in "${e.identity.githubEnvironment}-plan": no reviewers, the same branches and the default branch`, () => {
    expect(planEnv).toMatchObject({ environment: `${e.identity.githubEnvironment}-plan`, wait_timer: 0, can_admins_bypass: false, prevent_self_review: false });
    expect(variablesOf(gates, `${name}_plan`).VAULT_ROLE).toBe(`${org.project}-${name}-planner`);
    expect(planEnv.reviewers).toBeUndefined();
    expect(planEnv.deployment_branch_policy).toEqual({ protected_branches: false, custom_branch_policies: true });
    const branches = tosetValues(res("github_repository_environment_deployment_policy", `${name}_plan_deployment_branch`).for_each);
    expect(new Set(branches)).toEqual(new Set([...e.identity.deployBranches, org.github.defaultBranch]));
  });

  it("gives deploy jobs the environment's non-secret variables", () => {
    const vars = Object.fromEntries(
      Object.entries<any>(gates.resource.github_actions_environment_variable)
        .filter(([a]) => a.startsWith(`${name}_deploy_`))
        .map(([, v]) => [v.variable_name, v.value]),
    );
    expect(vars).toEqual({
      ENVMATRIX_ENVIRONMENT: name,
      ENVMATRIX_NAMESPACE: e.identity.namespace,
      KUBE_CONTEXT: org.clusters[e.cluster].context,
      VAULT_ADDR: org.vault.address,
      VAULT_JWT_MOUNT: org.vault.githubJwtMount,
      VAULT_ROLE: `${org.project}-${name}-deployer`,
      DD_ENV: name,
    });
  });

  const branch = e.identity.protectedBranch;
  if (branch === null) {
    it("protects no branch (the one it deploys from is protected by another environment)", () => {
      expect(gates.resource.github_repository_ruleset[`${name}_branch_ruleset`]).toBeUndefined();
    });
  } else {
    const ruleset = res("github_repository_ruleset", `${name}_branch_ruleset`);
    it(`protects ${branch} with a ruleset: ${e.approval.requiredApprovingReviews} review(s) incl. code owners, after the last push, checks pinned to GitHub Actions`, () => {
      expect(ruleset).toMatchObject({
        repository: org.github.repository,
        target: "branch",
        enforcement: "active",
        conditions: { ref_name: { exclude: [] } },
        rules: {
          // a branch the branch app makes (hotfix/x) it deletes (the creation ruleset); a named one nobody deletes
          deletion: e.identity.branchCreators === undefined,
          non_fast_forward: !e.approval.allowForcePushes,
          pull_request: {
            required_approving_review_count: e.approval.requiredApprovingReviews,
            dismiss_stale_reviews_on_push: e.approval.dismissStaleReviews,
            require_code_owner_review: true,
            require_last_push_approval: true,
          },
        },
      });
      // the branch, and every branch the deployer role's `ref` glob admits beside it (Vault's `*` spans `/`)
      expect(ruleset.conditions.ref_name.include).toContain(`refs/heads/${branch}`);
      for (const ref of globSamples(`refs/heads/${branch}`)) expect([ref, ruleset.conditions.ref_name.include.some((p: string) => fnmatchPathname(p, ref))]).toEqual([ref, true]);
      expect(ruleset.conditions.ref_name.include.some((p: string) => fnmatchPathname(p, "refs/heads/writer-branch"))).toBe(false);
      // a check named only by context can be posted by any writer through the statuses API; and any workflow
      // posts as GitHub Actions, so the review's verdict is pinned to the review app
      // a branch its creators make starts at a commit the checks did not run on (the default branch's merge commit)
      expect(ruleset.rules.required_status_checks.do_not_enforce_on_create).toBe((e.identity.branchCreators ?? []).length > 0 ? true : undefined);
      expect(ruleset.rules.required_status_checks.required_check).toEqual([
        ...e.approval.requiredStatusChecks.map((context) => ({ context, integration_id: 15368 })),
        // the verdict for a base this ruleset covers, named after its pattern (a verdict judged against another base
        // does not count here)
        { context: `envmatrix review (${branch})`, integration_id: org.github.reviewApp.appId },
      ]);
    });
    it(e.approval.adminsCanBypass ? "lets repository admins bypass it" : "lets nobody bypass it", () => {
      expect(ruleset.bypass_actors).toEqual(e.approval.adminsCanBypass ? [{ actor_type: "RepositoryRole", actor_id: 5, bypass_mode: "always" }] : []);
    });
    const creators = e.identity.branchCreators ?? [];
    it(creators.length > 0 ? `lets only the branch app create and delete ${branch} branches, once ${creators.join(", ")} approve, from the default branch` : `leaves creating ${branch} unrestricted (a single named branch)`, () => {
      const creation = res("github_repository_ruleset", `${name}_branch_creation`);
      expect(creation.count).toBe(creators.length > 0 ? 1 : 0);
      expect(creation.rules).toEqual({ creation: true, deletion: true });
      // every branch the deployer and planner roles admit (Vault's glob `*` spans `/`; GitHub's pattern `*` does not):
      // a writer may create none of them, so none can log in as the environment before the gates stack made it
      expect(creation.conditions.ref_name.include).toEqual(ruleset.conditions.ref_name.include);
      const roleRef = res("vault_jwt_auth_backend_role", `${name}_vault_deploy_role`).bound_claims.ref.split(",");
      for (const ref of roleRef.flatMap(globSamples)) {
        const inRuleset = creation.conditions.ref_name.include.some((p: string) => fnmatchPathname(p, ref));
        expect([ref, inRuleset || ref === `refs/heads/${org.github.defaultBranch}`]).toEqual([ref, true]);
      }
      // the app alone: a team would choose the commit, and a push runs the workflow files of the commit pushed
      expect(creation.bypass_actors).toEqual(creators.length > 0 ? [{ actor_type: "Integration", actor_id: org.github.branchApp!.appId, bypass_mode: "always" }] : []);
      const branches = gates.resource.github_repository_environment[`${name}_branches_environment`];
      if (creators.length === 0) return expect(branches).toBeUndefined();
      // where the app's key lives: the creators approve there, and only the default branch's workflow gets in
      expect(branches).toMatchObject({ environment: `${e.identity.githubEnvironment}-branches`, can_admins_bypass: false, prevent_self_review: false, wait_timer: 0 });
      expect(tosetValues(gates.data.github_team[`${name}_branches_reviewer_team`].for_each)).toEqual(creators);
      expect(tosetValues(res("github_repository_environment_deployment_policy", `${name}_branches_deployment_branch`).for_each)).toEqual([org.github.defaultBranch]);
      expect(variablesOf(gates, `${name}_branches`)).toEqual({ BRANCH_APP_ID: `${org.github.branchApp!.appId}`, ENVMATRIX_ENVIRONMENT: name });
    });
  }

  it(e.protected ? "sets prevent_destroy on its gates, rulesets and deployer access" : "sets prevent_destroy on none of its gates", () => {
    const mine = Object.entries<Record<string, any>>(gates.resource).flatMap(([type, byName]) =>
      Object.entries(byName).filter(([a]) => a.startsWith(`${name}_`)).map(([a, r]) => [`${type}.${a}`, r.lifecycle?.prevent_destroy === true] as const),
    );
    const guarded = mine.filter(([, g]) => g).map(([a]) => a);
    const expected = mine
      .map(([a]) => a)
      .filter((a) => /^(github_repository_environment|github_repository_ruleset|vault_policy|vault_jwt_auth_backend_role)\./.test(a));
    expect(guarded.sort()).toEqual(e.protected ? expected.sort() : []);
  });

  describe("its deployer's Vault access", () => {
    // references resolved to the values Terraform will send (the namespace's name, the policy's name)
    const stack = resolveReferences(synthEnvironment(name));
    const readPolicy = stack.resource.vault_policy.policy;
    const role = stack.resource.vault_kubernetes_auth_backend_role.role;
    const authMount = role.backend;
    const deploy = res("vault_policy", `${name}_vault_deploy_policy`);
    const plan = res("vault_policy", `${name}_vault_plan_policy`);
    const rolePath = `auth/${authMount}/role/${role.role_name}`;

    it("opens each policy with a comment naming the stack it serves and its writer, the gates stack (what `vault policy read` shows)", () => {
      const namespace = role.bound_service_account_namespaces[0];
      expect(deploy.policy.split("\n")[0]).toMatch(new RegExp(`^# deploy of the ${namespace} stack's .*, written by envmatrix's gates stack$`));
      expect(plan.policy.split("\n")[0]).toMatch(new RegExp(`^# read-only plan of the ${namespace} stack's .*, written by envmatrix's gates stack$`));
    });

    it("plans by reading exactly what its stack manages and what preflight checks: no more, no less", async () => {
      expect(Object.keys(await policy(plan.policy)).sort()).toEqual([
        // refresh: vault_policy GETs sys/policies/acl/:name, vault_kubernetes_auth_backend_role GETs auth/:mount/role/:name
        `sys/policies/acl/${readPolicy.name}`,
        `auth/${authMount}/role/${role.role_name}`,
        // review/preflight.ts: the KV mount's version (GET sys/mounts/:path) and the cluster mount's config
        `sys/mounts/${org.vault.kvMount}`,
        `auth/${authMount}/config`,
        // and whether each service's secret is written: its KV v2 metadata (GET :mount/metadata/:path), where the
        // service's ExternalSecret reads (README "Secrets": secret/<env>/<service>)
        ...seedMatrix.services.map((s) => `${org.vault.kvMount}/metadata/${e.identity.vaultSubtree}/${s.name}`),
      ].sort());
    });

    it("may read no secret value: its own data paths are not among the planner's, only their metadata", async () => {
      const p = await policyRules(plan.policy);
      for (const s of seedMatrix.services) {
        expect(vaultAllows(p, "read", `${org.vault.kvMount}/data/${e.identity.vaultSubtree}/${s.name}`)).toBe(false);
        expect(vaultAllows(p, "read", `${org.vault.kvMount}/metadata/${e.identity.vaultSubtree}/${s.name}`)).toBe(true);
        expect(vaultAllows(p, "list", `${org.vault.kvMount}/metadata/${e.identity.vaultSubtree}/${s.name}`)).toBe(false);
      }
    });

    it("deploys by creating, reading, updating and deleting its read policy and its role, and nothing else", async () => {
      // Terraform creates and updates with a write (Vault asks `create` of a new path, `update` of an existing
      // one), refreshes with a read and destroys with a delete (developer.hashicorp.com/vault/docs/concepts/policies, "Capabilities")
      const p = await policy(deploy.policy);
      const crud = ["create", "delete", "read", "update"];
      expect(Object.fromEntries(Object.entries(p).map(([path, stanza]) => [path, [...stanza.capabilities].sort()]))).toEqual({
        [`sys/policies/acl/${readPolicy.name}`]: crud,
        [`auth/${authMount}/role/${role.role_name}`]: crud,
      });
      expect(p[`sys/policies/acl/${readPolicy.name}`].denied_parameters).toBeUndefined();
    });

    it("may write its read policy with exactly the text its environment stack writes, and no other", async () => {
      const p = await policy(deploy.policy);
      expect(p[`sys/policies/acl/${readPolicy.name}`].allowed_parameters).toEqual({ policy: [readPolicy.policy] });
    });

    it("writes nothing that is the cluster's: not the auth mount, not its config", async () => {
      const p = await policy(deploy.policy);
      for (const path of [`sys/auth/${authMount}`, `auth/${authMount}/config`]) {
        expect(Object.keys(p).filter((pattern) => vaultPathMatches(pattern, path))).toEqual([]);
      }
    });

    it("may give its role only its own read policy, namespace and service account: the values its stack writes", async () => {
      const p = await policy(deploy.policy);
      // each value alone and as the whole list: the provider sends lists, and Vault before 1.21 compares a
      // list parameter as one value (per-element matching came with 1.21)
      const both = (v: string) => [v, [v]];
      expect(p[rolePath].allowed_parameters).toEqual({
        token_policies: both(readPolicy.name),
        policies: both(readPolicy.name),
        bound_service_account_names: role.bound_service_account_names.flatMap((v: string) => both(v)),
        bound_service_account_namespaces: role.bound_service_account_namespaces.flatMap((v: string) => both(v)),
        audience: [role.audience],
        // no namespace selector: only "", which the provider sends when there is none
        bound_service_account_namespace_selector: [""],
        "*": [],
      });
      expect(p[rolePath].denied_parameters).toBeUndefined();
      expect(role.token_policies).toEqual([readPolicy.name]);
    });

    // The request bodies the vault provider sends, judged as Vault judges them (vault-acl.ts): a policy that reads
    // right but refuses the provider's own write fails every apply with "permission denied"
    const modes = [{ legacyListMatching: false }, { legacyListMatching: true }];
    it("may create, update, read and delete its role exactly as the vault provider writes it (5.6.0 always sends the namespace selector, \"\" when unset), on Vault before and after 1.21's list matching", async () => {
      const rules = await policyRules(deploy.policy);
      const create = kubernetesAuthRoleWrite(role, true);
      expect(create.bound_service_account_namespace_selector).toBe("");
      for (const mode of modes) {
        expect(vaultAllows(rules, "create", rolePath, create, mode)).toBe(true);
        // a TTL changed in the matrix: the update sends it, the names, the namespaces and the selector
        expect(vaultAllows(rules, "update", rolePath, kubernetesAuthRoleWrite({ ...role, token_ttl: role.token_ttl * 2 }, false, ["token_ttl"]), mode)).toBe(true);
        expect(vaultAllows(rules, "read", rolePath, {}, mode)).toBe(true);
        expect(vaultAllows(rules, "delete", rolePath, {}, mode)).toBe(true);
      }
    });

    it.each([
      ["another namespace", { bound_service_account_namespaces: [`${role.bound_service_account_namespaces[0]}-other`] }],
      ["a second namespace", { bound_service_account_namespaces: [...role.bound_service_account_namespaces, "kube-system"] }],
      ["namespaces by label (a selector)", { bound_service_account_namespace_selector: '{"matchLabels":{"team":"any"}}' }],
      ["another service account", { bound_service_account_names: ["default"] }],
      ["any service account", { bound_service_account_names: ["*"] }],
      ["another policy", { token_policies: ["root"] }],
      ["a second policy", { token_policies: [readPolicy.name, "admin"] }],
      ["another audience", { audience: "https://kubernetes.default.svc" }],
    ])("may not widen its role: %s", async (_what, change) => {
      const rules = await policyRules(deploy.policy);
      for (const mode of modes) {
        expect(vaultAllows(rules, "create", rolePath, kubernetesAuthRoleWrite({ ...role, ...change }, true), mode)).toBe(false);
        expect(vaultAllows(rules, "update", rolePath, kubernetesAuthRoleWrite({ ...role, ...change }, false, Object.keys(change)), mode)).toBe(false);
      }
    });

    it("may write its read policy with exactly its stack's text (the provider PUTs sys/policies/acl/:name with {policy}), and no other", async () => {
      const rules = await policyRules(deploy.policy);
      const at = `sys/policies/acl/${readPolicy.name}`;
      for (const mode of modes) {
        for (const op of ["create", "update"] as const) {
          expect(vaultAllows(rules, op, at, { policy: readPolicy.policy }, mode)).toBe(true);
          expect(vaultAllows(rules, op, at, { policy: `${readPolicy.policy}path "secret/data/*" {\n  capabilities = ["read"]\n}\n` }, mode)).toBe(false);
        }
      }
      // and the planner reads both objects, writes neither
      const planRules = await policyRules(plan.policy);
      for (const path of [at, rolePath]) {
        expect(vaultAllows(planRules, "read", path)).toBe(true);
        expect(vaultAllows(planRules, "update", path, path === at ? { policy: readPolicy.policy } : kubernetesAuthRoleWrite(role, false))).toBe(false);
      }
    });

    it.each(environmentNames.filter((other) => other !== name))("reaches nothing of %s's, and no secret at all", async (other) => {
      const o = seedMatrix.environments[other];
      // (the cluster mount's config is the cluster's, not an environment's: a planner may read it, never write)
      const theirs = [
        `sys/policies/acl/${org.project}-${other}-secrets-read`,
        `sys/auth/${org.vault.authMountPrefix}${o.cluster}`,
        `auth/${org.vault.authMountPrefix}${o.cluster}/role/${other}-secret-sync`,
        `${org.vault.kvMount}/data/${o.identity.vaultSubtree}/api`,
        `${org.vault.kvMount}/data/${e.identity.vaultSubtree}/api`,
      ];
      for (const text of [deploy.policy, plan.policy]) {
        const patterns = Object.keys(await policy(text));
        for (const path of theirs) expect(patterns.filter((pattern) => vaultPathMatches(pattern, path))).toEqual([]);
      }
    });

    it("plans with read only, and neither policy may create tokens (the providers skip the child token)", async () => {
      const p = await policy(plan.policy);
      for (const [path, stanza] of Object.entries(p)) expect([path, stanza.capabilities]).toEqual([path, ["read"]]);
      for (const text of [deploy.policy, plan.policy]) expect(Object.keys(await policy(text)).filter((x) => x.startsWith("auth/token"))).toEqual([]);
    });

    // the branches each GitHub environment admits: the matrix's deploy branches; the plan environment's also the
    // default branch (where the review and drift workflows run)
    const deployRefs = e.identity.deployBranches.map((b) => `refs/heads/${b}`);
    const planRefs = [...new Set([...e.identity.deployBranches, org.github.defaultBranch])].map((b) => `refs/heads/${b}`);

    it(`logs in only from ${org.github.owner}/${org.github.repository}, in its own GitHub environments, for the branches they admit`, () => {
      for (const [kind, ghEnv, policyName, refs] of [
        ["deploy", e.identity.githubEnvironment, `${org.project}-${name}-deployer`, deployRefs],
        ["plan", `${e.identity.githubEnvironment}-plan`, `${org.project}-${name}-planner`, planRefs],
      ] as const) {
        const role = res("vault_jwt_auth_backend_role", `${name}_vault_${kind}_role`);
        // the provider splits a bound claim's value at commas into Vault's list (5.6.0 resource_jwt_auth_backend_role.go)
        expect(role.bound_claims.ref.split(",").sort()).toEqual([...refs].sort());
        expect(role.bound_claims_type).toBe(refs.some((r) => r.includes("*")) ? "glob" : "string");
        expect(role).toMatchObject({
          backend: org.vault.githubJwtMount,
          role_name: policyName,
          bound_claims: { repository: `${org.github.owner}/${org.github.repository}`, environment: ghEnv },
          bound_audiences: ["vault"],
          token_policies: [`\${vault_policy.${name}_vault_${kind}_policy.name}`],
          // Vault's JWT role requires user_claim; `sub` is a claim every GitHub Actions OIDC token carries
          // ("repo:<owner>/<repo>:environment:<name>", docs.github.com, "About security hardening with OpenID Connect")
          user_claim: "sub",
          role_type: "jwt",
        });
        expect(res("vault_policy", `${name}_vault_${kind}_policy`).name).toBe(policyName);
      }
    });

    it("admits the token of every job the workflows run in its GitHub environments: deploy.yml's pushes, drift's schedule and the review's workflow_run (both on the default branch)", () => {
      const repository = `${org.github.owner}/${org.github.repository}`;
      const read = (f: string) => parse(fs.readFileSync(path.join(__dirname, "..", ".github", "workflows", f), "utf8"));
      // a push's ref is the branch pushed; schedule and workflow_run run on the default branch (GitHub Docs, "Events
      // that trigger workflows": GITHUB_REF of schedule and workflow_run is the default branch)
      const pushed: string[] = read("deploy.yml").on.push.branches;
      expect(Object.keys(read("drift.yml").on)).toEqual(expect.arrayContaining(["schedule"]));
      expect(Object.keys(read("pull-request-review.yml").on)).toEqual(["workflow_run"]);
      const ours = pushed.filter((b) => e.identity.deployBranches.includes(b));
      expect(ours.length).toBeGreaterThan(0);
      const sample = (b: string) => `refs/heads/${b.replace(/\*/g, "x")}`;
      const login = (kind: "deploy" | "plan", environment: string, ref: string) =>
        jwtLoginAllowed(res("vault_jwt_auth_backend_role", `${name}_vault_${kind}_role`), { repository, environment, ref });
      for (const b of ours) {
        expect(["deploy", b, login("deploy", e.identity.githubEnvironment, sample(b))]).toEqual(["deploy", b, true]);
        expect(["plan", b, login("plan", `${e.identity.githubEnvironment}-plan`, sample(b))]).toEqual(["plan", b, true]);
      }
      expect(login("plan", `${e.identity.githubEnvironment}-plan`, `refs/heads/${org.github.defaultBranch}`)).toBe(true);
    });

    it("refuses a token of its GitHub environment from a branch the environment does not admit: a writer's workflow that names the environment before the gates stack has made it (GitHub then creates it, unprotected)", () => {
      const repository = `${org.github.owner}/${org.github.repository}`;
      for (const [kind, ghEnv, refs] of [
        ["deploy", e.identity.githubEnvironment, deployRefs],
        ["plan", `${e.identity.githubEnvironment}-plan`, planRefs],
      ] as const) {
        const role = res("vault_jwt_auth_backend_role", `${name}_vault_${kind}_role`);
        const token = (ref: string) => ({ repository, environment: ghEnv, ref, sub: `repo:${repository}:environment:${ghEnv}` });
        // a branch the environment admits (a pattern's `*` taken as one path segment, as GitHub's patterns)
        for (const ref of refs) expect([kind, ref, jwtLoginAllowed(role, token(ref.replace(/\*/g, "x")))]).toEqual([kind, ref, true]);
        const first = refs[0].replace(/\*/g, "x").slice("refs/heads/".length);
        // a writer's branch, a tag or a pull request's merge ref named like an admitted branch, branches around one
        for (const ref of ["refs/heads/writer-branch", `refs/tags/${first}`, "refs/pull/7/merge", `refs/heads/writer/${first}`, `${refs[0].replace(/\/?\*.*$/, "")}-x`]) {
          expect([kind, ref, jwtLoginAllowed(role, token(ref))]).toEqual([kind, ref, false]);
        }
        // and the other claims still bind
        expect(jwtLoginAllowed(role, { ...token(refs[0].replace(/\*/g, "x")), environment: `${ghEnv}-x` })).toBe(false);
        expect(jwtLoginAllowed(role, { ...token(refs[0].replace(/\*/g, "x")), repository: `${repository}-fork` })).toBe(false);
      }
    });
  });
});

/**
 * Whether Vault's JWT auth lets a token with these claims in through `role`, as vault-plugin-auth-jwt's
 * validateBoundClaims does (claims.go): every bound claim present, its value one of the role's values (the
 * provider's comma-separated list), compared exactly or, for bound_claims_type "glob", as ryanuber/go-glob does
 * (`*` any run of characters, `/` included).
 */
function jwtLoginAllowed(role: { bound_claims: Record<string, string>; bound_claims_type?: string }, claims: Record<string, string>): boolean {
  const glob = (pattern: string, subject: string) => {
    if (!pattern.includes("*")) return pattern === subject;
    const parts = pattern.split("*");
    if (!subject.startsWith(parts[0]) || !subject.endsWith(parts[parts.length - 1])) return false;
    let at = parts[0].length;
    for (const part of parts.slice(1, -1)) {
      const i = subject.indexOf(part, at);
      if (i < 0) return false;
      at = i + part.length;
    }
    return at <= subject.length - parts[parts.length - 1].length;
  };
  return Object.entries(role.bound_claims).every(([claim, values]) => {
    const actual = claims[claim];
    if (actual === undefined) return false;
    return values.split(",").map((v) => v.trim()).some((v) => (role.bound_claims_type === "glob" ? glob(v, actual) : v === actual));
  });
}

describe("a matrix whose KV mount is owned by prod", () => {
  const m = structuredClone(seedMatrix) as any;
  m.organization.vault.kvMountManagedBy = "prod";
  const g = synthGates(m);
  it("lets only prod's deployer manage the mount", async () => {
    for (const name of environmentNames) {
      const p = await policy(g.resource.vault_policy[`${name}_vault_deploy_policy`].policy);
      expect(Object.keys(p).includes(`sys/mounts/${org.vault.kvMount}`)).toBe(name === "prod");
    }
  });
  it("lets prod's deployer create, read and tune it, as a KV mount only, and never unmount it", async () => {
    // vault_mount: create POSTs sys/mounts/:path (type pinned: no other engine at that path), refresh GETs it,
    // changes go through sys/mounts/:path/tune; no `delete`: losing the mount loses every environment's secrets
    const p = await policy(g.resource.vault_policy.prod_vault_deploy_policy.policy);
    const mount = p[`sys/mounts/${org.vault.kvMount}`];
    expect([[...mount.capabilities].sort(), mount.allowed_parameters, mount.denied_parameters]).toEqual([["create", "read", "update"], { type: ["kv"], "*": [] }, undefined]);
    const tune = p[`sys/mounts/${org.vault.kvMount}/tune`];
    expect([[...tune.capabilities].sort(), tune.allowed_parameters]).toEqual([["read", "update"], undefined]);
    expect(Object.keys(p).filter((path) => path.startsWith("sys/mounts/")).sort()).toEqual([`sys/mounts/${org.vault.kvMount}`, `sys/mounts/${org.vault.kvMount}/tune`]);
  });
});

describe("one GitHub environment on its own (constructs/github-environment.ts)", () => {
  const { GitHubEnvironment } = require("../constructs/github-environment") as typeof import("../constructs/github-environment");
  const { synthScope } = require("./scratch") as typeof import("./scratch");
  const base = { repository: "platform", environment: "qa", waitTimerMinutes: 0, canAdminsBypass: false, preventSelfReview: true };
  const synth = (reviewers: { teams: string[]; users: string[] }, deployBranches: string[]) =>
    JSON.parse(synthScope((s) => new GitHubEnvironment(s, "gh", { ...base, reviewers, deployBranches })));

  it("one team and one user: both looked up for the numeric ids GitHub wants (a team without its members and repositories, summary_only), both reviewers", () => {
    const json = synth({ teams: ["release-managers"], users: ["octocat"] }, ["main"]);
    const team = Object.values<any>(json.data.github_team)[0];
    const user = Object.values<any>(json.data.github_user)[0];
    expect([tosetValues(team.for_each), team.summary_only]).toEqual([["release-managers"], true]);
    expect(tosetValues(user.for_each)).toEqual(["octocat"]);
    const env = Object.values<any>(json.resource.github_repository_environment)[0];
    expect(env.reviewers).toHaveLength(1);
    // each list is the looked-up ids, as numbers: `[for key, val in data.github_team.<name>: tonumber(val.id)]`
    expect(env.reviewers[0].teams).toMatch(/^\$\{\[ for key, val in data\.github_team\.\w+: tonumber\(val\.id\)\]\}$/);
    expect(env.reviewers[0].users).toMatch(/^\$\{\[ for key, val in data\.github_user\.\w+: tonumber\(val\.id\)\]\}$/);
  });

  it("no reviewers: no reviewers block", () => {
    const env = Object.values<any>(synth({ teams: [], users: [] }, ["main"]).resource.github_repository_environment)[0];
    expect(env.reviewers).toBeUndefined();
  });

  it('"*" means any branch: no deployment branch policy and no branch patterns', () => {
    const json = synth({ teams: [], users: [] }, ["*"]);
    expect(Object.values<any>(json.resource.github_repository_environment)[0].deployment_branch_policy).toBeUndefined();
    const patterns = Object.values<any>(json.resource.github_repository_environment_deployment_policy ?? {});
    expect(patterns.flatMap((p) => tosetValues(p.for_each))).toEqual([]);
  });
});

describe("one branch ruleset on its own (constructs/branch-ruleset.ts)", () => {
  const { BranchRuleset } = require("../constructs/branch-ruleset") as typeof import("../constructs/branch-ruleset");
  const { synthScope } = require("./scratch") as typeof import("./scratch");
  const base = { repository: "platform", name: "release", pattern: "release/*", requiredApprovingReviews: 1, dismissStaleReviews: true, allowForcePushes: false, adminsCanBypass: false };
  const rulesets = (props: Partial<import("../constructs/branch-ruleset").BranchRulesetProps>) => {
    const json = JSON.parse(synthScope((s) => new BranchRuleset(s, "rs", { ...base, requiredChecks: [], ...props })));
    return { byName: Object.fromEntries(Object.values<any>(json.resource.github_repository_ruleset).map((r) => [r.name, r])), teams: Object.values<any>(json.data?.github_team ?? {}) };
  };

  it("no required checks: no status-check rule; with checks, strict (up to date with the branch) and each pinned to its app", () => {
    expect(rulesets({}).byName.release.rules.required_status_checks).toBeUndefined();
    expect(rulesets({ requiredChecks: [{ context: "test", appId: 15368 }] }).byName.release.rules.required_status_checks).toEqual({
      strict_required_status_checks_policy: true,
      required_check: [{ context: "test", integration_id: 15368 }],
    });
  });

  it("code scanning: the tool and both thresholds, as GitHub's code_scanning rule takes them; none unless asked", () => {
    expect(rulesets({}).byName.release.rules.required_code_scanning).toBeUndefined();
    const scanning = { tool: "CodeQL", alertsThreshold: "errors", securityAlertsThreshold: "high_or_higher" };
    expect(rulesets({ codeScanning: scanning }).byName.release.rules.required_code_scanning).toEqual({
      required_code_scanning_tool: [{ tool: "CodeQL", alerts_threshold: "errors", security_alerts_threshold: "high_or_higher" }],
    });
  });

  it("branches an app creates: a second, active ruleset on them refusing creation and deletion to all but that app", () => {
    const { byName, teams } = rulesets({ createdByApp: 4242 });
    const creation = byName["release (creation)"];
    expect([creation.target, creation.enforcement, creation.count, creation.rules]).toEqual(["branch", "active", 1, { creation: true, deletion: true }]);
    // release/x and, since the deployer roles' Vault globs admit them too, release/x/y… (GitHub's `**/` spans parts)
    expect(creation.conditions.ref_name.include).toEqual(["refs/heads/release/*", "refs/heads/release/*/**/*"]);
    // GitHub REST "Create a repository ruleset": an Integration bypass actor is a GitHub App, by its app id
    expect(creation.bypass_actors).toEqual([{ actor_type: "Integration", actor_id: 4242, bypass_mode: "always" }]);
    expect(teams).toEqual([]);
    expect(rulesets({}).byName["release (creation)"].count).toBe(0);
    // the branch's own ruleset leaves deletion to that one, which the creators bypass (rulesets add up: GitHub
    // refuses what any active ruleset refuses to an actor who does not bypass that ruleset)
    expect(byName.release.rules.deletion).toBe(false);
    expect(rulesets({}).byName.release.rules.deletion).toBe(true);
  });

  it("branches an app creates: the required checks are not asked of the commit a new branch starts at (GitHub's do_not_enforce_on_create), only of every update after", () => {
    // with the checks enforced on creation, a branch can start only at a commit where every required check has
    // passed: never the default branch's merge commit (pull-request checks run on the pull request's head), so
    // no release/x or hotfix/x could be created (GitHub REST "Create a repository ruleset", rules[].parameters
    // .do_not_enforce_on_create: "Allow repositories and branches to be created if a check would otherwise prohibit
    // it"; artifact-keeper/artifact-keeper#3798: "GH013 … Required status check … is expected" on creating release/1.9.x)
    const checks = [{ context: "test", appId: 15368 }];
    expect(rulesets({ requiredChecks: checks, createdByApp: 4242 }).byName.release.rules.required_status_checks.do_not_enforce_on_create).toBe(true);
    // a single named branch is created once, with the repository: its checks hold on every update, the first included
    expect(rulesets({ requiredChecks: checks }).byName.release.rules.required_status_checks.do_not_enforce_on_create).toBeUndefined();
  });
});

// GitHub's branch and ruleset patterns: Ruby's File.fnmatch with FNM_PATHNAME (GitHub Docs, "About protected
// branches": `*` "does not match directory separators", `qa/**/*` matches "qa/foo/bar/foobar/hello-world"): `*` any
// run within one `/`-part, `**/` any number of whole parts.
function fnmatchPathname(pattern: string, name: string): boolean {
  const source = pattern
    .split(/(\*\*\/|\*)/)
    .map((piece) => (piece === "**/" ? "(?:[^/]+/)*" : piece === "*" ? "[^/]*" : piece.replace(/[.+?^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`).test(name);
}

/** Names a Vault glob (`*` any run, `/` included) admits: each `*` as one part, two parts and three. */
const globSamples = (glob: string): string[] => (glob.includes("*") ? ["x", "x/y", "x/y/z"].map((s) => glob.split("*").join(s)) : [glob]);
