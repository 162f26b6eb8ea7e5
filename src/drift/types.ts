/**
 * Drift (issue 14, part 4): what runs differs from what is desired, because something other than
 * the controller changed it (an operator on the data plane's admin API, an edit in a revision's
 * working directory). Types only: the API's view of current drift reads them too.
 */

/** `spec.driftPolicy` values: report only (the default), or report and restore. */
export const DRIFT_POLICIES = ['alert', 'remediate'] as const;
/** One of {@link DRIFT_POLICIES}. */
export type DriftPolicy = (typeof DRIFT_POLICIES)[number];
/** The policy of a Rollout without `spec.driftPolicy`, and of a FeatureFlags resource without the annotation. */
export const DEFAULT_DRIFT_POLICY: DriftPolicy = 'alert';

/**
 * Annotation of a FeatureFlags resource choosing its drift policy (a flag set is flagd's format,
 * which has no room for it): `alert` or `remediate`.
 */
export const FLAGS_DRIFT_POLICY_ANNOTATION = 'cutover.dev/drift-policy';

/**
 * What a finding is about:
 * - `dataPlane`: the Rollout's replica sets, listeners (weights, header and mirror routes, session
 *   affinity), active replica and traffic policy as the data plane applies them;
 * - `environment`: the environment a running replica was started with;
 * - `workingDirectory`: the files of a running revision's working directory;
 * - `flags`: the flag sets the data plane's OFREP listener serves.
 */
export type DriftAspect = 'dataPlane' | 'environment' | 'workingDirectory' | 'flags';

/** One difference between desired and observed state. Values never hold a secret (see each aspect). */
export interface DriftFinding {
  kind: 'Rollout' | 'FeatureFlags';
  /** The resource's name. */
  name: string;
  aspect: DriftAspect;
  /**
   * Where, in the words of the desired state, e.g. `listeners[8080].weights`,
   * `replicaSets[r2].replicas`, `revisions[2].workingDirectory["prompt.txt"]`,
   * `replicas[web-r1-0].env.API_KEY`, `spec.flags.new-planner.state`.
   */
  field: string;
  /** The desired value as text (`(absent)` when it should not exist). */
  desired: string;
  /** The observed value as text (`(absent)` when it does not exist). */
  observed: string;
}

/** A finding of the last drift pass, with what the controller does about it. */
export interface CurrentDrift extends DriftFinding {
  policy: DriftPolicy;
  /** Whether `remediate` restores this kind of finding (working directories and environments: no). */
  remediable: boolean;
  /** When it was first seen, ms since the epoch. */
  since: number;
}

/** `GET /api/v1/drift`: the findings of the last drift pass. */
export interface DriftReport {
  /** When the last pass ended, ms since the epoch; null before the first. */
  checkedAt: number | null;
  /** Period of the drift passes, s. */
  intervalSeconds: number;
  items: CurrentDrift[];
}
