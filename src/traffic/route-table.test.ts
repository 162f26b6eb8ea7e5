import { describe, expect, it } from 'vitest';
import { Endpoint } from './endpoint.js';
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

describe('RouteTable', () => {
  it('should split exactly 90/10 over every 100 picks', () => {
    const stable = target(1, 2);
    const canary = target(2, 1);
    const table = new RouteTable([stable, canary], [90, 10]);
    for (let round = 0; round < 5; round++) {
      let canaryPicks = 0;
      for (let i = 0; i < 100; i++) if (table.pick() === canary) canaryPicks++;
      expect(canaryPicks).toBe(10);
    }
  });

  it('should fall back to the other weighted backend when one has no ready endpoint', () => {
    const stable = target(1, 1);
    const canary = target(2, 0);
    const table = new RouteTable([stable, canary], [50, 50]);
    for (let i = 0; i < 10; i++) expect(table.pick()).toBe(stable);
  });

  it('should never route to a backend of weight 0', () => {
    const stable = target(1, 0);
    const canary = target(2, 1);
    const table = new RouteTable([stable, canary], [100, 0]);
    expect(table.pick()).toBeUndefined();
    expect(table.primary()).toBe(stable);
  });
});
