import { eq } from 'drizzle-orm';
import { agendaItems, meetingParticipants, meetings } from '../db/schema/index.js';
import type { Db } from '../src/platform/database.js';
import type { Caller } from './helpers.js';
import { uniq } from './helpers.js';

// Records the outcomes tests build on: departments, people and meetings, each uniquely named.

export async function department(api: Caller, name: string) {
  const code = uniq('D').replace(/[^A-Za-z0-9-]/g, '').slice(-30);
  const res = await api.post('/v1/departments', { name, code });
  if (res.status !== 201) throw new Error(`department: ${res.status} ${res.text}`);
  return res.body as { id: string; name: string };
}

export { person } from './meetings-helpers.js';

export type MeetingStatus = 'draft' | 'scheduled' | 'in_progress' | 'completed' | 'cancelled';
export interface MeetingOpts {
  title?: string;
  objective?: string;
  participantIds?: string[];
  agenda?: { title: string; status?: string }[];
  status?: MeetingStatus;
  startsAt?: string;
  initiativeId?: string;
}
export interface TestMeeting {
  id: string;
  title: string;
  status: string;
  agendaItems: { id: string; title: string; status: string; position: number }[];
}

/**
 * A meeting written straight into the database (participants, agenda, status), so that these
 * tests exercise the outcomes modules whatever state the meetings routes are in.
 */
export async function meetingRow(db: Db, organizationId: string, opts: MeetingOpts = {}): Promise<TestMeeting> {
  const startsAt = new Date(opts.startsAt ?? '2026-03-02T09:00:00.000Z');
  const [m] = await db
    .insert(meetings)
    .values({
      organizationId,
      title: opts.title ?? uniq('Meeting'),
      objective: opts.objective ?? null,
      initiativeId: opts.initiativeId ?? null,
      startsAt,
      endsAt: new Date(startsAt.getTime() + 3600_000),
      timeZone: 'Asia/Shanghai',
      materialsDueAt: new Date(startsAt.getTime() - 86400_000),
      status: opts.status ?? 'draft',
    })
    .returning();
  const ids = opts.participantIds ?? [];
  if (ids.length) await db.insert(meetingParticipants).values(ids.map((personId) => ({ organizationId, meetingId: m!.id, personId })));
  const items = opts.agenda?.length
    ? await db
        .insert(agendaItems)
        .values(opts.agenda.map((a, i) => ({ organizationId, meetingId: m!.id, position: i + 1, title: a.title, status: a.status ?? 'pending' })))
        .returning()
    : [];
  return { id: m!.id, title: m!.title, status: m!.status, agendaItems: items.map((i) => ({ id: i.id, title: i.title, status: i.status, position: i.position })) };
}

/** Sets a meeting's status directly (the lifecycle routes belong to the meetings module). */
export async function setMeetingStatus(db: Db, id: string, status: MeetingStatus) {
  await db.update(meetings).set({ status }).where(eq(meetings.id, id));
}

/** Events of one type, oldest first. */
export async function eventsOf(api: Caller, type: string) {
  const res = await api.get(`/v1/events?type=${encodeURIComponent(type)}&limit=200`);
  if (res.status !== 200) throw new Error(`events: ${res.status} ${res.text}`);
  return res.body.data as { id: string; type: string; data: any }[]; // eslint-disable-line @typescript-eslint/no-explicit-any
}
