import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../platform/database.js';
import { BadRequest } from '../platform/errors.js';
import { decodeCursor } from '../platform/pagination.js';
import type { FiringRule, PlannedFiring, ReminderFilter } from '../platform/scheduler-types.js';
import type { Recipient } from './recipients.js';
import { inVisibleMeeting, meetingVisible, type Viewer } from '../access/viewer.js';
import { DEFAULT_WINDOW_DAYS, MAX_WINDOW_DAYS, type Reminder, type ReminderListQuery, type ReminderStatus } from './reminders-schemas.js';

const DAY_MS = 86_400_000;

export interface ReminderWindow {
  from: Date;
  to: Date;
}

/** The listing's window: `from` defaults to now, `to` to 14 days after `from`; at most 90 days, never empty (400). */
export function reminderWindow(q: Pick<ReminderListQuery, 'from' | 'to'>, now: Date): ReminderWindow {
  const from = q.from ? new Date(q.from) : now;
  const to = q.to ? new Date(q.to) : new Date(from.getTime() + DEFAULT_WINDOW_DAYS * DAY_MS);
  if (to <= from) throw new BadRequest('`to` must be after `from`.', [{ path: 'querystring.to', message: 'not after from' }]);
  if (to.getTime() - from.getTime() > MAX_WINDOW_DAYS * DAY_MS) {
    throw new BadRequest(`The window from \`from\` to \`to\` may span at most ${MAX_WINDOW_DAYS} days.`, [{ path: 'querystring.to', message: `more than ${MAX_WINDOW_DAYS} days after from` }]);
  }
  return { from, to };
}

type Key = [fireAt: string, rule: string, subjectId: string];
export type ReminderItem = Reminder & { key: Key };

/** The page's sort key: fireAt, then rule and subject compared by code point (`collate "C"` in SQL). */
const compare = (a: Key, b: Key) => (a[0] !== b[0] ? Date.parse(a[0]) - Date.parse(b[0]) : a[1] !== b[1] ? (a[1] < b[1] ? -1 : 1) : a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0);

function cursorKey(cursor: string | undefined): Key | null {
  const c = decodeCursor(cursor, 3);
  if (!c) return null;
  const [at, rule, subjectId] = c;
  if (typeof at !== 'string' || typeof rule !== 'string' || typeof subjectId !== 'string' || Number.isNaN(Date.parse(at)) || !/^[0-9a-f-]{36}$/.test(subjectId)) {
    throw new BadRequest('The cursor is not valid; pass `nextCursor` from a previous page unchanged.', [{ path: 'querystring.cursor', message: 'invalid cursor' }]);
  }
  return [new Date(at).toISOString(), rule, subjectId];
}

type FiringRow = {
  rule: string; subjectType: Reminder['subject']['type']; subjectId: string; moment: string | Date; status: 'fired' | 'skipped';
  reason: string | null; eventId: string | null; recipients: Recipient[]; lateBySeconds: number;
};

/** What narrows scheduled_firings to the filter's subjects (the same subjects the rules' `planned` narrow to). */
function subjectFilter(organizationId: string, f: ReminderFilter): SQL[] {
  const out: SQL[] = [];
  if (f.meetingId) out.push(sql`f.subject_type = 'meeting' and f.subject_id = ${f.meetingId}::uuid`);
  if (f.issueId) out.push(sql`f.subject_type = 'issue' and f.subject_id = ${f.issueId}::uuid`);
  if (f.initiativeId) {
    out.push(sql`(f.subject_id = ${f.initiativeId}::uuid
      or f.subject_id in (select id from meetings where organization_id = ${organizationId}::uuid and initiative_id = ${f.initiativeId}::uuid)
      or f.subject_id in (select id from issues where organization_id = ${organizationId}::uuid and initiative_id = ${f.initiativeId}::uuid))`);
  }
  return out;
}

/**
 * The condition that the subject (`subjectType`, `subjectId`) is a meeting the viewer may not
 * see, or an issue raised in one (SPEC §8); null for a viewer who sees all. A subject that no
 * longer exists is not hidden (it shows nothing of a meeting).
 */
function hiddenSubject(viewer: Viewer, organizationId: string, subjectType: SQL, subjectId: SQL): SQL | null {
  if (viewer.kind === 'all') return null;
  const org = sql`${organizationId}::uuid`;
  return sql`((${subjectType} = 'meeting' and exists (select 1 from meetings m where m.organization_id = ${org} and m.id = ${subjectId}
        and not ${meetingVisible(viewer, sql.raw('m'))}))
    or (${subjectType} = 'issue' and exists (select 1 from issues i where i.organization_id = ${org} and i.id = ${subjectId}
        and not ${inVisibleMeeting(viewer, org, sql.raw('i.meeting_id'))})))`;
}

const fromRow = (r: FiringRow): ReminderItem => {
  const fireAt = new Date(r.moment).toISOString();
  return {
    key: [fireAt, r.rule, r.subjectId],
    rule: r.rule,
    fireAt,
    status: r.status,
    subject: { type: r.subjectType, id: r.subjectId },
    recipients: r.recipients,
    ...(r.eventId ? { eventId: r.eventId } : {}),
    ...(r.status === 'skipped' && r.reason ? { skipReason: r.reason } : {}),
    lateBy: r.lateBySeconds,
  };
};

const fromPlanned = (p: PlannedFiring): ReminderItem => {
  const fireAt = p.moment.toISOString();
  return {
    key: [fireAt, p.rule, p.subjectId],
    rule: p.rule,
    fireAt,
    status: p.skipReason ? 'skipped' : 'planned',
    subject: { type: p.subjectType, id: p.subjectId },
    recipients: p.recipients as Recipient[],
    ...(p.skipReason ? { skipReason: p.skipReason } : {}),
  };
};

/**
 * The first `limit + 1` reminders of the window after the cursor, in (fireAt, rule, subject)
 * order: the recorded firings (one range scan of scheduled_firings_moment_idx) merged with each
 * rule's planned moments computed from the current state, where a planned moment that has a
 * firing shows the firing. Cost: one query per rule's `planned` and two here per stretch of the
 * window looked at (see below), whatever the page.
 */
export async function listReminders(
  db: Db, organizationId: string, viewer: Viewer, rules: FiringRule[], q: ReminderListQuery, window: ReminderWindow,
): Promise<ReminderItem[]> {
  const after = cursorKey(q.cursor);
  const statuses = new Set<ReminderStatus>(q.status?.length ? q.status : ['planned', 'fired', 'skipped']);
  const filter: ReminderFilter = { meetingId: q.meetingId, issueId: q.issueId, initiativeId: q.initiativeId };
  const hidden = hiddenSubject(viewer, organizationId, sql.raw('f.subject_type'), sql.raw('f.subject_id'));
  const keyset = after ? sql`and (f.moment, f.rule collate "C", f.subject_id) > (${after[0]}::timestamptz, ${after[1]} collate "C", ${after[2]}::uuid)` : sql``;
  const recorded = (await db.execute(sql`
    select f.rule, f.subject_type as "subjectType", f.subject_id as "subjectId", f.moment, f.status, f.reason, f.event_id as "eventId",
      f.recipients, f.late_by_seconds as "lateBySeconds"
    from scheduled_firings f
    where f.organization_id = ${organizationId}::uuid and f.moment >= ${window.from.toISOString()}::timestamptz and f.moment < ${window.to.toISOString()}::timestamptz
      and f.status = any(${`{${[...statuses].join(',')}}`}::text[]) ${keyset}
      ${sql.join(subjectFilter(organizationId, filter).map((c) => sql` and ${c}`))}
      ${hidden ? sql`and not ${hidden}` : sql``}
    order by f.moment, f.rule collate "C", f.subject_id
    limit ${q.limit + 1}`)) as unknown as FiringRow[];
  const items = recorded.map(fromRow);

  if (!statuses.has('planned') && !statuses.has('skipped')) return items.sort((a, b) => compare(a.key, b.key)).slice(0, q.limit + 1);

  // Planned moments before the cursor cannot be on this page.
  const from = after && Date.parse(after[0]) > window.from.getTime() ? new Date(after[0]) : window.from;
  // The rules compute planned moments from the current state, which costs what the window holds:
  // a page looks at a first stretch of the window and widens it only while that stretch has too
  // few moments to fill the page, so the first page of a busy organisation stays cheap.
  for (let span = FIRST_SPAN_MS; ; span *= 4) {
    const to = new Date(Math.min(window.to.getTime(), from.getTime() + span));
    const whole = to.getTime() === window.to.getTime();
    const page = await plannedPage(db, organizationId, viewer, rules, filter, statuses, after, { from, to });
    // Recorded firings past the stretch are left for a wider one, so the two agree on where the page ends.
    const recordedHere = whole ? items : items.filter((i) => Date.parse(i.fireAt) < to.getTime());
    const seen = new Set(recordedHere.map((i) => i.key.join('/')));
    const merged = [...recordedHere, ...page.filter((p) => !seen.has(p.key.join('/')))];
    if (whole || merged.length > q.limit) return merged.sort((a, b) => compare(a.key, b.key)).slice(0, q.limit + 1);
  }
}

/** The first stretch of the window a page computes planned moments for (widened fourfold as needed). */
const FIRST_SPAN_MS = 3_600_000;

/**
 * The planned (and suppressed) moments of [window.from, window.to) after the cursor, without the
 * ones that were recorded (those show as recorded, whatever their status).
 */
async function plannedPage(
  db: Db, organizationId: string, viewer: Viewer, rules: FiringRule[], filter: ReminderFilter, statuses: Set<ReminderStatus>, after: Key | null, window: ReminderWindow,
): Promise<ReminderItem[]> {
  const planned = (await Promise.all(rules.map((r) => r.planned(db, organizationId, window, filter))))
    .flat()
    .filter((p) => p.organizationId === organizationId && p.moment >= window.from && p.moment < window.to)
    .filter((p) => (!filter.meetingId || (p.subjectType === 'meeting' && p.subjectId === filter.meetingId)) && (!filter.issueId || (p.subjectType === 'issue' && p.subjectId === filter.issueId)))
    .map(fromPlanned)
    .filter((p) => statuses.has(p.status) && (!after || compare(p.key, after) > 0));
  // Whether each was recorded, and whether its subject is hidden from the viewer, in one query.
  const { recorded: existing, hidden } = planned.length === 0 ? { recorded: new Set<string>(), hidden: new Set<string>() } : await recordedKeys(db, organizationId, viewer, planned);
  const unique = new Map<string, ReminderItem>();
  for (const p of planned) {
    const k = p.key.join('/');
    if (!existing.has(k) && !hidden.has(`${p.subject.type}/${p.subject.id}`) && !unique.has(k)) unique.set(k, p);
  }
  return [...unique.values()];
}

/**
 * Which of these (fireAt, rule, subject) keys have a row in scheduled_firings, and (for a viewer
 * who does not see all) which subjects are hidden from the viewer (`type/id`), in one query.
 */
async function recordedKeys(db: Db, organizationId: string, viewer: Viewer, items: ReminderItem[]): Promise<{ recorded: Set<string>; hidden: Set<string> }> {
  const keys = JSON.stringify(items.map(({ key: [moment, rule, subject_id], subject }) => ({ moment, rule, subject_id, subject_type: subject.type })));
  const hidden = hiddenSubject(viewer, organizationId, sql.raw('k.subject_type'), sql.raw('k.subject_id'));
  const rows = (await db.execute(
    hidden
      ? sql`
    select k.moment, k.rule, k.subject_id as "subjectId", k.subject_type as "subjectType", f.subject_id is not null as recorded, ${hidden} as hidden
    from jsonb_to_recordset(${keys}::jsonb) as k(moment timestamptz, rule text, subject_id uuid, subject_type text)
    left join scheduled_firings f on f.organization_id = ${organizationId}::uuid and f.rule = k.rule and f.subject_id = k.subject_id and f.moment = k.moment`
      : sql`
    select f.moment, f.rule, f.subject_id as "subjectId", f.subject_type as "subjectType", true as recorded, false as hidden
    from jsonb_to_recordset(${keys}::jsonb) as k(moment timestamptz, rule text, subject_id uuid, subject_type text)
    join scheduled_firings f on f.organization_id = ${organizationId}::uuid and f.rule = k.rule and f.subject_id = k.subject_id and f.moment = k.moment`,
  )) as unknown as { moment: string | Date; rule: string; subjectId: string; subjectType: string; recorded: boolean; hidden: boolean }[];
  return {
    recorded: new Set(rows.filter((r) => r.recorded).map((r) => `${new Date(r.moment).toISOString()}/${r.rule}/${r.subjectId}`)),
    hidden: new Set(rows.filter((r) => r.hidden).map((r) => `${r.subjectType}/${r.subjectId}`)),
  };
}
