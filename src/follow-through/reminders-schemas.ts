import { z } from 'zod';
import { pageQuery } from '../platform/pagination.js';
import { Id, Timestamp } from '../platform/schemas.js';
import { Recipient } from './recipients.js';

export const reminderStatuses = ['planned', 'fired', 'skipped'] as const;
export const ReminderStatus = z.enum(reminderStatuses).meta({ id: 'ReminderStatus' });
export type ReminderStatus = z.infer<typeof ReminderStatus>;

/** The longest window one listing covers. */
export const MAX_WINDOW_DAYS = 90;
export const DEFAULT_WINDOW_DAYS = 14;

export const ReminderListQuery = z.object({
  ...pageQuery,
  from: Timestamp.optional().describe('Start of the window (inclusive). Default: now.'),
  to: Timestamp.optional().describe(`End of the window (exclusive). Default: \`from\` + ${DEFAULT_WINDOW_DAYS} days; at most ${MAX_WINDOW_DAYS} days after \`from\`.`),
  meetingId: Id.optional().describe("Only this meeting's reminders."),
  issueId: Id.optional().describe("Only this issue's reminders."),
  initiativeId: Id.optional().describe("Only the initiative's own (its digest) and those of its meetings and issues."),
  status: z
    .string()
    .max(100)
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(ReminderStatus).max(3))
    .optional()
    .describe('One status or several, comma-separated: `planned`, `fired`, `skipped`.'),
});
export type ReminderListQuery = z.infer<typeof ReminderListQuery>;

export const Reminder = z
  .object({
    rule: z.string().describe('The policy field that plans it (`rsvpReminderHours`, `issueDueSoonHours`, …) or `issueOverdue`.'),
    fireAt: Timestamp.describe('The moment it is for (`dueAt` in its event).'),
    status: ReminderStatus.describe('`planned`: still to fire; `fired`: its event was recorded; `skipped`: it did not or will not fire (see `skipReason`).'),
    subject: z.object({ type: z.enum(['meeting', 'issue', 'initiative']), id: Id }).describe('What it is about.'),
    recipients: z.array(Recipient).describe('Whom it went to once fired; whom it would go to now while planned.'),
    eventId: Id.optional().describe('The event it recorded, once fired (`GET /v1/events/{eventId}`).'),
    skipReason: z.string().optional().describe('Why it was or will be skipped, e.g. `meeting_cancelled`, `issue_resolved`, `too_late`.'),
    lateBy: z.number().int().min(0).optional().describe('Seconds after `fireAt` that it fired (late after an outage when above a minute).'),
  })
  .meta({
    id: 'Reminder',
    examples: [
      {
        rule: 'issueOverdue',
        fireAt: '2026-03-10T17:00:00.000Z',
        status: 'fired',
        subject: { type: 'issue', id: '7d1c1a4e-3f4b-4c55-9a55-1f6f0f2a9c11' },
        recipients: [{ personId: '5b0a9d0e-6c1f-4bb4-8d1e-1f0a3c2b4d5e', name: 'Li Wei', email: 'li.wei@example.com', timeZone: 'Asia/Shanghai', reason: 'owner' }],
        eventId: '3f2e1d0c-9b8a-4765-8432-10fedcba9876',
        lateBy: 4,
      },
    ],
  });
export type Reminder = z.infer<typeof Reminder>;
