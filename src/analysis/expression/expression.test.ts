import { describe, expect, it } from 'vitest';
import { ExpressionEvaluationError, ExpressionSyntaxError } from '../errors.js';
import { compileExpression, evaluateExpression } from './index.js';

const run = (source: string, env: Record<string, unknown> = {}): unknown =>
  evaluateExpression(compileExpression(source), env);

describe('compileExpression / evaluateExpression', () => {
  // [expression, result, expected]
  const argoConditions: [string, unknown, unknown][] = [
    ['result <= 0.01', 0.01, true],
    ['result <= 0.01', 0.02, false],
    ['isNaN(result) || result < 0.05', Number.NaN, true],
    ['isNaN(result) || result < 0.05', 0.1, false],
    ['len(result) == 0 || result[0] >= 0.95', [], true],
    ['len(result) == 0 || result[0] >= 0.95', [0.9], false],
    ['result[0] >= 0.95', [0.96, 0.1], true],
    ['isNaN(result) || result >= 0.95', 0.97, true],
    ['default(result, 0) < 0.05', null, true],
    ['default(result, 0) < 0.05', 0.5, false],
    ['all(result, {# >= 0.9})', [0.95, 0.91], true],
    ['all(result, {# >= 0.9})', [0.95, 0.89], false],
    ['all(result, {# >= 0.9})', [], true],
    ['asInt(result) == 3', '3', true],
    ['asInt(result) == 3', 3.9, true],
    ['asFloat(result) > 0.5', '0.75', true],
    ['asFloat(result) > 0.5', 0.25, false],
    ['isInf(result)', Number.POSITIVE_INFINITY, true],
    ['isInf(result)', Number.NEGATIVE_INFINITY, true],
    ['isInf(result)', 1, false],
    ['isInf(result, 1)', Number.NEGATIVE_INFINITY, false],
    ['isInf(result, -1)', Number.NEGATIVE_INFINITY, true],
    ['isNil(result)', null, true],
    ['isNil(result)', 0, false],
    ['result.data.ok == true', { data: { ok: true } }, true],
    ['result.data.ok == true', { data: { ok: 'true' } }, false],
    ['result.missing == nil', {}, true],
    ['result?.a?.b', null, null],
  ];
  it.each(argoConditions)('should evaluate %s with result=%o to %o', (source, result, expected) => {
    expect(run(source, { result })).toStrictEqual(expected);
  });

  const language: [string, unknown][] = [
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['2 ** 3 ** 2', 512],
    ['2 ^ 10', 1024],
    ['-2 ** 2', -4],
    ['7 / 2', 3.5],
    ['7 % 3', 1],
    ['1 / 0', Number.POSITIVE_INFINITY],
    ['-1 / 0', Number.NEGATIVE_INFINITY],
    ['1e-3 * 1000', 1],
    ['1_000 + .5', 1000.5],
    ['\'a\' + "b"', 'ab'],
    ["'it\\'s'", "it's"],
    ['"x\\ty"', 'x\ty'],
    ['!true', false],
    ['not false', true],
    ['not (1 == 2)', true],
    ['!true == false', true],
    ['true && false || true', true],
    ['true and not false', true],
    ['false or false', false],
    ['1 in [1, 2]', true],
    ['3 not in [1, 2]', true],
    ["'a' in {a: 1}", true],
    ["'abc' contains 'b'", true],
    ["'abc' startsWith 'ab'", true],
    ["'abc' endsWith 'bc'", true],
    ["'abc' not contains 'z'", true],
    ["'v1.2.3' matches '^v\\\\d+\\\\.'", true],
    ["'ABC' matches '(?i)^abc$'", true],
    ["'abc' not matches 'z'", true],
    ["'abab' matches '^(ab)+$'", true],
    ["'((' matches '^[(]+$'", true],
    ["'ab' matches '^(?:a|b)?b$'", true],
    ["'id-7' matches '^(?P<k>[a-z]+)-\\\\d$'", true],
    ['1 < 2 ? "y" : "n"', 'y'],
    ['nil ?? 5', 5],
    ['0 ?? 5', 0],
    ['[1, 2, 3][-1]', 3],
    ['[1, 2, 3][0]', 1],
    ["'hello'[1]", 'e'],
    ['{a: {b: 2}}.a.b', 2],
    ['len("héllo")', 5],
    ['len({a: 1, b: 2})', 2],
    ['abs(-3)', 3],
    ['min(3, 1, 2)', 1],
    ['max([3, 1, 2])', 3],
    ['floor(1.7) + ceil(1.2)', 3],
    ['round(2.5)', 3],
    ['round(-2.5)', -3],
    ['sum([1, 2, 3])', 6],
    ['mean([1, 2, 3])', 2],
    ['avg([2, 4])', 3],
    ['median([3, 1, 2, 4])', 2.5],
    ['any([1, 2], {# > 1})', true],
    ['none([1, 2], {# > 5})', true],
    ['one([1, 2, 3], {# > 2})', true],
    ['one([1, 2, 3], {# > 1})', false],
    ['filter([1, 2, 3], {# % 2 == 1})', [1, 3]],
    ['map([1, 2], {# * 10})', [10, 20]],
    ['count([1, 2, 3], {# >= 2})', 2],
    ['count([{ok: true}, {ok: false}], {.ok})', 1],
    ['all([{v: 1}, {v: 2}], .v > 0)', true],
    ['find([1, 5, 7], {# > 4})', 5],
    ['findIndex([1, 5, 7], {# > 4})', 1],
    ['[1, [2]] == [1, [2]]', true],
    ["1 == '1'", false],
    ['asFloat("NaN") != asFloat("NaN")', true],
    ['asFloat("-Inf") < 0', true],
    ['isNaN(0 / 0)', true],
  ];
  it.each(language)('should evaluate %s to %o', (source, expected) => {
    expect(run(source)).toStrictEqual(expected);
  });

  it('should short-circuit && and || (the right side would fail)', () => {
    expect(run('false && missing > 1')).toBe(false);
    expect(run('true || missing > 1')).toBe(true);
    expect(() => run('true && missing > 1')).toThrow(ExpressionEvaluationError);
  });

  it('should not expose the prototype chain of env values', () => {
    expect(run('result.constructor', { result: {} })).toBeNull();
    expect(run("result['__proto__']", { result: {} })).toBeNull();
    expect(() => run('toString', {})).toThrow(/unknown name toString/);
  });

  it('should be reusable across evaluations', () => {
    const compiled = compileExpression('result > 1');
    expect(evaluateExpression(compiled, { result: 2 })).toBe(true);
    expect(evaluateExpression(compiled, { result: 0 })).toBe(false);
    expect(compiled.source).toBe('result > 1');
  });

  // [expression, column, message fragment]
  const syntaxErrors: [string, number, RegExp][] = [
    ['result <=', 10, /expected an expression but found end of input/],
    ['result >>> 1', 9, /expected an expression but found '>'/],
    ['foo(', 5, /expected an expression or '\)' but found end of input/],
    ['foo(1)', 1, /unknown function foo\(\)/],
    ['', 1, /expected an expression/],
    ['(1 + 2', 7, /expected '\)' to close the parenthesis/],
    ['[1, 2', 6, /expected ',' or '\]'/],
    ['a ? b', 6, /expected ':'/],
    ['1 2', 3, /unexpected '2' after the end/],
    ["'abc", 1, /unterminated string/],
    ['a @ b', 3, /unexpected character '@'/],
    ['# > 1', 1, /'#' can only be used inside a predicate/],
    ['len(1, 2)', 1, /len\(\) expects 1 argument/],
    ['result not 1', 12, /expected 'in'/],
    ["'a' matches '(x)\\\\1'", 5, /backreferences \(\\1, \\k<name>\) are not supported by RE2/],
    ["'a' matches '(?=a)'", 5, /lookahead and lookbehind .* are not supported by RE2/],
    ["'a' matches 'a{1001}'", 5, /not valid RE2 syntax: invalid repeat count/],
    ['a.+', 3, /expected a field name/],
    ['1e', 3, /exponent/],
    ['in', 1, /expected an expression but found 'in'/],
    ["'\\d'", 2, /unknown escape sequence \\d/],
  ];
  it.each(syntaxErrors)('should reject %s at column %i', (source, column, message) => {
    let caught: unknown;
    try {
      compileExpression(source);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ExpressionSyntaxError);
    const error = caught as ExpressionSyntaxError;
    expect(error.code).toBe('CUTOVER_E_EXPRESSION_SYNTAX');
    expect(error.column).toBe(column);
    expect(error.message).toMatch(message);
  });

  it('should reject nesting deeper than the parser allows', () => {
    expect(() => compileExpression(`${'('.repeat(500)}1${')'.repeat(500)}`)).toThrow(ExpressionSyntaxError);
  });

  // [expression, env, message fragment]
  const evaluationErrors: [string, Record<string, unknown>, RegExp][] = [
    ['missing > 1', {}, /unknown name missing/],
    ['result[3]', { result: [1] }, /index out of range: 3/],
    ['result[-2]', { result: [1] }, /index out of range: -2/],
    ["result < 'a'", { result: 1 }, /mismatched types int and string/],
    ['result + 1', { result: 'a' }, /mismatched types string and int/],
    ['result && true', { result: 1 }, /invalid operation: && on int/],
    ['!result', { result: 'x' }, /invalid operation: !/],
    ['result.a', { result: null }, /cannot fetch a from nil/],
    ['result.a', { result: [1] }, /cannot fetch a from array/],
    ['isNaN(result)', { result: 'x' }, /isNaN\(\) expects a number/],
    ['isNaN(result)', { result: null }, /isNaN\(\) expects a number/],
    ['asInt(result)', { result: '3.5' }, /ParseInt/],
    ['asFloat(result)', { result: 'abc' }, /ParseFloat/],
    ['asInt(result)', { result: [1] }, /asInt\(\) not supported on array/],
    ['all(result, {# > 0})', { result: null }, /all\(\) expects an array, got nil/],
    ['all(result, {#})', { result: [1] }, /predicate of all\(\) returned int/],
    ['1 % 0', {}, /integer divide by zero/],
    ['1.5 % 1', {}, /integers only/],
    ['1 in 1', {}, /an array or a map/],
    ['result matches pattern', { result: 'a', pattern: '(?<!a)b' }, /lookahead and lookbehind/],
    ['result matches pattern', { result: 'a', pattern: '[' }, /invalid regular expression/],
    ['not 1 == 2', {}, /invalid operation: !/],
    ['result ? 1 : 2', { result: 1 }, /non-bool int used as condition/],
    ['len(result)', { result: 1 }, /invalid argument for len/],
  ];
  it.each(evaluationErrors)('should fail to evaluate %s', (source, env, message) => {
    const compiled = compileExpression(source);
    let caught: unknown;
    try {
      evaluateExpression(compiled, env);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ExpressionEvaluationError);
    expect((caught as ExpressionEvaluationError).code).toBe('CUTOVER_E_EXPRESSION_EVALUATION');
    expect((caught as Error).message).toMatch(message);
  });

  it('should evaluate a regex on a long input quickly', () => {
    const started = performance.now();
    expect(run("result matches '^a*b$'", { result: `${'a'.repeat(50_000)}c` })).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  // Regression (issue 9): the old guard let `^a*a*a*a*a*a*a*a*$` through, and JavaScript's
  // backtracking engine took 3.9 s and more per evaluation, blocking the control plane.
  it('should run matches on ^a*a*a*a*a*a*a*a*$ in linear time, well under 1 s', () => {
    const result = `${'a'.repeat(40)}!`;
    const started = performance.now();
    expect(run("result matches '^a*a*a*a*a*a*a*a*$'", { result })).toBe(false);
    expect(run('result matches pattern', { result, pattern: '^a*a*a*a*a*a*a*a*$' })).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('should accept nested quantifiers, which RE2 matches in linear time', () => {
    const result = `${'a'.repeat(40)}!`;
    const started = performance.now();
    expect(run("result matches '^(a+)+$'", { result })).toBe(false);
    expect(run("result matches '(a|aa)*!'", { result })).toBe(true);
    expect(run("'x' + result matches '^x((a)*)+'", { result })).toBe(true);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
