/**
 * Whether a matrix file (config/environments.ts, config/organization.ts) holds data only: constants built of
 * literals, the other matrix file's constants and type imports, nothing that runs. The matrix is TypeScript, and
 * every tool that loads it runs it, the deploy workflow too, with its credentials in the environment: a call hidden
 * in a change that looks like a value edit would run there after one approval. The review counts a matrix file
 * that is not data only as code (pull-request-review.yml's warning names it).
 *
 * Read with the TypeScript compiler's parser (no type-checking, nothing run). Allowed: `import type …`; named
 * imports from the other matrix files and `./types`; `const` (exported or not) whose value is a data expression:
 * object and array literals (plain keys, no getters or methods, spreads of data), strings, templates of data,
 * numbers (negative too), booleans, null, names of constants, a constant's plain property, and `as`/`satisfies`/
 * parentheses around data. Anything else is a problem, with its line.
 */
import * as ts from "typescript";

/** Modules a matrix file may import values from (type imports are always fine). */
const DATA_MODULES = new Set(["./organization", "./environments", "./types"]);
/** Names a data expression may not read: what would reach the process, the module system or the global object. */
const FORBIDDEN_NAMES = new Set(["process", "require", "module", "exports", "globalThis", "global", "eval", "Function", "import"]);
/** Keys and property names that reach an object's machinery instead of its data (`"".constructor.constructor` is Function). */
const FORBIDDEN_KEYS = new Set(["constructor", "prototype", "__proto__", "toJSON", "toString", "valueOf"]);
/** The block-scope flags of a declaration list; a matrix constant has exactly `const` among them (not `using`). */
const BLOCK_SCOPE = ts.NodeFlags.Let | ts.NodeFlags.Const | ts.NodeFlags.Using;

export function matrixDataProblems(text: string, file: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const problems: string[] = [];
  // what the parser could not read is no data either (the compiler keeps its syntax errors on the source file)
  for (const d of (source as unknown as { parseDiagnostics?: readonly ts.Diagnostic[] }).parseDiagnostics ?? []) {
    const { line } = source.getLineAndCharacterOfPosition(d.start ?? 0);
    problems.push(`${file}:${line + 1}: does not parse (${ts.flattenDiagnosticMessageText(d.messageText, " ")})`);
  }
  const at = (node: ts.Node, what: string) => {
    const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
    problems.push(`${file}:${line + 1}: ${what}`);
  };
  const data = (e: ts.Expression): void => {
    if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isTypeAssertionExpression(e)) return data(e.expression);
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e) || ts.isNumericLiteral(e)) return;
    if (e.kind === ts.SyntaxKind.TrueKeyword || e.kind === ts.SyntaxKind.FalseKeyword || e.kind === ts.SyntaxKind.NullKeyword) return;
    if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(e.operand)) return;
    if (ts.isTemplateExpression(e)) return e.templateSpans.forEach((s) => data(s.expression));
    if (ts.isIdentifier(e)) {
      if (FORBIDDEN_NAMES.has(e.text)) at(e, `reads ${e.text}`);
      return;
    }
    if (ts.isPropertyAccessExpression(e) && !ts.isPrivateIdentifier(e.name)) {
      if (FORBIDDEN_KEYS.has(e.name.text)) at(e, `reads .${e.name.text}`);
      return data(e.expression);
    }
    if (ts.isArrayLiteralExpression(e)) return e.elements.forEach((x) => (ts.isSpreadElement(x) ? data(x.expression) : data(x)));
    if (ts.isObjectLiteralExpression(e)) {
      for (const p of e.properties) {
        if ((ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) && !ts.isComputedPropertyName(p.name) && FORBIDDEN_KEYS.has(p.name.getText(source).replace(/^["']|["']$/g, ""))) {
          at(p, `the key ${p.name.getText(source)} (an object's machinery, not its data)`);
        } else if (ts.isPropertyAssignment(p) && !ts.isComputedPropertyName(p.name)) data(p.initializer);
        else if (ts.isShorthandPropertyAssignment(p)) data(p.name);
        else if (ts.isSpreadAssignment(p)) data(p.expression);
        else at(p, `a ${ts.SyntaxKind[p.kind]} in an object (a getter, method or computed key runs code)`);
      }
      return;
    }
    at(e, `${ts.SyntaxKind[e.kind]} (${e.getText(source).slice(0, 60)}): not data`);
  };
  for (const s of source.statements) {
    if (ts.isImportDeclaration(s)) {
      const from = ts.isStringLiteral(s.moduleSpecifier) ? s.moduleSpecifier.text : "";
      const clause = s.importClause;
      if (clause?.isTypeOnly) continue;
      const named = clause && !clause.name && clause.namedBindings && ts.isNamedImports(clause.namedBindings);
      if (!named || !DATA_MODULES.has(from)) at(s, `imports ${JSON.stringify(from)}${named ? "" : " (not named imports)"}: only the other matrix files and ./types`);
      continue;
    }
    // `const` alone (`using` and `await using` share its bit), no modifier but `export`, no decorator
    if (
      ts.isVariableStatement(s) &&
      (s.declarationList.flags & BLOCK_SCOPE) === ts.NodeFlags.Const &&
      (s.modifiers ?? []).every((m) => m.kind === ts.SyntaxKind.ExportKeyword)
    ) {
      for (const d of s.declarationList.declarations) {
        if (!ts.isIdentifier(d.name)) at(d, "a destructuring declaration");
        else if (d.initializer === undefined) at(d, `${d.name.text} has no value`);
        else data(d.initializer);
      }
      continue;
    }
    if (ts.isTypeAliasDeclaration(s) || ts.isInterfaceDeclaration(s)) continue;
    at(s, `${ts.isVariableStatement(s) ? "a let, var, using, declare or decorated declaration" : `a ${ts.SyntaxKind[s.kind]} statement`}: a matrix file holds constants only`);
  }
  return problems;
}
