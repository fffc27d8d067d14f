/**
 * The protection of a branch an environment deploys from, as a repository ruleset: pull requests with
 * approving reviews (code owners' among them, and approved after the last push), required status checks
 * pinned to the GitHub Actions app, no force pushes, no deletion. Optionally a second ruleset that lets only
 * one GitHub App create and delete branches matching the pattern (`hotfix/*`): the default branch's `branches`
 * workflow, which creates them at the default branch's head only.
 *
 * Rulesets rather than `github_branch_protection`: a required check there is a context name only, which any
 * writer can post through the statuses API; a ruleset's `required_check` takes the app's `integration_id`
 * (GitHub REST "Create a repository ruleset", rules[].parameters.required_status_checks[].integration_id), and
 * its `creation` rule blocks creating a matching branch, which branch protection never does.
 */
import { Construct } from "constructs";
import { RepositoryRuleset, type RepositoryRulesetBypassActors } from "@cdktf/provider-github/lib/repository-ruleset";
import { keptWhenProtected } from "./protection";
import { vaultGlobCover } from "../config/branches";

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
  /**
   * The GitHub App that alone creates and deletes matching branches. @default anyone with write access. Not a
   * team: a push runs the workflow files of the commit pushed (GitHub Docs, "Triggering a workflow"), so a team
   * creating `hotfix/x` at a commit nobody reviewed would run that commit's workflows with the environment's
   * credentials; the app creates branches only at the default branch's head.
   */
  readonly createdByApp?: number;
}

export class BranchRuleset extends Construct {
  readonly ruleset: RepositoryRuleset;

  constructor(scope: Construct, id: string, props: BranchRulesetProps) {
    super(scope, id);
    // the pattern's branches and, for a pattern with `*`, those of more `/`-parts the deployer roles' `ref` globs also
    // admit (config/branches.ts vaultGlobCover): `hotfix/a/b` is created by the app alone and protected like `hotfix/a`
    const refs = { refName: { include: vaultGlobCover(props.pattern).map((p) => `refs/heads/${p}`), exclude: [] } };
    const created = props.createdByApp !== undefined;
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
        // a branch the app creates (hotfix/x) it deletes once done (the creation ruleset below); a single named
        // branch (main) nobody deletes
        deletion: !created,
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
                // ("GH013 … Required status check … is expected"). Who may create is the creation ruleset's to say
                // (the app, at the default branch's head); every update after creation needs the checks.
                doNotEnforceOnCreate: created ? true : undefined,
              },
        // the tool's results must exist for the pull request's head, and its alerts stay under the thresholds
        // (GitHub REST "Create a repository ruleset": rules[].type "code_scanning", parameters.code_scanning_tools)
        requiredCodeScanning: props.codeScanning
          ? { requiredCodeScanningTool: [{ tool: props.codeScanning.tool, alertsThreshold: props.codeScanning.alertsThreshold, securityAlertsThreshold: props.codeScanning.securityAlertsThreshold }] }
          : undefined,
      },
    }));

    // Creating or deleting a matching branch is refused to everyone but the app (it bypasses this ruleset only,
    // never the reviews above): a new hotfix/x starts at a reviewed commit, so the workflow files it runs are reviewed.
    // GitHub REST "Create a repository ruleset": bypass_actors[].actor_type "Integration", actor_id the app's id.
    keptWhenProtected(new RepositoryRuleset(this, "creation", {
      count: created ? 1 : 0,
      repository: props.repository,
      name: `${props.name} (creation)`,
      target: "branch",
      enforcement: "active",
      conditions: refs,
      bypassActors: created ? [{ actorType: "Integration", actorId: props.createdByApp!, bypassMode: "always" }] : [],
      rules: { creation: true, deletion: true },
    }));
  }
}
