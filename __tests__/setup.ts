import { Testing } from "cdktf";
// Types of cdktf's jest matchers (the global jest.Matchers augmentation).
import "cdktf/lib/testing/adapters/jest";
import { removeScratch } from "./scratch";
import { skipTokenStackTraces } from "../stacks/token-stack-traces";

// cdktf's matchers: toHaveResource, toHaveResourceWithProperties, toHaveProvider, …
Testing.setupJest();

afterAll(removeScratch);

// Tokens' stack traces skipped as in `cdktf synth` (stacks/token-stack-traces.ts): collecting and formatting those
// frames was 38% of a synth's time under Jest (--cpu-prof on properties-seed.test.ts). Every Error's stack, a
// failing test's included, is captured and source-mapped by Jest as always.
skipTokenStackTraces();
