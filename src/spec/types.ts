import type { PodTemplateSpec } from './argo-rollout-types.js';
import type { KubernetesRolloutTarget } from './kubernetes-rollout-target.js';
import type { NotificationChannel } from './release-types.js';
/**
 * Resource shapes of cutover's spec (YAML, `apiVersion: cutover.dev/v1alpha1`). Field names and
 * semantics of `strategy` and `AnalysisTemplate` follow Argo Rollouts v1alpha1.
 *
 * These are the shapes *after* validation (see `schema.ts`), with defaults NOT applied: defaults
 * are applied where they are used, so `-o json` shows the spec as the user wrote it.
 */

export const API_VERSION = 'cutover.dev/v1alpha1';
/** Argo Rollouts' API version; AnalysisTemplates in it are accepted unchanged. */
export const ARGO_API_VERSION = 'argoproj.io/v1alpha1';

/** A duration as Argo writes it: an integer number of seconds, or a string like `30s`, `5m`, `1h`, `500ms`. */
export type DurationValue = number | string;
/** An integer or a percentage string such as `25%` (Kubernetes' IntOrString). */
export type IntOrPercent = number | string;

export interface ObjectMeta {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/**
 * `metadata` of a ConfigMap, a Secret or a Rollout: with, optionally, the environment it belongs
 * to (as FeatureFlags'). A Rollout of environment E takes a ConfigMap or Secret of E first, else
 * the one without an environment; absent = every environment (a Release sets it on the Rollouts it
 * runs in each environment).
 */
export interface ScopedObjectMeta extends ObjectMeta {
  /** An Environment's name. @default every environment */
  environment?: string;
}

export interface HttpGetAction {
  /** @default "/" */
  path?: string;
  /** Port to probe. @default the replica's $PORT */
  port?: number;
  /** @default "HTTP" */
  scheme?: 'HTTP' | 'HTTPS';
  httpHeaders?: { name: string; value: string }[];
}

/** A probe with Kubernetes' field names and defaults. */
export interface Probe {
  httpGet?: HttpGetAction;
  tcpSocket?: { port?: number };
  exec?: { command: string[] };
  /** @default 0 */
  initialDelaySeconds?: number;
  /** @default 10 */
  periodSeconds?: number;
  /** @default 1 */
  timeoutSeconds?: number;
  /** @default 1 */
  successThreshold?: number;
  /** @default 3 */
  failureThreshold?: number;
}

/**
 * A container lifecycle hook's action, as Kubernetes' LifecycleHandler: exactly one of `exec`
 * (success = exit code 0), `httpGet` (success = status 200..399) and `sleep`.
 */
export interface LifecycleHandler {
  exec?: { command: string[] };
  httpGet?: HttpGetAction;
  /** Wait this long and succeed, as Kubernetes' `sleep` action. */
  sleep?: { seconds: number };
}

/** Container lifecycle hooks, as Kubernetes' `lifecycle`. */
export interface Lifecycle {
  /**
   * Runs as soon as the process has started; probes start once it succeeds. A failure (or a run
   * longer than `terminationGracePeriodSeconds`) kills the process, which is restarted.
   */
  postStart?: LifecycleHandler;
  /**
   * Runs when the replica is stopped (or killed by a failing liveness or startup probe), after the
   * router stopped sending it new requests and its in-flight requests finished, and before
   * SIGTERM, all within `terminationGracePeriodSeconds`.
   */
  preStop?: LifecycleHandler;
}

/** How one replica runs on the local platform. */
export interface LocalTemplate {
  /** argv; `$(VAR)` is expanded from the replica's environment as Kubernetes does. */
  command: string[];
  /** Working directory; relative paths are resolved against the spec file's directory at apply time. */
  cwd?: string;
  /**
   * Environment variables with literal values. A spec writes either a mapping (`NAME: value`) or
   * Kubernetes' list (`[{name, value} | {name, valueFrom}]`); the list is normalised at parse time:
   * its `value` entries land here and its `valueFrom` entries in {@link LocalTemplate.envValueFrom}
   * (a later entry of a name winning, as Kubernetes), so a list of plain values and the same
   * mapping are the same revision. Wins over `envFrom`.
   */
  env?: Record<string, string>;
  /**
   * Set by the parser from `env` list entries with `valueFrom`, never written in a spec: each
   * variable taken from one key of a ConfigMap or Secret (pinned by `refVersions` as `envFrom`).
   * Wins over `envFrom`, as any `env` entry.
   */
  envValueFrom?: Record<string, EnvVarSource>;
  /**
   * As Kubernetes' `envFrom`: every key of each ConfigMap or Secret becomes an environment variable
   * (with `prefix` in front), in list order, a later source winning; `env` wins over all of them.
   * The version of each source is pinned in the revision ({@link LocalTemplate.refVersions}), so a
   * change to one is a new revision of the Rollout (as Flagger: a ConfigMap or Secret change starts
   * a canary) and `undo` brings the old values back. Keys that are not valid variable names are
   * skipped, as Kubernetes does.
   */
  envFrom?: EnvFromSource[];
  /**
   * ConfigMaps and Secrets as files, as Kubernetes' configMap and secret volumes: each entry writes
   * a whole ConfigMap or Secret as a directory `path/` with one file per key, or with `key` that one
   * key as the file `path`. Written per replica set (a canary and its stable never share a file)
   * under `$CUTOVER_FILES_DIR` (`<data plane home>/files/<rollout>/<set>/`, 0700), Secret files
   * 0600, ConfigMap files 0644. Versions pinned as `envFrom`'s.
   */
  files?: TemplateFile[];
  /**
   * Set by the control plane for the data plane only (never stored, never in a spec): the content
   * of each file of {@link LocalTemplate.files}, at its pinned version.
   */
  fileData?: FileData[];
  /**
   * Set by cutover at apply, never in a spec: the version of each ConfigMap and Secret the template
   * takes, keyed `ConfigMap/NAME` or `Secret/NAME` (`Secret/NAME@ENVIRONMENT` for one of an
   * environment); part of the template hash.
   */
  refVersions?: Record<string, number>;
  /**
   * Set by cutover at apply, never in a spec: the Rollout's `metadata.environment` its references
   * were resolved in (kept so that a later ConfigMap or Secret change re-pins it the same way).
   */
  refEnvironment?: string;
  /**
   * Set by cutover at apply on the kubernetes platform, never in a cutover spec: the revision's pod
   * template (an Argo Rollout's `spec.template`), which its ReplicaSet runs; the revision's hash is
   * Argo's `rollouts-pod-template-hash` of it. The other fields are then derived from its first
   * container (`command` + `args`, else the image; literal `env` values) for display only.
   */
  podTemplate?: PodTemplateSpec;
  /**
   * As Kubernetes' startupProbe: readiness and liveness probes do not run until it has passed once;
   * a replica that does not pass it within `initialDelaySeconds + failureThreshold × periodSeconds`
   * is restarted. `successThreshold` must be 1.
   */
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  lifecycle?: Lifecycle;
  /** Seconds from the start of a stop (drain, preStop, SIGTERM) to SIGKILL. @default 30 */
  terminationGracePeriodSeconds?: number;
}

/** One `files` entry: exactly one of `configMapRef` or `secretRef`. */
export interface TemplateFile {
  /**
   * Relative to `$CUTOVER_FILES_DIR`, `/`-separated, without `..` or `.` segments: a directory (one
   * file per key) or, with `key`, the file.
   */
  path: string;
  configMapRef?: { name: string };
  secretRef?: { name: string };
  /** The one key written, as the file `path`. @default every key, as files of the directory `path` */
  key?: string;
}

/** One file as the data plane writes it. */
export interface FileData {
  /** Relative to the replica set's files directory. */
  path: string;
  data: string;
  /** 0o600 (a Secret's) or 0o644 (a ConfigMap's). */
  mode: number;
}

/** As Kubernetes' EnvVar: one environment variable, `value` or `valueFrom` (exactly one). */
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: EnvVarSource;
}

/** As Kubernetes' EnvVarSource: exactly one of `configMapKeyRef` or `secretKeyRef`. */
export interface EnvVarSource {
  configMapKeyRef?: KeySelector;
  secretKeyRef?: KeySelector;
}

/** As Kubernetes' ConfigMapKeySelector / SecretKeySelector: one key of a ConfigMap or Secret. */
export interface KeySelector {
  /** The ConfigMap's or Secret's name. */
  name: string;
  key: string;
  /**
   * When true, a missing ConfigMap, Secret or key leaves the variable unset instead of failing the
   * apply (Kubernetes' `optional`). @default false
   */
  optional?: boolean;
}

/** One `envFrom` source: exactly one of `configMapRef` or `secretRef`. */
export interface EnvFromSource {
  configMapRef?: { name: string };
  secretRef?: { name: string };
  /** Prepended to every variable name of the source. @default '' */
  prefix?: string;
}

/** As Kubernetes' ConfigMap: configuration data a Rollout's template takes with `envFrom`. */
export interface ConfigMap {
  apiVersion: typeof API_VERSION;
  kind: 'ConfigMap';
  metadata: ScopedObjectMeta;
  /** Keys are variable names (letters, digits, `-._`); values at most 128 KiB each. @default {} */
  data?: Record<string, string>;
}

/**
 * As Kubernetes' Secret: `stringData` on input only. Stored encrypted (a data key per version,
 * wrapped by the installation's key-encryption key); no API answer, CLI output, event, log or
 * audit entry shows a value: only its name, keys, version and sha256 fingerprint.
 */
export interface Secret {
  apiVersion: typeof API_VERSION;
  kind: 'Secret';
  metadata: ScopedObjectMeta;
  /** @default Opaque */
  type?: 'Opaque';
  /** Keys are variable names (letters, digits, `-._`); values at most 128 KiB each. */
  stringData: Record<string, string>;
  /**
   * When the Secret is due for rotation: a 5-part cron expression (UTC). The server marks it due at
   * the schedule's first time after its latest version, until a new version is made, and notifies
   * `notifications` (and records a `SecretRotationDue` event) once per due period.
   */
  rotationSchedule?: string;
  /** Channels told when it is due (a Release's `spec.notifications` shape). @default none (the event only) */
  notifications?: NotificationChannel[];
}

export interface AnalysisTemplateRef {
  templateName: string;
  /** As Argo's ClusterAnalysisTemplate reference. @default false */
  clusterScope?: boolean;
}

export interface AnalysisArg {
  name: string;
  value?: string;
  valueFrom?: {
    /** cutover addition for the local platform: read an environment variable of the server. */
    env?: string;
    secretKeyRef?: { name: string; key: string };
    fieldRef?: { fieldPath: string };
    podTemplateHashValue?: 'Stable' | 'Latest';
  };
}

/** As Argo Rollouts' RolloutAnalysis. */
export interface RolloutAnalysis {
  templates: AnalysisTemplateRef[];
  args?: AnalysisArg[];
  dryRun?: { metricName: string }[];
  measurementRetention?: { metricName: string; limit: number }[];
}

/** Background analysis of a canary, as Argo's `canary.analysis`. */
export interface RolloutAnalysisBackground extends RolloutAnalysis {
  /** Step index (0-based) at which the background analysis starts. @default 0 */
  startingStep?: number;
}

/**
 * How a header's value is matched, exactly one of the three, as Argo Rollouts' StringMatch.
 * `regex` is an RE2 regular expression (as Argo's traffic routers hand to Istio and Envoy) tested
 * unanchored against the value (anchor it with `^` and `$` for a full match) in linear time, at most
 * {@link MAX_HEADER_ROUTE_REGEX_LENGTH} characters, without Unicode classes (see
 * `compileHeaderRouteRegex`).
 */
export interface StringMatch {
  exact?: string;
  prefix?: string;
  regex?: string;
}

/** One condition of a header route: the request's `headerName` (case-insensitive) matches `headerValue`. */
export interface HeaderRoutingMatch {
  headerName: string;
  headerValue: StringMatch;
}

/**
 * As Argo Rollouts' `setHeaderRoute` step: requests matching all of `match` go to the canary
 * revision whatever the weight. Without `match` the named route is removed.
 */
export interface SetHeaderRoute {
  /** Route name; a later step with the same name replaces or (without `match`) removes it. */
  name: string;
  match?: HeaderRoutingMatch[];
}

/** One alternative of a mirror route, as Argo Rollouts' `RouteMatch`: every given condition holds. */
export interface RouteMatch {
  /** The request method, case-sensitive. */
  method?: StringMatch;
  /** The request path, without the query. */
  path?: StringMatch;
  /** By header name (case-insensitive). */
  headers?: Record<string, StringMatch>;
}

/**
 * As Argo Rollouts' `setMirrorRoute` step: a copy of each request matching one of `match` goes to
 * the canary too (in `percentage` percent of cases); clients get only the answer of the revision
 * their request was routed to, and the copies' answers are recorded as the builtin provider's
 * `revision: mirror`. Without `match` the named route is removed.
 */
export interface SetMirrorRoute {
  /** Route name; a later step with the same name replaces or (without `match`) removes it. */
  name: string;
  /** Share of matching requests copied, percent 0..100. @default 100 */
  percentage?: number;
  /** 1..8 alternatives; a request matching any one is copied. */
  match?: RouteMatch[];
  /**
   * cutover's addition: compare each copy's answer with the client's, the status and, with
   * `jsonPath` (Kubernetes JSONPath, as the web provider's), that JSON field; the builtin metric
   * `mirror-mismatch-rate` reads the ratio that differed.
   */
  compare?: { jsonPath?: string };
}

/** Longest `headerValue.regex` accepted, characters (bounds the cost of compiling and matching it). */
export const MAX_HEADER_ROUTE_REGEX_LENGTH = 256;

/**
 * One replica set an experiment runs, as Argo Rollouts' `RolloutExperimentTemplate`: a fresh copy
 * of the stable (`baseline`) or canary (`candidate`) template under its own identity.
 */
export interface RolloutExperimentTemplate {
  /** Unique within the experiment; an RFC 1123 label. Builtin metrics address it as `experiment:<name>`. */
  name: string;
  /** Which revision's template the set runs. */
  specRef: 'stable' | 'canary';
  /** @default 1 */
  replicas?: number;
  /** Share of the main port's traffic, percent 0..100, taken from the stable revision. @default 0 */
  weight?: number;
}

/** An AnalysisRun an experiment starts, as Argo Rollouts' `RolloutExperimentStepAnalysisTemplateRef`. */
export interface RolloutExperimentAnalysis extends AnalysisTemplateRef {
  /** Unique within the experiment; the run is named `<experiment>-<name>`. */
  name: string;
  args?: AnalysisArg[];
  /**
   * The experiment ends once every analysis with this flag is Successful (without waiting for
   * `duration`). @default false
   */
  requiredForCompletion?: boolean;
}

/** As Argo Rollouts' canary `experiment` step. */
export interface RolloutExperimentStep {
  /** How long the experiment runs once its replica sets are ready and routed. @default until its required analyses complete */
  duration?: DurationValue;
  templates: RolloutExperimentTemplate[];
  analyses?: RolloutExperimentAnalysis[];
}

/**
 * cutover's canary step for a feature flag (issue 14): while the Rollout progresses, flag `flag`
 * (a key of a FeatureFlags resource) answers `variant` to `percentage` percent of the targeting
 * keys and its `defaultVariant` to the others (a flagd `fractional` split that replaces the flag's
 * targeting; state, variants and metadata stay the definition's). An abort returns the flag to its
 * definition; the completed update writes its last ramp into the definition.
 */
export interface SetFlag {
  /** A flag key defined by a FeatureFlags resource (every resource that defines it is ramped). */
  flag: string;
  /** One of the flag's variants, not its `defaultVariant`. */
  variant: string;
  /** Share of targeting keys that get `variant`, percent 0..100. */
  percentage: number;
}

export type CanaryStep =
  | { setWeight: number }
  | { setFlag: SetFlag }
  | { pause: { duration?: DurationValue } }
  | { analysis: RolloutAnalysis }
  | { setHeaderRoute: SetHeaderRoute }
  | { setMirrorRoute: SetMirrorRoute }
  | { experiment: RolloutExperimentStep };

export interface CanaryStrategy {
  steps?: CanaryStep[];
  analysis?: RolloutAnalysisBackground;
  /** Seconds before an aborted canary is scaled down. @default 30 */
  abortScaleDownDelaySeconds?: number;
  /** Seconds before the old stable is scaled down after promotion. @default 30 */
  scaleDownDelaySeconds?: number;
  /** @default "25%" */
  maxSurge?: IntOrPercent;
  /** @default 0 */
  maxUnavailable?: IntOrPercent;
}

export interface BlueGreenStrategy {
  /** Port on which the router serves the preview revision. */
  previewPort?: number;
  /** @default true */
  autoPromotionEnabled?: boolean;
  /** Seconds to wait before auto promotion. @default 0 */
  autoPromotionSeconds?: number;
  /** Replicas of the preview revision before promotion. @default spec.replicas */
  previewReplicaCount?: number;
  /** @default 30 */
  scaleDownDelaySeconds?: number;
  /** @default 30 */
  abortScaleDownDelaySeconds?: number;
  prePromotionAnalysis?: RolloutAnalysis;
  postPromotionAnalysis?: RolloutAnalysis;
}

/** Kubernetes Deployment's RollingUpdate. */
export interface RollingStrategy {
  /** @default "25%" (a `spec.stateful` Rollout never surges: one ordinal at a time) */
  maxSurge?: IntOrPercent;
  /** @default "25%" (a `spec.stateful` Rollout: one ordinal at a time) */
  maxUnavailable?: IntOrPercent;
  /**
   * `spec.stateful` only, as StatefulSet's `rollingUpdate.partition`: ordinals `>= partition` are
   * updated, lower ones keep their revision. @default 0
   */
  partition?: number;
}

export interface RolloutStrategy {
  canary?: CanaryStrategy;
  blueGreen?: BlueGreenStrategy;
  rolling?: RollingStrategy;
  recreate?: Record<string, never>;
}

export interface RolloutSpec {
  /** @default 1 */
  replicas?: number;
  /** Public port: the router serves stable / active here. */
  port: number;
  /** As Argo's `spec.paused`. @default false */
  paused?: boolean;
  /**
   * Seconds without progress before the rollout is Degraded (`ProgressDeadlineExceeded`), as Argo
   * Rollouts' `progressDeadlineSeconds`; paused time and canary pause, analysis and experiment steps
   * do not count. @default 600
   */
  progressDeadlineSeconds?: number;
  /**
   * As Argo Rollouts' `progressDeadlineAbort`: abort a canary or blue-green update (all traffic back
   * to stable) when it passes its progress deadline, or at once when its new revision crash-loops or
   * cannot start. @default false
   */
  progressDeadlineAbort?: boolean;
  template: LocalTemplate;
  strategy: RolloutStrategy;
  /**
   * StatefulSet semantics (opt-in): stable replica identity (ordinals 0..replicas-1, names
   * `<rollout>-<ordinal>`), a state directory per ordinal, at most one process per ordinal ever.
   * Works with the `rolling` (highest ordinal first) and `recreate` strategies.
   */
  stateful?: StatefulSpec;
  /** The coordination handoff cutover speaks to the old and the new revision. */
  handoff?: Handoff;
  /**
   * Set by cutover at apply on the kubernetes platform (an Argo Rollout, see `storedArgoRollout`),
   * never in a cutover spec: where its ReplicaSets run, its Services and traffic provider. Its pod
   * template is each revision's (`LocalTemplate.podTemplate`), not kept here.
   */
  kubernetes?: Omit<KubernetesRolloutTarget, 'template'>;
  /** How the router treats the Rollout's replicas, with Istio DestinationRule's names. */
  trafficPolicy?: TrafficPolicy;
  /**
   * Keeps a session (a conversation) on one revision and one replica, as Kubernetes Service
   * `sessionAffinity` and NGINX ingress cookie affinity, extended to revisions.
   */
  sessionAffinity?: SessionAffinity;
  /**
   * What the controller does when what runs drifts from what is desired (a weight or a replica
   * count changed on the data plane's admin API, a file edited in a revision's working directory):
   * `alert` reports it (a `DriftDetected` event, a metric, a notification) and leaves it;
   * `remediate` reports it and restores the desired state of the data plane (a `DriftRemediated`
   * event). Checked every `CUTOVER_DRIFT_INTERVAL_SECONDS` (30 s). See docs/drift.md.
   * @default alert
   */
  driftPolicy?: 'alert' | 'remediate';
}

/** `spec.trafficPolicy`, as Istio's DestinationRule `trafficPolicy`. */
export interface TrafficPolicy {
  outlierDetection?: OutlierDetection;
  /**
   * Per-request upstream timeout, as Istio's VirtualService `timeout`: the time a replica has to
   * send its response head (a stream may then last longer); the client gets 504 after it.
   * @default 60s (the router's)
   */
  timeout?: DurationValue;
  /** Limits on the connections to each replica, as Istio's DestinationRule `connectionPool`. */
  connectionPool?: ConnectionPool;
  /** Retries of failed requests, as Istio's VirtualService `HTTPRetry`. */
  retries?: Retries;
}

/**
 * As Istio's `connectionPool` (Envoy's circuit breakers); every limit unset is unbounded. A request
 * over `tcp.maxConnections` waits for a connection; over `http.http1MaxPendingRequests` waiting, it
 * gets 503 with `x-cutover-overflow: true` (counted as a proxy error for analysis).
 */
export interface ConnectionPool {
  tcp?: {
    /** Connections open to one replica at most. */
    maxConnections?: number;
    /** @default "5s" (the router's; Istio's is 10s) */
    connectTimeout?: DurationValue;
  };
  http?: {
    /** Requests of one revision waiting for a connection at most. */
    http1MaxPendingRequests?: number;
    /** Requests per connection to a replica, then it is closed; 0: unlimited. @default 0 */
    maxRequestsPerConnection?: number;
    /** Requests of the Rollout being retried at once at most. */
    maxRetries?: number;
  };
}

/**
 * As Istio's `HTTPRetry`: a failed try is retried at once (no backoff), on another ready replica of
 * the same revision when there is one. Each request counts once in the analysis figures; its failed
 * tries count apart (`cutover_router_failed_tries_total`).
 */
export interface Retries {
  /** Retries per request, not counting the first try, 0..10. */
  attempts: number;
  /** Time each try has to get the response head; `timeout` still bounds them all. @default timeout */
  perTryTimeout?: DurationValue;
  /**
   * Envoy's conditions, comma-separated: connect-failure, refused-stream, reset, gateway-error, 5xx,
   * retriable-4xx, status codes (503), and cutover's non-idempotent (without it a POST or PATCH is
   * retried only when it never reached the replica). @default "connect-failure,refused-stream,gateway-error"
   */
  retryOn?: string;
}

/** As Istio's `outlierDetection` (see `OutlierDetector` in the router). */
export interface OutlierDetection {
  /** @default 5 (0 disables) */
  consecutive5xxErrors?: number;
  /** @default 0 (disabled) */
  consecutiveGatewayErrors?: number;
  /** @default "10s" */
  interval?: DurationValue;
  /** @default "30s" */
  baseEjectionTime?: DurationValue;
  /** Percent. @default 10 */
  maxEjectionPercent?: number;
  /** Percent. @default 0 */
  minHealthPercent?: number;
}

/** `spec.sessionAffinity`. */
export interface SessionAffinity {
  /** `ClientIP` (the TCP peer), `Cookie` (issued by the router when absent), or `Header`. */
  type: 'ClientIP' | 'Cookie' | 'Header';
  /** @default "cutover-session" */
  cookieName?: string;
  /** Required for `Header`, e.g. `X-Session-Id`. */
  headerName?: string;
  /** Idle time after which a session is forgotten, s. @default 10800 (3 h, as Kubernetes) */
  timeoutSeconds?: number;
}

/** `spec.stateful`; empty for now (`{}`): its presence turns StatefulSet semantics on. */
export type StatefulSpec = Record<string, never>;

/**
 * One step of a handoff, spoken to one replica: an HTTP request (`httpGet`, any method) or a
 * command run beside it (`exec`, the state on its stdin for `import`, read from its stdout for
 * `export`).
 */
export interface HandoffAction {
  httpGet?: {
    /** Absolute path, e.g. `/api/v1/coordination/export`. */
    path: string;
    /** @default the replica's $PORT */
    port?: number;
    /** @default GET */
    method?: 'GET' | 'POST' | 'PUT';
    headers?: Record<string, string>;
  };
  exec?: { command: string[] };
}

/** The `verify` step: an action whose answer must satisfy `successCondition` (as a web metric). */
export interface HandoffVerify extends HandoffAction {
  /** Kubernetes JSONPath into the JSON answer. @default "{$}" */
  jsonPath?: string;
  /** An Argo-style condition on `result`. @default the action succeeded (2xx / exit 0) */
  successCondition?: string;
}

/**
 * `spec.handoff`: how the active role and its state pass from the old revision to the new
 * (seed: the MCA coordination handoff). Order: hold new requests, drain the old replica,
 * prepare(old), export(old), import(new), activate(new), verify(new), release the held requests to
 * the new replica, shutdown(old).
 */
export interface Handoff {
  /** At most one replica of the Rollout is active (receives requests) at any instant. @default false */
  singleton?: boolean;
  prepare?: HandoffAction;
  export: HandoffAction;
  import: HandoffAction;
  activate?: HandoffAction;
  verify?: HandoffVerify;
  shutdown?: HandoffAction;
  /** Bound on each step, s. @default 30 */
  timeoutSeconds?: number;
  /** Largest exported state, a Kubernetes quantity (`64Mi`) or bytes. @default "64Mi" */
  maxStateBytes?: number | string;
  /** Period of the state snapshots of the active replica, s; absent = none. */
  snapshotIntervalSeconds?: number;
}

export interface Rollout {
  apiVersion: typeof API_VERSION;
  kind: 'Rollout';
  metadata: ScopedObjectMeta;
  spec: RolloutSpec;
}

/** Metric provider: read from cutover's router. */
export interface BuiltinMetricProvider {
  /**
   * `mirror-mismatch-rate`: the ratio 0..1 of mirrored requests (`setMirrorRoute` with `compare`)
   * whose answer differed from the client's; NaN when none was compared.
   */
  metric: 'error-rate' | 'request-rate' | 'latency' | 'mirror-mismatch-rate';
  /** For `latency`: quantile 0..1. @default 0.95 */
  quantile?: number;
  /**
   * Whose traffic: a role of the run's revisions; `mirror`, the answers to the copies mirrored to
   * the canary (`setMirrorRoute`), which no client saw; or `experiment:<template>` for a replica
   * set of the experiment that started the run. @default "canary"
   */
  revision?: 'canary' | 'stable' | 'preview' | 'active' | 'mirror' | `experiment:${string}`;
  /** Look-back window. @default "10s" */
  window?: DurationValue;
  /**
   * With `variant`: only the revision's responses that named this feature flag variant in their
   * `x-cutover-flag-variant: <flag>=<variant>` header (not for `mirror-mismatch-rate`, `mirror`
   * or `experiment:` roles).
   */
  flag?: string;
  /** The variant of `flag` measured. */
  variant?: string;
}

/** Exactly one provider key per metric, as Argo Rollouts' MetricProvider. */
export interface MetricProvider {
  builtin?: BuiltinMetricProvider;
  /** As Argo Rollouts' `prometheus` provider; its fields are validated by the analysis module. */
  prometheus?: Record<string, unknown>;
  /** As Argo Rollouts' `web` provider; its fields are validated by the analysis module. */
  web?: Record<string, unknown>;
  /** As Argo Rollouts' `job` provider; its fields are validated by the analysis module. */
  job?: Record<string, unknown>;
  /** Fixed-sample comparison of canary with stable, as Kayenta's judge (docs/judges.md). */
  judge?: Record<string, unknown>;
  /** Sequential, anytime-valid comparison of canary with stable (docs/judges.md). */
  sequential?: Record<string, unknown>;
  /** Any other key is rejected by the schema; the index signature lets callers look a provider up by name. */
  [name: string]: unknown;
}

/** As Argo Rollouts' Metric. Integer fields may be strings so `{{args.x}}` can fill them. */
export interface Metric {
  name: string;
  interval?: DurationValue;
  initialDelay?: DurationValue;
  count?: number | string;
  successCondition?: string;
  failureCondition?: string;
  failureLimit?: number | string;
  inconclusiveLimit?: number | string;
  consecutiveErrorLimit?: number | string;
  consecutiveSuccessLimit?: number | string;
  provider: MetricProvider;
}

export interface AnalysisTemplateSpec {
  args?: AnalysisArg[];
  metrics: Metric[];
  dryRun?: { metricName: string }[];
  measurementRetention?: { metricName: string; limit: number }[];
}

/**
 * `metadata` of an AnalysisTemplate or ClusterAnalysisTemplate: with, optionally, the Kubernetes
 * namespace Argo's templates carry. The local platform has one namespace: the namespace is kept and
 * shown, never a scope (a template's name is unique whatever its namespace).
 */
export interface AnalysisTemplateMeta extends ObjectMeta {
  /** A DNS-1123 label, as Kubernetes' `metadata.namespace`. @default none */
  namespace?: string;
}

export interface AnalysisTemplate {
  apiVersion: typeof API_VERSION | typeof ARGO_API_VERSION;
  kind: 'AnalysisTemplate' | 'ClusterAnalysisTemplate';
  metadata: AnalysisTemplateMeta;
  spec: AnalysisTemplateSpec;
}

/** Every kind a spec file may hold (`release-types.ts` has Environment and Release). */
export type Resource =
  | Rollout
  | AnalysisTemplate
  | ConfigMap
  | Secret
  | import('./release-types.js').Environment
  | import('./release-types.js').Release
  | import('./feature-flags-schema.js').FeatureFlags;
