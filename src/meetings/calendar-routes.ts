import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { findPerson } from '../directory/people.js';
import { BadRequest } from '../platform/errors.js';
import { attachmentDisposition } from '../platform/header-parameters.js';
import { errorResponses, Id, Timestamp } from '../platform/schemas.js';
import { loadCalendarData, renderCalendar } from './calendar.js';
import { personMeetings } from './list.js';
import { findMeeting } from './queries.js';
import { viewerOf } from '../access/viewer.js';

const DAY = 24 * 3600 * 1000;
const MAX_WINDOW_DAYS = 400;
const MAX_MEETINGS = 1000;

const calendarResponse = {
  200: { description: 'An RFC 5545 calendar (text/calendar).', content: { 'text/calendar': { schema: z.string() } } },
  ...errorResponses,
};

export const calendarRoutes: FastifyPluginAsyncZod = async (app) => {
  const tags = ['Calendar'];

  app.get('/v1/meetings/:meetingId/calendar.ics', {
    config: { access: 'member' },
    schema: {
      operationId: 'getMeetingCalendar', tags, summary: 'The meeting as iCalendar (METHOD:REQUEST, or METHOD:CANCEL once cancelled)',
      description:
        'The meeting as an RFC 5545 calendar (`text/calendar`, as an attachment) that calendar clients import: METHOD:REQUEST with the organizer, the attendees and their answers, and the series\' RRULE for an occurrence; METHOD:CANCEL once cancelled. An unknown meeting is 404.',
      params: z.object({ meetingId: Id }), response: calendarResponse,
    },
  }, async (req, reply) => {
    const org = req.auth.organizationId;
    const meeting = await findMeeting(app.db, org, req.params.meetingId);
    const text = renderCalendar(await loadCalendarData(app.db, org, [meeting]), meeting.status === 'cancelled' ? 'CANCEL' : 'REQUEST');
    return reply
      .type('text/calendar; charset=utf-8')
      .header('content-disposition', attachmentDisposition(`meeting-${meeting.id}.ics`))
      .serializer((x: unknown) => x as string)
      .send(text);
  });

  app.get('/v1/people/:personId/calendar.ics', {
    config: { access: 'member' },
    schema: {
      operationId: 'getPersonCalendar', tags, summary: 'A person\'s meetings in a window as an iCalendar feed (METHOD:PUBLISH)',
      description:
        'The meetings a person takes part in or organises, starting within a window, as one METHOD:PUBLISH feed (`text/calendar`, at most 1000 meetings); confidential meetings the caller may not see are left out. `from` defaults to 30 days ago, `to` to 210 days after `from` (180 days ahead). Refuses a window that does not end after it starts or spans more than 400 days (400); an unknown person is 404.',
      params: z.object({ personId: Id }),
      querystring: z.object({
        from: Timestamp.optional().describe('Default: 30 days ago.'),
        to: Timestamp.optional().describe(`Default: 180 days ahead; at most ${MAX_WINDOW_DAYS} days after \`from\`.`),
      }),
      response: calendarResponse,
    },
  }, async (req, reply) => {
    const org = req.auth.organizationId;
    await findPerson(app.db, org, req.params.personId);
    const from = req.query.from ? new Date(req.query.from) : new Date(Date.now() - 30 * DAY);
    const to = req.query.to ? new Date(req.query.to) : new Date(from.getTime() + 210 * DAY);
    if (to <= from || to.getTime() - from.getTime() > MAX_WINDOW_DAYS * DAY) {
      throw new BadRequest(`The window must end after it starts and span at most ${MAX_WINDOW_DAYS} days.`, [{ path: 'querystring.to', message: 'invalid window' }]);
    }
    const rows = await personMeetings(app.db, org, viewerOf(req.auth), req.params.personId, from, to, MAX_MEETINGS);
    const text = renderCalendar(await loadCalendarData(app.db, org, rows), 'PUBLISH');
    return reply.type('text/calendar; charset=utf-8').serializer((x: unknown) => x as string).send(text);
  });
};
