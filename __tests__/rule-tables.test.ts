/**
 * One row per rule of config/rules.ts: an edit that breaks it (with the path and the words of the problem it must
 * give) and the edit beside it that must pass. Every rule of the tables needs a row here (the last test), so a new
 * rule comes with its test; `npm run drop-each-rule` removes each rule in turn and checks that a test here fails.
 *
 * Values in the rows are the seed's (config/environments.ts), read there: dev → staging → prod → hotfix (a clone of
 * prod), only prod and hotfix protected.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ENVIRONMENT_RULES, PROMOTION_RULES, PROTECTED_RULES, RULES, TRUST_RULES, UNIQUENESS_RULES, eachEnvironment } from "../config/rules";
import { BOOKKEEPING, TESTS, copyProject, dropEachRule, main as dropEachRuleMain, tableRows, verdict, type Spawn } from "../scripts/drop-each-rule";
import { spawnSync } from "node:child_process";
import * as os from "node:os";
import { resolveMatrix, validateMatrix } from "../config/validate";
import { editableDefinition, seedMatrix } from "./helpers";

type Edit = (m: any) => void;
interface Case {
  readonly bad: Edit;
  /** Where the problem is reported, and the words it must carry. */
  readonly at: string;
  readonly says: RegExp;
  /** The edit beside the bad one that the rule lets through (the matrix then has no problem at all). */
  readonly good: Edit;
}

/** A second service doubles every environment's pods: budgets with room for it (max-cost-within-budget). */
const roomInBudgets = (m: any) => {
  for (const e of Object.values<any>(m.environments)) if (e.cost) e.cost.budgetMonthly *= 3;
};
const seed: Edit = () => {};
const lab = (m: any) => (m.organization.clusters.lab = { context: "lab", host: "https://lab.k8s.example.internal:6443" });
const slo = (availabilityPercent: number, latencyP99Ms: number | null) => ({ availabilityPercent, latencyP99Ms });
const gate = { maxErrorRateIncreasePercent: 5, maxLatencyIncreasePercent: 10, minExcessErrors: 10 };
/** The mesh's istio-init mode, and the same with no environment injecting sidecars (staging and prod do in the seed). */
const sidecarInit: Edit = (m) => (m.organization.serviceMesh.mode = "sidecar-init");
const sidecarInitWithoutSidecars: Edit = (m) => {
  sidecarInit(m);
  m.environments.staging.sidecarInjection = false;
  m.environments.prod.sidecarInjection = false;
};

const ROWS: Record<string, readonly Case[]> = {
  // each environment
  "cluster-known": [{ bad: (m) => (m.environments.dev.cluster = "lab"), at: "environments.dev.cluster", says: /^"lab" is not a cluster in organization.clusters \(known: nonprod, prod\)$/, good: (m) => { lab(m); m.environments.dev.cluster = "lab"; } }],
  "replicas-ordered": [
    { bad: (m) => (m.environments.dev.replicas = { min: 2, default: 2, max: 1 }), at: "environments.dev.replicas", says: /^min 2 is more than max 1$/, good: (m) => (m.environments.dev.replicas = { min: 2, default: 2, max: 2 }) },
    { bad: (m) => (m.environments.prod.replicas.default = 21), at: "environments.prod.replicas.default", says: /^21 is outside min\.\.max \(3\.\.20\)$/, good: (m) => (m.environments.prod.replicas.default = 20) },
    // below min, as well as above max
    { bad: (m) => (m.environments.prod.replicas.default = 2), at: "environments.prod.replicas.default", says: /^2 is outside min\.\.max \(3\.\.20\)$/, good: (m) => (m.environments.prod.replicas.default = 3) },
  ],
  "no-data-after-two-windows": [{ bad: (m) => (m.environments.dev.alerts.noDataTimeframeMinutes = 29), at: "environments.dev.alerts.noDataTimeframeMinutes", says: /^29 is less than twice the evaluation window of 15 minutes/, good: (m) => (m.environments.dev.alerts.noDataTimeframeMinutes = 30) }],
  "reviewers-within-github-limit": [
    { bad: (m) => (m.environments.prod.approval.reviewers.users = ["a", "b", "c", "d", "e", "f"]), at: "environments.prod.approval.reviewers", says: /^7 reviewers is more than GitHub's limit of 6$/, good: (m) => (m.environments.prod.approval.reviewers.users = ["a", "b", "c", "d", "e"]) },
  ],
  "branch-creators-within-github-limit": [
    { bad: (m) => (m.environments.hotfix.identity.branchCreators = ["a", "b", "c", "d", "e", "f", "g"]), at: "environments.hotfix.identity.branchCreators", says: /^7 teams is more than GitHub's limit of 6 reviewers/, good: (m) => (m.environments.hotfix.identity.branchCreators = ["a", "b", "c", "d", "e", "f"]) },
  ],
  "protects-a-deploy-branch": [
    { bad: (m) => (m.environments.staging.identity.protectedBranch = "main2"), at: "environments.staging.identity.protectedBranch", says: /^"main2" is not one of deployBranches/, good: (m) => (m.environments.staging.identity.deployBranches = ["main", "develop"]) },
  ],
  "branch-creators-need-a-branch": [
    { bad: (m) => (m.environments.dev.identity.branchCreators = ["platform"]), at: "environments.dev.identity.branchCreators", says: /^is set but protectedBranch is null/, good: (m) => (m.environments.staging.identity.branchCreators = ["platform"]) },
  ],
  "branch-creators-through-the-branch-app": [
    { bad: (m) => delete m.organization.github.branchApp, at: "environments.hotfix.identity.branchCreators", says: /^needs organization\.github\.branchApp: the app that creates these branches at the default branch's head/, good: (m) => (m.organization.github.branchApp = { appId: 7 }) },
  ],
  "secret-deletion-owns-the-secret": [
    { bad: (m) => (m.environments.dev.secrets.creationPolicy = "Merge"), at: "environments.dev.secrets.deletionPolicy", says: /^"Delete" with creationPolicy "Merge": the External Secrets Operator deletes only a Secret it owns/, good: (m) => { m.environments.dev.secrets.creationPolicy = "Merge"; m.environments.dev.secrets.deletionPolicy = "Retain"; } },
    { bad: (m) => (m.environments.staging.secrets.creationPolicy = "Orphan"), at: "environments.staging.secrets.deletionPolicy", says: /^"Delete" with creationPolicy "Orphan"/, good: (m) => (m.environments.staging.secrets.creationPolicy = "Owner") },
  ],
  "window-opens": [{ bad: (m) => (m.environments.prod.deploymentWindow.startHour = 16), at: "environments.prod.deploymentWindow", says: /^startHour 16 is not before endHour 16/, good: (m) => (m.environments.prod.deploymentWindow.startHour = 15) }],
  "gate-sources-earlier": [
    // prod measured in dev is fine (dev comes before it); staging measured in prod is not
    {
      bad: (m) => (m.environments.staging.entryGates.sourceErrorRate = { environment: "prod", belowPercent: 1, lookbackMinutes: 60 }),
      at: "environments.staging.entryGates.sourceErrorRate.environment",
      says: /^"prod" is not an environment before staging in the promotion order \(dev\)/,
      good: (m) => (m.environments.staging.entryGates.sourceErrorRate = { environment: "dev", belowPercent: 1, lookbackMinutes: 60 }),
    },
    {
      bad: (m) => (m.environments.prod.entryGates.sourceErrorRate.environment = "prod"),
      at: "environments.prod.entryGates.sourceErrorRate.environment",
      says: /^"prod" is not an environment before prod in the promotion order \(dev, staging\)/,
      good: (m) => (m.environments.prod.entryGates.sourceErrorRate.environment = "dev"),
    },
    { bad: (m) => (m.environments.dev.entryGates.deployedFirstIn = "nowhere"), at: "environments.dev.entryGates.deployedFirstIn", says: /^"nowhere" is not an environment before dev in the promotion order \(none\)/, good: seed },
  ],
  "tiers-where-paging": [
    { bad: (m) => (m.environments.staging.alerts.tiers = { errorRate: "high", latency: "medium", cpu: "low" }), at: "environments.staging.alerts.tiers", says: /^are set while routing is "chat"/, good: (m) => (m.environments.prod.alerts.tiers = { errorRate: "critical", latency: "critical", cpu: "low" }) },
  ],
  "protected-tiers-page": [
    { bad: (m) => (m.environments.prod.alerts.tiers = { errorRate: "high", latency: "high", cpu: "medium" }), at: "environments.prod.alerts.tiers", says: /^have no critical tier \(a protected environment pages on-call for something\)$/, good: (m) => (m.environments.prod.alerts.tiers = { errorRate: "high", latency: "critical", cpu: "medium" }) },
  ],
  "deployed-first-in-the-pipeline": [
    {
      bad: (m) => (m.environments.prod.backend = { type: "s3", bucket: "envmatrix-state", region: "eu-central-1", keyPrefix: "envmatrix" }),
      at: "environments.prod.entryGates.deployedFirstIn",
      says: /^"staging" is on the local backend, which the deploy workflow leaves out: the gate would never find it deployed first in the run/,
      good: (m) => {
        m.environments.prod.backend = { type: "s3", bucket: "envmatrix-state", region: "eu-central-1", keyPrefix: "envmatrix" };
        m.environments.staging.backend = { type: "s3", bucket: "envmatrix-state", region: "eu-central-1", keyPrefix: "envmatrix" };
      },
    },
  ],
  "deployed-first-on-the-same-branches": [
    {
      bad: (m) => (m.environments.staging.identity.deployBranches = ["develop"]),
      at: "environments.prod.identity.deployBranches",
      says: /^main: "staging" \(entryGates\.deployedFirstIn\) does not deploy from it, so a commit there never reaches staging first$/,
      good: (m) => (m.environments.staging.identity.deployBranches = ["main", "develop"]),
    },
    // a clone that takes prod's gates (no entryGates of its own) but deploys from its own branches: reported on it
    { bad: (m) => delete m.environments.hotfix.entryGates, at: "environments.hotfix.identity.deployBranches", says: /^hotfix\/\*: "staging" \(entryGates\.deployedFirstIn\) does not deploy from it/, good: seed },
    // every branch the source lacks, named in one problem (hotfix/x is reviewed: hotfix's protected pattern covers it)
    {
      bad: (m) => ((m.environments.staging.identity.deployBranches = ["develop"]), (m.environments.prod.identity.deployBranches = ["main", "hotfix/x"])),
      at: "environments.prod.identity.deployBranches",
      says: /^main, hotfix\/x: "staging" \(entryGates\.deployedFirstIn\) does not deploy from it/,
      good: (m) => ((m.environments.staging.identity.deployBranches = ["develop", "main", "hotfix/x"]), (m.environments.prod.identity.deployBranches = ["main", "hotfix/x"])),
    },
  ],
  "rollout-steps-rise": [
    { bad: (m) => (m.environments.prod.rollout.featureFlagPercentSteps = [10, 50, 25, 100]), at: "environments.prod.rollout.featureFlagPercentSteps[2]", says: /^25% does not rise above the step before it \(50%\)/, good: (m) => (m.environments.prod.rollout.featureFlagPercentSteps = [10, 25, 50]) },
    // a repeated step is not a rise either
    { bad: (m) => (m.environments.prod.rollout.trafficSteps[1].percent = 1), at: "environments.prod.rollout.trafficSteps[1].percent", says: /^1% does not rise above the step before it \(1%\)/, good: (m) => (m.environments.prod.rollout.trafficSteps[1].percent = 2) },
    // the second step, the first that has one before it
    { bad: (m) => (m.environments.prod.rollout.featureFlagPercentSteps = [10, 10, 50]), at: "environments.prod.rollout.featureFlagPercentSteps[1]", says: /^10% does not rise above the step before it \(10%\)/, good: (m) => (m.environments.prod.rollout.featureFlagPercentSteps = [10, 11, 50]) },
  ],
  "standby-outlasts-fallback": [
    { bad: (m) => (m.environments.prod.rollout.previousVersionStandbyMinutes = 59), at: "environments.prod.rollout.previousVersionStandbyMinutes", says: /^59 is shorter than previousVersionFallbackMinutes 60/, good: (m) => (m.environments.prod.rollout.previousVersionStandbyMinutes = 60) },
  ],
  "protected-has-checklist": [
    { bad: (m) => (m.environments.prod.approval.checklist = []), at: "environments.prod.approval.checklist", says: /^is empty \(a protected environment tells its approvers what they vouch for\)$/, good: (m) => (m.environments.prod.approval.checklist = ["rollback plan documented"]) },
  ],
  "sidecars-admitted": [
    { bad: sidecarInit, at: "environments.staging.sidecarInjection", says: /istio-init needs NET_ADMIN and NET_RAW, which Pod Security baseline forbids/, good: sidecarInitWithoutSidecars },
    // a protected environment's namespace enforces restricted (DESIGN.md), which forbids them as well
    { bad: sidecarInit, at: "environments.prod.sidecarInjection", says: /istio-init needs NET_ADMIN and NET_RAW, which Pod Security restricted forbids/, good: sidecarInitWithoutSidecars },
  ],
  // the seed's sidecar: 100m and 128 MiB (config/organization.ts); staging injects it. A pod of exactly that size
  // fits (the LimitRange refuses a limit above max, not at it); without injection any size does
  "sidecar-fits-pod": [
    { bad: (m) => (m.environments.staging.pod.memoryMiB = 127), at: "environments.staging.pod.memoryMiB", says: /^127 is below the mesh sidecar's 128 MiB \(organization\.serviceMesh\.sidecar\): the namespace's LimitRange/, good: (m) => (m.environments.staging.pod.memoryMiB = 128) },
    { bad: (m) => (m.environments.staging.pod.cpuMillicores = 99), at: "environments.staging.pod.cpuMillicores", says: /^99 is below the mesh sidecar's 100m /, good: (m) => (m.environments.staging.pod.cpuMillicores = 100) },
    { bad: (m) => (m.environments.staging.pod.cpuMillicores = 99), at: "environments.staging.pod.cpuMillicores", says: /would refuse every pod/, good: (m) => ((m.environments.staging.pod.cpuMillicores = 99), (m.environments.staging.sidecarInjection = false)) },
    // ambient mode injects no sidecar into the pods
    { bad: (m) => (m.organization.serviceMesh.sidecar.memoryMiB = 4096), at: "environments.prod.pod.memoryMiB", says: /^2048 is below the mesh sidecar's 4096 MiB/, good: (m) => ((m.organization.serviceMesh.sidecar.memoryMiB = 4096), (m.organization.serviceMesh.mode = "ambient"), roomInBudgets(m)) },
  ],
  // staging injects sidecars, and the seed's Agent is reached over TCP; dev injects none
  "dns-where-names-are-dialled": [
    { bad: (m) => (m.environments.staging.network.allowDns = false), at: "environments.staging.network.allowDns", says: /^false, while the injected istio-proxy dials istiod by name .*; and tracers dial the Datadog Agent's Service by name/, good: (m) => (m.environments.staging.network.allowDns = true) },
    { bad: (m) => (m.environments.dev.network.allowDns = false), at: "environments.dev.network.allowDns", says: /^false, while tracers dial the Datadog Agent's Service by name \(DD_AGENT_HOST\), so every trace\.\* monitor would go No Data: egress is denied by default/, good: (m) => ((m.environments.dev.network.allowDns = false), (m.organization.datadog.agent.transport = "socket")) },
    { bad: (m) => ((m.environments.staging.network.allowDns = false), (m.organization.datadog.agent.transport = "socket")), at: "environments.staging.network.allowDns", says: /^false, while the injected istio-proxy dials istiod by name \(istiod\.<namespace>\.svc:15012\), so no pod would become ready: egress/, good: (m) => ((m.environments.staging.network.allowDns = false), (m.organization.datadog.agent.transport = "socket"), (m.environments.staging.sidecarInjection = false)) },
  ],

  // protected environments (prod, and hotfix through it); the good edit gives the value to an unprotected one
  "protected-has-reviewers": [
    { bad: (m) => (m.environments.prod.approval.reviewers = { teams: [], users: [] }), at: "environments.prod.approval.reviewers", says: /^is empty \(a protected environment needs required reviewers\)$/, good: (m) => (m.environments.prod.approval.reviewers = { teams: [], users: ["someone"] }) },
    // a team and a user: two reviewers, not none
    { bad: (m) => (m.environments.prod.approval.reviewers = { teams: [], users: [] }), at: "environments.prod.approval.reviewers", says: /^is empty/, good: (m) => (m.environments.prod.approval.reviewers = { teams: ["platform-leads"], users: ["someone"] }) },
  ],
  "protected-prevents-self-review": [{ bad: (m) => (m.environments.prod.approval.preventSelfReview = false), at: "environments.prod.approval.preventSelfReview", says: /^false is not allowed \(a protected environment forbids self-review\)$/, good: (m) => (m.environments.staging.approval.preventSelfReview = false) }],
  "protected-no-admin-bypass": [{ bad: (m) => (m.environments.prod.approval.adminsCanBypass = true), at: "environments.prod.approval.adminsCanBypass", says: /^true is not allowed \(a protected environment cannot be bypassed by admins\)$/, good: (m) => (m.environments.staging.approval.adminsCanBypass = true) }],
  "protected-named-branches": [
    { bad: (m) => (m.environments.hotfix.identity.deployBranches = ["*"]), at: "environments.hotfix.identity.deployBranches", says: /^"\*" is not allowed \(a protected environment deploys only from named branches\)$/, good: (m) => (m.environments.hotfix.identity.deployBranches = ["hotfix/*"]) },
    { bad: (m) => (m.environments.prod.identity.deployBranches = ["main", "*/*"]), at: "environments.prod.identity.deployBranches[1]", says: /^"\*\/\*" is not allowed \(a protected environment deploys only from named branches\)$/, good: (m) => (m.environments.prod.identity.deployBranches = ["main", "develop"]) },
  ],
  "protected-has-protected-branch": [{ bad: (m) => (m.environments.prod.identity.protectedBranch = null), at: "environments.prod.identity.protectedBranch", says: /^null is not allowed \(a protected environment protects the branch it deploys from\)$/, good: (m) => (m.environments.dev.identity.protectedBranch = null) }],
  "protected-pattern-names-creators": [
    { bad: (m) => delete m.environments.hotfix.identity.branchCreators, at: "environments.hotfix.identity.branchCreators", says: /^is missing \(a protected environment that protects the pattern "hotfix\/\*" names who may create/, good: (m) => (m.environments.hotfix.identity.branchCreators = ["release-managers"]) },
  ],
  "protected-in-promotion-order": [{ bad: (m) => (m.promotionOrder = ["dev", "staging", "prod"]), at: "promotionOrder", says: /^does not list hotfix \(every protected environment is in the promotion order/, good: (m) => (m.promotionOrder = ["dev", "staging", "hotfix", "prod"]) }],
  "protected-branch-needs-approvals": [{ bad: (m) => (m.environments.prod.approval.requiredApprovingReviews = 0), at: "environments.prod.approval.requiredApprovingReviews", says: /^0 is not allowed on main \(a protected environment's branch takes pull requests with approving reviews\)$/, good: (m) => (m.environments.prod.approval.requiredApprovingReviews = 1) }],
  "protected-branch-dismisses-stale": [{ bad: (m) => (m.environments.prod.approval.dismissStaleReviews = false), at: "environments.prod.approval.dismissStaleReviews", says: /^false is not allowed on main \(a protected environment's branch dismisses stale reviews\)$/, good: (m) => (m.environments.staging.approval.dismissStaleReviews = false) }],
  "protected-branch-requires-checks": [{ bad: (m) => (m.environments.prod.approval.requiredStatusChecks = []), at: "environments.prod.approval.requiredStatusChecks", says: /^is empty on main \(a protected environment's branch requires the CI checks\)$/, good: (m) => (m.environments.staging.approval.requiredStatusChecks = []) }],
  "protected-branch-scans-code": [
    // staging is not protected, but its branch (develop) is: the documents gate staging by CodeQL and SAST
    { bad: (m) => (m.environments.staging.approval.codeScanning = null), at: "environments.staging.approval.codeScanning", says: /^is null on develop \(a protected branch merges only code that code scanning analyzed: set a tool, e\.g\. CodeQL\)$/, good: (m) => (m.environments.dev.approval.codeScanning = null) },
  ],
  "max-cost-within-budget": [
    { bad: (m) => (m.environments.staging.cost.budgetMonthly = 200), at: "environments.staging.cost.budgetMonthly", says: /^\$200 is below the estimate at max replicas: 1 service × \(5 max \+ 1 surge\) = 6 pods × .* = \$217\.36 \(lower replicas\.max/, good: (m) => (m.environments.staging.cost.budgetMonthly = 217.36) },
  ],
  "protected-no-force-push": [{ bad: (m) => (m.environments.prod.approval.allowForcePushes = true), at: "environments.prod.approval.allowForcePushes", says: /^true is not allowed \(a protected environment's branches take no force pushes\)$/, good: (m) => (m.environments.staging.approval.allowForcePushes = true) }],
  "protected-keeps-secrets-on-delete": [{ bad: (m) => (m.environments.prod.secrets.creationPolicy = "Owner"), at: "environments.prod.secrets.creationPolicy", says: /^"Owner" is not allowed \(a protected environment keeps its synced Secrets when an ExternalSecret is deleted: "Orphan"\)$/, good: (m) => Object.assign(m.environments.staging.secrets, { creationPolicy: "Merge", deletionPolicy: "Retain" }) }],
  "protected-keeps-secrets-on-vault-delete": [{ bad: (m) => (m.environments.prod.secrets.deletionPolicy = "Delete"), at: "environments.prod.secrets.deletionPolicy", says: /^"Delete" is not allowed \(a protected environment keeps its synced Secrets when a value leaves Vault: "Retain"\)$/, good: (m) => (m.environments.staging.secrets.deletionPolicy = "Merge") }],
  "protected-pages": [{ bad: (m) => (m.environments.prod.alerts.routing = "chat"), at: "environments.prod.alerts.routing", says: /^"chat" is not allowed \(a protected environment pages on-call\)$/, good: (m) => (m.environments.staging.alerts.routing = "page") }],

  // values no two environments (or services) share; the seed has each its own
  "unique-namespace": [{ bad: (m) => (m.environments.staging.identity.namespace = "envmatrix-dev"), at: "environments.staging.identity.namespace", says: /^"envmatrix-dev" is also dev's \(must be unique: two environments would manage the same namespace\)$/, good: seed }],
  "unique-protectedBranch": [{ bad: (m) => (m.environments.staging.identity.protectedBranch = "main"), at: "environments.prod.identity.protectedBranch", says: /^"main" is also staging's \(must be unique: two stacks would fight over one branch protection\)$/, good: seed }],
  "unique-githubEnvironment": [{ bad: (m) => (m.environments.dev.identity.githubEnvironment = "staging"), at: "environments.staging.identity.githubEnvironment", says: /^"staging" is also dev's \(must be unique: two environments would share one set of protection rules\)$/, good: seed }],
  "unique-vaultSubtree": [{ bad: (m) => (m.environments.hotfix.identity.vaultSubtree = "prod"), at: "environments.hotfix.identity.vaultSubtree", says: /^"prod" is also prod's \(must be unique: two environments would read each other's secrets\)$/, good: seed }],
  "unique-service-names": [{ bad: (m) => m.services.push({ name: "api", team: "payments" }), at: "services[1].name", says: /^"api" is already the name of services\[0\]/, good: (m) => (m.services.push({ name: "api-v2", team: "payments" }), roomInBudgets(m)) }],
  "team-stacks-named-apart": [
    {
      // dev split by team, and a service of team "staging-x"... no: a team named so that dev-<team> is an environment
      bad: (m) => ((m.environments.dev.splitByTeam = true), m.services.push({ name: "worker", team: "x" }), (m.environments["dev-x"] = structuredClone(m.environments.dev)), (m.environments["dev-x"].splitByTeam = false), Object.assign(m.environments["dev-x"].identity, { namespace: "envmatrix-dev-x", githubEnvironment: "dev-x", vaultSubtree: "dev-x" }), m.promotionOrder.push("dev-x"), roomInBudgets(m)),
      at: "environments.dev.splitByTeam",
      says: /^team x's stack would be named dev-x, which is environment dev-x \(a stack's state and plan are found by its name\)$/,
      good: (m) => ((m.environments.dev.splitByTeam = true), m.services.push({ name: "worker", team: "x" }), roomInBudgets(m)),
    },
  ],
  "service-latency-within-slo": [
    { bad: (m) => (m.services[0].latencyMs = 1500), at: "services[0].latencyMs", says: /^1500 is above prod's latency SLO of 200 ms \(the service would page only after its SLO burns there; at most 200\)$/, good: (m) => (m.services[0].latencyMs = 200) },
  ],
  "service-not-secret-sync": [{ bad: (m) => m.services.push({ name: "secret-sync", team: "x" }), at: "services[1].name", says: /^"secret-sync" is the secret sync's service account/, good: (m) => (m.services.push({ name: "secret-syncer", team: "x" }), roomInBudgets(m)) }],
  "promotion-order-known": [
    { bad: (m) => m.promotionOrder.push("qa"), at: "promotionOrder[4]", says: /^"qa" is not an environment in environments$/, good: seed },
    { bad: (m) => m.promotionOrder.push("dev"), at: "promotionOrder[4]", says: /^"dev" appears twice$/, good: seed },
  ],

  // along the promotion order; the good edit makes the later environment equal to the one before it
  "stricter-errorRatePercent": [{ bad: (m) => (m.environments.staging.alerts.errorRatePercent = 10), at: "environments.staging.alerts.errorRatePercent", says: /^10 is looser than dev's 5 \(thresholds may only get stricter along dev → staging → prod → hotfix\)$/, good: (m) => (m.environments.staging.alerts.errorRatePercent = 5) }],
  "stricter-latencyMs": [{ bad: (m) => (m.environments.prod.alerts.latencyMs = 800), at: "environments.prod.alerts.latencyMs", says: /^800 is looser than staging's 500 \(thresholds may only get stricter/, good: (m) => (m.environments.prod.alerts.latencyMs = 500) }],
  "stricter-cpuPercent": [{ bad: (m) => (m.environments.staging.alerts.cpuPercent = 95), at: "environments.staging.alerts.cpuPercent", says: /^95 is looser than dev's 90 \(thresholds may only get stricter/, good: (m) => (m.environments.staging.alerts.cpuPercent = 90) }],
  "more-replicas-min": [{ bad: (m) => (m.environments.prod.replicas.min = 1), at: "environments.prod.replicas.min", says: /^1 is fewer than staging's 2 \(replicas may only grow along/, good: (m) => (m.environments.prod.replicas.min = 2) }],
  "more-replicas-default": [{ bad: (m) => (m.environments.staging.replicas.default = 4), at: "environments.prod.replicas.default", says: /^3 is fewer than staging's 4 \(replicas may only grow along/, good: (m) => (m.environments.staging.replicas.default = 3) }],
  "more-replicas-max": [{ bad: (m) => (m.environments.staging.replicas.max = 25), at: "environments.prod.replicas.max", says: /^20 is fewer than staging's 25 \(replicas may only grow along/, good: (m) => ((m.environments.staging.replicas.max = 20), (m.environments.staging.cost.budgetMonthly = 1000)) }],
  "more-approving-reviews": [{ bad: (m) => (m.environments.staging.approval.requiredApprovingReviews = 3), at: "environments.prod.approval.requiredApprovingReviews", says: /^2 is fewer than staging's 3 \(approvals may only grow along/, good: (m) => (m.environments.staging.approval.requiredApprovingReviews = 2) }],
  "reviewers-kept": [
    {
      bad: (m) => (m.environments.dev.approval.reviewers.teams = ["qa"]),
      at: "environments.staging.approval.reviewers",
      says: /^is empty while dev requires reviewers \(approvals may only grow along/,
      good: (m) => {
        m.environments.dev.approval.reviewers.teams = ["qa"];
        m.environments.staging.approval.reviewers.users = ["someone"];
      },
    },
  ],
  "self-review-kept-off": [
    { bad: (m) => (m.environments.dev.approval.preventSelfReview = true), at: "environments.staging.approval.preventSelfReview", says: /^false while dev's is true \(approval rules may only get stricter along/, good: (m) => { m.environments.dev.approval.preventSelfReview = true; m.environments.staging.approval.preventSelfReview = true; } },
  ],
  "admin-bypass-kept-off": [
    { bad: (m) => (m.environments.dev.approval.adminsCanBypass = false), at: "environments.staging.approval.adminsCanBypass", says: /^true while dev's is false \(approval rules may only get stricter along/, good: (m) => { m.environments.dev.approval.adminsCanBypass = false; m.environments.staging.approval.adminsCanBypass = false; } },
  ],
  "louder-routing": [{ bad: (m) => (m.environments.dev.alerts.routing = "page"), at: "environments.staging.alerts.routing", says: /^"chat" is quieter than dev's "page" \(alerting may only get louder along/, good: (m) => (m.environments.dev.alerts.routing = "chat") }],
  "higher-priority": [{ bad: (m) => (m.environments.prod.alerts.priority = 4), at: "environments.prod.alerts.priority", says: /^4 is less urgent than staging's 3 \(priority may only rise along dev → staging → prod → hotfix; 1 is highest\)$/, good: (m) => (m.environments.prod.alerts.priority = 3) }],
  "faster-evaluation": [
    { bad: (m) => (m.environments.staging.alerts.evaluationWindowMinutes = 20), at: "environments.staging.alerts.evaluationWindowMinutes", says: /^20 is slower than dev's 15 \(monitors may only react faster along/, good: (m) => { m.environments.staging.alerts.evaluationWindowMinutes = 15; m.environments.staging.alerts.noDataTimeframeMinutes = 30; } },
  ],
  "no-data-kept-on": [
    { bad: (m) => (m.environments.dev.alerts.notifyNoData = true), at: "environments.staging.alerts.notifyNoData", says: /^false while dev's is true \(alerting may only get louder along/, good: (m) => { m.environments.dev.alerts.notifyNoData = true; m.environments.staging.alerts.notifyNoData = true; } },
  ],
  "canary-gate-kept": [
    { bad: (m) => (m.environments.dev.canaryGate = gate), at: "environments.staging.canaryGate", says: /^is null while dev has a canary gate \(gates may only be added along/, good: (m) => { m.environments.dev.canaryGate = gate; m.environments.staging.canaryGate = gate; } },
  ],
  "protection-kept": [{ bad: (m) => (m.environments.dev.protected = true), at: "environments.staging.protected", says: /^false while dev is protected \(protection may only be added along/, good: seed }],
  "slo-kept": [
    { bad: (m) => (m.environments.prod.slo = null), at: "environments.prod.slo", says: /^is null while staging has SLOs \(SLOs may only get stricter along/, good: (m) => (m.environments.dev.slo = slo(90, null)) },
  ],
  "slo-latency-kept": [
    {
      bad: (m) => {
        m.environments.staging.slo = slo(95, 300);
        m.environments.prod.slo = slo(99.9, null);
      },
      at: "environments.prod.slo.latencyP99Ms",
      says: /^is null while staging has a latency SLO \(SLOs may only get stricter along/,
      good: (m) => (m.environments.staging.slo = slo(95, 300)),
    },
  ],
  "stricter-slo-availability": [{ bad: (m) => (m.environments.staging.slo = slo(99.95, 200)), at: "environments.prod.slo.availabilityPercent", says: /^99\.9 is looser than staging's 99\.95 \(SLOs may only get stricter along/, good: (m) => (m.environments.staging.slo = slo(99.9, 200)) }],
  "stricter-slo-latency": [{ bad: (m) => (m.environments.staging.slo = slo(99.9, 150)), at: "environments.prod.slo.latencyP99Ms", says: /^200 is looser than staging's 150 \(SLOs may only get stricter along/, good: (m) => (m.environments.staging.slo = slo(99.9, 200)) }],

  // trust
  "reserved-names": [{ bad: (m) => (m.environments.gates = structuredClone(m.environments.dev)), at: "environments.gates", says: /^"gates" is the name of envmatrix's own stack/, good: seed }],
  "namespace-derived": [
    {
      bad: (m) => (m.environments.staging.identity.namespace = "envmatrix-qa"),
      at: "environments.staging.identity.namespace",
      says: /^"envmatrix-qa" is not "envmatrix-staging" \(a namespace is derived from the project and environment names/,
      good: (m) => {
        m.organization.project = "shop";
        for (const [name, e] of Object.entries<any>(m.environments)) e.identity.namespace = `shop-${name}`;
      },
    },
  ],
  "vault-subtree-derived": [{ bad: (m) => (m.environments.dev.identity.vaultSubtree = "development"), at: "environments.dev.identity.vaultSubtree", says: /^"development" is not "dev" \(the Vault subtree is the environment's name/, good: seed }],
  "vault-subtree-not-the-mount": [
    {
      bad: (m) => (m.organization.vault.kvMount = "dev"),
      at: "environments.dev.identity.vaultSubtree",
      says: /^"dev" is the KV mount's name \(ESO reads the key "dev\/<service>" on mount "dev" as "<service>"/,
      good: (m) => (m.organization.vault.kvMount = "kv"),
    },
  ],
  "github-environment-owned": [
    { bad: (m) => (m.environments.dev.identity.githubEnvironment = "production-dev"), at: "environments.dev.identity.githubEnvironment", says: /^"production-dev" does not start with "dev" \(it reads as prod's/, good: (m) => (m.environments.dev.identity.githubEnvironment = "dev-sandbox") },
    { bad: (m) => (m.environments.dev.identity.githubEnvironment = "development-plan"), at: "environments.dev.identity.githubEnvironment", says: /^"development-plan" is reserved \(names ending in "-plan" are the plan environments/, good: (m) => (m.environments.dev.identity.githubEnvironment = "development-planning") },
    { bad: (m) => (m.environments.dev.identity.githubEnvironment = "qa"), at: "environments.dev.identity.githubEnvironment", says: /^"qa" does not start with "dev" \(it reads as no environment's:/, good: (m) => (m.environments.dev.identity.githubEnvironment = "dev-qa") },
    // the gates' own environment, even where it starts with the environment's name
    {
      bad: (m) => ((m.organization.gates.githubEnvironment = "dev-gates"), (m.environments.dev.identity.githubEnvironment = "dev-gates")),
      at: "environments.dev.identity.githubEnvironment",
      says: /^"dev-gates" is reserved \(.*organization\.gates\.githubEnvironment is the gates'\)$/,
      good: (m) => (m.environments.dev.identity.githubEnvironment = "dev-gates"),
    },
  ],
  "deploy-branches-reviewed": [
    { bad: (m) => (m.environments.dev.identity.deployBranches = ["feature/x"]), at: "environments.dev.identity.deployBranches[0]", says: /^"feature\/x" is not a reviewed branch/, good: (m) => (m.environments.dev.identity.deployBranches = ["hotfix/x"]) },
  ],
  "protected-clusters-apart": [{ bad: (m) => (m.environments.dev.cluster = "prod"), at: "environments.dev.cluster", says: /^"prod" hosts the protected prod, hotfix \(a cluster that hosts a protected environment hosts only protected environments\)$/, good: (m) => { lab(m); m.environments.dev.cluster = "lab"; } }],
  "kv-mount-owner-protected": [
    { bad: (m) => (m.organization.vault.kvMountManagedBy = "staging"), at: "organization.vault.kvMountManagedBy", says: /^"staging" is not a protected environment \(the mount holds every environment's secrets/, good: (m) => (m.organization.vault.kvMountManagedBy = "prod") },
    { bad: (m) => (m.organization.vault.kvMountManagedBy = "shared"), at: "organization.vault.kvMountManagedBy", says: /^"shared" is not an environment \(name the one whose stack owns the mount, or null/, good: (m) => (m.organization.vault.kvMountManagedBy = "hotfix") },
  ],
  "vault-egress-bounded": [
    { bad: (m) => (m.organization.vault.egressCidrs = ["10.0.0.0/16"]), at: "organization.vault.egressCidrs[0]", says: /^"10\.0\.0\.0\/16" is wider than \/24/, good: (m) => (m.organization.vault.egressCidrs = ["10.0.0.0/24"]) },
    { bad: (m) => (m.organization.vault.egressCidrs = ["2001:db8::/112"]), at: "organization.vault.egressCidrs[0]", says: /^"2001:db8::\/112" is wider than \/120/, good: (m) => (m.organization.vault.egressCidrs = ["2001:db8::/120"]) },
  ],
  "gates-follow-protected": [{ bad: (m) => (m.organization.gates.followsEnvironment = "staging"), at: "organization.gates.followsEnvironment", says: /^"staging" is not a protected environment \(the gates stack decides who may change what/, good: (m) => (m.organization.gates.followsEnvironment = "hotfix") }],
  "gates-environment-apart": [{ bad: (m) => (m.organization.gates.githubEnvironment = "production-gates"), at: "organization.gates.githubEnvironment", says: /^"production-gates" starts with the environment prod's name/, good: (m) => (m.organization.gates.githubEnvironment = "gates-production") }],
  "review-app-own-id": [{ bad: (m) => (m.organization.github.reviewApp.appId = 15368), at: "organization.github.reviewApp.appId", says: /^15368 is GitHub Actions' own id/, good: (m) => (m.organization.github.reviewApp.appId = 15369) }],
  "review-environment-apart": [
    { bad: (m) => (m.organization.github.reviewApp.environment = "production-review"), at: "organization.github.reviewApp.environment", says: /^"production-review" is taken/, good: (m) => (m.organization.github.reviewApp.environment = "review-production") },
    { bad: (m) => (m.organization.github.reviewApp.environment = "envmatrix-gates"), at: "organization.github.reviewApp.environment", says: /^"envmatrix-gates" is taken/, good: (m) => (m.organization.github.reviewApp.environment = "envmatrix-gates-review") },
  ],
};

const cases = Object.entries(ROWS).flatMap(([id, list]) => list.map((c, i) => [`${id}${list.length > 1 ? ` #${i + 1}` : ""}`, c] as const));

const edited = (edit: Edit) => {
  const m = editableDefinition();
  edit(m);
  return m;
};

describe("rule", () => {
  it.each(cases)("%s: the bad edit is reported with its rule", (_id, c) => {
    expect(validateMatrix(edited(c.bad))).toContainEqual({ path: c.at, message: expect.stringMatching(c.says) });
  });

  it.each(cases)("%s: the edit beside it passes", (_id, c) => {
    expect(validateMatrix(edited(c.good))).toEqual([]);
  });
});

/** Whether two paths touch: one is the other, or lies inside it (as the schema's refusals are matched). */
const inside = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || a.startsWith(`${b}[`);
const touch = (a: string, b: string) => inside(a, b) || inside(b, a);

/**
 * The rule's own problems on the bad edit's matrix, with the schema's verdict replaced by `refused` (the paths it
 * would have refused): the engine's promise, tried on each row without the schema having to refuse a real value.
 */
function ruleWith(id: string, c: Case, refused: readonly string[]) {
  const rule = RULES.find((r) => r.id === id)!;
  const def = edited(c.bad);
  const m = resolveMatrix(def);
  const ctx = {
    valid: (p: string) => !refused.some((r) => touch(r, p)),
    shaped: (p: string) => !refused.some((r) => inside(p, r)),
    // every row's problem at a clone is at its own identity, never an inherited value: nothing to leave to a source
    inherited: () => false,
  };
  return rule.check(m, ctx).filter((p) => p.path === c.at);
}

/** The environment the problem is reported in (`environments.prod.x` → prod), or none for the matrix's own fields. */
const environmentOf = (at: string) => /^environments\.([^.[]+)/.exec(at)?.[1];

describe("each rule, on its bad edit, with the schema refusing other values", () => {
  // the name of an environment is not one of its values: nothing the schema refuses can stand for it
  const onValues = cases.filter(([id]) => id !== "reserved-names");

  it.each(onValues)("%s: quiet when the value it reports on was itself refused (one problem, the schema's)", (id, c) => {
    expect(ruleWith(id.replace(/ #\d+$/, ""), c, [])).toContainEqual({ path: c.at, message: expect.stringMatching(c.says) });
    expect(ruleWith(id.replace(/ #\d+$/, ""), c, [c.at])).toEqual([]);
  });

  // the other values a rule compares the reported one with, by what it holds (`{env}`: the reported environment)
  const ALSO_READS: Record<string, readonly string[]> = {
    "no-data-after-two-windows": ["environments.{env}.alerts.evaluationWindowMinutes"],
    "branch-creators-need-a-branch": ["environments.{env}.identity.protectedBranch"],
    "secret-deletion-owns-the-secret": ["environments.{env}.secrets.creationPolicy"],
    "branch-creators-through-the-branch-app": ["organization.github.branchApp"],
    "tiers-where-paging": ["environments.{env}.alerts.routing"],
    "standby-outlasts-fallback": ["environments.{env}.rollout.previousVersionFallbackMinutes"],
    "sidecars-admitted": ["organization.serviceMesh.mode", "environments.{env}.protected"],
    "sidecar-fits-pod": ["organization.serviceMesh.sidecar.memoryMiB", "environments.{env}.sidecarInjection", "organization.serviceMesh.mode"],
    "dns-where-names-are-dialled": ["environments.{env}.sidecarInjection", "organization.serviceMesh.mode", "organization.datadog.agent.transport"],
    "max-cost-within-budget": ["environments.{env}.replicas.max", "environments.{env}.rolloutSurgePods", "environments.{env}.pod.cpuMillicores", "environments.{env}.sidecarInjection", "organization.cost.vcpuHour", "organization.serviceMesh.sidecar.memoryMiB"],
    "cluster-known": ["organization.clusters"],
  };
  const alsoRead = onValues.flatMap(([id, c]) => (ALSO_READS[id.replace(/ #\d+$/, "")] ?? []).map((f) => [`${id}, ${f}`, id, c, f.replace("{env}", environmentOf(c.at) ?? "")] as const));

  it.each(alsoRead)("%s: quiet when a value it compares with was refused", (_name, id, c, field) => {
    expect(ruleWith(id.replace(/ #\d+$/, ""), c, [field])).toEqual([]);
  });

  it.each(onValues)("%s: still speaks when a value no rule reads was refused beside it (its purpose, a trace name)", (id, c) => {
    const env = environmentOf(c.at);
    const beside = [...Object.keys(edited(c.bad).environments).map((n) => `environments.${n}.purpose`), "organization.datadog.traceOperation"];
    expect(env === undefined || beside.includes(`environments.${env}.purpose`)).toBe(true);
    expect(ruleWith(id.replace(/ #\d+$/, ""), c, beside)).toContainEqual({ path: c.at, message: expect.stringMatching(c.says) });
  });
});

describe("one mistake, one problem: a rule leaves to another what that one reports", () => {
  const problemsOf = (edit: Edit) => validateMatrix(edited(edit));

  it("prod without SLOs: slo-kept's problem, not also slo-latency-kept's about its latency", () => {
    // staging with a latency SLO, which prod drops with the rest
    expect(problemsOf((m) => ((m.environments.staging.slo = slo(95, 300)), (m.environments.prod.slo = null)))).toEqual([{ path: "environments.prod.slo", message: expect.stringMatching(/^is null while staging has SLOs/) }]);
  });

  it('a protected environment deploying from "*": one problem for it, not a second one at its index', () => {
    const named = problemsOf((m) => (m.environments.hotfix.identity.deployBranches = ["*"])).filter((p) => p.message.includes("deploys only from named branches"));
    expect(named).toEqual([{ path: "environments.hotfix.identity.deployBranches", message: expect.stringMatching(/^"\*" is not allowed/) }]);
  });

  it("a protected environment without a protected branch: that problem, not the branch rules' (there is no branch to hold them)", () => {
    const problems = problemsOf((m) => {
      m.environments.prod.identity.protectedBranch = null;
      Object.assign(m.environments.prod.approval, { requiredApprovingReviews: 0, dismissStaleReviews: false, requiredStatusChecks: [] });
    });
    expect(problems.map((p) => p.path)).toContain("environments.prod.identity.protectedBranch");
    // (fewer approving reviews than staging's is promotion's to report, and it does)
    expect(problems.filter((p) => p.path.startsWith("environments.prod.approval") && / on /.test(p.message))).toEqual([]);
  });

  it("two environments without a protected branch share nothing", () => {
    const problems = problemsOf((m) => (m.environments.staging.identity.protectedBranch = null));
    expect(problems.filter((p) => p.message.includes("is also"))).toEqual([]);
  });

  it("a refused latency SLO: the schema's problem, not also a service's latency compared with it", () => {
    const problems = problemsOf((m) => {
      m.services[0].latencyMs = 100;
      m.environments.prod.slo.latencyP99Ms = 0;
    });
    expect(problems.map((p) => p.path)).toEqual(["environments.prod.slo.latencyP99Ms"]);
  });

  it("a refused protected: the schema's problem, not also the cluster it shares with protected ones", () => {
    const problems = problemsOf((m) => {
      m.environments.staging.protected = "yes";
      m.environments.staging.cluster = "prod";
    });
    expect(problems.map((p) => p.path)).toEqual(["environments.staging.protected"]);
  });

  it("a refused egress bound: the schema's problem, not the CIDRs measured against it", () => {
    expect(problemsOf((m) => (m.organization.vault.egressCidrMinPrefix = 40)).map((p) => p.path)).toEqual(["organization.vault.egressCidrMinPrefix"]);
  });
});

describe("team stacks' names (team-stacks-named-apart)", () => {
  const split = (m: any, ...teams: string[]) => {
    m.environments.staging.splitByTeam = true;
    teams.forEach((team, i) => m.services.push({ name: `worker-${i}`, team }));
    roomInBudgets(m);
  };

  it("fit a stack name: 63 characters at most (a state key, an HCP workspace)", () => {
    // "staging-" and the team: 8 + 55 = 63 fits, 8 + 56 = 64 does not
    expect(validateMatrix(edited((m) => split(m, "t".repeat(55))))).toEqual([]);
    expect(validateMatrix(edited((m) => split(m, "t".repeat(56))))).toEqual([
      { path: "environments.staging.splitByTeam", message: `team ${"t".repeat(56)}'s stack name staging-${"t".repeat(56)} is longer than 63 characters (it names a state key and an HCP workspace)` },
    ]);
  });

  it("are each another's: two environments' team stacks with one name", () => {
    // staging-x's team y and staging's team x-y are both staging-x-y
    const problems = validateMatrix(
      edited((m) => {
        split(m, "x-y", "y");
        m.environments["staging-x"] = structuredClone(m.environments.staging);
        Object.assign(m.environments["staging-x"].identity, { namespace: "envmatrix-staging-x", githubEnvironment: "staging-x", vaultSubtree: "staging-x", protectedBranch: null });
        m.promotionOrder.splice(2, 0, "staging-x");
      }),
    );
    expect(problems).toContainEqual({ path: "environments.staging-x.splitByTeam", message: "team y's stack would be named staging-x-y, which is team x-y's stack of staging (a stack's state and plan are found by its name)" });
  });

  it("are not guessed from a team the schema refused", () => {
    const problems = validateMatrix(edited((m) => split(m, "t".repeat(64))));
    expect(problems.map((p) => p.path)).toEqual(["services[1].team"]);
  });

  it("are not guessed when the services are not a list", () => {
    const problems = validateMatrix(
      edited((m) => {
        m.environments.staging.splitByTeam = true;
        m.services = "api";
      }),
    );
    expect(problems.map((p) => p.path)).toEqual(["services"]);
  });
});

describe("the rule tables", () => {
  it("group each rule as the README lists it: each table's own group, two environment rules among the protected ones", () => {
    const groups = (rules: readonly { id: string; group: string }[]) => [...new Set(rules.map((r) => r.group))];
    expect(groups(ENVIRONMENT_RULES)).toEqual(["environment"]);
    expect(groups(UNIQUENESS_RULES)).toEqual(["unique"]);
    expect(groups(PROMOTION_RULES)).toEqual(["promotion"]);
    expect(groups(TRUST_RULES)).toEqual(["trust"]);
    // the branch's code scanning and the budget hold every environment, protected or not
    expect(PROTECTED_RULES.filter((r) => r.group !== "protected").map((r) => `${r.id}: ${r.group}`)).toEqual(["protected-branch-scans-code: environment", "max-cost-within-budget: environment"]);
  });

  it("have a test row for every rule, and no row for a rule that does not exist", () => {
    expect(Object.keys(ROWS).sort()).toEqual(RULES.map((r) => r.id).sort());
  });

  it("give every rule its own id and a sentence for the README", () => {
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
    for (const r of RULES) expect(r.holds.length).toBeGreaterThan(10);
  });

  it("take a team's own rows beside envmatrix's (config/policy.ts)", () => {
    const prodReplicas = eachEnvironment(
      {
        id: "policy-prod-replicas",
        holds: "prod runs at least 4 replicas",
        reads: ["replicas.min"],
        when: (_e, name) => name === "prod",
        check: (e) => (e.replicas.min < 4 ? ["replicas.min", `${e.replicas.min} is below 4 (policy: prod runs at least 4 replicas)`] : undefined),
      },
      "policy",
    );
    expect(validateMatrix(editableDefinition(), [...RULES, prodReplicas])).toEqual([
      { path: "environments.prod.replicas.min", message: "3 is below 4 (policy: prod runs at least 4 replicas)" },
    ]);
  });

  it("run a rule when a field it does not read is refused, even in the same environment", () => {
    const problems = validateMatrix(
      edited((m) => {
        m.environments.prod.replicas.min = 2.5;
        m.environments.prod.secrets.deletionPolicy = "Delete";
      }),
    );
    expect(problems.map((p) => p.path)).toEqual(expect.arrayContaining(["environments.prod.replicas.min", "environments.prod.secrets.deletionPolicy"]));
  });

  // reads config/rules.ts as text: under mutation testing that file is Stryker's instrumented copy, whose text is
  // no longer the table this test reads, so there it says nothing and is skipped (npm test always runs it)
  const onSourceText = "__stryker__" in globalThis ? it.skip : it;
  onSourceText("are what npm run drop-each-rule removes: a row in config/rules.ts for each rule, found by its id", () => {
    const source = fs.readFileSync(path.resolve(__dirname, "..", "config", "rules.ts"), "utf8");
    const rows = tableRows(source);
    expect(rows.map((r) => r.id).sort()).toEqual(RULES.map((r) => r.id).sort());
    const lines = source.split("\n");
    for (const r of rows) expect(lines.slice(r.from, r.to + 1).join("\n")).toContain(r.id.replace(/^unique-/, ""));
  });

  it("deployed-first-on-the-same-branches: a source deploying from a pattern that matches the branch covers it (as stacks-to-plan matches branches)", () => {
    // the rule alone, on a matrix whose other rules would object to the patterns (they are not reviewed branches)
    const rule = RULES.find((r) => r.id === "deployed-first-on-the-same-branches")!;
    const ctx = { valid: () => true, shaped: () => true, inherited: () => false };
    const withStaging = (branches: string[]) => {
      const m = structuredClone(seedMatrix) as any;
      m.environments.staging.identity.deployBranches = branches;
      return rule.check(m, ctx);
    };
    expect(withStaging(["develop", "ma*"])).toEqual([]);
    expect(withStaging(["**"])).toEqual([]);
    expect(withStaging(["develop", "mainline/*"])).toEqual([{ path: "environments.prod.identity.deployBranches", message: expect.stringMatching(/^main: "staging"/) }]);
  });

  it("npm run drop-each-rule: each row removed in turn, a verdict per row from the tests' exit and Jest's summary, exit 1 unless all are caught", () => {
    const source = [
      "export const DEMO_RULES: readonly Rule[] = [",
      '  eachEnvironment({ id: "caught-rule", reads: "a" }),',
      '  eachEnvironment({ id: "missed-rule",',
      '    reads: "b" }),',
      '  eachEnvironment({ id: "broken-rule", reads: "c" }),',
      '  unique("namespace", "two environments would manage the same namespace"),',
      "];",
    ].join("\n");
    const seen: string[] = [];
    const log: string[] = [];
    const code = dropEachRule(
      source,
      (without) => {
        seen.push(without);
        if (!without.includes("caught-rule") || !without.includes("unique(")) return { status: 1, stderr: "Tests:       2 failed, 40 passed, 42 total" };
        if (!without.includes("missed-rule")) return { status: 0, stderr: "Tests:       42 passed, 42 total" };
        return { status: 1, stderr: "SyntaxError: Unexpected token" };
      },
      (line) => log.push(line),
    );
    // each run lacks exactly its row's lines, a two-line row included
    expect(seen).toEqual([
      source.replace('\n  eachEnvironment({ id: "caught-rule", reads: "a" }),', ""),
      source.replace('\n  eachEnvironment({ id: "missed-rule",\n    reads: "b" }),', ""),
      source.replace('\n  eachEnvironment({ id: "broken-rule", reads: "c" }),', ""),
      source.replace('\n  unique("namespace", "two environments would manage the same namespace"),', ""),
    ]);
    // a uniqueness row is named after its field, as the rule's id (unique-namespace)
    expect(log.slice(0, 4).map((l) => l.replace(/ +/g, " "))).toEqual(["caught-rule caught (2 failing)", "missed-rule NOT CAUGHT", "broken-rule did not run", "unique-namespace caught (2 failing)"]);
    expect(log[4]).toBe("\n4 rules; 2 caught by a failing test when removed; not caught: missed-rule, broken-rule");
    expect(code).toBe(1);
    expect(dropEachRule(source, () => ({ status: 1, stderr: "Tests:       1 failed, 41 passed, 42 total" }), () => {})).toBe(0);
  });

  describe("npm run drop-each-rule's copy of the project and its runs of Jest", () => {
    /** A git repository shaped like the project: a rules.ts, tracked, untracked, ignored and deleted files, node_modules. */
    function project(): string {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envmatrix-drop-rule-test-"));
      const git = (...args: string[]) => spawnSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd: dir, encoding: "utf8" });
      const write = (f: string, text: string) => (fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true }), fs.writeFileSync(path.join(dir, f), text));
      expect(git("init", "-q").status).toBe(0);
      write(".gitignore", "node_modules/\n*.log\n");
      write("config/rules.ts", ["export const DEMO_RULES: readonly Rule[] = [", '  eachEnvironment({ id: "held", reads: "a" }),', '  eachEnvironment({ id: "loose", reads: "b" }),', "];", ""].join("\n"));
      write("tracked.ts", "tracked");
      write("deleted.ts", "deleted");
      git("add", "-A");
      git("commit", "-qm", "start");
      fs.rmSync(path.join(dir, "deleted.ts"));
      write("untracked/new.ts", "untracked");
      write("debug.log", "ignored");
      write("node_modules/jest/bin/jest.js", "");
      return dir;
    }
    const removeAll = (...dirs: string[]) => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));

    it("copies what git lists, tracked and untracked, but not ignored or deleted files, and links node_modules", () => {
      const from = project();
      const copy = copyProject(from);
      try {
        expect(path.dirname(copy)).toBe(os.tmpdir());
        expect(path.basename(copy)).toMatch(/^envmatrix-drop-rule-/);
        const listed = (spawnSync("find", [".", "-not", "-type", "d"], { cwd: copy, encoding: "utf8" }).stdout.split("\n").filter(Boolean)).sort();
        expect(listed).toEqual(["./.gitignore", "./config/rules.ts", "./node_modules", "./tracked.ts", "./untracked/new.ts"]);
        expect(fs.lstatSync(path.join(copy, "node_modules")).isSymbolicLink()).toBe(true);
        expect(fs.readlinkSync(path.join(copy, "node_modules"))).toBe(path.join(from, "node_modules"));
        expect(fs.readFileSync(path.join(copy, "untracked/new.ts"), "utf8")).toBe("untracked");
      } finally {
        removeAll(from, copy);
      }
    });

    it("runs the rule tests in the copy once per row, the row gone from the copy's rules.ts, the bookkeeping test left out, in CI mode; removes the copy; exit 1 for a row not caught", () => {
      const from = project();
      const source = fs.readFileSync(path.join(from, "config/rules.ts"), "utf8");
      const runs: Array<{ command: string; args: readonly string[]; cwd: string; ci: string | undefined; rules: string }> = [];
      // "held"'s removal makes three tests fail; "loose"'s leaves every test passing
      const spawn: Spawn = (command, args, options) => {
        const rules = fs.readFileSync(path.join(options.cwd, "config/rules.ts"), "utf8");
        runs.push({ command, args, cwd: options.cwd, ci: options.env.CI, rules });
        expect(options.encoding).toBe("utf8");
        return rules.includes('"held"') ? { status: 0, stderr: "Tests:       12 passed, 12 total" } : { status: 1, stderr: "Tests:       3 failed, 9 passed, 12 total" };
      };
      const log: string[] = [];
      try {
        expect(dropEachRuleMain(from, spawn, (l) => log.push(l))).toBe(1);
        expect(runs.map((r) => r.rules)).toEqual([source.replace('  eachEnvironment({ id: "held", reads: "a" }),\n', ""), source.replace('  eachEnvironment({ id: "loose", reads: "b" }),\n', "")]);
        for (const r of runs) {
          expect(r.command).toBe(process.execPath);
          expect(r.args).toEqual([path.join(from, "node_modules", "jest", "bin", "jest.js"), "--silent", "--testNamePattern", BOOKKEEPING, ...TESTS]);
          expect(r.cwd).not.toBe(from);
          expect(r.ci).toBe("true");
          expect(fs.existsSync(r.cwd)).toBe(false);
        }
        expect(runs[0].cwd).toBe(runs[1].cwd);
        expect(log.map((l) => l.replace(/ +/g, " "))).toEqual(["held caught (3 failing)", "loose NOT CAUGHT", "\n2 rules; 1 caught by a failing test when removed; not caught: loose"]);
        // the project's own rules.ts is left as it was
        expect(fs.readFileSync(path.join(from, "config/rules.ts"), "utf8")).toBe(source);
      } finally {
        removeAll(from);
      }
    });

    it("leaves out of each run only the bookkeeping test and the synth processes, and runs the three rule test files", () => {
      expect(TESTS).toEqual(["__tests__/rule-tables.test.ts", "__tests__/matrix-rules.test.ts", "__tests__/trust-rules.test.ts"]);
      const re = new RegExp(BOOKKEEPING);
      expect(re.test("the rule tables have a test row for every rule")).toBe(false);
      expect(re.test("synthesizing a bad matrix fails")).toBe(false);
      expect(re.test("environment-rules protected-needs-reviewers: bad")).toBe(true);
      for (const t of TESTS) expect(fs.existsSync(path.join(__dirname, "..", t))).toBe(true);
    });
  });

  it("npm run drop-each-rule reads the tables as rules.ts writes them, and nothing else", () => {
    // what config/rules.ts has: code before, between and after the tables at the same indent as rows, an empty
    // table, a table named in a comment, an acrossMatrix row whose id is on its second line, uniqueness rows
    const source = [
      "function helper() {",
      '  eachEnvironment({ id: "not-a-row-before", reads: "x" });',
      "}",
      "// export const OLD_RULES: readonly Rule[] = [",
      '  unique("commented", "not a table"),',
      "export const NO_RULES: readonly Rule[] = [];",
      '  eachEnvironment({ id: "not-a-row-after-an-empty-table", reads: "x" });',
      "export const FIRST_RULES: readonly Rule[] = [",
      '  eachEnvironment({ id: "first", reads: "a" }),',
      "  acrossMatrix(",
      '    "across-rows",',
      '    "unique",',
      '    "no two services share a name",',
      "    (m) => [],",
      "  ),",
      "];",
      "const between = [",
      '  unique("between", "not a table"),',
      "];",
      "export const SECOND_RULES: readonly Rule[] = [",
      '  unique("vaultSubtree", "two environments would read each other\'s secrets"),',
      '  acrossMatrix("one-line", "unique", "says why", (m) => []),',
      "];",
      "function after() {",
      '  eachEnvironment({ id: "not-a-row-after", reads: "x" });',
      "}",
    ].join("\n");
    const lines = source.split("\n");
    expect(tableRows(source).map((r) => [r.id, lines.slice(r.from, r.to + 1).join("\n")])).toEqual([
      ["first", '  eachEnvironment({ id: "first", reads: "a" }),'],
      ["across-rows", lines.slice(9, 15).join("\n")],
      ["unique-vaultSubtree", lines[20]],
      ["one-line", lines[21]],
    ]);
    // a row without an id is an error naming its line, not a row dropped silently
    expect(() => tableRows(["export const X_RULES: readonly Rule[] = [", "  somethingElse(),", "];"].join("\n"))).toThrow("config/rules.ts:2: a table row without an id");
    // Jest's count of failing tests, whatever its digits
    expect(verdict({ status: 1, stderr: "Tests:       12 failed, 30 passed, 42 total" })).toBe("caught (12 failing)");
    expect(verdict({ status: 0, stderr: "Tests:       42 passed, 42 total" })).toBe("NOT CAUGHT");
    expect(verdict({ status: null, stderr: "" })).toBe("did not run");
  });

  it("skip a rule while a field it reads is itself refused (one problem, not a second one about the same value)", () => {
    // read as a number, 9.5 would also be "more than max 5" and "more than prod's 3"
    const problems = validateMatrix(edited((m) => (m.environments.staging.replicas.min = 9.5)));
    expect(problems).toEqual([{ path: "environments.staging.replicas.min", message: "9.5 is not a whole number" }]);
  });
});
