import { z } from 'zod';
import { Id, timeZone, Timestamp } from '../platform/schemas.js';
import { digestRuleProblem } from './report-digest-moments.js';

// The follow-through policy (SPEC §6). Offsets are whole hours (minutes for startingSoonMinutes)
// from 0 to 720 (30 days); fractions are refused. An empty list or null turns a rule off.

const MAX_OFFSET = 720;
const offset = z.number().int('must be a whole number').min(0, 'must be 0 or more').max(MAX_OFFSET, `must be at most ${MAX_OFFSET}`);

const offsets = (unit: 'hours' | 'minutes', what: string) =>
  z
    .array(offset)
    .max(5, 'at most 5 offsets a rule')
    .refine((xs) => new Set(xs).size === xs.length, 'must not name an offset twice')
    .nullable()
    .describe(`${what} Whole ${unit}, 0–${MAX_OFFSET}, at most 5, no repeats; \`[]\` or \`null\` turns the rule off.`);

const single = (what: string) => offset.nullable().describe(`${what} Whole hours, 0–${MAX_OFFSET}; \`null\` turns the rule off.`);

const DigestRule = z
  .string()
  .max(200)
  .superRefine((s, ctx) => {
    const problem = digestRuleProblem(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe('An RFC 5545 RRULE without DTSTART, UNTIL or COUNT, HOURLY or coarser (BYMINUTE with one value), with no gap over a year between moments.');

/** The digest as a level sets it: without `timeZone` it follows the organisation's default zone (else UTC). */
export const ReportDigestSetting = z
  .strictObject({
    rrule: DigestRule,
    timeZone: timeZone.optional().describe("IANA time zone the RRULE's wall times are in; default: the organisation's default time zone, else UTC."),
  })
  .meta({ id: 'FollowThroughReportDigestSetting' });

const ruleFields = {
  rsvpReminderHours: offsets('hours', 'Hours before start: `participant.rsvp_reminder` to required participants who have not answered.'),
  prereadsDue: z.boolean().nullable().describe('At `materialsDueAt`: `meeting.prereads_due` naming agenda items without material; `false` or `null` turns it off.'),
  prereadReminderHours: offsets('hours', 'Hours before start: `material.read_reminder` to participants who have not acknowledged every required material.'),
  startingSoonMinutes: offsets('minutes', 'Minutes before start: `meeting.starting_soon` to every participant who has not declined.'),
  minutesDueHours: single('Hours after a meeting ended (or should have) with nothing published: `minutes.overdue`.'),
  issueDueSoonHours: offsets('hours', 'Hours before an issue is due: `issue.due_soon` to its owner.'),
  issueEscalationHours: single("Hours after an unresolved issue's due time: `issue.escalated` to the initiative's sponsor and owner (else the owner's department lead)."),
  reportDigest: ReportDigestSetting.nullable().describe('When `initiative.report.ready` carries the leader report to each active initiative\'s sponsor and owner; `null` turns it off.'),
};

/** What one level (the organisation, or one initiative) sets; an absent field inherits. */
export const PolicySettings = z
  .strictObject(ruleFields)
  .partial()
  .meta({ id: 'FollowThroughPolicySettings', description: 'The fields this level sets. An absent field inherits: an initiative from the organisation, the organisation from the defaults.' });
export type PolicySettings = z.infer<typeof PolicySettings>;

const hoursList = z.array(z.number().int());
export const PolicyFieldName = z.enum(Object.keys(ruleFields) as [keyof typeof ruleFields, ...(keyof typeof ruleFields)[]]);
export type PolicyFieldName = z.infer<typeof PolicyFieldName>;

/** The policy with every field resolved: lists sorted from the largest offset, off rules as `[]`, `false` or `null`. */
export const EffectivePolicy = z
  .object({
    rsvpReminderHours: hoursList,
    prereadsDue: z.boolean(),
    prereadReminderHours: hoursList,
    startingSoonMinutes: hoursList,
    minutesDueHours: z.number().int().nullable(),
    issueDueSoonHours: hoursList,
    issueEscalationHours: z.number().int().nullable(),
    reportDigest: z.object({ rrule: z.string(), timeZone: z.string() }).nullable(),
  })
  .meta({ id: 'FollowThroughPolicyEffective', description: 'The policy that applies, every field resolved.' });

export const PolicySource = z.enum(['default', 'organization', 'initiative']);

/** GET and PUT answer of either level. */
export const FollowThroughPolicyResource = z
  .object({
    level: z.enum(['organization', 'initiative']),
    initiativeId: Id.nullable().describe('The initiative this override is for; null at the organisation level.'),
    settings: PolicySettings.describe('What this level sets (what PUT replaces); `{}` when it sets nothing.'),
    effective: EffectivePolicy,
    sources: z.record(PolicyFieldName, PolicySource).describe('Where each effective field comes from.'),
    version: z.number().int().min(0).describe('Raised on every change; 0 while this level has never been set. Also the ETag.'),
    updatedAt: Timestamp.nullable().describe('Last change of this level; null while it has never been set.'),
  })
  .meta({ id: 'FollowThroughPolicy' });
export type FollowThroughPolicyResource = z.infer<typeof FollowThroughPolicyResource>;
