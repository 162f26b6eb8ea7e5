export { prometheusProvider } from './prometheus-provider.js';
