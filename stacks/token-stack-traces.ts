/** Loaded by main.ts (`cdktf synth`), the CLI and the tests' first setup file alike, before cdktf: it imports nothing. */

/**
 * cdktf and constructs record a full stack trace (Error.stackTraceLimit lifted to MAX_SAFE_INTEGER) for every
 * token and construct they create: `Error.captureStackTrace` on a plain `{ stack: "" }` object
 * (cdktf/lib/tokens/private/stack-trace.js, constructs/lib/private/stack-trace.js). Nothing synthesized holds
 * them (stackTraces: false keeps them out of manifest.json); cdktf prints one only in the message of a token that
 * fails to resolve. Such captures are skipped, and the object keeps its empty stack, which both libraries read as
 * "no trace". Every Error's own stack is captured as always.
 */
export function skipTokenStackTraces(): void {
  const capture = Error.captureStackTrace;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  Error.captureStackTrace = (target: object, below?: Function) => {
    const onlyStack = !(target instanceof Error) && Object.keys(target).length === 1 && (target as { stack?: unknown }).stack === "";
    if (!onlyStack) capture(target, below);
  };
}

/**
 * Settings of a process that synthesizes (`cdktf synth`; the CLI: compare, adopt, preflight, stacks-to-plan),
 * unless ENVMATRIX_DEBUG=1 (which keeps them for debugging a crash):
 * - cdktf records a full stack trace for every token it creates; with the transpiler's source maps on, mapping
 *   those frames costs a quarter of a large synth, and nothing reads them: source maps off.
 * - those traces themselves (skipTokenStackTraces above): a sixth of a synth at 500 services (bench/bench.ts, --cpu-prof).
 */
export function prepareSynthProcess(): void {
  if (process.env.ENVMATRIX_DEBUG) return;
  process.setSourceMapsEnabled(false);
  skipTokenStackTraces();
}
