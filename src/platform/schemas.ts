import { z } from 'zod';
import { Problem } from './errors.js';

// Shapes shared by every module's schemas.
export const Id = z.uuid();

/** A UUID in text, for ids read outside a schema (headers, cursors, query words). */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const Timestamp = z.iso.datetime({ offset: true }).describe('RFC 3339 timestamp');
export const DateOnly = z.iso.date().describe('Calendar date, YYYY-MM-DD');
export const Version = z.number().int().min(1).describe('Incremented on every change; also the ETag.');
export const text = (max: number) => z.string().trim().min(1).max(max);
export const optionalText = (max: number) => z.string().max(max).nullable().optional();

export const resourceMeta = {
  id: Id,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  version: Version,
};

/** Whether `tz` names a time zone this runtime knows (an IANA name such as Europe/Berlin). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const timeZone = z.string().max(64).refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin');

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: Problem } },
});

/** The error answers every API route can give, spread into each route's `response`. */
export const errorResponses = {
  400: problem('Invalid request: malformed JSON, unknown fields or invalid values (see `errors`).'),
  401: problem('Missing, unknown or revoked API key.'),
  403: problem('The API key lacks the scope this operation needs.'),
  404: problem('No such resource in your organisation.'),
  409: problem('The change conflicts with the current state.'),
  412: problem('If-Match does not match the current version.'),
  413: problem('The request body is too large.'),
  415: problem('Unsupported Content-Type.'),
  422: problem('The Idempotency-Key was used with a different request.'),
  429: problem('Rate limit exceeded; see Retry-After.'),
  500: problem('Unexpected error.'),
  503: problem('Temporarily unavailable; see Retry-After.'),
} as const;

export const IdParam = (name: string) => z.object({ [name]: Id });

export const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);
