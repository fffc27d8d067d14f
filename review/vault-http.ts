/**
 * A GET of Vault's HTTP API with a token, as preflight and adopt ask it. A private CA (organization.vault.
 * caCertificatePem) is trusted for the request as the workflows' Vault login and Terraform's vault provider are
 * given it (VAULT_CACERT_BASE64, stacks/gates-stack.ts): node:https rather than fetch, which takes no CA. Never throws: a request that got no answer is status 0 with the reason.
 */
import * as http from "node:http";
import * as https from "node:https";

export interface VaultAnswer {
  /** HTTP status; 0 when there was no answer. */
  readonly status: number;
  /** The body as text (empty when none); the reason when there was no answer. */
  readonly text: string;
}

export function vaultGet(address: string, token: string, path: string, caPem?: string, timeoutMs = 30000): Promise<VaultAnswer> {
  let url: URL;
  try {
    url = new URL(`${address.replace(/\/$/, "")}/v1/${path}`);
  } catch (err) {
    return Promise.resolve({ status: 0, text: `${address}: not a URL (${(err as Error).message})` });
  }
  const client = url.protocol === "https:" ? https : http;
  return new Promise((resolve) => {
    const req = client.request(url, { method: "GET", headers: { "X-Vault-Token": token }, ...(caPem ? { ca: caPem } : {}), timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", (err) => resolve({ status: 0, text: `${url.origin}: ${err.message}` }));
    });
    req.on("timeout", () => req.destroy(new Error(`no answer in ${timeoutMs / 1000} s`)));
    req.on("error", (err) => resolve({ status: 0, text: `${url.origin}: ${err.message}` }));
    req.end();
  });
}
