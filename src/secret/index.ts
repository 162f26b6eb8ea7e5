/**
 * Secret values: a type that never prints its value, and the masking step applied to any text that
 * leaves the process. See docs/analysis.md (secrets).
 */
export { maskSecrets } from './mask-secrets.js';
export { SECRET_MASK, SecretValue } from './secret-value.js';
