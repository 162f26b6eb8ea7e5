/** AST of the condition language; produced by `parse`, walked by `evaluate`. */
import type { LinearRegex } from '../../regex/index.js';

/** Binary operators after normalisation (`and` is `&&`, `or` is `||`, `^` is `**`). */
export type BinaryOperator =
  | '||'
  | '&&'
  | '=='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | 'in'
  | 'contains'
  | 'startsWith'
  | 'endsWith'
  | 'matches'
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '**'
  | '??';

/** One node of the AST; `column` (1-based) is kept where an evaluation error may point. */
export type Node =
  | { type: 'literal'; value: null | boolean | number | string }
  | { type: 'identifier'; name: string; column: number }
  | { type: 'pointer'; column: number }
  | { type: 'member'; object: Node; property: string; optional: boolean; column: number }
  | { type: 'index'; object: Node; index: Node; optional: boolean; column: number }
  | { type: 'unary'; operator: '!' | '-' | '+'; operand: Node; column: number }
  | {
      type: 'binary';
      operator: BinaryOperator;
      /** `not in`, `not matches`, ...: the result is negated. */
      negated: boolean;
      left: Node;
      right: Node;
      column: number;
      /** For `matches` with a literal pattern: compiled once at compile time (RE2, linear time). */
      regex?: LinearRegex;
    }
  | { type: 'conditional'; test: Node; consequent: Node; alternate: Node; column: number }
  | { type: 'array'; elements: Node[] }
  | { type: 'map'; entries: { key: string; value: Node }[] }
  | { type: 'call'; name: string; args: Node[]; column: number }
  | { type: 'closure'; body: Node };
