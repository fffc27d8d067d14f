/**
 * The arithmetic that turns the matrix's alert settings into the numbers Datadog reads: one definition, used by
 * the stack (through the monitors construct) and by the README's tables, beside the matrix rather than in a
 * construct.
 */

/** A threshold as Datadog reads it: no floating-point noise (0.1 × 0.8 is 0.08, not 0.08000000000000002). */
export function thresholdNumber(n: number): string {
  return String(Number(n.toFixed(6)));
}

export interface Thresholds {
  readonly critical: string;
  readonly warning: string;
  readonly criticalRecovery: string;
  readonly warningRecovery: string;
}

/** Thresholds for an "above is bad" monitor: warning below critical, each recovering below itself. */
export function thresholdsAbove(critical: number, warningAtPercent: number, recoverAtPercent: number): Thresholds {
  const warning = (critical * warningAtPercent) / 100;
  return {
    critical: thresholdNumber(critical),
    warning: thresholdNumber(warning),
    criticalRecovery: thresholdNumber((critical * recoverAtPercent) / 100),
    warningRecovery: thresholdNumber((warning * recoverAtPercent) / 100),
  };
}

/**
 * The canary gate's error-rate allowance in percentage points: "error-rate change < 5%" of the environment's
 * error threshold, so 5% of 0.1% is 0.005 points.
 */
export function canaryErrorRateAllowancePoints(maxErrorRateIncreasePercent: number, errorRatePercent: number): number {
  return Number(((maxErrorRateIncreasePercent * errorRatePercent) / 100).toFixed(6));
}
