import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotifyTemplateError } from './errors.js';
import { loadMessageTemplates } from './load-message-templates.js';
import { DEFAULT_MESSAGE_TEMPLATES } from './message-templates.js';

describe('loadMessageTemplates', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cutover-templates-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should give the defaults without a directory or with a missing one', async () => {
    expect(await loadMessageTemplates()).toEqual(DEFAULT_MESSAGE_TEMPLATES);
    expect(await loadMessageTemplates(join(dir, 'missing'))).toEqual(DEFAULT_MESSAGE_TEMPLATES);
  });

  it('should override only the templates that have a file, ignoring other files', async () => {
    await writeFile(join(dir, 'postDeployment.mustache'), '{{release}} done: {{status}}');
    await writeFile(join(dir, 'README.md'), 'notes');
    const templates = await loadMessageTemplates(dir);
    expect(templates.postDeployment).toBe('{{release}} done: {{status}}');
    expect(templates.preDeployment).toBe(DEFAULT_MESSAGE_TEMPLATES.preDeployment);
  });

  it('should throw an error naming the file of a template that does not parse', async () => {
    const file = join(dir, 'rollback.mustache');
    await writeFile(file, 'Reason: {{#reason}} never closed');
    const error = await loadMessageTemplates(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotifyTemplateError);
    expect((error as NotifyTemplateError).code).toBe('CUTOVER_E_NOTIFY_TEMPLATE');
    expect((error as NotifyTemplateError).file).toBe(file);
    expect((error as Error).message).toContain(file);
  });

  it('should reject a .mustache file not named after a known template', async () => {
    await writeFile(join(dir, 'predeployment.mustache'), 'hi');
    await expect(loadMessageTemplates(dir)).rejects.toThrow(/predeployment\.mustache: unknown template/);
  });

  it('should report a path that is not a directory', async () => {
    const file = join(dir, 'file');
    await mkdir(join(dir, 'sub'));
    await writeFile(file, 'x');
    await expect(loadMessageTemplates(file)).rejects.toThrow(NotifyTemplateError);
  });
});
