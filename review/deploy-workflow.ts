/**
 * What the tools know of the deploy workflow's own jobs, which only GitHub writes: its file (a run's `path`) and the
 * name of each stack's apply job. The gate ("deployed first in", from the run's jobs) and stacks-to-plan (a stack's
 * apply record checked against the job that made it) find them by these.
 */
export const DEPLOY_WORKFLOW = ".github/workflows/deploy.yml";

/**
 * Days the deploy workflow keeps a saved plan (deploy.yml `retention-days`): long enough for a Thursday-evening
 * merge to be approved in prod's Monday window. GitHub cuts it to the repository's retention setting where that is
 * shorter ("reduced to match the max value allowed", actions/upload-artifact), and an approved apply then finds
 * no plan: preflight checks the setting.
 */
export const PLAN_RETENTION_DAYS = 7;

/** The name of the deploy workflow's apply job of `stack` (deploy.yml `name: apply ${{ matrix.environment }}`). */
export const applyJobName = (stack: string): string => `apply ${stack}`;

/**
 * The task of the record `record-apply` makes of one stack's apply: a deployment of its own in the stack's GitHub
 * environment. Several stacks share a GitHub environment (an environment split by team), and the deployments GitHub
 * Actions makes for the apply jobs do not say which stack each was; these records do.
 */
export const APPLIED_TASK_PREFIX = "envmatrix-applied:";
export const appliedTask = (stack: string): string => `${APPLIED_TASK_PREFIX}${stack}`;
