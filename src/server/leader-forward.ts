import type { FastifyInstance } from 'fastify';
import { request } from 'undici';

/** Header a forwarded request carries: the id of the replica that forwarded it. */
const FORWARDED_BY_HEADER = 'x-cutover-forwarded-by';

/** Hop-by-hop headers (RFC 9110 §7.6.1) and those undici sets itself: never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);

/** Longest a forwarded request may wait for the leader's answer, ms (a release's create spawns work). */
const FORWARD_TIMEOUT_MS = 120_000;

/** Options of {@link registerLeaderForward}. */
export interface LeaderForwardOptions {
  /** This replica's id. */
  self: string;
  /** Whether this replica leads now. */
  leading(): boolean;
  /** Base URL of the leader's API, if one is known. */
  leaderAddress(): Promise<string | undefined>;
}

function noLeader(message: string) {
  return { code: 'CUTOVER_E_NO_LEADER', message };
}

/**
 * On a replica that does not lead, forwards the requests of routes answered by the leader
 * (`answeredBy: leader`: every change, and the reads of the leader's memory) to the leader's API,
 * unchanged (its bearer token included: the leader authenticates, authorizes and audits), and
 * streams the answer back. No leader known, or the leader unreachable: `503 CUTOVER_E_NO_LEADER`
 * with `Retry-After: 2`; nothing was done. A request already forwarded once is never forwarded
 * again (two replicas that each believe the other leads answer 503 instead of looping).
 */
export function registerLeaderForward(app: FastifyInstance, options: LeaderForwardOptions): void {
  app.addHook('onRequest', async (req, reply) => {
    if (req.routeOptions.config?.answeredBy !== 'leader' || options.leading()) return;
    reply.header('retry-after', '2');
    if (req.headers[FORWARDED_BY_HEADER] !== undefined)
      return reply.code(503).send(noLeader('the replica this request was forwarded to does not lead either'));
    const leader = await options.leaderAddress().catch(() => undefined);
    if (leader === undefined)
      return reply.code(503).send(noLeader('no control-plane replica leads at the moment; retry shortly'));
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers))
      if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    headers[FORWARDED_BY_HEADER] = options.self;
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    try {
      const answer = await request(`${leader}${req.url}`, {
        method: req.method as 'POST',
        headers,
        ...(hasBody ? { body: req.raw } : {}),
        headersTimeout: FORWARD_TIMEOUT_MS,
        bodyTimeout: FORWARD_TIMEOUT_MS,
      });
      reply.removeHeader('retry-after');
      reply.code(answer.statusCode);
      for (const [name, value] of Object.entries(answer.headers))
        if (value !== undefined && !HOP_BY_HOP.has(name)) reply.header(name, value);
      return reply.send(answer.body);
    } catch (error) {
      return reply
        .code(503)
        .send(
          noLeader(`the leader at ${leader} cannot be reached (${(error as Error).message}); retry shortly`),
        );
    }
  });
}
