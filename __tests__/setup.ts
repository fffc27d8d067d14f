import { Testing } from "cdktf";
// Types of cdktf's jest matchers (the global jest.Matchers augmentation).
import "cdktf/lib/testing/adapters/jest";
import { removeScratch } from "./scratch";

// cdktf's matchers: toHaveResource, toHaveResourceWithProperties, toHaveProvider, …
Testing.setupJest();

afterAll(removeScratch);
