/**
 * Each environment's Datadog dashboard: one per environment stack, the same layout everywhere, valid against the
 * Datadog API client's models (the shapes POST /api/v1/dashboard takes), its markers at the matrix's alert
 * thresholds and at the quota the namespace's ResourceQuota enforces; a threshold change in one environment
 * changes that environment's dashboard only.
 */
import { loadMatrix } from "../config";
import { datadogModelProblems } from "../review/datadog-models";
import { dashboardDefinition } from "../constructs/datadog-dashboard";
import { editableDefinition, environmentNames, resources, seedMatrix, synthEnvironment } from "./helpers";

type Json = Record<string, any>;
const dashboards = Object.fromEntries(environmentNames.map((e) => [e, resources(synthEnvironment(e), "datadog_dashboard_json")]));
const dashboardOf = (e: string): Json => JSON.parse(Object.values<Json>(dashboards[e])[0].dashboard);

/** Every widget, groups' inner ones after their group, with where it sits. */
const widgets = (d: Json): Json[] => d.widgets.flatMap((w: Json) => [w, ...(w.definition.widgets ?? [])]);
/** The layout: each widget's type, title and place, with the environment's name taken out. */
const layout = (e: string) =>
  widgets(dashboardOf(e)).map((w) => ({ type: w.definition.type, title: String(w.definition.title ?? "").replaceAll(e, "<env>"), layout: w.layout }));
const find = (e: string, title: string) => widgets(dashboardOf(e)).find((w) => w.definition.title === title)!.definition;
const markerValues = (def: Json) => (def.markers ?? []).map((m: Json) => Number(/^y = (.+)$/.exec(m.value)![1]));

describe("one dashboard per environment", () => {
  it.each(environmentNames)("%s: exactly one, titled after the environment", (e) => {
    expect(Object.keys(dashboards[e])).toEqual(["dashboard"]);
    expect(dashboardOf(e).title).toBe(`[${e}] envmatrix`);
  });

  it.each(environmentNames)("%s: valid against the Datadog API client's Dashboard model (no unknown key, type or enumeration value)", (e) => {
    expect(datadogModelProblems(dashboardOf(e), "Dashboard")).toEqual([]);
  });

  it("the model check can fail: a widget type Datadog does not have, a misspelt key, a missing required field", () => {
    const typo = dashboardOf("prod");
    typo.widgets[0].definition.widgets[0].definition.type = "timeseriez";
    expect(datadogModelProblems(typo, "Dashboard")).toEqual([expect.stringMatching(/^Dashboard\.widgets\[0\]\.definition: not a value the model knows/)]);
    expect(datadogModelProblems({ ...dashboardOf("prod"), layoutType: "ordered" }, "Dashboard")).toEqual(["Dashboard: keys the model does not declare: layoutType"]);
    const { title: _t, ...untitled } = dashboardOf("prod");
    expect(datadogModelProblems(untitled, "Dashboard")).toEqual(["Dashboard: missing required property 'title'"]);
    // the value the model could not read, quoted (its first 120 characters); a misspelt key deep inside, at its own path
    expect(datadogModelProblems(typo, "Dashboard")[0]).toMatch(/not a value the model knows \(\{"type":"group",.{100,}\)$/);
    const deep = dashboardOf("prod");
    deep.widgets[0].definition.widgets[0].definition.titel = "x";
    expect(datadogModelProblems(deep, "Dashboard")).toEqual(["Dashboard.widgets[0].definition.widgets[0].definition: keys the model does not declare: titel"]);
  });

  it.each(environmentNames)("%s: every widget has its place (fixed reflow needs one), inside the 12-column grid, none overlapping another of its group", (e) => {
    const d = dashboardOf(e);
    expect(d.reflow_type).toBe("fixed");
    const check = (ws: Json[]) => {
      for (const w of ws) {
        expect(Object.keys(w.layout ?? {}).sort()).toEqual(["height", "width", "x", "y"]);
        expect(w.layout.x + w.layout.width).toBeLessThanOrEqual(12);
      }
      for (const [i, a] of ws.entries())
        for (const b of ws.slice(i + 1)) {
          const apart = a.layout.x + a.layout.width <= b.layout.x || b.layout.x + b.layout.width <= a.layout.x || a.layout.y + a.layout.height <= b.layout.y || b.layout.y + b.layout.height <= a.layout.y;
          expect({ a: a.definition.title, b: b.definition.title, apart }).toEqual({ a: a.definition.title, b: b.definition.title, apart: true });
        }
    };
    check(d.widgets);
    for (const g of d.widgets) check(g.definition.widgets);
  });

  it("has the same layout in every environment: widget for widget, type, title and place", () => {
    const reference = layout("prod");
    expect(reference.length).toBeGreaterThan(10);
    for (const e of environmentNames) expect({ e, layout: layout(e) }).toEqual({ e, layout: reference });
  });

  it.each(environmentNames)("%s: a service template variable over the matrix's services, used by the APM and Kubernetes queries", (e) => {
    const d = dashboardOf(e);
    expect(d.template_variables).toEqual([{ name: "service", prefix: "service", available_values: seedMatrix.services.map((s) => s.name), defaults: ["*"] }]);
    expect(find(e, "Requests per second").requests[0].q).toContain(`{env:${e},$service}`);
    expect(find(e, "CPU used (cores)").requests[0].q).toContain(`{kube_namespace:${seedMatrix.environments[e].identity.namespace},$service}`);
  });
});

describe("the environment's values", () => {
  it.each(environmentNames)("%s: latency and error-rate markers at the matrix's alert thresholds", (e) => {
    const a = seedMatrix.environments[e].alerts;
    expect(markerValues(find(e, "Latency (s): p50, p95, p99"))).toEqual([a.latencyMs / 1000]);
    expect(markerValues(find(e, "Error rate by resource (%)"))).toEqual([a.errorRatePercent]);
    // the monitors' trace metric, at the three percentiles
    expect(find(e, "Latency (s): p50, p95, p99").requests.map((r: Json) => r.q.split(":")[0])).toEqual(["p50", "p95", "p99"]);
  });

  it.each(environmentNames)("%s: CPU and memory markers at the ResourceQuota the stack writes (cores, GiB)", (e) => {
    const quota = Object.values<Json>(resources(synthEnvironment(e), "kubernetes_resource_quota_v1"))[0].spec.hard;
    // Kubernetes quantities as the stack writes them: cores or millicores, Mi or Gi
    const [, c, milli] = /^(\d+)(m?)$/.exec(quota["limits.cpu"])!;
    const cores = Number(c) / (milli ? 1000 : 1);
    const [, mem, unit] = /^(\d+)(Mi|Gi)$/.exec(quota["limits.memory"])!;
    const gib = Number(mem) / (unit === "Mi" ? 1024 : 1);
    expect(markerValues(find(e, "CPU used (cores)"))).toEqual([Number(cores.toFixed(4))]);
    expect(markerValues(find(e, "Memory used (GiB)"))).toEqual([Number(gib.toFixed(4))]);
  });

  it.each(environmentNames)("%s: SLOs, monitors and deployments of this environment only", (e) => {
    expect(find(e, "SLOs and error budget").requests[0].query.query_string).toBe(`env:${e} managed-by:envmatrix`);
    expect(find(e, "Monitors").query).toBe(`tag:"env:${e}" tag:"managed-by:envmatrix"`);
    expect(find(e, "Recent deployments").requests[0].query.query_string).toBe(`tags:env:${e} tags:deployment tags:managed-by:envmatrix`);
    expect(find(e, "Requests per second").events).toEqual([{ q: `tags:env:${e} tags:deployment tags:managed-by:envmatrix` }]);
  });

  it.each(environmentNames)("%s: the deployments list shows each event's time and title", (e) => {
    // Datadog API, ListStreamWidgetRequest: `columns` is required, each a ListStreamColumn {field, width: auto |
    // compact | full}; an event_stream query lists events, small (`event_size: "s"`: one line each) or large
    const { columns, response_format: format, query } = find(e, "Recent deployments").requests[0];
    expect(format).toBe("event_list");
    expect(query).toMatchObject({ data_source: "event_stream", event_size: "s" });
    expect(columns).toEqual([
      { field: "timestamp", width: "auto" },
      { field: "title", width: "auto" },
    ]);
  });

  it.each(environmentNames)("%s: the deploy success rate counts the events review/deployment-report.ts sends on success (outcome:success) among all of them", (e) => {
    const rate = find(e, "Deploy success rate (%)").requests[0];
    const all = `tags:env:${e} tags:deployment tags:managed-by:envmatrix`;
    expect(rate.queries.map((q: Json) => [q.name, q.search.query, q.compute.aggregation])).toEqual([
      ["succeeded", `${all} tags:outcome:success`],
      ["all", all],
    ].map(([name, query]) => [name, query, "count"]));
    expect(rate.formulas).toEqual([{ formula: "100 * succeeded / all" }]);
  });

  it.each(environmentNames)("%s: reads as a person needs it: titled groups, legends, named percentiles, labelled markers, no empty monitor statuses, and a description naming the environment", (e) => {
    const d = dashboardOf(e);
    const a = seedMatrix.environments[e].alerts;
    expect(d.description).toMatch(new RegExp(`^The ${e} environment .*namespace ${seedMatrix.environments[e].identity.namespace}\\).*overwritten by the next apply\\.$`));
    expect(d.widgets.map((g: Json) => [g.definition.type, g.definition.show_title])).toEqual(d.widgets.map(() => ["group", true]));
    const timeseries = widgets(d).filter((w) => w.definition.type === "timeseries").map((w) => w.definition);
    expect(timeseries.map((t) => t.show_legend)).toEqual(timeseries.map(() => true));
    // the legend names each percentile line (its formula alias), not the whole query
    const latency = find(e, "Latency (s): p50, p95, p99");
    expect(latency.requests.map((r: Json) => r.metadata)).toEqual(latency.requests.map((r: Json) => [{ expression: r.q, alias_name: r.q.split(":")[0] }]));
    expect(find(e, "Requests per second").requests[0].metadata).toBeUndefined();
    expect(latency.markers.map((m: Json) => m.label)).toEqual([`alert: p99 above ${a.latencyMs} ms`]);
    expect(find(e, "Error rate by resource (%)").markers.map((m: Json) => m.label)).toEqual([`alert: above ${a.errorRatePercent}%`]);
    // only the widgets that have markers or events carry the keys (an empty list draws nothing)
    expect(timeseries.filter((t) => "markers" in t).map((t) => t.title)).toEqual(timeseries.filter((t) => t.title !== "Requests per second").map((t) => t.title));
    expect(timeseries.filter((t) => "events" in t).map((t) => t.title)).toEqual(["Requests per second"]);
    expect(find(e, "Monitors")).toMatchObject({ summary_type: "monitors", hide_zero_counts: true });
  });

  it("on its own, from plain props: the deployment events drawn on the requests widget only, as an event search of their tags", () => {
    const d = dashboardDefinition({
      env: "qa", namespace: "shop-qa", services: ["cart"], traceOperations: [{ operation: "http.request", services: ["cart"] }], errorRatePercent: 1, latencyMs: 500,
      quota: { cpuMillicores: 2000, memoryMiB: 4096 }, objectTags: ["env:qa"], deploymentTags: ["env:qa", "deployment"],
    });
    const timeseries = widgets(d).filter((w) => w.definition.type === "timeseries").map((w) => w.definition);
    expect(timeseries.filter((t) => "events" in t).map((t) => [t.title, t.events])).toEqual([["Requests per second", [{ q: "tags:env:qa tags:deployment" }]]]);
  });

  it("with services of two APM operations, draws each line per operation, named after it where that tells them apart", () => {
    const props = {
      env: "qa", namespace: "shop-qa", services: ["cart", "orders"], errorRatePercent: 1, latencyMs: 500,
      quota: { cpuMillicores: 2000, memoryMiB: 4096 }, objectTags: ["env:qa"], deploymentTags: ["env:qa", "deployment"],
    };
    const queries = (d: Json, title: string) => widgets(d).find((w) => w.definition.title === title)!.definition.requests.map((r: Json) => [r.q, r.metadata?.[0]?.alias_name]);
    // cart is a Node service (web.request), orders not: each line leaves out the other operation's services (cart's
    // http.request spans are its outgoing calls)
    const two = dashboardDefinition({ ...props, traceOperations: [{ operation: "http.request", services: ["orders"] }, { operation: "web.request", services: ["cart"] }] });
    expect(queries(two, "Requests per second").map(([q]: string[]) => q)).toEqual(["sum:trace.http.request.hits{env:qa,$service,!service:cart} by {service}.as_rate()", "sum:trace.web.request.hits{env:qa,$service,!service:orders} by {service}.as_rate()"]);
    expect(queries(two, "Latency (s): p50, p95, p99").map(([, alias]: string[]) => alias)).toEqual(["p50 http.request", "p95 http.request", "p99 http.request", "p50 web.request", "p95 web.request", "p99 web.request"]);
    expect(queries(two, "Error rate by resource (%)")).toHaveLength(2);
    const one = dashboardDefinition({ ...props, traceOperations: [{ operation: "http.request", services: ["cart", "orders"] }] });
    expect(queries(one, "Requests per second").map(([q]: string[]) => q)).toEqual(["sum:trace.http.request.hits{env:qa,$service} by {service}.as_rate()"]);
    expect(queries(one, "Latency (s): p50, p95, p99").map(([, alias]: string[]) => alias)).toEqual(["p50", "p95", "p99"]);
  });

  it("a threshold changed in staging changes staging's dashboard, at that marker only, and no other environment's", () => {
    const def = editableDefinition();
    def.environments.staging.alerts.latencyMs = seedMatrix.environments.staging.alerts.latencyMs + 250;
    const edited = loadMatrix(def);
    for (const e of environmentNames) {
      const after = resources(synthEnvironment(e, edited), "datadog_dashboard_json");
      if (e !== "staging") expect({ e, same: after.dashboard.dashboard === dashboards[e].dashboard.dashboard }).toEqual({ e, same: true });
    }
    const staging = JSON.parse(resources(synthEnvironment("staging", edited), "datadog_dashboard_json").dashboard.dashboard);
    expect(markerValues(widgets(staging).find((w) => w.definition.title === "Latency (s): p50, p95, p99")!.definition)).toEqual([(seedMatrix.environments.staging.alerts.latencyMs + 250) / 1000]);
    // everything else as before
    const strip = (d: Json) => JSON.stringify(d).replace(/"y = [0-9.]+","display_type":"error dashed","label":"alert: p99 above \d+ ms"/, "");
    expect(strip(staging)).toBe(strip(dashboardOf("staging")));
  });
});

describe("the README's picture of prod's dashboard (npm run dashboard-picture)", () => {
  it("is what prod's synthesized dashboard draws, box for box", () => {
    const { dashboardSvg, pictureFile, synthesizedDashboard } = require("../scripts/dashboard-picture");
    expect(require("node:fs").readFileSync(pictureFile("prod"), "utf8")).toBe(dashboardSvg(synthesizedDashboard("prod")));
    expect(require("node:fs").readFileSync(require("node:path").join(__dirname, "..", "README.md"), "utf8")).toContain("![prod's dashboard layout](docs/dashboard-prod.svg)");
  });

  it("draws a widget where its layout puts it: Memory used at column 6 of 12, half the width", () => {
    const { dashboardSvg } = require("../scripts/dashboard-picture");
    const svg: string = dashboardSvg(dashboardOf("prod"));
    // 8 px margin, 84 px a column, 6 px inset: x = 8 + 6 × 84 + 6, width = 6 × 84 - 12
    const box = /<rect x="(\d+)" y="\d+" width="(\d+)"[^>]*\/>\n<text [^>]*>Memory used \(GiB\)</.exec(svg)!;
    expect([Number(box[1]), Number(box[2])]).toEqual([518, 492]);
  });

  it("writes a picture, then --check accepts it; --check refuses another file's content, or none, naming the command to run", () => {
    const fs = require("node:fs") as typeof import("node:fs");
    const path = require("node:path") as typeof import("node:path");
    const { runDashboardPicture, dashboardSvg, synthesizedDashboard } = require("../scripts/dashboard-picture");
    const dir = fs.mkdtempSync(path.join(require("node:os").tmpdir(), "envmatrix-picture-test-"));
    // each drawing synthesizes in a folder of its own, which must not outlive it
    const made = jest.spyOn(fs, "mkdtempSync");
    try {
      const lines: string[] = [];
      const io = { log: (l: string) => lines.push(`log: ${l}`), error: (l: string) => lines.push(`error: ${l}`), file: (env: string) => path.join(dir, "docs", `${env}.svg`) };
      const file = io.file("staging");
      const shown = path.relative(process.cwd(), file);
      // no file yet
      expect(runDashboardPicture(["staging", "--check"], io)).toBe(1);
      expect(lines.splice(0)).toEqual([`error: ${shown} is not what staging's dashboard draws: npm run dashboard-picture -- staging`]);
      expect(runDashboardPicture(["staging"], io)).toBe(0);
      expect(lines.splice(0)).toEqual([`log: ${shown}: staging's dashboard layout`]);
      expect(fs.readFileSync(file, "utf8")).toBe(dashboardSvg(synthesizedDashboard("staging")));
      expect(runDashboardPicture(["--check", "staging"], io)).toBe(0);
      expect(lines).toEqual([]);
      fs.appendFileSync(file, "<!-- edited -->");
      expect(runDashboardPicture(["staging", "--check"], io)).toBe(1);
      expect(lines.splice(0)).toHaveLength(1);
      const folders = made.mock.results.map((r) => r.value as string);
      expect(folders.length).toBeGreaterThanOrEqual(4);
      expect(folders.filter((f) => fs.existsSync(f))).toEqual([]);
    } finally {
      made.mockRestore();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("on any layout: each widget's box inside its group's, no two overlapping, its text lines inside it and cut to its width", () => {
    const { dashboardSvg } = require("../scripts/dashboard-picture");
    const long = `sum:trace.http.request.hits{env:prod,service:api}.as_count() ${"x".repeat(120)}`;
    const widget = (title: string, x: number, y: number, width: number, height: number, definition: Record<string, unknown>) => ({
      layout: { x, y, width, height },
      definition: { title, type: "timeseries", ...definition },
    });
    const d = {
      title: "picture",
      template_variables: [{ name: "service", available_values: ["api"] }],
      widgets: [
        {
          // a group two columns in, two rows of widgets
          layout: { x: 2, y: 0, width: 10, height: 5 },
          definition: {
            title: "group",
            widgets: [
              widget("left", 0, 0, 5, 2, { requests: [{ q: long, queries: [{ name: "q1", data_source: "metrics", compute: { aggregation: "sum" } }, { name: "q2", data_source: "events" }], formulas: [{ formula: `q1 * 100 ${"+ q1 ".repeat(30)}` }] }] }),
              widget("right", 5, 0, 5, 2, { requests: [{ query: { data_source: "logs", query_string: "status:error" } }, { formulas: [{ formula: "f".repeat(70) }] }], markers: [{ value: "y = 1", label: "SLO" }] }),
              widget("below", 0, 2, 10, 2, { query: "avg:kubernetes.cpu.usage.total{*}", events: [{ q: "tags:deployment" }], requests: Array.from({ length: 12 }, (_, i) => ({ q: `metric.${i}{a:b}` })) }),
            ],
          },
        },
      ],
    };
    const svg: string = dashboardSvg(d);
    const rects = [...svg.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"[^>]*\/>/g)].map((m) => m.slice(1, 5).map(Number));
    const [group, ...boxes] = rects;
    // the group two columns in (8 px margin, 84 px a column)
    expect(group[0]).toBe(8 + 2 * 84);
    expect(boxes).toHaveLength(3);
    const inside = (a: number[], b: number[]) => a[0] >= b[0] && a[1] >= b[1] && a[0] + a[2] <= b[0] + b[2] && a[1] + a[3] <= b[1] + b[3];
    const overlap = (a: number[], b: number[]) => a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];
    for (const b of boxes) expect(inside(b, group)).toBe(true);
    expect([overlap(boxes[0], boxes[1]), overlap(boxes[0], boxes[2]), overlap(boxes[1], boxes[2])]).toEqual([false, false, false]);
    // the second row of widgets below the first
    expect(boxes[2][1]).toBeGreaterThanOrEqual(boxes[0][1] + boxes[0][3]);
    // each widget's description lines (10 px text) inside its box, at most as wide as it (about 5.6 px a character)
    const texts = [...svg.matchAll(/<text x="([\d.]+)" y="([\d.]+)" font-size="10" fill="#33334a">([^<]*)<\/text>/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]), text: m[3] }));
    const of = (b: number[]) => texts.filter((t) => t.x > b[0] && t.x < b[0] + b[2] && t.y > b[1] && t.y < b[1] + b[3]);
    expect(of(boxes[0]).length + of(boxes[1]).length + of(boxes[2]).length).toBe(texts.length);
    for (const b of boxes) for (const t of of(b)) expect(t.text.length * 5.6).toBeLessThanOrEqual(b[2]);
    // what each line says: the metric with its scope hidden, the query's parts, the formula, the marker, the events
    const left = of(boxes[0]).map((t) => t.text);
    // a metric query cut to 60 characters; a line longer than the box cut to it, with an ellipsis
    expect(left[0]).toBe(`sum:trace.http.request.hits{…}.as_count() ${"x".repeat(120)}`.slice(0, 60));
    expect(left.slice(1, 3)).toEqual(["q1: metrics sum", "q2: events"]);
    expect(left[3]).toMatch(/^= q1 \* 100 (\+ q1 )+.*…$/);
    // a line that fits (72 characters: 403 px of a 408 px box) is whole
    expect(of(boxes[1]).map((t) => t.text)).toEqual(["logs: status:error", `= ${"f".repeat(70)}`, "marker y = 1 (SLO)"]);
    expect(boxes[1][2]).toBe(5 * 84 - 12);
    // more lines than fit: the first ones, as many as the box holds below its title (2 rows of 56 px)
    const below = of(boxes[2]).map((t) => t.text);
    expect(below[0]).toBe("metric.0{…}");
    expect(below.length).toBeLessThan(12);
    expect(Math.max(...of(boxes[2]).map((t) => t.y))).toBeLessThan(boxes[2][1] + boxes[2][3]);
    expect(Math.max(...of(boxes[2]).map((t) => t.y)) + 13).toBeGreaterThan(boxes[2][1] + boxes[2][3] - 6);
  });

  it("escapes what SVG text cannot hold as is: &, <, > and quotes", () => {
    const { dashboardSvg } = require("../scripts/dashboard-picture");
    const svg: string = dashboardSvg({ title: 'a "b" & <c>', template_variables: [], widgets: [] });
    expect(svg).toContain(">a &quot;b&quot; &amp; &lt;c&gt;</text>");
  });

  it("draws every widget at its place: one box per widget, the titles in the dashboard's order", () => {
    const { dashboardSvg } = require("../scripts/dashboard-picture");
    const d = dashboardOf("prod");
    const svg: string = dashboardSvg(d);
    const titles = [...svg.matchAll(/font-weight="bold" fill="#(?:632ca6|1d1d26)">([^<]+)<\/text>/g)].map((m) => m[1].replace(/&amp;/g, "&"));
    expect(titles).toEqual([d.title, ...widgets(d).map((w) => w.definition.title)]);
  });
});
