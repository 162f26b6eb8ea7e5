import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { UnsandboxedForbiddenError } from '../auth/unsandboxed-options.js';
import { RolloutNotFoundError } from '../controller/index.js';
import { EngineError } from '../engine/index.js';
import { ReleaseNotFoundError } from '../release/index.js';
import { SpecError, SpecValidationError } from '../spec/index.js';
import { StoreError } from '../store/index.js';
import {
  ApprovalNotAllowedError,
  FreezeOverrideError,
  ReleaseError,
  ReleaseTransitionError,
  WindowError,
} from '../workflow/index.js';
import { ApiError } from './errors.js';

/** Errors as JSON `{code, message, path?, issues?}` with a stable code and the matching HTTP status. */
export function errorHandler(logger: Logger) {
  return (error: FastifyError | Error, _req: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof ApiError) {
      return reply
        .status(error.statusCode)
        .send({ code: error.code, message: error.message, path: error.path, issues: error.issues });
    }
    if (error instanceof SpecValidationError) {
      return reply.status(400).send({ code: error.code, message: error.message, issues: error.issues });
    }
    if (error instanceof SpecError)
      return reply.status(400).send({ code: error.code, message: error.message });
    if (error instanceof ReleaseNotFoundError)
      return reply.status(404).send({ code: error.code, message: error.message, path: error.path });
    if (error instanceof UnsandboxedForbiddenError)
      return reply.status(403).send({ code: error.code, message: error.message, path: error.path });
    if (error instanceof RolloutNotFoundError)
      return reply.status(404).send({ code: error.code, message: error.message });
    if (error instanceof ApprovalNotAllowedError)
      return reply.status(403).send({ code: error.code, message: error.message });
    if (error instanceof ReleaseTransitionError)
      return reply.status(409).send({ code: error.code, message: error.message });
    if (error instanceof ReleaseError)
      return reply.status(400).send({ code: error.code, message: error.message });
    if (error instanceof FreezeOverrideError) {
      const status = error.code === 'CUTOVER_E_WINDOW_OVERRIDE_FORBIDDEN' ? 403 : 400;
      return reply.status(status).send({ code: error.code, message: error.message });
    }
    if (error instanceof WindowError)
      return reply.status(400).send({ code: error.code, message: error.message });
    if (error instanceof StoreError && error.code === 'CUTOVER_E_STORE_CONFLICT')
      return reply.status(409).send({ code: error.code, message: error.message });
    if (error instanceof StoreError && error.code === 'CUTOVER_E_STORE_FULL') {
      // 507 Insufficient Storage (RFC 4918 section 11.5): the request was valid, the server cannot store it.
      logger.warn({ err: error }, 'request refused: the disk of the data directory is full');
      return reply.status(507).send({ code: error.code, message: error.message });
    }
    if (
      error instanceof StoreError &&
      (error.code === 'CUTOVER_E_FENCED' || error.code === 'CUTOVER_E_STORE_UNAVAILABLE')
    ) {
      // 503: this replica cannot write now (it lost the controller lease, or the database is
      // unreachable); another replica, or this one later, can.
      logger.warn({ err: error }, 'request refused: the store cannot be written from this replica now');
      return reply.status(503).header('retry-after', '2').send({ code: error.code, message: error.message });
    }
    if (error instanceof EngineError)
      return reply.status(409).send({ code: error.code, message: error.message });
    const fastifyError = error as FastifyError;
    if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode < 500) {
      return reply.status(fastifyError.statusCode).send({
        code:
          fastifyError.statusCode === 413
            ? 'CUTOVER_E_BODY_TOO_LARGE'
            : `CUTOVER_E_HTTP_${fastifyError.code ?? fastifyError.statusCode}`,
        message: error.message,
      });
    }
    logger.error({ err: error }, 'request failed');
    return reply.status(500).send({ code: 'CUTOVER_E_INTERNAL', message: error.message });
  };
}
