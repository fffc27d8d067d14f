/** What the ecosystems' clients' errors say, read one way for preflight, adopt and the gates. */

/**
 * The HTTP status of a client's error: @kubernetes/client-node's and Datadog's ApiException have `code`, Octokit's
 * RequestError `status`. Octokit gives a request that got no answer at all (refused, DNS) status 500 and no
 * response: that is no HTTP status.
 */
export function httpStatus(err: unknown): number | undefined {
  const e = err as { code?: unknown; status?: unknown; name?: unknown; response?: unknown };
  if (e?.name === "HttpError" && e.response === undefined) return undefined;
  return typeof e?.code === "number" ? e.code : typeof e?.status === "number" ? e.status : undefined;
}

/** `HTTP <status>`, or the error's first line when there was no answer. */
export const errorText = (err: unknown): string => {
  const status = httpStatus(err);
  return status ? `HTTP ${status}` : String((err as Error)?.message ?? err).split("\n")[0];
};

/**
 * errorText with what the API said about it, where it says something: Datadog's ApiException carries the
 * response's `errors` list (`HTTP 403: Forbidden`, `HTTP 400: invalid query; …`).
 */
export const errorDetail = (err: unknown): string => {
  const said = (err as { body?: { errors?: unknown } })?.body?.errors;
  return httpStatus(err) !== undefined && Array.isArray(said) && said.length > 0 ? `${errorText(err)}: ${said.join("; ")}` : errorText(err);
};

/** Whether an error is "not allowed" rather than "not there". */
export const isDenied = (err: unknown): boolean => {
  const status = httpStatus(err);
  return status === 401 || status === 403;
};
