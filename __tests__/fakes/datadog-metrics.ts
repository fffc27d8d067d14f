/**
 * A fake of Datadog's timeseries query API (GET /api/v1/query?from=&to=&query=, docs.datadoghq.com/api/latest/
 * metrics/#query-timeseries-points): the API and application keys in DD-API-KEY / DD-APPLICATION-KEY, `from` and
 * `to` in seconds, an answer with a `series` list (empty when there is no data) whose `pointlist` holds
 * [milliseconds, value] pairs. A test sets the points of each query and can make the API fail.
 */
import type { Handler } from "./server";

export interface MetricsState {
  apiKey: string;
  appKey: string;
  /** Points of each query string (values only; spread over the window); a query not here has no data. */
  points: Record<string, (number | null)[]>;
  /** Answer every query with this HTTP status and Datadog's error body instead (e.g. 503). */
  failWith?: number;
  /** The queries asked, with their window. */
  asked: { query: string; from: number; to: number }[];
}

export function metricsHandler(s: MetricsState): Handler {
  return ({ method, path, query, headers }) => {
    if (path !== "/api/v1/query") return undefined;
    if (method !== "GET") return { status: 405, body: { errors: ["Method Not Allowed"] } };
    if (headers["dd-api-key"] !== s.apiKey || headers["dd-application-key"] !== s.appKey) return { status: 403, body: { errors: ["Forbidden"] } };
    const [from, to, q] = [Number(query.get("from")), Number(query.get("to")), query.get("query") ?? ""];
    if (!Number.isInteger(from) || !Number.isInteger(to) || q === "") return { status: 400, body: { errors: ["from, to and query are required"] } };
    s.asked.push({ query: q, from, to });
    if (s.failWith !== undefined) return { status: s.failWith, body: { errors: [s.failWith === 403 ? "Forbidden" : "Service Unavailable"] } };
    const values = s.points[q];
    const series =
      values === undefined
        ? []
        : [
            {
              metric: q.replace(/^sum:|\{.*$/g, ""),
              expression: q,
              scope: /\{(.*)\}/.exec(q)?.[1] ?? "*",
              aggr: "sum",
              interval: Math.max(1, Math.floor((to - from) / values.length)),
              length: values.length,
              start: from * 1000,
              end: to * 1000,
              pointlist: values.map((v, i) => [(from + (i * (to - from)) / values.length) * 1000, v]),
            },
          ];
    return { status: 200, body: { status: "ok", res_type: "time_series", query: q, from_date: from * 1000, to_date: to * 1000, series } };
  };
}
