/**
 * review/matrix-data.ts: a matrix file holds data only, or the review counts it as code. What "data" is comes from
 * what the seed's own matrix files use (constants, literals, spreads, `as const`, `satisfies`, type imports, the
 * other matrix file's constants); anything that runs (a call, a getter, `new`, a statement, another module) is not.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { matrixDataProblems } from "../review/matrix-data";

const root = path.resolve(__dirname, "..");

it("the seed's matrix files are data only", () => {
  for (const f of ["config/environments.ts", "config/organization.ts"]) expect([f, matrixDataProblems(fs.readFileSync(path.join(root, f), "utf8"), f)]).toEqual([f, []]);
});

it.each([
  ["a spread, a shorthand, a template of constants, a negative number, as const and satisfies", 'import type { T } from "./types";\nimport { organization } from "./organization";\nconst base = { a: 1 };\nconst name = "x";\nexport const m = { ...base, name, label: `${name}-1`, n: -2, list: [...[1], null, true], org: organization.github } as const satisfies T;\n'],
  ["a type alias and an interface", "type A = { a: number };\ninterface B { b: string }\nexport const x = 1;\n"],
])("takes %s", (_what, text) => {
  expect(matrixDataProblems(text, "m.ts")).toEqual([]);
});

it.each([
  ["a call", 'export const a = require("node:child_process");\n', /m\.ts:1: CallExpression/],
  ["a call hidden in a ternary", 'export const a = 1 > 0 ? 1 : 2;\n', /m\.ts:1: ConditionalExpression/],
  ["a call inside a template", "export const a = `${f()}`;\n", /m\.ts:1: CallExpression/],
  ["new", "export const a = new Date();\n", /NewExpression/],
  ["a getter, which runs when the object is read", "export const a = { get b() { return 1; } };\n", /GetAccessor in an object/],
  ["a method", "export const a = { b() { return 1; } };\n", /MethodDeclaration in an object/],
  ["a computed key", "export const a = { [k]: 1 };\n", /PropertyAssignment in an object/],
  ["reading process", "export const a = { home: process };\n", /reads process/],
  ["reading globalThis through a property", "export const a = globalThis.x;\n", /reads globalThis/],
  ["a statement", 'if (1) { require("x"); }\nexport const a = 1;\n', /m\.ts:1: a IfStatement statement/],
  ["an expression statement", "console.log(1);\n", /ExpressionStatement statement/],
  ["a module of its own", 'import { execSync } from "node:child_process";\nexport const a = 1;\n', /imports "node:child_process"/],
  ["a side-effect import", 'import "./hook";\n', /imports "\.\/hook" \(not named imports\)/],
  ["a default import of a matrix file", 'import o from "./organization";\nexport const a = o;\n', /imports "\.\/organization" \(not named imports\)/],
  ["let, which may be assigned later", "export let a = 1;\n", /a let, var, using, declare or decorated declaration/],
  // `using` and `await using` share const's flag (and call a disposer); a decorator runs
  ["await using", "await using a = {};\n", /a let, var, using, declare or decorated declaration/],
  ["using", "using a = x;\n", /a let, var, using, declare or decorated declaration/],
  ["a decorated const", "@dec export const a = 1;\n", /a let, var, using, declare or decorated declaration/],
  // keys that reach an object's machinery: JSON.stringify calls toJSON; "".constructor.constructor is Function
  ["a toJSON key", 'export const a = { toJSON: "".constructor.constructor };\n', /the key toJSON/],
  ["a __proto__ key, quoted too", 'export const a = { "__proto__": x };\n', /the key "__proto__"/],
  ["reading .constructor", "export const a = b.constructor;\n", /reads \.constructor/],
  ["what does not parse", "export const a = {;\n", /m\.ts:1: does not parse/],
  ["a function", "export function f() { return 1; }\n", /FunctionDeclaration statement/],
  ["a re-export", 'export { a } from "./other";\n', /ExportDeclaration statement/],
  ["a tagged template", "export const a = tag`x`;\n", /TaggedTemplateExpression/],
])("refuses %s, with its line", (_what, text, problem) => {
  const problems = matrixDataProblems(text, "m.ts");
  expect(problems).toContainEqual(expect.stringMatching(problem));
  for (const p of problems) expect(p).toMatch(/^m\.ts:\d+: /);
});
