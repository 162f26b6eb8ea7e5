/**
 * Feature flags (issue 14, part 3): flagd flag sets evaluated by `@openfeature/flagd-core` and
 * answered in the shapes of the OpenFeature Remote Evaluation Protocol (OFREP), which the data
 * plane serves on its own port.
 */
export { FlagSetError, SeedFlagsError } from './errors.js';
export {
  promotedFlagSets,
  rampedFlag,
  type SetFlagIssue,
  type SetFlagRollout,
  servedFlagSets,
  setFlagIssues,
} from './flag-ramp.js';
export { convertSeedFlags, type SeedFlagsConversion, type SeedFlagsOptions } from './seed-flags.js';
export {
  ENVIRONMENT_HEADER,
  flagSetsHash,
  type OfrepAnswer,
  type ServedFlagSet,
  ServedFlags,
} from './served-flags.js';
