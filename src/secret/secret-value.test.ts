import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { maskSecrets } from './mask-secrets.js';
import { SECRET_MASK, SecretValue } from './secret-value.js';

describe('SecretValue', () => {
  it('should print as ***** in JSON, strings and inspect, and reveal only on request', () => {
    const secret = new SecretValue('s3cret-token');
    expect(JSON.stringify({ secret })).toBe('{"secret":"*****"}');
    expect(`${secret}`).toBe(SECRET_MASK);
    expect(String(secret)).toBe(SECRET_MASK);
    expect(inspect({ secret })).toBe('{ secret: ***** }');
    expect(inspect(secret, { showHidden: true })).toBe('*****');
    expect(secret.reveal()).toBe('s3cret-token');
  });
});

describe('maskSecrets', () => {
  it('should replace every occurrence of every secret, raw, percent-encoded and JSON-escaped', () => {
    const secrets = [new SecretValue('tok/en 1'), new SecretValue('quo"te')];
    expect(maskSecrets('a tok/en 1 b tok%2Fen%201 c {"x":"quo\\"te"} d quo"te tok/en 1', secrets)).toBe(
      'a ***** b ***** c {"x":"*****"} d ***** *****',
    );
  });

  it('should mask a longer secret before a shorter one it contains, and skip empty values', () => {
    expect(maskSecrets('abcdef abc', [new SecretValue('abc'), new SecretValue('abcdef')])).toBe(
      '***** *****',
    );
    expect(maskSecrets('unchanged', [new SecretValue('')])).toBe('unchanged');
  });
});
