export {
  type AuditKey,
  loadOrCreateAuditKey,
  readAuditHead,
  writeAuditHead,
} from './audit-anchor.js';
export {
  type AuditAnchors,
  type AuditEntry,
  type AuditHead,
  type AuditVerification,
  auditHash,
  auditHmac,
  GENESIS_HASH,
  summarizeBody,
  verifyAuditChain,
} from './audit-chain.js';
export { AuthError } from './errors.js';
export {
  can,
  PERMISSIONS,
  type Permission,
  QUALIFIERS,
  type Qualifier,
  ROLE_PERMISSIONS,
  ROLES,
  type Role,
  USER_KINDS,
  type UserKind,
} from './roles.js';
export { mintToken, parseToken, secretMatches } from './token.js';
export { readTokenFile, writeTokenFile } from './token-file.js';
