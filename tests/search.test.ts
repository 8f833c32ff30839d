import t from 'tap';
import { materials } from '../db/schema/index.js';
import { buildTestApp } from './helpers.js';
import { meetingRow, person } from './outcomes-helpers.js';

type Hit = { type: string; id: string; title: string; snippet: string; rank: number; meetingId: string | null };

t.test('search finds Chinese and English text across types, ranked, scoped and paginated', async (t) => {
  const api = await buildTestApp(t);
  const db = api.database.db;
  const org = api.organizationId;
  const lin = await person(api, 'Lin');
  const coord = await meetingRow(db, org, { title: '跨部门协调会', objective: '统一三个部门的交付计划', participantIds: [lin.id], status: 'in_progress' });
  const weekly = await meetingRow(db, org, { title: 'Weekly budget review', objective: 'Check the Q3 spend' });
  const plain = await meetingRow(db, org, { title: 'Planning', objective: 'Talk about the budget for hiring' });
  const decision = await api.post(`/v1/meetings/${coord.id}/decisions`, { title: '设备采购', statement: '下季度的设备预算由财务部统一审批。' });
  t.equal(decision.status, 201);
  const issue = await api.post('/v1/issues', { title: 'Confirm budget owner', description: '谁负责跨部门预算？' });
  const [material] = await db.insert(materials).values({ organizationId: org, meetingId: weekly.id, title: 'Spend overview', kind: 'file', fileName: 'q3-budget-2026.xlsx' }).returning();
  const other = await api.newOrganization();
  await meetingRow(db, other.organizationId, { title: '跨部门协调会（他们的）' });

  const search = async (qs: string) => {
    const res = await api.get(`/v1/search?${qs}`);
    t.equal(res.status, 200, qs);
    return res.body.data as Hit[];
  };

  const cross = await search(`q=${encodeURIComponent('跨部门')}`);
  t.same(cross.map((h) => h.id), [coord.id, issue.body.id], 'the title match ranks above the description match; other organisations stay out');
  t.match(cross[0], { type: 'meeting', title: '跨部门协调会', snippet: /跨部门协调会/, meetingId: coord.id });
  t.ok(cross[0]!.rank > cross[1]!.rank);

  const budgetZh = await search(`q=${encodeURIComponent('预算')}`);
  t.same(budgetZh.map((h) => h.id).sort(), [decision.body.id, issue.body.id].sort(), 'a two-character query finds the decision statement');
  t.match(budgetZh.find((h) => h.type === 'decision'), { title: '设备采购', snippet: /设备预算/, meetingId: coord.id });
  t.same((await search(`q=${encodeURIComponent('协')}`)).map((h) => h.id), [coord.id], 'one character works too');

  const budget = await search('q=BUDGET');
  t.same(new Set(budget.map((h) => h.id)), new Set([weekly.id, plain.id, issue.body.id, material!.id]), 'case-insensitive, materials by file name');
  t.ok(budget.findIndex((h) => h.id === plain.id) > budget.findIndex((h) => h.id === weekly.id), 'a title match outranks a text match');
  t.match(budget.find((h) => h.type === 'material'), { title: 'Spend overview', snippet: /q3-budget-2026\.xlsx/, meetingId: weekly.id });

  t.same((await search('q=budget&types=issue,material')).map((h) => h.type).sort(), ['issue', 'material']);
  t.same(await search('q=%25'), [], 'LIKE wildcards are literal');
  t.same(await search('q=b_dget'), [], 'underscore is literal too');

  // Pages partition the ranked list.
  const all = budget.map((h) => h.id);
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const res = await api.get(`/v1/search?q=budget&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
    t.equal(res.body.data.length, 1);
    seen.push(res.body.data[0].id);
    cursor = res.body.nextCursor;
    if (cursor) t.match(res.headers.link, /rel="next"/);
  } while (cursor);
  t.same(seen, all);

  for (const qs of ['', 'q=', `q=${'x'.repeat(201)}`, 'q=a&types=meeting,bogus', 'q=a&cursor=nope', 'q=a&limit=0']) {
    t.equal((await api.get(`/v1/search?${qs}`)).status, 400, `refused: ${qs}`);
  }
  const reader = await api.keyWith(['read']);
  t.equal((await reader.get('/v1/search?q=budget')).status, 200);
});

t.test('search ranks title hits first, then newest first, over every match; pages partition it', async (t) => {
  const api = await buildTestApp(t);
  const { sql: pg } = api.database;
  const org = api.organizationId;
  const meeting = await meetingRow(api.database.db, org, { title: 'Ranking meeting' });
  const at = (minutesAgo: number) => new Date(Date.UTC(2026, 0, 1) - minutesAgo * 60_000).toISOString();
  // 1,200 newer rows that match nothing: more than the prefix the index-ordered path reads, so
  // the older hits below are only found through the GIN index.
  await pg`insert into issues (organization_id, title, description, created_at)
    select ${org}, 'Filler ' || g, 'nothing to see', ${at(0)}::timestamptz - g * interval '1 second' from generate_series(1, 1200) g`;
  const issue = async (title: string, description: string, minutesAgo: number) =>
    (await pg`insert into issues (organization_id, title, description, created_at) values (${org}, ${title}, ${description}, ${at(minutesAgo)}) returning id`)[0]!.id as string;
  const decision = async (title: string, statement: string, minutesAgo: number) =>
    (await pg`insert into decisions (organization_id, meeting_id, title, statement, decided_at, created_at) values (${org}, ${meeting.id}, ${title}, ${statement}, now(), ${at(minutesAgo)}) returning id`)[0]!.id as string;

  // Old, rare hits (beyond the 1,200 newer rows), Chinese two-character query.
  const oldTitle = await issue('年度预算', '', 10_000);
  const olderTitle = await decision('预算调整', '', 20_000);
  const oldText = await issue('Headcount', '下季度预算待定', 5_000);
  const newestText = await decision('Supplier', '预算不足', 1);
  const rare = await search(api, '预算');
  t.same(rare.map((h) => h.id), [oldTitle, olderTitle, newestText, oldText], 'title hits first, each tier newest first, found past the newest rows');
  t.same(rare.map((h) => h.rank), [2, 2, 1, 1]);
  t.match(rare[2], { type: 'decision', snippet: /预算不足/, meetingId: meeting.id });

  // A common word: 40 title hits, issues and decisions sharing timestamps (ties go by type, then
  // id), and text hits, newest among them, after all of them.
  const expected: { id: string; minutesAgo: number; type: string; tier: number }[] = [];
  for (let i = 0; i < 20; i++) {
    expected.push({ id: await issue(`Budget line ${i}`, 'x', i % 7), minutesAgo: i % 7, type: 'issue', tier: 2 });
    expected.push({ id: await decision(`Approve budget ${i}`, 'y', i % 5), minutesAgo: i % 5, type: 'decision', tier: 2 });
  }
  for (let i = 0; i < 5; i++) expected.push({ id: await issue(`Plain ${i}`, `the budget again ${i}`, 0), minutesAgo: 0, type: 'issue', tier: 1 });
  const typeOrder = ['meeting', 'decision', 'issue', 'material'];
  expected.sort((a, b) => b.tier - a.tier || a.minutesAgo - b.minutesAgo || typeOrder.indexOf(a.type) - typeOrder.indexOf(b.type) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const all = await search(api, 'budget', '&limit=200');
  t.same(all.map((h) => h.id), expected.map((e) => e.id), 'rank, then newest, then type, then id');
  t.same(all.map((h) => h.rank), expected.map((e) => e.tier));

  for (const limit of [1, 7, 20]) {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await api.get(`/v1/search?q=budget&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      t.equal(res.status, 200);
      seen.push(...res.body.data.map((h: Hit) => h.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    t.same(seen, all.map((h) => h.id), `pages of ${limit} partition the ranked list`);
  }
  const page2 = await api.get(`/v1/search?q=${encodeURIComponent('预算')}&limit=2`);
  const rest = await api.get(`/v1/search?q=${encodeURIComponent('预算')}&limit=2&cursor=${page2.body.nextCursor}`);
  t.same([...page2.body.data, ...rest.body.data].map((h: Hit) => h.id), rare.map((h) => h.id), 'GIN-found hits paginate too');
  t.equal(rest.body.nextCursor, null);
  const forged = Buffer.from(JSON.stringify([2, 'not a date', 'issue', oldTitle])).toString('base64url');
  t.equal((await api.get(`/v1/search?q=budget&cursor=${forged}`)).status, 400, 'a cursor of the right shape but wrong values is refused');
});

async function search(api: Awaited<ReturnType<typeof buildTestApp>>, q: string, extra = ''): Promise<Hit[]> {
  const res = await api.get(`/v1/search?q=${encodeURIComponent(q)}${extra}`);
  if (res.status !== 200) throw new Error(`search ${q}: ${res.status} ${res.text}`);
  return res.body.data as Hit[];
}
