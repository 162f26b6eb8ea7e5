import { describe, expect, it } from 'vitest';
import { rotationDueAt } from './rotation-due.js';

describe('rotationDueAt', () => {
  it('should be due at the first time of the schedule after the last version', () => {
    const made = Date.UTC(2026, 0, 15, 10, 30);
    expect(rotationDueAt('0 0 1 * *', made)).toBe(Date.UTC(2026, 1, 1));
    expect(rotationDueAt('*/5 * * * *', made)).toBe(Date.UTC(2026, 0, 15, 10, 35));
  });
});
