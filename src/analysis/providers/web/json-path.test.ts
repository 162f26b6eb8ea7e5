import { describe, expect, it } from 'vitest';
import { compileJsonPath, findJsonPath } from './json-path.js';

const doc = { a: { b: 1, 'c-d': [10, 20, 30] }, items: [{ x: 'p' }, { x: 'q' }], empty: [] };
const find = (path: string, data: unknown = doc) => findJsonPath(compileJsonPath(path), data);

describe('JSONPath subset', () => {
  it.each([
    ['{$}', [doc]],
    ['{.a.b}', [1]],
    ['{$.a.b}', [1]],
    ["{$.a['c-d'][1]}", [20]],
    ['{$.a.c-d[-1]}', [30]],
    ['{$.items[*].x}', ['p', 'q']],
    ['{$.a.*}', [1, [10, 20, 30]]],
    ['{$.empty[*]}', []],
    [' { $.a.b } ', [1]],
  ])('should select %s', (path, expected) => {
    expect(find(path)).toEqual(expected);
  });

  it('should fail on a missing field or an index out of range, as Kubernetes JSONPath', () => {
    expect(() => find('{$.a.zz}')).toThrow('{$.a.zz}: zz is not found');
    expect(() => find('{$.a.c-d[3]}')).toThrow('array index 3 out of range (length 3)');
    expect(() => find('{$.a.b[0]}')).toThrow('[0] applied to a number');
  });

  it.each([
    ['$.a', /expected one \{\.\.\.\} expression/],
    ['{$..a}', /recursive descent/],
    ['{$.a[?(@.b == 1)]}', /filters/],
    ['{$.a[0:2]}', /unsupported subscript \[0:2\]/],
    ['{$.a[0}', /unclosed \[/],
    ['{$ a}', /unexpected " "/],
  ])('should refuse %s', (path, message) => {
    expect(() => compileJsonPath(path)).toThrow(message);
  });
});
