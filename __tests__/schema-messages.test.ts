/**
 * Every field of the matrix tells a person its rule in the words the README promises ("What the matrix validates":
 * the path, the bad value, the rule), and the rule it states is the one it enforces: the bounds, enumerations,
 * patterns and lengths of the matrix's JSON Schema (the file editors check against) are the ones the messages name
 * and the ones validation holds at their edges.
 *
 * The fields are walked through the JSON Schema beside the seed (the organization, the first service, prod, which
 * has every nullable block, and hotfix, a clone), so a field added to the schema is checked here without a new row.
 * Values at separate paths are reported each at its own path (matrix-junk.test.ts), so one matrix carries every
 * field's edit of a round and is validated once.
 */
import { matrixJsonSchema, show } from "../config/schema";
import { validateMatrix } from "../config/validate";
import { editableDefinition } from "./helpers";

type Json = Record<string, any>;

interface Leaf {
  /** the path as problems name it: `organization.vault.address`, `services[0].port`, `…deployBranches[0]` */
  readonly path: string;
  /** the keys the path is made of (a label key may hold dots) */
  readonly keys: Keys;
  readonly node: Json;
  readonly seeded: unknown;
}

/** The branch of a nullable (`anyOf [T, null]`, `type: [T, "null"]`) and of a discriminated union (`oneOf`, by `type`). */
function branch(node: Json, value: any): Json | undefined {
  if (node.anyOf) return node.anyOf.find((n: Json) => n.type !== "null");
  if (Array.isArray(node.type)) return { ...node, type: node.type.find((t: string) => t !== "null") };
  if (node.oneOf) return node.oneOf.find((n: Json) => n.properties?.type?.const === value?.type);
  return node;
}

type Keys = ReadonlyArray<string | number>;
const pathOf = (keys: Keys) => keys.map((k) => (typeof k === "number" ? `[${k}]` : `.${k}`)).join("").slice(1);

/** The leaves (scalars and lists) of `value` under `node`, each with its JSON Schema node. */
function leaves(node: Json, value: any, keys: Keys, out: Leaf[] = []): Leaf[] {
  const path = pathOf(keys);
  const at = (key: string | number) => ({ keys: [...keys, key], path: pathOf([...keys, key]) });
  const n = branch(node, value);
  if (!n || value === null) return out;
  if (n.type === "object" && n.properties) {
    for (const [key, child] of Object.entries<Json>(n.properties)) {
      if (child.const !== undefined) continue; // a union's discriminator: its problem is the union's
      const c = branch(child, value?.[key]);
      const isLeaf = c?.type !== "object" && c?.type !== "array";
      // optional leaves left out of the seed are checked too; optional blocks only where the seed has them
      if (value?.[key] === undefined && !isLeaf) continue;
      leaves(child, value?.[key], [...keys, key], out);
      if (isLeaf && c) out.push({ ...at(key), node: c, seeded: value?.[key] });
    }
  } else if (n.type === "object" && n.additionalProperties) {
    // a map (clusters by name, fixed costs by item, labels): its first entry, or one added to an empty map
    const [key, entry] = Object.entries<any>(value ?? {})[0] ?? ["added", undefined];
    const c = branch(n.additionalProperties, entry);
    if (c && c.type !== "object" && c.type !== "array") out.push({ ...at(key), node: c, seeded: entry });
    else if (c) leaves(n.additionalProperties, entry, [...keys, key], out);
  } else if (n.type === "array") {
    out.push({ path, keys, node: n, seeded: value });
    // its first item, or one added to an empty list
    const item = branch(n.items, value[0]);
    if (item && item.type !== "object" && item.type !== "array") out.push({ ...at(0), node: item, seeded: value[0] });
    else if (value.length > 0 && item) leaves(n.items, value[0], [...keys, 0], out);
  }
  return out;
}

function setAt(def: any, keys: Keys, value: unknown): void {
  let o = def;
  for (const k of keys.slice(0, -1)) o = o[k];
  o[keys[keys.length - 1]] = value;
}

const schema: Json = matrixJsonSchema();
/** The seed, with the two remote backends (every optional field given) in dev and staging, so that the walk reaches them. */
function base(): any {
  const def = editableDefinition();
  def.environments.dev.backend = {
    type: "s3",
    bucket: "envmatrix-state",
    region: "eu-west-1",
    keyPrefix: "envmatrix/state",
    kmsKeyId: "alias/envmatrix-state",
    deployRoleArn: "arn:aws:iam::123456789012:role/envmatrix-deploy",
    planRoleArn: "arn:aws:iam::123456789012:role/envmatrix-plan",
  };
  def.environments.staging.backend = { type: "hcp", organization: "envmatrix", workspacePrefix: "envmatrix-", hostname: "app.terraform.io" };
  return def;
}
const seed = base();
const settings = schema.properties.environments.additionalProperties.anyOf.find((n: Json) => !n.properties.cloneOf);
const clone = schema.properties.environments.additionalProperties.anyOf.find((n: Json) => n.properties.cloneOf);

const ALL: Leaf[] = [
  ...leaves(schema.properties.organization, seed.organization, ["organization"]),
  ...leaves(schema.properties.services.items, seed.services[0], ["services", 0]),
  ...leaves(settings, seed.environments.prod, ["environments", "prod"]),
  ...leaves(clone, seed.environments.hotfix, ["environments", "hotfix"]),
  ...leaves(settings.properties.backend, seed.environments.dev.backend, ["environments", "dev", "backend"]),
  ...leaves(settings.properties.backend, seed.environments.staging.backend, ["environments", "staging", "backend"]),
];
// promotionOrder and the map of environments are checked by name, as rules (rule-tables.test.ts)
const kind = (type: string) => ALL.filter((l) => l.node.type === type);

/**
 * Every leaf's edit in one matrix, validated once: the problems by path. A list and what is in it are edited in
 * matrices of their own (the list's edit would take the place of its items').
 */
function round(edits: ReadonlyArray<readonly [Leaf, unknown]>): Map<string, string[]> {
  const byPath = new Map<string, string[]>();
  for (const lists of [false, true]) {
    const def = base();
    for (const [leaf, v] of edits) if ((leaf.node.type === "array") === lists) setAt(def, leaf.keys, structuredClone(v));
    for (const p of validateMatrix(def)) byPath.set(p.path, [...(byPath.get(p.path) ?? []), p.message]);
  }
  return byPath;
}

/** The rule a message states after `<value> is not `, for a value of the wrong type: what each field calls itself. */
const WRONG = { type: "a wrong type" } as const;
const wrongType = round(ALL.map((l) => [l, l.node.type === "string" || l.node.enum ? 5 : WRONG] as const));
const ruleOf = (leaf: Leaf): string | undefined => {
  const shown = leaf.node.type === "string" || leaf.node.enum ? "5" : show(WRONG);
  const m = wrongType.get(leaf.path)?.map((msg) => msg.startsWith(`${shown} is not `) && msg.slice(`${shown} is not `.length)).find(Boolean);
  return m || undefined;
};

describe("the walk", () => {
  it("reaches every kind of field, from the JSON Schema (a field added is checked without a row here)", () => {
    for (const type of ["integer", "number", "boolean", "string", "array"]) expect(kind(type).length).toBeGreaterThan(3);
    expect(ALL.filter((l) => l.node.enum).length).toBeGreaterThan(5);
    // the seed's optional leaves left out are walked too, and fields inside the clone's own blocks
    expect(ALL.map((l) => l.path)).toEqual(
      expect.arrayContaining(["services[0].port", "organization.vault.egressCidrMinPrefix", "environments.prod.alerts.tiers.cpu", "environments.hotfix.identity.deployBranches[0]", "environments.dev.backend.planRoleArn", "environments.staging.backend.workspacePrefix", "organization.clusters.nonprod.caCertificatePem"]),
    );
  });
});

describe("a value of the wrong type", () => {
  it.each(ALL.map((l) => [l.path, l] as const))("%s: refused at its path, saying what the field is", (_p, leaf) => {
    // one problem at the path: `<value> is not <what the field is>`, with something said after "is not"
    const messages = wrongType.get(leaf.path) ?? [];
    const shown = leaf.node.type === "string" || leaf.node.enum ? "5" : show(WRONG);
    if (leaf.path.endsWith("caCertificatePem")) {
      expect(messages).toEqual(["is not a PEM certificate (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----)"]);
      return;
    }
    if (!leaf.node.pattern && leaf.node.type === "string" && UNCHECKED_STRINGS.test(leaf.path)) {
      // a free string (a name a rule looks up, a KMS key, a host name): zod's own words
      expect(messages).toHaveLength(1);
      return;
    }
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(new RegExp(`^${escape(shown)} is not .{6,}`));
  });
});

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Strings the schema takes as any string: names a rule looks up, and the two free texts (a KMS key, a host name). */
const UNCHECKED_STRINGS = /\.(kmsKeyId|hostname)$/;

describe("whole numbers: the range the message states is the JSON Schema's, held at both edges", () => {
  const ints = kind("integer");
  const range = (n: Json) => (n.maximum === Number.MAX_SAFE_INTEGER || n.maximum === undefined ? `at least ${n.minimum}` : `between ${n.minimum} and ${n.maximum}`);
  const above = round(ints.filter((l) => l.node.maximum < Number.MAX_SAFE_INTEGER).map((l) => [l, l.node.maximum + 1] as const));
  const below = round(ints.map((l) => [l, l.node.minimum - 1] as const));
  const fraction = round(ints.map((l) => [l, l.node.minimum + 0.5] as const));
  // not whole and out of range: one problem, the first (a second about the same value says nothing new)
  const fractionBelow = round(ints.map((l) => [l, l.node.minimum - 0.5] as const));
  const atMin = round(ints.map((l) => [l, l.node.minimum] as const));
  const atMax = round(ints.filter((l) => l.node.maximum < Number.MAX_SAFE_INTEGER).map((l) => [l, l.node.maximum] as const));

  it.each(ints.map((l) => [l.path, l] as const))("%s", (_p, leaf) => {
    const n = leaf.node;
    expect(typeof n.minimum).toBe("number");
    expect(wrongType.get(leaf.path)).toEqual([`${show(WRONG)} is not a whole number`]);
    expect(below.get(leaf.path)).toEqual([`${n.minimum - 1} is out of range (must be ${range(n)})`]);
    expect(fraction.get(leaf.path)).toEqual([`${n.minimum + 0.5} is not a whole number`]);
    expect(fractionBelow.get(leaf.path)).toEqual([`${n.minimum - 0.5} is not a whole number`]);
    const outOfRange = (p: Map<string, string[]>) => (p.get(leaf.path) ?? []).filter((m) => /out of range|whole number/.test(m));
    expect(outOfRange(atMin)).toEqual([]);
    if (n.maximum < Number.MAX_SAFE_INTEGER) {
      expect(above.get(leaf.path)).toEqual([`${n.maximum + 1} is out of range (must be ${range(n)})`]);
      expect(outOfRange(atMax)).toEqual([]);
    }
  });
});

describe("numbers: percentages and amounts, their edges as the JSON Schema gives them", () => {
  const nums = kind("number");
  const percents = nums.filter((l) => l.node.maximum === 100 || l.node.exclusiveMaximum === 100);
  const amounts = nums.filter((l) => !percents.includes(l));
  const percentRule = (n: Json) => `is not a percentage (must be above 0 and ${n.exclusiveMaximum === 100 ? "below" : "at most"} 100)`;
  const amountRule = (n: Json) => `is not an amount (a number ${n.exclusiveMinimum === 0 ? "above" : "at least"} 0)`;
  const zero = round(nums.map((l) => [l, 0] as const));
  const negative = round(nums.map((l) => [l, -1] as const));
  const hundred = round(percents.map((l) => [l, 100] as const));
  const over = round(percents.map((l) => [l, 100.5] as const));
  const small = round(nums.map((l) => [l, 0.001] as const));

  it("every number is a percentage (above 0, at most or below 100) or an amount (at least or above 0)", () => {
    for (const l of percents) expect(l.node.exclusiveMinimum).toBe(0);
    for (const l of amounts) expect(l.node.exclusiveMinimum === 0 || l.node.minimum === 0).toBe(true);
    expect(percents.length).toBeGreaterThan(5);
    expect(amounts.length).toBeGreaterThan(2);
    expect(amounts.filter((l) => l.node.minimum === 0).length).toBeGreaterThan(0);
    expect(percents.filter((l) => l.node.exclusiveMaximum === 100).length).toBeGreaterThan(0);
  });

  it.each(percents.map((l) => [l.path, l] as const))("percentage %s", (_p, leaf) => {
    const rule = percentRule(leaf.node);
    expect(wrongType.get(leaf.path)).toEqual([`${show(WRONG)} ${rule}`]);
    expect(zero.get(leaf.path)).toEqual([`0 ${rule}`]);
    expect(over.get(leaf.path)).toEqual([`100.5 ${rule}`]);
    const mine = (p: Map<string, string[]>) => (p.get(leaf.path) ?? []).filter((m) => m.endsWith(rule));
    expect(mine(small)).toEqual([]);
    expect(mine(hundred)).toEqual(leaf.node.exclusiveMaximum === 100 ? [`100 ${rule}`] : []);
  });

  it.each(amounts.map((l) => [l.path, l] as const))("amount %s", (_p, leaf) => {
    const rule = amountRule(leaf.node);
    expect(wrongType.get(leaf.path)).toEqual([`${show(WRONG)} ${rule}`]);
    expect(negative.get(leaf.path)).toEqual([`-1 ${rule}`]);
    const mine = (p: Map<string, string[]>) => (p.get(leaf.path) ?? []).filter((m) => m.endsWith(rule));
    expect(mine(zero)).toEqual(leaf.node.exclusiveMinimum === 0 ? [`0 ${rule}`] : []);
    expect(mine(small)).toEqual([]);
  });
});

describe("flags and enumerations", () => {
  const enums = ALL.filter((l) => l.node.enum);
  const unknown = round(enums.map((l) => [l, "zzz"] as const));
  const yes = round(kind("boolean").map((l) => [l, "yes"] as const));

  it.each(kind("boolean").map((l) => [l.path, l] as const))("flag %s: true or false", (_p, leaf) => {
    expect(yes.get(leaf.path)).toEqual(['"yes" is not true or false']);
  });
  it.each(enums.map((l) => [l.path, l] as const))("enumeration %s: the message lists the JSON Schema's values", (_p, leaf) => {
    expect(unknown.get(leaf.path)).toEqual([`"zzz" is not one of ${leaf.node.enum.join(", ")}`]);
  });
});

describe("strings: a blank one is refused where the schema checks the string, with the rule the field states", () => {
  // names that rules look up among the matrix's (a cluster, an environment) are any string to the schema
  const NAMES = /\.(cluster|cloneOf|followsEnvironment|kvMountManagedBy|environment|deployedFirstIn)$/;
  const strings = kind("string").filter((l) => !l.node.enum && !UNCHECKED_STRINGS.test(l.path) && !NAMES.test(l.path) && !l.path.endsWith("caCertificatePem"));
  const blank = round(strings.map((l) => [l, " "] as const));

  it.each(strings.map((l) => [l.path, l] as const))("%s", (_p, leaf) => {
    const rule = ruleOf(leaf);
    expect(rule).toBeDefined();
    expect(blank.get(leaf.path)).toEqual([`" " is not ${rule}`]);
  });

  it.each(ALL.filter((l) => l.path.endsWith("caCertificatePem")).map((l) => [l.path, l] as const))("%s: a PEM certificate", (_p, leaf) => {
    const text = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    expect(round([[leaf, " "]]).get(leaf.path)).toEqual(["is not a PEM certificate (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----)"]);
    expect(round([[leaf, text]]).get(leaf.path)).toBeUndefined();
  });

  it("names a rule looks up are any string to the schema, and only those", () => {
    // what the list above leaves out is what the README says the rules check by name
    expect([...new Set(kind("string").filter((l) => NAMES.test(l.path)).map((l) => l.path.split(".").pop()))].sort()).toEqual(
      ["cluster", "cloneOf", "deployedFirstIn", "environment", "followsEnvironment", "kvMountManagedBy"].sort(),
    );
  });
});

describe("lengths: a name one character too long is refused, one at the limit is not", () => {
  // the JSON Schema's maxLength for patterns; the GitHub limits for the refined ones: an environment name of at most
  // 255 characters (GitHub REST "Create or update an environment"), 250 for the gates' so that `<name>-plan` fits
  const limited: Array<[Leaf, number]> = [
    ...kind("string").filter((l) => l.node.maxLength !== undefined).map((l) => [l, l.node.maxLength] as [Leaf, number]),
    ...ALL.filter((l) => /\.(identity\.githubEnvironment|reviewApp\.environment)$/.test(l.path)).map((l) => [l, 255] as [Leaf, number]),
    ...ALL.filter((l) => l.path === "organization.gates.githubEnvironment").map((l) => [l, 255 - "-plan".length] as [Leaf, number]),
    ...ALL.filter((l) => l.path === "environments.prod.approval.checklist[0]").map((l) => [l, 200] as [Leaf, number]),
  ];
  // a value of `n` characters that fits the field's pattern
  const sized = (leaf: Leaf, n: number) => {
    const start = typeof leaf.seeded === "string" && leaf.seeded.length > 0 && leaf.seeded.length <= n ? leaf.seeded : "a";
    return (start + "a".repeat(n)).slice(0, n);
  };
  const tooLong = round(limited.map(([l, n]) => [l, sized(l, n + 1)] as const));
  const atLimit = round(limited.map(([l, n]) => [l, sized(l, n)] as const));
  // too long and not the pattern either (a space fits no name): still one problem
  const tooLongAndBad = round(limited.map(([l, n]) => [l, " ".repeat(n + 1)] as const));

  it("every limit the documents set is walked", () => {
    expect(limited.length).toBeGreaterThanOrEqual(10);
  });
  it.each(limited.map(([l, n]) => [l.path, n, l] as const))("%s: at most %d", (_p, n, leaf) => {
    const rule = ruleOf(leaf);
    expect(rule).toBeDefined();
    if (leaf.node.pattern) expect(new RegExp(leaf.node.pattern).test(sized(leaf, n))).toBe(true);
    expect(tooLong.get(leaf.path)).toEqual([`${show(sized(leaf, n + 1))} is not ${rule}`]);
    expect((atLimit.get(leaf.path) ?? []).filter((m) => m.endsWith(`is not ${rule}`))).toEqual([]);
    expect(tooLongAndBad.get(leaf.path)).toEqual([`${show(" ".repeat(n + 1))} is not ${rule}`]);
  });
});

describe("lists", () => {
  const lists = kind("array");
  const notList = round(lists.map((l) => [l, "x"] as const));
  const empty = round(lists.filter((l) => l.node.minItems === 1).map((l) => [l, []] as const));

  it.each(lists.map((l) => [l.path, l] as const))("%s: a value that is not a list says so", (_p, leaf) => {
    expect(notList.get(leaf.path)).toEqual([expect.stringMatching(/^"x" is not a list of .{5,}$/)]);
    if (leaf.node.minItems === 1) expect(empty.get(leaf.path)).toEqual([expect.stringMatching(/^is empty \(.{10,}\)$/)]);
    else expect(empty.has(leaf.path)).toBe(false);
  });
  it("lists that must not be empty are some of them", () => {
    expect(lists.filter((l) => l.node.minItems === 1).length).toBeGreaterThan(3);
  });
});

describe("what a pattern cannot say", () => {
  const at = (path: string) => ALL.find((l) => l.path === path)!;
  it.each([
    ["environments.prod.identity.deployBranches[0]", "release x", '"release x" is not a branch name or pattern (no white space, no comma, no ? or [ ])'],
    ["environments.prod.identity.protectedBranch", "main branch", '"main branch" is not a branch name (or null) (no white space, no comma, no ? or [ ])'],
    ["organization.github.defaultBranch", "main\tline", '"main\\tline" is not a branch name (no white space, no comma, no *)'],
    // Git takes it, Vault's bound claim would split it in two (the vault provider splits at commas)
    ["environments.prod.identity.deployBranches[0]", "release,2", '"release,2" is not a branch name or pattern (no white space, no comma, no ? or [ ])'],
    // GitHub's patterns read these as wildcards, which the review's check names and the Vault ref globs do not
    ["environments.prod.identity.protectedBranch", "release-[0-9]", '"release-[0-9]" is not a branch name (or null) (no white space, no comma, no ? or [ ])'],
    ["environments.prod.identity.deployBranches[0]", "release-?", '"release-?" is not a branch name or pattern (no white space, no comma, no ? or [ ])'],
    ["organization.github.defaultBranch", "ma,in", '"ma,in" is not a branch name (no white space, no comma, no *)'],
  ])("%s: a branch name with white space (Git refuses it) or a comma (a Vault bound claim's separator) inside", (path, value, message) => {
    expect(round([[at(path), value]]).get(path)).toEqual([message]);
  });

  it("a selector's labels: an empty map selects every pod, and is refused", () => {
    const path = "organization.ingressController.podLabels";
    expect(round([[{ path, keys: path.split("."), node: {}, seeded: undefined }, {}]]).get(path)).toEqual([
      "is not a non-empty map of labels (a selector must select something)",
    ]);
  });

  it("a deployment window's weekdays: each once, the second of two refused at its place", () => {
    const path = "environments.prod.deploymentWindow.days";
    const days = round([[at(path), ["Mon", "Tue", "Mon", "Tue"]]]);
    expect(days.get(`${path}[2]`)).toEqual(['"Mon" appears twice']);
    expect(days.get(`${path}[3]`)).toEqual(['"Tue" appears twice']);
    expect(days.has(`${path}[0]`) || days.has(`${path}[1]`)).toBe(false);
  });
});
