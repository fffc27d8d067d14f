/**
 * Kubernetes fields no plan shows changed by hand, read from the cluster with the planner's kubeconfig (get on the
 * objects, which its plans need already).
 *
 * - A service account's `automountServiceAccountToken`: the stacks set it to false on every service account (no
 *   pod gets a Kubernetes API token it did not ask for). Removed by hand (`kubectl patch sa api --type=json -p
 *   '[{"op":"remove","path":"/automountServiceAccountToken"}]'`), it is absent, which Kubernetes takes as "mount
 *   the token" (kubernetes.io "Configure Service Accounts for Pods"), while the kubernetes provider (2.38.0
 *   resource_kubernetes_service_account_v1.go, its read) reads an absent value as false: state and configuration
 *   agree, and no plan shows it.
 * - The SecretStore's providers and Vault login methods: `kubernetes_manifest` takes the fields its manifest does
 *   not name from the live object (manifest/provider/plan.go), so a `tokenSecretRef` (or any other method) added
 *   beside the stack's Kubernetes auth, or another provider, shows in no plan. Only the keys of `spec.provider` and
 *   of its `auth` are compared: the CRD fills in defaults below them (a method's `mountPath`, the KV `version`),
 *   never an object at those two levels.
 */
import type * as k8s from "@kubernetes/client-node";
import { locatedInstances } from "../stacks/adopt-targets";
import { errorText, httpStatus } from "./http-errors";

export interface FieldCheck {
  readonly address: string;
  /** `<namespace>/<name>`. */
  readonly object: string;
  /** What differs, and how to set it right, when something does. */
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
  for (const t of locatedInstances(stack, "kubernetes_service_account_v1")) {
    if (t.locate.system !== "kubernetes" || t.locate.kind !== "ServiceAccount" || t.desired.automount_service_account_token !== false) continue;
    if (typeof t.locate.namespace !== "string") throw new Error(`${t.address}: its namespace is not written out`);
    out.push({ address: t.address, namespace: t.locate.namespace, name: t.locate.name });
  }
  return out.sort((a, b) => (a.address < b.address ? -1 : 1));
}

export async function serviceAccounts(core: k8s.CoreV1Api, accounts: readonly ExpectedAccount[]): Promise<FieldCheck[]> {
  const out: FieldCheck[] = [];
  for (const a of accounts) {
    const base = { address: a.address, object: `${a.namespace}/${a.name}` };
    try {
      const sa = await core.readNamespacedServiceAccount({ name: a.name, namespace: a.namespace });
      const value = sa.automountServiceAccountToken;
      const what = value === undefined || value === null ? "automountServiceAccountToken is not set, so Kubernetes mounts the token into its pods (the stack sets false)" : "automountServiceAccountToken is true (the stack sets false)";
      const fix = `no plan shows this (the provider reads an absent value as false): kubectl patch serviceaccount ${a.name} -n ${a.namespace} -p '{"automountServiceAccountToken":false}'`;
      out.push(value === false ? base : { ...base, problem: `${what}: ${fix}` });
    } catch (err) {
      const status = httpStatus(err);
      if (status === 404) out.push({ ...base, absent: true });
      else out.push({ ...base, error: readError(err) });
    }
  }
  return out;
}

const readError = (err: unknown): string => `${errorText(err)}${httpStatus(err) === 403 ? ": the kubeconfig's user may not read it" : ""}`;

export interface ExpectedStore {
  readonly address: string;
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly namespace: string;
  readonly name: string;
  /** The providers the manifest names (`spec.provider`'s keys), each with its `auth` keys. */
  readonly providers: Readonly<Record<string, readonly string[]>>;
}

/** The SecretStores of a synthesized stack (kubernetes_manifest), with the providers and login methods they name. */
export function expectedStores(stack: Record<string, unknown>): ExpectedStore[] {
  const out: ExpectedStore[] = [];
  for (const t of locatedInstances(stack, "kubernetes_manifest")) {
    const l = t.locate;
    if (l.system !== "kubernetes" || l.kind !== "custom" || l.plural !== "secretstores") continue;
    const provider = ((t.desired.manifest as any)?.spec?.provider ?? {}) as Record<string, { auth?: Record<string, unknown> }>;
    const providers = Object.fromEntries(Object.entries(provider).map(([p, v]) => [p, Object.keys(v?.auth ?? {}).sort()]));
    out.push({ address: t.address, group: l.group, version: l.version, plural: l.plural, namespace: l.namespace, name: l.name, providers });
  }
  return out.sort((a, b) => (a.address < b.address ? -1 : 1));
}

/** What a SecretStore as the cluster holds it names beyond the stack's providers and login methods. */
export function storeDifferences(want: ExpectedStore, live: any): string[] {
  const out: string[] = [];
  const provider: Record<string, any> = live?.spec?.provider ?? {};
  for (const p of Object.keys(provider).sort()) {
    if (!(p in want.providers)) {
      out.push(`provider ${p}, which the stack does not name`);
      continue;
    }
    const extra = Object.keys(provider[p]?.auth ?? {}).filter((m) => !want.providers[p].includes(m)).sort();
    if (extra.length > 0) out.push(`${p} login ${extra.join(", ")} beside the stack's ${want.providers[p].join(", ")}`);
  }
  return out;
}

export async function secretStores(custom: k8s.CustomObjectsApi, stores: readonly ExpectedStore[]): Promise<FieldCheck[]> {
  const out: FieldCheck[] = [];
  for (const s of stores) {
    const base = { address: s.address, object: `${s.namespace}/${s.name}` };
    try {
      const live = await custom.getNamespacedCustomObject({ group: s.group, version: s.version, namespace: s.namespace, plural: s.plural, name: s.name });
      const differences = storeDifferences(s, live);
      out.push(differences.length > 0 ? { ...base, problem: `${differences.join("; ")}: no plan shows what its manifest does not name: remove it (kubectl edit secretstore ${s.name} -n ${s.namespace})` } : base);
    } catch (err) {
      if (httpStatus(err) === 404) out.push({ ...base, absent: true });
      else out.push({ ...base, error: readError(err) });
    }
  }
  return out;
}
