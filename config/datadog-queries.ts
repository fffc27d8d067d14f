/**
 * The Datadog metric queries an environment is measured with, defined once: the monitors (constructs/
 * datadog-monitors.ts) alert on them and the promotion gates (review/gate.ts) read them through the metrics API,
 * so a gate measures exactly what the environment's monitor watches.
 */

/** The tags that scope a service's APM metrics in an environment (unified service tagging: env and service). */
export const serviceScope = (env: string, service: string): string => `env:${env},service:${service}`;

/** A trace metric of the APM operation as a count: `errors` or `hits` (docs.datadoghq.com/tracing/metrics/metrics_namespace). */
export const traceCount = (operation: string, metric: "errors" | "hits", scope: string): string => `sum:trace.${operation}.${metric}{${scope}}.as_count()`;

/** Errors / requests of the operation within `scope`, the error-rate monitor's ratio. */
export const errorRatio = (operation: string, scope: string): string => `${traceCount(operation, "errors", scope)} / ${traceCount(operation, "hits", scope)}`;

/**
 * A number as a monitor query writes it: plain decimal digits, never JavaScript's exponent form (`5e-7`), which a
 * query's number is not; up to 10 decimals.
 */
export const decimal = (n: number): string => {
  const fixed = n.toFixed(10);
  return fixed.includes(".") ? fixed.replace(/0+$/, "").replace(/\.$/, "") : fixed;
};

/** Tags of the deployment events envmatrix reports for an environment (review/deployment-report.ts); its dashboard counts and lists them. */
export const deploymentEventTags = (env: string): string[] => [`env:${env}`, "deployment", "managed-by:envmatrix"];
