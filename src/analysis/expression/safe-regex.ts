/**
 * `matches` compiles its pattern with JavaScript's backtracking RegExp engine, whereas expr-lang uses
 * Go's RE2 (linear time). To keep a condition from hanging the control plane on a hostile pattern
 * (ReDoS), patterns are restricted to what cannot backtrack exponentially, and inputs are capped.
 */

/** Longest string `matches` accepts as input, characters; longer inputs are an evaluation error. */
export const MAX_MATCH_INPUT_LENGTH = 100_000;

/**
 * Compiles an RE2-style pattern to a RegExp, or throws an Error saying why it is refused.
 *
 * Accepted: RE2's common syntax, a leading flag group like `(?i)`, and `(?P<name>...)`.
 * Refused: backreferences and lookaround (RE2 has neither), and an unbounded quantifier (`*`, `+`,
 * `{n,}`, `{n,m}`) on a group that itself contains a quantifier or an alternation (`(a+)+`,
 * `(a|aa)*`), the shapes that backtrack exponentially.
 */
export function compileSafeRegex(pattern: string): RegExp {
  let body = pattern;
  let flags = 'u';
  const leading = /^\(\?([imsU]+)\)/.exec(body);
  if (leading) {
    for (const f of leading[1] ?? '') {
      if (f === 'U') throw new Error('the (?U) flag is not supported');
      if (!flags.includes(f)) flags += f;
    }
    body = body.slice(leading[0].length);
  }
  body = body.replaceAll('(?P<', '(?<');
  checkShape(body);
  try {
    return new RegExp(body, flags);
  } catch (error) {
    throw new Error(`invalid regular expression ${JSON.stringify(pattern)}: ${(error as Error).message}`);
  }
}

interface GroupInfo {
  risky: boolean;
}

function checkShape(body: string): void {
  const stack: GroupInfo[] = [{ risky: false }];
  let lastClosedGroup: GroupInfo | undefined;
  let i = 0;
  const top = (): GroupInfo => stack[stack.length - 1] as GroupInfo;
  while (i < body.length) {
    const c = body[i];
    const closed = lastClosedGroup;
    lastClosedGroup = undefined;
    const quantifier = /^(\*|\+|\?|\{\d+(,\d*)?\})/.exec(body.slice(i));
    // A group's risk propagates to the enclosing group when it is not itself quantified.
    if (closed?.risky && !quantifier) top().risky = true;
    if (c === '\\') {
      const next = body[i + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k') throw new Error('backreferences are not supported (as in RE2)');
      i += 2;
      continue;
    }
    if (c === '[') {
      i++;
      if (body[i] === '^') i++;
      if (body[i] === ']') i++;
      while (i < body.length && body[i] !== ']') i += body[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (c === '(') {
      if (/^\(\?(=|!|<=|<!)/.test(body.slice(i))) throw new Error('lookaround is not supported (as in RE2)');
      if (/^\(\?[a-zA-Z]/.test(body.slice(i)) && !body.startsWith('(?<', i)) {
        throw new Error('inline flags are only supported at the start of the pattern');
      }
      stack.push({ risky: false });
      if (body.startsWith('(?:', i)) i += 3;
      else if (body.startsWith('(?<', i)) i = body.indexOf('>', i) + 1 || body.length;
      else i++;
      continue;
    }
    if (c === ')') {
      const group = stack.pop();
      if (group === undefined || stack.length === 0) throw new Error('unbalanced parenthesis');
      lastClosedGroup = group;
      i++;
      continue;
    }
    if (c === '|') {
      top().risky = true;
      i++;
      continue;
    }
    if (quantifier) {
      const q = quantifier[0];
      const unbounded = q !== '?' && q !== '{1}' && !/^\{(\d+),\1\}$/.test(q) && q !== '{0,1}';
      if (closed?.risky && unbounded) {
        throw new Error(
          `nested quantifier near column ${i + 1}: a repeated group may not contain a quantifier or an alternation`,
        );
      }
      top().risky = true;
      i += q.length;
      // A lazy / possessive marker belongs to the quantifier.
      if (body[i] === '?') i++;
      continue;
    }
    i++;
  }
  if (lastClosedGroup?.risky) top().risky = true;
  if (stack.length !== 1) throw new Error('unbalanced parenthesis');
}
