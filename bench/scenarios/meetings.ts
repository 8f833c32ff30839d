import { measure } from '../harness.js';
import type { Scenario } from '../context.js';
import { byPrincipal, principalsOf } from '../principals.js';

/**
 * GET /v1/meetings/{id} of a full meeting (10 participants, 8 agenda items, 5 materials) against
 * the bare route (target ≥ 0.5), and a one-week window of GET /v1/meetings over 100,000 meetings
 * (target p99 < 20 ms at 32 connections).
 */
export const meetings: Scenario = async (ctx) => {
  const dept = await ctx.post('/v1/departments', { name: 'Bench meetings', code: `BM${Date.now() % 100000}` });
  const people: { id: string }[] = [];
  for (let i = 0; i < 10; i++) people.push(await ctx.post('/v1/people', { name: `Person ${i}`, email: `bench-${Date.now()}-${i}@example.com`, departmentId: dept.id }));
  const meeting = await ctx.post('/v1/meetings', {
    title: 'Weekly cross-department sync',
    objective: 'Agree the quarter plan',
    startsAt: '2027-03-01T09:00:00Z',
    endsAt: '2027-03-01T10:30:00Z',
    timeZone: 'Europe/Berlin',
    organizerId: people[0].id,
    participants: people.map((p, i) => ({ personId: p.id, role: i === 0 ? 'chair' : 'required' })),
    agendaItems: Array.from({ length: 8 }, (_, i) => ({ title: `Item ${i + 1}`, kind: 'discussion', durationMinutes: 10, ownerId: people[i].id })),
  });
  for (let i = 0; i < 5; i++) await ctx.post(`/v1/meetings/${meeting.id}/materials`, { title: `Pre-read ${i + 1}`, url: `https://docs.example.com/${i}` });
  // The same reads by the three kinds of principal (SPEC §8).
  const principals = await principalsOf(ctx, people[1]!.id);
  const rows = await byPrincipal(ctx, 'GET /v1/meetings/{id} (10 ppl, 8 items, 5 mat.)', `${ctx.api}/v1/meetings/${meeting.id}`, principals, '≥ 0.5 of bare');

  // 100,000 meetings over four years, inserted in SQL (the API would take minutes to create them).
  await ctx.sql`
    insert into meetings (organization_id, title, starts_at, ends_at, time_zone, materials_due_at, status)
    select ${ctx.organizationId}, 'Bulk meeting ' || g,
           timestamptz '2024-01-01' + (g * interval '21 minutes'),
           timestamptz '2024-01-01' + (g * interval '21 minutes') + interval '1 hour',
           'UTC', timestamptz '2024-01-01' + (g * interval '21 minutes') - interval '1 day',
           (array['scheduled','completed','cancelled','draft'])[1 + g % 4]
    from generate_series(1, 100000) g`;
  // One meeting in twenty is confidential, so that the visibility condition has rows to drop.
  await ctx.sql`update meetings set visibility = 'participants' where organization_id = ${ctx.organizationId} and title like 'Bulk meeting %' and right(title, 2) in ('00', '20', '40', '60', '80')`;
  // Vacuumed as autovacuum would have after a bulk load, so that it does not run during the measurement.
  await ctx.sql`vacuum analyze meetings`;
  for (const [who, headers] of principals) {
    const list = await measure(`GET /v1/meetings?from&to (1 week of 100k), ${who}`, {
      url: `${ctx.api}/v1/meetings?from=2025-06-02T00:00:00Z&to=2025-06-09T00:00:00Z&limit=50`,
      headers,
    });
    rows.push({ ...list, target: 'p99 < 20 ms' });
  }
  return rows;
};
