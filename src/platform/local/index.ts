/** The local platform: replicas as supervised child processes of the data plane. */
export { ChildProcessHost, type ChildProcessHostOptions } from './child-process-host.js';
export { expandVars, replicaEnv } from './expand.js';
export { freePort } from './free-port.js';
export { LocalPlatform, type LocalPlatformOptions } from './local-platform.js';
export { PROBE_DEFAULTS, type ProbeContext, runProbe } from './probe.js';
export { ProbeLoop, type ProbeLoopOptions } from './probe-loop.js';
export {
  exitCodeOf,
  type HostedProcess,
  type ProcessHost,
  ProcessSpawnError,
  type ProcessSpawnOptions,
  type ReplicaTag,
} from './process-host.js';
export { DEFAULT_TERMINATION_GRACE_SECONDS, Replica, type ReplicaOptions } from './replica.js';
export { RestartBackoff, type RestartBackoffOptions } from './restart-backoff.js';
export { type StateBackup, StateBackups } from './state-backups.js';
