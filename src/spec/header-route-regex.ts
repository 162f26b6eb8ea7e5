import { compileLinearRegex, type LinearRegex } from '../regex/index.js';
import { MAX_HEADER_ROUTE_REGEX_LENGTH } from './types.js';

/**
 * Compiles a header route's `headerValue.regex` ({@link StringMatch}) as the router runs it, so the
 * spec schema, the data plane's spec check and the router agree: RE2 syntax, linear time, at most
 * {@link MAX_HEADER_ROUTE_REGEX_LENGTH} characters, and no Unicode classes (`\pL`): header values
 * are octets (RFC 9110 section 5.5), and those classes make the lazy DFA's states so costly to build
 * that one request could cost ~50 ms instead of at most a few ms (`npm run bench`, header routes).
 *
 * @throws PatternSyntaxError (`CUTOVER_E_REGEX_INVALID`) saying what RE2 refuses
 */
export function compileHeaderRouteRegex(pattern: string): LinearRegex {
  return compileLinearRegex(pattern, { maxLength: MAX_HEADER_ROUTE_REGEX_LENGTH, unicodeClasses: false });
}
