/**
 * Records of the release workflow: deployment and incident records, their Markdown rendering and
 * the DORA figures computed from them. Import from here, not from the module's files.
 */

export { deploymentRecordMarkdown } from './deployment-record-markdown.js';
export { computeDora, type DoraQuery } from './dora.js';
export { RECORDS_ERROR_CODES, RecordsError, type RecordsErrorCode, RecordsQueryError } from './errors.js';
export { incidentRecordMarkdown } from './incident-record-markdown.js';
export {
  DEPLOYMENT_OUTCOMES,
  type DeploymentOutcome,
  type DeploymentRecord,
  type DoraReport,
  type IncidentRecord,
  type ReleaseChange,
  type TimelineEntry,
} from './types.js';
