import { describe, expect, it } from 'vitest';
import { type LocalTemplate, resolveTemplate, templateHash } from './index.js';

const TEMPLATE: LocalTemplate = {
  command: ['node', 'server.js', '$(PORT)'],
  cwd: './v1',
  env: { GREETING: 'hello', MODE: 'fast' },
};

describe('resolveTemplate', () => {
  it('should resolve a relative cwd against the spec file directory', () => {
    expect(resolveTemplate(TEMPLATE, '/srv/web').cwd).toBe('/srv/web/v1');
    expect(resolveTemplate({ ...TEMPLATE, cwd: '../shared' }, '/srv/web').cwd).toBe('/srv/shared');
  });

  it('should keep an absolute cwd and default a missing one to the spec file directory', () => {
    expect(resolveTemplate({ ...TEMPLATE, cwd: '/opt/app' }, '/srv/web').cwd).toBe('/opt/app');
    expect(resolveTemplate({ command: ['x'] }, '/srv/web').cwd).toBe('/srv/web');
  });

  it('should not change the template it is given', () => {
    const template = { ...TEMPLATE };
    resolveTemplate(template, '/srv/web');
    expect(template).toEqual(TEMPLATE);
  });

  it('should refuse a relative baseDir, which would depend on the process cwd', () => {
    expect(() => resolveTemplate(TEMPLATE, 'web')).toThrow(TypeError);
  });
});

describe('templateHash', () => {
  it('should be 10 hex characters, stable for the same template', () => {
    const hash = templateHash(resolveTemplate(TEMPLATE, '/srv/web'));
    expect(hash).toMatch(/^[0-9a-f]{10}$/);
    expect(templateHash(resolveTemplate(TEMPLATE, '/srv/web'))).toBe(hash);
  });

  it('should ignore key order and explicitly undefined fields', () => {
    const reordered: LocalTemplate = {
      env: { MODE: 'fast', GREETING: 'hello' },
      cwd: './v1',
      command: ['node', 'server.js', '$(PORT)'],
      terminationGracePeriodSeconds: undefined,
    };
    expect(templateHash(reordered)).toBe(templateHash(TEMPLATE));
  });

  it('should change when the command, an env value or the resolved cwd changes', () => {
    const hash = templateHash(resolveTemplate(TEMPLATE, '/srv/web'));
    expect(
      templateHash(resolveTemplate({ ...TEMPLATE, command: ['node', 'server.js'] }, '/srv/web')),
    ).not.toBe(hash);
    expect(
      templateHash(resolveTemplate({ ...TEMPLATE, env: { GREETING: 'hi', MODE: 'fast' } }, '/srv/web')),
    ).not.toBe(hash);
    expect(templateHash(resolveTemplate(TEMPLATE, '/srv/other'))).not.toBe(hash);
  });
});
