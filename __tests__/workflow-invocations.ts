/**
 * The CLI invocations of the workflows (`npm run --silent <command> -- <args>` in .github/workflows), read as the
 * shell would split them, and bound to fixture values: what cli-wiring.test.ts and the fake-backed tests run.
 */
import * as fs from "node:fs";
import * as path from "node:path";

const root = path.resolve(__dirname, "..");
const workflowsDir = path.join(root, ".github", "workflows");
const scripts: Record<string, string> = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).scripts;

export interface Invocation {
  readonly workflow: string;
  readonly script: string;
  /** The words after `--`, quotes removed, variables not yet expanded (`$STACK`, `${at[@]}`). */
  readonly words: readonly string[];
}

/** Shell words up to the end of the command (a redirection, pipe, `;`, `)` or the end of the line). */
function shellWords(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quoted = false;
  for (const ch of text) {
    if (quoted) {
      if (ch === '"') quoted = false;
      else word += ch;
    } else if (ch === '"') {
      quoted = true;
      word ??= "";
    } else if (/\s/.test(ch)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (/[)>|;]/.test(ch)) {
      if (word === "2") word = undefined; // 2>
      break;
    } else word = (word ?? "") + ch;
  }
  if (word !== undefined) words.push(word);
  return words;
}

export function invocations(): Invocation[] {
  const out: Invocation[] = [];
  for (const workflow of fs.readdirSync(workflowsDir).filter((f) => f.endsWith(".yml")).sort()) {
    for (const line of fs.readFileSync(path.join(workflowsDir, workflow), "utf8").split("\n")) {
      if (/^\s*#/.test(line)) continue;
      for (const m of line.matchAll(/npm run --silent ([a-z-]+)( -- (.*))?/g)) {
        // `npm run synth` is cdktf's, not the CLI's
        if (scripts[m[1]]?.includes("scripts/cli.ts")) out.push({ workflow, script: m[1], words: m[3] ? shellWords(m[3]) : [] });
      }
    }
  }
  return out;
}

/** The CLI arguments of an invocation with `vars` bound: `$X` inside a word, or a whole word spliced (arrays). */
export function argv(inv: Invocation, vars: Record<string, string | readonly string[]>): string[] {
  const cli = /scripts\/cli\.ts (\S+)$/.exec(scripts[inv.script]);
  if (!cli) throw new Error(`package.json script ${inv.script} is not a scripts/cli.ts command`);
  const args = inv.words.flatMap((w) => {
    const whole = /^\$\{?([A-Za-z_]+)(\[@\])?\}?$/.exec(w);
    if (whole && Array.isArray(vars[whole[1]])) return vars[whole[1]] as string[];
    return [w.replace(/\$\{?([A-Za-z_]+)\}?/g, (_m, name: string) => {
      const v = vars[name];
      if (v === undefined) throw new Error(`${inv.workflow}: no fixture value for $${name} in npm run ${inv.script}`);
      return String(v);
    })];
  });
  return [cli[1], ...args];
}

