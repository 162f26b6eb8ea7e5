import { builtinProvider } from './builtin/index.js';
import { createProviderRegistry, type MetricProviderRegistry } from './provider.js';

export * from './builtin/index.js';
export * from './provider.js';

/** The providers cutover ships: `builtin`. */
export const DEFAULT_PROVIDER_REGISTRY: MetricProviderRegistry = createProviderRegistry([builtinProvider]);
