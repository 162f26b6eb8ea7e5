export {
  DEFAULT_SEQUENTIAL_ALPHA,
  DEFAULT_SEQUENTIAL_MARGIN,
  sequentialProvider,
} from './sequential-provider.js';
