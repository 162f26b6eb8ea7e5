import { closeSync, openSync } from 'node:fs';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { SafeLogDestination } from './log-destination.js';

describe('SafeLogDestination', () => {
  // Issue 9 (3): the control plane crashed on an unhandled ENOSPC in its logger.
  it('should drop and count lines a full disk refuses, without throwing (/dev/full answers ENOSPC)', () => {
    const fd = openSync('/dev/full', 'w');
    try {
      const destination = new SafeLogDestination(fd, 60_000);
      const logger = pino({ level: 'info' }, destination);
      for (let i = 0; i < 3; i++) logger.error({ i }, 'cannot be written');
      expect(destination.dropped).toBe(3);
    } finally {
      closeSync(fd);
    }
  });
});
