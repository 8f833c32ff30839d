import t from 'tap';
import { buildTestApp, uniq, type Caller } from './helpers.js';

const DEFAULT_EFFECTIVE = {
  rsvpReminderHours: [48, 24],
  prereadsDue: true,
  prereadReminderHours: [12],
  startingSoonMinutes: [15],
  minutesDueHours: 24,
  issueDueSoonHours: [48],
  issueEscalationHours: 72,
  reportDigest: { rrule: 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0', timeZone: 'UTC' },
};

async function initiative(api: Caller) {
  const person = async (name: string) => (await api.post('/v1/people', { name, email: `${uniq('p')}@example.com` })).body.id as string;
  const res = await api.post('/v1/initiatives', { title: uniq('Launch'), sponsorId: await person('Sponsor'), ownerId: await person('Owner'), departmentIds: [] });
  if (res.status !== 201) throw new Error(`initiative: ${res.status} ${res.text}`);
  return res.body.id as string;
}

t.test('the organisation level: defaults, PUT, ETag and If-Match, audit', async (t) => {
  const api = await buildTestApp(t);
  const fresh = await api.get('/v1/follow-through-policy');
  t.equal(fresh.status, 200, fresh.text);
  t.same(fresh.body, {
    level: 'organization', initiativeId: null, settings: {}, effective: DEFAULT_EFFECTIVE,
    sources: Object.fromEntries(Object.keys(DEFAULT_EFFECTIVE).map((k) => [k, 'default'])), version: 0, updatedAt: null,
  });
  t.equal(fresh.headers.etag, '"v0"');

  const put = await api.put('/v1/follow-through-policy', { rsvpReminderHours: [24, 72], minutesDueHours: null, reportDigest: { rrule: 'FREQ=WEEKLY;BYDAY=FR;BYHOUR=16;BYMINUTE=30', timeZone: 'Asia/Shanghai' } }, { 'if-match': '"v0"' });
  t.equal(put.status, 200, put.text);
  t.equal(put.headers.etag, '"v1"');
  t.match(put.body, {
    settings: { rsvpReminderHours: [24, 72], minutesDueHours: null },
    effective: { ...DEFAULT_EFFECTIVE, rsvpReminderHours: [72, 24], minutesDueHours: null, reportDigest: { rrule: 'FREQ=WEEKLY;BYDAY=FR;BYHOUR=16;BYMINUTE=30', timeZone: 'Asia/Shanghai' } },
    sources: { rsvpReminderHours: 'organization', minutesDueHours: 'organization', prereadsDue: 'default' },
    version: 1, updatedAt: String,
  });
  t.same((await api.get('/v1/follow-through-policy')).body, put.body, 'GET answers what PUT answered');

  const stale = await api.put('/v1/follow-through-policy', {}, { 'if-match': '"v0"' });
  t.equal(stale.status, 412);
  t.match(stale.headers['content-type'], /application\/problem\+json/);
  t.equal((await api.get('/v1/follow-through-policy')).body.version, 1, 'a stale write changes nothing');

  // A whole-level PUT: what is left out goes back to the default.
  const reset = await api.put('/v1/follow-through-policy', { prereadsDue: false }, { 'if-match': '"v1"' });
  t.equal(reset.status, 200);
  t.match(reset.body, { settings: { prereadsDue: false }, effective: { ...DEFAULT_EFFECTIVE, prereadsDue: false }, version: 2 });
  t.notOk('rsvpReminderHours' in reset.body.settings);

  const audit = await api.get(`/v1/audit-events?entityType=follow_through_policy`);
  t.equal(audit.status, 200);
  t.same(audit.body.data.map((a: { action: string }) => a.action).sort(), ['create', 'update']);

  const reader = await api.keyWith(['read', 'write']);
  t.equal((await reader.get('/v1/follow-through-policy')).status, 403, 'reading the organisation policy needs admin');
  const refused = await reader.put('/v1/follow-through-policy', {});
  t.equal(refused.status, 403);
  t.equal((await api.get('/v1/follow-through-policy')).body.version, 2, 'a refused write changes nothing');
});

t.test('an initiative override inherits absent fields, is deleted, and stays in its organisation', async (t) => {
  const api = await buildTestApp(t);
  const id = await initiative(api);
  await api.put('/v1/follow-through-policy', { issueEscalationHours: 48, startingSoonMinutes: [30, 5] });

  const before = await api.get(`/v1/initiatives/${id}/follow-through-policy`);
  t.match(before.body, { level: 'initiative', initiativeId: id, settings: {}, version: 0, effective: { issueEscalationHours: 48, startingSoonMinutes: [30, 5] } });

  const put = await api.put(`/v1/initiatives/${id}/follow-through-policy`, { startingSoonMinutes: [], issueDueSoonHours: [96, 24] });
  t.equal(put.status, 200, put.text);
  t.same(put.body.effective, { ...DEFAULT_EFFECTIVE, issueEscalationHours: 48, startingSoonMinutes: [], issueDueSoonHours: [96, 24] });
  t.match(put.body.sources, { issueEscalationHours: 'organization', startingSoonMinutes: 'initiative', issueDueSoonHours: 'initiative', prereadsDue: 'default' });
  t.equal(put.headers.etag, '"v1"');

  // The organisation changes: the override keeps its own fields and follows the rest.
  await api.put('/v1/follow-through-policy', { issueEscalationHours: 24, startingSoonMinutes: [10] });
  t.match((await api.get(`/v1/initiatives/${id}/follow-through-policy`)).body.effective, { issueEscalationHours: 24, startingSoonMinutes: [] });

  // A read key may read an initiative's policy, not change it.
  const reader = await api.keyWith(['read', 'write']);
  t.equal((await reader.get(`/v1/initiatives/${id}/follow-through-policy`)).status, 200);
  t.equal((await reader.put(`/v1/initiatives/${id}/follow-through-policy`, {})).status, 403);
  t.equal((await reader.del(`/v1/initiatives/${id}/follow-through-policy`)).status, 403);

  t.equal((await api.del(`/v1/initiatives/${id}/follow-through-policy`, { 'if-match': '"v7"' })).status, 412);
  const del = await api.del(`/v1/initiatives/${id}/follow-through-policy`, { 'if-match': '"v1"' });
  t.equal(del.status, 204);
  t.match((await api.get(`/v1/initiatives/${id}/follow-through-policy`)).body, { settings: {}, version: 0, effective: { issueEscalationHours: 24, startingSoonMinutes: [10] } });
  t.equal((await api.del(`/v1/initiatives/${id}/follow-through-policy`)).status, 404, 'no override left to delete');
  const audit = await api.get(`/v1/audit-events?entityType=follow_through_policy`);
  t.ok(audit.body.data.some((a: { action: string; changes: { settings?: unknown } }) => a.action === 'delete' && a.changes.settings), 'the delete is audited with what it removed');

  const other = await api.newOrganization();
  for (const [method, url] of [['GET', `/v1/initiatives/${id}/follow-through-policy`], ['PUT', `/v1/initiatives/${id}/follow-through-policy`], ['DELETE', `/v1/initiatives/${id}/follow-through-policy`]] as const) {
    const res = await other.request(method, url, method === 'PUT' ? {} : undefined);
    t.equal(res.status, 404, `${method} of another organisation's initiative`);
  }
  t.equal((await api.get(`/v1/initiatives/${crypto.randomUUID()}/follow-through-policy`)).status, 404);
});

t.test('a bad policy is 400 naming the field, and nothing is written', async (t) => {
  const api = await buildTestApp(t);
  const id = await initiative(api);
  t.equal((await api.put('/v1/follow-through-policy', { prereadsDue: true })).status, 200);
  const cases: [string, unknown, string][] = [
    ['negative hours', { rsvpReminderHours: [-1] }, 'body.rsvpReminderHours[0]'],
    ['721 hours', { issueDueSoonHours: [24, 721] }, 'body.issueDueSoonHours[1]'],
    ['721 as a single value', { issueEscalationHours: 721 }, 'body.issueEscalationHours'],
    ['fractional hours', { minutesDueHours: 1.5 }, 'body.minutesDueHours'],
    ['six offsets', { prereadReminderHours: [1, 2, 3, 4, 5, 6] }, 'body.prereadReminderHours'],
    ['duplicates', { startingSoonMinutes: [15, 15] }, 'body.startingSoonMinutes'],
    ['a string offset', { rsvpReminderHours: ['48'] }, 'body.rsvpReminderHours[0]'],
    ['bad RRULE', { reportDigest: { rrule: 'FREQ=FORTNIGHTLY' } }, 'body.reportDigest.rrule'],
    ['RRULE rrule refuses', { reportDigest: { rrule: 'FREQ=WEEKLY;BYDAY=XX' } }, 'body.reportDigest.rrule'],
    ['finer than hourly', { reportDigest: { rrule: 'FREQ=MINUTELY' } }, 'body.reportDigest.rrule'],
    ['several minutes an hour', { reportDigest: { rrule: 'FREQ=HOURLY;BYMINUTE=0,30' } }, 'body.reportDigest.rrule'],
    ['a DTSTART', { reportDigest: { rrule: 'DTSTART=20200101T000000Z;FREQ=WEEKLY' } }, 'body.reportDigest.rrule'],
    ['an UNTIL', { reportDigest: { rrule: 'FREQ=WEEKLY;UNTIL=20200101T000000Z' } }, 'body.reportDigest.rrule'],
    ['a day that never comes', { reportDigest: { rrule: 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30' } }, 'body.reportDigest.rrule'],
    ['numbered and plain days mixed (rrule.js would match none)', { reportDigest: { rrule: 'FREQ=MONTHLY;BYDAY=3TU,WE' } }, 'body.reportDigest.rrule'],
    ['a position no week has', { reportDigest: { rrule: 'FREQ=MONTHLY;BYDAY=MO;BYSETPOS=9' } }, 'body.reportDigest.rrule'],
    ['not once a year', { reportDigest: { rrule: 'FREQ=YEARLY;BYMONTH=9;BYMONTHDAY=1;BYDAY=MO' } }, 'body.reportDigest.rrule'],
    ['bad time zone', { reportDigest: { rrule: 'FREQ=DAILY', timeZone: 'Mars/Olympus' } }, 'body.reportDigest.timeZone'],
    ['unknown field', { rsvpReminderHour: [48] }, 'body.rsvpReminderHour'],
    ['unknown digest field', { reportDigest: { rrule: 'FREQ=DAILY', tz: 'UTC' } }, 'body.reportDigest.tz'],
  ];
  const audits = await api.count('audit_events');
  for (const [what, body, path] of cases) {
    for (const url of ['/v1/follow-through-policy', `/v1/initiatives/${id}/follow-through-policy`]) {
      const res = await api.put(url, body);
      t.equal(res.status, 400, `${what} at ${url}: ${res.text}`);
      t.match(res.headers['content-type'], /application\/problem\+json/);
      t.ok(res.body.errors?.some((e: { path: string }) => e.path === path), `${what}: names ${path} (${JSON.stringify(res.body.errors)})`);
    }
  }
  t.equal((await api.get('/v1/follow-through-policy')).body.version, 1, 'the organisation level is unchanged');
  t.equal((await api.get(`/v1/initiatives/${id}/follow-through-policy`)).body.version, 0, 'no override was created');
  t.equal(await api.count('audit_events'), audits, 'no audit record');

  // Accepted edge values: 0 and 720, an empty list, null, an hourly digest, RRULE: prefix.
  const edge = await api.put('/v1/follow-through-policy', {
    rsvpReminderHours: [0, 720], prereadReminderHours: [], issueDueSoonHours: null, prereadsDue: null,
    reportDigest: { rrule: 'RRULE:FREQ=HOURLY;BYMINUTE=5' },
  });
  t.equal(edge.status, 200, edge.text);
  t.match(edge.body.effective, { rsvpReminderHours: [720, 0], prereadReminderHours: [], issueDueSoonHours: [], prereadsDue: false, reportDigest: { rrule: 'RRULE:FREQ=HOURLY;BYMINUTE=5', timeZone: 'UTC' } });
});

t.test('concurrent first writes of a level queue instead of colliding', async (t) => {
  const api = await buildTestApp(t);
  const id = await initiative(api);
  for (const url of ['/v1/follow-through-policy', `/v1/initiatives/${id}/follow-through-policy`]) {
    const answers = await Promise.all([api.put(url, { minutesDueHours: 12 }), api.put(url, { minutesDueHours: 36 })]);
    t.same(answers.map((a) => a.status), [200, 200], `${url}: ${answers.map((a) => a.text).join(' ')}`);
    t.same(answers.map((a) => a.body.version).sort(), [1, 2], `${url}: one created the level, the other changed it`);
    t.equal((await api.get(url)).body.version, 2);
  }
});
