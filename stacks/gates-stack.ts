/**
 * The gates stack: who may change what. Every environment's GitHub environments (the deploy one, with its
 * reviewers and branch policy, and the read-only plan one), the ruleset of each protected branch, and the Vault
 * policy and OIDC role of each environment's deploy and plan. It is applied like the strictest environment
 * (`organization.gates.followsEnvironment`): from its branch, in its own GitHub environment, with its reviewers.
 *
 * Why a stack of its own: GitHub has no permission that administers one environment but not another, and Vault
 * does not limit what a policy it writes may contain. Were these objects in each environment's stack, dev's
 * deploy would hold a token that can rewrite production's gate. Here only a protected credential can.
 */
import { MOVED, applyMoves } from "./moved";
import { Construct } from "constructs";
import { GithubProvider } from "@cdktf/provider-github/lib/provider";
import { VaultProvider } from "@cdktf/provider-vault/lib/provider";
import type { EnvironmentSettings, Matrix } from "../config/types";
import { GATES_STACK, GITHUB_ACTIONS_APP_ID } from "../config/validate";
import { GitHubEnvironment } from "../constructs/github-environment";
import { BranchRuleset } from "../constructs/branch-ruleset";
import { DeployerAccess, VAULT_OIDC_AUDIENCE } from "../constructs/deployer-access";
import { configureBackend } from "./environment-stack";
import { ReadableStack } from "./logical-ids";
import { derivedNames, environmentVaultObjects } from "./names";
import { branchesEnvironmentName, planEnvironmentName, reviewCheck } from "../config/promotion";
import { protect } from "../constructs/protection";


/** Branches a plan environment admits: the environment's deploy branches, and the default branch where review and drift run. */
export function planBranches(deployBranches: readonly string[], defaultBranch: string): string[] {
  return deployBranches.includes(defaultBranch) ? [...deployBranches] : [...deployBranches, defaultBranch];
}

/**
 * Variables jobs in a GitHub environment read to log in to Vault (OIDC) and AWS (S3 state), none secret. A private
 * Vault CA (organization.vault.caCertificatePem) goes along base64-encoded, as VAULT_CACERT_BASE64: the form
 * hashicorp/vault-action's `caCertificate` input takes ("Base64 encoded CA certificate", action.yml v3.4.0), which
 * the jobs also decode into the file VAULT_CACERT names for Terraform's vault provider (5.6.0 meta.go reads
 * ca_cert_file or VAULT_CACERT); without it both trust only the public CAs and every login fails.
 */
function loginVariables(org: Matrix["organization"], vaultRole: string, backend: EnvironmentSettings["backend"], roleArn: "deployRoleArn" | "planRoleArn"): Record<string, string> {
  const aws = backend.type === "s3" ? { AWS_REGION: backend.region, ...(backend[roleArn] ? { AWS_ROLE_ARN: backend[roleArn] } : {}) } : {};
  const ca: Record<string, string> = org.vault.caCertificatePem ? { VAULT_CACERT_BASE64: Buffer.from(org.vault.caCertificatePem, "utf8").toString("base64") } : {};
  return { VAULT_ADDR: org.vault.address, VAULT_JWT_MOUNT: org.vault.githubJwtMount, VAULT_ROLE: vaultRole, ...ca, ...aws };
}

/** The deploy environment's protection rules, from an environment's approval settings. */
function approvalRules(a: EnvironmentSettings["approval"]) {
  return { waitTimerMinutes: a.waitTimerMinutes, canAdminsBypass: a.adminsCanBypass, preventSelfReview: a.preventSelfReview, reviewers: a.reviewers };
}

/** A GitHub environment without reviewers that admits only `branches`: where read-only and review credentials live. */
function readOnlyEnvironment(scope: Construct, id: string, org: Matrix["organization"], environment: string, branches: readonly string[], variables: Record<string, string>): void {
  new GitHubEnvironment(scope, id, {
    repository: org.github.repository,
    environment,
    waitTimerMinutes: 0,
    canAdminsBypass: false,
    preventSelfReview: false,
    reviewers: { teams: [], users: [] },
    deployBranches: branches,
    variables,
  });
}

export class GatesStack extends ReadableStack {
  constructor(scope: Construct, m: Matrix) {
    super(scope, GATES_STACK);
    applyMoves(this, MOVED.gates);
    const org = m.organization;
    const follows = m.environments[org.gates.followsEnvironment];
    configureBackend(this, GATES_STACK, follows, `organization.gates (environments.${org.gates.followsEnvironment}.backend)`);
    // The token comes from GITHUB_TOKEN (a GitHub App installation token in CI); only the owner is the matrix's.
    new GithubProvider(this, "github", { owner: org.github.owner });
    // The token comes from VAULT_TOKEN (the gates' OIDC role in CI); only the address is the matrix's.
    // skip_child_token: the provider otherwise creates a child token at configure time, during plan too, which a
    // read-only plan token may not (auth/token/create); the job's own token is short-lived (OIDC, 15 minutes)
    new VaultProvider(this, "vault", { address: org.vault.address, skipChildToken: true });

    const root = new Construct(this, "gates");
    for (const [name, env] of Object.entries(m.environments)) this.environmentGates(root, name, env, m);
    this.ownGate(root, follows, m);
  }

  private environmentGates(root: Construct, name: string, env: EnvironmentSettings, m: Matrix): void {
    const org = m.organization;
    const scope = new Construct(root, name);
    // a protected environment's gates are kept: prevent_destroy on what its constructs mark (constructs/protection.ts)
    if (env.protected) protect(scope);
    const names = derivedNames(name, env, org);
    const a = env.approval;
    new GitHubEnvironment(scope, "deploy", {
      repository: org.github.repository,
      environment: env.identity.githubEnvironment,
      ...approvalRules(a),
      deployBranches: env.identity.deployBranches,
      variables: {
        ENVMATRIX_ENVIRONMENT: name,
        ENVMATRIX_NAMESPACE: env.identity.namespace,
        KUBE_CONTEXT: org.clusters[env.cluster].context,
        DD_ENV: name,
        ...loginVariables(org, names.deployerPolicy, env.backend, "deployRoleArn"),
      },
    });
    // Plans need no approval, only read-only credentials, reachable from the same reviewed branches.
    readOnlyEnvironment(
      scope,
      "plan",
      org,
      names.planGitHubEnvironment,
      planBranches(env.identity.deployBranches, org.github.defaultBranch),
      loginVariables(org, names.plannerPolicy, env.backend, "planRoleArn"),
    );
    const branch = env.identity.protectedBranch;
    // where teams are named to create the branches, the app creates them (rule branch-creators-through-the-branch-app)
    const branchApp = env.identity.branchCreators !== undefined ? org.github.branchApp : undefined;
    if (branch !== null) {
      new BranchRuleset(scope, "branch", {
        repository: org.github.repository,
        name: `envmatrix: ${branch} (${name})`,
        pattern: branch,
        requiredApprovingReviews: a.requiredApprovingReviews,
        dismissStaleReviews: a.dismissStaleReviews,
        requiredChecks: [
          ...a.requiredStatusChecks.map((context) => ({ context, appId: org.github.actionsAppId ?? GITHUB_ACTIONS_APP_ID })),
          // the default branch's rules on the pull request's output: only the review app can post it
          { context: reviewCheck(branch), appId: org.github.reviewApp.appId },
        ],
        codeScanning: a.codeScanning,
        allowForcePushes: a.allowForcePushes,
        adminsCanBypass: a.adminsCanBypass,
        createdByApp: branchApp?.appId,
      });
      if (branchApp !== undefined && env.identity.branchCreators !== undefined) {
        // The branch app's key: jobs of the default branch's `branches` workflow only, once a creator approves.
        // The workflow creates a branch only at the default branch's head, so a new hotfix/x runs reviewed
        // workflow files (a push runs the files of the commit pushed: GitHub Docs, "Triggering a workflow").
        new GitHubEnvironment(scope, "branches", {
          repository: org.github.repository,
          environment: branchesEnvironmentName(env.identity.githubEnvironment),
          waitTimerMinutes: 0,
          canAdminsBypass: false,
          // the creator who asks may approve: what the app does is fixed by the default branch's workflow
          preventSelfReview: false,
          reviewers: { teams: env.identity.branchCreators, users: [] },
          deployBranches: [org.github.defaultBranch],
          variables: { BRANCH_APP_ID: `${branchApp.appId}`, ENVMATRIX_ENVIRONMENT: name },
        });
      }
    }
    new DeployerAccess(scope, "vault", {
      objects: environmentVaultObjects(name, env, org, m.services),
      deployPolicyName: names.deployerPolicy,
      planPolicyName: names.plannerPolicy,
      jwtMount: org.vault.githubJwtMount,
      repository: `${org.github.owner}/${org.github.repository}`,
      deployGitHubEnvironment: env.identity.githubEnvironment,
      planGitHubEnvironment: names.planGitHubEnvironment,
      // the branches the two GitHub environments above admit, exactly
      deployBranches: env.identity.deployBranches,
      planBranches: planBranches(env.identity.deployBranches, org.github.defaultBranch),
      audience: VAULT_OIDC_AUDIENCE,
    });
  }

  /** The gates' own GitHub environments: the followed environment's reviewers, branches and rules. */
  private ownGate(root: Construct, follows: EnvironmentSettings, m: Matrix): void {
    const org = m.organization;
    const scope = new Construct(root, GATES_STACK);
    // the gates' own environments are always kept
    protect(scope);
    new GitHubEnvironment(scope, "deploy", {
      repository: org.github.repository,
      environment: org.gates.githubEnvironment,
      ...approvalRules(follows.approval),
      deployBranches: follows.identity.deployBranches,
      // its own Vault role is made once by hand (README "Bootstrap"): it writes every other deployer's policy
      variables: loginVariables(org, `${org.project}-gates-deployer`, follows.backend, "deployRoleArn"),
    });
    // where the review app's private key lives: jobs of the default branch's review workflow only
    readOnlyEnvironment(scope, "review", org, org.github.reviewApp.environment, [org.github.defaultBranch], { REVIEW_APP_ID: `${org.github.reviewApp.appId}` });
    readOnlyEnvironment(
      scope,
      "plan",
      org,
      planEnvironmentName(org.gates.githubEnvironment),
      planBranches(follows.identity.deployBranches, org.github.defaultBranch),
      loginVariables(org, `${org.project}-gates-planner`, follows.backend, "planRoleArn"),
    );
  }
}
