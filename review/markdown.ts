/**
 * Text from a pull request's synthesized output (addresses, attribute paths, values) placed in markdown that
 * reviewers read: it must stay inside its code span and table cell, whatever it contains, so it cannot close
 * a `<details>`, start a comment that hides what follows, or break the table.
 */
export function code(text: string): string {
  const safe = text
    .replace(/[\r\n\t]+/g, " ")
    .replace(/`/g, "'")
    .replace(/\|/g, "\\|")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");
  return `\`${safe}\``;
}
