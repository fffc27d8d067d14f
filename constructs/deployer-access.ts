/**
 * What an environment's deploy (and read-only plan) may do in Vault, written by the gates stack, never by the
 * environment's own deploy. Vault does not limit what a policy it writes may contain, so a deployer that may
 * write its environment's policy could grant itself another environment's secrets. Vault's
 * `allowed_parameters` pins the values a write may carry (developer.hashicorp.com/vault/docs/concepts/policies,
 * "Parameter constraints"): the deployer may write its read policy with exactly the text the matrix gives, and
 * its role only with its own policy, namespace and service account. Deploy jobs log in with GitHub's OIDC
 * token through a JWT role bound to the repository, the job's GitHub environment and the branches that
 * environment admits.
 */
import { Construct } from "constructs";
import { Policy } from "@cdktf/provider-vault/lib/policy";
import { JwtAuthBackendRole } from "@cdktf/provider-vault/lib/jwt-auth-backend-role";
import { keptWhenProtected } from "./protection";

/** Audience deploy jobs request for their GitHub OIDC token (`jwtGithubAudience` of hashicorp/vault-action). */
export const VAULT_OIDC_AUDIENCE = "vault";

export interface EnvironmentVaultObjects {
  /** Name of the environment's read policy (`<project>-<env>-secrets-read`). */
  readonly readPolicyName: string;
  /** Its exact text: the only value the deployer may write. */
  readonly readPolicyText: string;
  /** The cluster's Kubernetes auth mount the environment's role is on, e.g. `kubernetes-prod`. */
  readonly authMountPath: string;
  readonly roleName: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  /** The KV v2 mount holding every environment's subtree. */
  readonly kvMount: string;
  /** The audience the role requires of login tokens. */
  readonly audience: string;
  /** The KV v2 mount, when this environment's stack owns it. */
  readonly managedKvMount?: string;
  /** Each service's secret's KV v2 metadata path (`<mount>/metadata/<subtree>/<service>`): what preflight reads. */
  readonly secretMetadataPaths: readonly string[];
}

/** A string, or a list of strings, in HCL: JSON's string and array syntax are HCL's. */
const hcl = (v: string | readonly string[]) => JSON.stringify(v);
/** An allowed value: a string, or a list of strings (a list parameter's whole value). */
type Allowed = string | readonly string[];
/**
 * A list parameter's allowed values, in both forms Vault may compare: each element (Vault >= 1.21 with
 * per-element matching) and the whole list (earlier Vault compares the list the provider sends as one value).
 */
const listOf = (v: string): Allowed[] => [v, [v]];
const stanza = (
  path: string,
  capabilities: readonly string[],
  allowed?: Record<string, readonly Allowed[]>,
): string[] => [
  `path "${path}" {`,
  `  capabilities = [${capabilities.map(hcl).join(", ")}]`,
  ...(allowed
    ? [
        "  allowed_parameters = {",
        ...Object.entries(allowed).map(([k, v]) => `    ${hcl(k)} = [${v.map(hcl).join(", ")}]`),
        "  }",
      ]
    : []),
  "}",
];

/** Reads every object the environment's stack manages in Vault: what `terraform plan` needs, nothing more. */
export function plannerPolicy(o: EnvironmentVaultObjects): string {
  return [
    `# read-only plan of the ${o.namespace} stack's Vault objects, written by envmatrix's gates stack`,
    ...stanza(`sys/policies/acl/${o.readPolicyName}`, ["read"]),
    ...stanza(`auth/${o.authMountPath}/role/${o.roleName}`, ["read"]),
    // Stryker disable next-line StringLiteral: a comment of the policy text, for its readers; Vault ignores it (EQUIVALENT.md)
    "# what npm run preflight checks: the KV mount's version and the cluster mount's reviewer (never its JWT)",
    ...stanza(`sys/mounts/${o.kvMount}`, ["read"]),
    ...stanza(`auth/${o.authMountPath}/config`, ["read"]),
    // Stryker disable next-line StringLiteral: a comment of the policy text, for its readers; Vault ignores it (EQUIVALENT.md)
    "# and that each service's secret is written: its metadata (versions and times), never a value (that is data/)",
    ...o.secretMetadataPaths.flatMap((p) => stanza(p, ["read"])),
    "",
  ].join("\n");
}

/** Manages exactly the environment's Vault objects, each write pinned to the matrix's values. */
export function deployerPolicy(o: EnvironmentVaultObjects): string {
  return [
    `# deploy of the ${o.namespace} stack's Vault objects, written by envmatrix's gates stack`,
    // Stryker disable next-line StringLiteral: a comment of the policy text, for its readers; Vault ignores it (EQUIVALENT.md)
    "# its read policy, with exactly the text the matrix gives: no edit can widen what it reads",
    ...stanza(`sys/policies/acl/${o.readPolicyName}`, ["create", "update", "read", "delete"], { policy: [o.readPolicyText] }),
    // Stryker disable next-line StringLiteral: a comment of the policy text, for its readers; Vault ignores it (EQUIVALENT.md)
    "# its role on the cluster's auth mount (the mount and its config are the cluster bootstrap's, not its):",
    // Stryker disable next-line StringLiteral: a comment of the policy text, for its readers; Vault ignores it (EQUIVALENT.md)
    "# only its read policy, only its namespace's secret sync",
    ...stanza(
      `auth/${o.authMountPath}/role/${o.roleName}`,
      ["create", "update", "read", "delete"],
      {
        token_policies: listOf(o.readPolicyName),
        policies: listOf(o.readPolicyName),
        bound_service_account_names: listOf(o.serviceAccount),
        bound_service_account_namespaces: listOf(o.namespace),
        audience: [o.audience],
        // a namespace selector would open the role to namespaces by label, whoever labels them (Vault >= 1.16).
        // Only "" (none): the vault provider sends the key on every write, "" when unset (5.6.0
        // resource_kubernetes_auth_backend_role.go), and a key denied with an empty list is denied whatever its
        // value (vault/acl.go valueInDeniedParameterList), which refused every create and update of the role
        bound_service_account_namespace_selector: [""],
        "*": [],
      },
    ),
    ...(o.managedKvMount
      ? [
          // Stryker disable next-line StringLiteral: a comment of the policy text, for its readers; Vault ignores it (EQUIVALENT.md)
          "# the shared KV v2 mount, owned by this (protected) environment; changing its settings goes through tune",
          ...stanza(`sys/mounts/${o.managedKvMount}`, ["create", "update", "read"], { type: ["kv"], "*": [] }),
          ...stanza(`sys/mounts/${o.managedKvMount}/tune`, ["read", "update"]),
        ]
      : []),
    "",
  ].join("\n");
}

export interface DeployerAccessProps {
  readonly objects: EnvironmentVaultObjects;
  /** Policy names: `<project>-<env>-deployer` and `<project>-<env>-planner`. */
  readonly deployPolicyName: string;
  readonly planPolicyName: string;
  /** The JWT auth mount that trusts GitHub's OIDC issuer (created once, outside envmatrix). */
  readonly jwtMount: string;
  /** `owner/repository`: the `repository` claim a job's token must carry. */
  readonly repository: string;
  /** GitHub environments whose jobs may log in as deployer and as planner (the `environment` claim). */
  readonly deployGitHubEnvironment: string;
  readonly planGitHubEnvironment: string;
  /** The branch patterns each of those environments admits (its deployment branch policies; `*` any branch). */
  readonly deployBranches: readonly string[];
  readonly planBranches: readonly string[];
  /** Audience the workflow requests (`jwtGithubAudience` of hashicorp/vault-action). */
  readonly audience: string;
}

/**
 * The `ref` claim values of jobs on `branches` (GitHub deployment branch patterns): `refs/heads/<pattern>`, as
 * one comma-separated string (the vault provider splits a bound claim's value at commas: 5.6.0
 * resource_jwt_auth_backend_role.go; the schema refuses commas in branch names), and whether they need Vault's
 * glob matching (`*`; vault-plugin-auth-jwt claims.go matches a glob with ryanuber/go-glob, whose `*` also crosses
 * `/`: wider than GitHub's pattern, which the `environment` claim's branch policy still narrows).
 */
export function refClaims(branches: readonly string[]): { ref: string; glob: boolean } {
  return { ref: branches.map((b) => `refs/heads/${b}`).join(","), glob: branches.some((b) => b.includes("*")) };
}

export class DeployerAccess extends Construct {
  constructor(scope: Construct, id: string, props: DeployerAccessProps) {
    super(scope, id);
    const roles = [
      ["deploy", props.deployPolicyName, deployerPolicy(props.objects), props.deployGitHubEnvironment, props.deployBranches],
      ["plan", props.planPolicyName, plannerPolicy(props.objects), props.planGitHubEnvironment, props.planBranches],
    ] as const;
    for (const [kind, policyName, text, environment, branches] of roles) {
      const refs = refClaims(branches);
      const policy = keptWhenProtected(new Policy(this, `${kind}Policy`, { name: policyName, policy: text }));
      keptWhenProtected(new JwtAuthBackendRole(this, `${kind}Role`, {
        backend: props.jwtMount,
        roleName: policyName,
        roleType: "jwt",
        userClaim: "sub",
        boundAudiences: [props.audience],
        // a job gets this role only from this repository, in this GitHub environment (whose branch policy and
        // reviewers it has passed), run for one of the branches that environment admits: the claims `repository`,
        // `environment` and `ref` of token.actions.githubusercontent.com. The `environment` claim alone is not
        // enough: "Running a workflow that references an environment that does not exist will create an
        // environment with the referenced name", without protection rules, and "anyone that can edit workflows in
        // the repository can create environments via a workflow file" (GitHub Docs, "Managing environments for
        // deployment"): until the gates stack has made an environment (its first apply, a new environment, a
        // renamed one), a writer's branch could name it and log in. `ref` is the branch the run is for, which a
        // writer's own branch is not (the admitted ones take reviewed merges only).
        boundClaims: { repository: props.repository, environment, ref: refs.ref },
        boundClaimsType: refs.glob ? "glob" : "string",
        tokenPolicies: [policy.name],
        tokenTtl: 900,
        tokenMaxTtl: 3600,
      }));
    }
  }
}
