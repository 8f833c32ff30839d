import type { FastifyInstance } from 'fastify';
import { sendProblem } from './problem-handler.js';

declare module 'fastify' {
  interface FastifyRequest {
    deadline?: NodeJS.Timeout;
  }
  interface FastifyContextConfig {
    /** A longer deadline for routes that stream large bodies (file uploads). */
    deadlineMs?: number;
  }
}

/**
 * Every request is answered within `ms`. PostgreSQL's statement_timeout bounds a query that runs,
 * but not a request waiting for a free pooled connection or a database that stopped answering at
 * the network level; without this such requests would queue for ever. Past the deadline the client
 * gets 503 with Retry-After; the transaction, if it still completes, stays atomic, and a retry
 * with the same Idempotency-Key replays its answer.
 */
export function registerDeadline(app: FastifyInstance, ms: number) {
  app.addHook('onRequest', async (req, reply) => {
    const limit = req.routeOptions.config.deadlineMs ?? ms;
    req.deadline = setTimeout(() => {
      if (reply.sent) return;
      req.log.warn({ ms: limit }, 'request deadline exceeded');
      void sendProblem(req, reply, {
        status: 503,
        detail: 'The request could not be completed in time; retry shortly.',
        headers: { 'retry-after': '2' },
      });
    }, limit);
  });
  app.addHook('onResponse', async (req) => clearTimeout(req.deadline));
}
