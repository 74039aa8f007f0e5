import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";

/**
 * Finds `===`, `!==`, `==` and `!=` comparisons where either side is named like a secret
 * or a digest of one (hash, secret, token, digest, plaintext, checksum, key): those must go
 * through constantTimeEqual (src/crypto/subtle.ts), whose time depends only on lengths.
 * A side that is a literal (null, undefined, a number, a fixed string) or a `typeof` is
 * not a secret comparison; `.length`, ids and counts are not secrets either.
 */
const SECRET_NAME = /(hash|secret|token|digest|plaintext|checksum|password|^key$|^[a-z]+Key$|^insecure)/i;
const NOT_SECRET = /(Id|Ids|Name|Names|Prefix|Type|Kind|Count|Length|Version|At|Format|Start|Path|Url|Header|Code|Scheme|Ttl|Ms)$|^(length|size|kind|type)$/;

export interface Finding {
  file: string;
  line: number;
  text: string;
}

function operandName(node: ts.Expression): string | null {
  while (ts.isParenthesizedExpression(node) || ts.isNonNullExpression(node) || ts.isAsExpression(node)) node = node.expression;
  if (ts.isIdentifier(node)) return node.text;
  if (ts.isPropertyAccessExpression(node)) return node.name.text;
  if (ts.isElementAccessExpression(node) && ts.isStringLiteral(node.argumentExpression)) return node.argumentExpression.text;
  if (ts.isCallExpression(node)) return operandName(node.expression); // sha256Hex(x) === y
  return null;
}

function isLiteral(node: ts.Expression): boolean {
  while (ts.isParenthesizedExpression(node)) node = node.expression;
  return (
    ts.isStringLiteral(node) ||
    ts.isNoSubstitutionTemplateLiteral(node) ||
    ts.isNumericLiteral(node) ||
    ts.isTypeOfExpression(node) ||
    ts.isPrefixUnaryExpression(node) ||
    node.kind === ts.SyntaxKind.NullKeyword ||
    node.kind === ts.SyntaxKind.TrueKeyword ||
    node.kind === ts.SyntaxKind.FalseKeyword ||
    (ts.isIdentifier(node) && node.text === "undefined")
  );
}

const EQUALITY = new Set([ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken, ts.SyntaxKind.EqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsToken]);

export function scanSource(file: string, text: string): Finding[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const findings: Finding[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isBinaryExpression(node) && EQUALITY.has(node.operatorToken.kind) && !isLiteral(node.left) && !isLiteral(node.right)) {
      const names = [operandName(node.left), operandName(node.right)].filter((n): n is string => n !== null);
      if (names.some((n) => SECRET_NAME.test(n) && !NOT_SECRET.test(n))) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart());
        findings.push({ file, line: line + 1, text: node.getText().replace(/\s+/g, " ") });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return findings;
}

/** Every non-test .ts file under `dir`. */
export function scanTree(dir: string, root = dir): Finding[] {
  const out: Finding[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...scanTree(path, root));
    else if (name.endsWith(".ts") && !name.endsWith(".test.ts") && !name.endsWith(".d.ts")) out.push(...scanSource(relative(root, path), readFileSync(path, "utf8")));
  }
  return out;
}
