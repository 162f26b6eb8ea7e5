import { writeSync } from 'node:fs';
import type { DestinationStream } from 'pino';

/**
 * A pino destination that writes each line synchronously to a file descriptor and never throws nor
 * emits an error: a line the file system refuses (ENOSPC on a full disk, EIO, EPIPE...) is dropped
 * and counted; once lines can be written again (the next line, or a retry every `retryMs`), a line
 * says how many were dropped and why. pino's default destination emits such an error, and an unhandled `error` event
 * ends the process: a full disk must not stop the control plane.
 */
export class SafeLogDestination implements DestinationStream {
  #dropped = 0;
  #reason = '';
  /** The last failed write wrote part of its line: the next write starts on a new line. */
  #partial = false;

  #retry: NodeJS.Timeout | undefined;

  /**
   * @param fd - file descriptor to append to, e.g. 1 (stdout: `logs/server.log` in the background).
   * @param retryMs - how often to try writing the "lines dropped" note while lines are dropped, ms.
   */
  constructor(
    private readonly fd: number,
    private readonly retryMs = 1000,
  ) {}

  /** Lines dropped since the last line written. */
  get dropped(): number {
    return this.#dropped;
  }

  write(line: string): void {
    this.#write(line);
  }

  #write(line: string): void {
    const note =
      this.#dropped === 0
        ? ''
        : `${JSON.stringify({ level: 40, time: Date.now(), msg: `${this.#dropped} log lines dropped: ${this.#reason}` })}\n`;
    const bytes = Buffer.from(`${this.#partial ? '\n' : ''}${note}${line}`);
    let offset = 0;
    try {
      while (offset < bytes.length) offset += writeSync(this.fd, bytes, offset);
      this.#dropped = 0;
      this.#partial = false;
      clearInterval(this.#retry);
      this.#retry = undefined;
    } catch (error) {
      if (line !== '') this.#dropped += 1;
      this.#reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      this.#partial ||= offset > 0;
      // unref: a retry never keeps the process alive.
      this.#retry ??= setInterval(() => this.#write(''), this.retryMs).unref();
    }
  }
}
