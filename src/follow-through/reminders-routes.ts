import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { listOf, page } from '../platform/pagination.js';
import { registeredFiringRules } from '../platform/scheduler.js';
import { errorResponses } from '../platform/schemas.js';
import { listReminders, reminderWindow } from './reminders-schedule.js';
import { Reminder, ReminderListQuery } from './reminders-schemas.js';
import { viewerOf } from '../access/viewer.js';

export const reminderRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/v1/reminders', {
    config: { access: 'member' },
    schema: {
      operationId: 'listReminders', tags: ['Follow-through'], summary: 'What Liaison will remind, nudge or escalate, and what it did',
      description:
        'Lists the follow-through firings of the window `[from, to)` (default: the next 14 days) in `fireAt` order: those recorded (`fired` with their `eventId`, or `skipped` with a `skipReason`) and those `planned`, computed from the current state, so a moved meeting or due date shows its moments at their new time and a cancelled meeting or resolved issue shows what remains as `skipped`. `meetingId`, `issueId`, `initiativeId` and `status` narrow the list. Reminders about a confidential meeting the caller may not see, or an issue raised in one, are left out. A window of more than 90 days, a `to` not after `from`, or a malformed filter or `cursor` is 400.',
      querystring: ReminderListQuery,
      response: { 200: listOf(Reminder), ...errorResponses },
    },
  }, async (req, reply) => {
    const window = reminderWindow(req.query, new Date());
    const items = await listReminders(app.db, req.auth.organizationId, viewerOf(req.auth), registeredFiringRules(), req.query, window);
    return page(req, reply, items, req.query.limit, (i) => i.key, ({ key: _key, ...item }) => item);
  });
};
