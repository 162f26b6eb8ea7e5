/** The built-in router: HTTP/1.1 reverse proxy with weighted revisions and per-revision metrics. */
export { Endpoint, type EndpointAddress, type EndpointPoolOptions } from './endpoint.js';
export { ListenError, PortInUseError, TrafficError } from './errors.js';
export {
  HISTOGRAM_BOUNDS,
  HISTOGRAM_BUCKETS,
  histogramBucket,
  histogramQuantile,
} from './latency-histogram.js';
export { BindError, DIRECT_PORT_BINDER, type ListenTarget, type PortBinder } from './port-binder.js';
export { EXPOSED_LATENCY_BUCKETS, renderRouterMetrics } from './prometheus-exposition.js';
export {
  OUTCOME_CLASSES,
  type OutcomeClass,
  RevisionRecorder,
  type WindowTotals,
} from './revision-recorder.js';
export { Router, type RouterOptions } from './router.js';
