import { execFile } from 'node:child_process';

/** Outcome of one external command; a failure is data here, callers wrap it in their own error. */
export interface CommandResult {
  /** True when the command exited with status 0 within its time bound. */
  ok: boolean;
  stdout: string;
  /** stderr, or a sentence saying why the command did not run or was stopped. */
  stderr: string;
}

/** Options of {@link runCommand}. */
export interface RunCommandOptions {
  /** Upper bound, ms; the command is killed with SIGKILL after it. */
  timeoutMs: number;
  /** Variables added to the inherited environment (e.g. `PGPASSWORD`). */
  env?: Record<string, string>;
}

/**
 * Run `file` with `args` without a shell (so no quoting or injection through arguments) and collect
 * its output. Never throws.
 * @example await runCommand('pg_dump', ['--version'], { timeoutMs: 5_000 })
 */
export function runCommand(
  file: string,
  args: readonly string[],
  options: RunCommandOptions,
): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        timeout: options.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, ...options.env },
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        if (!error) return resolve({ ok: true, stdout, stderr });
        const err = error as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null };
        let reason = stderr.trim();
        if (err.code === 'ENOENT') reason = `${file} not found on PATH`;
        else if (err.killed || err.signal === 'SIGKILL') {
          reason = `${file} did not finish within ${options.timeoutMs} ms${reason ? `: ${reason}` : ''}`;
        } else if (!reason) reason = `${file} failed: ${err.message}`;
        resolve({ ok: false, stdout, stderr: reason });
      },
    );
  });
}
