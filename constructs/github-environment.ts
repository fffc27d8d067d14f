/**
 * One GitHub repository environment: the gate a job passes to get the secrets stored in it (required
 * reviewers, self-review, admin bypass, wait timer, and which branches may run there at all), with the
 * non-secret variables jobs read. Lists that differ between environments (reviewers, branch patterns) are
 * `for_each` over one resource, so every environment's gate has the same shape.
 */
import { Construct } from "constructs";
import { TerraformIterator, Token } from "cdktf";
import { RepositoryEnvironment } from "@cdktf/provider-github/lib/repository-environment";
import { RepositoryEnvironmentDeploymentPolicy } from "@cdktf/provider-github/lib/repository-environment-deployment-policy";
import { ActionsEnvironmentVariable } from "@cdktf/provider-github/lib/actions-environment-variable";
import { DataGithubTeam } from "@cdktf/provider-github/lib/data-github-team";
import { DataGithubUser } from "@cdktf/provider-github/lib/data-github-user";
import { keptWhenProtected } from "./protection";

/** The pattern that means "any branch": no deployment branch policy at all. */
export const ANY_BRANCH = "*";

export interface GitHubEnvironmentProps {
  readonly repository: string;
  /** Name of the GitHub environment. */
  readonly environment: string;
  readonly waitTimerMinutes: number;
  readonly canAdminsBypass: boolean;
  readonly preventSelfReview: boolean;
  /** Team slugs and user logins who may approve a deployment (any one of them approves). */
  readonly reviewers: { readonly teams: readonly string[]; readonly users: readonly string[] };
  /** Branch patterns allowed to deploy; `["*"]` allows any branch. */
  readonly deployBranches: readonly string[];
  /** Non-secret variables for the deploy job, by name. @default none */
  readonly variables?: Readonly<Record<string, string>>;
}

export class GitHubEnvironment extends Construct {
  readonly environment: RepositoryEnvironment;

  constructor(scope: Construct, id: string, props: GitHubEnvironmentProps) {
    super(scope, id);
    const anyBranch = props.deployBranches.includes(ANY_BRANCH);

    // GitHub wants numeric ids for reviewers; look them up by slug and login.
    const teams = TerraformIterator.fromList([...props.reviewers.teams]);
    const teamIds = TerraformIterator.fromDataSources(
      new DataGithubTeam(this, "reviewerTeam", { forEach: teams, slug: teams.value, summaryOnly: true }),
    ).forExpressionForList("tonumber(val.id)");
    const users = TerraformIterator.fromList([...props.reviewers.users]);
    const userIds = TerraformIterator.fromDataSources(
      new DataGithubUser(this, "reviewerUser", { forEach: users, username: users.value }),
    ).forExpressionForList("tonumber(val.id)");
    const hasReviewers = props.reviewers.teams.length + props.reviewers.users.length > 0;

    this.environment = keptWhenProtected(new RepositoryEnvironment(this, "environment", {
      repository: props.repository,
      environment: props.environment,
      waitTimer: props.waitTimerMinutes,
      canAdminsBypass: props.canAdminsBypass,
      preventSelfReview: props.preventSelfReview,
      reviewers: hasReviewers
        ? [
            {
              teams: Token.asNumberList(teamIds),
              users: Token.asNumberList(userIds),
            },
          ]
        : undefined,
      deploymentBranchPolicy: anyBranch ? undefined : { protectedBranches: false, customBranchPolicies: true },
    }));

    const patterns = TerraformIterator.fromList(anyBranch ? [] : [...props.deployBranches]);
    new RepositoryEnvironmentDeploymentPolicy(this, "deploymentBranch", {
      forEach: patterns,
      repository: props.repository,
      environment: this.environment.environment,
      branchPattern: patterns.value,
    });

    for (const [name, value] of Object.entries(props.variables ?? {})) {
      new ActionsEnvironmentVariable(this, `variable-${name}`, {
        repository: props.repository,
        environment: this.environment.environment,
        variableName: name,
        value,
      });
    }
  }
}
