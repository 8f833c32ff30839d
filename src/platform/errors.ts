import { z } from 'zod';

// RFC 9457 problem details. Every error answer of the API is one of these.
export const FieldError = z
  .object({
    path: z.string().max(500).describe('JSON path of the offending field, e.g. `body.agendaItems[2].title`'),
    message: z.string().max(1000),
  })
  .meta({ id: 'FieldError' });

export const Problem = z
  .object({
    type: z.string().max(200).describe('URI reference identifying the problem type'),
    title: z.string().max(200),
    status: z.number().int(),
    detail: z.string().max(2000).optional(),
    instance: z.string().max(2000).optional(),
    requestId: z.string().max(100).optional(),
    errors: z.array(FieldError).max(100).optional(),
  })
  .meta({ id: 'Problem', description: 'An RFC 9457 problem detail (application/problem+json).' });
export type Problem = z.infer<typeof Problem>;

const titles: Record<number, [slug: string, title: string]> = {
  400: ['invalid-request', 'Invalid request'],
  401: ['unauthenticated', 'Authentication required'],
  403: ['forbidden', 'Insufficient scope'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  406: ['not-acceptable', 'Not acceptable'],
  408: ['request-timeout', 'Request timeout'],
  409: ['conflict', 'Conflict'],
  412: ['precondition-failed', 'Precondition failed'],
  413: ['payload-too-large', 'Payload too large'],
  414: ['uri-too-long', 'URI too long'],
  415: ['unsupported-media-type', 'Unsupported media type'],
  422: ['unprocessable', 'Unprocessable request'],
  428: ['precondition-required', 'Precondition required'],
  429: ['rate-limited', 'Too many requests'],
  431: ['headers-too-large', 'Request header fields too large'],
  500: ['internal', 'Internal server error'],
  501: ['not-implemented', 'Not implemented'],
  503: ['unavailable', 'Service unavailable'],
};

export function problemType(status: number): { type: string; title: string } {
  const [slug, title] = titles[status] ?? titles[status >= 500 ? 500 : 400]!;
  return { type: `/problems/${slug}`, title };
}

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    detail: string,
    readonly errors?: { path: string; message: string }[],
    readonly headers?: Record<string, string>,
  ) {
    super(detail);
  }
}

export class BadRequest extends HttpProblem {
  constructor(detail: string, errors?: { path: string; message: string }[]) {
    super(400, detail, errors);
  }
}
/** An id in a request body that names nothing in the caller's organisation. */
export class UnknownReference extends BadRequest {
  constructor(path: string, what: string) {
    super(`${path} does not name a ${what} of this organisation`, [{ path, message: `unknown ${what}` }]);
  }
}
export class Unauthorized extends HttpProblem {
  constructor() {
    super(401, 'A valid API key is required: send `Authorization: Bearer <key>`.', undefined, {
      'www-authenticate': 'Bearer realm="liaison"',
    });
  }
}
export class Forbidden extends HttpProblem {
  constructor(scope: string) {
    super(403, `This API key lacks the \`${scope}\` scope required here.`);
  }
}
export class NotFound extends HttpProblem {
  constructor(what: string) {
    super(404, `${what} not found`);
  }
}
export class Conflict extends HttpProblem {
  constructor(detail: string) {
    super(409, detail);
  }
}
export class PreconditionFailed extends HttpProblem {
  constructor(detail = 'If-Match does not match the current version of the resource') {
    super(412, detail);
  }
}
export class Unprocessable extends HttpProblem {
  constructor(detail: string) {
    super(422, detail);
  }
}
export class ServiceUnavailable extends HttpProblem {
  constructor(detail: string, retryAfterSeconds = 5) {
    super(503, detail, undefined, { 'retry-after': String(retryAfterSeconds) });
  }
}
