import { measure } from '../harness.js';
import type { Scenario } from '../context.js';

const DAY = 24 * 3600 * 1000;
const zones = ['Asia/Shanghai', 'Europe/Berlin', 'America/New_York'];
const FROM = Date.parse('2027-03-01T00:00:00Z');

/**
 * POST /v1/scheduling/find-times for 30 attendees (5 required, 25 optional, in three zones
 * across the March daylight-saving changes) over four weeks, each with 100 external busy blocks
 * and a share of 200 Liaison meetings (target: p99 < 50 ms at 4 connections, SPEC §7).
 */
export const findTimes: Scenario = async (ctx) => {
  const people: { id: string }[] = [];
  for (let i = 0; i < 30; i++) {
    people.push(await ctx.post('/v1/people', { name: `Attendee ${i}`, email: `ft-${Date.now()}-${i}@example.com`, timeZone: zones[i % 3], workingHours: { mon: [['07:00', '21:00']], tue: [['07:00', '21:00']], wed: [['07:00', '21:00']], thu: [['07:00', '21:00']], fri: [['07:00', '21:00']] } }));
  }
  // 100 half-hour blocks each, spread over the 28 days and the hours of the day.
  for (const [i, p] of people.entries()) {
    const blocks = Array.from({ length: 100 }, (_, k) => {
      const start = FROM + (k % 28) * DAY + ((i * 7 + k * 13) % 40) * 1800_000;
      return { startsAt: new Date(start).toISOString(), endsAt: new Date(start + 1800_000).toISOString() };
    });
    const res = await fetch(`${ctx.api}/v1/people/${p.id}/busy-blocks/bench`, { method: 'PUT', headers: ctx.headers, body: JSON.stringify({ from: new Date(FROM).toISOString(), to: new Date(FROM + 28 * DAY).toISOString(), blocks }) });
    if (!res.ok) throw new Error(`PUT busy-blocks: ${res.status} ${await res.text()}`);
  }
  const ids = people.map((p) => p.id);
  await ctx.sql`
    insert into meetings (organization_id, title, starts_at, ends_at, time_zone, materials_due_at, status)
    select ${ctx.organizationId}, 'Find-times bench ' || g,
           ${new Date(FROM).toISOString()}::timestamptz + g * interval '197 minutes',
           ${new Date(FROM).toISOString()}::timestamptz + g * interval '197 minutes' + interval '1 hour',
           'UTC', ${new Date(FROM).toISOString()}::timestamptz, 'scheduled'
    from generate_series(1, 200) g`;
  await ctx.sql`
    insert into meeting_participants (organization_id, meeting_id, person_id, role, response)
    select m.organization_id, m.id, p.id, 'required', 'accepted'
    from meetings m cross join lateral (select unnest(${ids}::uuid[]) as id order by random() limit 4) p
    where m.organization_id = ${ctx.organizationId} and m.title like 'Find-times bench %'`;
  await ctx.sql`vacuum analyze busy_blocks, meetings, meeting_participants, people`;
  const body = JSON.stringify({
    required: ids.slice(0, 5),
    optional: ids.slice(5),
    durationMinutes: 30,
    granularityMinutes: 15,
    from: new Date(FROM).toISOString(),
    to: new Date(FROM + 28 * DAY).toISOString(),
    limit: 10,
  });
  const probe = await fetch(`${ctx.api}/v1/scheduling/find-times`, { method: 'POST', headers: ctx.headers, body });
  const answer = (await probe.json()) as { candidates?: unknown[] };
  if (!probe.ok || !answer.candidates?.length) throw new Error(`find-times: ${probe.status} ${JSON.stringify(answer).slice(0, 300)}`);
  const m = await measure('POST /v1/scheduling/find-times (30 ppl, 4 weeks)', {
    url: `${ctx.api}/v1/scheduling/find-times`,
    method: 'POST',
    headers: ctx.headers,
    body,
    connections: 4,
    duration: 10,
  });
  return [{ ...m, target: 'p99 < 50 ms' }];
};
