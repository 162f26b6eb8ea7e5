import { isActor } from './approval-policy.js';
import type { Effect } from './effect.js';
import { ReleaseValidationError } from './errors.js';
import { type Actor, RELEASE_TYPES, type Release, type ReleaseType } from './release.js';
import type { ReleaseContext } from './release-event.js';
import { releasePlan } from './release-plan.js';
import type { ReleaseTransition } from './transition-release.js';

/** What `cutover release create` provides. */
export interface ReleaseOptions {
  name: string;
  version: string;
  type: ReleaseType;
  rollouts: string[];
  /** Ordered; the last one is the target (e.g. `['dev', 'staging', 'production']`). */
  environments: string[];
  createdBy: Actor;
}

const NAME_PATTERN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function assertNames(release: string, path: string, values: readonly unknown[]): void {
  if (values.length === 0) throw new ReleaseValidationError(release, path, 'expected at least one name');
  const seen = new Set<string>();
  values.forEach((value, i) => {
    if (typeof value !== 'string' || !NAME_PATTERN.test(value)) {
      throw new ReleaseValidationError(release, `${path}[${i}]`, 'expected a lower-case DNS-style name');
    }
    if (seen.has(value))
      throw new ReleaseValidationError(release, `${path}[${i}]`, `duplicate name ${value}`);
    seen.add(value);
  });
}

/**
 * Creates a release in PREPARE and asks the executor to run it. The options are validated whole
 * before anything is created.
 *
 * Pure: time comes from `ctx.now`.
 * @throws ReleaseValidationError (`CUTOVER_E_RELEASE_INVALID`) naming the field path.
 * @example createRelease({ name: 'shop-42', version: '1.4.0', type: 'standard', rollouts: ['shop'],
 *   environments: ['dev', 'staging', 'production'], createdBy: 'user:alice' }, { now: Date.now() })
 */
export function createRelease(options: ReleaseOptions, ctx: ReleaseContext): ReleaseTransition {
  const name = options.name;
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new ReleaseValidationError(String(name), 'name', 'expected a lower-case DNS-style name');
  }
  if (typeof options.version !== 'string' || options.version.trim() === '') {
    throw new ReleaseValidationError(name, 'version', 'expected a non-empty version');
  }
  if (!(RELEASE_TYPES as readonly string[]).includes(options.type)) {
    throw new ReleaseValidationError(name, 'type', `expected one of ${RELEASE_TYPES.join(', ')}`);
  }
  assertNames(name, 'rollouts', options.rollouts);
  assertNames(name, 'environments', options.environments);
  if (typeof options.createdBy !== 'string' || !isActor(options.createdBy)) {
    throw new ReleaseValidationError(name, 'createdBy', 'expected user:<name> or agent:<name>');
  }
  const plan = releasePlan(options);
  const first = plan[0] ?? { stage: 'PREPARE' as const, environment: options.environments[0] ?? '' };
  const release: Release = {
    name,
    version: options.version,
    type: options.type,
    rollouts: [...options.rollouts],
    environments: [...options.environments],
    createdBy: options.createdBy,
    createdAt: ctx.now,
    stage: first.stage,
    environment: first.environment,
    status: 'RUNNING',
    approvals: [],
    rejections: [],
    stageResults: [],
    rollback: null,
    waitingUntil: null,
    history: [],
  };
  const message = `${options.type} release ${name} ${options.version} created by ${options.createdBy}`;
  release.history.push({
    at: ctx.now,
    event: 'create',
    actor: options.createdBy,
    from: { stage: first.stage, status: 'RUNNING' },
    to: { stage: first.stage, status: 'RUNNING' },
    reason: 'ReleaseCreated',
    message,
  });
  const effects: Effect[] = [
    { type: 'runStage', release: name, stage: first.stage, environment: first.environment },
  ];
  return { release, effects, events: [{ type: 'Normal', reason: 'ReleaseCreated', message }] };
}
