import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem } from './errors.js';
import { sendProblem } from './problem-handler.js';
import { routeConfigOf } from './route-config.js';

declare module 'fastify' {
  interface FastifyRequest {
    deadline?: NodeJS.Timeout;
  }
  interface FastifyContextConfig {
    /** A longer deadline for routes that stream large bodies (file uploads). */
    deadlineMs?: number;
    /**
     * The handler reads the body as a stream while it holds a database connection (an upload):
     * `deadlineSignal(req)` tells it when to let go, and a drain cuts it short.
     */
    streamsBody?: boolean;
  }
}

/** While the server drains, a request still streaming its body gets at most this much longer. */
const DRAIN_GRACE_MS = 2000;
/** How long a late answer may take to reach a client that does not read, before its connection is cut. */
const CLOSE_GRACE_MS = 1000;
const LATE = 'The request could not be completed in time; retry shortly.';

const signals = new WeakMap<FastifyRequest, AbortSignal>();

/**
 * Aborted once the request has passed its deadline (and been answered 503): whatever the handler
 * still holds for it (a multipart stream, a COPY, a transaction) must be let go at once. Only for
 * routes that declare `streamsBody`.
 */
export function deadlineSignal(req: FastifyRequest): AbortSignal {
  const signal = signals.get(req);
  if (!signal) throw new Error(`the route ${req.routeOptions.url} does not declare streamsBody`);
  return signal;
}

function answerLate(req: FastifyRequest, reply: FastifyReply, ms: number) {
  if (reply.sent || reply.raw.headersSent) return;
  req.log.warn({ ms }, 'request deadline exceeded');
  // A body still arriving is of no use any more, so the answer closes the connection (Node ends
  // it once the answer is out); a client that does not even read the answer is cut off shortly after.
  const unread = req.raw.complete === false;
  void sendProblem(req, reply, { status: 503, detail: LATE, headers: { 'retry-after': '2', ...(unread ? { connection: 'close' } : {}) } });
  // (An injected request's stand-in socket has no destroy.)
  if (unread) setTimeout(() => req.raw.socket?.destroy?.(), CLOSE_GRACE_MS).unref();
}

/**
 * Every request is answered within `ms`. PostgreSQL's statement_timeout bounds a query that runs,
 * but not a request waiting for a free pooled connection or a database that stopped answering at
 * the network level; without this such requests would queue for ever. Past the deadline the client
 * gets 503 with Retry-After; the transaction, if it still completes, stays atomic, and a retry
 * with the same Idempotency-Key replays its answer. A request that streams its body is also
 * aborted, since only the client decides when such a body ends: it rolls back and gives its
 * connection back instead of waiting for bytes that may never come.
 */
export function registerDeadline(app: FastifyInstance, ms: number) {
  // Streaming requests in flight, each with a way to bring its deadline forward (for a drain).
  const streaming = new Map<FastifyRequest, (withinMs: number) => void>();
  let draining = false;

  app.addHook('onRequest', (req, reply, done) => {
    const config = routeConfigOf(req);
    const limit = config.deadlineMs ?? ms;
    if (!config.streamsBody) {
      req.deadline = setTimeout(() => answerLate(req, reply, limit), limit);
      return done();
    }
    const controller = new AbortController();
    signals.set(req, controller.signal);
    const endsAt = Date.now() + limit;
    const expire = () => {
      streaming.delete(req);
      answerLate(req, reply, limit);
      controller.abort(new HttpProblem(503, LATE, undefined, { 'retry-after': '2' }));
    };
    const within = (after: number) => {
      if (endsAt - Date.now() <= after) return;
      clearTimeout(req.deadline);
      req.deadline = setTimeout(expire, after);
    };
    req.deadline = setTimeout(expire, limit);
    streaming.set(req, within);
    if (draining) within(DRAIN_GRACE_MS);
    done();
  });
  app.addHook('onResponse', (req, _reply, done) => {
    clearTimeout(req.deadline);
    streaming.delete(req);
    done();
  });
  // A drain waits for requests in flight, but an upload ends only when its client says so: each
  // gets a short grace to finish, then answers 503 (the client retries elsewhere) and lets go.
  app.addHook('preClose', async () => {
    draining = true;
    for (const within of streaming.values()) within(DRAIN_GRACE_MS);
  });
}
