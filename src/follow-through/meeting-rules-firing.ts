import { iso } from '../platform/schemas.js';
import type { DueFiring, FiringOutcome, FiringRule, PlannedFiring } from '../platform/scheduler-types.js';
import { loadEffectivePolicies, type FollowThroughPolicy } from './policy.js';
import { personSummary } from './recipients-load.js';
import type { Recipient } from './recipients.js';
import { loadMeetingContexts, meetingKey, type ContextPart, type MeetingContext } from './meeting-rules-context.js';
import { dueMoments, momentOf, ON_TIME_SECONDS, plannedMoments, policyOffsets, unitMs, type MomentSpec } from './rule-moments.js';
import type { z } from 'zod';
import type { FollowThroughMeeting } from './meeting-rule-events.js';

type ClaimedFiring = DueFiring & { lateBySeconds: number };

/** What a rule would send for one meeting and offset now: its recipients and its own payload fields, or why nothing goes. */
export type Built = { recipients: Recipient[]; data: Record<string, unknown> } | { skip: string };

export interface MeetingRuleDef {
  spec: MomentSpec;
  eventType: string;
  parts: ContextPart[];
  /**
   * True for what only makes sense before the meeting (reminders, notices): such a rule fires
   * only for scheduled meetings whose invitation went out before the moment, and late only
   * while the meeting has not started.
   */
  beforeStart: boolean;
  build(c: MeetingContext, offset: number): Built;
}

export function meetingPayload(c: MeetingContext): z.infer<typeof FollowThroughMeeting> {
  const m = c.row;
  return {
    id: m.id, title: m.title, startsAt: iso(m.startsAt)!, endsAt: iso(m.endsAt)!, timeZone: m.timeZone, location: m.location, onlineUrl: m.onlineUrl,
    status: m.status as z.infer<typeof FollowThroughMeeting>['status'], initiativeId: m.initiativeId, seriesId: m.seriesId,
    organizer: c.organizer && personSummary(c.organizer), sequence: m.sequence, version: m.version,
  };
}

const columnOf = (spec: MomentSpec, c: MeetingContext): Date =>
  spec.column === 'starts_at' ? c.row.startsAt : spec.column === 'materials_due_at' ? c.row.materialsDueAt : c.row.endsAt;

/** Why the meeting's current state fires nothing at this moment, whenever it is asked. */
function stateSkip(def: MeetingRuleDef, c: MeetingContext | undefined, moment: Date): string | null {
  if (!c) return 'meeting_deleted';
  const status = c.row.status;
  if (status === 'cancelled') return 'meeting_cancelled';
  if (status === 'draft') return 'not_invited';
  if (def.beforeStart) {
    if (status === 'completed') return 'meeting_completed';
    if (status === 'in_progress') return 'meeting_started';
    if (!c.row.invitationsSentAt || moment < c.row.invitationsSentAt) return 'before_invitation';
  }
  if (c.minutes.published && def.parts.includes('minutes')) return 'minutes_published';
  return null;
}

/** The offset of the policy this moment is for, or null when the meeting moved or the policy changed since. */
function offsetOf(def: MeetingRuleDef, c: MeetingContext, moment: Date, policy: FollowThroughPolicy): number | null {
  const at = columnOf(def.spec, c);
  const offset = Math.abs(moment.getTime() - at.getTime()) / unitMs(def.spec);
  const ok = policyOffsets(def.spec, policy[def.spec.rule]).includes(offset) && momentOf(def.spec, at, offset).getTime() === moment.getTime();
  return ok ? offset : null;
}

/** Whether a claimed moment still fires now, and for which offset of the policy. */
function checkFiring(def: MeetingRuleDef, c: MeetingContext, f: ClaimedFiring, policy: FollowThroughPolicy, now: Date): { offset: number } | { skip: string } {
  const { spec } = def;
  const state = stateSkip(def, c, f.moment);
  if (state) return { skip: state };
  const offset = offsetOf(def, c, f.moment, policy);
  if (offset === null) return { skip: 'moment_changed' };
  if (def.beforeStart && f.lateBySeconds > ON_TIME_SECONDS && now >= c.row.startsAt) return { skip: 'too_late' };
  // Several moments of one meeting due at once (an outage, or a meeting moved closer): only the
  // latest goes, the earlier ones would say the same thing again.
  const column = columnOf(spec, c);
  if (spec.kind === 'list' && policyOffsets(spec, policy[spec.rule]).some((o) => o < offset && momentOf(spec, column, o) <= now)) return { skip: 'superseded' };
  return { offset };
}

/**
 * A FiringRule over meetings: the due scan and the planned listing come from the moment spec
 * (rule-moments.ts); firing re-reads the meetings (locked) with what the rule needs, checks
 * that the moment still holds, and records one event per moment with all its recipients.
 */
export function meetingRule(def: MeetingRuleDef): FiringRule {
  const { spec } = def;
  return {
    rule: spec.rule,
    subjectType: 'meeting',

    due: (tx, now, limit) => dueMoments(tx, spec, now, limit),

    async fire(tx, recorderFor, firings, now) {
      const [contexts, policies] = await Promise.all([
        loadMeetingContexts(tx, firings.map((f) => ({ organizationId: f.organizationId, id: f.subjectId })), def.parts, true),
        loadEffectivePolicies(tx, firings.map((f) => f.organizationId)),
      ]);
      const outcomes: FiringOutcome[] = [];
      for (const f of firings) {
        const c = contexts.get(meetingKey(f.organizationId, f.subjectId));
        const checked = c ? checkFiring(def, c, f, policies.for(f.organizationId, c.row.initiativeId), now) : { skip: 'meeting_deleted' };
        const built = 'skip' in checked ? checked : def.build(c!, checked.offset);
        if ('skip' in built || built.recipients.length === 0) {
          outcomes.push({ status: 'skipped', reason: 'skip' in built ? built.skip : 'no_recipients' });
          continue;
        }
        const event = await recorderFor(f.organizationId).event(def.eventType, {
          rule: spec.rule, dueAt: f.moment.toISOString(), firedAt: now.toISOString(), lateBy: f.lateBySeconds, recipients: built.recipients,
          ...built.data, meeting: meetingPayload(c!),
        });
        outcomes.push({ status: 'fired', eventId: event.id, eventOccurredAt: event.occurredAt, recipients: built.recipients });
      }
      return outcomes;
    },

    // The moments of the window from the current state (the policy check is in the scan), with
    // whom each would go to now; those the meeting's state rules out carry their reason.
    async planned(db, organizationId, window, filter) {
      const moments = await plannedMoments(db, spec, organizationId, window, filter);
      if (moments.length === 0) return [];
      const contexts = await loadMeetingContexts(db, [...new Set(moments.map((m) => m.subjectId))].map((id) => ({ organizationId, id })), def.parts);
      return moments.map((m): PlannedFiring => {
        const c = contexts.get(meetingKey(organizationId, m.subjectId));
        const base = { organizationId, rule: spec.rule, subjectType: 'meeting' as const, subjectId: m.subjectId, moment: m.moment };
        const reason = stateSkip(def, c, m.moment);
        const built = c ? def.build(c, m.offset) : null;
        const recipients = built && 'recipients' in built ? built.recipients : [];
        const skipReason = reason ?? (built && 'skip' in built ? built.skip : recipients.length === 0 ? 'no_recipients' : null);
        return { ...base, recipients, ...(skipReason ? { skipReason } : {}) };
      });
    },
  };
}
