/**
 * The matrix's rules that compare fields with each other, as tables: each rule one row with its id, the fields it
 * reads, what it holds and why, and the check. One small engine (`evaluateRules`) runs every row and collects every
 * problem at once. A row is skipped for an environment while a field it reads is itself invalid (the schema has
 * already said so: a comparison with a broken value would only add noise).
 *
 * Field rules (types, ranges, patterns, enumerations) live in schema.ts. A team's own rows go in policy.ts.
 */
import { estimateCost, money, sidecarInjected } from "./cost";
import { branchMatches } from "./branches";
import { BRANCHES_ENVIRONMENT_SUFFIX, GITHUB_MAX_REVIEWERS, PLAN_ENVIRONMENT_SUFFIX, ROUTINGS, show } from "./schema";
import type { EnvironmentSettings, Matrix } from "./schema";

export interface Problem {
  /** Where the bad value is, e.g. `environments.prod.replicas.min`. */
  readonly path: string;
  /** The bad value and the rule it breaks. */
  readonly message: string;
}

/** What a rule's check is given besides the matrix. */
export interface RuleContext {
  /** Whether the value at `path` passed the schema (nothing at, above or below it was refused). */
  readonly valid: (path: string) => boolean;
  /**
   * Whether the value at `path` has the schema's shape as a whole (a list is a list, an object an object): nothing
   * at or above it was refused, though an item or a field below it may have been. What a rule walks or counts.
   */
  readonly shaped: (path: string) => boolean;
  /**
   * Whether the field (relative to the environment) of `environment` is a clone's inherited value: a rule's
   * problem there is its source's, reported once, on the source.
   */
  readonly inherited: (environment: string, field: string) => boolean;
}

export interface Rule {
  /** Stable name: tests and scripts/drop-each-rule.ts refer to it. */
  readonly id: string;
  /** The group the README lists it under. */
  readonly group: RuleGroup;
  /** What the rule holds, and why, for the README ("What the matrix validates"). */
  readonly holds: string;
  readonly check: (m: Matrix, ctx: RuleContext) => Problem[];
}

export type RuleGroup = "environment" | "protected" | "promotion" | "unique" | "trust" | "policy";

/** The id of the gates stack (GitHub gates and deployer policies of every environment): not an environment name. */
export const GATES_STACK = "gates";
/** Environment names that are not environments: the stacks of their own. */
export const RESERVED_STACKS = [GATES_STACK] as const;
/** GitHub Actions' app id: a required status check pinned to it can be passed only by a workflow run. */
export const GITHUB_ACTIONS_APP_ID = 15368;
export const DEFAULT_EGRESS_MIN_PREFIX = 24;

/** A branch pattern that matches every branch (or every branch below one level): `*`, `**`, `*\/*`. */
export const matchesAnyBranch = (pattern: string): boolean => /^[*/]+$/.test(pattern);

/** The environment a GitHub environment name belongs to: the longest environment name it starts with. */
export function githubEnvironmentOwner(m: Matrix, githubEnvironment: string): string | undefined {
  return Object.keys(m.environments)
    .filter((n) => githubEnvironment.startsWith(n))
    .sort((a, b) => b.length - a.length)[0];
}

// ---------------------------------------------------------------------------------------------------------------
// Row builders: the shapes rules come in.

/** What a per-environment check returns: the field (relative to the environment) and the message, or nothing. */
type Finding = readonly [field: string, message: string] | undefined;

interface EnvironmentRow {
  readonly id: string;
  readonly holds: string;
  /** Fields the check reads, relative to the environment (`replicas`, `approval.reviewers`) or absolute (`organization.…`). */
  readonly reads: readonly string[];
  /** Lists the check walks or counts without reading their items' fields (`services`): each must be a list. */
  readonly walks?: readonly string[];
  /** Only environments this is true for (default: all). */
  readonly when?: (e: EnvironmentSettings, name: string, m: Matrix) => boolean;
  readonly check: (e: EnvironmentSettings, name: string, m: Matrix) => Finding | Finding[];
}

/** Whether a field named in a row is the environment's (`replicas`) rather than absolute (`organization.…`). */
const ofEnvironment = (field: string) => !field.startsWith("organization.") && field !== "promotionOrder" && field !== "services";
const absolute = (name: string, field: string) => (ofEnvironment(field) ? `environments.${name}.${field}` : field);

/** A rule each environment is held to on its own. */
export function eachEnvironment(row: EnvironmentRow, group: RuleGroup = "environment"): Rule {
  return {
    id: row.id,
    group,
    holds: row.holds,
    check(m, ctx) {
      const problems: Problem[] = [];
      for (const [name, e] of Object.entries(m.environments)) {
        if (!row.reads.every((f) => ctx.valid(absolute(name, f)))) continue;
        if (!(row.walks ?? []).every((f) => ctx.shaped(absolute(name, f)))) continue;
        if (row.when && !row.when(e, name, m)) continue;
        const result = row.check(e, name, m);
        // one finding is a [field, message] pair; a list of them starts with a pair or with nothing
        const findings = (Array.isArray(result) && typeof result[0] !== "string" ? result : [result]) as Finding[];
        for (const f of findings) {
          if (f === undefined) continue;
          // a clone's inherited field: the same problem is reported on its source
          if (ofEnvironment(f[0]) && ctx.inherited(name, f[0])) continue;
          problems.push({ path: absolute(name, f[0]), message: f[1] });
        }
      }
      return problems;
    },
  };
}

/** A rule of protected environments: what "protected" promises a reviewer. */
export const protectedEnvironment = (row: EnvironmentRow): Rule =>
  eachEnvironment({ ...row, reads: ["protected", ...row.reads], when: (e, name, m) => e.protected && (row.when?.(e, name, m) ?? true) }, "protected");

const PROTECTED = "(a protected environment";

/** Read a dotted path (`alerts.errorRatePercent`) of an environment. */
const read = (e: EnvironmentSettings, field: string): any => field.split(".").reduce<any>((v, k) => v?.[k], e);

/** A field every protected environment holds at one value: `"Owner" is not allowed (a protected environment <rule>)`. */
function protectedValue(row: { id: string; holds: string; field: string; required: unknown; rule: string }): Rule {
  return protectedEnvironment({
    id: row.id,
    holds: row.holds,
    reads: [row.field],
    check: (e) => (read(e, row.field) === row.required ? undefined : [row.field, `${show(read(e, row.field))} is not allowed ${PROTECTED}${row.rule})`]),
  });
}


interface PromotionRow {
  readonly id: string;
  readonly field: string;
  /** How the value may change from one environment to the next along the order. */
  readonly may: "not rise" | "not fall" | "not be dropped" | "not turn off" | "not turn on";
  /** The word for a value that breaks it: `10 is *looser* than dev's 5`. */
  readonly word?: string;
  /** The promise; `{along}` stands for "along dev → staging → …" (appended when absent). */
  readonly why: string;
  /** For `not be dropped`: what the environment before has (`has SLOs`). */
  readonly had?: string;
  /** The value compared, when not the field itself (a rank, a count). */
  readonly measure?: (e: EnvironmentSettings) => number | boolean | null | undefined;
  /** Only pairs this is true for (another rule speaks for the rest). */
  readonly when?: (before: EnvironmentSettings, after: EnvironmentSettings) => boolean;
  readonly holds: string;
}

/** A rule along the promotion order: each environment compared with the one before it. */
export function alongPromotion(row: PromotionRow): Rule {
  return {
    id: row.id,
    group: "promotion",
    holds: row.holds,
    check(m, ctx) {
      if (!ctx.valid("promotionOrder")) return [];
      const problems: Problem[] = [];
      const known = m.promotionOrder.filter((n) => Object.hasOwn(m.environments, n));
      const chain = known.join(" → ");
      for (let i = 1; i < known.length; i++) {
        const [before, after] = [known[i - 1], known[i]];
        if (!ctx.valid(`environments.${before}.${row.field}`) || !ctx.valid(`environments.${after}.${row.field}`)) continue;
        if (row.when && !row.when(m.environments[before], m.environments[after])) continue;
        const measure = row.measure ?? ((e: EnvironmentSettings) => read(e, row.field));
        const [x, y] = [measure(m.environments[before]), measure(m.environments[after])];
        const shown = (e: EnvironmentSettings, v: unknown) => (row.measure ? show(read(e, row.field)) : show(v));
        const path = `environments.${after}.${row.field}`;
        const along = `along ${chain}`;
        const why = `(${row.why.includes("{along}") ? row.why.replace("{along}", along) : `${row.why} ${along}`})`;
        const numbers = typeof x === "number" && typeof y === "number";
        if (row.may === "not rise" && numbers && y > x) {
          problems.push({ path, message: `${shown(m.environments[after], y)} is ${row.word} than ${before}'s ${shown(m.environments[before], x)} ${why}` });
        } else if (row.may === "not fall" && numbers && y < x) {
          problems.push({ path, message: `${shown(m.environments[after], y)} is ${row.word} than ${before}'s ${shown(m.environments[before], x)} ${why}` });
        } else if (row.may === "not be dropped" && x && !y) {
          problems.push({ path, message: `is ${row.word} while ${before} ${row.had} ${why}` });
        } else if (row.may === "not turn off" && x === true && y === false) {
          problems.push({ path, message: `false while ${before}${row.had ? ` ${row.had}` : "'s is true"} ${why}` });
        } else if (row.may === "not turn on" && x === false && y === true) {
          problems.push({ path, message: `true while ${before}'s is false ${why}` });
        }
      }
      return problems;
    },
  };
}

/** A rule over the whole matrix, reading the named fields. */
function acrossMatrix(id: string, group: RuleGroup, holds: string, check: (m: Matrix, ctx: RuleContext) => Problem[]): Rule {
  return { id, group, holds, check };
}

// ---------------------------------------------------------------------------------------------------------------
// Each environment.

export const ENVIRONMENT_RULES: readonly Rule[] = [
  eachEnvironment({
    id: "cluster-known",
    holds: "its cluster is one of `organization.clusters`",
    reads: ["cluster", "organization.clusters"],
    check: (e, _n, m) =>
      Object.hasOwn(m.organization.clusters, e.cluster)
        ? undefined
        : ["cluster", `${show(e.cluster)} is not a cluster in organization.clusters (known: ${Object.keys(m.organization.clusters).join(", ")})`],
  }),
  eachEnvironment({
    id: "replicas-ordered",
    holds: "replicas: min ≤ default ≤ max",
    reads: ["replicas"],
    check: ({ replicas: r }) =>
      r.min > r.max
        ? ["replicas", `min ${r.min} is more than max ${r.max}`]
        : r.default < r.min || r.default > r.max
          ? ["replicas.default", `${r.default} is outside min..max (${r.min}..${r.max})`]
          : undefined,
  }),
  eachEnvironment({
    id: "no-data-after-two-windows",
    holds: "the no-data timeframe is at least twice the evaluation window (Datadog's minimum)",
    reads: ["alerts.noDataTimeframeMinutes", "alerts.evaluationWindowMinutes"],
    check: ({ alerts: a }) =>
      a.noDataTimeframeMinutes < 2 * a.evaluationWindowMinutes
        ? ["alerts.noDataTimeframeMinutes", `${a.noDataTimeframeMinutes} is less than twice the evaluation window of ${a.evaluationWindowMinutes} minutes (Datadog's minimum)`]
        : undefined,
  }),
  eachEnvironment({
    id: "reviewers-within-github-limit",
    holds: `at most ${GITHUB_MAX_REVIEWERS} deployment reviewers (GitHub's limit)`,
    reads: ["approval.reviewers"],
    check: ({ approval: { reviewers } }) => {
      const count = reviewers.teams.length + reviewers.users.length;
      return count > GITHUB_MAX_REVIEWERS ? ["approval.reviewers", `${count} reviewers is more than GitHub's limit of ${GITHUB_MAX_REVIEWERS}`] : undefined;
    },
  }),
  eachEnvironment({
    id: "branch-creators-within-github-limit",
    holds: `at most ${GITHUB_MAX_REVIEWERS} branch creator teams (they are the reviewers of its \`-branches\` environment: GitHub's limit)`,
    reads: ["identity.branchCreators"],
    check: ({ identity: { branchCreators } }) =>
      branchCreators !== undefined && branchCreators.length > GITHUB_MAX_REVIEWERS
        ? ["identity.branchCreators", `${branchCreators.length} teams is more than GitHub's limit of ${GITHUB_MAX_REVIEWERS} reviewers of the environment where they approve a branch`]
        : undefined,
  }),
  eachEnvironment({
    id: "protects-a-deploy-branch",
    holds: "the protected branch is one the environment deploys from",
    reads: ["identity.protectedBranch", "identity.deployBranches"],
    check: ({ identity: id }) =>
      id.protectedBranch !== null && !id.deployBranches.includes(id.protectedBranch)
        ? ["identity.protectedBranch", `${show(id.protectedBranch)} is not one of deployBranches (an environment protects a branch it deploys from)`]
        : undefined,
  }),
  eachEnvironment({
    id: "branch-creators-need-a-branch",
    holds: "branch creators are named only where there is a protected branch",
    reads: ["identity.branchCreators", "identity.protectedBranch"],
    check: ({ identity: id }) =>
      id.branchCreators !== undefined && id.protectedBranch === null
        ? ["identity.branchCreators", "is set but protectedBranch is null (there is no branch whose creation to restrict)"]
        : undefined,
  }),
  eachEnvironment({
    id: "branch-creators-through-the-branch-app",
    holds: "branches that only named teams may have created are created by the branch app (`organization.github.branchApp`), at the default branch's head",
    reads: ["identity.branchCreators", "organization.github.branchApp"],
    // a team that creates the branch itself chooses its commit, and a push runs the workflow files of the commit
    // pushed: a branch created at an unreviewed commit would run that commit's workflows with the environment's
    // credentials (GitHub Docs, "Triggering a workflow")
    check: ({ identity: id }, _n, m) =>
      id.branchCreators !== undefined && m.organization.github.branchApp === undefined
        ? ["identity.branchCreators", "needs organization.github.branchApp: the app that creates these branches at the default branch's head (a branch created at any other commit runs that commit's own workflow files with this environment's credentials)"]
        : undefined,
  }),
  eachEnvironment({
    id: "secret-deletion-owns-the-secret",
    holds: 'deletes a synced Secret when its value leaves Vault (`deletionPolicy: "Delete"`) only where the sync owns the Secret (`creationPolicy: "Owner"`)',
    reads: ["secrets.deletionPolicy", "secrets.creationPolicy"],
    // ESO's admission webhook refuses Delete with Merge (externalsecret_validator.go validatePolicies), and its
    // controller deletes only a Secret it owns, failing the sync otherwise (externalsecret_controller.go, v1.0.0)
    check: ({ secrets: s }) =>
      s.deletionPolicy === "Delete" && s.creationPolicy !== "Owner"
        ? ["secrets.deletionPolicy", `"Delete" with creationPolicy ${show(s.creationPolicy)}: the External Secrets Operator deletes only a Secret it owns (its webhook refuses "Delete" with "Merge"); use creationPolicy "Owner", or deletionPolicy "Retain"`]
        : undefined,
  }),
  eachEnvironment({
    id: "window-opens",
    holds: "a deployment window's start hour is before its end hour",
    reads: ["deploymentWindow"],
    check: ({ deploymentWindow: w }) =>
      w !== null && w.startHour >= w.endHour ? ["deploymentWindow", `startHour ${w.startHour} is not before endHour ${w.endHour} (the window would never open)`] : undefined,
  }),
  eachEnvironment({
    id: "gate-sources-earlier",
    holds: "an entry gate's source environment (`sourceErrorRate.environment`, `deployedFirstIn`) comes before it in the promotion order: a change is measured where it has already been",
    reads: ["entryGates", "promotionOrder"],
    check: (e, name, m) => {
      const earlier = m.promotionOrder.slice(0, Math.max(0, m.promotionOrder.indexOf(name)));
      const findings: Finding[] = [];
      const sources: Array<[string, string | undefined]> = [
        ["entryGates.sourceErrorRate.environment", e.entryGates.sourceErrorRate?.environment],
        ["entryGates.deployedFirstIn", e.entryGates.deployedFirstIn ?? undefined],
      ];
      for (const [field, source] of sources) {
        if (source === undefined || earlier.includes(source)) continue;
        findings.push([field, `${show(source)} is not an environment before ${name} in the promotion order (${earlier.join(", ") || "none"}): a change reaches ${name} from there`]);
      }
      return findings;
    },
  }),
  eachEnvironment({
    id: "tiers-where-paging",
    holds: "alert tiers only where the environment pages (`routing: page`): a tier says which alerts wake someone, and an environment that pages nobody has none to sort",
    reads: ["alerts.tiers", "alerts.routing"],
    check: ({ alerts: a }) => (a.tiers !== null && a.routing !== "page" ? ["alerts.tiers", `are set while routing is ${show(a.routing)} (tiers sort what pages on-call: only with routing "page")`] : undefined),
  }),
  eachEnvironment({
    id: "deployed-first-on-the-same-branches",
    holds: "the environment a commit must be deployed in first (`entryGates.deployedFirstIn`) deploys from every branch this one deploys from: else a commit of that branch could never pass the gate",
    reads: ["entryGates.deployedFirstIn", "identity.deployBranches"],
    when: (e, _n, m) => e.entryGates.deployedFirstIn !== null && Object.hasOwn(m.environments, e.entryGates.deployedFirstIn),
    check: (e, _name, m) => {
      const source = e.entryGates.deployedFirstIn!;
      // the source's branches are not among this row's reads: where the schema refused them, it has said so
      const theirs: unknown = m.environments[source]?.identity?.deployBranches;
      if (!Array.isArray(theirs)) return undefined;
      // a branch of this one's is covered by the source's own entry, or by a pattern of its that matches it (an
      // entry matches itself: only * and ** are special, and each matches its own text)
      const missing = e.identity.deployBranches.filter((b) => !theirs.some((p) => typeof p === "string" && branchMatches(p, b)));
      // reported at this environment's own branches: a clone inherits its source's gates but not its branches
      return missing.length === 0
        ? undefined
        : ["identity.deployBranches", `${missing.join(", ")}: ${show(source)} (entryGates.deployedFirstIn) does not deploy from it, so a commit there never reaches ${source} first`];
    },
  }),
  eachEnvironment({
    id: "deployed-first-in-the-pipeline",
    holds: "an environment the workflows deploy does not wait on one they leave out: its `entryGates.deployedFirstIn` source is not on the local backend",
    reads: ["entryGates.deployedFirstIn", "backend"],
    when: (e, _n, m) => e.entryGates.deployedFirstIn !== null && Object.hasOwn(m.environments, e.entryGates.deployedFirstIn) && e.backend.type !== "local",
    check: (e, _name, m) => {
      const source = e.entryGates.deployedFirstIn!;
      // the source's backend is not among this row's reads: where the schema refused it, it has said so
      const theirs: unknown = m.environments[source]?.backend?.type;
      // the deploy workflow leaves a local-backend stack out (its state would be lost with the runner), so the
      // gate's "deployed first in" never finds its apply job in the run
      return theirs === "local"
        ? ["entryGates.deployedFirstIn", `${show(source)} is on the local backend, which the deploy workflow leaves out: the gate would never find it deployed first in the run (move ${source} to s3 or hcp, or this environment to local)`]
        : undefined;
    },
  }),
  eachEnvironment({
    id: "rollout-steps-rise",
    holds: "feature-flag steps and traffic steps each rise strictly (a rollout only widens; traffic ends at 100%)",
    reads: ["rollout.featureFlagPercentSteps", "rollout.trafficSteps"],
    check: ({ rollout: r }) => {
      const findings: Finding[] = [];
      // the first step that is not above the one before it (the first step has none: xs[-1] is undefined), or -1
      const rises = (xs: readonly number[]) => xs.findIndex((x, i) => x <= xs[i - 1]);
      const flag = rises(r.featureFlagPercentSteps);
      if (flag !== -1) findings.push([`rollout.featureFlagPercentSteps[${flag}]`, `${r.featureFlagPercentSteps[flag]}% does not rise above the step before it (${r.featureFlagPercentSteps[flag - 1]}%): a rollout only widens`]);
      const traffic = rises(r.trafficSteps.map((t) => t.percent));
      if (traffic !== -1) findings.push([`rollout.trafficSteps[${traffic}].percent`, `${r.trafficSteps[traffic].percent}% does not rise above the step before it (${r.trafficSteps[traffic - 1].percent}%): a rollout only widens`]);
      return findings;
    },
  }),
  eachEnvironment({
    id: "standby-outlasts-fallback",
    holds: "the previous version stays deployed (standby) at least as long as it is kept ready to take traffic back (fallback)",
    reads: ["rollout.previousVersionFallbackMinutes", "rollout.previousVersionStandbyMinutes"],
    check: ({ rollout: r }) =>
      r.previousVersionStandbyMinutes < r.previousVersionFallbackMinutes
        ? ["rollout.previousVersionStandbyMinutes", `${r.previousVersionStandbyMinutes} is shorter than previousVersionFallbackMinutes ${r.previousVersionFallbackMinutes} (a fallback needs the version still deployed)`]
        : undefined,
  }),
  eachEnvironment({
    id: "sidecars-admitted",
    holds: "sidecar injection only with a mesh mode Pod Security admits (not `sidecar-init`)",
    reads: ["sidecarInjection", "protected", "organization.serviceMesh.mode"],
    check: (e, _n, m) =>
      e.sidecarInjection && m.organization.serviceMesh.mode === "sidecar-init"
        ? [
            "sidecarInjection",
            `true with organization.serviceMesh.mode "sidecar-init" would keep every pod from starting: istio-init needs NET_ADMIN and NET_RAW, which Pod Security ${e.protected ? "restricted" : "baseline"} forbids (use "sidecar-cni" or "ambient")`,
          ]
        : undefined,
  }),
  eachEnvironment({
    id: "sidecar-fits-pod",
    holds: "an injected sidecar is no bigger than the pod size: the namespace's LimitRange lets no container exceed it",
    reads: ["pod", "sidecarInjection", "organization.serviceMesh.mode", "organization.serviceMesh.sidecar"],
    when: (e, _n, m) => sidecarInjected(e, m.organization),
    // the LimitRange's Container max is the pod size (constructs/namespace.ts), and the injected istio-proxy (and
    // istio-validation under the CNI) gets the sidecar size as its limits (stacks/props.ts sidecarResourceAnnotations):
    // a limit above max is refused at admission ("maximum cpu usage per Container is …, but limit is …",
    // kubernetes plugin/pkg/admission/limitranger), so no pod of the environment would ever be created
    check: ({ pod }, _n, m) => {
      const sidecar = m.organization.serviceMesh.sidecar;
      const tooSmall = (field: "cpuMillicores" | "memoryMiB", unit: string): Finding =>
        pod[field] < sidecar[field]
          ? [`pod.${field}`, `${pod[field]} is below the mesh sidecar's ${sidecar[field]}${unit} (organization.serviceMesh.sidecar): the namespace's LimitRange lets no container exceed the pod size, so the API server would refuse every pod with its injected istio-proxy`]
          : undefined;
      return [tooSmall("cpuMillicores", "m"), tooSmall("memoryMiB", " MiB")];
    },
  }),
  eachEnvironment({
    id: "dns-where-names-are-dialled",
    holds: "egress to cluster DNS is allowed where the pods dial names: an injected sidecar (istiod) or the Datadog Agent over TCP (its Service)",
    reads: ["network.allowDns", "sidecarInjection", "organization.serviceMesh.mode", "organization.datadog.agent.transport"],
    // egress is denied by default (constructs/network-policies.ts), and `allow-dns` is the only way to DNS
    check: (e, _n, m) => {
      const dialled = [
        ...(sidecarInjected(e, m.organization) ? ["the injected istio-proxy dials istiod by name (istiod.<namespace>.svc:15012), so no pod would become ready"] : []),
        ...(m.organization.datadog.agent.transport === "tcp" ? ["tracers dial the Datadog Agent's Service by name (DD_AGENT_HOST), so every trace.* monitor would go No Data"] : []),
      ];
      return !e.network.allowDns && dialled.length > 0 ? ["network.allowDns", `false, while ${dialled.join("; and ")}: egress is denied by default, and allow-dns is the only way to cluster DNS`] : undefined;
    },
  }),
];

// ---------------------------------------------------------------------------------------------------------------
// Protected environments: nobody ships alone, and somebody is woken up.

export const PROTECTED_RULES: readonly Rule[] = [
  protectedEnvironment({
    id: "protected-has-reviewers",
    holds: "has required deployment reviewers",
    reads: ["approval.reviewers"],
    check: ({ approval: { reviewers } }) =>
      reviewers.teams.length + reviewers.users.length === 0 ? ["approval.reviewers", `is empty ${PROTECTED} needs required reviewers)`] : undefined,
  }),
  protectedEnvironment({
    id: "protected-has-checklist",
    holds: "gives its approvers a checklist (what an approval vouches for)",
    reads: ["approval.checklist"],
    check: ({ approval: { checklist } }) => (checklist.length === 0 ? ["approval.checklist", `is empty ${PROTECTED} tells its approvers what they vouch for)`] : undefined),
  }),
  protectedEnvironment({
    id: "protected-tiers-page",
    holds: "with alert tiers, pages on-call for at least one kind of alert (a `critical` tier)",
    reads: ["alerts.tiers"],
    check: ({ alerts: { tiers } }) =>
      tiers !== null && !Object.values(tiers).includes("critical") ? ["alerts.tiers", `have no critical tier ${PROTECTED} pages on-call for something)`] : undefined,
  }),
  protectedValue({ id: "protected-prevents-self-review", holds: "prevents self-review", field: "approval.preventSelfReview", required: true, rule: " forbids self-review" }),
  protectedValue({ id: "protected-no-admin-bypass", holds: "gives admins no bypass", field: "approval.adminsCanBypass", required: false, rule: " cannot be bypassed by admins" }),
  protectedEnvironment({
    id: "protected-named-branches",
    holds: "deploys only from named branches (no `*`, `**`, `*/*`)",
    reads: ["identity.deployBranches"],
    check: ({ identity: id }) => [
      id.deployBranches.includes("*") ? ["identity.deployBranches", `"*" is not allowed ${PROTECTED} deploys only from named branches)`] : undefined,
      ...id.deployBranches.map((b, i): Finding =>
        matchesAnyBranch(b) && b !== "*" ? [`identity.deployBranches[${i}]`, `${show(b)} is not allowed ${PROTECTED} deploys only from named branches)`] : undefined,
      ),
    ],
  }),
  protectedEnvironment({
    id: "protected-has-protected-branch",
    holds: "protects the branch it deploys from",
    reads: ["identity.protectedBranch"],
    check: ({ identity: id }) => (id.protectedBranch === null ? ["identity.protectedBranch", `null is not allowed ${PROTECTED} protects the branch it deploys from)`] : undefined),
  }),
  protectedEnvironment({
    id: "protected-pattern-names-creators",
    holds: "names who may create its branch when it protects a pattern",
    reads: ["identity.protectedBranch", "identity.branchCreators"],
    check: ({ identity: id }) =>
      id.protectedBranch?.includes("*") && id.branchCreators === undefined
        ? [
            "identity.branchCreators",
            `is missing ${PROTECTED} that protects the pattern ${show(id.protectedBranch)} names who may create such branches; anyone with write access could otherwise create one with unreviewed commits)`,
          ]
        : undefined,
  }),
  protectedEnvironment({
    id: "protected-in-promotion-order",
    holds: "is in the promotion order, so its rules are held to those before it",
    reads: ["promotionOrder"],
    check: (_e, name, m) =>
      m.promotionOrder.includes(name)
        ? undefined
        : ["promotionOrder", `does not list ${name} (every protected environment is in the promotion order, so its rules are held to those before it)`],
  }),
  protectedEnvironment({
    id: "protected-branch-needs-approvals",
    holds: "its protected branch takes pull requests with at least one approving review",
    reads: ["identity.protectedBranch", "approval.requiredApprovingReviews"],
    check: ({ identity: id, approval: a }) =>
      id.protectedBranch !== null && a.requiredApprovingReviews === 0
        ? ["approval.requiredApprovingReviews", `0 is not allowed on ${id.protectedBranch} ${PROTECTED}'s branch takes pull requests with approving reviews)`]
        : undefined,
  }),
  protectedEnvironment({
    id: "protected-branch-dismisses-stale",
    holds: "its protected branch dismisses stale reviews",
    reads: ["identity.protectedBranch", "approval.dismissStaleReviews"],
    check: ({ identity: id, approval: a }) =>
      id.protectedBranch !== null && !a.dismissStaleReviews
        ? ["approval.dismissStaleReviews", `false is not allowed on ${id.protectedBranch} ${PROTECTED}'s branch dismisses stale reviews)`]
        : undefined,
  }),
  protectedEnvironment({
    id: "protected-branch-requires-checks",
    holds: "its protected branch requires the CI checks",
    reads: ["identity.protectedBranch", "approval.requiredStatusChecks"],
    check: ({ identity: id, approval: a }) =>
      id.protectedBranch !== null && a.requiredStatusChecks.length === 0
        ? ["approval.requiredStatusChecks", `is empty on ${id.protectedBranch} ${PROTECTED}'s branch requires the CI checks)`]
        : undefined,
  }),
  eachEnvironment({
    id: "protected-branch-scans-code",
    holds: "its protected branch merges only code that code scanning analyzed (the source documents gate staging by CodeQL and SAST)",
    reads: ["identity.protectedBranch", "approval.codeScanning"],
    check: ({ identity: id, approval: a }) =>
      id.protectedBranch !== null && a.codeScanning === null
        ? ["approval.codeScanning", `is null on ${id.protectedBranch} (a protected branch merges only code that code scanning analyzed: set a tool, e.g. CodeQL)`]
        : undefined,
  }),
  eachEnvironment({
    id: "max-cost-within-budget",
    holds: "its estimated monthly cost at max replicas stays within its budget (an estimate from the matrix, never a bill)",
    reads: ["replicas", "rolloutSurgePods", "pod", "sidecarInjection", "cost", "organization.cost", "organization.serviceMesh"],
    // the estimate counts the services (each runs in every environment); a service's refused name does not change the count
    walks: ["services"],
    check: (e, name, m) => {
      const { atMax } = estimateCost(m, name);
      return atMax.total > e.cost.budgetMonthly
        ? ["cost.budgetMonthly", `${money(e.cost.budgetMonthly, m.organization.cost.currency)} is below the estimate at max replicas: ${atMax.arithmetic} (lower replicas.max or the pod size, or raise the budget)`]
        : undefined;
    },
  }),
  protectedValue({ id: "protected-no-force-push", holds: "its branches take no force pushes", field: "approval.allowForcePushes", required: false, rule: "'s branches take no force pushes" }),
  protectedValue({
    id: "protected-keeps-secrets-on-delete",
    holds: 'keeps its synced Secrets when an ExternalSecret is deleted (`creationPolicy: "Orphan"`)',
    field: "secrets.creationPolicy",
    required: "Orphan",
    rule: ' keeps its synced Secrets when an ExternalSecret is deleted: "Orphan"',
  }),
  protectedValue({
    id: "protected-keeps-secrets-on-vault-delete",
    holds: 'keeps its synced Secrets when a value leaves Vault (`deletionPolicy: "Retain"`)',
    field: "secrets.deletionPolicy",
    required: "Retain",
    rule: ' keeps its synced Secrets when a value leaves Vault: "Retain"',
  }),
  protectedValue({ id: "protected-pages", holds: "pages on-call", field: "alerts.routing", required: "page", rule: " pages on-call" }),
];

// ---------------------------------------------------------------------------------------------------------------
// Along the promotion order: an environment may only be as strict as the one before it, or stricter.

const reviewerCount = (e: EnvironmentSettings) => e.approval.reviewers.teams.length + e.approval.reviewers.users.length;

export const PROMOTION_RULES: readonly Rule[] = [
  alongPromotion({ id: "stricter-errorRatePercent", field: "alerts.errorRatePercent", may: "not rise", word: "looser", why: "thresholds may only get stricter", holds: "the error-rate alert threshold only gets stricter" }),
  alongPromotion({ id: "stricter-latencyMs", field: "alerts.latencyMs", may: "not rise", word: "looser", why: "thresholds may only get stricter", holds: "the latency alert threshold only gets stricter" }),
  alongPromotion({ id: "stricter-cpuPercent", field: "alerts.cpuPercent", may: "not rise", word: "looser", why: "thresholds may only get stricter", holds: "the CPU alert threshold only gets stricter" }),
  alongPromotion({ id: "more-replicas-min", field: "replicas.min", may: "not fall", word: "fewer", why: "replicas may only grow", holds: "min replicas only grow" }),
  alongPromotion({ id: "more-replicas-default", field: "replicas.default", may: "not fall", word: "fewer", why: "replicas may only grow", holds: "default replicas only grow" }),
  alongPromotion({ id: "more-replicas-max", field: "replicas.max", may: "not fall", word: "fewer", why: "replicas may only grow", holds: "max replicas only grow" }),
  alongPromotion({ id: "more-approving-reviews", field: "approval.requiredApprovingReviews", may: "not fall", word: "fewer", why: "approvals may only grow", holds: "required approving reviews only grow" }),
  alongPromotion({
    id: "reviewers-kept",
    field: "approval.reviewers",
    may: "not be dropped",
    word: "empty",
    had: "requires reviewers",
    why: "approvals may only grow",
    measure: (e) => reviewerCount(e) > 0,
    holds: "deployment reviewers, once required, stay required",
  }),
  alongPromotion({ id: "self-review-kept-off", field: "approval.preventSelfReview", may: "not turn off", why: "approval rules may only get stricter", holds: "self-review, once prevented, stays prevented" }),
  alongPromotion({ id: "admin-bypass-kept-off", field: "approval.adminsCanBypass", may: "not turn on", why: "approval rules may only get stricter", holds: "admin bypass, once off, stays off" }),
  alongPromotion({
    id: "louder-routing",
    field: "alerts.routing",
    may: "not fall",
    word: "quieter",
    why: "alerting may only get louder",
    measure: (e) => ROUTINGS.indexOf(e.alerts.routing),
    holds: "alert routing only gets louder (none → chat → page)",
  }),
  alongPromotion({ id: "higher-priority", field: "alerts.priority", may: "not rise", word: "less urgent", why: "priority may only rise {along}; 1 is highest", holds: "alert priority only rises (1 is highest)" }),
  alongPromotion({ id: "faster-evaluation", field: "alerts.evaluationWindowMinutes", may: "not rise", word: "slower", why: "monitors may only react faster", holds: "the evaluation window only gets shorter" }),
  alongPromotion({ id: "no-data-kept-on", field: "alerts.notifyNoData", may: "not turn off", why: "alerting may only get louder", holds: "no-data alerts, once on, stay on" }),
  alongPromotion({ id: "canary-gate-kept", field: "canaryGate", may: "not be dropped", word: "null", had: "has a canary gate", why: "gates may only be added", holds: "a canary gate, once there, stays" }),
  alongPromotion({ id: "protection-kept", field: "protected", may: "not turn off", had: "is protected", why: "protection may only be added", holds: "protection, once there, stays" }),
  alongPromotion({ id: "slo-kept", field: "slo", may: "not be dropped", word: "null", had: "has SLOs", why: "SLOs may only get stricter", holds: "SLOs, once there, stay" }),
  alongPromotion({ id: "stricter-slo-availability", field: "slo.availabilityPercent", may: "not fall", word: "looser", why: "SLOs may only get stricter", holds: "the availability SLO only rises" }),
  alongPromotion({
    id: "slo-latency-kept",
    field: "slo.latencyP99Ms",
    may: "not be dropped",
    word: "null",
    had: "has a latency SLO",
    why: "SLOs may only get stricter",
    holds: "a latency SLO, once there, stays",
    // an environment without any SLO is slo-kept's to report
    when: (_before, after) => after.slo !== null,
  }),
  alongPromotion({ id: "stricter-slo-latency", field: "slo.latencyP99Ms", may: "not rise", word: "looser", why: "SLOs may only get stricter", holds: "the latency SLO only falls" }),
];

// ---------------------------------------------------------------------------------------------------------------
// Values no two environments (or services) may share, with what a clash would break.

function unique(field: "namespace" | "protectedBranch" | "githubEnvironment" | "vaultSubtree", breaks: string): Rule {
  return acrossMatrix(`unique-${field}`, "unique", `no two environments share a \`${field}\` (${breaks})`, (m, ctx) => {
    const problems: Problem[] = [];
    const owner = new Map<string, string>();
    for (const [name, e] of Object.entries(m.environments)) {
      if (!ctx.valid(`environments.${name}.identity.${field}`)) continue;
      const value = e.identity[field];
      if (value === null) continue; // null protectedBranch: nothing to share
      const first = owner.get(value);
      if (first !== undefined) problems.push({ path: `environments.${name}.identity.${field}`, message: `${show(value)} is also ${first}'s (must be unique: ${breaks})` });
      else owner.set(value, name);
    }
    return problems;
  });
}

export const UNIQUENESS_RULES: readonly Rule[] = [
  unique("namespace", "two environments would manage the same namespace"),
  unique("protectedBranch", "two stacks would fight over one branch protection"),
  unique("githubEnvironment", "two environments would share one set of protection rules"),
  unique("vaultSubtree", "two environments would read each other's secrets"),
  acrossMatrix("unique-service-names", "unique", "no two services share a name", (m, ctx) => {
    const problems: Problem[] = [];
    if (!ctx.shaped("services")) return problems;
    const seen = new Map<string, number>();
    m.services.forEach((s, i) => {
      if (!ctx.valid(`services[${i}].name`)) return;
      const first = seen.get(s.name);
      if (first !== undefined) problems.push({ path: `services[${i}].name`, message: `${show(s.name)} is already the name of services[${first}] (service names must be unique)` });
      else seen.set(s.name, i);
    });
    return problems;
  }),
  acrossMatrix("team-stacks-named-apart", "unique", "a team stack's name (<environment>-<team>) is no other stack's, and fits a stack name", (m, ctx) => {
    const problems: Problem[] = [];
    if (!ctx.shaped("services")) return problems;
    // a team stack's name has a "-" in it: it can be an environment's, never the gates stack's ("gates")
    const taken = new Map<string, string>(Object.keys(m.environments).map((n) => [n, `environment ${n}`]));
    for (const [name, e] of Object.entries(m.environments)) {
      if (!ctx.valid(`environments.${name}.splitByTeam`) || !e.splitByTeam || !m.services.every((_, i) => ctx.valid(`services[${i}].team`))) continue;
      for (const team of [...new Set(m.services.map((s) => s.team))]) {
        const stack = `${name}-${team}`;
        const other = taken.get(stack);
        if (other) problems.push({ path: `environments.${name}.splitByTeam`, message: `team ${team}'s stack would be named ${stack}, which is ${other} (a stack's state and plan are found by its name)` });
        else if (stack.length > 63) problems.push({ path: `environments.${name}.splitByTeam`, message: `team ${team}'s stack name ${stack} is longer than 63 characters (it names a state key and an HCP workspace)` });
        else taken.set(stack, `team ${team}'s stack of ${name}`);
      }
    }
    return problems;
  }),
  acrossMatrix("service-latency-within-slo", "unique", "a service's own latency threshold alerts before any environment's latency SLO is breached", (m, ctx) => {
    if (!ctx.shaped("services")) return [];
    return m.services.flatMap((svc, i) => {
      if (!ctx.valid(`services[${i}].latencyMs`) || svc.latencyMs === undefined) return [];
      return Object.entries(m.environments)
        .filter(([n, e]) => ctx.valid(`environments.${n}.slo`) && e.slo?.latencyP99Ms != null && svc.latencyMs! > e.slo.latencyP99Ms)
        .map(([n, e]) => ({
          path: `services[${i}].latencyMs`,
          message: `${svc.latencyMs} is above ${n}'s latency SLO of ${e.slo!.latencyP99Ms} ms (the service would page only after its SLO burns there; at most ${e.slo!.latencyP99Ms})`,
        }));
    });
  }),
  acrossMatrix("service-not-secret-sync", "unique", "no service takes the secret sync's service account name", (m, ctx) => {
    if (!ctx.shaped("services")) return [];
    return m.services.flatMap((s, i) =>
      ctx.valid(`services[${i}].name`) && ctx.valid("organization.secretSync.serviceAccount") && s.name === m.organization.secretSync.serviceAccount
        ? [{ path: `services[${i}].name`, message: `${show(s.name)} is the secret sync's service account (organization.secretSync.serviceAccount); a workload may not share it` }]
        : [],
    );
  }),
  acrossMatrix("promotion-order-known", "unique", "the promotion order names existing environments, each once", (m, ctx) => {
    if (!ctx.valid("promotionOrder")) return [];
    const problems: Problem[] = [];
    m.promotionOrder.forEach((name, i) => {
      // a declared environment the schema refused, or a broken clone: its own problem says so
      if (!Object.hasOwn(m.environments, name) && ctx.valid(`environments.${name}`)) problems.push({ path: `promotionOrder[${i}]`, message: `${show(name)} is not an environment in environments` });
      if (m.promotionOrder.indexOf(name) !== i) problems.push({ path: `promotionOrder[${i}]`, message: `${show(name)} appears twice` });
    });
    return problems;
  }),
];

// ---------------------------------------------------------------------------------------------------------------
// Trust: rules that keep one environment's stack and deploy away from another's objects and secrets (issue 9's
// threat model). Validation is defence in depth: the credentials and the branch rules are the wall.

const isProtected = (m: Matrix, name: string) => m.environments[name]?.protected === true;
/** Whether environment `name`'s `protected` can be read: false where it (or the environment) was refused. */
const protectionKnown = (ctx: RuleContext, name: string) => ctx.valid(`environments.${name}.protected`);

export const TRUST_RULES: readonly Rule[] = [
  acrossMatrix("reserved-names", "trust", "`gates` is not an environment name (it is envmatrix's own stack)", (m) =>
    RESERVED_STACKS.filter((name) => Object.hasOwn(m.environments, name)).map((name) => ({
      path: `environments.${name}`,
      message: `"${name}" is the name of envmatrix's own stack (choose another environment name)`,
    })),
  ),
  eachEnvironment(
    {
      id: "namespace-derived",
      holds: "an environment's namespace is `<project>-<env>`, so no edit points one environment at another's",
      reads: ["identity.namespace", "organization.project"],
      check: ({ identity: id }, name, m) =>
        id.namespace === `${m.organization.project}-${name}`
          ? undefined
          : [
              "identity.namespace",
              `${show(id.namespace)} is not "${m.organization.project}-${name}" (a namespace is derived from the project and environment names, so no edit can point one environment at another's)`,
            ],
    },
    "trust",
  ),
  eachEnvironment(
    {
      id: "vault-subtree-derived",
      holds: "an environment's Vault subtree is `<env>`, so no edit points one environment at another's secrets",
      reads: ["identity.vaultSubtree"],
      check: ({ identity: id }, name) =>
        id.vaultSubtree === name
          ? undefined
          : ["identity.vaultSubtree", `${show(id.vaultSubtree)} is not "${name}" (the Vault subtree is the environment's name, so no edit can point one environment at another's secrets)`],
    },
    "trust",
  ),
  eachEnvironment(
    {
      id: "vault-subtree-not-the-mount",
      holds: "an environment's Vault subtree is not named like the KV mount, whose name ESO cuts from the front of a secret's key",
      reads: ["identity.vaultSubtree", "organization.vault.kvMount"],
      // ESO v1.0.0 providers/v1/vault/client_get.go: `cut := *optionalMount + "/"; if strings.HasPrefix(out, cut) {
      // … strings.Cut(out, cut)`: the key "secret/api" on mount "secret" is read as secret/data/api
      check: ({ identity: id }, _name, m) =>
        id.vaultSubtree !== m.organization.vault.kvMount
          ? undefined
          : ["identity.vaultSubtree", `${show(id.vaultSubtree)} is the KV mount's name (ESO reads the key "${id.vaultSubtree}/<service>" on mount "${m.organization.vault.kvMount}" as "<service>", outside the environment's subtree and its policy): rename the environment or the mount`],
    },
    "trust",
  ),
  eachEnvironment(
    {
      id: "github-environment-owned",
      holds: "an environment's GitHub environment name starts with its own name (longest environment name first), and is not a plan or the gates' environment",
      reads: ["identity.githubEnvironment", "organization.gates.githubEnvironment"],
      check: ({ identity: id }, name, m) => {
        const owner = githubEnvironmentOwner(m, id.githubEnvironment);
        if (owner !== name) {
          const whose = owner === undefined ? "no environment's" : `${owner}'s`;
          return [
            "identity.githubEnvironment",
            `${show(id.githubEnvironment)} does not start with "${name}" (it reads as ${whose}: a GitHub environment name starts with its environment's name, longest name first, so no edit can point one environment at another's gate)`,
          ];
        }
        if (id.githubEnvironment.endsWith(PLAN_ENVIRONMENT_SUFFIX) || id.githubEnvironment.endsWith(BRANCHES_ENVIRONMENT_SUFFIX) || id.githubEnvironment === m.organization.gates.githubEnvironment) {
          return [
            "identity.githubEnvironment",
            `${show(id.githubEnvironment)} is reserved (names ending in "${PLAN_ENVIRONMENT_SUFFIX}" are the plan environments, in "${BRANCHES_ENVIRONMENT_SUFFIX}" the branch app's; organization.gates.githubEnvironment is the gates')`,
          ];
        }
        return undefined;
      },
    },
    "trust",
  ),
  acrossMatrix("deploy-branches-reviewed", "trust", "every deploy branch is protected by some environment's ruleset with at least one required review", (m, ctx) => {
    const problems: Problem[] = [];
    const envs = Object.entries(m.environments);
    if (!envs.every(([n]) => ctx.valid(`environments.${n}.identity.protectedBranch`) && ctx.valid(`environments.${n}.approval.requiredApprovingReviews`))) return [];
    const reviewed = envs.filter(([, e]) => e.identity.protectedBranch !== null && e.approval.requiredApprovingReviews >= 1).map(([, e]) => e.identity.protectedBranch as string);
    for (const [name, e] of envs) {
      if (!ctx.valid(`environments.${name}.identity.deployBranches`)) continue;
      e.identity.deployBranches.forEach((b, i) => {
        const covered = reviewed.some((r) => r === b || (!b.includes("*") && branchMatches(r, b)));
        if (!covered) {
          problems.push({
            path: `environments.${name}.identity.deployBranches[${i}]`,
            message: `${show(b)} is not a reviewed branch (no environment's protectedBranch with at least one required approving review covers it; every stack is applied only from reviewed merges)`,
          });
        }
      });
    }
    return problems;
  }),
  acrossMatrix("protected-clusters-apart", "trust", "a cluster that hosts a protected environment hosts only protected ones", (m, ctx) => {
    const byCluster = new Map<string, string[]>();
    for (const [name, e] of Object.entries(m.environments)) {
      if (ctx.valid(`environments.${name}.cluster`) && ctx.valid(`environments.${name}.protected`)) byCluster.set(e.cluster, [...(byCluster.get(e.cluster) ?? []), name]);
    }
    const problems: Problem[] = [];
    for (const [cluster, names] of byCluster) {
      const prot = names.filter((n) => isProtected(m, n));
      if (prot.length === 0) continue;
      for (const n of names.filter((x) => !isProtected(m, x))) {
        problems.push({ path: `environments.${n}.cluster`, message: `${show(cluster)} hosts the protected ${prot.join(", ")} (a cluster that hosts a protected environment hosts only protected environments)` });
      }
    }
    return problems;
  }),
  acrossMatrix("kv-mount-owner-protected", "trust", "the KV mount's owner, if any, is an existing protected environment", (m, ctx) => {
    if (!ctx.valid("organization.vault.kvMountManagedBy")) return [];
    const managedBy = m.organization.vault.kvMountManagedBy;
    if (managedBy === null || !protectionKnown(ctx, managedBy)) return [];
    if (!Object.hasOwn(m.environments, managedBy)) {
      return [{ path: "organization.vault.kvMountManagedBy", message: `${show(managedBy)} is not an environment (name the one whose stack owns the mount, or null for an existing mount)` }];
    }
    return isProtected(m, managedBy)
      ? []
      : [{ path: "organization.vault.kvMountManagedBy", message: `${show(managedBy)} is not a protected environment (the mount holds every environment's secrets: only a protected environment's stack may own it)` }];
  }),
  acrossMatrix(
    "vault-egress-bounded",
    "trust",
    `Vault egress CIDRs are no wider than \`organization.vault.egressCidrMinPrefix\` (default /${DEFAULT_EGRESS_MIN_PREFIX}; IPv6 96 more)`,
    (m, ctx) => {
      if (!ctx.valid("organization.vault.egressCidrMinPrefix") || !ctx.shaped("organization.vault.egressCidrs")) return [];
      const bound = m.organization.vault.egressCidrMinPrefix ?? DEFAULT_EGRESS_MIN_PREFIX;
      return m.organization.vault.egressCidrs.flatMap((cidr, i) => {
        const path = `organization.vault.egressCidrs[${i}]`;
        // a CIDR the schema refused (not a CIDR) is its problem alone
        if (!ctx.valid(path)) return [];
        const min = cidr.includes(":") ? bound + 96 : bound;
        return Number(cidr.split("/")[1]) < min
          ? [{ path, message: `${show(cidr)} is wider than /${min} (organization.vault.egressCidrMinPrefix: egress "to Vault" may not open a wide range)` }]
          : [];
      });
    },
  ),
  acrossMatrix("gates-follow-protected", "trust", "the environment the gates stack follows is protected", (m, ctx) => {
    if (!ctx.valid("organization.gates.followsEnvironment")) return [];
    const follows = m.organization.gates.followsEnvironment;
    if (!protectionKnown(ctx, follows) || isProtected(m, follows)) return [];
    return [{ path: "organization.gates.followsEnvironment", message: `${show(follows)} is not a protected environment (the gates stack decides who may change what: it is applied like the strictest environment)` }];
  }),
  acrossMatrix("gates-environment-apart", "trust", "the gates' GitHub environment does not read as an environment's", (m, ctx) => {
    if (!ctx.valid("organization.gates.githubEnvironment")) return [];
    const gh = m.organization.gates.githubEnvironment;
    const owner = githubEnvironmentOwner(m, gh);
    return owner === undefined
      ? []
      : [{ path: "organization.gates.githubEnvironment", message: `${show(gh)} starts with the environment ${owner}'s name (the gates' environment may not read as an environment's)` }];
  }),
  acrossMatrix("review-app-own-id", "trust", "the review app is not GitHub Actions (any workflow posts checks as GitHub Actions)", (m, ctx) => {
    if (!ctx.valid("organization.github.reviewApp.appId") || !ctx.valid("organization.github.actionsAppId")) return [];
    const gh = m.organization.github;
    return gh.reviewApp.appId === (gh.actionsAppId ?? GITHUB_ACTIONS_APP_ID)
      ? [{ path: "organization.github.reviewApp.appId", message: `${gh.reviewApp.appId} is GitHub Actions' own id (any workflow on any branch posts checks as GitHub Actions: the review needs an app of its own)` }]
      : [];
  }),
  acrossMatrix("review-environment-apart", "trust", "the review app's environment is neither an environment's nor the gates'", (m, ctx) => {
    if (!ctx.valid("organization.github.reviewApp.environment")) return [];
    const env = m.organization.github.reviewApp.environment;
    const gates = ctx.valid("organization.gates.githubEnvironment") ? m.organization.gates.githubEnvironment : undefined;
    return githubEnvironmentOwner(m, env) !== undefined || env === gates
      ? [{ path: "organization.github.reviewApp.environment", message: `${show(env)} is taken (it reads as an environment's, or is the gates')` }]
      : [];
  }),
];

/** Every rule envmatrix holds a matrix to, in the order problems are reported. */
export const RULES: readonly Rule[] = [...ENVIRONMENT_RULES, ...PROTECTED_RULES, ...UNIQUENESS_RULES, ...PROMOTION_RULES, ...TRUST_RULES];

/** Every problem the rules find, in table order. */
export function evaluateRules(rules: readonly Rule[], m: Matrix, ctx: RuleContext): Problem[] {
  return rules.flatMap((rule) => rule.check(m, ctx));
}

