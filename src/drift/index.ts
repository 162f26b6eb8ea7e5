/**
 * Drift detection (issue 14, part 4): what runs compared with what is desired, every
 * `CUTOVER_DRIFT_INTERVAL_SECONDS`: the data plane's replica sets, weights and routes, each
 * replica's environment, each running revision's working directory against its checksum taken when
 * the revision was created, and the flags served. Import from here.
 */
export {
  ABSENT,
  type DesiredEnvironment,
  dataPlaneDrift,
  environmentDrift,
  flagsDrift,
  workingDirectoryDrift,
} from './compare.js';
export { envFingerprints, fingerprint } from './fingerprint.js';
export {
  type CurrentDrift,
  DEFAULT_DRIFT_POLICY,
  DRIFT_POLICIES,
  type DriftAspect,
  type DriftFinding,
  type DriftPolicy,
  type DriftReport,
  FLAGS_DRIFT_POLICY_ANNOTATION,
} from './types.js';
export {
  type DirectoryChecksum,
  DirectoryHasher,
  type DirectoryNotChecked,
  MAX_MANIFEST_FILES,
  MAX_WORKDIR_BYTES,
  MAX_WORKDIR_FILES,
} from './workdir.js';
