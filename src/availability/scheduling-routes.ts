import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { people } from '../../db/schema/index.js';
import type { DbOrTx } from '../platform/database.js';
import { BadRequest, HttpProblem, NotFound, UnknownReference } from '../platform/errors.js';
import { mutate } from '../platform/mutation.js';
import { assertAllReferences } from '../platform/references.js';
import { errorResponses, Id } from '../platform/schemas.js';
import { loadAvailability } from './busy-time.js';
import { findTimes } from './find-times.js';
import { freeBusyPeriods, renderFreeBusy } from './free-busy.js';
import { FindTimesRequest, FindTimesResult, FreeBusy, MAX_ATTENDEES, MAX_AVAILABILITY_DAYS, windowQuery } from './schemas.js';
import { readWindow } from './window.js';

const CALENDAR = 'text/calendar';
const JSON_TYPE = 'application/json';
const tags = ['Availability'];
const MINUTE = 60_000;

/** JSON unless `Accept` prefers text/calendar (q-values, most specific range first). */
function wantsCalendar(req: FastifyRequest): boolean {
  const accept = req.headers.accept;
  if (!accept) return false;
  const ranges = new Map<string, number>();
  for (const part of accept.split(',')) {
    const [range, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = q ? Number(q.slice(2)) : 1;
    ranges.set(range!.trim(), Number.isFinite(value) ? value : 0);
  }
  const qOf = (...specificFirst: string[]) => ranges.get(specificFirst.find((r) => ranges.has(r)) ?? '') ?? 0;
  const calendar = qOf(CALENDAR, 'text/*', '*/*');
  const json = qOf(JSON_TYPE, 'application/*', '*/*');
  if (calendar <= 0 && json <= 0) throw new HttpProblem(406, 'Free/busy is available as application/json or text/calendar.');
  return calendar > json;
}

/** Duplicates and the attendee cap, before anything is read. */
function checkAttendees(body: FindTimesRequest) {
  const seen = new Set<string>();
  for (const [list, ids] of [['required', body.required], ['optional', body.optional]] as const) {
    ids.forEach((id, i) => {
      if (seen.has(id)) throw new BadRequest(`${list}[${i}] names a person already listed.`, [{ path: `body.${list}[${i}]`, message: 'listed twice' }]);
      seen.add(id);
    });
  }
  if (seen.size > MAX_ATTENDEES) throw new BadRequest(`At most ${MAX_ATTENDEES} attendees in all.`, [{ path: 'body.optional', message: `at most ${MAX_ATTENDEES} attendees with required` }]);
}

async function answerFindTimes(db: DbOrTx, organizationId: string, body: FindTimesRequest) {
  checkAttendees(body);
  let window: { from: number; to: number };
  try {
    window = readWindow(body.from, body.to, MAX_AVAILABILITY_DAYS, 'body');
    if (window.to - window.from < body.durationMinutes * MINUTE) throw new BadRequest('The window is shorter than the meeting.', [{ path: 'body.to', message: 'shorter than durationMinutes' }]);
  } catch (err) {
    // Unknown people are named first, as for any body naming ids (one query, nothing else read).
    await assertAllReferences(db, organizationId, 'body.required', people, body.required, 'person');
    await assertAllReferences(db, organizationId, 'body.optional', people, body.optional, 'person');
    throw err;
  }
  const data = await loadAvailability(db, organizationId, [...body.required, ...body.optional], new Date(window.from), new Date(window.to));
  for (const [list, ids] of [['required', body.required], ['optional', body.optional]] as const) {
    const missing = ids.findIndex((id) => !data.people.has(id));
    if (missing >= 0) throw new UnknownReference(`body.${list}[${missing}]`, 'person');
  }
  return findTimes(
    {
      required: body.required,
      optional: body.optional,
      from: window.from,
      to: window.to,
      durationMs: body.durationMinutes * MINUTE,
      granularityMs: body.granularityMinutes * MINUTE,
      respectWorkingHours: body.respectWorkingHours,
      minimumOptional: body.minimumOptional,
      limit: body.limit,
    },
    data,
  );
}

export const schedulingRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/v1/people/:personId/free-busy', {
    config: { access: 'member' },
    schema: {
      operationId: 'getFreeBusy', tags, summary: 'When a person is busy, without saying with what',
      description:
        `Merged busy time in a window (\`from\` defaults to now, \`to\` to 7 days later): \`busy\` for the Liaison meetings the person organises or attends and has not declined (scheduled, in progress or held; not drafts, not cancelled) and for their external blocks, \`busy_unavailable\` for the rest of the time outside their working hours (read in their zone). No title or other detail is shown. \`Accept: text/calendar\` gives the same as an RFC 5545 VFREEBUSY (FBTYPE=BUSY and FBTYPE=BUSY-UNAVAILABLE). Refuses a window that does not end after it starts or spans more than ${MAX_AVAILABILITY_DAYS} days (400) and an \`Accept\` that takes neither (406); another organisation's person is 404.`,
      params: z.object({ personId: Id }),
      querystring: z.object(windowQuery(MAX_AVAILABILITY_DAYS, 7)),
      response: {
        200: {
          description: 'Free/busy as JSON, or as a VFREEBUSY (content negotiation on `Accept`).',
          content: {
            [JSON_TYPE]: { schema: FreeBusy },
            [CALENDAR]: { schema: z.string().describe('An RFC 5545 calendar holding one VFREEBUSY (METHOD:PUBLISH).') },
          },
        },
        406: { description: 'Neither JSON nor iCalendar is acceptable.', content: errorResponses[400].content },
        ...errorResponses,
      },
    },
  }, async (req, reply) => {
    const calendar = wantsCalendar(req);
    const { from, to } = readWindow(req.query.from, req.query.to, MAX_AVAILABILITY_DAYS, 'querystring', 7);
    const data = await loadAvailability(app.db, req.auth.organizationId, [req.params.personId], new Date(from), new Date(to));
    const person = data.people.get(req.params.personId);
    if (!person) throw new NotFound('Person');
    const periods = freeBusyPeriods(person, data.busy.get(person.id)!, from, to);
    reply.header('vary', 'Accept');
    if (calendar) {
      const text = renderFreeBusy(person, periods, from, to, new Date());
      return reply.type(`${CALENDAR}; charset=utf-8`).serializer((s: unknown) => s as string).send(text);
    }
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      personId: person.id,
      from: iso(from),
      to: iso(to),
      timeZone: person.timeZone,
      busy: periods.map((p) => ({ startsAt: iso(p.start), endsAt: iso(p.end), kind: p.kind })),
    };
  });

  app.post('/v1/scheduling/find-times', {
    config: { access: 'member', scope: 'read' },
    schema: {
      operationId: 'findMeetingTimes', tags, summary: 'Find times when the required people are free and at work',
      description:
        `Candidate times of \`durationMinutes\` between \`from\` and \`to\`, on a grid of \`granularityMinutes\`, where every required attendee is free (no Liaison meeting they have not declined, no external block) and, with \`respectWorkingHours\`, inside their working hours in their own zone, across time zones and daylight-saving changes. Ranked by the share of optional attendees free (\`score\`), then earliest; each lists every attendee with \`available\` and, when not, \`reason\`. With none, \`emptyReason\` says why. A meeting is then created from a candidate with \`POST /v1/meetings\` and its \`startsAt\`/\`endsAt\`. Only reads (scope \`read\`); \`Idempotency-Key\` replays the first answer. ` +
        `Refuses with 400: a window that does not end after it starts, is shorter than the meeting or spans more than ${MAX_AVAILABILITY_DAYS} days, more than ${MAX_ATTENDEES} attendees, a person listed twice, and a person who is not one of the organisation's (another organisation's included), naming the entry.`,
      body: FindTimesRequest,
      response: { 200: FindTimesResult, ...errorResponses },
    },
  }, async (req, reply) => {
    const org = req.auth.organizationId;
    if (req.headers['idempotency-key'] === undefined) return answerFindTimes(app.db, org, req.body);
    return mutate(req, reply, 200, (rec) => answerFindTimes(rec.tx, org, req.body));
  });
};
