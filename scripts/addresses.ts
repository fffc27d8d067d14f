/**
 * `npm run addresses`: the Terraform addresses of every synthesized stack against stacks/addresses.json, the
 * addresses of the last reviewed synth. An address that disappears is a resource Terraform will destroy, unless a
 * `moved` entry (stacks/moved.ts) says where it went; this lists each such address with what to do, and exit 1.
 * `--write` records the current addresses (after a reviewed removal, addition or rename).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Testing, type App } from "cdktf";
import { loadMatrix } from "../config";
import type { Matrix } from "../config/types";
import { GATES_STACK } from "../config/rules";
import { stackOf } from "../config/stacks";
import { buildApp, REPOSITORY_ADOPTED_DIR } from "../main";
import { readAdoptions } from "../stacks/adopted";
import { FORGOTTEN, MOVED, type StackKind } from "../stacks/moved";
import { withScratchFolder } from "../stacks/scratch-folder";

export const ADDRESSES_FILE = path.resolve(__dirname, "..", "stacks", "addresses.json");

/** Every stack's resource addresses (`type.name`), sorted, synthesized in memory from `m`. */
export function synthesizedAddresses(m: Matrix, outdir: string): Record<string, string[]> {
  const app = buildApp(Testing.app({ outdir }) as unknown as App, m);
  return Object.fromEntries(
    app.node.children.map((stack) => {
      const json = JSON.parse(Testing.synth(stack as any)) as { resource?: Record<string, Record<string, unknown>> };
      return [stack.node.id, Object.entries(json.resource ?? {}).flatMap(([type, byName]) => Object.keys(byName).map((n) => `${type}.${n}`)).sort()];
    }),
  );
}

/** A stack's kind by its name: the gates stack, an environment's, or a team's (config/stacks.ts). */
export const stackKind = (m: Matrix) => (stack: string): StackKind => (stack === GATES_STACK ? "gates" : stackOf(m, stack)?.kind === "team" ? "team" : "environment");

/** The environment a stack belongs to (its own, or its team stack's environment); none for the gates stack. */
export const stackEnvironment = (m: Matrix) => (stack: string): string | undefined => {
  const of = stackOf(m, stack);
  return of === undefined ? stack : of.kind === "gates" ? undefined : of.environment;
};

/**
 * What differs from the recorded addresses, each with what to do; empty when nothing does. `environmentOf`: where an
 * address newly appears in several stacks (an environment split by team, and its clone with it), the one of the same
 * environment is where it went.
 */
export function addressProblems(
  recorded: Record<string, readonly string[]>,
  current: Record<string, readonly string[]>,
  moved: Readonly<Record<StackKind, Readonly<Record<string, string>>>> = MOVED,
  kindOf: (stack: string) => StackKind = (stack) => (stack === GATES_STACK ? "gates" : "environment"),
  forgotten: Readonly<Record<string, readonly string[]>> = FORGOTTEN,
  imported: Readonly<Record<string, readonly string[]>> = {},
  environmentOf: (stack: string) => string | undefined = () => undefined,
): string[] {
  const problems: string[] = [];
  for (const stack of [...new Set([...Object.keys(recorded), ...Object.keys(current)])].sort()) {
    if (!(stack in current)) {
      problems.push(
`${stack}: the stack is no longer synthesized (an environment removed from the matrix, or a team left without services): nothing applies or destroys it any more, and its objects stay, managed by nothing. A retired environment: destroy its stack first (npx cdktf destroy ${stack} with its deployer's credentials, at the commit before its removal): the gates stack's next apply removes its GitHub environments and deployer roles. A team's: import them where they went (npm run adopt -- <that stack>) and remove ${stack}'s state. Then npm run addresses -- --write.`,
      );
      continue;
    }
    const before = new Set(recorded[stack] ?? []);
    const now = new Set(current[stack] ?? []);
    const movedHere = moved[kindOf(stack)];
    const arrivedFrom = new Set([...now].map((a) => movedHere[a]).filter((from): from is string => from !== undefined));
    for (const gone of [...before].filter((a) => !now.has(a))) {
      if (arrivedFrom.has(gone)) continue;
      // the same address newly in another stack: an environment split by team, or a service that changed team
      // (moved cannot cross states): forgotten here, imported there, or the new stack would create a second object
      // (prod split by team splits its clone hotfix too: hotfix's address went to hotfix-<team>, not prod-<team>)
      const candidates = Object.keys(current).filter((other) => other !== stack && current[other].includes(gone) && !(recorded[other] ?? []).includes(gone));
      const to = candidates.find((other) => environmentOf(other) !== undefined && environmentOf(other) === environmentOf(stack)) ?? candidates[0];
      const forgottenHere = (forgotten[stack] ?? []).includes(gone) || (to !== undefined && kindOf(stack) === "environment" && kindOf(to) === "team");
      if (to !== undefined && forgottenHere && (imported[to] ?? []).includes(gone)) continue;
      if (to === undefined && forgottenHere) continue;
      problems.push(
        to === undefined
          ? `${stack}: ${gone} is gone: Terraform would destroy it. Renamed? Add "<its new address>": "${gone}" to MOVED.${kindOf(stack)} in stacks/moved.ts (its state then moves). Removed on purpose? npm run addresses -- --write records that.`
          : forgottenHere
            ? `${stack}: ${gone} moved to stack ${to}, which does not import it: ${to} would create a second one (Datadog) or fail on "already exists" (Kubernetes). npm run adopt -- ${to} writes its import block; once applied, npm run addresses -- --write.`
            : `${stack}: ${gone} moved to stack ${to}: Terraform would destroy it here and create it there. Add "${gone}" to FORGOTTEN["${stack}"] in stacks/moved.ts (a removed block: forgotten, not destroyed), and npm run adopt -- ${to} (an import block there), then npm run addresses -- --write.`,
      );
    }
    for (const added of [...now].filter((a) => !before.has(a))) problems.push(`${stack}: ${added} is new: npm run addresses -- --write records it.`);
  }
  return problems;
}

/** Where `npm run addresses` reads and writes, and how it speaks: the repository's own unless a test says otherwise. */
export interface AddressesIo {
  readonly matrix: () => Matrix;
  /** The recorded addresses (stacks/addresses.json). */
  readonly file: string;
  /** The committed import blocks (adopted/): an address imported by the stack it moved to. */
  readonly adoptedDir: string;
  readonly log: (line: string) => void;
  readonly error: (line: string) => void;
}

const REPOSITORY: AddressesIo = {
  matrix: () => loadMatrix(),
  file: ADDRESSES_FILE,
  adoptedDir: REPOSITORY_ADOPTED_DIR,
  log: (line) => console.log(line),
  error: (line) => console.error(line),
};

/**
 * `npm run addresses [-- --write]`: 0 when the synthesized addresses are the recorded ones (or moved), 1 with a
 * line per problem on stderr; `--write` records them. The in-memory synthesis's folder is removed afterwards.
 */
export function addressesCommand(argv: readonly string[], io: AddressesIo = REPOSITORY): number {
  const m = io.matrix();
  const current = withScratchFolder("envmatrix-addresses-", (folder) => synthesizedAddresses(m, folder));
  if (argv.includes("--write")) {
    fs.writeFileSync(io.file, `${JSON.stringify(current, null, 2)}\n`);
    io.log(`${path.relative(process.cwd(), io.file)}: ${Object.values(current).flat().length} addresses of ${Object.keys(current).length} stacks recorded`);
    return 0;
  }
  const imported = Object.fromEntries(Object.entries(readAdoptions(io.adoptedDir)).map(([stack, list]) => [stack, list.map((a) => a.to)]));
  const problems = addressProblems(JSON.parse(fs.readFileSync(io.file, "utf8")), current, MOVED, stackKind(m), FORGOTTEN, imported, stackEnvironment(m));
  for (const p of problems) io.error(p);
  if (problems.length === 0) io.log("addresses: as recorded (or moved)");
  return problems.length === 0 ? 0 : 1;
}

if (require.main === module) process.exitCode = addressesCommand(process.argv.slice(2));
