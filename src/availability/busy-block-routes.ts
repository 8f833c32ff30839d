import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { BadRequest, HttpProblem } from '../platform/errors.js';
import { mutate } from '../platform/mutation.js';
import { listOf, page, pageQuery } from '../platform/pagination.js';
import { errorResponses, Id } from '../platform/schemas.js';
import { blockKey, listBusyBlocks, lockPersonForImport, replaceBusyBlocks, toApiBlock } from './busy-blocks.js';
import { importCalendar, tooMany } from './calendar-import.js';
import type { Interval } from './intervals.js';
import { BusyBlock, BusyBlocksImport, BusyBlocksReplaced, BusySource, MAX_BLOCKS, MAX_IMPORT_DAYS, windowQuery } from './schemas.js';
import { readWindow } from './window.js';

const CALENDAR = 'text/calendar';
const tags = ['Availability'];

/** The calendar texts of this request, kept aside by the parser so validation sees null. */
const calendarBodies = new WeakMap<FastifyRequest, string>();

const mediaType = (req: FastifyRequest) => (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();

/** Only JSON and iCalendar are read; anything else is 415 before any work. */
async function jsonOrCalendar(req: FastifyRequest) {
  const type = mediaType(req);
  if (type !== 'application/json' && type !== CALENDAR) throw new HttpProblem(415, 'Send application/json `{ from, to, blocks }` or text/calendar (VFREEBUSY or VEVENTs).');
}

/** Blocks of a JSON import: each ends after it starts and lies within the window. */
function jsonBlocks(body: BusyBlocksImport, from: number, to: number): Interval[] {
  return body.blocks.map((b, i) => {
    const s = Date.parse(b.startsAt);
    const e = Date.parse(b.endsAt);
    if (!(s < e)) throw new BadRequest(`blocks[${i}] must end after it starts.`, [{ path: `body.blocks[${i}].endsAt`, message: 'must be after startsAt' }]);
    if (s < from || e > to) throw new BadRequest(`blocks[${i}] lies outside the window from \`from\` to \`to\`.`, [{ path: `body.blocks[${i}]`, message: 'outside the window' }]);
    return [s, e];
  });
}

export const busyBlockRoutes: FastifyPluginAsyncZod = async (app) => {
  // Registered in this plugin only: no other route reads text/calendar bodies. The text is kept
  // aside and the body handed on as null, as a multipart body is for materials.
  app.addContentTypeParser(CALENDAR, { parseAs: 'string' }, (req, body, done) => {
    calendarBodies.set(req, body as string);
    done(null, null);
  });

  app.put('/v1/people/:personId/busy-blocks/:source', {
    config: { access: 'integration' },
    onRequest: jsonOrCalendar,
    schema: {
      operationId: 'replaceBusyBlocks', tags, summary: 'Replace a calendar source\'s busy time in a window',
      description:
        'A calendar integration reports a person\'s busy time, as JSON `{ from, to, blocks }` or as `text/calendar`: VFREEBUSY periods (all but FBTYPE=FREE), or VEVENTs that hold time (not `TRANSP:TRANSPARENT`, not `STATUS:CANCELLED`), with RRULE, RDATE, EXDATE and RECURRENCE-ID expanded or applied within the window, times read in their TZID (the calendar\'s VTIMEZONE, else the IANA zone of that name) and floating times in the person\'s zone. For a calendar the window is `from`/`to` in the query, else the VFREEBUSY\'s DTSTART and DTEND; events reaching outside it are cut at its edges. In one transaction, the source\'s blocks inside the window are replaced (a block reaching across an edge keeps its part outside). ' +
        `Refuses with 400 a window that does not end after it starts or spans more than ${MAX_IMPORT_DAYS} days, a JSON block outside the window or ending before it starts, more than ${MAX_BLOCKS} blocks (JSON or expanded, as for any array past its limit), and a malformed calendar (naming the line); 413 for a body over the size limit, 415 for another content type; another organisation's person is 404.`,
      params: z.object({ personId: Id, source: BusySource }),
      querystring: z.object({
        from: windowQuery(MAX_IMPORT_DAYS, MAX_IMPORT_DAYS).from.describe('For `text/calendar`: start of the window (default: the VFREEBUSY\'s DTSTART). JSON gives it in the body.'),
        to: windowQuery(MAX_IMPORT_DAYS, MAX_IMPORT_DAYS).to.describe('For `text/calendar`: end of the window (default: the VFREEBUSY\'s DTEND).'),
      }),
      body: BusyBlocksImport.nullable().meta({
        content: {
          'application/json': { schema: { $ref: '#/components/schemas/BusyBlocksImport' } },
          [CALENDAR]: { schema: { type: 'string', description: 'An RFC 5545 calendar with VFREEBUSY or VEVENT components (at most the body size limit, `LIAISON_BODY_LIMIT_BYTES`).' } },
        },
      }),
      response: { 200: BusyBlocksReplaced, ...errorResponses },
    },
  }, async (req, reply) => {
    const { personId, source } = req.params;
    const calendar = calendarBodies.get(req);
    const json = req.body;
    if (calendar === undefined && json === null) throw new BadRequest('The body must be a JSON object.', [{ path: 'body', message: 'expected object' }]);
    if (json && (req.query.from || req.query.to)) {
      throw new BadRequest('A JSON import gives its window in the body.', [{ path: req.query.from ? 'querystring.from' : 'querystring.to', message: 'only for text/calendar' }]);
    }
    return mutate(req, reply, 200, async (rec) => {
      // The person first: another organisation's is 404 whatever the body holds.
      const person = await lockPersonForImport(rec.tx, rec.organizationId, personId);
      let window: { from: number; to: number };
      let blocks: Interval[];
      if (json) {
        window = readWindow(json.from, json.to, MAX_IMPORT_DAYS, 'body');
        blocks = jsonBlocks(json, window.from, window.to);
      } else {
        const asked = req.query.from || req.query.to ? readWindow(req.query.from, req.query.to, MAX_IMPORT_DAYS, 'querystring') : null;
        const imported = importCalendar(calendar!, { timeZone: person.timeZone, window: asked, maxBlocks: MAX_BLOCKS });
        if (!imported.window) {
          throw new BadRequest('The calendar has no VFREEBUSY with DTSTART and DTEND: give the window as `from` and `to` in the query.', [{ path: 'querystring.from', message: 'required for this calendar' }]);
        }
        window = asked ?? readWindow(new Date(imported.window.from).toISOString(), new Date(imported.window.to).toISOString(), MAX_IMPORT_DAYS, 'body');
        blocks = imported.blocks;
      }
      if (blocks.length > MAX_BLOCKS) throw tooMany(MAX_BLOCKS);
      return replaceBusyBlocks(rec, personId, source, new Date(window.from), new Date(window.to), blocks);
    });
  });

  app.get('/v1/people/:personId/busy-blocks', {
    config: { access: 'member' },
    schema: {
      operationId: 'listBusyBlocks', tags, summary: 'A person\'s external busy blocks in a window',
      description:
        `The blocks calendar integrations reported for a person that overlap the window (\`from\` defaults to now, \`to\` to 90 days later), in order of start, a page at a time; \`source\` keeps one source's. Refuses a window that does not end after it starts or spans more than ${MAX_IMPORT_DAYS} days (400); another organisation's person is 404.`,
      params: z.object({ personId: Id }),
      querystring: z.object({ ...windowQuery(MAX_IMPORT_DAYS, 90), source: BusySource.optional(), ...pageQuery }),
      response: { 200: listOf(BusyBlock), ...errorResponses },
    },
  }, async (req, reply) => {
    const { from, to } = readWindow(req.query.from, req.query.to, MAX_IMPORT_DAYS, 'querystring', 90);
    const rows = await listBusyBlocks(app.db, req.auth.organizationId, req.params.personId, { ...req.query, from: new Date(from), to: new Date(to) });
    return page(req, reply, rows, req.query.limit, blockKey, toApiBlock);
  });
};
