/**
 * The deployment crew (issue 5): the agents that carry a release through its stages, each with a
 * documented contract and a stored report, acting through the same API a person uses.
 */

export * from './backup/index.js';
export { CREW_AGENTS, Crew, type CrewAgent, type CrewOptions, STAGE_OWNERS } from './crew.js';
export * from './dependency-check.js';
export * from './errors.js';
export { monitorCheckpoints, monitorThresholds } from './monitor.js';
export type { ChecklistItem, ReadinessReport } from './pre-deployment-validator.js';
export * from './replica-usage.js';
export { automaticRollbackType, rollbackPolicy } from './rollback-coordinator.js';
export * from './rollback-dry-run.js';
export * from './smoke/index.js';
export * from './suites/index.js';
export * from './triggers/index.js';
