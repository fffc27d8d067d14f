/**
 * The shape of the environment matrix, as one zod schema: every field's type, range, pattern and enumeration, with
 * the words a person reads when a value breaks it. The TypeScript types are inferred from it (config/types.ts), the
 * JSON Schema for editors is exported from it (`npm run matrix-schema`), and objects are strict: a key the schema
 * does not know is refused, with the nearest known key as a suggestion (validate.ts).
 *
 * Rules that compare fields with each other (promotion order, protected environments, uniqueness, trust) are rows
 * of the tables in rules.ts. Units live in the field names; nothing here is a secret.
 */
import { z } from "zod";

/** A value as a message quotes it: strings in quotes, the rest as written. */
export const show = (value: unknown): string =>
  // a list or an object as JSON too: String([]) is "" and String({}) "[object Object]", which name no value
  typeof value === "string" || (typeof value === "object" && value !== null) ? JSON.stringify(value) : String(value);

// ---------------------------------------------------------------------------------------------------------------
// Enumerations: each defined once, here.

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
/** Alert routings from quietest to loudest (the promotion order may only make alerting louder). */
export const ROUTINGS = ["none", "chat", "page"] as const;
/** Alert tiers (DESIGN.md, prod: "critical pages, high opens a ticket, medium logged, low weekly report"). */
export const ALERT_TIERS = ["critical", "high", "medium", "low"] as const;
export const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const;
export const BACKEND_TYPES = ["local", "s3", "hcp"] as const;
/** ESO `target.creationPolicy`. */
export const CREATION_POLICIES = ["Owner", "Orphan", "Merge"] as const;
/** ESO `target.deletionPolicy`. */
export const DELETION_POLICIES = ["Delete", "Retain", "Merge"] as const;
export const MESH_MODES = ["sidecar-cni", "sidecar-init", "ambient"] as const;
export const AGENT_TRANSPORTS = ["tcp", "socket"] as const;
/** How a deploy runs the application's schema migrations (the documents: dev automatic; staging automatic with a
 * warning on destructive changes; prod blue/green with manual confirmation). */
/** Code scanning results that block a merge (GitHub REST "Create a repository ruleset", rules[].code_scanning). */
export const CODE_SCANNING_ALERT_THRESHOLDS = ["none", "errors", "errors_and_warnings", "all"] as const;
export const CODE_SCANNING_SECURITY_THRESHOLDS = ["none", "critical", "high_or_higher", "medium_or_higher", "all"] as const;
export const MIGRATION_MODES = ["automatic", "automatic-warn-destructive", "blue-green-manual"] as const;

// ---------------------------------------------------------------------------------------------------------------
// Limits set by the systems the matrix configures.

/** GitHub: at most 6 required reviewers per environment, a wait timer of at most 30 days. */
export const GITHUB_MAX_REVIEWERS = 6;
export const GITHUB_MAX_WAIT_TIMER_MINUTES = 43200;
/** GitHub branch protection accepts 0..6 required approving reviews. */
export const GITHUB_MAX_APPROVING_REVIEWS = 6;

// ---------------------------------------------------------------------------------------------------------------
// Patterns.

/** Kubernetes DNS-1123 label: namespaces, service names, environment names. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Kubernetes DNS-1123 subdomain: service account names. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Kubernetes label key: optional DNS prefix, then a name of at most 63 characters. */
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
/** One segment of a Vault path: no slashes, no dot-segments. */
const VAULT_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;
/** GitHub owner, repository, team and user names. */
export const GITHUB_NAME = /^[A-Za-z0-9_.-]+$/;
/** A Go duration as ESO reads it: 30s, 15m, 1h, 1h30m. */
const GO_DURATION = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;
const PEM_CERTIFICATE = /^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n?$/;
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IAM_ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\/-]+$/;

export const DNS_LABEL_RULE = "a Kubernetes name (DNS-1123 label: lowercase letters, digits and '-', at most 63 characters)";
/** The suffix of a stack's read-only plan environment: `<githubEnvironment>-plan`. */
export const PLAN_ENVIRONMENT_SUFFIX = "-plan";
/** The suffix of the environment where the branch app creates an environment's branches: `<githubEnvironment>-branches`. */
export const BRANCHES_ENVIRONMENT_SUFFIX = "-branches";

export function isCidr(value: unknown): value is string {
  if (typeof value !== "string") return false;
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
  if (m) return m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 32;
  const v6 = /^([0-9a-fA-F:]+)\/(\d{1,3})$/.exec(value);
  return !!v6 && v6[1].includes(":") && Number(v6[2]) <= 128;
}

/** One address as a CIDR: /32 (IPv4) or /128 (IPv6). */
export function isHostCidr(value: unknown): value is string {
  return isCidr(value) && (value.includes(":") ? value.endsWith("/128") : value.endsWith("/32"));
}

/** IANA zones already asked about: building an Intl.DateTimeFormat to ask costs more than the rest of a matrix check. */
const timeZones = new Map<string, boolean>();

function isTimeZone(value: string): boolean {
  let known = timeZones.get(value);
  if (known === undefined) {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: value });
      known = true;
    } catch {
      known = false;
    }
    timeZones.set(value, known);
  }
  return known;
}

// ---------------------------------------------------------------------------------------------------------------
// Field kinds, each with the message its rule gives.

type Message = (input: unknown) => string;
const says = (message: Message) => ({ error: (issue: { input?: unknown }) => message(issue.input) });

function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER) {
  const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`;
  const notWhole = says((v) => `${show(v)} is not a whole number`);
  const outOfRange = says((v) => `${show(v)} is out of range (must be ${range})`);
  // a number that is not whole stops there, one problem (zod's int check never continues: $ZodCheckNumberFormat)
  return z.number(notWhole).int(notWhole).min(min, outOfRange).max(max, outOfRange);
}

/** A percentage p with 0 < p <= 100 (or < 100 when `exclusiveMax`). */
function percent(exclusiveMax = false) {
  const rule = says((v) => `${show(v)} is not a percentage (must be above 0 and ${exclusiveMax ? "below" : "at most"} 100)`);
  const number = z.number(rule).gt(0, rule);
  return exclusiveMax ? number.lt(100, rule) : number.lte(100, rule);
}

const flag = () => z.boolean(says((v) => `${show(v)} is not true or false`));

/** An amount of money in the organization's currency: at least 0, or above 0 when `positive`. */
function money(positive = false) {
  const rule = says((v) => `${show(v)} is not an amount (a number ${positive ? "above" : "at least"} 0)`);
  const n = z.number(rule);
  return positive ? n.gt(0, rule) : n.gte(0, rule);
}

/** A string the test accepts; anything else is "not <rule>". */
function text(rule: string, test: (value: string) => boolean) {
  const message = says((v) => `${show(v)} is not ${rule}`);
  return z.string(message).refine(test, message);
}

/** A string matching `re` (a `pattern` in the JSON Schema), of at most `maxLength` characters. */
function matching(re: RegExp, rule: string, maxLength?: number) {
  const message = says((v) => `${show(v)} is not ${rule}`);
  const pattern = z.string(message).regex(re, { ...message, abort: true });
  return maxLength === undefined ? pattern : pattern.max(maxLength, message);
}
/** Seconds of a Go duration `GO_DURATION` accepts (`1h30m` is 5400). */
export function goDurationSeconds(value: string): number {
  const unit: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  return [...value.matchAll(/([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g)].reduce((sum, [, n, u]) => sum + Number(n) * unit[u], 0);
}

/**
 * How often an ExternalSecret re-reads Vault: at least a minute. ESO (v1.0.0 externalsecret_controller.go) never
 * refreshes again once synced with an interval of 0 ("if the refresh interval is 0, and we have synced previously,
 * we should not refresh"): no rotation would ever arrive; below a minute it logs in to Vault and reads without pause.
 */
function refreshInterval() {
  const tooShort = says((v) => `${show(v)} is shorter than a minute (0 stops the refresh for good, so no rotation arrives; less than a minute reads Vault without pause)`);
  return matching(GO_DURATION, "a duration like 15m or 1h").refine((v) => goDurationSeconds(v) >= 60, tooShort);
}

const nonBlank = (rule: string, maxLength = Infinity) => text(rule, (v) => v.trim() !== "" && v.length <= maxLength);

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, says((v) => `${show(v)} is not one of ${values.join(", ")}`));
}

/** An https URL: credentials (Vault and Kubernetes tokens, Datadog keys) and runbooks never travel in clear. */
function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === "https:";
  } catch {
    return false;
  }
}
const httpsUrl = () => text("an https URL (tokens and keys are sent there: plain http is refused)", isHttpsUrl);

const pem = () =>
  z
    .string(says(() => "is not a PEM certificate (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----)"))
    .regex(PEM_CERTIFICATE, says(() => "is not a PEM certificate (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----)"));

/** A list of `what`. */
const list = <T extends z.ZodType>(item: T, what: string) => z.array(item, says((v) => `${show(v)} is not a list of ${what}`));
/** A non-empty list: `empty` says what an empty one misses. */
const listOf = <T extends z.ZodType>(item: T, what: string, empty: string) => list(item, what).min(1, says(() => `is empty (${empty})`));

const dnsLabel = () => matching(DNS_LABEL, DNS_LABEL_RULE, 63);
const serviceAccountName = () => matching(DNS_SUBDOMAIN, "a Kubernetes service account name (DNS-1123 subdomain)", 253);

/** A non-empty map of Kubernetes labels (a selector that selects something). */
const labels = () =>
  z
    .record(z.string(), z.string(says((v) => `${show(v)} is not a Kubernetes label value`)), says(() => "is not a non-empty map of labels (a selector must select something)"))
    .superRefine((value, ctx) => {
      if (Object.keys(value).length === 0) ctx.addIssue({ code: "custom", message: "is not a non-empty map of labels (a selector must select something)" });
      for (const [k, v] of Object.entries(value)) {
        if (!LABEL_KEY.test(k)) ctx.addIssue({ code: "custom", message: `${show(k)} is not a Kubernetes label key` });
        if (!LABEL_VALUE.test(v)) ctx.addIssue({ code: "custom", path: [k], message: `${show(v)} is not a Kubernetes label value` });
      }
    });

/**
 * Git refuses white space in a branch name; a comma it takes, but the branches become the Vault deployer roles'
 * `ref` bound claim, whose value the vault provider splits at commas (constructs/deployer-access.ts refClaims).
 */
// No `?` or `[…]` either: GitHub's patterns would read them as wildcards, which the tools here (branchMatches, the
// review's check names, the Vault ref globs) do not
const branchName = (rule: string) => text(`${rule} (no white space, no comma, no ? or [ ])`, (v) => v.trim() !== "" && !/[\s,?[\]]/.test(v));

// ---------------------------------------------------------------------------------------------------------------
// The environment.

const describe = <T extends z.ZodType>(schema: T, description: string): T => schema.describe(description);

export const deploymentWindowSchema = z
  .strictObject({
    timeZone: describe(text("an IANA time zone (like Europe/Berlin)", isTimeZone), "IANA time zone, e.g. `Europe/Berlin`."),
    days: listOf(oneOf(WEEKDAYS), "weekdays", "name the weekdays deploys may happen on").superRefine((days, ctx) => {
      days.forEach((d, i) => {
        if (days.indexOf(d) !== i) ctx.addIssue({ code: "custom", path: [i], message: `${show(d)} appears twice` });
      });
    }),
    startHour: describe(wholeNumber(0, 23), "First hour in which deploys may start (0-23)."),
    endHour: describe(wholeNumber(1, 24), "Hour at which the window closes (1-24), exclusive."),
  })
  .describe("Hours of the week in one time zone: [startHour, endHour) on each of `days`.");

const backendSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("local") }).describe("State beside the project (`terraform.<env>.tfstate`, ignored by git). Fine for a dev stack deployed from a workstation: the deploy and drift workflows leave a local stack out, with a warning (a runner's state is lost with it)."),
  z
    .strictObject({
      type: z.literal("s3"),
      bucket: matching(S3_BUCKET, "an S3 bucket name (3 to 63 lowercase letters, digits, '.' and '-')"),
      region: matching(/^[a-z]{2}(-[a-z]+)+-\d$/, "an AWS region (like eu-west-1)"),
      keyPrefix: matching(/^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/, "an S3 key prefix without leading or trailing '/'"),
      kmsKeyId: describe(z.string().optional(), "KMS key for state encryption; S3-managed encryption when omitted."),
      deployRoleArn: describe(
        matching(IAM_ROLE_ARN, "an IAM role ARN (arn:aws:iam::<account>:role/<name>)").optional(),
        "IAM role the deploy assumes with GitHub's OIDC token (may write the state and its lock). Default: none, and the workflows then get no AWS credentials (they read no AWS key secret): set it for CI; a workstation uses its own AWS credentials.",
      ),
      planRoleArn: describe(matching(IAM_ROLE_ARN, "an IAM role ARN (arn:aws:iam::<account>:role/<name>)").optional(), "IAM role the plan assumes (may only read the state). Default: none, as for deployRoleArn."),
    })
    .describe("S3 with Terraform's native lock file (Terraform >= 1.10). The key is `<keyPrefix>/<env>/terraform.tfstate`."),
  z
    .strictObject({
      type: z.literal("hcp"),
      organization: matching(/^[A-Za-z0-9_-]+$/, "an HCP Terraform organization name"),
      workspacePrefix: matching(/^[A-Za-z0-9_-]*$/, "an HCP Terraform workspace prefix (letters, digits, '_' and '-')"),
      hostname: describe(z.string().optional(), "Default: app.terraform.io. The workflows pass the token as TF_TOKEN_app_terraform_io only: for Terraform Enterprise, add TF_TOKEN_<hostname, dots as underscores> from the environment's secret."),
    })
    .describe("HCP Terraform (or Terraform Enterprise). The workspace is `<workspacePrefix><env>`."),
]);

export const identitySchema = z
  .strictObject({
    namespace: describe(dnsLabel(), "Kubernetes namespace the environment's workloads run in: `<project>-<environment>`."),
    githubEnvironment: describe(
      nonBlank("a GitHub environment name (1 to 255 characters)", 255),
      "Name of the GitHub repository environment (`production`, …); starts with the environment's name.",
    ),
    vaultSubtree: describe(
      matching(VAULT_SEGMENT, "a Vault path segment (letters, digits, '_' and '-', no '/')"),
      "Folder under the KV v2 mount that holds this environment's secrets (`secret/<subtree>/<service>`): the environment's name.",
    ),
    deployBranches: describe(
      listOf(branchName("a branch name or pattern"), "branch names or patterns", 'name at least one branch, or "*" for any'),
      "Branches (or `*` globs, GitHub's branch-pattern syntax) allowed to deploy here; each a reviewed branch.",
    ),
    protectedBranch: describe(
      branchName("a branch name (or null)").nullable(),
      "The branch (pattern) this environment's ruleset protects (pull requests, reviews, checks); `null` protects none.",
    ),
    branchCreators: describe(
      listOf(matching(GITHUB_NAME, "a GitHub team slug"), "GitHub team slugs", "name the teams that may create the protected branch, or leave it out").optional(),
      "Teams (slugs) that alone may have branches matching `protectedBranch` created (and deleted), by approving the `branches` workflow, which creates them at the default branch's head. Default: nobody is restricted.",
    ),
  })
  .describe("What makes an environment itself rather than another: the fields a clone does not take from its source.");

const purposeSchema = describe(nonBlank("a purpose (say what the environment is for)"), "One line for people: what the environment is for.");

const environmentName = () => z.string(says((v) => `${show(v)} is not an environment name`));

/** What a change must pass to enter an environment (`npm run gate -- <env>`, review/gate.ts). */
export const entryGatesSchema = z
  .strictObject({
    testPassRatePercent: describe(
      percent().nullable(),
      "More than this share of the commit's tests must pass (the JUnit XML or jest JSON report given to `npm run gate -- <env> --report`); `null`: no test gate.",
    ),
    sourceErrorRate: describe(
      z
        .strictObject({
          environment: describe(environmentName(), "An environment before this one in the promotion order."),
          belowPercent: describe(percent(), "Its error rate (errors / requests of each service: its error-rate monitor's query) must be below this, in percent."),
          lookbackMinutes: describe(wholeNumber(5, 10080), "Measured over this many minutes before the gate runs."),
        })
        .nullable(),
      "Another environment's error rate, read from Datadog's metrics API; no data or no answer fails the gate. `null`: no error-rate gate.",
    ),
    deployedFirstIn: describe(
      environmentName().nullable(),
      "An environment before this one that must have deployed the same commit successfully (its GitHub deployments); `null`: none.",
    ),
    requiredChecks: describe(
      list(nonBlank("a check name"), "check names"),
      "GitHub checks (check runs by name) that must have succeeded on the commit.",
    ),
  })
  .describe("What a change must pass to enter this environment, checked by `npm run gate -- <env>` before the apply (besides the deployment window and the approval).");

const costSchema = z
    .strictObject({
      budgetMonthly: describe(money(true), "What the environment may cost a month; the estimate at max replicas must stay within it."),
      fixedMonthly: describe(
        z.record(z.string(), money(), says((v) => `${show(v)} is not a map of item → monthly amount`)),
        "Monthly costs besides the pods (a load balancer, a database), by item.",
      ),
    })
    .describe("The environment's monthly budget and fixed costs, for the estimate from the matrix (never a bill).");

export const environmentSettingsSchema = z.strictObject({
  identity: identitySchema,
  purpose: purposeSchema,
  protected: describe(flag(), "Live users or their clone: approvals, restricted pods, prevent_destroy, paging."),
  cluster: describe(z.string(says((v) => `${show(v)} is not a cluster name`)), "Key into `organization.clusters`."),
  backend: backendSchema,
  pod: z
    .strictObject({ cpuMillicores: wholeNumber(1), memoryMiB: wholeNumber(1) })
    .describe("Size of one pod of one service (requests = limits)."),
  replicas: z
    .strictObject({ min: wholeNumber(1), default: wholeNumber(1), max: wholeNumber(1) })
    .describe("Replica count of each service: autoscaling keeps it within min..max, starting at `default`."),
  traffic: z.strictObject({ tls: flag(), rateLimit: flag() }),
  runtime: z
    .strictObject({
      logLevel: oneOf(LOG_LEVELS),
      apiTimeoutSeconds: wholeNumber(1, 3600),
      dbPoolSize: wholeNumber(1, 10000),
      cacheEnabled: describe(flag(), "CACHE_ENABLED: the application uses its cache."),
      metricsEnabled: describe(flag(), "ENABLE_METRICS: the application exports its own metrics."),
      alertOnErrors: describe(flag(), "ALERT_ON_ERRORS: the application raises an alert on the errors it catches."),
      databaseMigrations: describe(
        oneOf(MIGRATION_MODES),
        "DB_MIGRATIONS: how a deploy runs schema migrations: automatically; automatically with a warning on destructive changes; blue/green with a manual confirmation.",
      ),
    })
    .describe("The environment profile that deployments read (LOG_LEVEL, API_TIMEOUT, DB_POOL_SIZE, CACHE_ENABLED, ENABLE_METRICS, ALERT_ON_ERRORS, DB_MIGRATIONS)."),
  rollout: z
    .strictObject({
      featureFlagPercentSteps: describe(listOf(percent(), "percentages", "a flag reaches somebody"), "FEATURE_FLAG_STEPS: the share of users a new feature flag reaches, step by step."),
      trafficSteps: describe(
        list(z.strictObject({ percent: percent(true), minutes: wholeNumber(1, 1440) }), "traffic steps"),
        "TRAFFIC_STEPS: the new version's share of traffic and how long each share holds before 100%; empty: all at once.",
      ),
      previousVersionFallbackMinutes: describe(wholeNumber(0, 10080), "PREVIOUS_VERSION_FALLBACK: how long the previous version stays ready to take the traffic back."),
      previousVersionStandbyMinutes: describe(wholeNumber(0, 10080), "PREVIOUS_VERSION_STANDBY: how long the previous version stays deployed at all."),
      rollbackWithinMinutes: describe(wholeNumber(1, 1440).nullable(), "ROLLBACK_WITHIN: the rollback time the environment promises; `null`: none promised."),
    })
    .describe("How a new version reaches users, published in the profile for whichever rollout tool the applications use."),
  alerts: z
    .strictObject({
      errorRatePercent: describe(percent(), "Critical: errors / requests, in percent."),
      latencyMs: describe(wholeNumber(1), "Critical: p99 request latency."),
      cpuPercent: describe(percent(), "Critical: CPU used / CPU limit of the service's pods, in percent."),
      routing: describe(oneOf(ROUTINGS), "Who hears about an alert: nobody (logged only), a chat channel, or on-call (page + chat)."),
      // Datadog rejects a warning at or above critical, and a recovery at or above its threshold (for ">").
      warningAtPercentOfCritical: describe(percent(true), "Warning threshold, as a percentage of the critical one (below 100)."),
      recoverAtPercentOfThreshold: describe(percent(true), "A threshold recovers when the value falls below this percentage of it (below 100)."),
      evaluationWindowMinutes: wholeNumber(1, 1440),
      notifyNoData: describe(flag(), "Alert when a service stops reporting (after `noDataTimeframeMinutes`)."),
      noDataTimeframeMinutes: wholeNumber(1, 2880),
      renotifyMinutes: describe(wholeNumber(0, 10080), "Re-notify while still alerting; 0 never."),
      priority: describe(wholeNumber(1, 5), "Datadog priority, 1 (highest) to 5."),
      tiers: describe(
        z.strictObject({ errorRate: oneOf(ALERT_TIERS), latency: oneOf(ALERT_TIERS), cpu: oneOf(ALERT_TIERS) }).nullable(),
        "Each monitor's tier where the environment pages: critical pages on-call (and chat), high opens a ticket, medium is logged for investigation, low goes to the weekly report; each tier its own priority (1 to 4). `null`: every monitor follows `routing` and `priority`.",
      ),
    })
    .describe("Monitors of every service: the critical thresholds, how they are evaluated, and who hears about them."),
  canaryGate: z
    .strictObject({
      maxErrorRateIncreasePercent: percent(),
      maxLatencyIncreasePercent: percent(),
      minExcessErrors: describe(
        wholeNumber(1, 1000),
        "The error gate blocks only on more than this many canary errors, in one evaluation window, beyond what the stable's error rate plus the allowance predicts for the canary's requests: at canary volumes a handful of errors is chance, and the allowance alone (a fraction of the error threshold) is less than one error.",
      ),
    })
    .nullable()
    .describe("Canary gate before promotion: monitors comparing canary to stable that the rollout queries; `null` where there is no canary."),
  slo: z
    .strictObject({
      // 100% availability leaves no error budget: an SLO must be below it.
      availabilityPercent: percent(true),
      latencyP99Ms: describe(wholeNumber(1).nullable(), "p99 latency objective in milliseconds; `null`: no latency SLO (an uptime target alone)."),
    })
    .nullable()
    .describe("Service level objectives; `null` where there are no users to promise anything to."),
  approval: z.strictObject({
    reviewers: z
      .strictObject({
        teams: list(matching(GITHUB_NAME, "a GitHub team slug"), "GitHub team slugs"),
        users: list(matching(GITHUB_NAME, "a GitHub login"), "GitHub logins"),
      })
      .describe("Teams (slugs) and users (logins) who may approve a deployment; any one of them approves."),
    preventSelfReview: flag(),
    adminsCanBypass: flag(),
    waitTimerMinutes: wholeNumber(0, GITHUB_MAX_WAIT_TIMER_MINUTES),
    requiredApprovingReviews: describe(wholeNumber(0, GITHUB_MAX_APPROVING_REVIEWS), "Approving reviews a pull request into the protected branch needs."),
    dismissStaleReviews: describe(flag(), "A new push to a pull request dismisses its approvals."),
    requiredStatusChecks: describe(
      list(nonBlank("a check name"), "check names"),
      "Status checks (job names of the project's workflows) that must pass before merging.",
    ),
    codeScanning: z
      .strictObject({
        tool: describe(nonBlank("a code scanning tool's name"), "The tool whose results the branch waits for (`CodeQL`: .github/workflows/security.yml)."),
        alertsThreshold: describe(oneOf(CODE_SCANNING_ALERT_THRESHOLDS), "Alerts (code quality) at or above this severity block the merge."),
        securityAlertsThreshold: describe(oneOf(CODE_SCANNING_SECURITY_THRESHOLDS), "Security alerts at or above this severity block the merge."),
      })
      .nullable()
      .describe("Code scanning results a pull request into the protected branch must have, and the alerts that block it; `null`: none required."),
    allowForcePushes: flag(),
    checklist: describe(
      list(nonBlank("a checklist item", 200), "checklist items"),
      "What an approver confirms before approving a deploy, shown beside the plan (`npm run approval-checklist`).",
    ),
  }),
  deploymentWindow: deploymentWindowSchema
    .nullable()
    .describe("When the deploy job may apply this environment's stack (`npm run deploy-window`); `null` means at any time."),
  entryGates: entryGatesSchema,
  network: z
    .strictObject({
      allowSameEnvironment: describe(flag(), "Ingress from and egress to namespaces labelled with the same environment."),
      allowDns: describe(flag(), "Egress to cluster DNS (kube-system, k8s-app=kube-dns, port 53)."),
      allowIngressController: describe(flag(), "Ingress from the ingress controller's namespace (`organization.ingressController`)."),
      allowVaultEgress: describe(flag(), "Egress to Vault (`organization.vault.egressCidrs`, port of `organization.vault.address`)."),
    })
    .describe("The allows layered on the namespace's default deny."),
  sidecarInjection: describe(flag(), "Label the namespace for service-mesh sidecar injection (`organization.serviceMesh`)."),
  rolloutSurgePods: describe(wholeNumber(0), "Extra pods per service the quota leaves room for, so a rolling update at max replicas can surge."),
  splitByTeam: describe(
    flag(),
    "Besides the environment's own stack, one stack per team (`<environment>-<team>`): the team's services' service accounts, ExternalSecrets, monitors and SLOs, in a state of their own, planned and applied on their own. Off: one stack for the environment.",
  ),
  cost: costSchema,
  secrets: z
    .strictObject({
      operatorInstalled: describe(flag(), "Whether the cluster runs the External Secrets Operator (its CRDs installed)."),
      refreshInterval: describe(refreshInterval(), "How often each ExternalSecret re-reads Vault (a Go duration, at least 1m)."),
      creationPolicy: describe(oneOf(CREATION_POLICIES), "ESO target creationPolicy: `Owner` deletes the Secret with its ExternalSecret, `Orphan` keeps it."),
      deletionPolicy: describe(oneOf(DELETION_POLICIES), "ESO target deletionPolicy: what happens to the Secret when the value disappears from Vault."),
      // A short-lived token: the secret sync logs in again when it needs one.
      vaultTokenTtlSeconds: describe(wholeNumber(60, 86400), "Lifetime of the Vault token the secret sync logs in for."),
    })
    .describe("How the environment's secrets reach its namespace: Vault → SecretStore → ExternalSecret → Secret."),
});

/** An environment declared as another one except for its identity (hotfix = prod). */
export const environmentCloneSchema = z
  .strictObject({
    cloneOf: describe(z.string(says((v) => `${show(v)} is not an environment name`)), "Name of the environment this one is a clone of; it may not be a clone itself."),
    identity: identitySchema,
    purpose: purposeSchema,
    deploymentWindow: describe(
      deploymentWindowSchema.nullable().optional(),
      "A setting a clone may declare for itself (when, not what). Default: the source's window.",
    ),
    entryGates: describe(
      entryGatesSchema.optional(),
      "A setting a clone may declare for itself (what a change passes to get there, not what it becomes). Default: the source's gates.",
    ),
    cost: describe(costSchema.optional(), "A setting a clone may declare for itself (its own budget and fixed items: it runs beside its source). Default: the source's."),
  })
  .describe("An environment declared as another one except for its identity: every other value is the source's.");

// ---------------------------------------------------------------------------------------------------------------
// The organization: settings a team changes once.

const clusterSchema = z.strictObject({
  context: describe(nonBlank("a kubeconfig context name"), "kubeconfig context Terraform uses for this cluster (the file comes from KUBE_CONFIG_PATH)."),
  host: describe(httpsUrl(), "API server URL, as Vault's Kubernetes auth backend reaches it."),
  caCertificatePem: describe(pem().optional(), "PEM of the CA that signed the API server's certificate (public). Default: Vault's own trust store."),
  vaultInCluster: describe(flag().optional(), "Vault runs inside this cluster. Default false: configured with disable_local_ca_jwt and the reviewer's JWT."),
  dnsIpBlocks: describe(
    list(text("one address as a CIDR (like 169.254.20.10/32; /128 for IPv6): a DNS server, not a range that would open port 53 to it", isHostCidr), "CIDRs").optional(),
    "Where pods' DNS queries go that no pod selector matches, allowed beside kube-dns's pods: NodeLocal DNSCache's address and the kube-dns Service's ClusterIP (each /32), or 169.254.169.254/32 for GKE's Cloud DNS. NodeLocal DNSCache runs on the host network, which a pod selector never matches (kubernetes/kubernetes cluster/addons/dns/nodelocaldns README); GKE enables it by default on Autopilot and recent Standard clusters. Default: none.",
  ),
});

const handle = () => matching(/^@[A-Za-z0-9_.\-]+$/, "a Datadog notification handle (like @slack-channel)");
const traceOperation = () => matching(/^[a-z][a-z0-9_.]*$/, "an APM operation name (like http.request)");
const tagName = () => matching(/^[a-z][a-z0-9_.\-/]*$/, "a Datadog tag name or value");

export const organizationSchema = z.strictObject({
  project: describe(dnsLabel(), "Short name of the system these environments run; used in labels and namespaces."),
  cost: z
    .strictObject({
      currency: describe(matching(/^[A-Z]{3}$/, "a currency code (ISO 4217, like USD)"), "The currency of every amount in the matrix."),
      vcpuHour: describe(money(true), "Price of one vCPU for an hour (the pods' CPU at requests = limits)."),
      gibHour: describe(money(true), "Price of one GiB of memory for an hour."),
      hoursPerMonth: describe(wholeNumber(1, 744), "Hours in the month the estimate counts (730 is a year's average)."),
    })
    .describe("Unit prices of the cost estimate (`npm run cost`): an estimate from the matrix, never a bill."),
  github: z.strictObject({
    owner: matching(GITHUB_NAME, "a GitHub owner name", 39),
    repository: matching(GITHUB_NAME, "a GitHub repository name", 100),
    defaultBranch: describe(
      // no pattern (`*`); no comma either (branchName says why)
      text("a branch name (no white space, no comma, no *)", (v) => v.trim() !== "" && !/[\s*,]/.test(v)),
      "The repository's default branch: where pull-request review and drift workflows run.",
    ),
    owningTeam: describe(matching(GITHUB_NAME, "a GitHub team slug"), "Team (slug) that owns this repository's code: CODEOWNERS of everything that decides what is applied."),
    actionsAppId: describe(wholeNumber(1).optional(), "App id of GitHub Actions, which the `check` job's status is pinned to. Default: 15368."),
    reviewApp: z
      .strictObject({ appId: wholeNumber(1), environment: nonBlank("a GitHub environment name", 255) })
      .describe("The GitHub App that posts the \"envmatrix review\" check run; its key lives only in `environment`."),
    branchApp: z
      .strictObject({ appId: wholeNumber(1) })
      .optional()
      .describe(
        "The GitHub App that alone creates and deletes the branches `identity.branchCreators` restrict (hotfix/*): the default branch's `branches` workflow, at the default branch's head only, once the creators approve; its key lives only in each such environment's `<githubEnvironment>-branches` environment.",
      ),
  }),
  gates: z
    .strictObject({
      followsEnvironment: describe(z.string(says((v) => `${show(v)} is not an environment name`)), "A protected environment whose branch, reviewers, window and backend the gates stack takes."),
      githubEnvironment: describe(
        nonBlank("a GitHub environment name", 255 - PLAN_ENVIRONMENT_SUFFIX.length),
        "GitHub environment the gates stack is applied in (its admin credentials live there only).",
      ),
    })
    .describe("The `gates` stack: every environment's GitHub gates and deployer policies, applied like the strictest environment."),
  vault: z.strictObject({
    address: httpsUrl(),
    kvMount: describe(matching(VAULT_SEGMENT, "a Vault mount name (one path segment)"), "Name of the KV v2 mount that holds every environment's subtree."),
    kvMountManagedBy: describe(
      z
        .string(says((v) => `${show(v)} is not an environment (name the one whose stack owns the mount, or null for an existing mount)`))
        .nullable(),
      "Which environment's stack creates and owns the KV v2 mount; `null` uses an existing mount.",
    ),
    authMountPrefix: describe(
      matching(/^[A-Za-z0-9_-]*$/, "a Vault path prefix (letters, digits, '_' and '-')"),
      "Each cluster has one Kubernetes auth mount, `<authMountPrefix><cluster>`, configured once at cluster bootstrap.",
    ),
    caCertificatePem: describe(pem().optional(), "PEM of the CA that signed Vault's server certificate (public), when it is a private CA."),
    githubJwtMount: describe(matching(VAULT_SEGMENT, "a Vault mount name (one path segment)"), "JWT auth mount that trusts GitHub Actions' OIDC issuer."),
    tokenAudience: describe(nonBlank("a token audience"), "Audience of the service account tokens the secret sync presents to Vault."),
    egressCidrs: describe(
      listOf(text("a CIDR (like 192.0.2.0/28)", isCidr), "CIDRs", "the Vault egress policy needs at least one CIDR"),
      "Where Vault answers, for the egress NetworkPolicy (NetworkPolicies match addresses, not names).",
    ),
    egressCidrMinPrefix: describe(wholeNumber(8, 32).optional(), "The widest egress CIDR allowed, as an IPv4 prefix length (IPv6 96 more). Default: 24."),
  }),
  secretRotation: z
    .strictObject({ databasePasswordDays: wholeNumber(1, 3650), apiKeyDays: wholeNumber(1, 3650), signingKeyMonths: wholeNumber(1, 120) })
    .describe("Rotation guidance for operators, published on every ExternalSecret; envmatrix never holds a value."),
  clusters: z.record(z.string(), clusterSchema),
  ingressController: z.strictObject({
    namespace: dnsLabel(),
    podLabels: describe(labels(), "Labels of the controller's pods: only they may reach the services, and only on the services' ports."),
  }),
  podSecurityVersion: describe(
    matching(/^(latest|v1\.\d{1,2})$/, "a Pod Security Standards version (v1.31, or latest)"),
    "Pod Security Standards version pinned on every namespace: `v1.31`, or `latest`.",
  ),
  serviceMesh: z.strictObject({
    mode: describe(oneOf(MESH_MODES), "How the mesh joins pods: sidecar-cni, sidecar-init (needs NET_ADMIN/NET_RAW), or ambient."),
    controlPlane: z.strictObject({ namespace: dnsLabel(), podLabels: labels(), port: wholeNumber(1, 65535) }),
    injectionLabel: matching(LABEL_KEY, "a Kubernetes label key"),
    injectionValue: matching(LABEL_VALUE, "a Kubernetes label value"),
    sidecar: z
      .strictObject({ cpuMillicores: wholeNumber(0), memoryMiB: wholeNumber(0) })
      .describe("Requests (= limits) the mesh sets on its proxy container; the quota makes room for it."),
  }),
  secretSync: z.strictObject({ serviceAccount: serviceAccountName() }),
  platform: z
    .strictObject({
      namespace: describe(dnsLabel(), "Namespace of the deployers' and the token reviewer's service accounts."),
      tokenReviewerServiceAccount: describe(serviceAccountName(), "Service account Vault reviews login tokens with (one per cluster)."),
    })
    .describe("What a cluster admin sets up once per cluster, outside any environment's stack."),
  datadog: z.strictObject({
    apiUrl: httpsUrl(),
    chatHandle: handle(),
    pagerHandle: handle(),
    gateHandle: describe(handle(), "Who is told about canary gate monitors: the rollout that queries them."),
    ticketHandle: describe(handle(), "Where a `high` tier alert opens a ticket (a webhook to the ticket system, or Datadog's ticketing integration)."),
    agent: z.strictObject({
      transport: describe(oneOf(AGENT_TRANSPORTS), "How pods reach the node's Datadog Agent: `tcp` (8126, 8125/udp) or `socket` (CSI driver)."),
      namespace: dnsLabel(),
      podLabels: labels(),
      service: describe(dnsLabel(), "The agent's Service (internalTrafficPolicy: Local), which pods send traces to."),
    }),
    runbookBaseUrl: describe(httpsUrl(), "Monitor messages link `<runbookBaseUrl>/<service>/<monitor>`."),
    traceOperation: describe(
      traceOperation(),
      "The APM operation whose trace metrics the monitors read: the service's entry span name, which each tracer names its own (dd-trace-js's HTTP server web.request, Go's net/http http.request, Java's servlet.request). A service's own `traceOperation` overrides it.",
    ),
    apmSecondPrimaryTag: z
      .strictObject({ key: tagName(), canary: tagName(), stable: tagName() })
      .describe("The tag that tells canary spans from stable ones, configured as the APM second primary tag."),
  }),
});

export const serviceSchema = z.strictObject({
  // Service names become Kubernetes names with a prefix or suffix of at most 10 characters.
  name: describe(matching(DNS_LABEL, "a Kubernetes name (DNS-1123 label, at most 50 characters)", 50), "Name of the service: its service account, Vault path, Secret and monitors."),
  team: describe(matching(DNS_LABEL, "a team name (lowercase letters, digits and '-')", 63), "Owning team, for the `team:` tag and routing."),
  port: describe(wholeNumber(1, 65535).optional(), "The container port the service listens on. Default: 8080."),
  latencyMs: describe(
    wholeNumber(1, 600000).optional(),
    "This service's p99 latency alert threshold in every environment instead of the environment's `alerts.latencyMs` (a service slower by design: batch, reports). Default: the environment's.",
  ),
  traceOperation: describe(
    traceOperation().optional(),
    "This service's APM entry span name where it differs from `organization.datadog.traceOperation` (a service in another language: dd-trace-js names its HTTP server spans web.request, and http.request are its outgoing calls). Default: the organization's.",
  ),
});

// The environment's name is the stack id, the `env:` tag and part of every label: a DNS label keeps all of them valid.
export const environmentNameSchema = matching(DNS_LABEL, `a valid environment name: ${DNS_LABEL_RULE}`, 63);

/** The matrix as written in config/environments.ts: clones still refer to their source. */
export const matrixDefinitionSchema = z.strictObject({
  organization: organizationSchema,
  services: describe(listOf(serviceSchema, "services", "every environment runs at least one service"), "Services that run in every environment."),
  promotionOrder: describe(
    listOf(z.string(), "environment names", "list the environments from least to most strict"),
    "Environments in promotion order: each may only be as strict as, or stricter than, the one before.",
  ),
  environments: describe(
    z.record(environmentNameSchema, z.union([environmentCloneSchema, environmentSettingsSchema])),
    "Every environment, keyed by its name (the stack id, the `env:` tag).",
  ),
});

// ---------------------------------------------------------------------------------------------------------------
// The types, inferred.

/** Deeply read-only: the matrix is data nobody changes after loading it. */
export type DeepReadonly<T> = T extends (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

export type LogLevel = (typeof LOG_LEVELS)[number];
export type AlertRouting = (typeof ROUTINGS)[number];
export type Weekday = (typeof WEEKDAYS)[number];
export type BackendSettings = DeepReadonly<z.infer<typeof backendSchema>>;
export type DeploymentWindow = DeepReadonly<z.infer<typeof deploymentWindowSchema>>;
export type EnvironmentIdentity = DeepReadonly<z.infer<typeof identitySchema>>;
export type EnvironmentSettings = DeepReadonly<z.infer<typeof environmentSettingsSchema>>;
export type SecretSyncSettings = EnvironmentSettings["secrets"];
export type EnvironmentClone = DeepReadonly<z.infer<typeof environmentCloneSchema>>;
export type EnvironmentDefinition = EnvironmentSettings | EnvironmentClone;
export type Organization = DeepReadonly<z.infer<typeof organizationSchema>>;
export type Cluster = Organization["clusters"][string];
export type Service = DeepReadonly<z.infer<typeof serviceSchema>>;
export type MatrixDefinition = DeepReadonly<z.infer<typeof matrixDefinitionSchema>>;

/** The matrix with every clone resolved: what stacks are built from. */
export interface Matrix extends Omit<MatrixDefinition, "environments"> {
  readonly environments: Readonly<Record<string, EnvironmentSettings>>;
  /** Each clone's source environment (hotfix: prod), as declared: the settings above are already resolved. */
  readonly clones: Readonly<Record<string, string>>;
}

/**
 * A schema's definition with its optional and nullable wrappers taken off (the only ones the matrix uses): what the
 * tools that walk the schema (the did-you-mean, the matrix table's field order) look at.
 */
export function unwrapped(schema: unknown): any {
  let def = (schema as any)?._zod?.def;
  while (def && ["optional", "nullable"].includes(def.type)) def = def.innerType?._zod?.def;
  return def;
}

/**
 * The matrix's JSON Schema (draft 2020-12) for editors and for the JSON export (`npm run matrix -- --format json`).
 * Checks written as code (time zones, CIDRs, URLs, labels) appear as plain strings there; `check-matrix` runs them.
 */
export const matrixJsonSchema = () => z.toJSONSchema(matrixDefinitionSchema, { unrepresentable: "any", io: "input" });
