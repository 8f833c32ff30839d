import { and, asc, desc, eq, inArray, or, sql } from 'drizzle-orm';
import { departments, issues, meetingParticipants, minutes, minutesRevisions, people } from '../../db/schema/index.js';
import type { ChangeRecorder } from '../platform/changes.js';
import type { DbOrTx } from '../platform/database.js';
import { Conflict } from '../platform/errors.js';
import { iso } from '../platform/schemas.js';
import { findMeeting, type MeetingRow } from '../meetings/queries.js';
import { decisionsOfMeeting } from '../decisions/queries.js';
import { personSummaries, type PersonSummary } from '../issues/meeting-context.js';
import { findDraft, toApiDraft, type DraftRow } from './draft.js';
import type { ApiMinutesRevision } from './schemas.js';

const sections = ['summary', 'attendance', 'acknowledgements', 'decisions', 'issues'] as const;
type Section = (typeof sections)[number];

/** JSON with object keys sorted: jsonb does not keep key order, so revisions compare by this. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

/** Issues raised in the meeting or carried onto its agenda, in creation order. */
async function issuesOfMeeting(db: DbOrTx, organizationId: string, meetingId: string) {
  return db
    .select()
    .from(issues)
    .where(
      and(
        eq(issues.organizationId, organizationId),
        or(
          eq(issues.meetingId, meetingId),
          sql`${issues.id} in (select issue_id from agenda_items where organization_id = ${organizationId} and meeting_id = ${meetingId} and issue_id is not null)`,
        ),
      ),
    )
    .orderBy(asc(issues.createdAt), asc(issues.id));
}

/**
 * The content of the next revision: the draft plus the meeting's participants, decisions and
 * issues as they stand, with the names and e-mails of everyone named, so that a receiver of
 * `minutes.published` can post it without calling back. A fixed number of queries, whatever the size.
 */
async function snapshot(db: DbOrTx, meeting: MeetingRow, draft: DraftRow) {
  const org = meeting.organizationId;
  const participants = await db
    .select({ id: people.id, name: people.name, email: people.email, departmentId: people.departmentId, role: meetingParticipants.role })
    .from(meetingParticipants)
    .innerJoin(people, eq(people.id, meetingParticipants.personId))
    .where(and(eq(meetingParticipants.organizationId, org), eq(meetingParticipants.meetingId, meeting.id)))
    .orderBy(asc(meetingParticipants.createdAt), asc(people.name));
  const presence = new Map(draft.attendance.map((a) => [a.personId, a.present]));
  const decisionList = await decisionsOfMeeting(db, org, meeting.id);
  const issueRows = await issuesOfMeeting(db, org, meeting.id);
  const named = await personSummaries(db, org, [
    ...decisionList.flatMap((d) => [...d.supporters, ...d.objections.map((o) => o.personId)]),
    ...issueRows.map((i) => i.ownerId),
    ...draft.acknowledgements.map((a) => a.personId),
  ]);
  const deptIds = [...new Set(issueRows.map((i) => i.departmentId).filter((d): d is string => !!d))];
  const deptNames = new Map(
    deptIds.length
      ? (await db.select({ id: departments.id, name: departments.name }).from(departments).where(and(eq(departments.organizationId, org), inArray(departments.id, deptIds)))).map((d) => [d.id, d.name])
      : [],
  );
  const person = (id: string | null): PersonSummary | null => (id ? (named.get(id) ?? null) : null);
  return {
    summary: draft.summary,
    attendance: participants.map((p) => ({ ...p, present: presence.get(p.id) ?? null })),
    acknowledgements: draft.acknowledgements.map((a) => ({ personId: a.personId, name: person(a.personId)?.name ?? null, note: a.note })),
    decisions: decisionList.map((d) => ({
      id: d.id, title: d.title, statement: d.statement, rationale: d.rationale, status: d.status, decidedAt: d.decidedAt,
      agendaItemId: d.agendaItemId, supersedesId: d.supersedesId, version: d.version,
      supporters: d.supporters.map((id) => person(id)).filter((p): p is PersonSummary => !!p),
      objections: d.objections.map((o) => ({ ...o, name: person(o.personId)?.name ?? null, email: person(o.personId)?.email ?? null })),
    })),
    issues: issueRows.map((i) => ({
      id: i.id, title: i.title, description: i.description, kind: i.kind, priority: i.priority, status: i.status,
      dueAt: iso(i.dueAt), resolution: i.resolution, owner: person(i.ownerId), agendaItemId: i.agendaItemId, version: i.version,
      department: i.departmentId ? { id: i.departmentId, name: deptNames.get(i.departmentId) ?? '' } : null,
    })),
  };
}

/** Records `attended` on the participants the minutes' attendance names; audits each change. */
async function recordAttendance(rec: ChangeRecorder, meetingId: string, draft: DraftRow) {
  const org = rec.organizationId;
  const current = await rec.tx
    .select({ personId: meetingParticipants.personId, attended: meetingParticipants.attended, version: meetingParticipants.version })
    .from(meetingParticipants)
    .where(and(eq(meetingParticipants.organizationId, org), eq(meetingParticipants.meetingId, meetingId)))
    .for('update');
  const byPerson = new Map(current.map((p) => [p.personId, p]));
  const changes = draft.attendance.filter((a) => byPerson.has(a.personId) && byPerson.get(a.personId)!.attended !== a.present);
  if (changes.length === 0) return;
  const values = sql.join(changes.map((a) => sql`(${a.personId}::uuid, ${a.present}::boolean)`), sql`, `);
  await rec.tx.execute(sql`
    update meeting_participants mp set attended = v.present, updated_at = now(), version = mp.version + 1
    from (values ${values}) as v(person_id, present)
    where mp.organization_id = ${org} and mp.meeting_id = ${meetingId} and mp.person_id = v.person_id`);
  for (const a of changes) {
    const before = byPerson.get(a.personId)!;
    await rec.audit({
      action: 'update', entityType: 'meeting_participant', entityId: meetingId,
      before: { personId: a.personId, attended: before.attended, version: before.version },
      after: { personId: a.personId, attended: a.present, version: before.version + 1 },
    });
  }
}

/**
 * Freezes the draft as revision n+1 (only for a meeting in progress or completed), records
 * attendance on the participants and emits `minutes.published` carrying the whole revision.
 * Publishing again with nothing changed is 409. `If-Match` names the draft's version.
 */
export async function publishMinutes(rec: ChangeRecorder, meetingId: string, checkVersion: (v: number) => void): Promise<ApiMinutesRevision> {
  const org = rec.organizationId;
  // The meeting's row lock serialises publishes of its minutes (revision numbers stay gapless).
  const meeting = await findMeeting(rec.tx, org, meetingId, { forUpdate: true });
  if (meeting.status !== 'in_progress' && meeting.status !== 'completed') {
    throw new Conflict(`The meeting is ${meeting.status}; minutes are published once it is in progress or completed.`);
  }
  const draft = await findDraft(rec.tx, org, meetingId, { forUpdate: true });
  checkVersion(draft?.version ?? 0);
  if (!draft) throw new Conflict('There is no draft to publish: PUT the minutes first.');
  const content = await snapshot(rec.tx, meeting, draft);
  const [previous] = await rec.tx
    .select()
    .from(minutesRevisions)
    .where(and(eq(minutesRevisions.organizationId, org), eq(minutesRevisions.meetingId, meetingId)))
    .orderBy(desc(minutesRevisions.revision))
    .limit(1);
  const prior = previous?.content as Record<Section, unknown> | undefined;
  const changedFields = sections.filter((s) => !prior || canonical(prior[s]) !== canonical(content[s]));
  if (prior && changedFields.length === 0) throw new Conflict(`Nothing changed since revision ${previous!.revision}.`);

  const revision = draft.publishedRevision + 1;
  const publishedAt = new Date();
  const api = {
    meetingId,
    revision,
    version: revision,
    publishedAt: publishedAt.toISOString(),
    meeting: {
      id: meeting.id, title: meeting.title, startsAt: iso(meeting.startsAt)!, endsAt: iso(meeting.endsAt)!,
      timeZone: meeting.timeZone, status: meeting.status, initiativeId: meeting.initiativeId,
    },
    ...content,
    changedFields,
  } as ApiMinutesRevision;
  const [row] = await rec.tx
    .insert(minutesRevisions)
    .values({ organizationId: org, meetingId, revision, content: api, changedFields, publishedAt, publishedByKeyId: rec.ctx.actorKeyId })
    .returning({ id: minutesRevisions.id });
  await rec.audit({ action: 'create', entityType: 'minutes_revision', entityId: row!.id, after: { meetingId, revision, changedFields } });
  const [updated] = await rec.tx
    .update(minutes)
    .set({ publishedRevision: revision, updatedAt: publishedAt, version: draft.version + 1 })
    .where(eq(minutes.id, draft.id))
    .returning();
  await rec.audit({ action: 'update', entityType: 'minutes', entityId: draft.id, before: toApiDraft(meetingId, draft), after: toApiDraft(meetingId, updated) });
  await recordAttendance(rec, meetingId, draft);
  await rec.event('minutes.published', api);
  return api;
}
