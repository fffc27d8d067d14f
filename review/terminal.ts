/** Colour and progress for a person at a terminal; plain text when piped, in CI, or with NO_COLOR. */
import { createColors } from "picocolors";

export function interactive(stream: NodeJS.WriteStream = process.stdout): boolean {
  return stream.isTTY === true && !process.env.CI && !process.env.NO_COLOR && process.env.TERM !== "dumb";
}

export const colors = createColors(interactive());

/** A one-line progress note on stderr, overwritten in place; silent unless stderr is a terminal. */
export function progress(message: string): void {
  if (!interactive(process.stderr)) return;
  process.stderr.write(`\r\x1b[2K${colors.dim(message)}`);
}

export function progressDone(): void {
  if (interactive(process.stderr)) process.stderr.write("\r\x1b[2K");
}
