import t from 'tap';
import { buildTestApp } from './helpers.js';
import { buildDataset } from './reports-dataset.js';

t.test("leader's report: JSON for a known month, default period, Markdown, negotiation, refusals", async (t) => {
  const api = await buildTestApp(t);
  const ds = await buildDataset(api);
  const { f1, o1, o2, l1, x1 } = ds.people;
  const { m1, m2, m7 } = ds.meetings;
  const base = `/v1/initiatives/${ds.initiativeId}`;

  // A goal that reduces something, measured before, during and after March; and one never measured.
  const goal = await api.post(`${base}/goals`, {
    title: '审批时间', metric: 'approval time', unit: 'days', baseline: 10, target: 2, current: 9, dueDate: '2025-06-30', measuredAt: '2025-02-15T00:00:00Z',
  });
  t.equal(goal.status, 201, goal.text);
  const gurl = `${base}/goals/${goal.body.id}`;
  await api.patch(gurl, { current: 8, measuredAt: '2025-03-05T00:00:00Z' });
  await api.patch(gurl, { current: 6, measuredAt: '2025-03-20T00:00:00Z' });
  await api.patch(gurl, { current: 5, measuredAt: '2025-04-10T00:00:00Z' });
  const other = await api.post(`${base}/goals`, { title: 'Satisfaction', metric: 'survey score', baseline: 0, target: 100 });

  const finance = { id: ds.finance.id, name: 'Finance', code: ds.finance.code };
  const operations = { id: ds.operations.id, name: 'Operations', code: ds.operations.code };
  const legal = { id: ds.legal.id, name: 'Legal 法务部', code: ds.legal.code };
  const issue = (id: string, title: string, status: string, dueAt: string | null, resolvedAt: string | null, owner: [string, string] | null, department: object | null, priority = 'normal') => ({
    id, title, status, priority, dueAt, resolvedAt, owner: owner ? { id: owner[0], name: owner[1] } : null, department,
  });
  const i2 = issue(ds.issues.i2, 'Warehouse sign-off | 仓库签字', 'open', '2025-03-14T00:00:00.000Z', null, [o1, 'Olga'], operations);
  const i5 = issue(ds.issues.i5, 'Contract clause', 'open', '2025-04-15T00:00:00.000Z', null, [l1, 'Lin'], legal);
  const m7Line = {
    id: m7.id, title: 'Next steps review', startsAt: '2025-04-09T09:00:00.000Z', endsAt: '2025-04-09T10:00:00.000Z', status: 'scheduled',
    participants: 1, attended: 0, attendanceRate: 0, materials: 0, materialsLate: 0, materialsOnTime: null,
  };

  const res = await api.get(`${base}/report?from=2025-03-01&to=2025-04-01`);
  t.equal(res.status, 200, res.text);
  t.match(res.headers['content-type'], /^application\/json/);
  t.equal(res.headers.vary, 'Accept');
  const r = res.body;
  t.match(r.initiative, { id: ds.initiativeId, title: '跨部门审批提速 | Q1', status: 'active', departmentIds: [ds.finance.id, ds.operations.id, ds.legal.id] });
  t.same(r.sponsor, { id: x1, name: 'Xavier (Sponsor)' });
  t.same(r.owner, { id: f1, name: 'Fang Li' });
  t.equal(r.from, '2025-03-01T00:00:00.000Z');
  t.equal(r.to, '2025-04-01T00:00:00.000Z');
  t.match(r.goals, [
    {
      id: goal.body.id, baseline: 10, target: 2, current: 5, progress: 0.625,
      trend: [{ value: 8, measuredAt: '2025-03-05T00:00:00.000Z' }, { value: 6, measuredAt: '2025-03-20T00:00:00.000Z' }],
    },
    { id: other.body.id, current: null, progress: null, trend: [] },
  ]);
  t.equal(r.goals[0].trend.length, 2, 'only measurements of the period');
  t.same(r.meetings, {
    held: [
      { id: m1.id, title: 'Kick-off | 启动会', startsAt: '2025-03-03T09:00:00.000Z', endsAt: '2025-03-03T10:00:00.000Z', status: 'completed', participants: 4, attended: 3, attendanceRate: 0.75, materials: 2, materialsLate: 1, materialsOnTime: false },
      { id: m2.id, title: 'Weekly sync', startsAt: '2025-03-10T09:00:00.000Z', endsAt: '2025-03-10T10:00:00.000Z', status: 'completed', participants: 3, attended: 1, attendanceRate: 1 / 3, materials: 1, materialsLate: 0, materialsOnTime: true },
    ],
    coming: [m7Line],
  });
  t.same(r.decisionsInForce, [
    { id: ds.decisions.d2, title: '审批单统一 | one form', statement: 'Statement of 审批单统一 | one form', decidedAt: '2025-03-03T09:30:00.000Z', meetingId: m1.id },
    { id: ds.decisions.d3, title: 'Two-day SLA', statement: 'Statement of Two-day SLA', decidedAt: '2025-03-10T09:30:00.000Z', meetingId: m2.id },
  ], 'the superseded decision is not in force');
  t.same(r.issues, {
    overdue: [i2],
    open: [i5],
    resolved: [
      issue(ds.issues.i4, 'Budget code', 'resolved', null, '2025-03-05T00:00:00.000Z', null, finance),
      issue(ds.issues.i1, 'Form template', 'resolved', '2025-03-10T00:00:00.000Z', '2025-03-07T10:00:00.000Z', [f1, 'Fang Li'], finance),
      issue(ds.issues.i3, 'Courier contract', 'resolved', '2025-03-20T00:00:00.000Z', '2025-03-21T10:00:00.000Z', [o2, 'Omar'], operations),
    ],
  });
  t.same(r.counts, { meetingsHeld: 2, meetingsComing: 1, decisionsInForce: 2, issuesOverdue: 1, issuesOpen: 1, issuesResolved: 3 });
  t.same(r.departmentsNeedingAttention, [
    { department: legal, meetingsHeld: 2, meetingsMissed: 2, overdueIssues: 0 },
    { department: operations, meetingsHeld: 2, meetingsMissed: 1, overdueIssues: 1 },
  ], 'Finance attended both meetings and owns nothing overdue');
  t.same(r.nextSteps, { nextMeeting: m7Line, dueIssues: [i5] });

  // Default period: from the beginning until now. April's meeting is held, I5 is overdue by now,
  // nothing is coming, and I7 (created in April) is open.
  const now = await api.get(`${base}/report`);
  t.equal(now.body.from, null);
  t.ok(Math.abs(Date.parse(now.body.to) - Date.now()) < 60_000);
  t.same(now.body.meetings.held.map((m: { id: string }) => m.id), [m1.id, m2.id, ds.meetings.m5.id]);
  t.same(now.body.meetings.coming, []);
  t.same(now.body.issues.overdue.map((i: { id: string }) => i.id), [ds.issues.i2, ds.issues.i5]);
  t.same(now.body.issues.open.map((i: { id: string }) => i.id), [ds.issues.i7]);
  t.same(now.body.nextSteps, { nextMeeting: null, dueIssues: [] });
  t.same(now.body.goals[0].trend.map((m: { value: number }) => m.value), [9, 8, 6, 5]);

  // An empty period: empty lists, zero counts, null rates where nothing was measured.
  const quiet = await api.get(`${base}/report?from=2024-01-01&to=2024-02-01`);
  t.same(quiet.body.meetings.held, []);
  t.same(quiet.body.issues, { overdue: [], open: [], resolved: [] });
  t.same(quiet.body.decisionsInForce, []);
  t.same(quiet.body.departmentsNeedingAttention, [], 'no meeting was held, so none was missed');
  t.same(quiet.body.counts, { meetingsHeld: 0, meetingsComing: 2, decisionsInForce: 0, issuesOverdue: 0, issuesOpen: 0, issuesResolved: 0 });

  // Markdown: the same report, readable, Chinese intact, pipes escaped inside tables.
  const md = await api.get(`${base}/report?from=2025-03-01&to=2025-04-01`, { accept: 'text/markdown' });
  t.equal(md.status, 200);
  t.equal(md.headers['content-type'], 'text/markdown; charset=utf-8');
  const text = md.text;
  t.ok(text.startsWith('# 跨部门审批提速 \\| Q1\n'), 'title heading (the one Markdown encoder escapes a pipe wherever it stands)');
  t.match(text, '- **Sponsor:** Xavier (Sponsor)\n- **Owner:** Fang Li\n- **Period:** 2025-03-01 – 2025-04-01\n- **Target date:** 2025-06-30');
  t.match(text, '> Halve the approval time\n> across departments.');
  t.match(text, '## Goals\n\n| Goal | Metric | Baseline | Target | Current | Progress | Due | Trend |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n| 审批时间 | approval time | 10 days | 2 days | 5 days | 63% | 2025-06-30 | 8 → 6 |\n| Satisfaction | survey score | 0 | 100 | — | — | — | — |');
  t.match(text, '| 2025-03-03 09:00 UTC | Kick-off \\| 启动会 | completed | 3/4 (75%) | no (1 of 2 late) |');
  t.match(text, '| 2025-03-10 09:00 UTC | Weekly sync | completed | 1/3 (33%) | yes |');
  t.match(text, '## Coming meetings\n\n');
  t.match(text, '| 2025-03-03 | 审批单统一 \\| one form | Statement of 审批单统一 \\| one form |');
  t.match(text, '## Overdue issues\n\n| Issue | Owner | Department | Due | Status |\n| --- | --- | --- | --- | --- |\n| Warehouse sign-off \\| 仓库签字 | Olga | Operations (' );
  t.match(text, `| Legal 法务部 (${ds.legal.code}) | 2 of 2 | 0 |`);
  t.match(text, '## Next steps\n\n- Next meeting: **Next steps review** on 2025-04-09 09:00 UTC\n- Contract clause — Lin, due 2025-04-15');
  // Every row of every table has as many cells as its header (escaped pipes do not split cells).
  const cells = (line: string) => line.split(/(?<!\\)\|/).length;
  let columns = 0;
  let rows = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('|')) {
      columns = 0;
      continue;
    }
    if (columns === 0) columns = cells(line);
    else if (cells(line) !== columns) t.fail(`ragged table row: ${line}`);
    rows++;
  }
  t.ok(rows > 20, 'tables were checked');
  const quietMd = await api.get(`${base}/report?from=2024-01-01&to=2024-02-01`, { accept: 'text/markdown' });
  t.match(quietMd.text, '## Meetings held\n\n_None._');

  // Negotiation.
  const preferJson = await api.get(`${base}/report`, { accept: 'text/markdown;q=0.5, application/json' });
  t.match(preferJson.headers['content-type'], /^application\/json/);
  const preferMd = await api.get(`${base}/report`, { accept: 'application/json;q=0.4, text/markdown' });
  t.match(preferMd.headers['content-type'], /^text\/markdown/);
  t.match((await api.get(`${base}/report`, { accept: '*/*' })).headers['content-type'], /^application\/json/);
  t.match((await api.get(`${base}/report`, { accept: 'text/*' })).headers['content-type'], /^text\/markdown/);
  const refused = await api.get(`${base}/report`, { accept: 'text/html' });
  t.equal(refused.status, 406);
  t.equal(refused.headers['content-type'], 'application/problem+json');

  // Refusals.
  t.equal((await api.get(`${base}/report?from=2025-04-01&to=2025-03-01`)).status, 400);
  t.equal((await api.get(`${base}/report?from=yesterday`)).status, 400);
  const foreign = await api.newOrganization();
  t.equal((await foreign.get(`${base}/report`)).status, 404);
  t.equal((await api.get('/v1/initiatives/7d1b0b8e-3c51-4a3a-9a53-1f0b8b0c1d2e/report')).status, 404);
});

t.test('both reports see records made through the meetings and issues APIs', async (t) => {
  const api = await buildTestApp(t);
  const dept = (await api.post('/v1/departments', { name: 'Procurement', code: 'PRC' })).body.id as string;
  const person = async (name: string) => (await api.post('/v1/people', { name, email: `${name.toLowerCase()}@example.com`, departmentId: dept })).body.id as string;
  const [sponsor, owner, buyer] = [await person('Sponsor'), await person('Owner'), await person('Buyer')];
  const ini = (await api.post('/v1/initiatives', { title: 'Supplier onboarding', sponsorId: sponsor, ownerId: owner, departmentIds: [dept] })).body.id as string;

  const startsAt = new Date(Date.now() + 48 * 3600_000);
  const created = await api.post('/v1/meetings', {
    title: 'Supplier review', startsAt: startsAt.toISOString(), endsAt: new Date(startsAt.getTime() + 3600_000).toISOString(), timeZone: 'Asia/Shanghai',
    initiativeId: ini, participants: [{ personId: owner }, { personId: buyer }],
  });
  t.equal(created.status, 201, created.text);
  const meetingId = created.body.id as string;
  t.equal((await api.post(`/v1/meetings/${meetingId}/invitations`, {})).status, 200);
  const dueAt = new Date(Date.now() + 5 * 86_400_000).toISOString();
  const issue = await api.post('/v1/issues', { title: 'Collect tax forms', ownerId: buyer, initiativeId: ini, dueAt });
  t.equal(issue.status, 201, issue.text);

  const report = (await api.get(`/v1/initiatives/${ini}/report`)).body;
  t.match(report.nextSteps, {
    nextMeeting: { id: meetingId, title: 'Supplier review', status: 'scheduled', participants: 2, attended: 0, materialsOnTime: null },
    dueIssues: [{ id: issue.body.id, title: 'Collect tax forms', owner: { id: buyer, name: 'Buyer' }, department: { id: dept, code: 'PRC' } }],
  });
  t.same(report.counts, { meetingsHeld: 0, meetingsComing: 1, decisionsInForce: 0, issuesOverdue: 0, issuesOpen: 1, issuesResolved: 0 });

  const from = new Date(Date.now() - 86_400_000).toISOString();
  const to = new Date(Date.now() + 7 * 86_400_000).toISOString();
  const eff = (await api.get(`/v1/reports/effectiveness?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&initiativeId=${ini}`)).body;
  t.match(eff, { meetingsHeld: 0, meetingsCancelled: 0, rsvpResponseRate: 0, attendanceRate: null, issuesOpened: 1, issuesOverdue: 0 });
  t.ok(Math.abs(eff.medianInvitationLeadHours - 48) < 0.1, `invitations went out 48 h ahead (${eff.medianInvitationLeadHours})`);
  t.match(eff.byDepartment, [{ departmentId: dept, name: 'Procurement', code: 'PRC', rsvpResponseRate: 0, issuesOpened: 1 }]);
});
