/**
 * The rules of the matrix (DESIGN.md "Rules of the matrix"), as pure functions over data.
 * `validateMatrix` returns every problem at once; `loadMatrix` turns a non-empty list into one error.
 * Values are checked at run time too, not only by their types: the matrix is edited by hand and read by tests
 * that break it on purpose.
 */
import { branchMatches } from "./branches";
import type { EnvironmentClone, EnvironmentDefinition, EnvironmentSettings, Matrix, MatrixDefinition } from "./types";

export interface Problem {
  /** Where the bad value is, e.g. `environments.prod.replicas.min`. */
  readonly path: string;
  /** The bad value and the rule it breaks. */
  readonly message: string;
}

/** Kubernetes DNS-1123 label: namespaces, service names, environment names. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Kubernetes DNS-1123 subdomain: service account names. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Kubernetes label key: optional DNS prefix, then a name of at most 63 characters. */
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
/** One segment of a Vault path: no slashes, no dot-segments. */
const VAULT_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;
/** GitHub owner / repository names. */
const GITHUB_NAME = /^[A-Za-z0-9_.-]+$/;
/** A Go duration as ESO reads it: 30s, 15m, 1h, 1h30m. */
const GO_DURATION = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;
const PEM_CERTIFICATE = /^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n?$/;
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
/** Alert routings from quietest to loudest. */
export const ROUTINGS = ["none", "chat", "page"] as const;

/** GitHub: at most 6 required reviewers per environment, a wait timer of at most 30 days. */
export const GITHUB_MAX_REVIEWERS = 6;
export const GITHUB_MAX_WAIT_TIMER_MINUTES = 43200;
/** GitHub branch protection accepts 0..6 required approving reviews. */
export const GITHUB_MAX_APPROVING_REVIEWS = 6;

const show = (value: unknown): string => (typeof value === "string" ? JSON.stringify(value) : String(value));

export const MESH_MODES = ["sidecar-cni", "sidecar-init", "ambient"] as const;
export const AGENT_TRANSPORTS = ["tcp", "socket"] as const;

/** A non-empty map of Kubernetes labels (a selector that selects something). */
function labels(path: string, value: unknown, c: Collector): void {
  if (value === null || typeof value !== "object" || Array.isArray(value) || Object.keys(value).length === 0) {
    c.add(path, "is not a non-empty map of labels (a selector must select something)");
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    c.pattern(`${path}`, k, LABEL_KEY, "a Kubernetes label key");
    c.pattern(`${path}.${k}`, v, LABEL_VALUE, "a Kubernetes label value");
  }
}

class Collector {
  readonly problems: Problem[] = [];
  add(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  integer(path: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): value is number {
    if (typeof value !== "number" || !Number.isInteger(value)) {
      this.add(path, `${show(value)} is not a whole number`);
      return false;
    }
    if (value < min || value > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`;
      this.add(path, `${value} is out of range (must be ${range})`);
      return false;
    }
    return true;
  }

  /** A percentage p with 0 < p <= 100 (or < 100 when `exclusiveMax`). */
  percent(path: string, value: unknown, exclusiveMax = false): value is number {
    const ok =
      typeof value === "number" && Number.isFinite(value) && value > 0 && (exclusiveMax ? value < 100 : value <= 100);
    if (!ok) this.add(path, `${show(value)} is not a percentage (must be above 0 and ${exclusiveMax ? "below" : "at most"} 100)`);
    return ok;
  }

  boolean(path: string, value: unknown): void {
    if (typeof value !== "boolean") this.add(path, `${show(value)} is not true or false`);
  }

  pattern(path: string, value: unknown, re: RegExp, rule: string, maxLength = Infinity): value is string {
    if (typeof value !== "string" || !re.test(value) || value.length > maxLength) {
      this.add(path, `${show(value)} is not ${rule}`);
      return false;
    }
    return true;
  }

  oneOf<T extends string>(path: string, value: unknown, allowed: readonly T[]): value is T {
    if (!allowed.includes(value as T)) {
      this.add(path, `${show(value)} is not one of ${allowed.join(", ")}`);
      return false;
    }
    return true;
  }

  /** An https URL: credentials (Vault and Kubernetes tokens, Datadog keys) and runbooks never travel in clear. */
  url(path: string, value: unknown): URL | undefined {
    try {
      const url = new URL(String(value));
      if (url.protocol === "https:") return url;
    } catch {
      // reported below
    }
    this.add(path, `${show(value)} is not an https URL (tokens and keys are sent there: plain http is refused)`);
    return undefined;
  }
}

const DNS_LABEL_RULE = "a Kubernetes name (DNS-1123 label: lowercase letters, digits and '-', at most 63 characters)";

function isCidr(value: unknown): boolean {
  if (typeof value !== "string") return false;
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
  if (m) return m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 32;
  const v6 = /^([0-9a-fA-F:]+)\/(\d{1,3})$/.exec(value);
  return !!v6 && v6[1].includes(":") && Number(v6[2]) <= 128;
}

function validateOrganization(m: Matrix, c: Collector): void {
  const o = m.organization;
  const p = "organization";
  c.pattern(`${p}.project`, o.project, DNS_LABEL, DNS_LABEL_RULE, 63);
  c.pattern(`${p}.github.owner`, o.github?.owner, GITHUB_NAME, "a GitHub owner name", 39);
  c.pattern(`${p}.github.repository`, o.github?.repository, GITHUB_NAME, "a GitHub repository name", 100);
  c.url(`${p}.vault.address`, o.vault?.address);
  c.pattern(`${p}.vault.kvMount`, o.vault?.kvMount, VAULT_SEGMENT, "a Vault mount name (one path segment)");
  const managedBy = o.vault?.kvMountManagedBy;
  if (managedBy !== null && !(typeof managedBy === "string" && Object.hasOwn(m.environments, managedBy))) {
    c.add(`${p}.vault.kvMountManagedBy`, `${show(managedBy)} is not an environment (name the one whose stack owns the mount, or null for an existing mount)`);
  }
  c.pattern(`${p}.vault.authMountPrefix`, o.vault?.authMountPrefix, /^[A-Za-z0-9_-]*$/, "a Vault path prefix (letters, digits, '_' and '-')");
  c.pattern(`${p}.vault.githubJwtMount`, o.vault?.githubJwtMount, VAULT_SEGMENT, "a Vault mount name (one path segment)");
  if (typeof o.vault?.tokenAudience !== "string" || o.vault.tokenAudience.trim() === "") {
    c.add(`${p}.vault.tokenAudience`, `${show(o.vault?.tokenAudience)} is not a token audience`);
  }
  c.integer(`${p}.secretRotation.databasePasswordDays`, o.secretRotation?.databasePasswordDays, 1, 3650);
  c.integer(`${p}.secretRotation.apiKeyDays`, o.secretRotation?.apiKeyDays, 1, 3650);
  c.integer(`${p}.secretRotation.signingKeyMonths`, o.secretRotation?.signingKeyMonths, 1, 120);
  const cidrs = o.vault?.egressCidrs;
  if (!Array.isArray(cidrs) || cidrs.length === 0) {
    c.add(`${p}.vault.egressCidrs`, "is empty (the Vault egress policy needs at least one CIDR)");
  } else {
    cidrs.forEach((cidr, i) => {
      if (!isCidr(cidr)) c.add(`${p}.vault.egressCidrs[${i}]`, `${show(cidr)} is not a CIDR (like 192.0.2.0/28)`);
    });
  }
  for (const [name, cluster] of Object.entries(o.clusters ?? {})) {
    if (typeof cluster?.context !== "string" || cluster.context.trim() === "") {
      c.add(`${p}.clusters.${name}.context`, `${show(cluster?.context)} is not a kubeconfig context name`);
    }
    c.url(`${p}.clusters.${name}.host`, cluster?.host);
    const ca = cluster?.caCertificatePem;
    if (ca !== undefined && !(typeof ca === "string" && PEM_CERTIFICATE.test(ca))) {
      c.add(`${p}.clusters.${name}.caCertificatePem`, "is not a PEM certificate (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----)");
    }
  }
  c.pattern(`${p}.platform.namespace`, o.platform?.namespace, DNS_LABEL, DNS_LABEL_RULE, 63);
  c.pattern(`${p}.platform.tokenReviewerServiceAccount`, o.platform?.tokenReviewerServiceAccount, DNS_SUBDOMAIN, "a Kubernetes service account name (DNS-1123 subdomain)", 253);
  const vaultCa = o.vault?.caCertificatePem;
  if (vaultCa !== undefined && !(typeof vaultCa === "string" && PEM_CERTIFICATE.test(vaultCa))) {
    c.add(`${p}.vault.caCertificatePem`, "is not a PEM certificate (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----)");
  }
  c.pattern(`${p}.ingressController.namespace`, o.ingressController?.namespace, DNS_LABEL, DNS_LABEL_RULE, 63);
  labels(`${p}.ingressController.podLabels`, o.ingressController?.podLabels, c);
  c.pattern(`${p}.podSecurityVersion`, o.podSecurityVersion, /^(latest|v1\.\d{1,2})$/, "a Pod Security Standards version (v1.31, or latest)");
  c.oneOf(`${p}.serviceMesh.mode`, o.serviceMesh?.mode, MESH_MODES);
  c.pattern(`${p}.serviceMesh.controlPlane.namespace`, o.serviceMesh?.controlPlane?.namespace, DNS_LABEL, DNS_LABEL_RULE, 63);
  labels(`${p}.serviceMesh.controlPlane.podLabels`, o.serviceMesh?.controlPlane?.podLabels, c);
  c.integer(`${p}.serviceMesh.controlPlane.port`, o.serviceMesh?.controlPlane?.port, 1, 65535);
  c.oneOf(`${p}.datadog.agent.transport`, o.datadog?.agent?.transport, AGENT_TRANSPORTS);
  c.pattern(`${p}.datadog.agent.namespace`, o.datadog?.agent?.namespace, DNS_LABEL, DNS_LABEL_RULE, 63);
  labels(`${p}.datadog.agent.podLabels`, o.datadog?.agent?.podLabels, c);
  c.pattern(`${p}.datadog.agent.service`, o.datadog?.agent?.service, DNS_LABEL, DNS_LABEL_RULE, 63);
  c.pattern(`${p}.serviceMesh.injectionLabel`, o.serviceMesh?.injectionLabel, LABEL_KEY, "a Kubernetes label key");
  c.pattern(`${p}.serviceMesh.injectionValue`, o.serviceMesh?.injectionValue, LABEL_VALUE, "a Kubernetes label value");
  c.integer(`${p}.serviceMesh.sidecar.cpuMillicores`, o.serviceMesh?.sidecar?.cpuMillicores, 0);
  c.integer(`${p}.serviceMesh.sidecar.memoryMiB`, o.serviceMesh?.sidecar?.memoryMiB, 0);
  c.pattern(
    `${p}.secretSync.serviceAccount`,
    o.secretSync?.serviceAccount,
    DNS_SUBDOMAIN,
    "a Kubernetes service account name (DNS-1123 subdomain)",
    253,
  );
  c.url(`${p}.datadog.apiUrl`, o.datadog?.apiUrl);
  for (const key of ["chatHandle", "pagerHandle", "gateHandle"] as const) {
    c.pattern(`${p}.datadog.${key}`, o.datadog?.[key], /^@[A-Za-z0-9_.\-]+$/, "a Datadog notification handle (like @slack-channel)");
  }
  c.url(`${p}.datadog.runbookBaseUrl`, o.datadog?.runbookBaseUrl);
  c.pattern(`${p}.datadog.traceOperation`, o.datadog?.traceOperation, /^[a-z][a-z0-9_.]*$/, "an APM operation name (like http.request)");
  for (const key of ["key", "canary", "stable"] as const) {
    c.pattern(`${p}.datadog.apmSecondPrimaryTag.${key}`, o.datadog?.apmSecondPrimaryTag?.[key], /^[a-z][a-z0-9_.\-/]*$/, "a Datadog tag name or value");
  }
}

/** The id of the gates stack (GitHub gates and deployer policies of every environment): not an environment name. */
export const GATES_STACK = "gates";
/** Environment names that are not environments: the stacks of their own. */
export const RESERVED_STACKS = [GATES_STACK] as const;
/** The GitHub environment a stack's read-only plan runs in: `<githubEnvironment>-plan`. */
export const PLAN_ENVIRONMENT_SUFFIX = "-plan";
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

/**
 * Rules that keep one environment's stack and deploy away from another's objects and secrets (issue 9's
 * threat model): identity derived from the name, only reviewed branches deploy, protected environments on
 * clusters of their own, https only, Vault egress bounded. Validation is defence in depth: the credentials
 * and the branch rules are the wall.
 */
function validateTrust(m: Matrix, c: Collector): void {
  const o = m.organization;
  const envs = Object.entries(m.environments);
  const isProtected = (n: string | null | undefined) => typeof n === "string" && m.environments[n]?.protected === true;

  for (const name of RESERVED_STACKS) {
    if (Object.hasOwn(m.environments, name)) c.add(`environments.${name}`, `"${name}" is the name of envmatrix's own stack (choose another environment name)`);
  }
  for (const [name, e] of envs) {
    const p = `environments.${name}.identity`;
    const id = e.identity;
    if (typeof id?.namespace === "string" && id.namespace !== `${o.project}-${name}`) {
      c.add(`${p}.namespace`, `${show(id.namespace)} is not "${o.project}-${name}" (a namespace is derived from the project and environment names, so no edit can point one environment at another's)`);
    }
    if (typeof id?.vaultSubtree === "string" && id.vaultSubtree !== name) {
      c.add(`${p}.vaultSubtree`, `${show(id.vaultSubtree)} is not "${name}" (the Vault subtree is the environment's name, so no edit can point one environment at another's secrets)`);
    }
    if (typeof id?.githubEnvironment === "string") {
      const owner = githubEnvironmentOwner(m, id.githubEnvironment);
      if (owner !== name) {
        const whose = owner === undefined ? "no environment's" : `${owner}'s`;
        c.add(`${p}.githubEnvironment`, `${show(id.githubEnvironment)} does not start with "${name}" (it reads as ${whose}: a GitHub environment name starts with its environment's name, longest name first, so no edit can point one environment at another's gate)`);
      } else if (id.githubEnvironment.endsWith(PLAN_ENVIRONMENT_SUFFIX) || id.githubEnvironment === o.gates?.githubEnvironment) {
        c.add(`${p}.githubEnvironment`, `${show(id.githubEnvironment)} is reserved (names ending in "${PLAN_ENVIRONMENT_SUFFIX}" are the plan environments; organization.gates.githubEnvironment is the gates')`);
      }
    }
    const creators = id?.branchCreators;
    if (creators !== undefined) {
      if (!Array.isArray(creators) || creators.length === 0) c.add(`${p}.branchCreators`, "is empty (name the teams that may create the protected branch, or leave it out)");
      else creators.forEach((t, i) => {
        if (typeof t !== "string" || !GITHUB_NAME.test(t)) c.add(`${p}.branchCreators[${i}]`, `${show(t)} is not a GitHub team slug`);
      });
      if (id?.protectedBranch === null) c.add(`${p}.branchCreators`, "is set but protectedBranch is null (there is no branch whose creation to restrict)");
    }
    if (e.protected !== true) continue;
    const rule = "(a protected environment";
    if (id?.protectedBranch === null) c.add(`${p}.protectedBranch`, `null is not allowed ${rule} protects the branch it deploys from)`);
    if (Array.isArray(id?.deployBranches)) {
      id.deployBranches.forEach((b, i) => {
        if (typeof b === "string" && matchesAnyBranch(b) && b !== "*") c.add(`${p}.deployBranches[${i}]`, `${show(b)} is not allowed ${rule} deploys only from named branches)`);
      });
    }
    if (typeof id?.protectedBranch === "string" && id.protectedBranch.includes("*") && creators === undefined) {
      c.add(`${p}.branchCreators`, `is missing ${rule} that protects the pattern ${show(id.protectedBranch)} names who may create such branches; anyone with write access could otherwise create one with unreviewed commits)`);
    }
    if (Array.isArray(m.promotionOrder) && !m.promotionOrder.includes(name)) {
      c.add("promotionOrder", `does not list ${name} (every protected environment is in the promotion order, so its rules are held to those before it)`);
    }
  }

  // Every deploy branch is a branch some environment protects with at least one required review.
  const reviewed = envs
    .filter(([, e]) => typeof e.identity?.protectedBranch === "string" && (e.approval?.requiredApprovingReviews ?? 0) >= 1)
    .map(([, e]) => e.identity.protectedBranch as string);
  for (const [name, e] of envs) {
    if (!Array.isArray(e.identity?.deployBranches)) continue;
    e.identity.deployBranches.forEach((b, i) => {
      if (typeof b !== "string") return;
      const covered = reviewed.some((r) => r === b || (!b.includes("*") && branchMatches(r, b)));
      if (!covered) {
        c.add(`environments.${name}.identity.deployBranches[${i}]`, `${show(b)} is not a reviewed branch (no environment's protectedBranch with at least one required approving review covers it; every stack is applied only from reviewed merges)`);
      }
    });
  }

  // A cluster that hosts a protected environment hosts only protected environments: an unprotected deploy's
  // kubeconfig must never reach a protected environment's pods, secrets or cluster-scoped objects.
  const byCluster = new Map<string, string[]>();
  for (const [name, e] of envs) if (typeof e.cluster === "string") byCluster.set(e.cluster, [...(byCluster.get(e.cluster) ?? []), name]);
  for (const [cluster, names] of byCluster) {
    const prot = names.filter((n) => isProtected(n));
    if (prot.length === 0) continue;
    for (const n of names.filter((x) => !isProtected(x))) {
      c.add(`environments.${n}.cluster`, `${show(cluster)} hosts the protected ${prot.join(", ")} (a cluster that hosts a protected environment hosts only protected environments)`);
    }
  }

  const managedBy = o.vault?.kvMountManagedBy;
  if (typeof managedBy === "string" && Object.hasOwn(m.environments, managedBy) && !isProtected(managedBy)) {
    c.add("organization.vault.kvMountManagedBy", `${show(managedBy)} is not a protected environment (the mount holds every environment's secrets: only a protected environment's stack may own it)`);
  }

  const bound = o.vault?.egressCidrMinPrefix ?? DEFAULT_EGRESS_MIN_PREFIX;
  if (o.vault?.egressCidrMinPrefix !== undefined) c.integer("organization.vault.egressCidrMinPrefix", o.vault.egressCidrMinPrefix, 8, 32);
  if (Array.isArray(o.vault?.egressCidrs)) {
    o.vault.egressCidrs.forEach((cidr, i) => {
      if (!isCidr(cidr)) return;
      const prefix = Number(cidr.split("/")[1]);
      const min = cidr.includes(":") ? bound + 96 : bound;
      if (prefix < min) c.add(`organization.vault.egressCidrs[${i}]`, `${show(cidr)} is wider than /${min} (organization.vault.egressCidrMinPrefix: egress "to Vault" may not open a wide range)`);
    });
  }

  const g = o.gates;
  if (!isProtected(g?.followsEnvironment)) {
    c.add("organization.gates.followsEnvironment", `${show(g?.followsEnvironment)} is not a protected environment (the gates stack decides who may change what: it is applied like the strictest environment)`);
  }
  if (typeof g?.githubEnvironment !== "string" || g.githubEnvironment.trim() === "" || g.githubEnvironment.length > 255 - PLAN_ENVIRONMENT_SUFFIX.length) {
    c.add("organization.gates.githubEnvironment", `${show(g?.githubEnvironment)} is not a GitHub environment name`);
  } else if (githubEnvironmentOwner(m, g.githubEnvironment) !== undefined) {
    c.add("organization.gates.githubEnvironment", `${show(g.githubEnvironment)} starts with the environment ${githubEnvironmentOwner(m, g.githubEnvironment)}'s name (the gates' environment may not read as an environment's)`);
  }
  const gh = o.github;
  if (typeof gh?.defaultBranch !== "string" || gh.defaultBranch.trim() === "" || /[\s*]/.test(gh.defaultBranch)) {
    c.add("organization.github.defaultBranch", `${show(gh?.defaultBranch)} is not a branch name`);
  }
  c.pattern("organization.github.owningTeam", gh?.owningTeam, GITHUB_NAME, "a GitHub team slug");
  if (gh?.actionsAppId !== undefined) c.integer("organization.github.actionsAppId", gh.actionsAppId, 1);
  c.integer("organization.github.reviewApp.appId", gh?.reviewApp?.appId, 1);
  if (gh?.reviewApp?.appId === (gh?.actionsAppId ?? GITHUB_ACTIONS_APP_ID)) {
    c.add("organization.github.reviewApp.appId", `${gh.reviewApp.appId} is GitHub Actions' own id (any workflow on any branch posts checks as GitHub Actions: the review needs an app of its own)`);
  }
  const reviewEnv = gh?.reviewApp?.environment;
  if (typeof reviewEnv !== "string" || reviewEnv.trim() === "" || reviewEnv.length > 255) c.add("organization.github.reviewApp.environment", `${show(reviewEnv)} is not a GitHub environment name`);
  else if (githubEnvironmentOwner(m, reviewEnv) !== undefined || reviewEnv === o.gates?.githubEnvironment) {
    c.add("organization.github.reviewApp.environment", `${show(reviewEnv)} is taken (it reads as an environment's, or is the gates')`);
  }
}

function validateServices(m: Matrix, c: Collector): void {
  if (!Array.isArray(m.services) || m.services.length === 0) {
    c.add("services", "is empty (every environment runs at least one service)");
    return;
  }
  const seen = new Map<string, number>();
  m.services.forEach((s, i) => {
    const path = `services[${i}]`;
    // Service names become Kubernetes names with a prefix or suffix of at most 10 characters.
    if (c.pattern(`${path}.name`, s.name, DNS_LABEL, "a Kubernetes name (DNS-1123 label, at most 50 characters)", 50)) {
      const first = seen.get(s.name);
      if (first !== undefined) c.add(`${path}.name`, `${show(s.name)} is already the name of services[${first}] (service names must be unique)`);
      else seen.set(s.name, i);
      if (s.name === m.organization.secretSync?.serviceAccount) {
        c.add(`${path}.name`, `${show(s.name)} is the secret sync's service account (organization.secretSync.serviceAccount); a workload may not share it`);
      }
    }
    c.pattern(`${path}.team`, s.team, DNS_LABEL, "a team name (lowercase letters, digits and '-')", 63);
    if (s.port !== undefined) c.integer(`${path}.port`, s.port, 1, 65535);
  });
}

function validateEnvironment(m: Matrix, name: string, e: EnvironmentSettings, c: Collector): void {
  const p = `environments.${name}`;
  // The name is the stack id, the `env:` tag and part of every label: a DNS label keeps all of them valid.
  c.pattern(`${p}`, name, DNS_LABEL, `a valid environment name: ${DNS_LABEL_RULE}`, 63);

  const id = e.identity;
  c.pattern(`${p}.identity.namespace`, id?.namespace, DNS_LABEL, DNS_LABEL_RULE, 63);
  if (typeof id?.githubEnvironment !== "string" || id.githubEnvironment.trim() === "" || id.githubEnvironment.length > 255) {
    c.add(`${p}.identity.githubEnvironment`, `${show(id?.githubEnvironment)} is not a GitHub environment name (1 to 255 characters)`);
  }
  c.pattern(`${p}.identity.vaultSubtree`, id?.vaultSubtree, VAULT_SEGMENT, "a Vault path segment (letters, digits, '_' and '-', no '/')");
  if (!Array.isArray(id?.deployBranches) || id.deployBranches.length === 0) {
    c.add(`${p}.identity.deployBranches`, "is empty (name at least one branch, or \"*\" for any)");
  } else {
    id.deployBranches.forEach((b, i) => {
      if (typeof b !== "string" || b.trim() === "" || /\s/.test(b)) {
        c.add(`${p}.identity.deployBranches[${i}]`, `${show(b)} is not a branch name or pattern`);
      }
    });
  }

  const branch = id?.protectedBranch;
  if (branch !== null) {
    if (typeof branch !== "string" || branch.trim() === "" || /\s/.test(branch)) {
      c.add(`${p}.identity.protectedBranch`, `${show(branch)} is not a branch name (or null)`);
    } else if (Array.isArray(id?.deployBranches) && !id.deployBranches.includes(branch)) {
      c.add(`${p}.identity.protectedBranch`, `${show(branch)} is not one of deployBranches (an environment protects a branch it deploys from)`);
    }
  }

  if (typeof e.purpose !== "string" || e.purpose.trim() === "") c.add(`${p}.purpose`, "is empty (say what the environment is for)");
  c.boolean(`${p}.protected`, e.protected);
  if (!(typeof e.cluster === "string" && Object.hasOwn(m.organization.clusters ?? {}, e.cluster))) {
    const known = Object.keys(m.organization.clusters ?? {}).join(", ");
    c.add(`${p}.cluster`, `${show(e.cluster)} is not a cluster in organization.clusters (known: ${known})`);
  }
  validateBackend(`${p}.backend`, e.backend, c);

  c.integer(`${p}.pod.cpuMillicores`, e.pod?.cpuMillicores, 1);
  c.integer(`${p}.pod.memoryMiB`, e.pod?.memoryMiB, 1);

  const r = e.replicas;
  const rOk = [
    c.integer(`${p}.replicas.min`, r?.min, 1),
    c.integer(`${p}.replicas.default`, r?.default, 1),
    c.integer(`${p}.replicas.max`, r?.max, 1),
  ].every(Boolean);
  if (rOk) {
    if (r.min > r.max) c.add(`${p}.replicas`, `min ${r.min} is more than max ${r.max}`);
    else if (r.default < r.min || r.default > r.max) {
      c.add(`${p}.replicas.default`, `${r.default} is outside min..max (${r.min}..${r.max})`);
    }
  }
  c.integer(`${p}.rolloutSurgePods`, e.rolloutSurgePods, 0);

  c.boolean(`${p}.traffic.tls`, e.traffic?.tls);
  c.boolean(`${p}.traffic.rateLimit`, e.traffic?.rateLimit);
  c.oneOf(`${p}.runtime.logLevel`, e.runtime?.logLevel, LOG_LEVELS);
  c.integer(`${p}.runtime.apiTimeoutSeconds`, e.runtime?.apiTimeoutSeconds, 1, 3600);
  c.integer(`${p}.runtime.dbPoolSize`, e.runtime?.dbPoolSize, 1, 10000);

  c.percent(`${p}.alerts.errorRatePercent`, e.alerts?.errorRatePercent);
  c.integer(`${p}.alerts.latencyMs`, e.alerts?.latencyMs, 1);
  c.percent(`${p}.alerts.cpuPercent`, e.alerts?.cpuPercent);
  c.oneOf(`${p}.alerts.routing`, e.alerts?.routing, ROUTINGS);
  // Datadog rejects a warning at or above critical, and a recovery at or above its threshold (for ">").
  for (const key of ["warningAtPercentOfCritical", "recoverAtPercentOfThreshold"] as const) {
    c.percent(`${p}.alerts.${key}`, e.alerts?.[key], true);
  }
  const windowOk = c.integer(`${p}.alerts.evaluationWindowMinutes`, e.alerts?.evaluationWindowMinutes, 1, 1440);
  c.boolean(`${p}.alerts.notifyNoData`, e.alerts?.notifyNoData);
  if (c.integer(`${p}.alerts.noDataTimeframeMinutes`, e.alerts?.noDataTimeframeMinutes, 1, 2880) && windowOk) {
    if (e.alerts.noDataTimeframeMinutes < 2 * e.alerts.evaluationWindowMinutes) {
      c.add(`${p}.alerts.noDataTimeframeMinutes`, `${e.alerts.noDataTimeframeMinutes} is less than twice the evaluation window of ${e.alerts.evaluationWindowMinutes} minutes (Datadog's minimum)`);
    }
  }
  c.integer(`${p}.alerts.renotifyMinutes`, e.alerts?.renotifyMinutes, 0, 10080);
  c.integer(`${p}.alerts.priority`, e.alerts?.priority, 1, 5);
  if (e.canaryGate !== null) {
    c.percent(`${p}.canaryGate.maxErrorRateIncreasePercent`, e.canaryGate?.maxErrorRateIncreasePercent);
    c.percent(`${p}.canaryGate.maxLatencyIncreasePercent`, e.canaryGate?.maxLatencyIncreasePercent);
  }

  if (e.slo !== null) {
    // 100% availability leaves no error budget: an SLO must be below it.
    c.percent(`${p}.slo.availabilityPercent`, e.slo?.availabilityPercent, true);
    c.integer(`${p}.slo.latencyP99Ms`, e.slo?.latencyP99Ms, 1);
  }

  const a = e.approval;
  const teams = Array.isArray(a?.reviewers?.teams) ? a.reviewers.teams : [];
  const users = Array.isArray(a?.reviewers?.users) ? a.reviewers.users : [];
  const reviewerCount = teams.length + users.length;
  if (reviewerCount > GITHUB_MAX_REVIEWERS) {
    c.add(`${p}.approval.reviewers`, `${reviewerCount} reviewers is more than GitHub's limit of ${GITHUB_MAX_REVIEWERS}`);
  }
  [...teams.map((t, i) => [`teams[${i}]`, t] as const), ...users.map((u, i) => [`users[${i}]`, u] as const)].forEach(
    ([where, v]) => {
      if (typeof v !== "string" || !GITHUB_NAME.test(v)) c.add(`${p}.approval.reviewers.${where}`, `${show(v)} is not a GitHub team slug or login`);
    },
  );
  c.boolean(`${p}.approval.preventSelfReview`, a?.preventSelfReview);
  c.boolean(`${p}.approval.adminsCanBypass`, a?.adminsCanBypass);
  c.integer(`${p}.approval.waitTimerMinutes`, a?.waitTimerMinutes, 0, GITHUB_MAX_WAIT_TIMER_MINUTES);
  c.integer(`${p}.approval.requiredApprovingReviews`, a?.requiredApprovingReviews, 0, GITHUB_MAX_APPROVING_REVIEWS);
  c.boolean(`${p}.approval.dismissStaleReviews`, a?.dismissStaleReviews);
  c.boolean(`${p}.approval.allowForcePushes`, a?.allowForcePushes);
  if (!Array.isArray(a?.requiredStatusChecks)) c.add(`${p}.approval.requiredStatusChecks`, `${show(a?.requiredStatusChecks)} is not a list of check names`);
  else {
    a.requiredStatusChecks.forEach((check, i) => {
      if (typeof check !== "string" || check.trim() === "") c.add(`${p}.approval.requiredStatusChecks[${i}]`, `${show(check)} is not a check name`);
    });
  }
  validateWindow(`${p}.deploymentWindow`, e.deploymentWindow, c);

  for (const key of ["allowSameEnvironment", "allowDns", "allowIngressController", "allowVaultEgress"] as const) {
    c.boolean(`${p}.network.${key}`, e.network?.[key]);
  }
  c.boolean(`${p}.sidecarInjection`, e.sidecarInjection);
  if (e.sidecarInjection === true && m.organization.serviceMesh?.mode === "sidecar-init") {
    c.add(`${p}.sidecarInjection`, `true with organization.serviceMesh.mode "sidecar-init" would keep every pod from starting: istio-init needs NET_ADMIN and NET_RAW, which Pod Security ${e.protected ? "restricted" : "baseline"} forbids (use "sidecar-cni" or "ambient")`);
  }

  const sec = e.secrets;
  c.boolean(`${p}.secrets.operatorInstalled`, sec?.operatorInstalled);
  c.pattern(`${p}.secrets.refreshInterval`, sec?.refreshInterval, GO_DURATION, "a duration like 15m or 1h");
  c.oneOf(`${p}.secrets.creationPolicy`, sec?.creationPolicy, ["Owner", "Orphan", "Merge"] as const);
  c.oneOf(`${p}.secrets.deletionPolicy`, sec?.deletionPolicy, ["Delete", "Retain", "Merge"] as const);
  // A short-lived token: the secret sync logs in again when it needs one.
  c.integer(`${p}.secrets.vaultTokenTtlSeconds`, sec?.vaultTokenTtlSeconds, 60, 86400);

  if (e.protected === true) {
    // What "protected" promises a reviewer: nobody ships alone, and somebody is woken up.
    const rule = "(a protected environment";
    if (reviewerCount === 0) c.add(`${p}.approval.reviewers`, `is empty ${rule} needs required reviewers)`);
    if (a?.preventSelfReview === false) c.add(`${p}.approval.preventSelfReview`, `false is not allowed ${rule} forbids self-review)`);
    if (a?.adminsCanBypass === true) c.add(`${p}.approval.adminsCanBypass`, `true is not allowed ${rule} cannot be bypassed by admins)`);
    if (Array.isArray(id?.deployBranches) && id.deployBranches.includes("*")) {
      c.add(`${p}.identity.deployBranches`, `"*" is not allowed ${rule} deploys only from named branches)`);
    }
    if (typeof id?.protectedBranch === "string") {
      const on = `on ${id.protectedBranch} ${rule}'s branch`;
      if (a?.requiredApprovingReviews === 0) c.add(`${p}.approval.requiredApprovingReviews`, `0 is not allowed ${on} takes pull requests with approving reviews)`);
      if (a?.dismissStaleReviews === false) c.add(`${p}.approval.dismissStaleReviews`, `false is not allowed ${on} dismisses stale reviews)`);
      if (Array.isArray(a?.requiredStatusChecks) && a.requiredStatusChecks.length === 0) {
        c.add(`${p}.approval.requiredStatusChecks`, `is empty ${on} requires the CI checks)`);
      }
    }
    if (a?.allowForcePushes === true) c.add(`${p}.approval.allowForcePushes`, `true is not allowed ${rule}'s branches take no force pushes)`);
    if (sec?.creationPolicy !== undefined && sec.creationPolicy !== "Orphan") {
      c.add(`${p}.secrets.creationPolicy`, `${show(sec.creationPolicy)} is not allowed ${rule} keeps its synced Secrets when an ExternalSecret is deleted: "Orphan")`);
    }
    if (sec?.deletionPolicy !== undefined && sec.deletionPolicy !== "Retain") {
      c.add(`${p}.secrets.deletionPolicy`, `${show(sec.deletionPolicy)} is not allowed ${rule} keeps its synced Secrets when a value leaves Vault: "Retain")`);
    }
    if (e.alerts?.routing !== undefined && e.alerts.routing !== "page") {
      c.add(`${p}.alerts.routing`, `${show(e.alerts.routing)} is not allowed ${rule} pages on-call)`);
    }
  }
}

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const;

function validateWindow(p: string, w: EnvironmentSettings["deploymentWindow"], c: Collector): void {
  if (w === null) return;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: String(w?.timeZone) });
  } catch {
    c.add(`${p}.timeZone`, `${show(w?.timeZone)} is not an IANA time zone (like Europe/Berlin)`);
  }
  if (!Array.isArray(w?.days) || w.days.length === 0) c.add(`${p}.days`, "is empty (name the weekdays deploys may happen on)");
  else {
    w.days.forEach((d, i) => {
      if (!WEEKDAYS.includes(d)) c.add(`${p}.days[${i}]`, `${show(d)} is not one of ${WEEKDAYS.join(", ")}`);
      else if (w.days.indexOf(d) !== i) c.add(`${p}.days[${i}]`, `${show(d)} appears twice`);
    });
  }
  const ok = [c.integer(`${p}.startHour`, w?.startHour, 0, 23), c.integer(`${p}.endHour`, w?.endHour, 1, 24)].every(Boolean);
  if (ok && w.startHour >= w.endHour) c.add(`${p}`, `startHour ${w.startHour} is not before endHour ${w.endHour} (the window would never open)`);
}

function validateBackend(p: string, b: EnvironmentSettings["backend"], c: Collector): void {
  if (!c.oneOf(`${p}.type`, b?.type, ["local", "s3", "hcp"] as const)) return;
  if (b.type === "s3") {
    c.pattern(`${p}.bucket`, b.bucket, S3_BUCKET, "an S3 bucket name (3 to 63 lowercase letters, digits, '.' and '-')");
    c.pattern(`${p}.region`, b.region, /^[a-z]{2}(-[a-z]+)+-\d$/, "an AWS region (like eu-west-1)");
    for (const key of ["deployRoleArn", "planRoleArn"] as const) {
      if (b[key] !== undefined) c.pattern(`${p}.${key}`, b[key], /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\/-]+$/, "an IAM role ARN (arn:aws:iam::<account>:role/<name>)");
    }
    c.pattern(`${p}.keyPrefix`, b.keyPrefix, /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/, "an S3 key prefix without leading or trailing '/'");
  } else if (b.type === "hcp") {
    c.pattern(`${p}.organization`, b.organization, /^[A-Za-z0-9_-]+$/, "an HCP Terraform organization name");
    c.pattern(`${p}.workspacePrefix`, b.workspacePrefix, /^[A-Za-z0-9_-]*$/, "an HCP Terraform workspace prefix (letters, digits, '_' and '-')");
  }
}

/** Values that must never be shared by two environments, with what a clash would break. */
const UNIQUE_IDENTITY = [
  ["namespace", "two environments would manage the same namespace"],
  ["protectedBranch", "two stacks would fight over one branch protection"],
  ["githubEnvironment", "two environments would share one set of protection rules"],
  ["vaultSubtree", "two environments would read each other's secrets"],
] as const;

function validateUniqueness(m: Matrix, c: Collector): void {
  for (const [field, why] of UNIQUE_IDENTITY) {
    const owner = new Map<string, string>();
    for (const [name, e] of Object.entries(m.environments)) {
      const value = e.identity?.[field];
      if (typeof value !== "string") continue; // null protectedBranch: nothing to share
      const first = owner.get(value);
      if (first !== undefined) {
        c.add(`environments.${name}.identity.${field}`, `${show(value)} is also ${first}'s (must be unique: ${why})`);
      } else owner.set(value, name);
    }
  }
}

/**
 * Promotion order: along dev → staging → prod an environment may only be as strict as the one before it,
 * or stricter. Each message names both environments.
 */
function validatePromotion(m: Matrix, c: Collector): void {
  const order = m.promotionOrder;
  if (!Array.isArray(order) || order.length === 0) {
    c.add("promotionOrder", "is empty (list the environments from least to most strict)");
    return;
  }
  const seen = new Set<string>();
  order.forEach((name, i) => {
    if (!Object.hasOwn(m.environments, name)) c.add(`promotionOrder[${i}]`, `${show(name)} is not an environment in environments`);
    if (seen.has(name)) c.add(`promotionOrder[${i}]`, `${show(name)} appears twice`);
    seen.add(name);
  });
  const chain = order.filter((n) => Object.hasOwn(m.environments, n)).join(" → ");
  const known = order.filter((n) => Object.hasOwn(m.environments, n));
  for (let i = 1; i < known.length; i++) {
    const [before, after] = [known[i - 1], known[i]];
    const a = m.environments[before];
    const b = m.environments[after];
    const p = `environments.${after}`;
    const stricter = `thresholds may only get stricter along ${chain}`;
    const grow = `may only grow along ${chain}`;
    const num = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

    for (const key of ["errorRatePercent", "latencyMs", "cpuPercent"] as const) {
      const [x, y] = [a.alerts?.[key], b.alerts?.[key]];
      if (num(x) && num(y) && y > x) c.add(`${p}.alerts.${key}`, `${y} is looser than ${before}'s ${x} (${stricter})`);
    }
    for (const key of ["min", "default", "max"] as const) {
      const [x, y] = [a.replicas?.[key], b.replicas?.[key]];
      if (num(x) && num(y) && y < x) c.add(`${p}.replicas.${key}`, `${y} is fewer than ${before}'s ${x} (replicas ${grow})`);
    }
    const [ra, rb] = [a.approval?.requiredApprovingReviews, b.approval?.requiredApprovingReviews];
    if (num(ra) && num(rb) && rb < ra) {
      c.add(`${p}.approval.requiredApprovingReviews`, `${rb} is fewer than ${before}'s ${ra} (approvals ${grow})`);
    }
    const reviewers = (e: EnvironmentSettings) => (e.approval?.reviewers?.teams?.length ?? 0) + (e.approval?.reviewers?.users?.length ?? 0);
    if (reviewers(a) > 0 && reviewers(b) === 0) {
      c.add(`${p}.approval.reviewers`, `is empty while ${before} requires reviewers (approvals ${grow})`);
    }
    if (a.approval?.preventSelfReview === true && b.approval?.preventSelfReview === false) {
      c.add(`${p}.approval.preventSelfReview`, `false while ${before}'s is true (approval rules may only get stricter along ${chain})`);
    }
    if (a.approval?.adminsCanBypass === false && b.approval?.adminsCanBypass === true) {
      c.add(`${p}.approval.adminsCanBypass`, `true while ${before}'s is false (approval rules may only get stricter along ${chain})`);
    }
    const [la, lb] = [ROUTINGS.indexOf(a.alerts?.routing), ROUTINGS.indexOf(b.alerts?.routing)];
    if (la >= 0 && lb >= 0 && lb < la) {
      c.add(`${p}.alerts.routing`, `${show(b.alerts.routing)} is quieter than ${before}'s ${show(a.alerts.routing)} (alerting may only get louder along ${chain})`);
    }
    const [pa, pb] = [a.alerts?.priority, b.alerts?.priority];
    if (num(pa) && num(pb) && pb > pa) {
      c.add(`${p}.alerts.priority`, `${pb} is less urgent than ${before}'s ${pa} (priority may only rise along ${chain}; 1 is highest)`);
    }
    const [wa, wb] = [a.alerts?.evaluationWindowMinutes, b.alerts?.evaluationWindowMinutes];
    if (num(wa) && num(wb) && wb > wa) {
      c.add(`${p}.alerts.evaluationWindowMinutes`, `${wb} is slower than ${before}'s ${wa} (monitors may only react faster along ${chain})`);
    }
    if (a.alerts?.notifyNoData === true && b.alerts?.notifyNoData === false) {
      c.add(`${p}.alerts.notifyNoData`, `false while ${before}'s is true (alerting may only get louder along ${chain})`);
    }
    if (a.canaryGate && !b.canaryGate) c.add(`${p}.canaryGate`, `is null while ${before} has a canary gate (gates may only be added along ${chain})`);
    if (a.protected === true && b.protected === false) {
      c.add(`${p}.protected`, `false while ${before} is protected (protection may only be added along ${chain})`);
    }
    if (a.slo && !b.slo) c.add(`${p}.slo`, `is null while ${before} has SLOs (SLOs may only get stricter along ${chain})`);
    if (a.slo && b.slo) {
      if (num(a.slo.availabilityPercent) && num(b.slo.availabilityPercent) && b.slo.availabilityPercent < a.slo.availabilityPercent) {
        c.add(`${p}.slo.availabilityPercent`, `${b.slo.availabilityPercent} is looser than ${before}'s ${a.slo.availabilityPercent} (SLOs may only get stricter along ${chain})`);
      }
      if (num(a.slo.latencyP99Ms) && num(b.slo.latencyP99Ms) && b.slo.latencyP99Ms > a.slo.latencyP99Ms) {
        c.add(`${p}.slo.latencyP99Ms`, `${b.slo.latencyP99Ms} is looser than ${before}'s ${a.slo.latencyP99Ms} (SLOs may only get stricter along ${chain})`);
      }
    }
  }
}

export function isClone(e: EnvironmentDefinition): e is EnvironmentClone {
  return typeof e === "object" && e !== null && "cloneOf" in e;
}

/** Clones replaced by their source's settings with their own identity; a broken clone is left out. */
export function resolveMatrix(def: MatrixDefinition): Matrix {
  const environments: Record<string, EnvironmentSettings> = {};
  for (const [name, e] of Object.entries(def.environments ?? {})) {
    if (!isClone(e)) {
      environments[name] = e;
      continue;
    }
    const source = def.environments[e.cloneOf];
    if (source !== undefined && !isClone(source)) {
      const window = e.deploymentWindow === undefined ? source.deploymentWindow : e.deploymentWindow;
      environments[name] = { ...source, identity: e.identity, purpose: e.purpose, deploymentWindow: window };
    }
  }
  return { ...def, environments };
}

function validateClones(def: MatrixDefinition, c: Collector): void {
  for (const [name, e] of Object.entries(def.environments ?? {})) {
    if (!isClone(e)) continue;
    const source = def.environments[e.cloneOf];
    if (source === undefined) c.add(`environments.${name}.cloneOf`, `${show(e.cloneOf)} is not an environment in environments`);
    else if (isClone(source)) c.add(`environments.${name}.cloneOf`, `${show(e.cloneOf)} is itself a clone (clone the original, ${show(source.cloneOf)})`);
  }
}

/** A clone's own fields; every other value is its source's and is reported there, once. */
const CLONE_OWN_FIELDS = /^environments\.[^.]+(\.identity(\.|\[|$)|\.purpose$|$)/;
const WINDOW_FIELD = /^environments\.[^.]+\.deploymentWindow(\.|$)/;

/** Every problem of the matrix, in a stable order; empty when the matrix is valid. */
export function validateMatrix(def: MatrixDefinition): Problem[] {
  const c = new Collector();
  validateClones(def, c);
  const m = resolveMatrix(def);
  validateOrganization(m, c);
  validateServices(m, c);
  const envs = Object.entries(m.environments);
  if (Object.keys(def.environments ?? {}).length === 0) c.add("environments", "is empty (define at least one environment)");
  for (const [name, e] of envs) {
    if (!isClone(def.environments[name])) {
      validateEnvironment(m, name, e, c);
      continue;
    }
    const own = new Collector();
    validateEnvironment(m, name, e, own);
    const ownWindow = (def.environments[name] as EnvironmentClone).deploymentWindow !== undefined;
    c.problems.push(...own.problems.filter((p) => CLONE_OWN_FIELDS.test(p.path) || (ownWindow && WINDOW_FIELD.test(p.path))));
  }
  validateUniqueness(m, c);
  validatePromotion(m, c);
  validateTrust(m, c);
  return c.problems;
}

/** The matrix is invalid; `message` lists every problem, one per line, under the file's name. */
export class MatrixError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly Problem[],
  ) {
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    super([`${file}: ${count}`, ...problems.map((p) => `  ${p.path}: ${p.message}`)].join("\n"));
    this.name = "MatrixError";
  }
}

/** The resolved matrix, once it is known to be valid; throws a `MatrixError` listing every problem otherwise. */
export function checkMatrix(def: MatrixDefinition, file: string): Matrix {
  const problems = validateMatrix(def);
  if (problems.length > 0) throw new MatrixError(file, problems);
  return resolveMatrix(def);
}
