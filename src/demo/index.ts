export { type DemoOptions, type DemoSummary, runDemo } from './demo.js';
export { LoadGenerator, type LoadGeneratorOptions, type LoadReport } from './load-generator.js';
