import { describe, expect, it } from 'vitest';
import { formatServerStatus } from './commands/server-commands.js';

const replica = {
  address: 'http://127.0.0.1:7400',
  pid: 10,
  host: 'vm',
  version: '0.1.0',
  startedAt: 0,
  seenAt: 9000,
};

describe('cutover server status as text', () => {
  it('should say a single SQLite server leads without a lease, and a PostgreSQL store without one has no leader yet', () => {
    const sqlite = formatServerStatus({
      self: 'a',
      store: 'sqlite:/home/u/.cutover/cutover.db',
      lease: null,
      leader: 'a',
      replicas: [{ ...replica, id: 'a', leader: true }],
      now: 10_000,
    });
    expect(sqlite).toMatch(/^lease: none \(a single server on SQLite leads without one\)$/m);
    expect(sqlite).toMatch(
      /^a \(this\)\s+http:\/\/127\.0\.0\.1:7400\s+10\s+leader\s+0\.1\.0\s+\S+\s+1\.0 s ago$/m,
    );
    const postgres = formatServerStatus({
      self: 'b',
      store: 'postgres://cutover@db:5432/cutover',
      lease: null,
      leader: null,
      replicas: [{ ...replica, id: 'b', leader: false }],
      now: 10_000,
    });
    expect(postgres).toMatch(/^lease: none yet \(no replica has led\)$/m);
    expect(postgres).toMatch(/^leader: none$/m);
    expect(postgres).toMatch(/follower/);
  });

  it('should show the holder, token and time left of an unexpired lease', () => {
    const text = formatServerStatus({
      self: 'b',
      store: 'postgres://cutover@db:5432/cutover',
      lease: {
        holder: 'a',
        token: 3,
        acquiredAt: 0,
        renewedAt: 8000,
        expiresAt: 16_000,
        durationMs: 8000,
        expired: false,
      },
      leader: 'a',
      replicas: [],
      now: 10_000,
    });
    expect(text).toMatch(
      /^lease: controller, holder a, fencing token 3, duration 8 s, renewed \S+, expires in 6\.0 s$/m,
    );
  });
});
