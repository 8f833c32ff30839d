import type { FastifyReply, FastifyRequest } from 'fastify';
import { PreconditionFailed } from './errors.js';

export function etagOf(version: number): string {
  return `"v${version}"`;
}

export function setEtag(reply: FastifyReply, entity: { version: number }) {
  reply.header('etag', etagOf(entity.version));
}

/** Throws 412 when the request's If-Match names another version (strong comparison, RFC 9110). */
export function checkIfMatch(req: FastifyRequest, currentVersion: number) {
  const header = req.headers['if-match'];
  if (header === undefined) return;
  const tags = header.split(',').map((s) => s.trim());
  if (tags.includes('*') || tags.includes(etagOf(currentVersion))) return;
  throw new PreconditionFailed(`If-Match ${header} does not match the current version (ETag ${etagOf(currentVersion)}).`);
}
