import { z } from 'zod';
import { and, eq, gte, lt, sql } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { auditEvents } from '../../db/schema/index.js';
import { decodeCursor, listOf, page, pageQuery } from '../platform/pagination.js';
import { errorResponses, Id, iso, Timestamp } from '../platform/schemas.js';
import { Actor } from '../access/schemas.js';

export const AuditEvent = z
  .object({
    id: Id,
    occurredAt: Timestamp,
    actor: Actor,
    actorKeyId: Id.nullable().describe('The API key that made the change; null for the service itself. The same as `actor.keyId`, kept for existing clients.'),
    action: z.string().describe('`create`, `update`, `delete` or a lifecycle verb such as `cancel` or `publish`.'),
    entityType: z.string().describe('Singular snake_case resource name, e.g. `agenda_item`.'),
    entityId: Id,
    changes: z.record(z.string(), z.object({ before: z.unknown(), after: z.unknown() })).describe('Changed fields, each with its value before and after.'),
    requestId: z.string().nullable(),
  })
  .meta({ id: 'AuditEvent' });

type Row = typeof auditEvents.$inferSelect;
const toApi = (r: Row) => ({
  id: r.id,
  occurredAt: iso(r.occurredAt)!,
  actor: { keyId: r.actorKeyId, personId: r.actorPersonId },
  actorKeyId: r.actorKeyId,
  action: r.action,
  entityType: r.entityType,
  entityId: r.entityId,
  changes: r.changes as Record<string, { before: unknown; after: unknown }>,
  requestId: r.requestId,
});

export const auditRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/v1/audit-events', {
    config: { access: 'integration', scope: 'admin' },
    schema: {
      operationId: 'listAuditEvents', tags: ['Audit'], summary: 'List audit records, oldest first',
      description:
        'Every recorded change of the organisation, oldest first: who made it (`actor`: the API key, and the person it acted as, a person-bound key\'s own or the one named by `Liaison-On-Behalf-Of`), the action, the entity and each changed field before and after, with the request id. `entityType` (singular snake_case, e.g. `agenda_item`), `entityId`, `actorPersonId` (what a person did, through any key) and the [`from`, `to`) window narrow it. Needs scope `admin` (403); a malformed filter or `cursor` is 400.',
      querystring: z.object({
        ...pageQuery,
        entityType: z.string().max(64).optional(),
        entityId: Id.optional(),
        actorPersonId: Id.optional().describe('Only changes made as this person (by a person-bound key, or on behalf of the person).'),
        from: Timestamp.optional(),
        to: Timestamp.optional(),
      }),
      response: { 200: listOf(AuditEvent), ...errorResponses },
    },
  }, async (req, reply) => {
    const q = req.query;
    const c = decodeCursor(q.cursor, 2);
    const rows = await app.db
      .select()
      .from(auditEvents)
      .where(
        and(
          eq(auditEvents.organizationId, req.auth.organizationId),
          q.entityType ? eq(auditEvents.entityType, q.entityType) : undefined,
          q.entityId ? eq(auditEvents.entityId, q.entityId) : undefined,
          q.actorPersonId ? eq(auditEvents.actorPersonId, q.actorPersonId) : undefined,
          q.from ? gte(auditEvents.occurredAt, new Date(q.from)) : undefined,
          q.to ? lt(auditEvents.occurredAt, new Date(q.to)) : undefined,
          c ? sql`(${auditEvents.occurredAt}, ${auditEvents.id}) > (${c[0]}::timestamptz, ${c[1]}::uuid)` : undefined,
        ),
      )
      .orderBy(auditEvents.occurredAt, auditEvents.id)
      .limit(q.limit + 1);
    return page(req, reply, rows, q.limit, (r) => [r.occurredAt.toISOString(), r.id], toApi);
  });
};
