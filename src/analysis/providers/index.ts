import { builtinProvider } from './builtin/index.js';
import { jobProvider } from './job/index.js';
import { judgeProvider } from './judge/index.js';
import { prometheusProvider } from './prometheus/index.js';
import { createProviderRegistry, type MetricProviderRegistry } from './provider.js';
import { sequentialProvider } from './sequential/index.js';
import { webProvider } from './web/index.js';

export * from './builtin/index.js';
export * from './provider.js';

/** The providers cutover ships: `builtin`, `prometheus`, `web`, `job`, `judge`, `sequential`. */
export const DEFAULT_PROVIDER_REGISTRY: MetricProviderRegistry = createProviderRegistry([
  builtinProvider,
  prometheusProvider,
  webProvider,
  jobProvider,
  judgeProvider,
  sequentialProvider,
]);
