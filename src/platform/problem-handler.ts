import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { HttpProblem, problemType, type Problem } from './errors.js';
import { trackRoutes } from './route-index.js';

function jsonPath(context: string | undefined, segments: string[]): string {
  let out = context ?? 'body';
  for (const s of segments) out += /^\d+$/.test(s) ? `[${s}]` : `.${s}`;
  return out;
}

interface ZodValidationItem {
  instancePath: string;
  message: string;
  keyword: string;
  params: { keys?: string[] };
}

function validationErrors(err: FastifyError): { path: string; message: string }[] {
  const items = (err.validation ?? []) as unknown as ZodValidationItem[];
  const ctx = err.validationContext;
  const out: { path: string; message: string }[] = [];
  for (const item of items) {
    const segs = item.instancePath.split('/').filter(Boolean);
    if (item.keyword === 'unrecognized_keys' && item.params.keys) {
      for (const k of item.params.keys) out.push({ path: jsonPath(ctx, [...segs, k]), message: 'unknown field' });
    } else {
      out.push({ path: jsonPath(ctx, segs), message: item.message });
    }
  }
  return out.slice(0, 100);
}

/** The router's limit on one path parameter (`routerOptions.maxParamLength`); ids are far shorter. */
export const MAX_PARAM_LENGTH = 200;

const pgUnavailable = new Set(['ECONNREFUSED', 'ECONNRESET', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', '57P01', '57P02', '57P03', '53300', 'ETIMEDOUT', 'EPIPE']);

/** Classify anything thrown into a problem answer; 5xx answers never carry internal detail. */
function toProblem(err: FastifyError & { code?: string }): {
  status: number;
  detail: string;
  errors?: { path: string; message: string }[];
  headers?: Record<string, string>;
} {
  if (err instanceof HttpProblem) return { status: err.status, detail: err.message, errors: err.errors, headers: err.headers };
  if (hasZodFastifySchemaValidationErrors(err)) {
    const errors = validationErrors(err);
    return { status: 400, detail: `The request is invalid: ${errors.map((e) => `${e.path}: ${e.message}`).slice(0, 3).join('; ')}`, errors };
  }
  if (isResponseSerializationError(err as never) && (err as { method?: string }).method) return { status: 500, detail: 'An unexpected error occurred.' };
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, detail: 'The request body is not valid JSON.' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, detail: 'The request body is empty but Content-Type is application/json.' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 415, detail: 'Unsupported Content-Type: send application/json (or multipart/form-data where the operation takes a file).' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
      return { status: 413, detail: 'The request body is larger than this endpoint accepts.' };
    case 'FST_ERR_VALIDATION':
      return { status: 400, detail: err.message };
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return { status: 415, detail: 'Expected multipart/form-data.' };
    // Raised by the router before any route is chosen (see `answerFrameworkError`).
    case 'FST_ERR_BAD_URL':
      return { status: 400, detail: 'The URL is not valid: a percent-encoded sequence in its path is malformed.' };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return { status: 414, detail: `A path segment is longer than the ${MAX_PARAM_LENGTH} characters any identifier here can have.` };
  }
  // drizzle wraps driver errors (DrizzleQueryError) and keeps the PostgreSQL error as `cause`.
  const dbCode = (err.cause as { code?: string } | undefined)?.code ?? err.code;
  switch (dbCode) {
    // Database refusals that reach here are races the modules' own checks could not see.
    case '23503':
      return { status: 409, detail: 'Other records still reference this one (or it references one that is gone); archive or cancel instead.' };
    case '23505':
      return { status: 409, detail: 'A record with the same unique value already exists.' };
    case '40001':
    case '40P01':
      return { status: 409, detail: 'The change collided with a concurrent change; retry it.' };
    case '22001':
    case '22003':
    case '22007':
    case '22008':
    case '22P02':
    case '22021':
      return { status: 400, detail: 'A value is out of range or not representable.' };
  }
  if (dbCode && pgUnavailable.has(dbCode)) {
    return { status: 503, detail: 'The database is unavailable; retry shortly.', headers: { 'retry-after': '5' } };
  }
  if (err instanceof SyntaxError && err.statusCode === 400) return { status: 400, detail: 'The request body is not valid JSON.' };
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return { status: err.statusCode, detail: err.message };
  return { status: 500, detail: 'An unexpected error occurred.' };
}

export function sendProblem(
  req: FastifyRequest,
  reply: FastifyReply,
  p: { status: number; detail: string; errors?: { path: string; message: string }[]; headers?: Record<string, string> },
) {
  const body: Problem = {
    ...problemType(p.status),
    status: p.status,
    detail: p.detail,
    // The path as the client sent it, cut to the schema's bound (a URL may be 16 KiB).
    instance: req.url.split('?')[0]!.slice(0, 2000),
    requestId: req.id,
    ...(p.errors?.length ? { errors: p.errors } : {}),
  };
  if (p.headers) reply.headers(p.headers);
  // Serialised by hand: the route's response schema describes its success shapes, not this one.
  return reply
    .code(p.status)
    .type('application/problem+json')
    .serializer((x: unknown) => JSON.stringify(x))
    .send(body);
}

/**
 * Fastify's `frameworkErrors` option: errors the router raises before a route is chosen (a
 * malformed percent-encoding, a path parameter over `maxParamLength`). Fastify would answer these
 * with its own JSON; they get the same problem answer as everything else. The request has no
 * route context, so none of the app's `onSend` hooks run: the headers they add are set here.
 */
export function answerFrameworkError(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  const p = toProblem(err);
  req.log.info({ status: p.status, code: err.code }, 'request refused');
  reply.header('cache-control', 'no-store').header('x-request-id', req.id);
  return sendProblem(req, reply, p);
}

export function registerProblemHandlers(app: FastifyInstance) {
  const methodsFor = trackRoutes(app);
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const p = toProblem(err);
    if (p.status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ status: p.status, code: err.code }, 'request refused');
    return sendProblem(req, reply, p);
  });

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!;
    const allowed = methodsFor(path);
    // A route that takes this method and still found nothing (a file missing under a static
    // wildcard such as /docs/static/*) is 404: 405 is for a method the path does not take.
    if (allowed.length > 0 && !allowed.includes(req.method)) {
      return sendProblem(req, reply, {
        status: 405,
        detail: `${req.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}.`,
        headers: { allow: allowed.join(', ') },
      });
    }
    return sendProblem(req, reply, { status: 404, detail: `No route ${req.method} ${path}.` });
  });
}
