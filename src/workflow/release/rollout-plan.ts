/**
 * The order in which a release carries its Rollouts out (issue 13's plan): `dependsOn` edges and
 * `priority` (lower first; ties may run together) form a DAG; a Rollout starts only when every
 * Rollout before it is Healthy on its new revision, and at most `maxParallelism` roll out at once.
 * Pure: the Orchestrator asks {@link RolloutPlan.ready} which Rollouts may start now.
 */

/** What the plan needs of one Rollout of the release. */
export interface PlanRollout {
  name: string;
  /** Rollouts that must be Healthy on their new revision before this one starts. */
  dependsOn?: readonly string[];
  /** Lower first; Rollouts without one are ordered by `dependsOn` only. */
  priority?: number;
}

/** A problem of a plan's graph, with the index of the Rollout it is about. */
export interface PlanProblem {
  index: number;
  field: 'dependsOn' | 'priority';
  message: string;
}

/**
 * The graph's problems: a dependency on an unknown Rollout or on itself, and cycles (each named
 * once, as `a -> b -> a`). Empty when the plan can be carried out.
 */
export function planProblems(rollouts: readonly PlanRollout[]): PlanProblem[] {
  const names = rollouts.map((r) => r.name);
  const problems: PlanProblem[] = [];
  rollouts.forEach((r, index) => {
    for (const dep of r.dependsOn ?? []) {
      if (dep === r.name)
        problems.push({ index, field: 'dependsOn', message: `${r.name} depends on itself` });
      else if (!names.includes(dep))
        problems.push({
          index,
          field: 'dependsOn',
          message: `unknown Rollout ${JSON.stringify(dep)} (the release has ${names.join(', ')})`,
        });
    }
  });
  if (problems.length > 0) return problems;
  const before = predecessors(rollouts);
  // Depth-first search for a cycle; report it on the first Rollout of the cycle.
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | null => {
    if (state.get(name) === 'done') return null;
    if (state.get(name) === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of before.get(name) ?? []) {
      const cycle = visit(dep);
      if (cycle !== null) return cycle;
    }
    stack.pop();
    state.set(name, 'done');
    return null;
  };
  for (const r of rollouts) {
    const cycle = visit(r.name);
    if (cycle !== null) {
      const index = names.indexOf(cycle[0]!);
      const viaPriority = cycle.some((n, i) => {
        const next = cycle[i + 1];
        return next !== undefined && !(rollouts[names.indexOf(n)]!.dependsOn ?? []).includes(next);
      });
      problems.push({
        index,
        field: viaPriority ? 'priority' : 'dependsOn',
        message: `a cycle: ${cycle.join(' -> ')} (each waits for the next${viaPriority ? '; priority: lower first' : ''})`,
      });
      break;
    }
  }
  return problems;
}

/** For each Rollout, the Rollouts that must be Healthy before it starts (`dependsOn` and lower priority). */
function predecessors(rollouts: readonly PlanRollout[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const r of rollouts) {
    const set = new Set(r.dependsOn ?? []);
    if (r.priority !== undefined) {
      for (const other of rollouts) {
        if (other.priority !== undefined && other.priority < r.priority) set.add(other.name);
      }
    }
    out.set(r.name, set);
  }
  return out;
}

/**
 * A release's plan in progress.
 * @throws Error when the graph has problems ({@link planProblems}: the spec is validated first).
 */
export class RolloutPlan {
  readonly #order: readonly string[];
  readonly #before: Map<string, Set<string>>;
  readonly #maxParallelism: number;

  /** @param maxParallelism - Rollouts rolling out at once at most. @default unbounded */
  constructor(rollouts: readonly PlanRollout[], maxParallelism = Number.POSITIVE_INFINITY) {
    const problems = planProblems(rollouts);
    if (problems.length > 0) throw new Error(problems.map((p) => p.message).join('; '));
    this.#before = predecessors(rollouts);
    this.#maxParallelism = maxParallelism;
    // Stable topological order: the release's own order among Rollouts free to go.
    const order: string[] = [];
    const placed = new Set<string>();
    while (order.length < rollouts.length) {
      for (const r of rollouts) {
        if (placed.has(r.name)) continue;
        if ([...this.#before.get(r.name)!].every((d) => placed.has(d))) {
          order.push(r.name);
          placed.add(r.name);
        }
      }
    }
    this.#order = order;
  }

  /** Every Rollout, in an order the plan allows. */
  get order(): readonly string[] {
    return this.#order;
  }

  /**
   * The Rollouts `name` waits for directly (by `dependsOn` or a lower `priority`), without those it
   * also waits for through another: the edges of the plan's graph, as the dashboard draws it.
   */
  waitsFor(name: string): string[] {
    const direct = [...(this.#before.get(name) ?? [])];
    const reachable = (from: string, seen = new Set<string>()): Set<string> => {
      for (const p of this.#before.get(from) ?? []) {
        if (seen.has(p)) continue;
        seen.add(p);
        reachable(p, seen);
      }
      return seen;
    };
    const through = new Set(direct.flatMap((p) => [...reachable(p)]));
    return this.#order.filter((n) => direct.includes(n) && !through.has(n));
  }

  /**
   * The Rollouts that may start now, in plan order: not started, every predecessor Healthy, and
   * no more than `maxParallelism` in progress with them.
   * @param started - Rollouts already started (Healthy or in progress).
   * @param healthy - started Rollouts Healthy on their new revision.
   */
  ready(started: ReadonlySet<string>, healthy: ReadonlySet<string>): string[] {
    let slots = this.#maxParallelism - [...started].filter((n) => !healthy.has(n)).length;
    const out: string[] = [];
    for (const name of this.#order) {
      if (slots <= 0) break;
      if (started.has(name)) continue;
      if ([...this.#before.get(name)!].every((d) => healthy.has(d))) {
        out.push(name);
        slots--;
      }
    }
    return out;
  }
}
