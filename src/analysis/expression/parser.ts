import { compileLinearRegex, PatternSyntaxError } from '../../regex/index.js';
import { ExpressionSyntaxError } from '../errors.js';
import type { BinaryOperator, Node } from './ast.js';
import { BUILTINS } from './builtins.js';
import { type Token, tokenize } from './tokenizer.js';

interface BinaryInfo {
  operator: BinaryOperator;
  precedence: number;
  rightAssociative?: boolean;
}

// expr-lang's precedences (parser/operator/operator.go); higher binds tighter.
const BINARY: Record<string, BinaryInfo> = {
  '||': { operator: '||', precedence: 10 },
  or: { operator: '||', precedence: 10 },
  '&&': { operator: '&&', precedence: 15 },
  and: { operator: '&&', precedence: 15 },
  '==': { operator: '==', precedence: 20 },
  '!=': { operator: '!=', precedence: 20 },
  '<': { operator: '<', precedence: 20 },
  '<=': { operator: '<=', precedence: 20 },
  '>': { operator: '>', precedence: 20 },
  '>=': { operator: '>=', precedence: 20 },
  in: { operator: 'in', precedence: 20 },
  contains: { operator: 'contains', precedence: 20 },
  startsWith: { operator: 'startsWith', precedence: 20 },
  endsWith: { operator: 'endsWith', precedence: 20 },
  matches: { operator: 'matches', precedence: 20 },
  '+': { operator: '+', precedence: 30 },
  '-': { operator: '-', precedence: 30 },
  '*': { operator: '*', precedence: 60 },
  '/': { operator: '/', precedence: 60 },
  '%': { operator: '%', precedence: 60 },
  '**': { operator: '**', precedence: 100, rightAssociative: true },
  '^': { operator: '**', precedence: 100, rightAssociative: true },
  '??': { operator: '??', precedence: 500 },
};
const NEGATABLE = new Set(['in', 'contains', 'startsWith', 'endsWith', 'matches']);
const WORD_OPERATORS = new Set(['and', 'or', 'in', 'not', 'contains', 'startsWith', 'endsWith', 'matches']);
const UNARY_NOT_PRECEDENCE = 50;
const UNARY_SIGN_PRECEDENCE = 90;
/** Deepest nesting accepted, so a hostile condition cannot overflow the stack. */
const MAX_DEPTH = 100;

/** Parses a condition to an AST (a Pratt parser over expr-lang's grammar). Throws {@link ExpressionSyntaxError}. */
export function parse(source: string): Node {
  return new Parser(source).parseAll();
}

class Parser {
  readonly #source: string;
  readonly #tokens: Token[];
  #pos = 0;
  #depth = 0;
  #closureDepth = 0;

  constructor(source: string) {
    this.#source = source;
    this.#tokens = tokenize(source);
  }

  parseAll(): Node {
    if (this.#peek().kind === 'eof')
      this.#fail(this.#peek(), 'expected an expression but found end of input');
    const node = this.#expression(0);
    const next = this.#peek();
    if (next.kind !== 'eof') this.#fail(next, `unexpected ${describe(next)} after the end of the expression`);
    return node;
  }

  #peek(offset = 0): Token {
    return this.#tokens[Math.min(this.#pos + offset, this.#tokens.length - 1)] as Token;
  }

  #next(): Token {
    const token = this.#peek();
    if (token.kind !== 'eof') this.#pos++;
    return token;
  }

  #isOperator(text: string, token = this.#peek()): boolean {
    return token.kind === 'operator' && token.text === text;
  }

  #expect(text: string, context: string): Token {
    const token = this.#peek();
    if (!this.#isOperator(text))
      this.#fail(token, `expected '${text}' ${context} but found ${describe(token)}`);
    return this.#next();
  }

  #fail(token: Token, message: string): never {
    throw new ExpressionSyntaxError(this.#source, token.column, message);
  }

  #expression(minPrecedence: number): Node {
    if (++this.#depth > MAX_DEPTH)
      this.#fail(this.#peek(), `expression nested deeper than ${MAX_DEPTH} levels`);
    let left = this.#unary();
    for (;;) {
      const token = this.#peek();
      let negated = false;
      let info: BinaryInfo | undefined;
      let width = 1;
      if (token.kind === 'operator' || token.kind === 'identifier') {
        if (token.kind === 'identifier' && token.text === 'not') {
          const after = this.#peek(1);
          if (after.kind === 'identifier' && NEGATABLE.has(after.text)) {
            negated = true;
            info = BINARY[after.text];
            width = 2;
          } else {
            this.#fail(after, `expected 'in', 'contains', 'startsWith', 'endsWith' or 'matches' after 'not'`);
          }
        } else if (token.kind === 'operator' || WORD_OPERATORS.has(token.text)) {
          info = Object.hasOwn(BINARY, token.text) ? BINARY[token.text] : undefined;
        }
      }
      if (info === undefined || info.precedence < minPrecedence) break;
      this.#pos += width;
      const right = this.#expression(info.rightAssociative ? info.precedence : info.precedence + 1);
      const node: Node = {
        type: 'binary',
        operator: info.operator,
        negated,
        left,
        right,
        column: token.column,
      };
      if (info.operator === 'matches' && right.type === 'literal' && typeof right.value === 'string') {
        try {
          node.regex = compileLinearRegex(right.value);
        } catch (error) {
          if (!(error instanceof PatternSyntaxError)) throw error;
          this.#fail(token, error.message);
        }
      }
      left = node;
    }
    if (minPrecedence === 0 && this.#isOperator('?')) {
      const question = this.#next();
      const consequent = this.#expression(0);
      this.#expect(':', "in a conditional 'cond ? a : b'");
      const alternate = this.#expression(0);
      left = { type: 'conditional', test: left, consequent, alternate, column: question.column };
    }
    this.#depth--;
    return left;
  }

  #unary(): Node {
    const token = this.#peek();
    if (this.#isOperator('!') || (token.kind === 'identifier' && token.text === 'not')) {
      this.#next();
      return {
        type: 'unary',
        operator: '!',
        operand: this.#expression(UNARY_NOT_PRECEDENCE),
        column: token.column,
      };
    }
    if (this.#isOperator('-') || this.#isOperator('+')) {
      this.#next();
      const operand = this.#expression(UNARY_SIGN_PRECEDENCE);
      return { type: 'unary', operator: token.text as '-' | '+', operand, column: token.column };
    }
    return this.#postfix(this.#primary());
  }

  #primary(): Node {
    const token = this.#next();
    switch (token.kind) {
      case 'number':
        return { type: 'literal', value: token.value ?? 0 };
      case 'string':
        return { type: 'literal', value: token.text };
      case 'identifier':
        return this.#identifier(token);
      case 'eof':
        return this.#fail(token, 'expected an expression but found end of input');
    }
    switch (token.text) {
      case '(': {
        const inner = this.#expression(0);
        this.#expect(')', 'to close the parenthesis');
        return inner;
      }
      case '[':
        return this.#array();
      case '{':
        return this.#map();
      case '#':
        if (this.#closureDepth === 0)
          this.#fail(token, "'#' can only be used inside a predicate such as all(arr, {# > 0})");
        return { type: 'pointer', column: token.column };
      case '.': {
        if (this.#closureDepth === 0) this.#fail(token, `expected an expression but found '.'`);
        const name = this.#next();
        if (name.kind !== 'identifier')
          this.#fail(name, `expected a field name after '.' but found ${describe(name)}`);
        return {
          type: 'member',
          object: { type: 'pointer', column: token.column },
          property: name.text,
          optional: false,
          column: token.column,
        };
      }
    }
    return this.#fail(token, `expected an expression but found ${describe(token)}`);
  }

  #identifier(token: Token): Node {
    switch (token.text) {
      case 'true':
        return { type: 'literal', value: true };
      case 'false':
        return { type: 'literal', value: false };
      case 'nil':
        return { type: 'literal', value: null };
    }
    if (WORD_OPERATORS.has(token.text)) this.#fail(token, `expected an expression but found '${token.text}'`);
    if (!this.#isOperator('(')) return { type: 'identifier', name: token.text, column: token.column };
    this.#next();
    const builtin = Object.hasOwn(BUILTINS, token.text) ? BUILTINS[token.text] : undefined;
    const args: Node[] = [];
    while (!this.#isOperator(')')) {
      if (args.length > 0) this.#expect(',', `or ')' between the arguments of ${token.text}()`);
      if (this.#isOperator(')')) break;
      if (args.length === 1 && builtin?.kind === 'closure') args.push(this.#closure());
      else {
        if (this.#peek().kind === 'eof')
          this.#fail(this.#peek(), "expected an expression or ')' but found end of input");
        args.push(this.#expression(0));
      }
    }
    this.#next();
    if (builtin === undefined) {
      this.#fail(
        token,
        `unknown function ${token.text}() (known: ${Object.keys(BUILTINS).sort().join(', ')})`,
      );
    }
    if (args.length < builtin.minArgs || args.length > builtin.maxArgs) {
      const expected =
        builtin.minArgs === builtin.maxArgs
          ? `${builtin.minArgs}`
          : builtin.maxArgs === Number.POSITIVE_INFINITY
            ? `at least ${builtin.minArgs}`
            : `${builtin.minArgs} to ${builtin.maxArgs}`;
      this.#fail(token, `${token.text}() expects ${expected} argument(s), got ${args.length}`);
    }
    return { type: 'call', name: token.text, args, column: token.column };
  }

  #closure(): Node {
    this.#closureDepth++;
    let body: Node;
    if (this.#isOperator('{')) {
      this.#next();
      body = this.#expression(0);
      this.#expect('}', 'to close the predicate');
    } else {
      body = this.#expression(0);
    }
    this.#closureDepth--;
    return { type: 'closure', body };
  }

  #array(): Node {
    const elements: Node[] = [];
    while (!this.#isOperator(']')) {
      if (elements.length > 0) this.#expect(',', "or ']' in an array literal");
      if (this.#isOperator(']')) break;
      elements.push(this.#expression(0));
    }
    this.#next();
    return { type: 'array', elements };
  }

  #map(): Node {
    const entries: { key: string; value: Node }[] = [];
    while (!this.#isOperator('}')) {
      if (entries.length > 0) this.#expect(',', "or '}' in a map literal");
      if (this.#isOperator('}')) break;
      const key = this.#next();
      if (key.kind !== 'identifier' && key.kind !== 'string' && key.kind !== 'number') {
        this.#fail(key, `expected a map key but found ${describe(key)}`);
      }
      this.#expect(':', 'after a map key');
      entries.push({ key: key.kind === 'number' ? String(key.value) : key.text, value: this.#expression(0) });
    }
    this.#next();
    return { type: 'map', entries };
  }

  #postfix(node: Node): Node {
    let current = node;
    for (;;) {
      const token = this.#peek();
      if (this.#isOperator('.') || this.#isOperator('?.')) {
        this.#next();
        const optional = token.text === '?.';
        if (optional && this.#isOperator('[')) {
          this.#next();
          const index = this.#expression(0);
          this.#expect(']', 'to close the index');
          current = { type: 'index', object: current, index, optional, column: token.column };
          continue;
        }
        const name = this.#next();
        if (name.kind !== 'identifier') {
          this.#fail(name, `expected a field name after '${token.text}' but found ${describe(name)}`);
        }
        current = { type: 'member', object: current, property: name.text, optional, column: token.column };
      } else if (this.#isOperator('[')) {
        this.#next();
        const index = this.#expression(0);
        this.#expect(']', 'to close the index');
        current = { type: 'index', object: current, index, optional: false, column: token.column };
      } else {
        return current;
      }
    }
  }
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'eof':
      return 'end of input';
    case 'string':
      return `string ${JSON.stringify(token.text)}`;
    default:
      return `'${token.text}'`;
  }
}
