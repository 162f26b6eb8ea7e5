import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Permission, Qualifier } from '../auth/index.js';
import { parseBody } from './parse-body.js';

/** The body of a route that takes none: absent, `null` or `{}`; any field is refused. */
const NO_BODY = z.strictObject({});

/** A JSON Schema (2020-12, as OpenAPI 3.1 uses it). */
export type JsonSchema = Record<string, unknown>;

/** One route of the API as the OpenAPI document describes it. */
export interface RouteDoc {
  method: 'GET' | 'POST' | 'DELETE';
  /** Fastify path, `:param` for parameters. */
  url: string;
  permission: Permission | 'public';
  /**
   * Approvers with one of these qualifiers may call it too, without the permission (a devops
   * approver rolls a release back). @default none
   */
  approverQualifiers?: readonly Qualifier[];
  summary: string;
  tag: string;
  /**
   * zod schema of the JSON body (validated by the handler with it). A POST or DELETE without one
   * takes no body: any field in it is a 400 before the handler runs.
   */
  body?: z.ZodType;
  /** Whether a body must be sent. @default false */
  bodyRequired?: boolean;
  /** zod object schema of the query string. */
  query?: z.ZodType;
  /** JSON Schema of the 200 answer, or a `$ref` name of `components.schemas`. */
  response?: JsonSchema | string;
  /** Content type of the 200 answer. @default application/json */
  produces?: string;
  /** Server-sent events: accepts `?access_token=`. */
  sse?: boolean;
  /** The body may hold a secret: the audit log records only its sha256. @default false */
  secretBody?: boolean;
  /**
   * Which control-plane replica answers (several replicas on one PostgreSQL): `leader` (another
   * replica forwards the request to it) or `replica` (any, from the store).
   * @default leader for POST and DELETE, replica for GET
   */
  answeredBy?: 'leader' | 'replica';
}

/**
 * Registers routes with Fastify and remembers their documentation, so the OpenAPI document lists
 * exactly the routes served (a test compares it with Fastify's own route list).
 */
export class RouteRegistry {
  readonly routes: RouteDoc[] = [];

  add<P = Record<string, string>>(
    app: FastifyInstance,
    doc: RouteDoc,
    handler: (req: FastifyRequest<{ Params: P }>, reply: FastifyReply) => Promise<unknown>,
  ): void {
    this.routes.push(doc);
    const takesNoBody = doc.method !== 'GET' && doc.body === undefined;
    app.route<{ Params: P }>({
      method: doc.method,
      url: doc.url,
      config: {
        permission: doc.permission,
        ...(doc.approverQualifiers ? { approverQualifiers: doc.approverQualifiers } : {}),
        ...(doc.sse ? { sse: true } : {}),
        ...(doc.secretBody ? { secretBody: true } : {}),
        answeredBy: doc.answeredBy ?? (doc.method === 'GET' ? 'replica' : 'leader'),
      },
      handler: takesNoBody
        ? async (req, reply) => {
            parseBody(NO_BODY, req.body ?? {});
            return handler(req, reply);
          }
        : handler,
    });
  }
}
