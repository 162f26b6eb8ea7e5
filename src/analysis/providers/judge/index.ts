export { judgeProvider } from './judge-provider.js';
