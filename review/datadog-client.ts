/**
 * The Datadog API client as preflight, the gates and report-deployment use it: the package's common part and v1 API
 * only (its index also loads the v2 API's models: 0.9 s of a process start measured here, against 0.2 s for these),
 * pointed at the site in `apiUrl` with the API key and, where the endpoint needs one, the application key; no
 * retries (a check reports what it got).
 */
import * as ddClient from "@datadog/datadog-api-client/dist/packages/datadog-api-client-common";
export * as ddV1 from "@datadog/datadog-api-client/dist/packages/datadog-api-client-v1";

export function datadogConfiguration(apiUrl: string, apiKey: string, appKey?: string) {
  return ddClient.createConfiguration({
    baseServer: new ddClient.BaseServerConfiguration(apiUrl.replace(/\/$/, ""), {}),
    // without an application key (report-deployment: events and DORA deployments take the API key alone) the
    // client sends no DD-APPLICATION-KEY header
    authMethods: { apiKeyAuth: apiKey, appKeyAuth: appKey },
    enableRetry: false,
  });
}
