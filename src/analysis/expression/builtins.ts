/**
 * Builtin functions of the condition language: Argo Rollouts' additions to expr's environment
 * (`asInt`, `asFloat`, `isNaN`, `isInf`, `isNil`, `default`) and a subset of expr-lang's own builtins.
 */
import { describeValue, isMap, isNilValue, typeName } from './values.js';

/** Raises an evaluation error with the given message (the evaluator adds the expression). */
export type Fail = (message: string) => never;

/** A builtin whose arguments are all evaluated first. */
interface EagerBuiltin {
  kind: 'eager';
  minArgs: number;
  maxArgs: number;
  call(args: unknown[], fail: Fail): unknown;
}

/** A builtin taking an array and a predicate closure (`all(result, {# > 0.9})`), run by the evaluator. */
interface ClosureBuiltin {
  kind: 'closure';
  minArgs: 2;
  maxArgs: 2;
}

export type Builtin = EagerBuiltin | ClosureBuiltin;

const GO_FLOAT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const GO_SPECIAL_FLOAT = /^([+-])?(inf|infinity|nan)$/i;
const GO_INT = /^[+-]?\d+$/;

function num(v: unknown, fn: string, fail: Fail): number {
  if (typeof v !== 'number') fail(`${fn}() expects a number, got ${typeName(v)} ${describeValue(v)}`);
  return v as number;
}

function numbers(args: unknown[], fn: string, fail: Fail): number[] {
  const list = args.length === 1 && Array.isArray(args[0]) ? args[0] : args;
  return list.map((v) => num(v, fn, fail));
}

function array(v: unknown, fn: string, fail: Fail): unknown[] {
  if (!Array.isArray(v)) fail(`${fn}() expects an array, got ${typeName(v)}`);
  return v as unknown[];
}

/** Go's math.Round: half away from zero (JavaScript's Math.round rounds half up). */
const goRound = (x: number): number => (x < 0 ? -Math.round(-x) : Math.round(x));

const eager = (minArgs: number, maxArgs: number, call: EagerBuiltin['call']): EagerBuiltin => ({
  kind: 'eager',
  minArgs,
  maxArgs,
  call,
});
const closure: ClosureBuiltin = { kind: 'closure', minArgs: 2, maxArgs: 2 };

/** Every builtin by name. Calling anything else is a syntax error. */
export const BUILTINS: Readonly<Record<string, Builtin>> = {
  // Argo Rollouts' additions (utils/evaluate/evaluate.go).
  asInt: eager(1, 1, ([v], fail) => {
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) fail(`asInt() cannot convert ${v} to an integer`);
      return Math.trunc(v);
    }
    if (typeof v === 'string') {
      if (!GO_INT.test(v)) fail(`asInt(): strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
      return Number.parseInt(v, 10);
    }
    return fail(`asInt() not supported on ${typeName(v)} ${describeValue(v)}`);
  }),
  asFloat: eager(1, 1, ([v], fail) => {
    if (typeof v === 'number') return v;
    if (typeof v === 'string') {
      if (GO_FLOAT.test(v)) return Number(v);
      const special = GO_SPECIAL_FLOAT.exec(v);
      if (special) {
        if (special[2]?.toLowerCase() === 'nan') return Number.NaN;
        return special[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
      }
      return fail(`asFloat(): strconv.ParseFloat: parsing ${JSON.stringify(v)}: invalid syntax`);
    }
    return fail(`asFloat() not supported on ${typeName(v)} ${describeValue(v)}`);
  }),
  isNaN: eager(1, 1, ([v], fail) => Number.isNaN(num(v, 'isNaN', fail))),
  isInf: eager(1, 2, ([v, sign], fail) => {
    const x = num(v, 'isInf', fail);
    const s = sign === undefined ? 0 : num(sign, 'isInf', fail);
    if (s > 0) return x === Number.POSITIVE_INFINITY;
    if (s < 0) return x === Number.NEGATIVE_INFINITY;
    return x === Number.POSITIVE_INFINITY || x === Number.NEGATIVE_INFINITY;
  }),
  isNil: eager(1, 1, ([v]) => isNilValue(v)),
  default: eager(2, 2, ([v, d]) => (isNilValue(v) ? d : v)),
  // expr-lang builtins.
  len: eager(1, 1, ([v], fail) => {
    if (typeof v === 'string') return [...v].length;
    if (Array.isArray(v)) return v.length;
    if (isMap(v)) return Object.keys(v).length;
    return fail(`invalid argument for len (type ${typeName(v)})`);
  }),
  abs: eager(1, 1, ([v], fail) => Math.abs(num(v, 'abs', fail))),
  floor: eager(1, 1, ([v], fail) => Math.floor(num(v, 'floor', fail))),
  ceil: eager(1, 1, ([v], fail) => Math.ceil(num(v, 'ceil', fail))),
  round: eager(1, 1, ([v], fail) => goRound(num(v, 'round', fail))),
  min: eager(1, Number.POSITIVE_INFINITY, (args, fail) => {
    const list = numbers(args, 'min', fail);
    if (list.length === 0) fail('min() of an empty array');
    return Math.min(...list);
  }),
  max: eager(1, Number.POSITIVE_INFINITY, (args, fail) => {
    const list = numbers(args, 'max', fail);
    if (list.length === 0) fail('max() of an empty array');
    return Math.max(...list);
  }),
  sum: eager(1, 1, ([v], fail) => numbers([array(v, 'sum', fail)], 'sum', fail).reduce((a, b) => a + b, 0)),
  mean: eager(1, 1, ([v], fail) => mean(numbers([array(v, 'mean', fail)], 'mean', fail))),
  avg: eager(1, 1, ([v], fail) => mean(numbers([array(v, 'avg', fail)], 'avg', fail))),
  median: eager(1, 1, ([v], fail) => {
    const sorted = numbers([array(v, 'median', fail)], 'median', fail).sort((a, b) => a - b);
    if (sorted.length === 0) return Number.NaN;
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[mid] : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  }),
  first: eager(1, 1, ([v], fail) => array(v, 'first', fail)[0] ?? null),
  last: eager(1, 1, ([v], fail) => array(v, 'last', fail).at(-1) ?? null),
  int: eager(1, 1, (args, fail) => (BUILTINS.asInt as EagerBuiltin).call(args, fail)),
  float: eager(1, 1, (args, fail) => (BUILTINS.asFloat as EagerBuiltin).call(args, fail)),
  string: eager(1, 1, ([v]) => (typeof v === 'string' ? v : describeValue(v))),
  lower: eager(1, 1, ([v], fail) => {
    if (typeof v !== 'string') fail(`lower() expects a string, got ${typeName(v)}`);
    return (v as string).toLowerCase();
  }),
  upper: eager(1, 1, ([v], fail) => {
    if (typeof v !== 'string') fail(`upper() expects a string, got ${typeName(v)}`);
    return (v as string).toUpperCase();
  }),
  trim: eager(1, 1, ([v], fail) => {
    if (typeof v !== 'string') fail(`trim() expects a string, got ${typeName(v)}`);
    return (v as string).trim();
  }),
  keys: eager(1, 1, ([v], fail) => {
    if (!isMap(v)) fail(`keys() expects a map, got ${typeName(v)}`);
    return Object.keys(v as object);
  }),
  values: eager(1, 1, ([v], fail) => {
    if (!isMap(v)) fail(`values() expects a map, got ${typeName(v)}`);
    return Object.values(v as object);
  }),
  // Predicates over arrays: `#` is the element, `.field` is `#.field`.
  all: closure,
  any: closure,
  none: closure,
  one: closure,
  filter: closure,
  map: closure,
  count: closure,
  find: closure,
  findIndex: closure,
};

function mean(list: number[]): number {
  return list.length === 0 ? Number.NaN : list.reduce((a, b) => a + b, 0) / list.length;
}
