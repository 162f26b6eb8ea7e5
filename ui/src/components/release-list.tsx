import { useCallback, useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { formatDateTime } from '../release-view.js';
import type { ReleaseView } from '../types.js';
import { PhaseBadge } from './phase-badge.js';

interface ReleaseListProps {
  /** Bumped by the live stream: refetch. */
  tick: number;
  onError: (error: unknown) => void;
}

/** All releases, newest first: name, version, service, team, type, stage, status. */
export function ReleaseList({ tick, onError }: ReleaseListProps) {
  const [releases, setReleases] = useState<ReleaseView[] | null>(null);

  const load = useCallback(() => {
    api.releases().then(setReleases, onError);
  }, [onError]);
  useEffect(load, [load, tick]);

  const shown = [...(releases ?? [])].sort((a, b) => b.createdAt - a.createdAt);
  return (
    <main>
      <h1>Releases</h1>
      {releases === null ? (
        <p>Loading…</p>
      ) : (
        <table class="releases">
          <caption class="visually-hidden">Releases</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Version</th>
              <th scope="col">Service</th>
              <th scope="col">Team</th>
              <th scope="col">Type</th>
              <th scope="col">Stage</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr key={r.name} data-release={r.name}>
                <td>
                  <a href={`#/releases/${encodeURIComponent(r.name)}`}>{r.name}</a>
                </td>
                <td>{r.version}</td>
                <td data-col="service">{r.rollouts.join(', ')}</td>
                <td data-col="team">{r.team || '-'}</td>
                <td>{r.type}</td>
                <td>
                  {r.stage} <span class="muted">in {r.environment}</span>
                </td>
                <td data-status={r.status}>
                  <PhaseBadge phase={r.status} />
                </td>
                <td>
                  {formatDateTime(r.createdAt)} <span class="muted">by {r.createdBy}</span>
                </td>
              </tr>
            ))}
            {shown.length === 0 && (
              <tr>
                <td colSpan={8}>No releases yet.</td>
              </tr>
            )}
          </tbody>
        </table>
      )}
    </main>
  );
}
