import { removeScratch } from "./scratch";

// cdktf's matchers (toHaveResource, toHaveResourceWithProperties, …): a test file that uses them imports
// ./cdktf-matchers, so that the files that never synthesize do not load cdktf for them
afterAll(removeScratch);
