import type { DriftFinding } from '../drift/index.js';
import type { StoredEvent } from '../store/index.js';

/** Most recent events read to find what an earlier leader already reported. */
const DRIFT_HISTORY_EVENTS = 10_000;

/** A finding an earlier detector reported (`DriftDetected`) and nothing closed since. */
export interface OpenDrift extends Pick<DriftFinding, 'kind' | 'name' | 'field' | 'desired' | 'observed'> {
  /** When it was reported, ms since the epoch. */
  since: number;
}

/** What the event log says drift detection already recorded (another leader, before a failover). */
export interface DriftHistory {
  /** Open findings by `<kind>/<name>\0<field>`. */
  open: Map<string, OpenDrift>;
  /** `<rollout>/<revision>` whose working directory was reported as not checked. */
  notChecked: Set<string>;
  /** Per object (`<kind>/<name>`), the last `DriftRemediationFailed` message no remediation followed. */
  failures: Map<string, string>;
}

/** `<kind>/<name>: <field>[ (in <dir>)]: desired <desired>, observed <observed> (<policy text>)`. */
const DETECTED =
  /^(Rollout|FeatureFlags)\/([^:\s]+): (.+?)(?: \(in [^)]*\))?: desired (.*), observed (.*) \(([^()]*)\)$/s;
/** `<kind>/<name>: <field> no longer drifts (...)`. */
const RESOLVED = /^(Rollout|FeatureFlags)\/([^:\s]+): (.+) no longer drifts \(/s;
/** `<kind>/<name>: driftPolicy remediate restored the desired state: <field> back to ...; ...`. */
const REMEDIATED = /^(Rollout|FeatureFlags)\/([^:\s]+): driftPolicy remediate restored the desired state: /s;
/** `<kind>/<name>: driftPolicy remediate could not restore the desired state: <error>`. */
const FAILED = /^((?:Rollout|FeatureFlags)\/[^:\s]+): driftPolicy remediate could not restore /s;
const NOT_CHECKED = /^The working directory of revision (\d+) /;
/** The detector's `overwritten` findings: the controller's write replaces them, nothing resolves them. */
const OVERWRITTEN = "the controller's next change to the Rollout replaces it";

/**
 * Reads the drift detector's own events back from the log, oldest first: the last `DriftDetected`
 * per object and field not followed by a `DriftResolved` or a `DriftRemediated` of that field is
 * open; each `WorkingDirectoryNotChecked` is remembered, and each object's last
 * `DriftRemediationFailed` that no `DriftRemediated` followed. A new leader starts from this instead of
 * empty memory, so a failover reports no finding twice. Events older than the
 * {@link DRIFT_HISTORY_EVENTS} most recent are not read (a finding that old is reported again).
 * Reads only; never throws on a message it does not recognise (it skips it).
 */
export async function loadDriftHistory(store: {
  listEvents(query: { limit: number }): Promise<StoredEvent[]>;
}): Promise<DriftHistory> {
  const open = new Map<string, OpenDrift>();
  const notChecked = new Set<string>();
  const failures = new Map<string, string>();
  for (const e of await store.listEvents({ limit: DRIFT_HISTORY_EVENTS })) {
    if (e.reason === 'DriftDetected') {
      const m = DETECTED.exec(e.message);
      if (m === null || m[6] === OVERWRITTEN) continue;
      const [, kind, name, field, desired, observed] = m as unknown as string[];
      open.set(`${kind}/${name}\u0000${field}`, {
        kind: kind as DriftFinding['kind'],
        name: name as string,
        field: field as string,
        desired: desired as string,
        observed: observed as string,
        since: e.time,
      });
    } else if (e.reason === 'DriftResolved') {
      const m = RESOLVED.exec(e.message);
      if (m !== null) open.delete(`${m[1]}/${m[2]}\u0000${m[3]}`);
    } else if (e.reason === 'DriftRemediated') {
      const m = REMEDIATED.exec(e.message);
      if (m === null) continue;
      failures.delete(`${m[1]}/${m[2]}`);
      for (const [key, o] of open)
        if (`${o.kind}/${o.name}` === `${m[1]}/${m[2]}` && e.message.includes(`${o.field} back to `))
          open.delete(key);
    } else if (e.reason === 'DriftRemediationFailed') {
      const m = FAILED.exec(e.message);
      if (m !== null) failures.set(m[1] as string, e.message);
    } else if (e.reason === 'WorkingDirectoryNotChecked' && e.rollout !== null) {
      const m = NOT_CHECKED.exec(e.message);
      if (m !== null) notChecked.add(`${e.rollout}/${m[1]}`);
    }
  }
  return { open, notChecked, failures };
}
