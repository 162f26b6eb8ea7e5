/**
 * Feature flags (issue 14, part 3): flagd flag sets evaluated by `@openfeature/flagd-core` and
 * answered in the shapes of the OpenFeature Remote Evaluation Protocol (OFREP), which the data
 * plane serves on its own port.
 */
export { FlagSetError } from './errors.js';
export {
  ENVIRONMENT_HEADER,
  flagSetsHash,
  type OfrepAnswer,
  type ServedFlagSet,
  ServedFlags,
} from './served-flags.js';
