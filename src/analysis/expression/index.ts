/**
 * The condition language of `successCondition` / `failureCondition`: a safe subset of expr-lang
 * (github.com/expr-lang/expr), which Argo Rollouts uses to evaluate conditions. It is parsed to an
 * AST and walked; nothing is ever passed to `eval` or `Function`.
 */
import type { Node } from './ast.js';
import { evaluate } from './evaluator.js';
import { parse } from './parser.js';

/** A parsed expression, reusable across evaluations. Opaque: only {@link evaluateExpression} reads it. */
export interface CompiledExpression {
  /** The expression as written. */
  readonly source: string;
  /** @internal the AST. */
  readonly ast: unknown;
}

/**
 * Parses a condition, as expr-lang's `expr.Compile` does for Argo Rollouts' `successCondition`.
 *
 * Pure. Function names and arities are checked here; names in the environment are checked at
 * evaluation (the environment is not known yet).
 *
 * @throws {ExpressionSyntaxError} code `CUTOVER_E_EXPRESSION_SYNTAX`, with the 1-based `column` and
 *   what was expected there.
 * @example compileExpression('isNaN(result) || result < 0.05')
 */
export function compileExpression(source: string): CompiledExpression {
  return Object.freeze({ source, ast: parse(source) });
}

/**
 * Evaluates a compiled expression against `env` (for a condition: `{ result }`), with expr-lang's
 * runtime semantics: `&&` / `||` short-circuit and need booleans, `<` on a string and a number is an
 * error, `==` on different types is false, `/` is float division (x/0 is ±Inf, 0/0 is NaN).
 *
 * Pure; does not mutate `env`. Returns whatever the expression yields (not necessarily a boolean).
 *
 * @throws {ExpressionEvaluationError} code `CUTOVER_E_EXPRESSION_EVALUATION` on an unknown name, an
 *   index out of range, mismatched types or a builtin given a bad argument.
 * @example evaluateExpression(compileExpression('result[0] >= 0.95'), { result: [0.97] }) // true
 */
export function evaluateExpression(compiled: CompiledExpression, env: Record<string, unknown>): unknown {
  return evaluate(compiled.source, compiled.ast as Node, env);
}
