/**
 * Jest's first setup file, run before any module of the test file loads: tokens' stack traces skipped as in
 * `cdktf synth` (stacks/token-stack-traces.ts). From setup.ts it came too late: that file's imports (cdktf) run
 * first, and every token cdktf and constructs created while loading had its full stack captured and source-mapped
 * by Jest's source-map-support, per test file (--cpu-prof of the whole suite: about 2.5 s). Every Error's own stack,
 * a failing test's included, is captured and source-mapped by Jest as always.
 */
import { skipTokenStackTraces } from "../stacks/token-stack-traces";

skipTokenStackTraces();
