export { isAlive } from '../platform/local/process-alive.js';
export { type AnalysisRunResource, analysisRunResource } from './analysis-run-resource.js';
export { ApiError } from './errors.js';
export { apiPort, DEFAULT_API_PORT, type HomePaths, homePaths, type ServerInfo } from './paths.js';
export { rolloutResource } from './rollout-resource.js';
export { type RunningServer, type ServerOptions, startServer } from './server.js';
