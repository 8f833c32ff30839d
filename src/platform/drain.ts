import type { FastifyInstance } from 'fastify';
import { sendProblem } from './problem-handler.js';

/**
 * SIGTERM drains (SPEC §5): requests in flight finish, and every answer from then on closes its
 * connection (a keep-alive connection would otherwise hold the server open until its time-out).
 * A request that arrives while draining is refused with 503 problem+json and `Retry-After`, like
 * every other refusal; Fastify's own `return503OnClosing` answer is plain JSON, so it is off and
 * this hook, registered before authentication, answers instead.
 */
export function registerDrain(app: FastifyInstance) {
  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
  });
  // Callback hooks: while not draining they cost a function call, not a promise, per request.
  app.addHook('onRequest', (req, reply, done) => {
    if (!draining) return done();
    sendProblem(req, reply, {
      status: 503,
      detail: 'This server is shutting down; retry the request (another server will answer).',
      headers: { 'retry-after': '1' },
    });
  });
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (draining) reply.header('connection', 'close');
    done(null, payload);
  });
}
