/**
 * The protection of a branch an environment deploys from, as a repository ruleset: pull requests with
 * approving reviews (code owners' among them, and approved after the last push), required status checks
 * pinned to the GitHub Actions app, no force pushes, no deletion. Optionally a second ruleset that lets only
 * named teams create and delete branches matching the pattern (`hotfix/*`).
 *
 * Rulesets rather than `github_branch_protection`: a required check there is a context name only, which any
 * writer can post through the statuses API; a ruleset's `required_check` takes the app's `integration_id`
 * (GitHub REST "Create a repository ruleset", rules[].parameters.required_status_checks[].integration_id), and
 * its `creation` rule blocks creating a matching branch, which branch protection never does.
 */
import { Construct } from "constructs";
import { Fn, TerraformIterator } from "cdktf";
import { RepositoryRuleset, type RepositoryRulesetBypassActors } from "@cdktf/provider-github/lib/repository-ruleset";
import { DataGithubTeam } from "@cdktf/provider-github/lib/data-github-team";
import { keptWhenProtected } from "./protection";

/** GitHub's id of the repository admin role as a ruleset bypass actor (`actor_type = "RepositoryRole"`). */
export const REPOSITORY_ADMIN_ROLE_ID = 5;

export interface BranchRulesetProps {
  readonly repository: string;
  /** Ruleset name, unique in the repository. */
  readonly name: string;
  /** Branch name or pattern (`main`, `hotfix/*`), as in the matrix. */
  readonly pattern: string;
  readonly requiredApprovingReviews: number;
  /** A push to the pull request dismisses its approvals. */
  readonly dismissStaleReviews: boolean;
  /** Checks that must pass, each pinned to the app whose check runs alone count (GitHub Actions: 15368). */
  readonly requiredChecks: readonly { readonly context: string; readonly appId: number }[];
  /** Code scanning results a pull request must have, and the severities that block it. @default none */
  readonly codeScanning?: { readonly tool: string; readonly alertsThreshold: string; readonly securityAlertsThreshold: string } | null;
  readonly allowForcePushes: boolean;
  /** Repository admins may bypass the rules. */
  readonly adminsCanBypass: boolean;
  /** Teams (slugs) that alone may create matching branches. @default anyone with write access */
  readonly branchCreators?: readonly string[];
}

export class BranchRuleset extends Construct {
  readonly ruleset: RepositoryRuleset;

  constructor(scope: Construct, id: string, props: BranchRulesetProps) {
    super(scope, id);
    const refs = { refName: { include: [`refs/heads/${props.pattern}`], exclude: [] } };
    const creators = [...(props.branchCreators ?? [])];
    const admins: RepositoryRulesetBypassActors[] = props.adminsCanBypass
      ? [{ actorType: "RepositoryRole", actorId: REPOSITORY_ADMIN_ROLE_ID, bypassMode: "always" }]
      : [];

    this.ruleset = keptWhenProtected(new RepositoryRuleset(this, "ruleset", {
      repository: props.repository,
      name: props.name,
      target: "branch",
      enforcement: "active",
      conditions: refs,
      bypassActors: admins,
      rules: {
        // a branch the named teams create (hotfix/x) is theirs to delete once done (the creation ruleset below);
        // a single named branch (main) nobody deletes
        deletion: creators.length === 0,
        nonFastForward: !props.allowForcePushes,
        pullRequest: {
          requiredApprovingReviewCount: props.requiredApprovingReviews,
          dismissStaleReviewsOnPush: props.dismissStaleReviews,
          // CODEOWNERS (generated from the matrix) own config/, stacks/, .github/…: they must approve
          requireCodeOwnerReview: true,
          // whoever pushed last cannot be the approval that lets their own push in
          requireLastPushApproval: true,
        },
        requiredStatusChecks:
          props.requiredChecks.length === 0
            ? undefined
            : {
                strictRequiredStatusChecksPolicy: true,
                requiredCheck: props.requiredChecks.map((c) => ({ context: c.context, integrationId: c.appId })),
                // Creating a ref is an update the checks would otherwise gate: the branch's commit would need every
                // check already passed there, which the default branch's head never has (the pull request checks
                // ran on the pull request's head, not on the merge), so no hotfix/x could be created
                // ("GH013 … Required status check … is expected"). Who may create is the creation ruleset's to say,
                // and what a new branch may deploy is provenance's (only commits merged through reviewed pull
                // requests); every update after creation needs the checks.
                doNotEnforceOnCreate: creators.length > 0 ? true : undefined,
              },
        // the tool's results must exist for the pull request's head, and its alerts stay under the thresholds
        // (GitHub REST "Create a repository ruleset": rules[].type "code_scanning", parameters.code_scanning_tools)
        requiredCodeScanning: props.codeScanning
          ? { requiredCodeScanningTool: [{ tool: props.codeScanning.tool, alertsThreshold: props.codeScanning.alertsThreshold, securityAlertsThreshold: props.codeScanning.securityAlertsThreshold }] }
          : undefined,
      },
    }));

    // Creating a matching branch is refused to everyone but the named teams (they bypass this ruleset only,
    // never the reviews above): a new hotfix/x cannot smuggle in unreviewed commits. Deleting one likewise: the
    // teams that create hotfix branches remove them once the hotfix is done, nobody else can.
    const teams = TerraformIterator.fromList(creators);
    // a dynamic block: bypass_actors is a block type, so a list expression would not be accepted in its place
    const creatorTeams = TerraformIterator.fromDataSources(
      new DataGithubTeam(this, "creatorTeam", { forEach: teams, slug: teams.value, summaryOnly: true }),
    );
    keptWhenProtected(new RepositoryRuleset(this, "creation", {
      count: creators.length > 0 ? 1 : 0,
      repository: props.repository,
      name: `${props.name} (creation)`,
      target: "branch",
      enforcement: "active",
      conditions: refs,
      bypassActors: creatorTeams.dynamic({
        actor_type: "Team",
        actor_id: Fn.tonumber(creatorTeams.getString("id")),
        bypass_mode: "always",
      }),
      rules: { creation: true, deletion: true },
    }));
  }
}
