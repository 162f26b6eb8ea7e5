import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Mustache from 'mustache';
import { NotifyTemplateError } from './errors.js';
import {
  DEFAULT_MESSAGE_TEMPLATES,
  MESSAGE_TEMPLATE_NAMES,
  type MessageTemplateName,
  type MessageTemplates,
} from './message-templates.js';

const SUFFIX = '.mustache';

/**
 * The message templates, with the defaults ({@link DEFAULT_MESSAGE_TEMPLATES}) overridden by the
 * `<name>.mustache` files of `dir` (e.g. `postDeployment.mustache`); other files are ignored. No
 * `dir`, or a `dir` that does not exist, gives the defaults. Every file is parsed, so a broken
 * template is reported when loading rather than when a release needs it. Reads only; idempotent.
 *
 * @throws {NotifyTemplateError} `CUTOVER_E_NOTIFY_TEMPLATE`, naming the file, when a `.mustache`
 * file does not parse, cannot be read, or is not named after a known template (e.g. a typo such as
 * `predeployment.mustache`), or when `dir` exists but cannot be listed.
 * @example const templates = await loadMessageTemplates('.cutover/templates');
 */
export async function loadMessageTemplates(dir?: string): Promise<MessageTemplates> {
  const templates: MessageTemplates = { ...DEFAULT_MESSAGE_TEMPLATES };
  if (dir === undefined) return templates;
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return templates;
    throw new NotifyTemplateError(`cannot list the template directory: ${(error as Error).message}`, {
      file: dir,
      cause: error,
    });
  }
  for (const entry of entries.filter((e) => e.endsWith(SUFFIX)).sort()) {
    const file = join(dir, entry);
    const name = entry.slice(0, -SUFFIX.length);
    if (!isTemplateName(name)) {
      throw new NotifyTemplateError(
        `unknown template "${name}", expected one of ${MESSAGE_TEMPLATE_NAMES.map((n) => n + SUFFIX).join(', ')}`,
        { file },
      );
    }
    let source: string;
    try {
      source = await readFile(file, 'utf8');
    } catch (error) {
      throw new NotifyTemplateError(`cannot read the template: ${(error as Error).message}`, {
        file,
        cause: error,
      });
    }
    try {
      Mustache.parse(source);
    } catch (error) {
      throw new NotifyTemplateError(`invalid Mustache template: ${(error as Error).message}`, {
        file,
        cause: error,
      });
    }
    templates[name] = source;
  }
  return templates;
}

function isTemplateName(name: string): name is MessageTemplateName {
  return (MESSAGE_TEMPLATE_NAMES as readonly string[]).includes(name);
}
