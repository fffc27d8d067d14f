/** Every Kubernetes object the stacks create validates against its API schema (kubernetes-models). */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { environmentNames, resolveReferences, synthEnvironment } from "./helpers";
import { kubernetesObjects } from "./k8s-objects";

interface Result {
  index: number;
  apiVersion: string;
  kind: string;
  name: string | null;
  error: string | null;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "envmatrix-schema-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function validate(objects: object[]): Result[] {
  const file = path.join(tmp, `objects-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify(objects));
  const out = execFileSync(process.execPath, [path.join(__dirname, "fixtures", "validate-k8s.mjs"), file], { encoding: "utf8" });
  return JSON.parse(out);
}

/** Keys spelt in snake_case outside maps whose keys are data (labels, annotations, quota names, ConfigMap data). */
function schemaKeysInSnakeCase(value: unknown, at = ""): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => schemaKeysInSnakeCase(v, `${at}[${i}]`));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) => [
    ...(k.includes("_") ? [`${at}.${k}`] : []),
    ...(["labels", "annotations", "matchLabels", "hard", "data", "default", "defaultRequest", "max", "min"].includes(k) ? [] : schemaKeysInSnakeCase(v, `${at}.${k}`)),
  ]);
}

// every stack's objects
const all = environmentNames.flatMap((env) =>
  kubernetesObjects(resolveReferences(synthEnvironment(env))).map((o) => ({ env, ...o })),
);

// the validator's own check: objects broken on purpose, each of which it must refuse
const store = all.find((o) => o.object.kind === "SecretStore")!.object;
const externalSecret = all.find((o) => o.object.kind === "ExternalSecret")!.object;
const policy = all.find((o) => o.object.kind === "NetworkPolicy")!.object;
const cases: Array<[string, object, RegExp]> = [
  ["an ExternalSecret with an unknown creationPolicy", { ...externalSecret, spec: { ...externalSecret.spec, target: { ...externalSecret.spec.target, creationPolicy: "Sometimes" } } }, /creationPolicy/],
  ["a SecretStore on KV version 3", { ...store, spec: { provider: { vault: { ...store.spec.provider.vault, version: "v3" } } } }, /version/],
  ["an ExternalSecret without its store", { ...externalSecret, spec: { ...externalSecret.spec, secretStoreRef: undefined, dataFrom: "all" } }, /dataFrom|secretStoreRef/],
  ["a NetworkPolicy with a made-up policy type", { ...policy, spec: { ...policy.spec, policyTypes: ["Sideways"] } }, /policyTypes/],
  ["an object of a kind nobody can validate", { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } }, /no schema for example.com\/v1 Widget/],
];
// one validator process for the stacks' objects and the broken ones (each object is judged on its own: one result per object)
const validated = validate([...all.map((o) => o.object), ...cases.map(([, broken]) => broken)]);
const results = validated.slice(0, all.length);
const rejected = validated.slice(all.length);

describe.each(environmentNames)("%s stack", (env) => {
  const mine = all.map((o, i) => ({ ...o, result: results[i] })).filter((o) => o.env === env);

  it("has every kind of object the issue names, on current APIs", () => {
    const kinds = new Set(mine.map((o) => `${o.object.apiVersion} ${o.object.kind}`));
    for (const k of ["v1 Namespace", "networking.k8s.io/v1 NetworkPolicy", "v1 ResourceQuota", "v1 LimitRange", "external-secrets.io/v1 SecretStore", "external-secrets.io/v1 ExternalSecret"]) {
      expect(kinds).toContain(k);
    }
  });

  it.each(mine.map((o) => [o.address, o] as const))("%s is valid", (_address, o) => {
    expect(o.result).toMatchObject({ kind: o.object.kind, error: null });
    // The schemas allow unknown fields, so a field left in Terraform's spelling would pass unseen: none may.
    expect(schemaKeysInSnakeCase(o.object)).toEqual([]);
  });
});


describe("the validator", () => {
  it.each(cases.map(([what, , message], i) => [what, message, i] as const))("rejects %s", (_what, message, i) => {
    expect(rejected[i].error).toMatch(message);
  });
});
