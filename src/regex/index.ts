/**
 * User-supplied regular expressions in linear time (RE2 syntax and semantics), for the router's
 * header routes and the analysis module's conditions and metric-name rules. See docs/spec-reference.md.
 */
export { PatternSyntaxError } from './errors.js';
export {
  type CompileLinearRegexOptions,
  compileLinearRegex,
  type LinearRegex,
  MAX_PATTERN_LENGTH,
} from './linear-regex.js';
