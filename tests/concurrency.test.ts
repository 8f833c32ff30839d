import t from 'tap';
import { buildTestApp, uniq, type Answer, type TestApp } from './helpers.js';

// Races the API against itself: duplicate POSTs under one Idempotency-Key, PATCHes under one
// If-Match, agenda reorders, follow-ups of one meeting, and pagination while rows are inserted.

const code = () => uniq('C').replace(/[^A-Za-z0-9]/g, '').slice(0, 30);

async function meetingWithAgenda(api: TestApp, items: number) {
  const person = await api.post('/v1/people', { name: 'Chair', email: `${uniq('chair')}@example.com` });
  const meeting = await api.post('/v1/meetings', {
    title: 'Race',
    startsAt: '2027-05-03T09:00:00Z',
    endsAt: '2027-05-03T10:00:00Z',
    timeZone: 'Europe/Paris',
    participants: [{ personId: person.body.id, role: 'chair' }],
    agendaItems: Array.from({ length: items }, (_, i) => ({ title: `Item ${i + 1}` })),
  });
  if (meeting.status !== 201) throw new Error(`meeting: ${meeting.status} ${meeting.text}`);
  return { meeting: meeting.body, person: person.body };
}

t.test('20 concurrent identical POSTs with one Idempotency-Key create one row; the others replay it or get 409', async (t) => {
  const api = await buildTestApp(t, {}, { poolSize: 10 });
  // Issues have no natural unique field: only the Idempotency-Key can keep the duplicates out.
  const before = await api.count('issues');
  const eventsBefore = await api.count('events');
  const body = { title: 'Raced', priority: 'high' };
  const answers = await Promise.all(Array.from({ length: 20 }, () => api.post('/v1/issues', body, { 'idempotency-key': 'race-1' })));
  t.equal(await api.count('issues'), before + 1, 'exactly one row');
  const created = answers.filter((a) => a.status === 201);
  const conflicts = answers.filter((a) => a.status === 409);
  t.ok(created.length >= 1, `${created.length} answered 201`);
  t.equal(created.length + conflicts.length, 20, `every answer is 201 or 409 (${answers.map((a) => a.status).join(' ')})`);
  t.same(new Set(created.map((a) => a.text)).size, 1, 'every 201 is the identical answer');
  for (const c of conflicts) t.match(c.body, { status: 409, type: '/problems/conflict' }, 'a 409 is a problem');
  // Once the first has committed, a retry replays it.
  const retry = await api.post('/v1/issues', body, { 'idempotency-key': 'race-1' });
  t.equal(retry.status, 201);
  t.equal(retry.text, created[0]!.text, 'a later retry replays the same answer');
  t.equal(await api.count('issues'), before + 1, 'still one row');
  t.equal(await api.count('events'), eventsBefore + 1, 'one event');
});

t.test('concurrent PATCHes with the same If-Match: exactly one wins, the rest are 412', async (t) => {
  const api = await buildTestApp(t, {}, { poolSize: 10 });
  const dept = await api.post('/v1/departments', { name: 'Contended', code: code() });
  const etag = String((await api.get(`/v1/departments/${dept.body.id}`)).headers.etag);
  t.ok(etag, 'the department has an ETag');
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) => api.patch(`/v1/departments/${dept.body.id}`, { name: `Writer ${i}` }, { 'if-match': etag })),
  );
  const statuses = answers.map((a) => a.status);
  t.equal(statuses.filter((s) => s === 200).length, 1, `exactly one 200 (${statuses.join(' ')})`);
  t.equal(statuses.filter((s) => s === 412).length, 19, 'the rest 412');
  const winner = answers.find((a) => a.status === 200)!;
  const after = await api.get(`/v1/departments/${dept.body.id}`);
  t.equal(after.body.version, 2, 'one change applied');
  t.equal(after.body.name, winner.body.name, "the winner's change is the one kept");
  for (const a of answers.filter((x) => x.status === 412)) t.equal(a.headers['content-type'], 'application/problem+json');
});

t.test('concurrent agenda reorders keep positions dense and unique', async (t) => {
  const api = await buildTestApp(t, {}, { poolSize: 10 });
  const { meeting } = await meetingWithAgenda(api, 6);
  const ids: string[] = (await api.get(`/v1/meetings/${meeting.id}/agenda-items`)).body.data.map((i: { id: string }) => i.id);
  t.equal(ids.length, 6);
  const orders = Array.from({ length: 12 }, (_, n) => [...ids].sort((a, b) => ((a.charCodeAt(n % 8) * (n + 3)) % 7) - ((b.charCodeAt(n % 8) * (n + 3)) % 7) || a.localeCompare(b)));
  // Interleave reorders with additions, which also move positions.
  const answers: Answer[] = await Promise.all([
    ...orders.map((itemIds) => api.put(`/v1/meetings/${meeting.id}/agenda-items/order`, { itemIds })),
    ...Array.from({ length: 4 }, (_, i) => api.post(`/v1/meetings/${meeting.id}/agenda-items`, { title: `Added ${i}`, position: 1 })),
  ]);
  const reorders = answers.slice(0, orders.length);
  const adds = answers.slice(orders.length);
  t.ok(adds.every((a) => a.status === 201), `additions: ${adds.map((a) => a.status).join(' ')}`);
  // A reorder that raced an addition names the wrong set of items: a refusal (4xx), never a 5xx.
  for (const r of reorders) t.ok(r.status === 200 || (r.status >= 400 && r.status < 500 && r.status !== 404), `reorder answered ${r.status}`);
  t.ok(reorders.some((r) => r.status === 200), 'some reorders applied');
  const rows = await api.database.sql<{ position: number }[]>`select position from agenda_items where meeting_id = ${meeting.id} order by position`;
  t.same(rows.map((r) => r.position), Array.from({ length: 10 }, (_, i) => i + 1), 'positions are 1..n, dense and unique');
});

t.test('concurrent follow-ups of one meeting carry nothing twice', async (t) => {
  const api = await buildTestApp(t, {}, { poolSize: 10 });
  const { meeting, person } = await meetingWithAgenda(api, 3);
  const items: string[] = (await api.get(`/v1/meetings/${meeting.id}/agenda-items`)).body.data.map((i: { id: string }) => i.id);
  t.equal((await api.patch(`/v1/meetings/${meeting.id}/agenda-items/${items[1]}`, { status: 'deferred' })).status, 200);
  const issues: string[] = [];
  for (let i = 0; i < 2; i++) {
    const res = await api.post(`/v1/meetings/${meeting.id}/issues`, { title: `Open ${i}`, ownerId: person.id });
    t.equal(res.status, 201);
    issues.push(res.body.id);
  }
  const answers = await Promise.all(Array.from({ length: 8 }, () => api.post(`/v1/meetings/${meeting.id}/follow-up`, {})));
  t.same(answers.map((a) => a.status), Array(8).fill(201), 'every follow-up is created');
  const followUps = answers.map((a) => a.body.id as string);
  const carried = await api.database.sql<{ carried_from_id: string | null; issue_id: string | null; meeting_id: string }[]>`
    select carried_from_id, issue_id, meeting_id from agenda_items where meeting_id = any(${followUps}::uuid[])`;
  const fromItems = carried.filter((c) => c.carried_from_id).map((c) => c.carried_from_id!);
  const forIssues = carried.filter((c) => c.issue_id).map((c) => c.issue_id!);
  t.same([...fromItems].sort(), [...items].sort(), 'each open agenda item carried exactly once');
  t.same([...forIssues].sort(), [...issues].sort(), 'each open issue carried exactly once');
  t.equal(new Set(carried.map((c) => c.meeting_id)).size, 1, 'all of it onto one follow-up (the first)');
  const followed = await api.database.sql<{ follow_up_meeting_id: string }[]>`select follow_up_meeting_id from issues where id = any(${issues}::uuid[])`;
  t.equal(new Set(followed.map((r) => r.follow_up_meeting_id)).size, 1, 'the issues point at that one follow-up');
});

t.test('paginating while rows are inserted shows no duplicate and no gap among the rows that existed', async (t) => {
  const api = await buildTestApp(t, {}, { poolSize: 10 });
  const existing = new Set<string>();
  for (let i = 0; i < 60; i++) existing.add((await api.post('/v1/departments', { name: `Before ${String(i).padStart(2, '0')}`, code: code() })).body.id);
  let inserting = true;
  let inserted = 0;
  const writer = (async () => {
    while (inserting) {
      const res = await api.post('/v1/departments', { name: `${inserted % 2 ? 'Aaa' : 'Zzz'} during ${inserted}`, code: code() });
      if (res.status !== 201) throw new Error(`insert: ${res.status} ${res.text}`);
      inserted++;
    }
  })();
  const seen: string[] = [];
  let url: string | null = '/v1/departments?limit=7';
  let pages = 0;
  while (url) {
    const page: Answer = await api.get(url);
    t.equal(page.status, 200);
    seen.push(...page.body.data.map((d: { id: string }) => d.id));
    url = page.body.nextCursor ? `/v1/departments?limit=7&cursor=${encodeURIComponent(page.body.nextCursor)}` : null;
    pages++;
    await new Promise((r) => setTimeout(r, 5)); // let inserts land between pages
  }
  inserting = false;
  await writer;
  t.ok(inserted >= 5, `${inserted} rows inserted during ${pages} pages`);
  t.equal(new Set(seen).size, seen.length, 'no duplicates');
  const missing = [...existing].filter((id) => !seen.includes(id));
  t.same(missing, [], 'every row that existed before pagination started was seen');
});
