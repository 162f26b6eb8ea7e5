import { compileLinearRegex, type LinearRegex, PatternSyntaxError } from '../../regex/index.js';
import { ExpressionEvaluationError } from '../errors.js';
import type { Node } from './ast.js';
import { BUILTINS, type Fail } from './builtins.js';
import { describeValue, getOwn, isMap, isNilValue, typeName, valuesEqual } from './values.js';

/**
 * Longest string `matches` accepts as input, characters; longer inputs are an evaluation error.
 * `matches` runs in time linear in the input (RE2), so this bounds the cost of one evaluation.
 */
const MAX_MATCH_INPUT_LENGTH = 100_000;

interface Scope {
  env: Record<string, unknown>;
  /** Element bound to `#` inside a predicate. */
  pointer?: unknown;
  hasPointer: boolean;
}

/** Walks an AST against an environment, with expr-lang's runtime semantics. */
export function evaluate(source: string, node: Node, env: Record<string, unknown>): unknown {
  const fail: Fail = (message) => {
    throw new ExpressionEvaluationError(source, `${message} (in ${JSON.stringify(source)})`);
  };
  return new Evaluator(fail).run(node, { env, hasPointer: false });
}

class Evaluator {
  readonly #fail: Fail;
  readonly #regexCache = new Map<string, LinearRegex>();

  constructor(fail: Fail) {
    this.#fail = fail;
  }

  run(node: Node, scope: Scope): unknown {
    switch (node.type) {
      case 'literal':
        return node.value;
      case 'identifier':
        if (!Object.hasOwn(scope.env, node.name)) return this.#fail(`unknown name ${node.name}`);
        return normalize(scope.env[node.name]);
      case 'pointer':
        if (!scope.hasPointer) return this.#fail("'#' used outside a predicate");
        return normalize(scope.pointer);
      case 'member': {
        const object = this.run(node.object, scope);
        if (isNilValue(object)) {
          if (node.optional) return null;
          return this.#fail(`cannot fetch ${node.property} from nil`);
        }
        if (!isMap(object)) return this.#fail(`cannot fetch ${node.property} from ${typeName(object)}`);
        return normalize(getOwn(object, node.property));
      }
      case 'index':
        return this.#index(node.object, node.index, node.optional, scope);
      case 'unary': {
        const operand = this.run(node.operand, scope);
        if (node.operator === '!') {
          if (typeof operand !== 'boolean')
            return this.#fail(`invalid operation: ! (mismatched type ${typeName(operand)})`);
          return !operand;
        }
        if (typeof operand !== 'number') {
          return this.#fail(`invalid operation: ${node.operator} (mismatched type ${typeName(operand)})`);
        }
        return node.operator === '-' ? -operand : operand;
      }
      case 'binary':
        return this.#binary(node, scope);
      case 'conditional': {
        const test = this.run(node.test, scope);
        if (typeof test !== 'boolean') return this.#fail(`non-bool ${typeName(test)} used as condition`);
        return this.run(test ? node.consequent : node.alternate, scope);
      }
      case 'array':
        return node.elements.map((element) => this.run(element, scope));
      case 'map': {
        const out: Record<string, unknown> = {};
        for (const entry of node.entries) {
          Object.defineProperty(out, entry.key, {
            value: this.run(entry.value, scope),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        return out;
      }
      case 'call':
        return this.#call(node.name, node.args, scope);
      case 'closure':
        return this.#fail(
          'a predicate can only be an argument of all, any, none, one, filter, map, count, find',
        );
    }
  }

  #index(objectNode: Node, indexNode: Node, optional: boolean, scope: Scope): unknown {
    const object = this.run(objectNode, scope);
    if (isNilValue(object)) {
      if (optional) return null;
      return this.#fail('cannot fetch an index from nil');
    }
    const index = this.run(indexNode, scope);
    if (Array.isArray(object) || typeof object === 'string') {
      const items = typeof object === 'string' ? [...object] : object;
      if (typeof index !== 'number' || !Number.isInteger(index)) {
        return this.#fail(`cannot index ${typeName(object)} with ${typeName(index)} ${describeValue(index)}`);
      }
      const at = index < 0 ? items.length + index : index;
      if (at < 0 || at >= items.length) {
        return this.#fail(`index out of range: ${index} (array of length ${items.length})`);
      }
      return normalize(items[at]);
    }
    if (isMap(object)) {
      if (typeof index !== 'string') return this.#fail(`cannot index map with ${typeName(index)}`);
      return normalize(getOwn(object, index));
    }
    return this.#fail(`cannot index ${typeName(object)}`);
  }

  #binary(node: Extract<Node, { type: 'binary' }>, scope: Scope): unknown {
    const { operator } = node;
    if (operator === '&&' || operator === '||') {
      const left = this.run(node.left, scope);
      if (typeof left !== 'boolean') return this.#fail(`invalid operation: ${operator} on ${typeName(left)}`);
      // Short-circuit, as expr.
      if (operator === '&&' ? !left : left) return left;
      const right = this.run(node.right, scope);
      if (typeof right !== 'boolean')
        return this.#fail(`invalid operation: ${operator} on ${typeName(right)}`);
      return right;
    }
    if (operator === '??') {
      const left = this.run(node.left, scope);
      return isNilValue(left) ? this.run(node.right, scope) : left;
    }
    const left = this.run(node.left, scope);
    const right = this.run(node.right, scope);
    const mismatch = (): never =>
      this.#fail(
        `invalid operation: ${typeName(left)} ${describeValue(left)} ${operator} ${typeName(right)} ${describeValue(right)} (mismatched types ${typeName(left)} and ${typeName(right)})`,
      );
    let result: unknown;
    switch (operator) {
      case '==':
        return valuesEqual(left, right);
      case '!=':
        return !valuesEqual(left, right);
      case '<':
      case '<=':
      case '>':
      case '>=': {
        const comparable =
          (typeof left === 'number' && typeof right === 'number') ||
          (typeof left === 'string' && typeof right === 'string');
        if (!comparable) return mismatch();
        const a = left as number | string;
        const b = right as number | string;
        if (operator === '<') return a < b;
        if (operator === '<=') return a <= b;
        if (operator === '>') return a > b;
        return a >= b;
      }
      case '+':
        if (typeof left === 'number' && typeof right === 'number') return left + right;
        if (typeof left === 'string' && typeof right === 'string') return left + right;
        if (Array.isArray(left) && Array.isArray(right)) return [...left, ...right];
        return mismatch();
      case '-':
      case '*':
      case '/':
      case '**':
        if (typeof left !== 'number' || typeof right !== 'number') return mismatch();
        if (operator === '-') return left - right;
        if (operator === '*') return left * right;
        // Division is float division in expr: x/0 is ±Inf, 0/0 is NaN (IEEE 754, as Go's float64).
        if (operator === '/') return left / right;
        return left ** right;
      case '%':
        if (typeof left !== 'number' || typeof right !== 'number') return mismatch();
        if (!Number.isInteger(left) || !Number.isInteger(right)) {
          return this.#fail(
            `invalid operation: % on ${typeName(left)} and ${typeName(right)} (integers only)`,
          );
        }
        if (right === 0) return this.#fail('integer divide by zero');
        return left % right;
      case 'in':
        if (Array.isArray(right)) result = right.some((item) => valuesEqual(item, left));
        else if (isMap(right)) {
          if (typeof left !== 'string') return mismatch();
          result = Object.hasOwn(right, left);
        } else
          return this.#fail(`invalid operation: in on ${typeName(right)} (an array or a map is expected)`);
        break;
      case 'contains':
      case 'startsWith':
      case 'endsWith':
        if (typeof left !== 'string' || typeof right !== 'string') return mismatch();
        result =
          operator === 'contains'
            ? left.includes(right)
            : operator === 'startsWith'
              ? left.startsWith(right)
              : left.endsWith(right);
        break;
      case 'matches': {
        if (typeof left !== 'string' || typeof right !== 'string') return mismatch();
        if (left.length > MAX_MATCH_INPUT_LENGTH) {
          return this.#fail(`matches: input longer than ${MAX_MATCH_INPUT_LENGTH} characters`);
        }
        result = (node.regex ?? this.#regex(right)).test(left);
        break;
      }
    }
    return node.negated ? !result : result;
  }

  #regex(pattern: string): LinearRegex {
    let regex = this.#regexCache.get(pattern);
    if (regex === undefined) {
      try {
        regex = compileLinearRegex(pattern);
      } catch (error) {
        if (!(error instanceof PatternSyntaxError)) throw error;
        return this.#fail(error.message);
      }
      this.#regexCache.set(pattern, regex);
    }
    return regex;
  }

  #call(name: string, args: Node[], scope: Scope): unknown {
    const builtin = BUILTINS[name];
    if (builtin === undefined) return this.#fail(`unknown function ${name}()`);
    if (builtin.kind === 'eager') {
      return builtin.call(
        args.map((arg) => this.run(arg, scope)),
        this.#fail,
      );
    }
    const [arrayNode, closureNode] = args;
    if (arrayNode === undefined || closureNode?.type !== 'closure')
      return this.#fail(`${name}() expects a predicate`);
    const items = this.run(arrayNode, scope);
    if (!Array.isArray(items)) return this.#fail(`${name}() expects an array, got ${typeName(items)}`);
    const apply = (item: unknown): unknown =>
      this.run(closureNode.body, { env: scope.env, pointer: item, hasPointer: true });
    const test = (item: unknown): boolean => {
      const value = apply(item);
      if (typeof value !== 'boolean')
        return this.#fail(`predicate of ${name}() returned ${typeName(value)}, expected bool`);
      return value;
    };
    switch (name) {
      case 'all':
        return items.every(test);
      case 'any':
        return items.some(test);
      case 'none':
        return !items.some(test);
      case 'one': {
        let matched = 0;
        for (const item of items) if (test(item) && ++matched > 1) return false;
        return matched === 1;
      }
      case 'filter':
        return items.filter(test);
      case 'map':
        return items.map(apply);
      case 'count':
        return items.filter(test).length;
      case 'find':
        return items.find(test) ?? null;
      case 'findIndex':
        return items.findIndex(test);
    }
    return this.#fail(`unknown function ${name}()`);
  }
}

/** JavaScript's `undefined` is expr's nil. */
function normalize(v: unknown): unknown {
  return v === undefined ? null : v;
}
