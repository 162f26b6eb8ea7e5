import { accessSync, constants, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { LocalTemplate } from '../spec/types.js';

/** A problem with the machine rather than the YAML: located by field path in its document. */
export interface EnvironmentIssue {
  path: (string | number)[];
  message: string;
}

/** Host the built-in router binds its listeners on. */
const ROUTER_HOST = '127.0.0.1';

/**
 * Checks that a resolved template can run here: its `cwd` is a directory and `command[0]` is an
 * executable file (a path relative to `cwd`, or a name found on `$PATH`). `$(VAR)` in command[0] is
 * not checked (it is expanded per replica).
 */
export function checkTemplate(
  template: LocalTemplate,
  env: NodeJS.ProcessEnv = process.env,
): EnvironmentIssue[] {
  const issues: EnvironmentIssue[] = [];
  const cwd = template.cwd ?? process.cwd();
  let cwdOk = false;
  try {
    cwdOk = statSync(cwd).isDirectory();
  } catch {}
  if (!cwdOk)
    issues.push({ path: ['spec', 'template', 'cwd'], message: `expected an existing directory, got ${cwd}` });
  const executable = template.command[0] ?? '';
  if (executable.includes('$(')) return issues;
  const candidates = executable.includes('/')
    ? [isAbsolute(executable) ? executable : resolve(cwd, executable)]
    : (template.env?.PATH ?? env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, executable));
  const found = candidates.some((file) => {
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  });
  if (!found) {
    issues.push({
      path: ['spec', 'template', 'command', 0],
      message: executable.includes('/')
        ? `expected an executable file, but ${candidates[0]} does not exist or is not executable`
        : `expected an executable on $PATH, but "${executable}" was not found`,
    });
  }
  return issues;
}

/** Whether a TCP port can be bound on the router's host right now. */
export function portFree(port: number, host = ROUTER_HOST): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const server = createServer();
    server.once('error', () => resolvePromise(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolvePromise(true)));
  });
}
