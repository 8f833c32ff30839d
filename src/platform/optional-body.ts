import type { FastifyInstance, FastifyRequest, preParsingAsyncHookHandler, preValidationAsyncHookHandler } from 'fastify';
import { z } from 'zod';
import { $ZodType, safeParse } from 'zod/v4/core';

/** The body of an action that takes no input (`…/start`, `…/publish`, `…/test`): none, or `{}`. */
export const ActionBody = z.strictObject({}).describe('Nothing to send: leave the body out, or send `{}`.');

/**
 * Whether a request body may be left out: its schema accepts an empty object, so every field is
 * optional and sending nothing means the same as sending `{}` (`POST …/start`, `…/publish`,
 * `…/rotate-secret`). The OpenAPI document marks exactly these bodies as not required.
 */
export function bodyMayBeOmitted(schema: unknown): boolean {
  return schema instanceof $ZodType && safeParse(schema, {}).success;
}

/**
 * Generated clients send `Content-Type: application/json` with no bytes when an optional body is
 * left out. On a route whose body may be omitted that is the same "nothing": without the header
 * Fastify reads no body, instead of refusing the empty one as malformed JSON.
 */
const noBodyDespiteJsonType: preParsingAsyncHookHandler = async (req: FastifyRequest) => {
  const { headers } = req.raw;
  if (headers['content-length'] === '0' && headers['transfer-encoding'] === undefined && /^application\/json\s*(;|$)/i.test(headers['content-type'] ?? '')) {
    delete headers['content-type'];
  }
};

const emptyWhenAbsent: preValidationAsyncHookHandler = async (req: FastifyRequest) => {
  // `undefined` is a request with no body at all; a JSON `null` arrives as null and stays a 400.
  if (req.body === undefined) req.body = {};
};

const asList = <T>(hooks: T | T[] | undefined): T[] => (hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks]);

/**
 * A POST with no body (no Content-Type, no bytes) reaches validation as null, which an object
 * schema refuses. Routes whose body may be left out get `{}` instead, before validation, so that
 * their handlers and the idempotency fingerprint see one shape for "nothing to say".
 */
export function acceptOmittedBodies(app: FastifyInstance) {
  app.addHook('onRoute', (route) => {
    if (!bodyMayBeOmitted(route.schema?.body)) return;
    route.preParsing = [noBodyDespiteJsonType, ...asList(route.preParsing)];
    route.preValidation = [emptyWhenAbsent, ...asList(route.preValidation)];
  });
}
