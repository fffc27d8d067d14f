/**
 * Datadog monitors and SLOs of one environment, per service: error rate and p99 latency on APM trace
 * metrics, CPU against the limits of the service's pods in the environment's namespace; optionally the
 * canary gate and the SLOs. Every threshold is given: the query's is the critical one, the warning sits
 * below it and each recovers a little below itself, so that Datadog accepts it and nothing flaps.
 */
import { Construct } from "constructs";
import { Monitor } from "@cdktf/provider-datadog/lib/monitor";
import { ServiceLevelObjective } from "@cdktf/provider-datadog/lib/service-level-objective";
import { thresholdsAbove } from "../config/thresholds";
import { decimal, errorRatio, serviceScope, traceCount } from "../config/datadog-queries";

export interface MonitoredService {
  readonly name: string;
  readonly team: string;
  /** The service's own p99 latency threshold, instead of the environment's `latencyMs`. */
  readonly latencyMs?: number;
  /** The service's own APM operation, instead of `traceOperation`. */
  readonly traceOperation?: string;
}

/** Where one monitor goes instead of the environment's `notify` and `priority`: its alert tier's. */
export interface MonitorRoute {
  readonly notify: readonly string[];
  readonly priority: number;
  /** e.g. `alert-tier:critical`. */
  readonly tag: string;
}

export interface DatadogMonitorsProps {
  /** Value of the `env` tag (unified service tagging). */
  readonly env: string;
  /** Kubernetes namespace of the services (`kube_namespace` tag of the CPU metrics). */
  readonly namespace: string;
  readonly services: readonly MonitoredService[];
  /** Critical thresholds. */
  readonly errorRatePercent: number;
  readonly latencyMs: number;
  readonly cpuPercent: number;
  readonly warningAtPercentOfCritical: number;
  readonly recoverAtPercentOfThreshold: number;
  readonly evaluationWindowMinutes: number;
  readonly notifyNoData: boolean;
  readonly noDataTimeframeMinutes: number;
  /** 0 never re-notifies. */
  readonly renotifyMinutes: number;
  /** 1 (highest) to 5. */
  readonly priority: number;
  /** Each monitor's route where the environment has alert tiers (stacks/props.ts tierRoute); else notify and priority. */
  readonly tiers?: { readonly errorRate: MonitorRoute; readonly latency: MonitorRoute; readonly cpu: MonitorRoute };
  /** Handles notified by every monitor (`@pagerduty-…`, `@slack-…`); empty notifies nobody. */
  readonly notify: readonly string[];
  /**
   * Handles that page on-call or open a ticket, each told only what fits it (`deliver`); any other handle (chat,
   * the gate's webhook) hears every state change.
   */
  readonly handleKinds?: Readonly<Record<string, HandleKind>>;
  readonly runbookBaseUrl: string;
  /** APM operation of the trace metrics, e.g. `http.request`. */
  readonly traceOperation: string;
  /** Tags on everything besides env, service and team. */
  readonly extraTags: readonly string[];
  /** SLOs over 7 and 30 days; none when omitted. */
  readonly slo?: { readonly availabilityPercent: number; readonly latencyP99Ms: number | null };
  /** Canary-versus-stable monitors for the rollout's promotion gate; none when omitted. */
  readonly canaryGate?: {
    /** The canary's error rate may exceed the stable's by at most this many percentage points. */
    readonly maxErrorRateIncreasePoints: number;
    /** The error gate blocks only on more canary errors than this beyond what that rate predicts, in one window. */
    readonly minExcessErrors: number;
    /** The canary's average latency may exceed the stable's by at most this percentage. */
    readonly maxLatencyIncreasePercent: number;
    /** The APM second primary tag that tells canary spans from stable ones (trace metrics carry it). */
    readonly tag: { readonly key: string; readonly canary: string; readonly stable: string };
    /** Who the gate tells (the rollout's webhook), instead of `notify`: a gate is not an incident. */
    readonly notify: readonly string[];
  };
}

export type HandleKind = "page" | "ticket";

/**
 * A handle in a monitor's message, inside the conditional blocks that fit what it does. "Any text or notification
 * handle placed outside the configured conditional variables is invoked with every monitor state transition"
 * (docs.datadoghq.com/monitors/notify/variables), warnings and renotifications included (renotify_interval
 * re-sends Alert and No Data: renotify_statuses' default, @datadog/datadog-api-client MonitorOptions).
 * - page: everything but a warning (`{{^is_warning}}`): the alert, no data, their renotifications, and every
 *   recovery, which resolves the incident; a warning sits below the page threshold and would wake someone for it.
 * - ticket: an alert or no data once (`{{^is_renotify}}`, `{{^is_recovery}}`, `{{^is_warning}}`): neither a
 *   renotification every interval nor a recovery opens another ticket.
 */
export function deliver(handle: string, kind: HandleKind | undefined): string {
  if (kind === "page") return `{{^is_warning}}${handle}{{/is_warning}}`;
  if (kind === "ticket") return `{{^is_renotify}}{{^is_recovery}}{{^is_warning}}${handle}{{/is_warning}}{{/is_recovery}}{{/is_renotify}}`;
  return handle;
}

/** SLO windows every protected environment reports on. */
export const SLO_TIMEFRAMES = ["7d", "30d"] as const;

export class DatadogMonitors extends Construct {
  constructor(scope: Construct, id: string, props: DatadogMonitorsProps) {
    super(scope, id);
    for (const service of props.services) this.monitorService(new Construct(this, service.name), service, props);
  }

  private monitorService(scope: Construct, service: MonitoredService, p: DatadogMonitorsProps): void {
    const tags = [`env:${p.env}`, `service:${service.name}`, `team:${service.team}`, ...p.extraTags];
    const apm = serviceScope(p.env, service.name);
    const op = service.traceOperation ?? p.traceOperation;
    const window = `last_${p.evaluationWindowMinutes}m`;

    const monitor = (
      monitorId: string,
      what: string,
      unit: string,
      critical: number,
      query: (threshold: string) => string,
      extra: {
        tags?: readonly string[];
        describe?: string;
        notify?: readonly string[];
        missingData?: "show_no_data" | "notify_never";
        route?: MonitorRoute;
        subject?: string;
        /** No warning threshold: a gate's consumer stops on any state but OK, Warn included. */
        criticalOnly?: boolean;
        /** Hours without data after which a triggered group resolves (a group that stops reporting keeps its state). */
        timeoutHours?: number;
      } = {},
    ) => {
      const all = thresholdsAbove(critical, p.warningAtPercentOfCritical, p.recoverAtPercentOfThreshold);
      const t = extra.criticalOnly ? { critical: all.critical, criticalRecovery: all.criticalRecovery } : all;
      const notify = extra.route?.notify ?? extra.notify ?? p.notify;
      // a grouped monitor names its group ({{version.name}}: docs.datadoghq.com/monitors/notify/variables, multi alert)
      const subject = extra.subject ?? `${service.name} ${what} in ${p.env}`;
      // a gate's series exist only while a canary runs: missing data is its normal state, never an alert
      const notifiesOnNoData = extra.missingData === undefined && p.notifyNoData;
      const message = [
        `{{#is_alert}}${subject} is {{value}}${unit}, above the critical threshold of {{threshold}}${unit} (${t.critical}${unit}).{{/is_alert}}`,
        ...(extra.criticalOnly ? [] : [`{{#is_warning}}${subject} is {{value}}${unit}, above the warning threshold of {{warn_threshold}}${unit} (${all.warning}${unit}).{{/is_warning}}`]),
        `{{#is_recovery}}${subject} is back to {{value}}${unit}, below ${t.criticalRecovery}${unit}.{{/is_recovery}}`,
        // a No Data notification shows none of the blocks above (docs.datadoghq.com/monitors/notify/variables:
        // {{#is_no_data}} "the monitor is triggered for missing data"): without its own line, the page says nothing
        ...(notifiesOnNoData
          ? [`{{#is_no_data}}${subject}: no data for ${p.noDataTimeframeMinutes} minutes. The service sends none (down, scaled to zero or not deployed), or the Datadog Agent does not report it.{{/is_no_data}}`]
          : []),
        ...(extra.describe ? [extra.describe] : []),
        `Runbook: ${p.runbookBaseUrl}/${service.name}/${monitorId.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
        `Service: ${service.name} · environment: ${p.env} · team: ${service.team}`,
        ...(notify.length > 0 ? [notify.map((h) => deliver(h, p.handleKinds?.[h])).join(" ")] : []),
      ].join("\n");
      const noData =
        extra.missingData === "show_no_data"
          ? { onMissingData: "show_no_data" }
          : extra.missingData === "notify_never"
            ? { notifyNoData: false }
            : { notifyNoData: p.notifyNoData, noDataTimeframe: p.notifyNoData ? p.noDataTimeframeMinutes : undefined };
      return new Monitor(scope, monitorId, {
        name: `[${p.env}] ${service.name} ${what}`,
        type: "query alert",
        query: query(t.critical),
        message,
        monitorThresholds: t,
        priority: `${extra.route?.priority ?? p.priority}`,
        ...noData,
        renotifyInterval: p.renotifyMinutes > 0 ? p.renotifyMinutes : undefined,
        timeoutH: extra.timeoutHours,
        requireFullWindow: false,
        includeTags: true,
        tags: [...tags, ...(extra.tags ?? []), ...(extra.route ? [extra.route.tag] : [])],
      });
    };

    monitor("errorRate", "error rate", "%", p.errorRatePercent, (x) => `sum(${window}):( ${errorRatio(op, apm)} ) * 100 > ${x}`, { route: p.tiers?.errorRate });
    monitor("latency", "p99 latency", " s", (service.latencyMs ?? p.latencyMs) / 1000, (x) => `percentile(${window}):p99:trace.${op}{${apm}} > ${x}`, { route: p.tiers?.latency });
    // usage is in nanocores, limits in cores. Per version (the pods' tags.datadoghq.com/version label, which the
    // Agent tags their container metrics with): while a rollout keeps the previous version ready beside the new one
    // (config/rollout-room.ts), the idle version's limits would halve the service's ratio, and a CPU-bound new
    // version could not reach the threshold for the fallback hour. A retired version's series simply end: no data
    // is no news here (the APM monitors say when the service stops reporting), so this one never notifies on it.
    const k8s = `kube_namespace:${p.namespace},service:${service.name}`;
    monitor(
      "cpu",
      "CPU",
      "%",
      p.cpuPercent,
      (x) => `avg(${window}):( sum:kubernetes.cpu.usage.total{${k8s}} by {version} / ( sum:kubernetes.cpu.limits{${k8s}} by {version} * 1000000000 ) ) * 100 > ${x}`,
      // a rolled-back version's group that was alerting keeps Alert once its series end (a non-count query shows the
      // last known status on missing data: Datadog API, MonitorOptions on_missing_data), re-notifying: timeout_h
      // resolves a triggered group after that many hours without data ("timeout_h", docs.datadoghq.com/api/latest/monitors)
      { route: p.tiers?.cpu, missingData: "notify_never", subject: `${service.name} CPU of version {{version.name}} in ${p.env}`, timeoutHours: 1 },
    );

    if (p.canaryGate) {
      const g = p.canaryGate;
      const canary = `${apm},${g.tag.key}:${g.tag.canary}`;
      const stable = `${apm},${g.tag.key}:${g.tag.stable}`;
      // critical only: whatever promotes stops while a gate is not OK ("-status:ok"), so a warning threshold would
      // block below the matrix's limit
      const gate = {
        tags: ["canary-gate"],
        describe: `Canary gate: do not promote the canary while this monitor is not OK.`,
        notify: g.notify,
        criticalOnly: true,
      };
      // The canary's errors beyond what its requests would have at the stable's error rate plus the allowance (in
      // points), counted over the window: canary errors − canary hits × (stable errors / stable hits + points / 100).
      // Above 0 is a canary worse than the allowance; the gate blocks above minExcessErrors, not above 0: the
      // allowance is a fraction of the error threshold (0.005 points in prod), less than one error below 20,000
      // canary requests, so one chance error of a healthy canary at a 1% step would block it. With `.as_count()`
      // each term is totalled over the window before the arithmetic ("as_count() in Monitor Evaluations",
      // docs.datadoghq.com/monitors/guide/as-count-in-monitor-evaluations). Never a ratio to the stable's error rate
      // (usually 0); a count-based query whose missing data (no canary running) shows as No Data, notifying nobody.
      const allowance = decimal(g.maxErrorRateIncreasePoints / 100);
      monitor(
        "canaryErrorRate",
        "canary errors beyond the stable's rate",
        " errors",
        g.minExcessErrors,
        (x) =>
          `sum(${window}):( ${traceCount(op, "errors", canary)} ) - ( ${traceCount(op, "hits", canary)} ) * ( ( ${errorRatio(op, stable)} ) + ${allowance} ) > ${x}`,
        { ...gate, missingData: "show_no_data" },
      );
      // Average latency from the latency distribution trace.<op>, which carries the additional primary tags and is
      // "Recommended for all latency measurement use cases" (docs.datadoghq.com/tracing/metrics/metrics_namespace).
      // Not sum(trace.<op>.duration) / sum(trace.<op>.hits): duration is a legacy GAUGE, and summed over series a
      // gauge interpolates for minutes where a sparse canary series had no span, counts do not, so the canary's
      // "average" grew with durations that never happened. The stable's average is never 0 while it serves
      // requests. An avg query: the legacy notify_no_data = false keeps it from ever notifying on no data, the one
      // setting every query form takes (which on_missing_data values Datadog accepts depends on the query:
      // docs.datadoghq.com/monitors/guide/on_missing_data).
      const avgLatency = (t: string) => `avg:trace.${op}{${t}}`;
      monitor(
        "canaryLatency",
        "canary latency increase",
        "%",
        g.maxLatencyIncreasePercent,
        (x) => `avg(${window}):( ( ${avgLatency(canary)} ) / ( ${avgLatency(stable)} ) - 1 ) * 100 > ${x}`,
        { ...gate, missingData: "notify_never" },
      );
    }

    if (p.slo) {
      const thresholds = SLO_TIMEFRAMES.map((timeframe) => ({ timeframe, target: p.slo!.availabilityPercent }));
      const hits = traceCount(op, "hits", apm);
      new ServiceLevelObjective(scope, "availabilitySlo", {
        name: `[${p.env}] ${service.name} availability`,
        type: "metric",
        description: `Share of ${service.name} requests in ${p.env} that do not fail.`,
        query: { numerator: `${hits} - ${traceCount(op, "errors", apm)}`, denominator: hits },
        thresholds,
        tags,
      });
      if (p.slo.latencyP99Ms !== null) new ServiceLevelObjective(scope, "latencySlo", {
        name: `[${p.env}] ${service.name} p99 latency under ${p.slo!.latencyP99Ms} ms`,
        type: "time_slice",
        description: `Share of 5-minute slices in which ${service.name}'s p99 latency in ${p.env} stays under ${p.slo!.latencyP99Ms} ms.`,
        sliSpecification: {
          timeSlice: {
            comparator: "<",
            threshold: p.slo!.latencyP99Ms! / 1000,
            queryIntervalSeconds: 300,
            query: {
              formula: { formulaExpression: "query1" },
              query: [{ metricQuery: { name: "query1", dataSource: "metrics", query: `p99:trace.${op}{${apm}}` } }],
            },
          },
        },
        thresholds,
        tags,
      });
    }
  }
}
