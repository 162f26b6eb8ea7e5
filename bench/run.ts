/** `npm run bench`: runs every benchmark in turn and exits. */
import { benchRouter } from './router.js';

await benchRouter();
process.exit(0);
