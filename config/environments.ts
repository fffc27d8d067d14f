/**
 * The environment matrix: the only place environment values live. Values come from the environment
 * table in DESIGN.md (the seed documents). Every stack is synthesized from this file and nothing else.
 */
import { organization } from "./organization";
import type { EnvironmentClone, EnvironmentSettings, MatrixDefinition, Service } from "./types";

/** Services that run in every environment. */
export const services = [{ name: "api", team: "platform" }] as const satisfies readonly Service[];

const dev = {
  identity: {
    namespace: "envmatrix-dev",
    githubEnvironment: "development",
    vaultSubtree: "dev",
    // any reviewed merge deploys dev: develop is protected by staging's ruleset (one review)
    deployBranches: ["develop"],
    protectedBranch: null,
  },
  purpose: "development, experiments",
  protected: false,
  cluster: "nonprod",
  backend: { type: "local" },
  pod: { cpuMillicores: 500, memoryMiB: 512 },
  replicas: { min: 1, default: 1, max: 3 },
  traffic: { tls: false, rateLimit: false },
  runtime: { logLevel: "debug", apiTimeoutSeconds: 30, dbPoolSize: 5, cacheEnabled: true, metricsEnabled: false, alertOnErrors: false, databaseMigrations: "automatic" },
  // every flag on for everyone, all traffic at once
  rollout: { featureFlagPercentSteps: [100], trafficSteps: [], previousVersionFallbackMinutes: 0, previousVersionStandbyMinutes: 0, rollbackWithinMinutes: null },
  alerts: {
    errorRatePercent: 5,
    latencyMs: 2000,
    cpuPercent: 90,
    routing: "none",
    warningAtPercentOfCritical: 80,
    recoverAtPercentOfThreshold: 90,
    evaluationWindowMinutes: 15,
    notifyNoData: false,
    noDataTimeframeMinutes: 30,
    renotifyMinutes: 0,
    priority: 5,
    tiers: null,
  },
  canaryGate: null,
  slo: null,
  approval: {
    reviewers: { teams: [], users: [] },
    preventSelfReview: false,
    adminsCanBypass: true,
    waitTimerMinutes: 0,
    requiredApprovingReviews: 0,
    dismissStaleReviews: false,
    requiredStatusChecks: [],
    codeScanning: null,
    allowForcePushes: true,
    checklist: [],
  },
  deploymentWindow: null,
  // dev takes whatever develop holds: no gate
  entryGates: { testPassRatePercent: null, sourceErrorRate: null, deployedFirstIn: null, requiredChecks: [] },
  network: {
    allowSameEnvironment: true,
    allowDns: true,
    allowIngressController: true,
    allowVaultEgress: true,
  },
  sidecarInjection: false,
  rolloutSurgePods: 1,
  splitByTeam: false,
  // the source documents: dev ~$300 a month
  cost: { budgetMonthly: 300, fixedMonthly: {} },
  secrets: {
    operatorInstalled: true,
    refreshInterval: "15m",
    creationPolicy: "Owner",
    deletionPolicy: "Delete",
    vaultTokenTtlSeconds: 600,
  },
} as const satisfies EnvironmentSettings;

const staging = {
  identity: {
    namespace: "envmatrix-staging",
    githubEnvironment: "staging",
    vaultSubtree: "staging",
    deployBranches: ["develop", "main"],
    protectedBranch: "develop",
  },
  purpose: "production-like QA",
  protected: false,
  cluster: "nonprod",
  backend: { type: "local" },
  pod: { cpuMillicores: 1000, memoryMiB: 1024 },
  replicas: { min: 2, default: 2, max: 5 },
  traffic: { tls: true, rateLimit: true },
  runtime: {
    logLevel: "info",
    apiTimeoutSeconds: 10,
    dbPoolSize: 20,
    cacheEnabled: true,
    metricsEnabled: false,
    alertOnErrors: false,
    databaseMigrations: "automatic-warn-destructive",
  },
  // flags for half the users (A/B), all traffic at once
  rollout: { featureFlagPercentSteps: [50], trafficSteps: [], previousVersionFallbackMinutes: 0, previousVersionStandbyMinutes: 0, rollbackWithinMinutes: null },
  alerts: {
    errorRatePercent: 1,
    latencyMs: 500,
    cpuPercent: 80,
    routing: "chat",
    warningAtPercentOfCritical: 80,
    recoverAtPercentOfThreshold: 90,
    evaluationWindowMinutes: 10,
    notifyNoData: false,
    noDataTimeframeMinutes: 20,
    renotifyMinutes: 240,
    priority: 3,
    tiers: null,
  },
  canaryGate: null,
  // the documents: staging's uptime target is 95% (and it tracks its error budget); no latency target there
  slo: { availabilityPercent: 95, latencyP99Ms: null },
  approval: {
    reviewers: { teams: [], users: [] },
    preventSelfReview: false,
    adminsCanBypass: true,
    waitTimerMinutes: 0,
    // develop deploys dev and staging: nothing reaches it unreviewed
    requiredApprovingReviews: 1,
    dismissStaleReviews: true,
    // the source documents: staging is "gated by security: CodeQL, SAST, dependency checks must pass"
    // (the jobs of .github/workflows/pull-request.yml and security.yml)
    requiredStatusChecks: ["check", "dependency review", "npm audit signatures"],
    codeScanning: { tool: "CodeQL", alertsThreshold: "errors", securityAlertsThreshold: "high_or_higher" },
    allowForcePushes: false,
    checklist: [],
  },
  deploymentWindow: null,
  // the documents' Dev → Staging gate: "test pass rate > 95%"
  entryGates: { testPassRatePercent: 95, sourceErrorRate: null, deployedFirstIn: null, requiredChecks: [] },
  network: {
    allowSameEnvironment: true,
    allowDns: true,
    allowIngressController: true,
    allowVaultEgress: true,
  },
  sidecarInjection: true,
  rolloutSurgePods: 1,
  splitByTeam: false,
  // the source documents: staging ~$500 a month
  cost: { budgetMonthly: 500, fixedMonthly: {} },
  secrets: {
    operatorInstalled: true,
    refreshInterval: "1h",
    creationPolicy: "Owner",
    deletionPolicy: "Delete",
    vaultTokenTtlSeconds: 600,
  },
} as const satisfies EnvironmentSettings;

const prod = {
  identity: {
    namespace: "envmatrix-prod",
    githubEnvironment: "production",
    vaultSubtree: "prod",
    deployBranches: ["main"],
    protectedBranch: "main",
  },
  purpose: "live users",
  protected: true,
  cluster: "prod",
  // Protected environments belong on a remote backend; synth says so while this stays local.
  backend: { type: "local" },
  pod: { cpuMillicores: 2000, memoryMiB: 2048 },
  replicas: { min: 3, default: 3, max: 20 },
  traffic: { tls: true, rateLimit: true },
  runtime: { logLevel: "warn", apiTimeoutSeconds: 5, dbPoolSize: 50, cacheEnabled: true, metricsEnabled: true, alertOnErrors: true, databaseMigrations: "blue-green-manual" },
  // the documents: flags 10% → 25% → 50% → 100%; traffic 1% for 5 min, 10% for 10 min, 50% for 15 min, then
  // 100%; the previous version kept 1 h as fallback and 24 h as standby; rollback under 5 minutes
  rollout: {
    featureFlagPercentSteps: [10, 25, 50, 100],
    trafficSteps: [
      { percent: 1, minutes: 5 },
      { percent: 10, minutes: 10 },
      { percent: 50, minutes: 15 },
    ],
    previousVersionFallbackMinutes: 60,
    previousVersionStandbyMinutes: 1440,
    rollbackWithinMinutes: 5,
  },
  alerts: {
    errorRatePercent: 0.1,
    latencyMs: 100,
    cpuPercent: 70,
    routing: "page",
    warningAtPercentOfCritical: 80,
    recoverAtPercentOfThreshold: 90,
    evaluationWindowMinutes: 5,
    notifyNoData: true,
    noDataTimeframeMinutes: 10,
    renotifyMinutes: 30,
    priority: 1,
    // DESIGN.md's prod alerting: critical pages, high opens a ticket, medium is logged. Which monitor is which
    // tier is our reading: failing requests wake someone, slow ones open a ticket, CPU is looked into
    tiers: { errorRate: "critical", latency: "high", cpu: "medium" },
  },
  // the seed documents' canary gate: promote only if errors rise < 5% and latency < 10% over stable
  // the documents: "error-rate change < 5%, latency change < 10%". minExcessErrors is envmatrix's, not theirs: the
  // 5% allowance (0.005 points of prod's 0.1%) is less than one error below 20,000 canary requests, so the gate
  // waits for more than 10 errors beyond what the stable's rate predicts before it blocks (config/schema.ts)
  canaryGate: { maxErrorRateIncreasePercent: 5, maxLatencyIncreasePercent: 10, minExcessErrors: 10 },
  slo: { availabilityPercent: 99.9, latencyP99Ms: 200 },
  approval: {
    reviewers: { teams: ["platform-leads"], users: [] }, // PLACEHOLDER team slug
    preventSelfReview: true,
    adminsCanBypass: false,
    waitTimerMinutes: 0,
    requiredApprovingReviews: 2,
    dismissStaleReviews: true,
    // the jobs of .github/workflows/pull-request.yml and security.yml
    requiredStatusChecks: ["check", "dependency review", "npm audit signatures"],
    codeScanning: { tool: "CodeQL", alertsThreshold: "errors", securityAlertsThreshold: "high_or_higher" },
    allowForcePushes: false,
    // the source documents' deployment approval checklist for prod
    checklist: [
      "specifications complete",
      "acceptance criteria verified",
      "code reviewed by 2 reviewers",
      "security scan clean",
      "performance benchmarks met",
      "staging tests passed",
      "rollback plan documented",
      "stakeholders notified",
      "on-call ready",
      "change window approved",
    ],
  },
  // the seed documents' "business hours" gate
  deploymentWindow: { timeZone: "Europe/Berlin", days: ["Mon", "Tue", "Wed", "Thu"], startHour: 9, endHour: 16 },
  // the documents' Staging → Prod gate: "error rate < 0.1%" in staging (over the last hour: our choice, the
  // documents give no window), and prod deploys only what staging has already run
  entryGates: {
    testPassRatePercent: null,
    sourceErrorRate: { environment: "staging", belowPercent: 0.1, lookbackMinutes: 60 },
    deployedFirstIn: "staging",
    requiredChecks: [],
  },
  network: {
    allowSameEnvironment: true,
    allowDns: true,
    allowIngressController: true,
    allowVaultEgress: true,
  },
  sidecarInjection: true,
  rolloutSurgePods: 1,
  splitByTeam: false,
  // the source documents: prod ~$2000 a month
  cost: { budgetMonthly: 2000, fixedMonthly: {} },
  secrets: {
    operatorInstalled: true,
    refreshInterval: "1h",
    // keep the synced Secret when its ExternalSecret is deleted, and when the value vanishes from Vault
    creationPolicy: "Orphan",
    deletionPolicy: "Retain",
    vaultTokenTtlSeconds: 600,
  },
} as const satisfies EnvironmentSettings;

/** Hotfix: prod except identity, so a change to prod reaches hotfix without anyone copying it. */
const hotfix = {
  cloneOf: "prod",
  identity: {
    namespace: "envmatrix-hotfix",
    githubEnvironment: "hotfix",
    vaultSubtree: "hotfix",
    deployBranches: ["hotfix/*"],
    // as prod: nothing unreviewed reaches a hotfix branch either
    protectedBranch: "hotfix/*",
    // only the hotfix team may create hotfix/* branches (from main); their commits still need prod's reviews
    branchCreators: ["hotfix-team"], // PLACEHOLDER team slug
  },
  purpose: "emergency fixes: a clone of prod",
  // an emergency does not wait for business hours
  deploymentWindow: null,
  // a hotfix does not pass through staging: its own commit's tests are its gate
  entryGates: { testPassRatePercent: 95, sourceErrorRate: null, deployedFirstIn: null, requiredChecks: [] },
} as const satisfies EnvironmentClone;

export const matrix: MatrixDefinition = {
  organization,
  services,
  promotionOrder: ["dev", "staging", "prod", "hotfix"],
  environments: { dev, staging, prod, hotfix },
};

/** Where the matrix lives, for error messages. */
export const MATRIX_FILE = "config/environments.ts";
