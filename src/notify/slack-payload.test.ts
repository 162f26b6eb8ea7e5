import { describe, expect, it } from 'vitest';
import type { Notification } from './notification.js';
import { slackPayload } from './slack-payload.js';

const n: Notification = {
  kind: 'releaseSucceeded',
  release: 'shop-1.4.0',
  environment: 'production',
  severity: 'info',
  title: 'shop-1.4.0 is live',
  text: 'p99 < 400 ms & error rate 0.1%',
  at: 0,
  fields: { version: '1.4.0' },
};

describe('slackPayload', () => {
  it('should build a section with mrkdwn text and a context with the facts', () => {
    expect(slackPayload(n)).toEqual({
      text: '[info] shop-1.4.0 is live',
      blocks: [
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: ':information_source: *shop-1.4.0 is live*\np99 &lt; 400 ms &amp; error rate 0.1%',
          },
        },
        {
          type: 'context',
          elements: [
            { type: 'mrkdwn', text: '*release:* shop-1.4.0' },
            { type: 'mrkdwn', text: '*environment:* production' },
            { type: 'mrkdwn', text: '*kind:* releaseSucceeded' },
            { type: 'mrkdwn', text: '*version:* 1.4.0' },
          ],
        },
      ],
    });
  });

  it('should keep within Block Kit limits: 3000 characters of section text, 10 context elements', () => {
    const fields = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${i}`, `v${i}`]));
    const payload = slackPayload({ ...n, text: 'x'.repeat(5000), fields });
    const [section, context] = payload.blocks;
    expect(section?.type === 'section' && section.text.text.length).toBe(3000);
    const elements = context?.type === 'context' ? context.elements : [];
    expect(elements).toHaveLength(10);
    expect(elements[9]?.text).toBe('*f6:* v6  *f7:* v7  *f8:* v8  *f9:* v9  *f10:* v10  *f11:* v11');
  });

  it('should leave out the environment when there is none', () => {
    const { environment: _, ...rest } = n;
    const context = slackPayload(rest).blocks[1];
    expect(JSON.stringify(context)).not.toContain('environment');
  });
});
