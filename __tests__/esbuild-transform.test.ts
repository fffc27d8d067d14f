/** Jest's TypeScript transform (esbuild-transform.cjs): what it refuses, and what its cache key holds. */
import * as path from "node:path";

const transform = require("./esbuild-transform.cjs") as {
  process(source: string, file: string): { code: string; map: string };
  getCacheKey(source: string, file: string, options: { instrument: boolean }): string;
};
const file = path.join(__dirname, "example.test.ts");

describe("the transform", () => {
  it("compiles TypeScript to CommonJS, with a source map", () => {
    const { code, map } = transform.process('import { join } from "node:path";\nexport const x: string = join("a", "b");\n', file);
    expect(code).toContain('require("node:path")');
    expect(code).not.toContain(": string");
    expect(JSON.parse(map).sources).toEqual([file]);
  });

  it("refuses jest.mock(), which it would not hoist above the imports, saying what to write instead", () => {
    expect(() => transform.process('import { x } from "./m";\njest.mock("./m", () => ({ x: 2 }));\n', file)).toThrow(
      `${file}: jest.mock() is not hoisted above the imports by this transform (__tests__/esbuild-transform.cjs): use jest.doMock() before a require(), inside jest.isolateModules()`,
    );
    expect(() => transform.process('jest.doMock("./m", () => ({}));\n', file)).not.toThrow();
  });

  it("keys the cache by the source, the file and whether coverage instruments it", () => {
    const key = (source: string, at: string, instrument: boolean) => transform.getCacheKey(source, at, { instrument });
    expect(key("a", file, false)).toBe(key("a", file, false));
    expect(new Set([key("a", file, false), key("b", file, false), key("a", `${file}x`, false), key("a", file, true)]).size).toBe(4);
  });
});
