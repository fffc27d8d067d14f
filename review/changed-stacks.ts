/**
 * `npm run --silent changed-stacks -- <base cdktf.out> <head cdktf.out>`: the stacks whose synthesized
 * config differs between two synth outputs (added, removed or changed), as a JSON array for a CI job matrix.
 */
import { readOutput } from "./synth-output";

export function changedStacks(baseDir: string, headDir: string): string[] {
  const base = readOutput(baseDir);
  const head = readOutput(headDir);
  return [...new Set([...base.keys(), ...head.keys()])]
    .filter((name) => {
      const [b, h] = [base.get(name), head.get(name)];
      return !b || !h || !b.bytes.equals(h.bytes);
    })
    .sort();
}
