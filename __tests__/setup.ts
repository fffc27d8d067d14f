import { Testing } from "cdktf";
// Types of cdktf's jest matchers (the global jest.Matchers augmentation).
import "cdktf/lib/testing/adapters/jest";
import { removeScratch } from "./scratch";

// cdktf's matchers: toHaveResource, toHaveResourceWithProperties, toHaveProvider, …
Testing.setupJest();

afterAll(removeScratch);

// cdktf and constructs record a full stack trace (Error.stackTraceLimit lifted to MAX_SAFE_INTEGER) for every
// token and construct they create: `Error.captureStackTrace` on a plain `{ stack: "" }` object
// (cdktf/lib/tokens/private/stack-trace.js, constructs/lib/private/stack-trace.js). Nothing synthesized holds them;
// cdktf prints one only in the message of a token that fails to resolve. Collecting and formatting those frames
// was 38% of a synth's time under Jest (measured with --cpu-prof on properties-seed.test.ts), so here such
// captures are skipped and the object keeps its empty stack, which both libraries read as "no trace". Every
// Error's stack, a failing test's included, is captured and source-mapped by Jest as always.
const capture = Error.captureStackTrace;
Error.captureStackTrace = (target: object, below?: Function) => {
  const onlyStack = !(target instanceof Error) && Object.keys(target).length === 1 && (target as { stack?: unknown }).stack === "";
  if (!onlyStack) capture(target, below);
};
