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
