import { uniq, type TestApp } from './helpers.js';

/**
 * A known month of cross-department work (March 2025), for asserting every figure of both reports.
 * Directory, initiative and goals go through the API; meetings and their outcomes are inserted
 * directly, because the figures depend on timestamps (invitation sent, material shared, issue
 * resolved, acknowledgement) that the API sets to "now".
 *
 * People: f1, f2 (Finance), o1, o2 (Operations), l1 (Legal), x1 (no department; the sponsor).
 * Initiative I: sponsor x1, owner f1, departments Finance, Operations, Legal.
 *
 * | meeting | starts (2025) | status    | invited (before start) | participants: response / attended          |
 * | M1      | 03-03 09:00   | completed | 72 h                  | f1 acc/T, o1 acc/T, o2 decl/F, x1 needs/T   |
 * | M2      | 03-10 09:00   | completed | 24 h                  | f1 acc/T, f2 tent/F, o1 needs/null          |
 * | M3      | 03-17 09:00   | cancelled | 48 h                  | f1 needs, o1 acc                            |
 * | M4      | 03-24 09:00   | scheduled | 12 h                  | f1 acc, l1 needs                            |
 * | M5      | 04-02 09:00   | completed | 24 h  (outside March) | f1 acc/T                                    |
 * | M6      | 03-12 09:00   | completed | never (no initiative) | o2 acc/T                                    |
 * | M7      | 04-09 09:00   | scheduled | not yet               | f1 needs                                    |
 *
 * Materials: M1 A (required, on time), B (late); M2 C (required, on time); M3 D (late); M4 E (late).
 * Acknowledgements before the start: A by f1 and x1, C by f1 and f2; A by o1 only after the start;
 * A by l1 (not a participant). Agenda: M1 discussed×2 + deferred; M2 discussed + pending; M4
 * discussed (not held); M6 deferred. Decisions: M1 two (one since superseded), M2 one.
 * Feedback: M1 f1 5, o1 4; M2 f1 3; M6 o2 2; M4 l1 1 (not held).
 * Issues (created → resolved/closed, due):
 *   I1 Finance, f1, 03-03 10:00 → resolved 03-07 10:00 (96 h), due 03-10
 *   I2 Operations, o1, 03-03 11:00, open, due 03-14 (overdue)
 *   I3 Operations, o2, 03-10 10:00 → resolved 03-21 10:00 (264 h), due 03-20 (resolved late: overdue)
 *   I4 Finance, 02-20 00:00 → resolved 03-05 00:00 (312 h), no due date
 *   I5 Legal, l1, 03-12 00:00, open, due 04-15
 *   I6 no department, no initiative, 03-20 → closed 03-22, due 03-25 (closed in time)
 *   I7 Finance, 04-05, open (outside March)
 */
const iso = (d: Date) => d.toISOString();

export async function buildDataset(api: TestApp) {
  const sql = api.database.sql;
  const org = api.organizationId;
  const dept = async (name: string) =>
    (await api.post('/v1/departments', { name, code: uniq(name.slice(0, 3)).replace(/[^A-Za-z0-9-]/g, '').slice(0, 30) })).body as { id: string; code: string };
  const finance = await dept('Finance');
  const operations = await dept('Operations');
  const legal = await dept('Legal 法务部');
  const idle = await dept('Idle');
  const person = async (name: string, departmentId: string | null) =>
    (await api.post('/v1/people', { name, email: `${uniq('p')}@example.com`, departmentId })).body.id as string;
  const f1 = await person('Fang Li', finance.id);
  const f2 = await person('Frank', finance.id);
  const o1 = await person('Olga', operations.id);
  const o2 = await person('Omar', operations.id);
  const l1 = await person('Lin', legal.id);
  const x1 = await person('Xavier (Sponsor)', null);
  const ini = await api.post('/v1/initiatives', {
    title: '跨部门审批提速 | Q1', objective: 'Halve the approval time\nacross departments.',
    sponsorId: x1, ownerId: f1, departmentIds: [finance.id, operations.id, legal.id], status: 'active', targetDate: '2025-06-30',
  });
  if (ini.status !== 201) throw new Error(ini.text);
  const initiativeId = ini.body.id as string;

  const h = 3600_000;
  const meeting = async (title: string, startsAt: string, status: string, leadHours: number | null, initiative: string | null = initiativeId) => {
    const start = new Date(startsAt);
    const [row] = await sql`insert into meetings (organization_id, initiative_id, title, starts_at, ends_at, time_zone, materials_due_at, status, invitations_sent_at)
      values (${org}, ${initiative}, ${title}, ${iso(start)}, ${iso(new Date(start.getTime() + h))}, 'UTC', ${iso(new Date(start.getTime() - 24 * h))}, ${status},
              ${leadHours === null ? null : iso(new Date(start.getTime() - leadHours * h))}) returning id`;
    return { id: row!.id as string, start };
  };
  const m1 = await meeting('Kick-off | 启动会', '2025-03-03T09:00:00Z', 'completed', 72);
  const m2 = await meeting('Weekly sync', '2025-03-10T09:00:00Z', 'completed', 24);
  const m3 = await meeting('Budget review', '2025-03-17T09:00:00Z', 'cancelled', 48);
  const m4 = await meeting('Legal check', '2025-03-24T09:00:00Z', 'scheduled', 12);
  const m5 = await meeting('April sync', '2025-04-02T09:00:00Z', 'completed', 24);
  const m6 = await meeting('Ops stand-up', '2025-03-12T09:00:00Z', 'completed', null, null);
  const m7 = await meeting('Next steps review', '2025-04-09T09:00:00Z', 'scheduled', null);

  const participants: [string, string, string, boolean | null][] = [
    [m1.id, f1, 'accepted', true], [m1.id, o1, 'accepted', true], [m1.id, o2, 'declined', false], [m1.id, x1, 'needs_action', true],
    [m2.id, f1, 'accepted', true], [m2.id, f2, 'tentative', false], [m2.id, o1, 'needs_action', null],
    [m3.id, f1, 'needs_action', null], [m3.id, o1, 'accepted', null],
    [m4.id, f1, 'accepted', null], [m4.id, l1, 'needs_action', null],
    [m5.id, f1, 'accepted', true],
    [m6.id, o2, 'accepted', true],
    [m7.id, f1, 'needs_action', null],
  ];
  for (const [meetingId, personId, response, attended] of participants) {
    await sql`insert into meeting_participants (organization_id, meeting_id, person_id, response, attended) values (${org}, ${meetingId}, ${personId}, ${response}, ${attended})`;
  }

  const material = async (m: { id: string; start: Date }, title: string, required: boolean, late: boolean) => {
    const sharedAt = new Date(m.start.getTime() + (late ? -2 : -48) * h);
    const [row] = await sql`insert into materials (organization_id, meeting_id, title, kind, url, required, shared_at, late)
      values (${org}, ${m.id}, ${title}, 'link', 'https://example.com/doc', ${required}, ${iso(sharedAt)}, ${late}) returning id`;
    await sql`insert into material_versions (organization_id, material_id, content_version, kind, url, shared_at, late)
      values (${org}, ${row!.id}, 1, 'link', 'https://example.com/doc', ${iso(sharedAt)}, ${late})`;
    return row!.id as string;
  };
  const a = await material(m1, 'A', true, false);
  await material(m1, 'B', false, true);
  const c = await material(m2, 'C', true, false);
  await material(m3, 'D', false, true);
  await material(m4, 'E', false, true);
  const ack = (materialId: string, personId: string, at: Date) =>
    sql`insert into material_acknowledgements (organization_id, material_id, content_version, person_id, acknowledged_at) values (${org}, ${materialId}, 1, ${personId}, ${iso(at)})`;
  await ack(a, f1, new Date(m1.start.getTime() - h));
  await ack(a, x1, new Date(m1.start.getTime() - 10 * h));
  await ack(a, o1, new Date(m1.start.getTime() + h));
  await ack(a, l1, new Date(m1.start.getTime() - h));
  await ack(c, f1, new Date(m2.start.getTime() - 5 * h));
  await ack(c, f2, new Date(m2.start.getTime() - h));

  const agenda: [string, string][] = [[m1.id, 'discussed'], [m1.id, 'discussed'], [m1.id, 'deferred'], [m2.id, 'discussed'], [m2.id, 'pending'], [m4.id, 'discussed'], [m6.id, 'deferred']];
  let position = 0;
  for (const [meetingId, status] of agenda) {
    await sql`insert into agenda_items (organization_id, meeting_id, position, title, status) values (${org}, ${meetingId}, ${position++}, ${`item ${position}`}, ${status})`;
  }

  const decision = async (m: { id: string; start: Date }, title: string, status: string) =>
    (await sql`insert into decisions (organization_id, meeting_id, initiative_id, title, statement, decided_at, status)
      values (${org}, ${m.id}, ${initiativeId}, ${title}, ${'Statement of ' + title}, ${iso(new Date(m.start.getTime() + h / 2))}, ${status}) returning id`)[0]!.id as string;
  const d1 = await decision(m1, 'Single approval form', 'superseded');
  const d2 = await decision(m1, '审批单统一 | one form', 'active');
  const d3 = await decision(m2, 'Two-day SLA', 'active');

  const feedback: [string, string, number][] = [[m1.id, f1, 5], [m1.id, o1, 4], [m2.id, f1, 3], [m6.id, o2, 2], [m4.id, l1, 1]];
  for (const [meetingId, personId, rating] of feedback) {
    await sql`insert into feedback (organization_id, meeting_id, person_id, rating) values (${org}, ${meetingId}, ${personId}, ${rating})`;
  }

  const issue = async (title: string, o: { dept?: string; owner?: string; created: string; due?: string; resolved?: string; closed?: string; initiative?: string | null; status: string }) =>
    (await sql`insert into issues (organization_id, title, status, owner_id, department_id, due_at, resolved_at, closed_at, created_at, initiative_id, resolution)
      values (${org}, ${title}, ${o.status}, ${o.owner ?? null}, ${o.dept ?? null}, ${o.due ?? null}, ${o.resolved ?? null},
              ${o.closed ?? null}, ${o.created}, ${o.initiative === undefined ? initiativeId : o.initiative}, ${o.resolved ? 'done' : null})
      returning id`)[0]!.id as string;
  const i1 = await issue('Form template', { dept: finance.id, owner: f1, created: '2025-03-03T10:00:00Z', due: '2025-03-10T00:00:00Z', resolved: '2025-03-07T10:00:00Z', status: 'resolved' });
  const i2 = await issue('Warehouse sign-off | 仓库签字', { dept: operations.id, owner: o1, created: '2025-03-03T11:00:00Z', due: '2025-03-14T00:00:00Z', status: 'open' });
  const i3 = await issue('Courier contract', { dept: operations.id, owner: o2, created: '2025-03-10T10:00:00Z', due: '2025-03-20T00:00:00Z', resolved: '2025-03-21T10:00:00Z', status: 'resolved' });
  const i4 = await issue('Budget code', { dept: finance.id, created: '2025-02-20T00:00:00Z', resolved: '2025-03-05T00:00:00Z', status: 'resolved' });
  const i5 = await issue('Contract clause', { dept: legal.id, owner: l1, created: '2025-03-12T00:00:00Z', due: '2025-04-15T00:00:00Z', status: 'open' });
  const i6 = await issue('Unrelated', { created: '2025-03-20T00:00:00Z', due: '2025-03-25T00:00:00Z', closed: '2025-03-22T00:00:00Z', status: 'closed', initiative: null });
  const i7 = await issue('April item', { dept: finance.id, created: '2025-04-05T00:00:00Z', status: 'open' });

  return {
    initiativeId, finance, operations, legal, idle,
    people: { f1, f2, o1, o2, l1, x1 },
    meetings: { m1, m2, m3, m4, m5, m6, m7 },
    decisions: { d1, d2, d3 },
    issues: { i1, i2, i3, i4, i5, i6, i7 },
  };
}
