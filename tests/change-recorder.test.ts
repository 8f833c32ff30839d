import t from 'tap';
import postgres from 'postgres';
import { randomUUID } from 'node:crypto';
import { buildTestApp } from './helpers.js';
import { recordChanges } from '../src/platform/changes.js';
import { EVENTS_CHANNEL } from '../src/events/outbox.js';
import { departments } from '../db/schema/index.js';

t.test('one transaction, many events: in the order recorded, each with its deliveries, and the audits', async (t) => {
  const api = await buildTestApp(t);
  const hook = async (eventTypes: string[]) => (await api.post('/v1/webhooks', { url: 'http://127.0.0.1:9/never', eventTypes })).body.id as string;
  const star = await hook(['*']);
  const issues = await hook(['issue.*']);
  const invitations = await hook(['meeting.invitation.*']);
  t.equal((await api.patch(`/v1/webhooks/${invitations}`, { enabled: false }, { 'if-match': '"v1"' })).status, 200);
  const ctx = { organizationId: api.organizationId, actorKeyId: null, actorPersonId: null, requestId: 'recorder-test' };
  const about = (id: string) => ({ webhook: { id } });
  const entity = randomUUID();

  const recorded = await recordChanges(api.database.db, ctx, async (rec) => {
    const ids: Record<string, string> = {};
    ids.opened = (await rec.event('issue.opened', { n: 1 })).id;
    await rec.audit({ action: 'create', entityType: 'thing', entityId: entity, after: { name: 'a' } });
    ids.invitation = (await rec.event('meeting.invitation.sent', { n: 2 })).id;
    ids.lookalike = (await rec.event('issues.other', { n: 3 })).id;
    ids.failingStar = (await rec.event('webhook.failing', about(star))).id;
    ids.failingIssues = (await rec.event('webhook.failing', about(issues))).id;
    ids.test = (await rec.event('webhook.test', about(star))).id;
    await rec.audit({ action: 'update', entityType: 'thing', entityId: entity, before: { name: 'a' }, after: { name: 'b' } });
    const ordered: string[] = [];
    for (let i = 0; i < 40; i++) ordered.push((await rec.event('test.order', { i })).id);
    return { ids, ordered, occurredAt: rec.events[0]!.occurredAt };
  });

  const log = (await api.get('/v1/events?limit=200')).body.data as { id: string; timestamp: string }[];
  const { ids, ordered } = recorded;
  t.same(log.map((e) => e.id), [ids.opened, ids.invitation, ids.lookalike, ids.failingStar, ids.failingIssues, ids.test, ...ordered], 'the log holds them in the order recorded');
  t.equal(log[0]!.timestamp, recorded.occurredAt.toISOString(), 'the time rec.event answered is the time stored');

  const rows = await api.database.sql<{ webhook_id: string; event_id: string; status: string }[]>`
    select webhook_id::text, event_id::text, status from webhook_deliveries where organization_id = ${api.organizationId} and event_type <> 'test.order'`;
  const got = rows.map((r) => `${r.event_id === ids.opened ? 'opened' : r.event_id === ids.invitation ? 'invitation' : r.event_id === ids.lookalike ? 'lookalike' : r.event_id === ids.failingStar ? 'failingStar' : r.event_id === ids.failingIssues ? 'failingIssues' : 'test'} → ${r.webhook_id === star ? 'star' : r.webhook_id === issues ? 'issues' : 'invitations'} ${r.status}`);
  t.same(got.sort(), [
    'failingIssues → star pending', // about `issues`: not sent to it; `star` hears of it
    'invitation → invitations skipped', // `meeting.invitation.*`, disabled
    'invitation → star pending',
    'lookalike → star pending', // `issue.*` does not select `issues.other`
    'opened → issues pending',
    'opened → star pending',
  ].sort(), 'each endpoint subscribed gets one delivery; webhook.test and the endpoint a failure is about get none');
  const [{ n }] = await api.database.sql<{ n: number }[]>`
    select count(*)::int as n from webhook_deliveries where organization_id = ${api.organizationId} and event_type = 'test.order' and webhook_id = ${star}`;
  t.equal(n, 40, 'the 40 others went to `*`');

  const audits = (await api.get(`/v1/audit-events?entityId=${entity}`)).body.data;
  t.match(audits.find((a: { action: string }) => a.action === 'create'), { entityType: 'thing', changes: { name: { before: null, after: 'a' } }, requestId: 'recorder-test' });
  t.same(audits.map((a: { action: string }) => a.action).sort(), ['create', 'update']);
  t.match(audits.find((a: { action: string }) => a.action === 'update'), { entityType: 'thing', changes: { name: { before: 'a', after: 'b' } }, requestId: 'recorder-test' });
});

t.test('a change that fails after recording leaves no event, audit or delivery, and wakes nobody', async (t) => {
  const api = await buildTestApp(t);
  await api.post('/v1/webhooks', { url: 'http://127.0.0.1:9/never', eventTypes: ['*'] });
  const listener = postgres(api.database.url, { max: 1, onnotice: () => {} });
  t.teardown(() => listener.end({ timeout: 1 }));
  const heard: string[] = [];
  await listener.listen(EVENTS_CHANNEL, (p) => heard.push(p));
  const counts = async () => [await api.count('events'), await api.count('audit_events'), await api.count('webhook_deliveries')];
  const before = await counts();
  const ctx = { organizationId: api.organizationId, actorKeyId: null, actorPersonId: null, requestId: null };
  await t.rejects(
    recordChanges(api.database.db, ctx, async (rec) => {
      await rec.event('issue.opened', { n: 1 });
      await rec.audit({ action: 'create', entityType: 'thing', entityId: randomUUID(), after: { a: 1 } });
      throw new Error('the change fails');
    }),
    /the change fails/,
  );
  // A failure inside the one statement that writes them (sent with the COMMIT, in its round
  // trip) rolls everything back too, the change's own row included, and fails the caller with
  // that statement's error.
  const departmentsBefore = await api.count('departments');
  await t.rejects(
    recordChanges(api.database.db, ctx, async (rec) => {
      await rec.tx.insert(departments).values({ organizationId: api.organizationId, name: 'Rolled back', code: 'ROLLED' });
      await rec.event('issue.opened', { n: 2 });
      await rec.audit({ action: 'create', entityType: 'thing', entityId: 'not-a-uuid', after: { a: 1 } });
    }),
    { cause: { code: '22P02' } },
  );
  t.equal(await api.count('departments'), departmentsBefore, "the change's row was rolled back with its failed audit");
  await new Promise((r) => setTimeout(r, 300));
  t.same(await counts(), before, 'nothing written');
  t.same(heard, [], 'no hint sent');

  await recordChanges(api.database.db, ctx, (rec) => rec.event('issue.opened', { n: 3 }));
  for (let i = 0; i < 100 && heard.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  t.same(heard, [api.organizationId], 'a committed one wakes listeners, once');
});

t.test('wake-ups are coalesced: many concurrent writes share a few NOTIFY statements, sent outside their transactions', async (t) => {
  const api = await buildTestApp(t);
  const other = await api.newOrganization();
  const listener = postgres(api.database.url, { max: 1, onnotice: () => {} });
  t.teardown(() => listener.end({ timeout: 1 }));
  const heard: string[] = [];
  await listener.listen(EVENTS_CHANNEL, (p) => heard.push(p));
  const options = (api.database.sql as unknown as { options: { debug?: unknown } }).options;
  let notifies = 0;
  const inTransaction = new Set<number>();
  let insideOne = 0;
  options.debug = (conn: number, query: string) => {
    if (/^\s*begin/i.test(query)) inTransaction.add(conn);
    if (/^\s*(commit|rollback)/i.test(query)) inTransaction.delete(conn);
    if (/pg_notify/.test(query)) {
      notifies++;
      if (inTransaction.has(conn)) insideOne++;
    }
  };
  const WRITES = 60;
  try {
    await Promise.all(
      Array.from({ length: WRITES }, (_, i) =>
        recordChanges(api.database.db, { organizationId: i % 2 ? api.organizationId : other.organizationId, actorKeyId: null, actorPersonId: null, requestId: null }, (rec) =>
          rec.event('test.coalesced', { i }),
        ),
      ),
    );
    for (let i = 0; i < 100 && new Set(heard).size < 2; i++) await new Promise((r) => setTimeout(r, 10));
  } finally {
    options.debug = undefined;
  }
  t.comment(`${WRITES} writes, ${notifies} NOTIFY statements, ${heard.length} hints heard`);
  t.equal(insideOne, 0, 'none inside a transaction');
  t.ok(notifies >= 1 && notifies <= WRITES / 4, `a few statements for ${WRITES} writes (${notifies})`);
  t.same(new Set(heard), new Set([api.organizationId, other.organizationId]), 'each organisation is woken');
  t.ok(heard.length <= 2 * notifies, 'at most one hint per organisation and statement');
});
