import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../clock/index.js';
import type { Store } from '../store/index.js';
import { HandoffDriver } from './handoff-driver.js';

describe('HandoffDriver', () => {
  it('should log a store that cannot list the running handoffs instead of leaving the rejection unhandled (which ends the server)', async () => {
    const logged: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => void logged.push(line) });
    const store = {
      listHandoffRuns: () => Promise.reject(new Error('SQLITE_BUSY: database is locked')),
    } as unknown as Store;
    const driver = new HandoffDriver({
      store,
      clock: new SimulatedClock(0),
      logger,
      dataPlaneState: () => Promise.reject(new Error('unused')),
      wake: () => undefined,
      running: () => true,
    });
    driver.drive();
    await new Promise((r) => setTimeout(r, 10));
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0]!)).toMatchObject({
      msg: 'cannot list the running handoffs',
      err: { message: 'SQLITE_BUSY: database is locked' },
    });
  });
});
