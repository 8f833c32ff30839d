import { z } from 'zod';
import { Id, text, Timestamp, timeZone } from '../platform/schemas.js';
import { WorkingHours } from './working-hours.js';

/** At most this many blocks in one import, JSON or calendar (a larger import is split by window). */
export const MAX_BLOCKS = 5000;
/** The longest import window. */
export const MAX_IMPORT_DAYS = 400;
/** The longest window free/busy and find-times look at. */
export const MAX_AVAILABILITY_DAYS = 62;
export const MAX_ATTENDEES = 100;

// ---- Organisation settings ----

export const Organization = z
  .object({
    id: Id,
    name: z.string(),
    slug: z.string().describe('The organisation\'s fixed short name.'),
    defaultTimeZone: z.string().describe('The zone of people who have none (`UTC` until set).'),
    defaultWorkingHours: WorkingHours.describe('The working hours of people who have none (Monday to Friday, 09:00 to 17:00 until set).'),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    version: z.number().int().min(1),
  })
  .meta({ id: 'Organization' });

export const OrganizationPatch = z
  .strictObject({
    name: text(200),
    defaultTimeZone: timeZone.nullable().describe('`null` goes back to `UTC`.'),
    defaultWorkingHours: WorkingHours.nullable().describe('`null` goes back to Monday to Friday, 09:00 to 17:00.'),
  })
  .partial()
  .meta({ id: 'OrganizationPatch' });
export type OrganizationPatch = z.infer<typeof OrganizationPatch>;

// ---- External busy blocks ----

export const BusySource = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lower-case letters, digits, `.`, `_` or `-`, at most 64 characters')
  .describe('Which calendar the blocks come from (e.g. `google`, `exchange-main`); each import replaces only its own source\'s blocks.');

const BlockTimes = z.strictObject({ startsAt: Timestamp, endsAt: Timestamp });

export const BusyBlocksImport = z
  .strictObject({
    from: Timestamp.describe('Start of the window this import covers.'),
    to: Timestamp.describe(`End of the window; at most ${MAX_IMPORT_DAYS} days after \`from\`.`),
    blocks: z.array(BlockTimes).max(MAX_BLOCKS).describe('Every busy time of the source inside the window; each must lie within it.'),
  })
  .meta({ id: 'BusyBlocksImport' });
export type BusyBlocksImport = z.infer<typeof BusyBlocksImport>;

export const BusyBlock = z
  .object({ id: Id, source: z.string(), startsAt: Timestamp, endsAt: Timestamp, createdAt: Timestamp })
  .meta({ id: 'BusyBlock', description: 'A span of external busy time: only when, never what.' });

export const BusyBlocksReplaced = z
  .object({
    personId: Id,
    source: z.string(),
    from: Timestamp,
    to: Timestamp,
    removed: z.number().int().describe('Blocks of this source the window held before (those reaching outside it were cut at its edges).'),
    blocks: z.array(BusyBlock).describe('The source\'s blocks in the window now, in order.'),
  })
  .meta({ id: 'BusyBlocksReplaced' });

/** `from` and `to` of a window read, both optional with defaults. */
export const windowQuery = (days: number, defaultDays: number) => ({
  from: Timestamp.optional().describe('Default: now.'),
  to: Timestamp.optional().describe(`Default: ${defaultDays} days after \`from\`; at most ${days} days after it.`),
});

// ---- Free/busy ----

export const BusyKind = z
  .enum(['busy', 'busy_unavailable'])
  .meta({ id: 'BusyKind', description: '`busy`: a meeting or an external block; `busy_unavailable`: outside working hours.' });

export const BusyPeriod = z.object({ startsAt: Timestamp, endsAt: Timestamp, kind: BusyKind }).meta({ id: 'BusyPeriod' });

export const FreeBusy = z
  .object({
    personId: Id,
    from: Timestamp,
    to: Timestamp,
    timeZone: z.string().describe('The zone the working hours were read in (the person\'s, else the organisation\'s).'),
    busy: z.array(BusyPeriod).describe('In order and never overlapping; whatever is not listed is free.'),
  })
  .meta({ id: 'FreeBusy' });

// ---- Find a time ----

const attendeeList = (what: string) =>
  z
    .array(Id)
    .max(MAX_ATTENDEES)
    .describe(`${what}; at most ${MAX_ATTENDEES} attendees in all.`);

export const FindTimesRequest = z
  .strictObject({
    required: attendeeList('People who must all be free').min(1),
    optional: attendeeList('People it would be good to have').default([]),
    durationMinutes: z.number().int().min(5).max(1440),
    from: Timestamp.describe('Earliest start.'),
    to: Timestamp.describe(`Latest end; at most ${MAX_AVAILABILITY_DAYS} days after \`from\`.`),
    granularityMinutes: z.number().int().min(5).max(120).default(15).describe('Candidates start on multiples of this many minutes (counted from 00:00 UTC).'),
    respectWorkingHours: z.boolean().default(true).describe('Candidates lie inside every required attendee\'s working hours.'),
    minimumOptional: z.number().min(0).max(1).default(0).describe('The share of optional attendees (0 to 1) a candidate must have free.'),
    limit: z.number().int().min(1).max(50).default(10),
  })
  .meta({ id: 'FindTimesRequest' });
export type FindTimesRequest = z.infer<typeof FindTimesRequest>;

export const AttendeeReason = z
  .enum(['busy', 'outside_working_hours'])
  .meta({ id: 'AttendeeReason', description: 'Why an attendee is not available: a meeting or block overlaps, or the slot is outside their working hours.' });

export const EmptyReason = z
  .enum(['no_common_working_hours', 'all_busy', 'too_few_optional'])
  .meta({
    id: 'EmptyReason',
    description:
      '`no_common_working_hours`: the required attendees\' working hours share no span of the duration in the window; `all_busy`: they do, but meetings and blocks fill it; `too_few_optional`: free slots exist, but none with `minimumOptional` of the optional attendees.',
  });

export const Candidate = z
  .object({
    startsAt: Timestamp,
    endsAt: Timestamp,
    score: z.number().min(0).max(1).describe('The share of optional attendees free (1 when there are none).'),
    attendees: z.array(
      z.object({
        personId: Id,
        required: z.boolean(),
        available: z.boolean(),
        reason: AttendeeReason.nullable(),
      }),
    ),
  })
  .meta({ id: 'Candidate' });

export const FindTimesResult = z
  .object({
    candidates: z.array(Candidate).describe('Most optional attendees first, then earliest.'),
    emptyReason: EmptyReason.nullable().describe('Why there is no candidate; null when there are some.'),
  })
  .meta({ id: 'FindTimesResult' });
export type FindTimesResult = z.infer<typeof FindTimesResult>;
