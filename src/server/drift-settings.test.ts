import { describe, expect, it } from 'vitest';
import { driftSettings } from './drift-settings.js';

describe('driftSettings', () => {
  it('should check every 30 s and notify nobody by default', () => {
    expect(driftSettings({})).toEqual({ intervalMs: 30_000, channels: [] });
  });

  it('should read the interval and the notification channels', () => {
    expect(
      driftSettings({
        CUTOVER_DRIFT_INTERVAL_SECONDS: '1.5',
        CUTOVER_DRIFT_WEBHOOK_URL: 'http://127.0.0.1:9000/drift',
        CUTOVER_DRIFT_SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/X',
      }),
    ).toEqual({
      intervalMs: 1500,
      channels: [
        { name: 'drift-webhook', type: 'webhook', url: 'http://127.0.0.1:9000/drift' },
        { name: 'drift-slack', type: 'slack', url: 'https://hooks.slack.com/services/T/B/X' },
      ],
    });
  });

  it('should refuse what it cannot use, naming the variable', () => {
    expect(() => driftSettings({ CUTOVER_DRIFT_INTERVAL_SECONDS: '0' })).toThrow(
      'CUTOVER_DRIFT_INTERVAL_SECONDS: expected a number of seconds 0.1..86400, got "0"',
    );
    expect(() => driftSettings({ CUTOVER_DRIFT_INTERVAL_SECONDS: '30s' })).toThrow(/got "30s"/);
    expect(() => driftSettings({ CUTOVER_DRIFT_WEBHOOK_URL: 'ftp://x' })).toThrow(
      'CUTOVER_DRIFT_WEBHOOK_URL: expected an http:// or https:// URL, got ftp:',
    );
    expect(() => driftSettings({ CUTOVER_DRIFT_SLACK_WEBHOOK_URL: 'not a url' })).toThrow(
      /CUTOVER_DRIFT_SLACK_WEBHOOK_URL/,
    );
  });
});
