import { and, asc, eq, lt, sql } from 'drizzle-orm';
import { meetingSeries } from '../../db/schema/index.js';
import { recordInTransaction } from '../platform/changes.js';
import type { Db } from '../platform/database.js';
import type { PeriodicTask } from '../platform/scheduler-types.js';
import { horizonFrom, materializeOccurrences, SERIES_HORIZON_DAYS } from './create.js';
import { coveredUntil, occurrences } from './recurrence.js';

const SCAN_INTERVAL_MS = 10 * 60_000;
const BATCH = 50;

/**
 * Extends every series whose materialised occurrences end less than the horizon ahead: the
 * occurrences between `materializedUntil` and now + horizon become meetings (scheduled when the
 * series' invitations are out). Series are claimed with SKIP LOCKED and occurrences are unique
 * per (series, original start), so concurrent workers never add one twice. Returns how many
 * meetings it created.
 */
export async function extendSeries(db: Db, now = new Date()): Promise<number> {
  let created = 0;
  const target = new Date(now.getTime() + SERIES_HORIZON_DAYS * 24 * 3600 * 1000);
  for (;;) {
    const n = await recordInTransaction(db, async (tx, recorderFor) => {
      const due = await tx
        .select()
        .from(meetingSeries)
        .where(and(sql`not ${meetingSeries.exhausted}`, lt(meetingSeries.materializedUntil, target))) // literal: matches meeting_series_horizon_idx
        .orderBy(asc(meetingSeries.materializedUntil))
        .limit(BATCH)
        .for('update', { skipLocked: true });
      let made = 0;
      for (const s of due) {
        const rec = recorderFor({ organizationId: s.organizationId, actorKeyId: null, actorPersonId: null, requestId: null });
        const starts = occurrences(s.recurrence, s.timeZone, s.firstStartsAt, s.materializedUntil, horizonFrom(s.firstStartsAt, now));
        const until = coveredUntil(starts, horizonFrom(s.firstStartsAt, now));
        const rows = await materializeOccurrences(rec, s, starts);
        const more = occurrences(s.recurrence, s.timeZone, s.firstStartsAt, until, new Date(until.getTime() + 3660 * 24 * 3600 * 1000), 1).length > 0;
        await tx.update(meetingSeries).set({ materializedUntil: until, exhausted: !more }).where(and(eq(meetingSeries.organizationId, s.organizationId), eq(meetingSeries.id, s.id)));
        made += rows.length;
      }
      return { due: due.length, made };
    });
    created += n.made;
    if (n.due < BATCH) return created;
  }
}

/** The series horizon on the scheduler: every 10 minutes, at the scheduler clock's time. */
export const seriesHorizonTask: PeriodicTask = {
  name: 'seriesHorizon',
  everyMs: SCAN_INTERVAL_MS,
  run: ({ db, now }) => extendSeries(db, now),
};
