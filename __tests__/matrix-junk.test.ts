/**
 * Bad input gets a list of problems, never a crash: any value of the matrix replaced by one of another type (a
 * matrix is TypeScript that tsx runs without type-checking, or a file a tool reads) is refused at its own path, and
 * the rules that read, walk or count it stay quiet instead of throwing a TypeError on it.
 *
 * The paths are every value of the seed as written (config/environments.ts, hotfix still a clone of prod), walked
 * here; what must come out is the documented promise of validateMatrix, not its code's output.
 */
import * as fc from "fast-check";
import { formatPath, validateMatrix } from "../config/validate";
import { runs } from "./arbitraries";
import { editableDefinition } from "./helpers";

type Path = readonly (string | number)[];

/** Every value of the seed definition, objects and lists included, by path (the root left out). */
function everyPath(): Path[] {
  const paths: Path[] = [];
  const walk = (value: unknown, at: Path) => {
    if (at.length > 0) paths.push(at);
    if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) walk(v, [...at, Array.isArray(value) ? Number(k) : k]);
    }
  };
  walk(editableDefinition(), []);
  return paths;
}

const PATHS = everyPath();

function replaced(edits: ReadonlyArray<readonly [Path, unknown]>): any {
  const m = editableDefinition();
  for (const [path, value] of edits) {
    let parent = m;
    for (const k of path.slice(0, -1)) parent = parent?.[k];
    // a path inside a value an earlier edit replaced is no longer there
    if (parent !== null && typeof parent === "object") parent[path[path.length - 1]] = value;
  }
  return m;
}

/** A value no field of the matrix takes (every field is a string, number, boolean, null, list or object). */
const NO_FIELDS_TYPE = Object.freeze(() => "not a value");

/** Values of every JSON type, of the right type for some fields and the wrong one for most. */
const JUNK: readonly unknown[] = ["x", "", 7, -1, 2.5, 0, true, false, null, undefined, [], [null], ["x"], [{}], {}, { a: 1 }];

/**
 * In place of an object or a list: nothing, null, a scalar, a list and an object without the fields (what a
 * half-written matrix holds). Each of these crashed a rule before the rules asked the schema first.
 */
const ONE_OF_EACH_TYPE: readonly unknown[] = ["x", null, undefined, [{}], {}];

const wellFormed = (problems: unknown) => {
  expect(Array.isArray(problems)).toBe(true);
  for (const p of problems as any[]) {
    expect(Object.keys(p).sort()).toEqual(["message", "path"]);
    expect(typeof p.path).toBe("string");
    expect(p.path).not.toBe("");
    expect(typeof p.message).toBe("string");
    expect(p.message).not.toBe("");
  }
};

describe("a matrix with any one value replaced", () => {
  it("walks enough of the seed to mean something: the top level, every environment, a clone, lists and their items", () => {
    const shown = PATHS.map((p) => formatPath(p));
    expect(shown).toEqual(expect.arrayContaining(["organization", "services", "services[0].name", "promotionOrder[3]", "environments.prod.replicas.min", "environments.hotfix.cloneOf", "organization.vault.egressCidrs"]));
    expect(PATHS.length).toBeGreaterThan(300);
  });

  it.each([["organization"], ["services"], ["promotionOrder"], ["environments.prod"], ["organization.vault"], ["organization.gates"], ["organization.github"], ["services[0]"]])(
    "by a value of no field's type, at %s: refused at its own path, and the rules that read below it stay quiet",
    (at) => {
      const path = PATHS.find((p) => formatPath(p) === at)!;
      const problems = validateMatrix(replaced([[path, NO_FIELDS_TYPE]]));
      wellFormed(problems);
      expect(problems.length).toBeGreaterThan(0);
      // every problem is the schema's, at the replaced value (no rule adds a second one, or a TypeError's words)
      for (const p of problems) expect(p.path.startsWith(at)).toBe(true);
    },
  );

  it("by a value of no field's type, anywhere: refused at exactly that path", () => {
    const missed: string[] = [];
    for (const path of PATHS) {
      const at = formatPath(path);
      const problems = validateMatrix(replaced([[path, NO_FIELDS_TYPE]]));
      if (!problems.some((p) => p.path === at)) missed.push(`${at}: ${JSON.stringify(problems)}`);
    }
    expect(missed).toEqual([]);
  });

  it("by any value of any JSON type, in place of any object or list: a list of problems, never an exception", () => {
    // what a rule walks or reads below (a leaf replaced is read by nothing below it: the previous test covers it)
    const seed = editableDefinition();
    const containers = PATHS.filter((p) => {
      const value = p.reduce<any>((v, k) => v[k], seed);
      return value !== null && typeof value === "object";
    });
    expect(containers.length).toBeLessThan(PATHS.length / 2);
    expect(containers.map(formatPath)).toEqual(expect.arrayContaining(["organization.vault.egressCidrs", "services", "services[0]", "environments.hotfix"]));
    const thrown: string[] = [];
    for (const path of containers) {
      for (const junk of ONE_OF_EACH_TYPE) {
        try {
          wellFormed(validateMatrix(replaced([[path, junk]])));
        } catch (e) {
          thrown.push(`${formatPath(path)} = ${JSON.stringify(junk)}: ${(e as Error).message.split("\n")[0]}`);
        }
      }
    }
    expect(thrown).toEqual([]);
  });
});

describe("a matrix with a few values replaced (fast-check)", () => {
  const junk = fc.oneof(
    fc.constantFrom(...JUNK),
    fc.string({ maxLength: 8 }),
    fc.integer({ min: -5, max: 100 }),
    fc.double({ noNaN: true, min: -10, max: 100 }),
    fc.array(fc.constantFrom<unknown>("x", 1, null, {}), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom("a", "min", "name", "type", "cloneOf"), fc.constantFrom<unknown>("x", 1, null, []), { maxKeys: 2 }),
  );
  const edits = fc.array(fc.tuple(fc.constantFrom(...PATHS), junk), { minLength: 1, maxLength: 3 });

  it("never throws, and says the same thing when asked twice", () => {
    fc.assert(
      fc.property(edits, (list) => {
        const first = validateMatrix(replaced(list));
        wellFormed(first);
        expect(validateMatrix(replaced(list))).toEqual(first);
      }),
      runs(100),
    );
  });

  it("lists every problem at once: values of no field's type at paths apart from each other are each refused", () => {
    // two or three paths, none inside another: each must be named
    const apart = fc.uniqueArray(fc.constantFrom(...PATHS), { minLength: 2, maxLength: 3, selector: (p) => formatPath(p) }).filter((ps) =>
      ps.every((a, i) => ps.every((b, j) => i === j || !formatPath(b).startsWith(formatPath(a)))),
    );
    fc.assert(
      fc.property(apart, (paths) => {
        const problems = validateMatrix(replaced(paths.map((p) => [p, NO_FIELDS_TYPE] as const)));
        for (const p of paths) expect(problems.map((x) => x.path)).toContain(formatPath(p));
      }),
      runs(60),
    );
  });
});

describe("a name that every JavaScript object has", () => {
  // `__proto__`, `constructor`, `toString` are keys of every object without being its own: a lookup of an
  // environment or a cluster by such a name must find none (the clone of "__proto__" once copied Object.prototype
  // and crashed a rule)
  const seed = editableDefinition();
  const valueAt = (p: Path) => p.reduce<any>((o, k) => o[k], seed);
  const strings = PATHS.filter((p) => typeof valueAt(p) === "string");
  // the fields that name an environment or a cluster (README "What the matrix validates")
  const namePaths = strings.filter((p) => /(\.cloneOf|\.followsEnvironment|\.deployedFirstIn|sourceErrorRate\.environment|\.kvMountManagedBy|\.cluster)$|^promotionOrder\[/.test(formatPath(p)));

  it("the seed's names of environments and clusters are walked", () => {
    expect(namePaths.map(formatPath)).toEqual(
      expect.arrayContaining(["environments.hotfix.cloneOf", "organization.gates.followsEnvironment", "promotionOrder[0]", "environments.prod.cluster"]),
    );
  });
  it.each([["__proto__"], ["constructor"], ["toString"], ["hasOwnProperty"]])("%s in place of each name: refused there, never a crash", (name) => {
    // every string at once (a matrix per name), then each name field alone
    wellFormed(validateMatrix(replaced(strings.map((p) => [p, name] as const))));
    for (const path of namePaths) {
      const problems = validateMatrix(replaced([[path, name]]));
      wellFormed(problems);
      expect(problems.map((p) => p.path)).toContain(formatPath(path));
    }
  });

  it.each([["undefined"], ["null"]])("a clone named %s (a DNS label like any other), with a problem elsewhere: listed, never a crash", (name) => {
    // a path outside environments has no environment name: it must not be read as the environment `undefined`
    const m = editableDefinition();
    const [clone] = Object.entries<any>(m.environments).find(([, e]) => e.cloneOf !== undefined)!;
    m.environments[name] = m.environments[clone];
    delete m.environments[clone];
    m.promotionOrder = m.promotionOrder.map((n: string) => (n === clone ? name : n));
    const fine = validateMatrix(m);
    m.organization.vault.address = 7;
    const problems = validateMatrix(m);
    wellFormed(problems);
    expect(problems.filter((p) => !fine.some((f) => f.path === p.path)).map((p) => p.path)).toEqual(["organization.vault.address"]);
  });
});

describe("one mistake, one problem: no rule speaks about an environment the schema refused", () => {
  const only = (edit: (m: any) => void) => {
    const m = editableDefinition();
    edit(m);
    return validateMatrix(m);
  };

  it("a clone of an environment that does not exist: its cloneOf, not also 'hotfix is not an environment' in the promotion order", () => {
    expect(only((m) => (m.environments.hotfix.cloneOf = "production"))).toEqual([{ path: "environments.hotfix.cloneOf", message: '"production" is not an environment in environments' }]);
  });

  it("the environment a clone copies, refused as a whole: that environment alone (its clone is left out quietly)", () => {
    const problems = only((m) => (m.environments.prod = null));
    expect(problems.map((p) => p.path)).toEqual(["environments.prod"]);
  });

  it("a refused `protected`: that field alone, not also 'prod is not a protected environment' for the gates or the KV mount", () => {
    // the gates follow prod in the seed (organization.ts); the KV mount is given to prod here, as a protected owner
    const problems = only((m) => {
      m.organization.vault.kvMountManagedBy = "prod";
      m.environments.prod.protected = "yes";
    });
    expect(problems).toEqual([{ path: "environments.prod.protected", message: '"yes" is not true or false' }]);
    // the same matrix with prod's protected false: both rules speak (they are quiet only while it cannot be read)
    const unprotected = only((m) => {
      m.organization.vault.kvMountManagedBy = "prod";
      m.environments.prod.protected = false;
    });
    expect(unprotected.map((p) => p.path)).toEqual(expect.arrayContaining(["organization.vault.kvMountManagedBy", "organization.gates.followsEnvironment"]));
  });
});
