export { webProvider } from './web-provider.js';
