import { APPROVAL_POLICIES } from './approval-policy.js';
import type { Release, ReleaseStage } from './release.js';

/** One step of a release's forward flow: a stage in an environment, possibly skipped. */
export interface PlanStep {
  stage: ReleaseStage;
  environment: string;
  /** Set when the step is not executed by design (recorded as NotExecuted with this reason). */
  skip?: string;
}

/**
 * The forward flow of a release, in order. The last environment is the target; the ones before
 * it are pre-production:
 * - PREPARE in the first environment;
 * - STAGING in each pre-production environment, in order; VALIDATE in the last of them;
 * - APPROVE, DEPLOY, MONITOR in the target.
 *
 * A rollback release is immediate: STAGING and VALIDATE are skipped. A release with a single
 * environment has no pre-production: the same two stages are skipped. ROLLBACK is not part of the
 * plan. Pure.
 * @example releasePlan({ type: 'standard', environments: ['dev', 'staging', 'production'], ... })
 * // PREPARE@dev, STAGING@dev, STAGING@staging, VALIDATE@staging, APPROVE@production, DEPLOY@production, MONITOR@production
 */
export function releasePlan(release: Pick<Release, 'type' | 'environments'>): PlanStep[] {
  const envs = release.environments;
  const target = envs[envs.length - 1] ?? '';
  const first = envs[0] ?? target;
  const pre = envs.slice(0, -1);
  const steps: PlanStep[] = [{ stage: 'PREPARE', environment: first }];
  const skip = APPROVAL_POLICIES[release.type].immediate
    ? 'skipped: a rollback release is immediate'
    : pre.length === 0
      ? 'skipped: no pre-production environment'
      : undefined;
  const stagingEnvs = pre.length === 0 ? [target] : pre;
  for (const environment of stagingEnvs) {
    steps.push(
      skip === undefined ? { stage: 'STAGING', environment } : { stage: 'STAGING', environment, skip },
    );
  }
  const validateEnv = stagingEnvs[stagingEnvs.length - 1] ?? target;
  steps.push(
    skip === undefined
      ? { stage: 'VALIDATE', environment: validateEnv }
      : { stage: 'VALIDATE', environment: validateEnv, skip },
  );
  steps.push({ stage: 'APPROVE', environment: target });
  steps.push({ stage: 'DEPLOY', environment: target });
  steps.push({ stage: 'MONITOR', environment: target });
  return steps;
}
