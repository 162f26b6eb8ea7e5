import { createRequire } from 'node:module';
import type Holidays from 'date-holidays';

const require = createRequire(import.meta.url);
let loaded: typeof Holidays | undefined;

/**
 * date-holidays' `Holidays` class, loaded at the first call. Every process that imports the spec
 * modules (the server, the data plane's router) would otherwise load its calendars at start
 * (~0.3 s of CPU), although only a policy with `holidays` or a check of one reads them. Its
 * CommonJS build, because a synchronous load is what the callers (validation, window evaluation)
 * need; it is built from the same sources as the ES module. Not pure (caches the module).
 */
export function holidaysLibrary(): typeof Holidays {
  loaded ??= require('date-holidays') as typeof Holidays;
  return loaded;
}
