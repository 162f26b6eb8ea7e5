import { describe, expect, it } from 'vitest';
import { NotifyTemplateError } from './errors.js';
import { DEFAULT_MESSAGE_TEMPLATES } from './message-templates.js';
import { renderMessage } from './render-message.js';

describe('renderMessage', () => {
  it('should not HTML-escape values', () => {
    expect(renderMessage('Reason: {{reason}}', { reason: 'error rate > 0.05 & "p99" <x>' })).toBe(
      'Reason: error rate > 0.05 & "p99" <x>',
    );
  });

  it('should throw NotifyTemplateError for a template that does not parse', () => {
    expect(() => renderMessage('{{#changes}} unclosed', {})).toThrow(NotifyTemplateError);
  });

  it('should render the default preDeployment message with team, services, summary and changes', () => {
    const text = renderMessage(DEFAULT_MESSAGE_TEMPLATES.preDeployment, {
      release: 'shop-1.4.0',
      version: '1.4.0',
      environment: 'production',
      team: 'payments',
      services: 'shop, cart',
      summary: 'Adds gift cards.',
      changes: [{ id: 'abc123', description: 'gift card checkout' }, { description: 'copy fixes' }],
    });
    expect(text).toBe(
      [
        '*Deploying shop-1.4.0* (version 1.4.0) to *production*',
        'Team: payments',
        'Services: shop, cart',
        '',
        'Adds gift cards.',
        '- `abc123` gift card checkout',
        '- copy fixes',
        '',
      ].join('\n'),
    );
  });

  it('should render the default postDeployment message without empty sections', () => {
    const text = renderMessage(DEFAULT_MESSAGE_TEMPLATES.postDeployment, {
      release: 'shop-1.4.0',
      version: '1.4.0',
      environment: 'production',
      status: 'ROLLBACK',
      issues: ['error rate 0.21 > 0.05 for 120 s'],
    });
    expect(text).toBe(
      '*shop-1.4.0* (version 1.4.0) in *production*: *ROLLBACK*\n- error rate 0.21 > 0.05 for 120 s\n',
    );
  });

  it('should render the default rollback and escalation messages with the reason', () => {
    const view = {
      release: 'shop-1.4.0',
      version: '1.4.0',
      environment: 'production',
      status: 'FAILED',
      reason: 'error rate 0.21 > 0.05',
      rolledBackTo: 'shop revision 1',
    };
    expect(renderMessage(DEFAULT_MESSAGE_TEMPLATES.rollback, view)).toContain(
      'Rolled back to: shop revision 1\n',
    );
    expect(renderMessage(DEFAULT_MESSAGE_TEMPLATES.escalation, view)).toContain(
      'Reason: error rate 0.21 > 0.05\n',
    );
  });
});
