import { describe, expect, it } from 'vitest';
import { planProblems, RolloutPlan } from './rollout-plan.js';

const mesh = [
  { name: 'mca', priority: 1 },
  { name: 'npa', dependsOn: ['mca'] },
  { name: 'wpa', dependsOn: ['mca'] },
];

describe('rollout plan', () => {
  it('should name an unknown dependency, a self-dependency and a cycle', () => {
    expect(planProblems([{ name: 'a', dependsOn: ['b'] }])).toEqual([
      { index: 0, field: 'dependsOn', message: 'unknown Rollout "b" (the release has a)' },
    ]);
    expect(planProblems([{ name: 'a', dependsOn: ['a'] }])[0]?.message).toBe('a depends on itself');
    expect(
      planProblems([
        { name: 'a', dependsOn: ['c'] },
        { name: 'b', dependsOn: ['a'] },
        { name: 'c', dependsOn: ['b'] },
      ]),
    ).toEqual([
      { index: 0, field: 'dependsOn', message: 'a cycle: a -> c -> b -> a (each waits for the next)' },
    ]);
    // Priority closes a cycle too: b (priority 1) before a (priority 2), but b depends on a.
    expect(
      planProblems([
        { name: 'a', priority: 2 },
        { name: 'b', priority: 1, dependsOn: ['a'] },
      ])[0]?.field,
    ).toBe('priority');
    expect(planProblems(mesh)).toEqual([]);
  });

  it('should start a Rollout only when its predecessors are Healthy, at most maxParallelism at once', () => {
    const plan = new RolloutPlan(mesh, 1);
    expect(plan.order).toEqual(['mca', 'npa', 'wpa']);
    expect(plan.ready(new Set(), new Set())).toEqual(['mca']);
    expect(plan.ready(new Set(['mca']), new Set())).toEqual([]);
    expect(plan.ready(new Set(['mca']), new Set(['mca']))).toEqual(['npa']);
    expect(plan.ready(new Set(['mca', 'npa']), new Set(['mca']))).toEqual([]);
    expect(plan.ready(new Set(['mca', 'npa']), new Set(['mca', 'npa']))).toEqual(['wpa']);
    const wide = new RolloutPlan(mesh, 3);
    expect(wide.ready(new Set(['mca']), new Set(['mca']))).toEqual(['npa', 'wpa']);
  });

  it('should order by priority, lower first, ties together, and leave a release without a plan all at once', () => {
    const plan = new RolloutPlan([
      { name: 'web', priority: 2 },
      { name: 'api', priority: 1 },
      { name: 'db', priority: 1 },
    ]);
    expect(plan.ready(new Set(), new Set())).toEqual(['api', 'db']);
    expect(plan.ready(new Set(['api', 'db']), new Set(['api']))).toEqual([]);
    expect(plan.ready(new Set(['api', 'db']), new Set(['api', 'db']))).toEqual(['web']);
    expect(new RolloutPlan([{ name: 'a' }, { name: 'b' }]).ready(new Set(), new Set())).toEqual(['a', 'b']);
  });

  it('should draw each Rollout waiting only for what it does not already wait for through another', () => {
    const plan = new RolloutPlan([
      { name: 'mca', priority: 1 },
      { name: 'npa', priority: 2 },
      { name: 'wpa', priority: 3, dependsOn: ['mca', 'npa'] },
      { name: 'ui' },
    ]);
    expect(plan.waitsFor('mca')).toEqual([]);
    expect(plan.waitsFor('npa')).toEqual(['mca']);
    // wpa waits for mca through npa: one edge, from npa.
    expect(plan.waitsFor('wpa')).toEqual(['npa']);
    expect(plan.waitsFor('ui')).toEqual([]);
  });
});
