/**
 * `npm run vault-roles -- <cdk.tf.json>` (the weekday drift job, with each stack's planner token) against a fake
 * Vault on 127.0.0.1 that answers as Vault's auth plugins do: a role's GET leaves out what is empty, an
 * `audience` never written (vault-plugin-auth-kubernetes path_role.go: `if role.Audience != ""`), `bound_claims`
 * null when none were written (vault-plugin-auth-jwt path_role.go). The vault provider (5.6.0) then keeps the old
 * value in state, so no plan shows either: this reads them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { run as synthesize } from "../main";
import { matrix as definition } from "../config/environments";
import { vaultHandler, type VaultState } from "./fakes/platform";
import { startFake, type Fake } from "./fakes/server";
import { seedMatrix } from "./helpers";
import { scratchDir } from "./scratch";
import { startCliProcess, type CliProcess } from "./cli-process";

const org = seedMatrix.organization;
const token = "planner-token-not-a-secret";
let vault: VaultState;
let fake: Fake;
let cli: CliProcess | undefined;
beforeEach(async () => {
  vault = { sealed: false, mounts: {}, kubernetesAuth: {}, token, forbidden: [], documents: {} };
  fake = await startFake((r) => vaultHandler(vault)(r));
});
afterEach(async () => fake.close());
afterAll(async () => cli?.close());
const run = (...args: string[]) => (cli ??= startCliProcess()).run(["vault-roles", ...args], { VAULT_ADDR: fake.url, VAULT_TOKEN: token });
const advice = (p: string) => `no plan shows this: write the stack's value into the role again (vault write ${p} …)`;

const out = () => {
  const dir = path.join(scratchDir(), "vault-roles-out");
  if (!fs.existsSync(dir)) expect(synthesize(definition, dir)).toBe(0);
  return dir;
};
const stackFile = (stack: string) => path.join(out(), "stacks", stack, "cdk.tf.json");

/** prod's secret-sync role, from the matrix: `<env>-secret-sync` on its cluster's mount (README "What each stack contains"). */
const prodRole = `/v1/auth/${org.vault.authMountPrefix}${seedMatrix.environments.prod.cluster}/role/prod-secret-sync`;

describe("vault-roles: a Kubernetes role's audience, which no plan shows emptied", () => {
  it("passes the audience the matrix gives; names one emptied, or another, exit 3", async () => {
    vault.documents![prodRole] = { audience: org.vault.tokenAudience, bound_service_account_names: ["secret-sync"], bound_service_account_namespaces: [seedMatrix.environments.prod.identity.namespace] };
    const clean = await run(stackFile("prod"));
    expect([clean.code, clean.stdout, clean.stderr]).toEqual([0, "vault_kubernetes_auth_backend_role.role: as the stack writes it\n", ""]);
    // cleared: Vault's answer has no audience key at all
    delete vault.documents![prodRole].audience;
    const cleared = await run(stackFile("prod"));
    expect(cleared.code).toBe(3);
    expect(cleared.stderr).toBe(
      `vault_kubernetes_auth_backend_role.role (${prodRole.slice("/v1/".length)}): no audience (the stack's is "${org.vault.tokenAudience}"): the role takes its service account's token minted for any audience: ${advice(prodRole.slice("/v1/".length))}\n`,
    );
    vault.documents![prodRole].audience = "https://kubernetes.default.svc";
    expect((await run(stackFile("prod"))).stderr).toContain(`audience "https://kubernetes.default.svc", not "${org.vault.tokenAudience}"`);
  });
  it("fails when the role cannot be read (a token that may not, no Vault); a role Vault does not have is a plan's to show", async () => {
    vault.forbidden = [prodRole];
    const denied = await run(stackFile("prod"));
    expect([denied.code, denied.stderr]).toEqual([1, `vault_kubernetes_auth_backend_role.role (${prodRole.slice("/v1/".length)}): could not read it (HTTP 403: the token may not read it, or has expired)\n`]);
    // not deployed yet (a new environment, hotfix before its first hotfix: the drift plan passes those), or deleted
    vault.forbidden = [];
    const absent = await run(stackFile("prod"));
    expect([absent.code, absent.stdout, absent.stderr]).toEqual([0, "vault_kubernetes_auth_backend_role.role: not in Vault (not deployed yet, or deleted: a plan shows it)\n", ""]);
    const down = await (cli ??= startCliProcess()).run(["vault-roles", stackFile("prod")], { VAULT_ADDR: "http://127.0.0.1:9", VAULT_TOKEN: token });
    expect([down.code, down.stderr]).toEqual([1, expect.stringMatching(/could not read it \(http:\/\/127\.0\.0\.1:9: connect ECONNREFUSED/)]);
  });
});

describe("vault-roles: a JWT deployer or planner role's bound claims, which no plan shows emptied", () => {
  /** Each environment's deployer and planner roles on the GitHub JWT mount, bound as the matrix says (README "Credentials each job needs"). */
  function asWritten(): Record<string, Record<string, unknown>> {
    const gates = JSON.parse(fs.readFileSync(stackFile("gates"), "utf8"));
    const roles: Record<string, Record<string, unknown>> = {};
    for (const r of Object.values<any>(gates.resource.vault_jwt_auth_backend_role)) {
      // the provider sends every claim as a list, its value split at commas (5.6.0), and Vault keeps the list
      const claims = Object.fromEntries(Object.entries<string>(r.bound_claims).map(([k, v]) => [k, v.split(",")]));
      roles[`/v1/auth/${r.backend}/role/${r.role_name}`] = { bound_audiences: r.bound_audiences, bound_claims: claims, bound_claims_type: r.bound_claims_type, user_claim: r.user_claim };
    }
    return roles;
  }
  it("passes the claims as written; names a role without them, and a claim changed, added or removed, exit 3", async () => {
    vault.documents = asWritten();
    const deployer = `/v1/auth/${org.vault.githubJwtMount}/role/envmatrix-prod-deployer`;
    // the matrix: prod's deployer is bound to this repository, prod's GitHub environment and its deploy branches
    const prod = seedMatrix.environments.prod;
    expect(vault.documents[deployer].bound_claims).toEqual({ repository: [`${org.github.owner}/${org.github.repository}`], environment: [prod.identity.githubEnvironment], ref: prod.identity.deployBranches.map((b) => `refs/heads/${b}`) });
    // dev's planner: its deploy branch and the default branch, two values
    const planner = `/v1/auth/${org.vault.githubJwtMount}/role/envmatrix-dev-planner`;
    expect((vault.documents[planner].bound_claims as any).ref).toEqual([...seedMatrix.environments.dev.identity.deployBranches, org.github.defaultBranch].map((b) => `refs/heads/${b}`));
    const clean = await run(stackFile("gates"));
    expect([clean.code, clean.stderr]).toEqual([0, ""]);
    expect(clean.stdout.trim().split("\n")).toHaveLength(Object.keys(vault.documents).length);
    // deleted and written again without claims: Vault answers null, and the role is bound by its audience alone
    vault.documents[deployer].bound_claims = null;
    const open = await run(stackFile("gates"));
    expect(open.code).toBe(3);
    expect(open.stderr).toBe(
      `vault_jwt_auth_backend_role.prod_vault_deploy_role (${deployer.slice("/v1/".length)}): no bound claims: any GitHub Actions workflow, of any repository, that asks for the role's audience gets its policy: ${advice(deployer.slice("/v1/".length))}\n`,
    );
    // an empty map binds nothing either
    vault.documents[deployer].bound_claims = {};
    expect((await run(stackFile("gates"))).stderr).toContain("envmatrix-prod-deployer): no bound claims: ");
    // another ref, the environment claim gone, a claim the stack does not bind
    vault.documents[deployer].bound_claims = { repository: `${org.github.owner}/${org.github.repository}`, ref: "refs/heads/*", actor: "octocat" };
    const changed = await run(stackFile("gates"));
    expect(changed.code).toBe(3);
    expect(changed.stderr).toContain(`claim environment not bound (the stack binds ${prod.identity.githubEnvironment}); claim ref bound to refs/heads/*, not refs/heads/main; claim actor bound, which the stack does not bind`);
    // a string with commas written by hand is one value to Vault, not the stack's two
    vault.documents![deployer].bound_claims = { ...(asWritten()[deployer].bound_claims as object) };
    (vault.documents![planner].bound_claims as any).ref = (vault.documents![planner].bound_claims as any).ref.join(",");
    expect((await run(stackFile("gates"))).stderr).toContain(`envmatrix-dev-planner): claim ref bound to refs/heads/develop,refs/heads/main, not refs/heads/develop, refs/heads/main`);
  });
});

it("refuses a stack whose role it could not locate: a path only a plan would know", () => {
  const { expectedVaultRoles } = require("../review/vault-roles") as typeof import("../review/vault-roles");
  const stack = { resource: { vault_kubernetes_auth_backend_role: { role: { backend: "${vault_auth_backend.k.path}", role_name: "x", audience: "vault" } } } };
  expect(() => expectedVaultRoles(stack)).toThrow("vault_kubernetes_auth_backend_role.role: its name is known only at plan");
  // an audience only a plan knows is refused too, never compared as missing
  const byReference = { resource: { vault_kubernetes_auth_backend_role: { role: { backend: "k", role_name: "x", audience: "${var.audience}" } } } };
  expect(() => expectedVaultRoles(byReference)).toThrow("vault_kubernetes_auth_backend_role.role: audience is known only at plan");
  // claims as the provider sends them (5.6.0): split at commas and trimmed, or whole with disable_bound_claims_parsing
  const jwt = (r: object) => expectedVaultRoles({ resource: { vault_jwt_auth_backend_role: { r: { backend: "jwt", role_name: "x", bound_claims: { ref: "b, a" }, ...r } } } })[0].boundClaims;
  expect(jwt({})).toEqual({ ref: ["a", "b"] });
  expect(jwt({ disable_bound_claims_parsing: true })).toEqual({ ref: ["b, a"] });
  // a role without an audience or claims has nothing of this kind to compare
  expect(expectedVaultRoles({ resource: { vault_kubernetes_auth_backend_role: { role: { backend: "k", role_name: "x" } } } })).toEqual([]);
});
