/** The release workflow (issue 5): environments, stages, approvals, windows, crew, records. */

export * from './release/index.js';
export * from './windows/index.js';
