import { sql } from 'drizzle-orm';
import type { FiringRule } from '../platform/scheduler-types.js';
import { personSummary, RecipientList } from './recipients-load.js';
import { meetingRule, type Built } from './meeting-rules-firing.js';
import type { MeetingContext } from './meeting-rules-context.js';

// The five meeting rules of SPEC §6. Their due scans read partial indexes over scheduled meetings
// (meetings_scheduled_starts_idx, meetings_scheduled_materials_due_idx) or meetings that took or
// should have taken place (meetings_held_ends_idx); see db/schema/meetings.ts.
//
// Late firings (a worker was down): reminders and notices before a meeting go late only while it
// has not started (rsvp, prereads due, read reminder, starting soon); minutes.overdue goes late
// whenever it is still true (nothing published), within the one-day look-back of every rule.

const SCHEDULED = `t.status = 'scheduled'`;
const declined = (response: string) => response === 'declined';

const rsvpReminder = meetingRule({
  spec: { rule: 'rsvpReminderHours', subjectType: 'meeting', table: 'meetings', column: 'starts_at', side: 'before', unit: 'hour', kind: 'list', live: SCHEDULED },
  eventType: 'participant.rsvp_reminder',
  parts: ['participants'],
  beforeStart: true,
  build(c, offset): Built {
    const to = new RecipientList();
    for (const p of c.participants) {
      if (['chair', 'presenter', 'required'].includes(p.role) && p.response === 'needs_action') to.add(p.person, 'needs_action');
    }
    return { recipients: to.list, data: { hoursBefore: offset } };
  },
});

/** Discussion and decision items, not deferred, that no material is attached to. */
function missingPrereads(c: MeetingContext) {
  const covered = new Set(c.materials.map((m) => m.agendaItemId).filter(Boolean));
  return c.agendaItems.filter((i) => (i.kind === 'discussion' || i.kind === 'decision') && i.status !== 'deferred' && !covered.has(i.id));
}

const prereadsDue = meetingRule({
  spec: { rule: 'prereadsDue', subjectType: 'meeting', table: 'meetings', column: 'materials_due_at', side: 'before', unit: 'hour', kind: 'flag', live: SCHEDULED },
  eventType: 'meeting.prereads_due',
  parts: ['agenda', 'materials'],
  beforeStart: true,
  build(c): Built {
    const missing = missingPrereads(c);
    const to = new RecipientList().add(c.organizer, 'organizer');
    for (const i of missing) to.add(i.owner, 'agenda_item_owner');
    return {
      recipients: to.list,
      data: {
        materials: c.materials,
        missing: missing.map((i) => ({ agendaItemId: i.id, title: i.title, kind: i.kind, owner: i.owner && personSummary(i.owner) })),
      },
    };
  },
});

const readReminder = meetingRule({
  spec: { rule: 'prereadReminderHours', subjectType: 'meeting', table: 'meetings', column: 'starts_at', side: 'before', unit: 'hour', kind: 'list', live: SCHEDULED },
  eventType: 'material.read_reminder',
  parts: ['participants', 'materials', 'acknowledgements'],
  beforeStart: true,
  build(c, offset): Built {
    const required = c.materials.filter((m) => m.required);
    if (required.length === 0) return { skip: 'no_required_materials' };
    const to = new RecipientList();
    const unread: { personId: string; materialIds: string[] }[] = [];
    for (const p of c.participants) {
      if (declined(p.response)) continue;
      const materialIds = required.filter((m) => !c.acknowledged.has(`${m.id}/${p.person.id}`)).map((m) => m.id);
      if (materialIds.length === 0) continue;
      to.add(p.person, 'unread_materials');
      unread.push({ personId: p.person.id, materialIds });
    }
    return { recipients: to.list, data: { hoursBefore: offset, materials: required, unread } };
  },
});

const startingSoon = meetingRule({
  spec: { rule: 'startingSoonMinutes', subjectType: 'meeting', table: 'meetings', column: 'starts_at', side: 'before', unit: 'minute', kind: 'list', live: SCHEDULED },
  eventType: 'meeting.starting_soon',
  parts: ['participants'],
  beforeStart: true,
  build(c, offset): Built {
    const to = new RecipientList();
    for (const p of c.participants) if (!declined(p.response)) to.add(p.person, 'participant');
    return { recipients: to.list, data: { minutesBefore: offset } };
  },
});

// The moment is counted from the planned end (`endsAt`), not from when the meeting was ended:
// one column a plain index covers, and a meeting nobody ended in Liaison is due all the same.
const minutesOverdue = meetingRule({
  spec: {
    rule: 'minutesDueHours', subjectType: 'meeting', table: 'meetings', column: 'ends_at', side: 'after', unit: 'hour', kind: 'single',
    live: `t.status in ('scheduled', 'in_progress', 'completed')`,
    pending: sql`not exists (select 1 from minutes mi where mi.organization_id = t.organization_id and mi.meeting_id = t.id and mi.published_revision > 0)`,
  },
  eventType: 'minutes.overdue',
  parts: ['participants', 'minutes'],
  beforeStart: false,
  build(c, offset): Built {
    const to = new RecipientList();
    for (const p of c.participants) if (p.role === 'note_taker' && !declined(p.response)) to.add(p.person, 'note_taker');
    to.add(c.organizer, 'organizer');
    return { recipients: to.list, data: { hoursAfterEnd: offset, draftStarted: c.minutes.hasDraft } };
  },
});

export const meetingRules: FiringRule[] = [rsvpReminder, prereadsDue, readReminder, startingSoon, minutesOverdue];
