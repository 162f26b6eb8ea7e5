import { request } from 'undici';
import { VERSION } from '../version.js';
import type { Notification } from './notification.js';
import type { NotificationChannel } from './notification-channel.js';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, parseRetryAfterMs, type RetryPolicy } from './retry-policy.js';
import { slackPayload } from './slack-payload.js';
import { webhookPayload } from './webhook-payload.js';

/** Per-try timeout of a delivery (connect, headers and body), ms. */
export const DEFAULT_DELIVERY_TIMEOUT_MS = 5000;

/** Longest part of a failed response's body kept in {@link DeliveryResult.error}, characters. */
const ERROR_BODY_MAX = 200;

/** The subset of a pino logger the notifier uses; pino's `logger` fits as is. */
export interface NotifierLogger {
  warn(obj: object, msg: string): void;
}

/** Options of {@link Notifier}. */
export interface NotifierOptions {
  /** Where notifications go (a Release's `notifications`, validated by the spec's schema). */
  channels: readonly NotificationChannel[];
  /** Retry policy; unset fields take {@link DEFAULT_RETRY_POLICY}'s values. */
  retry?: Partial<RetryPolicy>;
  /** Waits between tries, ms; injected so tests record delays instead of waiting. @default setTimeout-based */
  sleep?: (ms: number) => Promise<void>;
  /** Receives one warning per failed try (channel name, never its URL, which may hold a secret). */
  logger?: NotifierLogger;
  /** Per-try timeout, ms. @default 5000 */
  timeoutMs?: number;
}

/**
 * What happened to a notification on one channel. `status` is the HTTP status of the last try,
 * or `null` when it got no response (connection refused, timeout). `error` says why the last try
 * failed; absent when delivered.
 */
export interface DeliveryResult {
  /** Channel name. */
  channel: string;
  /** Whether a try got a 2xx response. */
  delivered: boolean;
  /** Tries made, 1..`retry.attempts`. */
  attempts: number;
  status: number | null;
  error?: string;
}

/** The outcome of one try: retryable or not, with what to report. */
interface AttemptOutcome {
  delivered: boolean;
  retryable: boolean;
  status: number | null;
  error?: string;
  retryAfterMs?: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends notifications to webhook and Slack channels: one POST per matching channel (a channel
 * matches when it has no `kinds` or lists the notification's kind), with the body of
 * {@link webhookPayload} or {@link slackPayload}, `content-type: application/json` and the
 * channel's `headers`.
 *
 * Retry policy: a try that gets no response (network error, 5 s timeout) or a 429 or 5xx status is
 * retried with exponential backoff ({@link RetryPolicy}); a `Retry-After` in seconds replaces the
 * backoff, capped by `maxDelayMs` (RFC 9110 section 10.2.3). Any other status (3xx, 4xx) is final:
 * the request would fail the same way again. Redirects are not followed.
 *
 * @example
 * const notifier = new Notifier({ channels: release.spec.notifications ?? [] });
 * const results = await notifier.send({ kind: 'releaseSucceeded', release: 'shop-1.4.0', severity: 'info',
 *   title: 'shop-1.4.0 is live', text: rendered, at: Date.now() });
 */
export class Notifier {
  readonly #channels: readonly NotificationChannel[];
  readonly #retry: RetryPolicy;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #logger: NotifierLogger | undefined;
  readonly #timeoutMs: number;

  constructor(options: NotifierOptions) {
    this.#channels = options.channels;
    const retry = { ...DEFAULT_RETRY_POLICY, ...definedOnly(options.retry ?? {}) };
    this.#retry = { ...retry, attempts: Math.max(1, Math.floor(retry.attempts)) };
    this.#sleep = options.sleep ?? defaultSleep;
    this.#logger = options.logger;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS;
  }

  /**
   * Delivers `n` to every matching channel, the channels in parallel, each with retries. Resolves
   * once every channel is delivered or has given up, with one result per matching channel in
   * channel order (`[]` when none matches). Never rejects for delivery failures.
   */
  async send(n: Notification): Promise<DeliveryResult[]> {
    const matching = this.#channels.filter((c) => c.kinds === undefined || c.kinds.includes(n.kind));
    return Promise.all(matching.map((c) => this.#deliver(c, n)));
  }

  async #deliver(channel: NotificationChannel, n: Notification): Promise<DeliveryResult> {
    let body: string;
    try {
      body = JSON.stringify(channel.type === 'slack' ? slackPayload(n) : webhookPayload(n));
    } catch (error) {
      return { channel: channel.name, delivered: false, attempts: 0, status: null, error: message(error) };
    }
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#attempt(channel, body);
      if (outcome.delivered)
        return { channel: channel.name, delivered: true, attempts: attempt, status: outcome.status };
      const willRetry = outcome.retryable && attempt < this.#retry.attempts;
      this.#logger?.warn(
        {
          channel: channel.name,
          kind: n.kind,
          release: n.release,
          attempt,
          status: outcome.status,
          willRetry,
        },
        `notification delivery failed: ${outcome.error}`,
      );
      if (!willRetry) {
        return {
          channel: channel.name,
          delivered: false,
          attempts: attempt,
          status: outcome.status,
          ...(outcome.error === undefined ? {} : { error: outcome.error }),
        };
      }
      await this.#sleep(backoffDelayMs(this.#retry, attempt, outcome.retryAfterMs));
    }
  }

  async #attempt(channel: NotificationChannel, body: string): Promise<AttemptOutcome> {
    try {
      const res = await request(channel.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': `cutover/${VERSION}`,
          ...channel.headers,
        },
        body,
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      const status = res.statusCode;
      if (status >= 200 && status < 300) {
        await res.body.dump();
        return { delivered: true, retryable: false, status };
      }
      const text = (await res.body.text()).trim().slice(0, ERROR_BODY_MAX);
      const retryAfterMs = parseRetryAfterMs(res.headers['retry-after']);
      return {
        delivered: false,
        retryable: status === 429 || status >= 500,
        status,
        error: `HTTP ${status}${text === '' ? '' : `: ${text}`}`,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      };
    } catch (error) {
      return { delivered: false, retryable: true, status: null, error: message(error) };
    }
  }
}

function message(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  // undici wraps socket errors: the cause (ECONNREFUSED, ...) is what a person needs.
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${typeof code === 'string' ? `${code} ` : ''}${error.message}${cause}`;
}

/** Drops keys whose value is undefined, so they do not override defaults when spread. */
function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
