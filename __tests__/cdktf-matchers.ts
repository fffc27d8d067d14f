/** cdktf's Jest matchers (toHaveResource, toHaveResourceWithProperties, toHaveProvider, …), for the file that imports this. */
import { Testing } from "cdktf";
// their types (the global jest.Matchers augmentation)
import "cdktf/lib/testing/adapters/jest";

Testing.setupJest();
