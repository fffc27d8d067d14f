/** Datadog monitors and SLOs: per construct, per environment against the matrix, and across environments. */
import "./cdktf-matchers";
import { synthScope } from "./scratch";
import { Monitor } from "@cdktf/provider-datadog/lib/monitor";
import { DatadogMonitors, type DatadogMonitorsProps } from "../constructs/datadog-monitors";
import { thresholdsAbove } from "../config/thresholds";
import { environmentNames, resources, seedMatrix, synthEnvironment } from "./helpers";
import { NOTIFICATIONS, parseMonitorQuery, q, renderMessage } from "./monitor-query";
import { handlesOf } from "../review/preflight-reads";

const base: DatadogMonitorsProps = {
  env: "qa",
  namespace: "shop-qa",
  services: [{ name: "cart", team: "payments" }],
  errorRatePercent: 2,
  latencyMs: 300,
  cpuPercent: 75,
  warningAtPercentOfCritical: 50,
  recoverAtPercentOfThreshold: 90,
  evaluationWindowMinutes: 10,
  notifyNoData: true,
  noDataTimeframeMinutes: 20,
  renotifyMinutes: 60,
  priority: 2,
  notify: ["@slack-qa"],
  runbookBaseUrl: "https://runbooks.example/shop",
  traceOperation: "http.request",
  extraTags: ["managed-by:envmatrix"],
};
const monitorsOf = (props: Partial<DatadogMonitorsProps> = {}) =>
  JSON.parse(synthScope((s) => new DatadogMonitors(s, "monitors", { ...base, ...props }))).resource;

/** The query's threshold as written, the query read by its parts. */
const queryThreshold = (query: string) => parseMonitorQuery(query).thresholdText;

describe("a service's own APM operation", () => {
  it("names the trace metrics of its monitors, and only its (a Node service's server spans are web.request, dd-trace-js)", () => {
    const r = monitorsOf({ services: [{ name: "cart", team: "payments", traceOperation: "web.request" }, { name: "orders", team: "payments" }] });
    const metricsOf = (service: string) =>
      Object.values<any>(r.datadog_monitor)
        .filter((m) => m.tags.includes(`service:${service}`) && !m.name.endsWith(" CPU"))
        .flatMap((m) => [...m.query.matchAll(/trace\.([a-z0-9_.]+?)(?:\.(?:errors|hits))?\{/g)].map((x) => x[1]));
    expect(new Set(metricsOf("cart"))).toEqual(new Set(["web.request"]));
    expect(new Set(metricsOf("orders"))).toEqual(new Set([base.traceOperation]));
  });
});

describe("thresholdsAbove", () => {
  it("warns at a share of critical and recovers below each threshold, without float noise", () => {
    expect(thresholdsAbove(0.1, 80, 90)).toEqual({ critical: "0.1", warning: "0.08", criticalRecovery: "0.09", warningRecovery: "0.072" });
    expect(thresholdsAbove(2, 80, 90)).toEqual({ critical: "2", warning: "1.6", criticalRecovery: "1.8", warningRecovery: "1.44" });
  });
});

describe("DatadogMonitors", () => {
  it("watches error rate, p99 latency and CPU of each service, with its thresholds in the query", () => {
    const m = monitorsOf().datadog_monitor;
    expect(Object.values<any>(m).map((x) => x.name).sort()).toEqual(["[qa] cart CPU", "[qa] cart error rate", "[qa] cart p99 latency"]);
    const byName = Object.fromEntries(Object.values<any>(m).map((x) => [x.name, x]));
    expect(byName["[qa] cart error rate"].query).toBe(
      "sum(last_10m):( sum:trace.http.request.errors{env:qa,service:cart}.as_count() / sum:trace.http.request.hits{env:qa,service:cart}.as_count() ) * 100 > 2",
    );
    expect(byName["[qa] cart p99 latency"].query).toBe("percentile(last_10m):p99:trace.http.request{env:qa,service:cart} > 0.3");
    expect(byName["[qa] cart CPU"].query).toBe(
      "avg(last_10m):( sum:kubernetes.cpu.usage.total{kube_namespace:shop-qa,service:cart} by {version} / ( sum:kubernetes.cpu.limits{kube_namespace:shop-qa,service:cart} by {version} * 1000000000 ) ) * 100 > 75",
    );
    expect(byName["[qa] cart error rate"].monitor_thresholds).toEqual({ critical: "2", warning: "1", critical_recovery: "1.8", warning_recovery: "0.9" });
  });

  it("evaluates, re-notifies, pages no-data and prioritises as told", () => {
    expect(synthScope((s) => new DatadogMonitors(s, "monitors", base))).toHaveResourceWithProperties(Monitor, {
      type: "query alert",
      priority: "2",
      notify_no_data: true,
      no_data_timeframe: 20,
      renotify_interval: 60,
      require_full_window: false,
      tags: ["env:qa", "service:cart", "team:payments", "managed-by:envmatrix"],
    });
    const quiet = Object.values<any>(monitorsOf({ notifyNoData: false, renotifyMinutes: 0 }).datadog_monitor);
    for (const m of quiet) {
      expect(m.notify_no_data).toBe(false);
      expect(m.no_data_timeframe).toBeUndefined();
      expect(m.renotify_interval).toBeUndefined();
    }
  });

  it("says what, where, how bad and what to do, separately for alert, warning, recovery and no data", () => {
    const m = Object.values<any>(monitorsOf().datadog_monitor).find((x) => x.name === "[qa] cart error rate");
    expect(m.message.split("\n")).toEqual([
      "{{#is_alert}}cart error rate in qa is {{value}}%, above the critical threshold of {{threshold}}% (2%).{{/is_alert}}",
      "{{#is_warning}}cart error rate in qa is {{value}}%, above the warning threshold of {{warn_threshold}}% (1%).{{/is_warning}}",
      "{{#is_recovery}}cart error rate in qa is back to {{value}}%, below 1.8%.{{/is_recovery}}",
      // a No Data notification shows none of the three blocks above (docs.datadoghq.com/monitors/notify/variables)
      "{{#is_no_data}}cart error rate in qa: no data for 20 minutes. The service sends none (down, scaled to zero or not deployed), or the Datadog Agent does not report it.{{/is_no_data}}",
      "Runbook: https://runbooks.example/shop/cart/error-rate",
      "Service: cart · environment: qa · team: payments",
      "@slack-qa",
    ]);
  });

  it("says nothing of no data where it never notifies on it: not without notify_no_data, not on a canary gate", () => {
    for (const m of Object.values<any>(monitorsOf({ notifyNoData: false }).datadog_monitor)) expect(m.message).not.toMatch(/is_no_data/);
    const gate = { maxErrorRateIncreasePoints: 0.1, minExcessErrors: 4, maxLatencyIncreasePercent: 10, tag: { key: "track", canary: "canary", stable: "stable" }, notify: ["@webhook-gate"] };
    const gated = Object.values<any>(monitorsOf({ canaryGate: gate }).datadog_monitor);
    const gates = gated.filter((m) => m.tags.includes("canary-gate"));
    expect(gates.length).toBeGreaterThan(0);
    for (const m of gates) expect(m.message).not.toMatch(/is_no_data/);
    // and each monitor that does notify says so in its own words; CPU never does (per version: a retired one's series end)
    const notifying = gated.filter((x) => !x.tags.includes("canary-gate") && !x.name.endsWith(" CPU"));
    expect(notifying).toHaveLength(2);
    for (const m of notifying) expect(m.message).toContain(`{{#is_no_data}}cart ${m.name.replace("[qa] cart ", "")} in qa: no data for 20 minutes.`);
    expect(gated.find((x) => x.name.endsWith(" CPU")).message).not.toMatch(/is_no_data/);
  });

  it("notifies nobody when given no handles: the message ends with the service line", () => {
    for (const m of Object.values<any>(monitorsOf({ notify: [] }).datadog_monitor)) {
      expect(m.message).not.toMatch(/@\S+/);
      expect(m.message.split("\n").at(-1)).toBe("Service: cart · environment: qa · team: payments");
    }
  });

  it("states each value in its unit (latency in seconds, as the query's p99 is) and includes the triggering tags", () => {
    const byName = Object.fromEntries(Object.values<any>(monitorsOf().datadog_monitor).map((x) => [x.name, x]));
    expect(byName["[qa] cart p99 latency"].message.split("\n")[0]).toBe(
      "{{#is_alert}}cart p99 latency in qa is {{value}} s, above the critical threshold of {{threshold}} s (0.3 s).{{/is_alert}}",
    );
    // grouped by version: the notification names the group that fired (Datadog's {{version.name}} of a multi alert)
    expect(byName["[qa] cart CPU"].message.split("\n")[0]).toBe("{{#is_alert}}cart CPU of version {{version.name}} in qa is {{value}}%, above the critical threshold of {{threshold}}% (75%).{{/is_alert}}");
    // include_tags: the notification's title names the service and environment that fired (Datadog monitor option)
    for (const m of Object.values<any>(byName)) expect(m.include_tags).toBe(true);
  });

  it("adds SLOs only when given, on 7 and 30 days", () => {
    expect(monitorsOf().datadog_service_level_objective).toBeUndefined();
    const slos = Object.values<any>(monitorsOf({ slo: { availabilityPercent: 99.5, latencyP99Ms: 250 } }).datadog_service_level_objective);
    expect(slos.map((s) => [s.type, s.thresholds])).toEqual([
      ["metric", [{ timeframe: "7d", target: 99.5 }, { timeframe: "30d", target: 99.5 }]],
      ["time_slice", [{ timeframe: "7d", target: 99.5 }, { timeframe: "30d", target: 99.5 }]],
    ]);
    expect(slos[0].query).toEqual({
      numerator: "sum:trace.http.request.hits{env:qa,service:cart}.as_count() - sum:trace.http.request.errors{env:qa,service:cart}.as_count()",
      denominator: "sum:trace.http.request.hits{env:qa,service:cart}.as_count()",
    });
    expect(slos[1].sli_specification.time_slice).toMatchObject({ comparator: "<", threshold: 0.25 });
    expect(slos.map((x) => [x.name, x.description])).toEqual([
      ["[qa] cart availability", "Share of cart requests in qa that do not fail."],
      ["[qa] cart p99 latency under 250 ms", "Share of 5-minute slices in which cart's p99 latency in qa stays under 250 ms."],
    ]);
    // Datadog's time-slice SLI (API: SLOTimeSliceSpec): a formula over named queries, each a metrics query; a
    // slice is good when the formula's value is below the threshold (seconds, like the p99 trace metric)
    expect(slos[1].sli_specification).toEqual({
      time_slice: {
        comparator: "<",
        threshold: 0.25,
        query_interval_seconds: 300,
        query: {
          formula: { formula_expression: "query1" },
          query: [{ metric_query: { name: "query1", data_source: "metrics", query: "p99:trace.http.request{env:qa,service:cart}" } }],
        },
      },
    });
  });

  it("adds the canary gate only when given: canary minus stable, in the right direction, telling the gate only", () => {
    expect(Object.keys(monitorsOf().datadog_monitor)).toHaveLength(3);
    const gate = { maxErrorRateIncreasePoints: 0.1, minExcessErrors: 4, maxLatencyIncreasePercent: 10, tag: { key: "track", canary: "canary", stable: "stable" }, notify: ["@webhook-gate"] };
    const canary = Object.values<any>(monitorsOf({ canaryGate: gate }).datadog_monitor).filter((m) => m.tags.includes("canary-gate"));
    expect(canary.map((m) => [m.name, queryThreshold(m.query)])).toEqual([
      ["[qa] cart canary errors beyond the stable's rate", "4"],
      ["[qa] cart canary latency increase", "10"],
    ]);
    const [errors, latency] = canary;
    // the canary's errors, less what its requests would have at the stable's rate plus 0.1 points (0.001): a worse
    // canary is positive, and only more than 4 such errors alert
    expect(errors.query).toBe(
      "sum(last_10m):( sum:trace.http.request.errors{env:qa,service:cart,track:canary}.as_count() ) - ( sum:trace.http.request.hits{env:qa,service:cart,track:canary}.as_count() )" +
        " * ( ( sum:trace.http.request.errors{env:qa,service:cart,track:stable}.as_count() / sum:trace.http.request.hits{env:qa,service:cart,track:stable}.as_count() ) + 0.001 ) > 4",
    );
    expect(latency.query).toBe(
      // the latency distribution's average (docs.datadoghq.com/tracing/metrics/metrics_namespace: trace.<SPAN_NAME>,
      // DISTRIBUTION, additional primary tags, "Recommended for all latency measurement use cases")
      "avg(last_10m):( ( avg:trace.http.request{env:qa,service:cart,track:canary} ) / ( avg:trace.http.request{env:qa,service:cart,track:stable} ) - 1 ) * 100 > 10",
    );
    for (const m of canary) {
      expect(m.message).toContain("@webhook-gate");
      expect(m.message).not.toContain("@slack-qa");
      expect(m.message.split("\n").slice(-4)).toEqual([
        "Canary gate: do not promote the canary while this monitor is not OK.",
        expect.stringMatching(/^Runbook: https:\/\/runbooks\.example\/shop\/cart\/canary-/),
        "Service: cart · environment: qa · team: payments",
        "@webhook-gate",
      ]);
    }
    expect(errors.message.split("\n")[0]).toBe(
      "{{#is_alert}}cart canary errors beyond the stable's rate in qa is {{value}} errors, above the critical threshold of {{threshold}} errors (4 errors).{{/is_alert}}",
    );
    expect(latency.message.split("\n")[0]).toBe(
      "{{#is_alert}}cart canary latency increase in qa is {{value}}%, above the critical threshold of {{threshold}}% (10%).{{/is_alert}}",
    );
    // no canary running is the gate's normal state: the count-based query shows No Data and notifies nobody; the
    // gauge-based one accepts only on_missing_data "default" (terraform-provider-datadog#2815), so it never notifies
    expect([errors.on_missing_data, errors.notify_no_data]).toEqual(["show_no_data", undefined]);
    expect([latency.on_missing_data, latency.notify_no_data]).toEqual([undefined, false]);
  });
});

const org = seedMatrix.organization;
const stacks = Object.fromEntries(environmentNames.map((n) => [n, synthEnvironment(n)]));
const allMonitors = (name: string) => Object.values<any>(resources(stacks[name], "datadog_monitor"));
/** The monitors that alert people (not the canary gate's, which tell the rollout). */
const monitors = (name: string) => allMonitors(name).filter((m) => !m.tags.includes("canary-gate"));
const gates = (name: string) => allMonitors(name).filter((m) => m.tags.includes("canary-gate"));
const monitorFor = (name: string, service: string, what: string) =>
  monitors(name).find((m) => m.name === `[${name}] ${service} ${what}`);

describe.each(environmentNames)("%s monitors", (name) => {
  const e = seedMatrix.environments[name];
  const handles = { none: [], chat: [org.datadog.chatHandle], page: [org.datadog.pagerHandle, org.datadog.chatHandle] }[e.alerts.routing];

  it.each(seedMatrix.services.map((s) => s.name))("%s: critical thresholds are the matrix's", (service) => {
    expect(monitorFor(name, service, "error rate").monitor_thresholds.critical).toBe(String(e.alerts.errorRatePercent));
    expect(monitorFor(name, service, "p99 latency").monitor_thresholds.critical).toBe(String(e.alerts.latencyMs / 1000));
    expect(monitorFor(name, service, "CPU").monitor_thresholds.critical).toBe(String(e.alerts.cpuPercent));
  });

  it("every query's threshold equals its critical threshold; warning and recoveries are on the safe side", () => {
    for (const m of allMonitors(name)) {
      const t = m.monitor_thresholds;
      expect({ name: m.name, query: queryThreshold(m.query) }).toEqual({ name: m.name, query: t.critical });
      expect(Number(t.critical_recovery)).toBeLessThan(Number(t.critical));
      // a gate has no warning: whatever promotes stops on any state but OK (README: `-status:ok`), so a Warn below
      // the matrix's limit would block a canary within it
      if (m.tags.includes("canary-gate")) {
        expect([m.name, t.warning, t.warning_recovery]).toEqual([m.name, undefined, undefined]);
        expect(m.message).not.toMatch(/is_warning/);
        continue;
      }
      expect(Number(t.warning)).toBeLessThan(Number(t.critical));
      expect(Number(t.warning_recovery)).toBeLessThan(Number(t.warning));
    }
  });

  it("the CPU monitor resolves a group that stopped reporting within the hour (a rolled-back version's series end)", () => {
    for (const m of monitors(name).filter((x) => x.name.endsWith(" CPU"))) expect(m.timeout_h).toBe(1);
    for (const m of allMonitors(name).filter((x) => !x.name.endsWith(" CPU"))) expect(m.timeout_h).toBeUndefined();
  });

  it.each(seedMatrix.services.map((s) => s.name))("%s: every query read by its parts is the formula the matrix asks for", (service) => {
    // expected trees written from Datadog's trace and Kubernetes metrics (docs.datadoghq.com/tracing/metrics/metrics_namespace,
    // docs.datadoghq.com/containers/kubernetes/data_collected): errors and hits are counts, usage is in nanocores
    const op = org.datadog.traceOperation;
    const apm = { env: name, service };
    const k8s = { kube_namespace: e.identity.namespace, service };
    const count = (what: string, tags: Record<string, string>) => q.metric("sum", `trace.${op}.${what}`, tags, ["as_count"]);
    const ratio = (tags: Record<string, string>) => q.op("/", count("errors", tags), count("hits", tags));
    const window = `last_${e.alerts.evaluationWindowMinutes}m`;
    const expected: Record<string, [string, unknown, number]> = {
      "error rate": ["sum", q.op("*", ratio(apm), q.n(100)), e.alerts.errorRatePercent],
      "p99 latency": ["percentile", q.metric("p99", `trace.${op}`, apm), e.alerts.latencyMs / 1000],
      CPU: [
        "avg",
        // per version on both sides (the unified service tag from the pods' tags.datadoghq.com/version label)
        q.op("*", q.op("/", q.metric("sum", "kubernetes.cpu.usage.total", k8s, [], ["version"]), q.op("*", q.metric("sum", "kubernetes.cpu.limits", k8s, [], ["version"]), q.n(1e9))), q.n(100)),
        e.alerts.cpuPercent,
      ],
    };
    if (e.canaryGate) {
      const { key, canary, stable } = org.datadog.apmSecondPrimaryTag;
      const at = (track: string) => ({ ...apm, [key]: track });
      // the average of the latency distribution trace.<op> (the legacy duration gauge interpolates across sparse series)
      const avgLatency = (track: string) => q.metric("avg", `trace.${op}`, at(track));
      // the canary's errors on the left of the subtraction, its requests at the stable's rate plus the allowance on
      // the right (5% of the error threshold, in points, over 100): a worse canary is positive
      expected["canary errors beyond the stable's rate"] = [
        "sum",
        q.op("-", count("errors", at(canary)), q.op("*", count("hits", at(canary)), q.op("+", ratio(at(stable)), q.n((e.canaryGate.maxErrorRateIncreasePercent * e.alerts.errorRatePercent) / 100 / 100)))),
        e.canaryGate.minExcessErrors,
      ];
      expected["canary latency increase"] = ["avg", q.op("*", q.op("-", q.op("/", avgLatency(canary), avgLatency(stable)), q.n(1)), q.n(100)), e.canaryGate.maxLatencyIncreasePercent];
    }
    const ofService = allMonitors(name).filter((m) => m.tags.includes(`service:${service}`));
    expect(ofService.map((m) => m.name).sort()).toEqual(Object.keys(expected).map((what) => `[${name}] ${service} ${what}`).sort());
    for (const [what, [timeAggregation, expression, threshold]] of Object.entries(expected)) {
      const m = ofService.find((x) => x.name === `[${name}] ${service} ${what}`)!;
      const parsed = parseMonitorQuery(m.query);
      expect({ what, ...parsed, threshold: parsed.threshold }).toEqual({
        what,
        timeAggregation,
        window,
        expression,
        comparator: ">",
        threshold: expect.closeTo(threshold, 12),
        thresholdText: m.monitor_thresholds.critical,
      });
    }
  });

  // DESIGN.md's tiers: critical pages (and tells the chat), high opens a ticket, medium and low notify nobody
  const tierHandles = { critical: [org.datadog.pagerHandle, org.datadog.chatHandle], high: [org.datadog.ticketHandle], medium: [], low: [] };
  const kindOf = (m: any): "errorRate" | "latency" | "cpu" => (m.name.endsWith(" error rate") ? "errorRate" : m.name.endsWith(" p99 latency") ? "latency" : "cpu");
  const routeTitle = e.alerts.tiers ? `by tier (${Object.entries(e.alerts.tiers).map(([k, t]) => `${k} ${t}`).join(", ")})` : e.alerts.routing === "none" ? "nobody" : handles.join(" and ");
  it(`routes to ${routeTitle} (routing: ${e.alerts.routing})`, () => {
    for (const m of monitors(name)) expect([m.name, m.message.match(/@[\w.-]+/g) ?? []]).toEqual([m.name, e.alerts.tiers ? tierHandles[e.alerts.tiers[kindOf(m)]] : handles]);
  });

  it("evaluation window, no-data policy, renotify interval and priority are the matrix's", () => {
    for (const m of monitors(name)) {
      expect(m.query).toMatch(new RegExp(`^\\w+\\(last_${e.alerts.evaluationWindowMinutes}m\\):`));
      // CPU is per version, whose retired series end at every rollout: it never notifies on missing data (the APM
      // monitors say when the service stops reporting)
      const noData = e.alerts.notifyNoData && kindOf(m) !== "cpu";
      expect(m.notify_no_data).toBe(noData);
      expect(m.no_data_timeframe).toBe(noData ? e.alerts.noDataTimeframeMinutes : undefined);
      expect(m.renotify_interval).toBe(e.alerts.renotifyMinutes > 0 ? e.alerts.renotifyMinutes : undefined);
      // with tiers, the tier is the priority (critical 1 … low 4)
      expect(m.priority).toBe(String(e.alerts.tiers ? ["critical", "high", "medium", "low"].indexOf(e.alerts.tiers[kindOf(m)]) + 1 : e.alerts.priority));
    }
  });

  it("tags everything with env, service, team and managed-by", () => {
    const tagged = [...monitors(name), ...Object.values<any>(resources(stacks[name], "datadog_service_level_objective"))];
    for (const r of tagged) {
      const service = seedMatrix.services.find((s) => r.tags.includes(`service:${s.name}`))!;
      expect(r.tags).toEqual(expect.arrayContaining([`env:${name}`, `service:${service.name}`, `team:${service.team}`, "managed-by:envmatrix"]));
    }
  });

  const sloTitle = !e.slo ? "has no SLOs" : `has SLOs: ${e.slo.availabilityPercent}% availability${e.slo.latencyP99Ms === null ? " (no latency SLO)" : ` and p99 under ${e.slo.latencyP99Ms} ms`}, over 7 and 30 days`;
  it(sloTitle, () => {
    const slos = Object.values<any>(resources(stacks[name], "datadog_service_level_objective"));
    if (!e.slo) return expect(slos).toEqual([]);
    const latency = e.slo.latencyP99Ms;
    expect(slos).toHaveLength((latency === null ? 1 : 2) * seedMatrix.services.length);
    for (const s of slos) expect(s.thresholds).toEqual(["7d", "30d"].map((timeframe) => ({ timeframe, target: e.slo!.availabilityPercent })));
    expect(slos.filter((s) => s.type === "time_slice").map((s) => s.sli_specification.time_slice.threshold)).toEqual(latency === null ? [] : seedMatrix.services.map(() => latency / 1000));
  });
  if (name === "staging") {
    it("staging: the documents' 95% uptime target, whose error budget it tracks", () => {
      const slos = Object.values<any>(resources(stacks[name], "datadog_service_level_objective"));
      expect(slos.map((s) => [s.type, s.thresholds.map((t: any) => t.target)])).toEqual(seedMatrix.services.map(() => ["metric", [95, 95]]));
    });
  }
});

describe.each(environmentNames)("%s monitors work as Datadog works", (name) => {
  const e = seedMatrix.environments[name];
  // docs.datadoghq.com/tracing/metrics/metrics_namespace: trace metrics carry env, service, version, resource
  // (resource_name), http.status_code, http.status_class, host tags and the second primary tag, nothing else
  const TRACE_METRIC_TAGS = ["env", "service", "version", "resource", "resource_name", "http.status_code", "http.status_class", "host"];
  const carried = new Set([...TRACE_METRIC_TAGS, org.datadog.apmSecondPrimaryTag.key]);
  const queries = [
    ...allMonitors(name).map((m) => m.query as string),
    ...Object.values<any>(resources(stacks[name], "datadog_service_level_objective")).flatMap((s) =>
      s.query ? [s.query.numerator, s.query.denominator] : s.sli_specification.time_slice.query.query.map((q: any) => q.metric_query.query),
    ),
  ];

  it("no query filters trace metrics on a tag trace metrics do not carry", () => {
    const filters = queries.flatMap((q) => [...q.matchAll(/trace\.[a-z0-9_.]+\{([^}]*)\}/g)].map((m) => m[1]));
    expect(filters.length).toBeGreaterThan(0);
    for (const f of filters) for (const tag of f.split(",")) expect([tag, carried.has(tag.split(":")[0])]).toEqual([tag, true]);
  });

  (e.canaryGate ? it : it.skip)("no gate monitor notifies on the missing data of series that exist only during a rollout, or tells on-call", () => {
    expect(gates(name)).toHaveLength(2 * seedMatrix.services.length);
    for (const m of gates(name)) {
      expect(m.notify_no_data).not.toBe(true);
      expect(m.on_missing_data ?? "show_no_data").toBe("show_no_data");
      expect(m.message).not.toContain(org.datadog.pagerHandle);
      expect(m.message).not.toContain(org.datadog.chatHandle);
      expect(m.message).toContain(org.datadog.gateHandle);
    }
  });

  (e.canaryGate ? it : it.skip)("the error gate never divides by the stable error rate (usually 0): it subtracts, in errors beyond the environment's allowance", () => {
    const errorGate = gates(name).find((m) => m.name.includes("errors beyond"))!;
    const stableErrors = new RegExp(`/ \\( sum:trace\\.[a-z.]+\\.errors\\{[^}]*${org.datadog.apmSecondPrimaryTag.stable}`);
    expect(errorGate.query).not.toMatch(stableErrors);
    expect(Number(queryThreshold(errorGate.query))).toBe(e.canaryGate!.minExcessErrors);
  });

  (e.canaryGate ? it : it.skip)("the error gate, evaluated as Datadog does (each count totalled over the window, then the arithmetic): a healthy canary's chance errors pass at every step, a bad canary blocks", () => {
    const errorGate = gates(name).find((m) => m.name.includes("errors beyond"))!;
    const parsed = parseMonitorQuery(errorGate.query);
    const { key, canary } = org.datadog.apmSecondPrimaryTag;
    // the stable at half the error threshold; requests in one window, canary and stable (a 1% and a 50% step)
    const stableRate = e.alerts.errorRatePercent / 100 / 2;
    const alerts = (canaryHits: number, canaryErrors: number, stableHits: number) =>
      evaluate(parsed.expression, (t) => {
        const ofCanary = t.tags[key] === canary;
        const hits = ofCanary ? canaryHits : stableHits;
        return t.metric.endsWith(".hits") ? hits : ofCanary ? canaryErrors : stableHits * stableRate;
      }) > parsed.threshold;
    // one error among 600 canary requests (0.17%, far above the 0.005-point allowance): chance, not a regression
    expect(alerts(600, 1, 59400)).toBe(false);
    // a healthy canary at a 50% step: its expected errors and a few more
    expect(alerts(30000, Math.round(30000 * stableRate) + e.canaryGate!.minExcessErrors, 30000)).toBe(false);
    // a canary failing 2% of 600 requests, and one at twice the stable's rate at a 50% step
    expect(alerts(600, 12, 59400)).toBe(true);
    expect(alerts(30000, 2 * Math.round(30000 * stableRate) + e.canaryGate!.minExcessErrors, 30000)).toBe(true);
    // exactly the allowance's worth plus minExcessErrors is not above it
    const allowed = 30000 * (stableRate + (e.canaryGate!.maxErrorRateIncreasePercent * e.alerts.errorRatePercent) / 100 / 100);
    expect(alerts(30000, allowed + e.canaryGate!.minExcessErrors, 30000)).toBe(false);
    expect(alerts(30000, allowed + e.canaryGate!.minExcessErrors + 0.5, 30000)).toBe(true);
  });
});

describe("across environments", () => {
  const critical = (name: string, what: string) => Number(monitorFor(name, "api", what).monitor_thresholds.critical);

  it.each(["error rate", "p99 latency", "CPU"])("%s thresholds only get stricter dev → staging → prod", (what) => {
    const [dev, staging, prod] = seedMatrix.promotionOrder.map((n) => critical(n, what));
    expect(staging).toBeLessThan(dev);
    expect(prod).toBeLessThan(staging);
  });

  it("hotfix is watched exactly as prod", () => {
    for (const what of ["error rate", "p99 latency", "CPU"]) expect(critical("hotfix", what)).toBe(critical("prod", what));
  });

  it("dev's monitors carry no notification handle", () => {
    expect(monitors("dev").length).toBeGreaterThan(0);
    for (const m of monitors("dev")) expect(m.message).not.toMatch(/@[\w.-]+/);
  });

  it("prod's and hotfix's alerts go by DESIGN.md's tiers: failing requests page on-call, slow ones open a ticket, CPU is logged for investigation", () => {
    for (const name of ["prod", "hotfix"]) {
      const byKind = (suffix: string) => monitors(name).filter((m) => m.name.endsWith(suffix));
      for (const m of byKind(" error rate")) expect([handlesOf([m.message]), m.priority, m.tags]).toEqual([[org.datadog.pagerHandle, org.datadog.chatHandle].sort(), "1", expect.arrayContaining(["alert-tier:critical"])]);
      for (const m of byKind(" p99 latency")) expect([handlesOf([m.message]), m.priority, m.tags]).toEqual([[org.datadog.ticketHandle], "2", expect.arrayContaining(["alert-tier:high"])]);
      for (const m of byKind(" CPU")) {
        expect(m.message).not.toMatch(/@[\w.-]+/);
        expect([m.priority, m.tags]).toEqual(["3", expect.arrayContaining(["alert-tier:medium"])]);
      }
    }
  });

  it("each notification reaches whom it concerns: on-call is paged for an alert, no data and every recovery (which resolves the incident), never a warning; a ticket opens once per alert or no data; the chat hears everything", () => {
    // who hears each kind of notification, by DESIGN.md's routing: a warning is below the page threshold, and a
    // renotification or a recovery is not a new ticket
    const heard = (message: string) => Object.fromEntries(Object.entries(NOTIFICATIONS).map(([kind, vars]) => [kind, handlesOf([renderMessage(message, new Set(vars))])]));
    const { pagerHandle: pager, chatHandle: chat, ticketHandle: ticket } = org.datadog;
    const everything = Object.keys(NOTIFICATIONS);
    const paged = ["alert", "no data", "alert recovery", "warning recovery", "no data recovery", "alert renotified", "no data renotified"];
    const ticketed = ["alert", "no data"];
    const errorRate = monitors("prod").find((m) => m.name.endsWith(" error rate"))!;
    expect(heard(errorRate.message)).toEqual(Object.fromEntries(everything.map((k) => [k, [...(paged.includes(k) ? [pager] : []), chat].sort()])));
    const latency = monitors("prod").find((m) => m.name.endsWith(" p99 latency"))!;
    expect(heard(latency.message)).toEqual(Object.fromEntries(everything.map((k) => [k, ticketed.includes(k) ? [ticket] : []])));
    // staging's chat, and the gate's webhook, hear everything
    const staging = monitors("staging")[0];
    expect(heard(staging.message)).toEqual(Object.fromEntries(everything.map((k) => [k, [chat]])));
    const gate = allMonitors("prod").find((m) => m.tags.includes("canary-gate"))!;
    expect(heard(gate.message)).toEqual(Object.fromEntries(everything.map((k) => [k, [org.datadog.gateHandle]])));
  });

  it("staging notifies chat and pages nobody", () => {
    for (const m of monitors("staging")) {
      expect(m.message).toContain(org.datadog.chatHandle);
      expect(m.message).not.toContain(org.datadog.pagerHandle);
    }
  });
});

/**
 * A parsed monitor expression's value on the as_count() evaluation path: each metric term is its total over the
 * window (`total`), then the arithmetic ("as_count() in Monitor Evaluations", docs.datadoghq.com/monitors/guide/
 * as-count-in-monitor-evaluations: "(1+2+3+4+5) / (10+10+10+10+10)").
 */
function evaluate(x: import("./monitor-query").Expression, total: (t: import("./monitor-query").MetricTerm) => number): number {
  if (x.kind === "number") return x.value;
  if (x.kind === "metric") return total(x);
  const [l, r] = [evaluate(x.left, total), evaluate(x.right, total)];
  return x.op === "+" ? l + r : x.op === "-" ? l - r : x.op === "*" ? l * r : l / r;
}
