/**
 * A service account's `automountServiceAccountToken`, read from the cluster, where no plan shows it removed.
 *
 * The stacks set it to false on every service account (no pod gets a Kubernetes API token it did not ask for). Removed
 * by hand (`kubectl patch sa api --type=json -p '[{"op":"remove","path":"/automountServiceAccountToken"}]'`), it is
 * absent, which Kubernetes takes as "mount the token" (kubernetes.io "Configure Service Accounts for Pods": opt out
 * with `automountServiceAccountToken: false`), while the kubernetes provider (2.38.0
 * resource_kubernetes_service_account_v1.go, its read) reads an absent value as false: state and configuration
 * agree, and no plan shows it. This reads each with the planner's kubeconfig (get on serviceaccounts, which its
 * plans need already).
 */
import type * as k8s from "@kubernetes/client-node";
import { adoptionTargets } from "../stacks/adopt-targets";
import { errorText, httpStatus } from "./http-errors";

export interface AccountCheck {
  readonly address: string;
  /** `<namespace>/<name>`. */
  readonly account: string;
  /** What differs, when something does. */
  readonly problem?: string;
  /** Not in the cluster (not deployed yet, or deleted: a plan shows it). */
  readonly absent?: boolean;
  readonly error?: string;
}

export interface ExpectedAccount {
  readonly address: string;
  readonly namespace: string;
  readonly name: string;
}

/** The service accounts of a synthesized stack that it writes with no automounted token. */
export function expectedAccounts(stack: Record<string, unknown>): ExpectedAccount[] {
  const out: ExpectedAccount[] = [];
  for (const t of adoptionTargets(stack).targets) {
    if (t.locate.system !== "kubernetes" || t.locate.kind !== "ServiceAccount" || t.desired.automount_service_account_token !== false) continue;
    if (typeof t.locate.namespace !== "string") throw new Error(`${t.address}: its namespace is not written out`);
    out.push({ address: t.address, namespace: t.locate.namespace, name: t.locate.name });
  }
  return out.sort((a, b) => (a.address < b.address ? -1 : 1));
}

export async function serviceAccounts(core: k8s.CoreV1Api, accounts: readonly ExpectedAccount[]): Promise<AccountCheck[]> {
  const out: AccountCheck[] = [];
  for (const a of accounts) {
    const base = { address: a.address, account: `${a.namespace}/${a.name}` };
    try {
      const sa = await core.readNamespacedServiceAccount({ name: a.name, namespace: a.namespace });
      const value = sa.automountServiceAccountToken;
      out.push(value === false ? base : { ...base, problem: value === undefined || value === null ? "automountServiceAccountToken is not set, so Kubernetes mounts the token into its pods (the stack sets false)" : "automountServiceAccountToken is true (the stack sets false)" });
    } catch (err) {
      const status = httpStatus(err);
      if (status === 404) out.push({ ...base, absent: true });
      else out.push({ ...base, error: `${errorText(err)}${status === 403 ? ": the kubeconfig's user may not read it" : ""}` });
    }
  }
  return out;
}
