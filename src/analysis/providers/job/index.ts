export { createJobProvider, jobProvider } from './job-provider.js';
