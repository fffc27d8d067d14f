import { Testing } from "cdktf";
// Types of cdktf's jest matchers (the global jest.Matchers augmentation).
import "cdktf/lib/testing/adapters/jest";
import { removeScratch } from "./scratch";

// cdktf's matchers: toHaveResource, toHaveResourceWithProperties, toHaveProvider, …
Testing.setupJest();

afterAll(removeScratch);

// cdktf and constructs record a full stack trace for every token and construct they create
// (`Error.captureStackTrace` on a plain `{ stack }` object), and a synth here reads none of them. Under Jest each
// frame went through Jest's source-map support: half of a synth's time (measured with --cpu-prof). Those
// captures, and only those (not Errors), are formatted plainly; every Error's stack, a failing test's included,
// keeps Jest's source-mapped formatting.
const sourceMapped = Error.prepareStackTrace;
const plain = (error: unknown, frames: NodeJS.CallSite[]) => `${error}\n${frames.map((f) => `    at ${f}`).join("\n")}`;
Error.prepareStackTrace = (error, frames) => (error instanceof Error && sourceMapped ? sourceMapped(error, frames) : plain(error, frames));
