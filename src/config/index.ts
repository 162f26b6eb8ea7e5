/** ConfigMaps and Secrets (issue 14): versions, references from Rollout templates, materialization for replicas. */
export {
  type ConfigChange,
  ConfigService,
  type MissingRef,
  refCandidates,
  storedConfigName,
  type TemplateRef,
  templateRefs,
} from './config-service.js';
