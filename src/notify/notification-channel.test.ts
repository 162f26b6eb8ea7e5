import { describe, expect, it } from 'vitest';
import { notificationChannelSchema } from './notification-channel.js';

describe('notificationChannelSchema', () => {
  it('should accept webhook and slack channels with optional kinds and headers', () => {
    const channels = [
      { name: 'ops', type: 'slack', url: 'https://hooks.slack.com/services/T/B/X', kinds: ['escalation'] },
      {
        name: 'audit',
        type: 'webhook',
        url: 'http://127.0.0.1:8080/hook',
        headers: { Authorization: 'Bearer t' },
      },
      { name: 'local', type: 'webhook', url: 'http://localhost:9000/' },
    ];
    expect(notificationChannelSchema.parse(channels)).toEqual(channels);
  });

  it.each([
    {
      name: 'an unknown type',
      channel: { name: 'a', type: 'email', url: 'https://x.test' },
      path: [0, 'type'],
    },
    {
      name: 'a non-http url',
      channel: { name: 'a', type: 'webhook', url: 'ftp://x.test' },
      path: [0, 'url'],
    },
    {
      name: 'an empty name',
      channel: { name: '', type: 'webhook', url: 'https://x.test' },
      path: [0, 'name'],
    },
    {
      name: 'an empty kinds list',
      channel: { name: 'a', type: 'webhook', url: 'https://x.test', kinds: [] },
      path: [0, 'kinds'],
    },
    {
      name: 'an unknown key',
      channel: { name: 'a', type: 'webhook', url: 'https://x.test', kind: ['x'] },
      path: [0],
    },
  ])('should reject $name', ({ channel, path }) => {
    const result = notificationChannelSchema.safeParse([channel]);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(path);
  });

  it('should reject duplicate channel names', () => {
    const result = notificationChannelSchema.safeParse([
      { name: 'ops', type: 'webhook', url: 'https://a.test' },
      { name: 'ops', type: 'slack', url: 'https://b.test' },
    ]);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({
      path: [1, 'name'],
      message: 'duplicate channel name "ops"',
    });
  });
});
