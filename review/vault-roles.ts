/**
 * What no plan of a stack's Vault roles shows, read from Vault itself with the planner's token.
 *
 * The vault provider (hashicorp/vault 5.6.0) reads back only what Vault returns, and Vault's auth plugins leave
 * out what is empty, so a role emptied by hand keeps its old value in state and the plan is empty.
 * - A Kubernetes auth role's `audience`: vault-plugin-auth-kubernetes returns it only when it is not empty
 *   (path_role.go, pathRoleRead: `if role.Audience != ""`), and the provider sets it only when the key is there
 *   (resource_kubernetes_auth_backend_role.go, its read). Nor does any apply write it back: the provider sends it
 *   on update only `if d.HasChange`. Emptied, the role takes the secret-sync service account's token minted for
 *   any audience (a deployer token can empty it: README "What remains").
 * - A JWT role's `bound_claims`: a role deleted and written again without them has none, and vault-plugin-auth-jwt
 *   returns them as null (path_role.go), which the provider's read skips (resource_jwt_auth_backend_role.go: `if
 *   resp.Data["bound_claims"] != nil`). The role is then bound by its audience alone, which any GitHub Actions
 *   workflow of any repository can ask for, until an apply changes the role for another reason (the provider's
 *   update sends the claims every time).
 * A role Vault does not have (404) is not read here: a plan shows it, as one to create.
 */
import { locatedInstances } from "../stacks/adopt-targets";
import type { VaultAnswer } from "./vault-http";

type Json = Record<string, any>;

export interface ExpectedRole {
  /** The role's Terraform address in its stack. */
  readonly address: string;
  /** Its path under Vault's API: `auth/<backend>/role/<name>`. */
  readonly path: string;
  /** The audience a Kubernetes auth role requires, when the stack sets one. */
  readonly audience?: string;
  /** The claims a JWT role binds, each value a list (the provider sends a comma-joined string as one). */
  readonly boundClaims?: Readonly<Record<string, readonly string[]>>;
}

export interface RoleCheck {
  readonly address: string;
  readonly path: string;
  /** What Vault's role lacks or has otherwise than the stack, each a phrase; none when they agree. */
  readonly problems: readonly string[];
  /** Vault has no such role (not deployed yet, or deleted): a plan shows that one. */
  readonly absent?: boolean;
  /** Why the role could not be read, when it could not. */
  readonly error?: string;
}

/** A value the stack writes out (stacks/adopt-targets.ts resolves references it can; the rest only a plan knows). */
const written = (v: unknown, what: string): string => {
  if (typeof v !== "string" || v === "") throw new Error(`${what} is known only at plan`);
  return v;
};

/**
 * A stack's claim value as the provider sends it: split at commas, each part trimmed, unless
 * `disable_bound_claims_parsing` (5.6.0 jwtAuthBackendRoleDataToWrite); always a list.
 */
const sentValues = (v: string, parse: boolean): string[] => (parse ? v.split(",").map((x) => x.trim()) : [v.trim()]).sort();
/** A claim's values as Vault returns them: the list it was sent, or a string it keeps as one value. */
const storedValues = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : [String(v)]).sort();

/** The roles of a synthesized stack whose emptied fields no plan shows: Kubernetes roles with an audience, JWT roles with bound claims. */
export function expectedVaultRoles(stack: Json): ExpectedRole[] {
  const out: ExpectedRole[] = [];
  for (const t of locatedInstances(stack, "vault_kubernetes_auth_backend_role")) {
    if (t.locate.system !== "vault" || t.desired.audience === undefined) continue;
    out.push({ address: t.address, path: t.locate.path, audience: written(t.desired.audience, `${t.address}: audience`) });
  }
  for (const t of locatedInstances(stack, "vault_jwt_auth_backend_role")) {
    const claims = t.desired.bound_claims as Record<string, unknown> | undefined;
    if (t.locate.system !== "vault" || claims === undefined) continue;
    if (typeof claims !== "object" || claims === null) throw new Error(`${t.address}: bound_claims are known only at plan`);
    const parse = t.desired.disable_bound_claims_parsing !== true;
    const boundClaims = Object.fromEntries(Object.entries(claims).map(([k, v]) => [k, sentValues(written(v, `${t.address}: bound claim ${k}`), parse)]));
    out.push({ address: t.address, path: t.locate.path, boundClaims });
  }
  return out.sort((a, b) => (a.address < b.address ? -1 : 1));
}

/** How a role as Vault returns it (`data` of GET auth/…/role/…) differs from the stack's, in what no plan shows. */
export function roleDifferences(want: ExpectedRole, data: Json): string[] {
  const out: string[] = [];
  if (want.audience !== undefined && data.audience !== want.audience) {
    out.push(
      typeof data.audience === "string" && data.audience !== ""
        ? `audience ${JSON.stringify(data.audience)}, not ${JSON.stringify(want.audience)}`
        : `no audience (the stack's is ${JSON.stringify(want.audience)}): the role takes its service account's token minted for any audience`,
    );
  }
  if (want.boundClaims !== undefined) {
    const have: Json | null = data.bound_claims ?? null;
    if (have === null || Object.keys(have).length === 0) {
      out.push("no bound claims: any GitHub Actions workflow, of any repository, that asks for the role's audience gets its policy");
    } else {
      for (const [claim, values] of Object.entries(want.boundClaims)) {
        const got = have[claim] === undefined ? undefined : storedValues(have[claim]);
        if (got === undefined) out.push(`claim ${claim} not bound (the stack binds ${values.join(", ")})`);
        else if (got.join("\n") !== values.join("\n")) out.push(`claim ${claim} bound to ${got.join(", ")}, not ${values.join(", ")}`);
      }
      for (const claim of Object.keys(have).filter((c) => !(c in want.boundClaims!)).sort()) out.push(`claim ${claim} bound, which the stack does not bind`);
    }
  }
  return out;
}

export async function vaultRoles(get: (path: string) => Promise<VaultAnswer>, roles: readonly ExpectedRole[]): Promise<RoleCheck[]> {
  const out: RoleCheck[] = [];
  for (const role of roles) {
    const base = { address: role.address, path: role.path, problems: [] };
    const answer = await get(role.path);
    if (answer.status === 404) {
      out.push({ ...base, absent: true });
      continue;
    }
    if (answer.status !== 200) {
      const why = answer.status === 0 ? answer.text : answer.status === 403 ? "HTTP 403: the token may not read it, or has expired" : `HTTP ${answer.status}`;
      out.push({ ...base, error: why });
      continue;
    }
    let data: Json;
    try {
      data = JSON.parse(answer.text).data;
      if (data === null || typeof data !== "object") throw new Error("no data");
    } catch {
      out.push({ ...base, error: "Vault's answer is not a role (JSON with data)" });
      continue;
    }
    out.push({ ...base, problems: roleDifferences(role, data) });
  }
  return out;
}
