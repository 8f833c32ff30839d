import t from 'tap';
import { and, eq } from 'drizzle-orm';
import { scheduledFirings } from '../db/schema/index.js';
import { eventCatalogue } from '../src/events/catalogue.js';
import pino from 'pino';
import { recordInTransaction } from '../src/platform/changes.js';
import { ManualClock } from '../src/platform/clock.js';
import type { Db } from '../src/platform/database.js';
import { createScheduler } from '../src/platform/scheduler.js';
import { reportDigestRule } from '../src/follow-through/report-digest.js';
import { digestMoments } from '../src/follow-through/report-digest-moments.js';
import { buildTestApp, uniq, type Caller } from './helpers.js';

// The rule runs inside the scheduler (src/platform/scheduler.ts) with a ManualClock: each tick
// claims what `due` answers in scheduled_firings and records `fire`'s events in one transaction.
function schedulerOn(db: Db, clock: ManualClock) {
  const scheduler = createScheduler({ db, log: pino({ level: 'silent' }), clock, rules: [reportDigestRule], tasks: [] });
  /** Ticks at the clock's time and answers the firings this tick recorded. */
  return async () => {
    const report = await scheduler.tick();
    if (report.rules.reportDigest?.error) throw new Error(report.rules.reportDigest.error);
    const rows = await db
      .select()
      .from(scheduledFirings)
      .where(and(eq(scheduledFirings.rule, 'reportDigest'), eq(scheduledFirings.firedAt, report.now)))
      .orderBy(scheduledFirings.moment);
    return rows.map((r) => ({ subjectId: r.subjectId, moment: r.moment.toISOString(), lateBySeconds: r.lateBySeconds, status: r.status, reason: r.reason, eventId: r.eventId, recipients: r.recipients }));
  };
}

async function person(api: Caller, name: string, timeZone?: string) {
  const res = await api.post('/v1/people', { name, email: `${uniq('p')}@example.com`, ...(timeZone ? { timeZone } : {}) });
  if (res.status !== 201) throw new Error(`person: ${res.status} ${res.text}`);
  return { id: res.body.id as string, email: res.body.email as string };
}
async function initiative(api: Caller, title: string, sponsorId: string, ownerId: string, status = 'active') {
  const res = await api.post('/v1/initiatives', { title, sponsorId, ownerId, departmentIds: [], status });
  if (res.status !== 201) throw new Error(`initiative: ${res.status} ${res.text}`);
  return res.body.id as string;
}
const digestEvents = async (api: Caller) => (await api.get('/v1/events?type=initiative.report.ready&limit=200')).body.data as { id: string; data: Record<string, any> }[]; // eslint-disable-line @typescript-eslint/no-explicit-any

t.test('the Monday digest: on time in the policy zone, once, late within a day, never a backlog', async (t) => {
  const api = await buildTestApp(t);
  const db = api.database.db;
  const sponsor = await person(api, 'Jonas Weber', 'Europe/Berlin');
  const owner = await person(api, 'Mei Chen');
  const id = await initiative(api, 'Q3 launch readiness', sponsor.id, owner.id);
  const planned = await initiative(api, 'Not started yet', sponsor.id, owner.id, 'planned');
  const muted = await initiative(api, 'Muted', sponsor.id, owner.id);
  t.equal((await api.put('/v1/follow-through-policy', { reportDigest: { rrule: 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0', timeZone: 'Europe/Berlin' } })).status, 200);
  t.equal((await api.put(`/v1/initiatives/${muted}/follow-through-policy`, { reportDigest: null })).status, 200);

  // Monday 2 March 2026, 08:59 in Berlin (UTC+1): nothing yet.
  const clock = new ManualClock('2026-03-02T07:59:00Z');
  const tick = schedulerOn(db, clock);
  t.same(await tick(), [], 'a minute early: nothing is due');

  clock.set('2026-03-02T08:00:00Z');
  const fired = await tick();
  t.match(fired, [{ subjectId: id, moment: '2026-03-02T08:00:00.000Z', lateBySeconds: 0, status: 'fired' }], 'only the active initiative with the digest on');
  t.equal(fired.length, 1, `not the planned (${planned}) or muted one`);

  const [event, ...more] = await digestEvents(api);
  t.same(more, []);
  const def = eventCatalogue.find((d) => d.type === 'initiative.report.ready')!;
  t.ok(def, 'the type is in the catalogue');
  const parsed = def.data.safeParse(event!.data);
  t.ok(parsed.success, `the payload validates against the catalogue schema ${parsed.success ? '' : JSON.stringify(parsed.error.issues)}`);
  t.same(parsed.data, event!.data, 'and carries nothing the schema does not declare');
  t.match(event!.data, {
    rule: 'reportDigest', dueAt: '2026-03-02T08:00:00.000Z', firedAt: '2026-03-02T08:00:00.000Z', lateBy: 0, timeZone: 'Europe/Berlin',
    recipients: [
      { personId: sponsor.id, name: 'Jonas Weber', email: sponsor.email, timeZone: 'Europe/Berlin', reason: 'sponsor' },
      { personId: owner.id, name: 'Mei Chen', email: owner.email, timeZone: 'Europe/Berlin', reason: 'owner' },
    ],
    report: { initiative: { id, title: 'Q3 launch readiness' }, from: '2026-02-23T08:00:00.000Z', to: '2026-03-02T08:00:00.000Z', sponsor: { id: sponsor.id } },
    markdown: /Q3 launch readiness/,
  });
  const catalogue = await api.get('/v1/event-types');
  t.ok(catalogue.body.data.some((d: { type: string; schema: { properties?: Record<string, unknown> } }) => d.type === 'initiative.report.ready' && d.schema.properties?.markdown), 'GET /v1/event-types lists it with its JSON Schema');
  t.ok(def.data.safeParse(def.example).success, 'the catalogue example validates');

  clock.advance(30_000);
  t.same(await tick(), [], 'a moment fires once');

  // A worker down from Monday 08:59 to Tuesday 08:00 Berlin: the missed digest goes out 23 h late.
  clock.set('2026-03-10T07:00:00Z');
  t.match(await tick(), [{ subjectId: id, moment: '2026-03-09T08:00:00.000Z', lateBySeconds: 23 * 3600, status: 'fired' }]);
  t.match((await digestEvents(api)).at(-1)!.data, { dueAt: '2026-03-09T08:00:00.000Z', lateBy: 23 * 3600, report: { from: '2026-03-02T08:00:00.000Z' } });

  // More than a day late: skipped, and no backlog of missed weeks when the worker comes back.
  clock.set('2026-03-17T09:00:00Z');
  t.same(await tick(), [], 'a digest 25 h late is not sent');
  clock.set('2026-03-23T08:00:05Z');
  t.match(await tick(), [{ moment: '2026-03-23T08:00:00.000Z', lateBySeconds: 5 }], 'only the latest moment, not 16 March');

  // Daylight saving starts on 29 March: 09:00 in Berlin is now 07:00 UTC.
  clock.set('2026-03-30T06:59:59Z');
  t.same(await tick(), []);
  clock.set('2026-03-30T07:00:00Z');
  t.match(await tick(), [{ moment: '2026-03-30T07:00:00.000Z' }]);
  t.equal((await digestEvents(api)).length, 4, 'four digests in all');

  // GET /v1/reminders material: the moments of the window, from the current policy.
  const moments = await reportDigestRule.planned(db, api.organizationId, { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-04-07T00:00:00Z') }, {});
  t.same(
    moments.filter((m) => m.subjectId === id).map((m) => m.moment.toISOString()),
    ['2026-03-02T08:00:00.000Z', '2026-03-09T08:00:00.000Z', '2026-03-16T08:00:00.000Z', '2026-03-23T08:00:00.000Z', '2026-03-30T07:00:00.000Z', '2026-04-06T07:00:00.000Z'],
  );
  t.notOk(moments.some((m) => m.subjectId === muted || m.subjectId === planned), 'nothing planned for the muted or the planned initiative');
  t.match(moments[0]!.recipients, [{ personId: sponsor.id, reason: 'sponsor' }, { personId: owner.id, reason: 'owner' }]);
  t.same(await reportDigestRule.planned(db, api.organizationId, { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-04-07T00:00:00Z') }, { meetingId: id }), [], 'a meeting filter leaves no digest');

  // Completing the initiative ends its digests.
  t.equal((await api.patch(`/v1/initiatives/${id}`, { status: 'completed' })).status, 200);
  clock.set('2026-04-06T07:00:00Z');
  t.same(await tick(), [], 'a completed initiative gets no digest');
});

t.test('an initiative override moves its digest; a policy change between due and fire skips', async (t) => {
  const api = await buildTestApp(t);
  const db = api.database.db;
  const lead = await person(api, 'Ana Lima', 'America/Sao_Paulo');
  const deputy = await person(api, 'Kenji Sato');
  // The organisation's default zone: the zone of people without one, and of a digest without one.
  await api.database.sql`update organizations set default_time_zone = 'Asia/Tokyo' where id = ${api.organizationId}`;
  const id = await initiative(api, 'Overridden', lead.id, deputy.id);
  t.match((await api.get(`/v1/initiatives/${id}/follow-through-policy`)).body.effective.reportDigest, { timeZone: 'Asia/Tokyo' });
  t.equal((await api.put(`/v1/initiatives/${id}/follow-through-policy`, { reportDigest: { rrule: 'FREQ=DAILY;BYHOUR=18;BYMINUTE=0', timeZone: 'America/Sao_Paulo' } })).status, 200);

  const clock = new ManualClock('2026-03-04T21:00:00Z'); // Wednesday 18:00 in São Paulo (UTC−3)
  const tick = schedulerOn(db, clock);
  const fired = await tick();
  t.match(fired, [{ subjectId: id, moment: '2026-03-04T21:00:00.000Z', status: 'fired' }]);
  t.same((fired[0]!.recipients as { timeZone: string }[]).map((r) => r.timeZone), ['America/Sao_Paulo', 'Asia/Tokyo'], "the owner without a zone gets the organisation's");

  // The digest is due, then the override turns it off before the firing runs: it is skipped.
  clock.set('2026-03-05T21:00:00Z');
  const due = await recordInTransaction(db, (tx) => reportDigestRule.due(tx, clock.now(), 10));
  t.equal(due.length, 1);
  t.equal((await api.put(`/v1/initiatives/${id}/follow-through-policy`, { reportDigest: null })).status, 200);
  const outcomes = await recordInTransaction(db, (tx, recorderFor) =>
    reportDigestRule.fire(tx, (org) => recorderFor({ organizationId: org, actorKeyId: null, actorPersonId: null, requestId: null }), due.map((d) => ({ ...d, lateBySeconds: 0 })), clock.now()),
  );
  t.same(outcomes, [{ status: 'skipped', reason: 'policy_changed' }]);

  // A firing a day late or more (a claim the scheduler made after a long outage) is skipped too.
  t.equal((await api.put(`/v1/initiatives/${id}/follow-through-policy`, { reportDigest: { rrule: 'FREQ=DAILY;BYHOUR=18;BYMINUTE=0', timeZone: 'America/Sao_Paulo' } })).status, 200);
  const late = await recordInTransaction(db, (tx, recorderFor) =>
    reportDigestRule.fire(tx, (org) => recorderFor({ organizationId: org, actorKeyId: null, actorPersonId: null, requestId: null }), due.map((d) => ({ ...d, lateBySeconds: 86_400 })), clock.now()),
  );
  t.same(late, [{ status: 'skipped', reason: 'too_late' }]);
  t.equal((await digestEvents(api)).length, 1);
});

t.test('digest moments: anchored cadence, DST, no duplicates', async (t) => {
  const from = new Date('2026-03-01T00:00:00Z');
  const to = new Date('2026-04-01T00:00:00Z');
  const fortnightly = digestMoments('FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;BYHOUR=9;BYMINUTE=0', 'UTC', from, to);
  t.same(digestMoments('FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;BYHOUR=9;BYMINUTE=0', 'UTC', new Date('2026-03-10T00:00:00Z'), to), fortnightly.filter((d) => d >= new Date('2026-03-10T00:00:00Z')), 'the same Mondays whatever the window');
  t.equal(fortnightly.length, 2);
  const hourly = digestMoments('FREQ=HOURLY;BYMINUTE=0', 'Europe/Berlin', new Date('2026-03-28T22:00:00Z'), new Date('2026-03-29T04:00:00Z'));
  t.same(hourly.map((d) => d.toISOString()), ['2026-03-28T22:00:00.000Z', '2026-03-28T23:00:00.000Z', '2026-03-29T00:00:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-29T02:00:00.000Z', '2026-03-29T03:00:00.000Z'], 'each instant once across the spring gap');
  t.same(digestMoments('FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=17', 'Asia/Shanghai', from, to).map((d) => d.toISOString()), ['2026-03-27T09:00:00.000Z']);
});
