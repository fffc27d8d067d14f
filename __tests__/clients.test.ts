/**
 * The API clients as the commands configure them, against a fake on 127.0.0.1: Datadog's (review/datadog-client.ts)
 * at the site the matrix names, with both keys, and no retry (a check reports what it got); and how an API error
 * reads (review/http-errors.ts).
 */
import { datadogConfiguration, ddV1 } from "../review/datadog-client";
import { errorDetail, errorText, httpStatus, isDenied } from "../review/http-errors";
import { startFake, type Fake } from "./fakes/server";

let fake: Fake;
let answer = 503;
beforeAll(async () => {
  fake = await startFake((r) => (r.path === "/api/v1/query" ? { status: answer, body: answer === 200 ? { series: [] } : { errors: ["x"] } } : undefined));
});
afterAll(async () => fake.close());

describe("Datadog's client", () => {
  it.each([["without"], ["with"]])("reaches <apiUrl>/api/v1/query %s a trailing slash, with the API and application keys", async (slash) => {
    answer = 200;
    const before = fake.requests.length;
    const api = new ddV1.MetricsApi(datadogConfiguration(slash === "with" ? `${fake.url}/` : fake.url, "api-key", "app-key"));
    await api.queryMetrics({ from: 0, to: 60, query: "sum:x{*}" });
    const [q] = fake.requests.slice(before);
    expect([q.path, q.headers["dd-api-key"], q.headers["dd-application-key"]]).toEqual(["/api/v1/query", "api-key", "app-key"]);
  });

  it("without an application key (report-deployment's intake endpoints) sends the API key alone", async () => {
    answer = 200;
    const before = fake.requests.length;
    await new ddV1.MetricsApi(datadogConfiguration(fake.url, "api-key")).queryMetrics({ from: 0, to: 60, query: "sum:x{*}" });
    const [q] = fake.requests.slice(before);
    expect([q.headers["dd-api-key"], "dd-application-key" in q.headers]).toEqual(["api-key", false]);
  });

  it("a refusal reads with Datadog's own words: the errors of the answer's body", async () => {
    answer = 403;
    const err = await new ddV1.MetricsApi(datadogConfiguration(fake.url, "api-key", "app-key")).queryMetrics({ from: 0, to: 60, query: "sum:x{*}" }).catch((e: unknown) => e);
    expect(errorDetail(err)).toBe("HTTP 403: x");
  });

  it("asks once: a 503 is the answer, not retried", async () => {
    answer = 503;
    const before = fake.requests.length;
    const api = new ddV1.MetricsApi(datadogConfiguration(fake.url, "api-key", "app-key"));
    await expect(api.queryMetrics({ from: 0, to: 60, query: "sum:x{*}" })).rejects.toMatchObject({ code: 503 });
    expect(fake.requests.length - before).toBe(1);
  });
});

describe("an API error in a line", () => {
  it.each([
    [{ status: 401 }, true, "HTTP 401"],
    [{ status: 403 }, true, "HTTP 403"],
    [{ code: 403 }, true, "HTTP 403"],
    [{ status: 404 }, false, "HTTP 404"],
    [{ status: 500 }, false, "HTTP 500"],
    [new Error("connect ECONNREFUSED 127.0.0.1:9\nat …"), false, "connect ECONNREFUSED 127.0.0.1:9"],
  ])("%j: denied %s, reads %s", (err, denied, text) => {
    expect([isDenied(err), errorText(err)]).toEqual([denied, text]);
  });
  it.each([
    [{ code: 400, body: { errors: ["invalid query", "unknown metric"] } }, "HTTP 400: invalid query; unknown metric"],
    [{ code: 403, body: { errors: [] } }, "HTTP 403"],
    [{ status: 404, body: "Not Found" }, "HTTP 404"],
    [Object.assign(new Error("socket hang up\nat …"), { body: { errors: ["not an answer"] } }), "socket hang up"],
  ])("%j with what the API said: %s", (err, text) => {
    expect(errorDetail(err)).toBe(text);
  });
  it("a status is Octokit's `status` or Datadog's `code`, a number only", () => {
    expect([httpStatus({ status: 418 }), httpStatus({ code: 418 }), httpStatus({ code: "ECONNREFUSED" }), httpStatus(undefined)]).toEqual([418, 418, undefined, undefined]);
  });
});
