/**
 * A full garbage collection after each stack is written, once the heap holds more than COLLECT_ABOVE_BYTES.
 *
 * Why: while cdktf resolves a stack, its whole resolved tree stays alive until the stack's file is written, long
 * enough for V8's young-generation collections to promote most of it to the old generation. Nothing then collects
 * the old generation during a synth (V8 grows its limit first), so each stack's tree stays in memory as garbage
 * and the peak grows faster than the matrix: at 500 services 352 MiB against 198 MiB at 250 (npm run bench,
 * README "Speed"). Collecting between stacks keeps one stack's tree at a time: about 230 MiB at 500 services. Below
 * the bound (a few hundred services) nothing is collected, so a small synth pays nothing; above it a collection
 * costs tens of milliseconds per stack.
 *
 * `gc` is V8's, exposed by `--expose-gc` (cdktf.json's app command); without it (tests, a plain node) nothing
 * changes. The hook is cdktf's own extension point: a stack's `synthesizer` (IStackSynthesizer).
 */
import { TerraformStack, type App } from "cdktf";

export const COLLECT_ABOVE_BYTES = 128 * 1024 * 1024;

export function collectBetweenStacks(
  app: App,
  gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc,
  heapUsed: () => number = () => process.memoryUsage().heapUsed,
): void {
  if (gc === undefined) return;
  for (const stack of app.node.findAll().filter(TerraformStack.isStack)) {
    const inner = stack.synthesizer;
    stack.synthesizer = {
      synthesize: (session) => {
        inner.synthesize(session);
        if (heapUsed() > COLLECT_ABOVE_BYTES) gc();
      },
    };
  }
}
