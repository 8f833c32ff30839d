import { and, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { agendaItems, meetingParticipants, people } from '../../db/schema/index.js';
import type { DbOrTx } from '../platform/database.js';
import { BadRequest } from '../platform/errors.js';
import { Id } from '../platform/schemas.js';
import { builtOnce } from '../platform/built-once.js';

// Checks and lookups that decisions, issues, minutes and feedback share: what a body may name
// inside a meeting, and the names/e-mails that event payloads embed so receivers need not call back.

export const PersonSummary = z
  .object({ id: Id, name: z.string(), email: z.string(), departmentId: Id.nullable() })
  .meta({ id: 'PersonSummary', description: 'A person as event payloads embed them.' });
export type PersonSummary = z.infer<typeof PersonSummary>;

/** The agenda item must be one of this meeting's (400 naming `path` otherwise). */
export async function assertAgendaItemOfMeeting(db: DbOrTx, organizationId: string, meetingId: string | null, itemId: string | null | undefined, path: string) {
  if (itemId === null || itemId === undefined) return;
  if (meetingId === null) throw new BadRequest(`${path} needs a meeting: only a meeting's issues name an agenda item.`, [{ path, message: 'no meeting to belong to' }]);
  const [row] = await db
    .select({ id: agendaItems.id })
    .from(agendaItems)
    .where(and(eq(agendaItems.organizationId, organizationId), eq(agendaItems.meetingId, meetingId), eq(agendaItems.id, itemId)));
  if (!row) throw new BadRequest(`${path} does not name an agenda item of this meeting.`, [{ path, message: 'not an agenda item of this meeting' }]);
}

/** Each person must be a participant of the meeting; the error names the offending entry. */
export async function assertParticipants(db: DbOrTx, organizationId: string, meetingId: string, refs: { path: string; id: string }[]) {
  const ids = [...new Set(refs.map((r) => r.id))];
  if (ids.length === 0) return;
  const found = new Set(
    (
      await db
        .select({ id: meetingParticipants.personId })
        .from(meetingParticipants)
        .where(and(eq(meetingParticipants.organizationId, organizationId), eq(meetingParticipants.meetingId, meetingId), inArray(meetingParticipants.personId, ids)))
    ).map((r) => r.id),
  );
  const missing = refs.find((r) => !found.has(r.id));
  if (missing) throw new BadRequest(`${missing.path} is not a participant of this meeting.`, [{ path: missing.path, message: 'not a participant of this meeting' }]);
}

const summariesStatement = builtOnce<PersonSummary>((db) =>
  db
    .select({ id: people.id, name: people.name, email: people.email, departmentId: people.departmentId })
    .from(people)
    .where(and(eq(people.organizationId, sql.placeholder('org')), sql`${people.id} = any(${sql.placeholder('ids')}::uuid[])`)),
);

/** Name, e-mail and department of each person, in one query. */
export async function personSummaries(db: DbOrTx, organizationId: string, ids: (string | null | undefined)[]): Promise<Map<string, PersonSummary>> {
  const unique = [...new Set(ids.filter((id): id is string => !!id))];
  const out = new Map<string, PersonSummary>();
  if (unique.length === 0) return out;
  // The ids come from validated bodies and from rows: UUIDs, which an array literal needs no quoting for.
  const rows = await summariesStatement(db, { org: organizationId, ids: `{${unique.join(',')}}` });
  for (const r of rows) out.set(r.id, r);
  return out;
}
