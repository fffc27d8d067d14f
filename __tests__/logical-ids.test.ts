import { testApp } from "./scratch";
import { Testing } from "cdktf";
import { Construct } from "constructs";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { readableLogicalId, snakeCase } from "../stacks/logical-ids";
import { EnvironmentStack } from "../stacks/environment-stack";
import { seedMatrix } from "./helpers";

describe("snakeCase", () => {
  it.each([
    ["defaultDeny", "default_deny"],
    ["allowSameEnvironment", "allow_same_environment"],
    ["workload-api", "workload_api"],
    ["svc-001", "svc_001"],
    ["namespace", "namespace"],
    // a run of other characters is one underscore; none at either end
    ["api--v2", "api_v2"],
    ["--edge.", "edge"],
    ["__x__", "x"],
  ])("%s → %s", (id, expected) => expect(snakeCase(id)).toBe(expected));
});

describe("readable addresses", () => {
  const stackWith = (build: (stack: EnvironmentStack) => void) => {
    const stack = new EnvironmentStack(testApp(), {
      name: "dev",
      environment: seedMatrix.environments.dev,
      organization: seedMatrix.organization,
      services: seedMatrix.services,
    });
    build(stack);
    return stack;
  };
  const configMap = (scope: Construct, id: string) => new ConfigMapV1(scope, id, { metadata: { name: id.toLowerCase() } });

  it("drop the capability's construct id, say a repeated segment once, and never start with a digit", () => {
    const stack = stackWith(() => undefined);
    const group = new Construct(stack, "alarms");
    const service = new Construct(group, "api");
    expect(readableLogicalId(configMap(service, "errorRate").node, stack)).toBe("api_error_rate");
    expect(readableLogicalId(configMap(new Construct(stack, "dup"), "dup").node, stack)).toBe("dup");
    // below the dropped capability: a segment its child repeats is said once (api/api → api, not api_api)
    expect(readableLogicalId(configMap(new Construct(new Construct(stack, "capability"), "api"), "api").node, stack)).toBe("api");
    expect(readableLogicalId(configMap(new Construct(new Construct(stack, "capability2"), "api"), "apiKey").node, stack)).toBe("api_api_key");
    expect(readableLogicalId(configMap(new Construct(stack, "svc"), "1st").node, stack)).toBe("_1st");
    // only a leading digit needs the underscore
    expect(readableLogicalId(configMap(new Construct(stack, "svc2"), "web1").node, stack)).toBe("web1");
    // a segment of punctuation only says nothing: no empty part, no doubled underscore
    expect(readableLogicalId(configMap(new Construct(new Construct(new Construct(stack, "cap3"), "web"), "--"), "port").node, stack)).toBe("web_port");
  });

  it("refuse two constructs that would share an address, naming both", () => {
    const stack = stackWith((s) => {
      configMap(new Construct(s, "one"), "settings");
      configMap(new Construct(s, "two"), "settings");
    });
    expect(() => Testing.synth(stack)).toThrow('dev: constructs dev/one/settings and dev/two/settings would both be addressed "settings"');
  });
});
