import { ExpressionSyntaxError } from '../errors.js';

/** Kinds of token of the condition language. */
type TokenKind = 'number' | 'string' | 'identifier' | 'operator' | 'eof';

/** One token; `column` is 1-based. */
export interface Token {
  kind: TokenKind;
  /** The operator / identifier text, or the decoded string literal. */
  text: string;
  /** For `number` tokens. */
  value?: number;
  column: number;
}

// Longest first, so `**` wins over `*` and `?.` over `?`.
const OPERATORS = [
  '**',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '??',
  '?.',
  '+',
  '-',
  '*',
  '/',
  '%',
  '^',
  '!',
  '<',
  '>',
  '?',
  ':',
  '.',
  ',',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  '#',
] as const;

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isIdentStart = (c: string | undefined): boolean => c !== undefined && /[A-Za-z_$]/.test(c);
const isIdentPart = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_$]/.test(c);

const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  b: '\b',
  f: '\f',
  v: '\v',
  '0': '\0',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '`': '`',
};

/** Splits an expression into tokens; throws {@link ExpressionSyntaxError} on a character it cannot read. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (at: number, message: string): never => {
    throw new ExpressionSyntaxError(source, at + 1, message);
  };
  while (i < source.length) {
    const c = source[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (isDigit(c) || (c === '.' && isDigit(source[i + 1]))) {
      while (isDigit(source[i]) || source[i] === '_') i++;
      if (source[i] === '.' && isDigit(source[i + 1])) {
        i++;
        while (isDigit(source[i]) || source[i] === '_') i++;
      }
      if (source[i] === 'e' || source[i] === 'E') {
        let j = i + 1;
        if (source[j] === '+' || source[j] === '-') j++;
        if (!isDigit(source[j])) fail(j, 'expected digits in the exponent of a number');
        i = j;
        while (isDigit(source[i])) i++;
      }
      if (isIdentPart(source[i])) fail(i, `unexpected character '${source[i]}' after a number`);
      const text = source.slice(start, i);
      tokens.push({ kind: 'number', text, value: Number(text.replaceAll('_', '')), column: start + 1 });
      continue;
    }
    if (isIdentStart(c)) {
      while (isIdentPart(source[i])) i++;
      tokens.push({ kind: 'identifier', text: source.slice(start, i), column: start + 1 });
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      i++;
      let text = '';
      for (;;) {
        const ch = source[i];
        if (ch === undefined) fail(start, `unterminated string literal, expected a closing ${c}`);
        if (ch === c) {
          i++;
          break;
        }
        if (ch === '\\' && c !== '`') {
          const next = source[i + 1];
          if (next === 'u') {
            const hex = source.slice(i + 2, i + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail(i, 'expected four hex digits after \\u');
            text += String.fromCharCode(Number.parseInt(hex, 16));
            i += 6;
            continue;
          }
          const decoded = next === undefined ? undefined : ESCAPES[next];
          if (decoded === undefined) fail(i, `unknown escape sequence \\${next ?? ''}`);
          text += decoded;
          i += 2;
          continue;
        }
        text += ch;
        i++;
      }
      tokens.push({ kind: 'string', text, column: start + 1 });
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (op === undefined) fail(i, `unexpected character '${c}'`);
    else {
      // `?.` followed by a digit is a ternary and a number (`a ?.5 : 1`), as in expr.
      if (op === '?.' && isDigit(source[i + 2])) {
        tokens.push({ kind: 'operator', text: '?', column: start + 1 });
        i += 1;
        continue;
      }
      tokens.push({ kind: 'operator', text: op, column: start + 1 });
      i += op.length;
    }
  }
  tokens.push({ kind: 'eof', text: '', column: source.length + 1 });
  return tokens;
}
