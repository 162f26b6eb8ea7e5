import { describe, expect, it } from 'vitest';
import { PatternSyntaxError } from './errors.js';
import { compileLinearRegex, MAX_PATTERN_LENGTH } from './linear-regex.js';

function refusal(pattern: string, maxLength?: number): PatternSyntaxError {
  try {
    compileLinearRegex(pattern, maxLength === undefined ? {} : { maxLength });
  } catch (error) {
    if (error instanceof PatternSyntaxError) return error;
    throw error;
  }
  throw new Error(`expected ${pattern} to be refused`);
}

describe('compileLinearRegex', () => {
  it('should match anywhere in the input, with RE2 flags and named groups', () => {
    expect(compileLinearRegex('^Mozilla/5\\.0 .*Firefox').test('Mozilla/5.0 (X11) Firefox/120')).toBe(true);
    expect(compileLinearRegex('Fox').test('Firefox')).toBe(false);
    expect(compileLinearRegex('(?i)Fox').test('Firefox')).toBe(true);
    expect(compileLinearRegex('^(?P<k>[a-z]+)-\\d$').test('id-7')).toBe(true);
    expect(compileLinearRegex('^\\pL+$').test('héllo')).toBe(true);
  });

  // Regression (issue 9): both patterns froze a backtracking engine for seconds on short inputs.
  it('should match ^(a+)+$ and ^a*a*a*a*a*a*a*a*$ in linear time (64 KiB in well under 1 s)', () => {
    const input = `${'a'.repeat(64 * 1024)}!`;
    const started = performance.now();
    expect(compileLinearRegex('^(a+)+$').test(input)).toBe(false);
    expect(compileLinearRegex('^a*a*a*a*a*a*a*a*$').test(input)).toBe(false);
    expect(compileLinearRegex('(a|aa)*b').test(input)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('should refuse backreferences and lookaround, saying RE2 has neither', () => {
    expect(refusal('(a)\\1').reason).toMatch(/^backreferences \(\\1, \\k<name>\) are not supported by RE2/);
    expect(refusal('(?<n>a)\\k<n>').reason).toMatch(/^backreferences/);
    for (const pattern of ['a(?=b)', 'a(?!b)', '(?<=a)b', '(?<!a)b']) {
      expect(refusal(pattern).reason).toMatch(/^lookahead and lookbehind .* are not supported by RE2/);
    }
  });

  it('should name the RE2 syntax problem, with a stable code', () => {
    const error = refusal('[a-');
    expect(error.code).toBe('CUTOVER_E_REGEX_INVALID');
    expect(error.message).toBe(`invalid regular expression "[a-": ${error.reason}`);
    expect(error.reason).toMatch(/^not valid RE2 syntax: missing closing \]/);
    expect(refusal('a{1001}').reason).toMatch(/invalid repeat count/);
  });

  it('should refuse a pattern longer than the bound', () => {
    expect(compileLinearRegex('a'.repeat(MAX_PATTERN_LENGTH)).test('a'.repeat(MAX_PATTERN_LENGTH))).toBe(
      true,
    );
    expect(refusal('a'.repeat(MAX_PATTERN_LENGTH + 1)).reason).toBe(
      `longer than ${MAX_PATTERN_LENGTH} characters (${MAX_PATTERN_LENGTH + 1})`,
    );
    expect(refusal('abcd', 3).reason).toBe('longer than 3 characters (4)');
  });
});
