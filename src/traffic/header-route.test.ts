import { describe, expect, it } from 'vitest';
import type { HeaderRoutingMatch } from '../spec/types.js';
import { Endpoint } from './endpoint.js';
import { HeaderRoute, headerLookupOf, MAX_REGEX_MATCHED_VALUE_LENGTH } from './header-route.js';
import { RevisionTarget } from './revision-target.js';
import { RouteTable } from './route-table.js';

const options = { connectTimeoutMs: 1000, headersTimeoutMs: 1000, bodyTimeoutMs: 1000 };

function target(revision: number, endpoints: number): RevisionTarget {
  const t = new RevisionTarget('web', revision, 0);
  t.endpoints = Array.from(
    { length: endpoints },
    (_, i) => new Endpoint({ id: `web-r${revision}-${i}`, host: '127.0.0.1', port: 1 }, options),
  );
  return t;
}

function route(match: HeaderRoutingMatch[], t = target(2, 1)): HeaderRoute {
  return new HeaderRoute({ name: 'r', match, revision: t.revision }, t);
}

function headers(h: Record<string, string>): (name: string) => string | undefined {
  return (name) => h[name];
}

describe('HeaderRoute', () => {
  it('should match exact, prefix and regex values with case-insensitive header names', () => {
    expect(
      route([{ headerName: 'X-Canary', headerValue: { exact: 'yes' } }]).matches(
        headers({ 'x-canary': 'yes' }),
      ),
    ).toBe(true);
    expect(
      route([{ headerName: 'X-Canary', headerValue: { exact: 'yes' } }]).matches(
        headers({ 'x-canary': 'Yes' }),
      ),
    ).toBe(false);
    expect(
      route([{ headerName: 'user', headerValue: { prefix: 'qa-' } }]).matches(headers({ user: 'qa-7' })),
    ).toBe(true);
    expect(
      route([{ headerName: 'user', headerValue: { prefix: 'qa-' } }]).matches(headers({ user: 'ops' })),
    ).toBe(false);
    const re = route([{ headerName: 'User-Agent', headerValue: { regex: '^Mozilla/5\\.0 .*Firefox' } }]);
    expect(re.matches(headers({ 'user-agent': 'Mozilla/5.0 (X11) Firefox/120' }))).toBe(true);
    expect(re.matches(headers({ 'user-agent': 'curl/8' }))).toBe(false);
  });

  it('should require every condition and the header to be present', () => {
    const r = route([
      { headerName: 'a', headerValue: { exact: '1' } },
      { headerName: 'b', headerValue: { exact: '2' } },
    ]);
    expect(r.matches(headers({ a: '1', b: '2' }))).toBe(true);
    expect(r.matches(headers({ a: '1' }))).toBe(false);
    expect(r.matches(headers({ a: '1', b: '3' }))).toBe(false);
  });

  it('should not test a regex against a value longer than the cap', () => {
    const r = route([{ headerName: 'a', headerValue: { regex: 'x' } }]);
    expect(r.matches(headers({ a: 'x'.repeat(MAX_REGEX_MATCHED_VALUE_LENGTH) }))).toBe(true);
    expect(r.matches(headers({ a: 'x'.repeat(MAX_REGEX_MATCHED_VALUE_LENGTH + 1) }))).toBe(false);
  });

  // Regression (issue 9): `^(a+)+$` against a 32-byte header froze the data plane for 5.7 s.
  it('should test ^(a+)+$ against a 32-byte value in linear time, well under 1 s', () => {
    const r = route([{ headerName: 'x-user', headerValue: { regex: '^(a+)+$' } }]);
    const started = performance.now();
    expect(r.matches(headers({ 'x-user': `${'a'.repeat(31)}!` }))).toBe(false);
    expect(r.matches(headers({ 'x-user': 'a'.repeat(32) }))).toBe(true);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('should use RE2 syntax and refuse what RE2 does not have', () => {
    const r = route([{ headerName: 'x-user', headerValue: { regex: '(?i)^qa-[[:alpha:]]+$' } }]);
    expect(r.matches(headers({ 'x-user': 'QA-elodie' }))).toBe(true);
    expect(() => route([{ headerName: 'x', headerValue: { regex: '(a)\\1' } }])).toThrow(/backreferences/);
    expect(() => route([{ headerName: 'x', headerValue: { regex: '^\\pL+$' } }])).toThrow(
      /Unicode classes \(\\pL, \\p\{Greek\}\) are not supported here/,
    );
  });
});

describe('headerLookupOf', () => {
  it('should find a field case-insensitively, trimmed, joining repeated lines', () => {
    const lookup = headerLookupOf(
      'GET / HTTP/1.1\r\nHost: a\r\nX-Canary:  yes \r\nx-list: 1\r\nX-List: 2\r\n\r\n',
    );
    expect(lookup('x-canary')).toBe('yes');
    expect(lookup('x-list')).toBe('1, 2');
    expect(lookup('host')).toBe('a');
    expect(lookup('x-can')).toBeUndefined();
    expect(headerLookupOf('GET / HTTP/1.1\r\nA: 1\r\n')('a')).toBe('1');
  });
});

describe('RouteTable.route', () => {
  it('should send matching requests to the header route target at weight 0 without moving the weighted rotation', () => {
    const stable = target(1, 1);
    const canary = target(2, 1);
    const table = new RouteTable(
      [stable],
      [100],
      [route([{ headerName: 'x-canary', headerValue: { exact: 'yes' } }], canary)],
    );
    for (let i = 0; i < 10; i++) expect(table.route(headers({ 'x-canary': 'yes' }))).toBe(canary);
    expect(table.route(headers({}))).toBe(stable);
    expect(table.route()).toBe(stable);
  });

  it('should fall back to the weighted pick when the route target has no ready endpoint', () => {
    const stable = target(1, 1);
    const canary = target(2, 0);
    const table = new RouteTable(
      [stable],
      [100],
      [route([{ headerName: 'x-canary', headerValue: { exact: 'yes' } }], canary)],
    );
    expect(table.route(headers({ 'x-canary': 'yes' }))).toBe(stable);
  });
});
