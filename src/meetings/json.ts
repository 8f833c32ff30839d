import { sql, type SQL } from 'drizzle-orm';
import { isoSql } from '../platform/json-text.js';

// The Meeting shape (schemas.ts `meetingShape`, the same fields `toApiMeeting` maps) rendered by
// PostgreSQL, for the read paths that send JSON text. Columns are named through the outer
// `meetings` row, so these fragments work in any select from `meetings`.
const iso = (column: string) => isoSql(`meetings.${column}`);

const meetingFields = sql`
  'id', meetings.id, 'initiativeId', meetings.initiative_id, 'seriesId', meetings.series_id, 'followUpOfId', meetings.follow_up_of_id,
  'title', meetings.title, 'objective', meetings.objective, 'startsAt', ${iso('starts_at')}, 'endsAt', ${iso('ends_at')},
  'timeZone', meetings.time_zone, 'location', meetings.location, 'onlineUrl', meetings.online_url, 'organizerId', meetings.organizer_id,
  'status', meetings.status, 'visibility', meetings.visibility, 'materialsDueAt', ${iso('materials_due_at')}, 'sequence', meetings.sequence, 'recurrence', meetings.recurrence,
  'originalStartsAt', ${iso('original_starts_at')}, 'invitationsSentAt', ${iso('invitations_sent_at')}, 'startedAt', ${iso('started_at')},
  'endedAt', ${iso('ended_at')}, 'cancelledAt', ${iso('cancelled_at')}, 'cancelReason', meetings.cancel_reason,
  'createdAt', ${iso('created_at')}, 'updatedAt', ${iso('updated_at')}, 'version', meetings.version`;

/** The sum of the meeting's agenda time boxes (agenda_items_org_meeting_position_idx). */
export const agendaMinutesSql = sql<number>`(select coalesce(sum(ai.duration_minutes), 0)::int from agenda_items ai
  where ai.organization_id = meetings.organization_id and ai.meeting_id = meetings.id)`;

/** The meeting's scheduled length in minutes, which `overrunMinutes` is measured against. */
export const scheduledMinutesSql = sql<number>`round(extract(epoch from meetings.ends_at - meetings.starts_at) / 60)::int`;

/** The Meeting fields that depend on the meeting row alone, as JSON text (no agenda figures). */
export const meetingRowJson = sql<string>`json_build_object(${meetingFields})::text`;

/** Appends the agenda figures to `meetingRowJson`, giving the Meeting shape. */
export function withAgendaFigures(rowJson: string, agendaMinutes: number, scheduledMinutes: number): string {
  return `${rowJson.slice(0, -1)},"agendaMinutes":${agendaMinutes},"overrunMinutes":${Math.max(0, agendaMinutes - scheduledMinutes)}}`;
}

/** One meeting as API JSON text, with further key/value pairs (the detail's relations). */
export function meetingJson(embedded: SQL): SQL<string> {
  return sql<string>`(select json_build_object(${meetingFields},
      'agendaMinutes', agenda.minutes, 'overrunMinutes', greatest(0, agenda.minutes - ${scheduledMinutesSql}), ${embedded})
    from (select ${agendaMinutesSql} as minutes) agenda)::text`;
}
