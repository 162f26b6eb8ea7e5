/**
 * The data plane's default listener ports, apart from `data-plane.ts` so that the supervisor
 * (`main.ts`) reads them without loading the router's modules, which only its child needs.
 */

/** Default port of the read-only metrics listener (env `CUTOVER_METRICS_PORT` overrides it). */
export const DEFAULT_METRICS_PORT = 7401;
/**
 * Default port of the OFREP listener (feature flag evaluation; env `CUTOVER_OFREP_PORT` or
 * `--ofrep-port` overrides it).
 */
export const DEFAULT_OFREP_PORT = 7402;
