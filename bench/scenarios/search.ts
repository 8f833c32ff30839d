import { measure } from '../harness.js';
import type { Row, Scenario } from '../context.js';

/** Search over 100,000 issues and decisions, English and Chinese queries (target p99 < 50 ms at 8 connections). */
export const search: Scenario = async (ctx) => {
  const owner = await ctx.post('/v1/people', { name: 'Search owner', email: `search-${Date.now()}@example.com` });
  const meeting = await ctx.post('/v1/meetings', { title: '跨部门协调会 bench', startsAt: '2027-01-05T09:00:00Z', endsAt: '2027-01-05T10:00:00Z', timeZone: 'Asia/Shanghai' });
  // Words drawn from a small vocabulary so that queries hit a realistic share of rows.
  await ctx.sql`
    with words(w) as (values ('budget'),('quarterly'),('hiring'),('supplier'),('预算'),('跨部门'),('季度计划'),('招聘'),('供应商'),('risk'),('launch'),('合规'))
    insert into issues (organization_id, title, description, kind, priority, status, owner_id)
    select ${ctx.organizationId},
           'Issue ' || g || ' ' || (select w from words offset (g % 12) limit 1) || ' ' || (select w from words offset ((g / 12) % 12) limit 1),
           'Follow up on the ' || (select w from words offset ((g / 7) % 12) limit 1) || ' discussion, item ' || g,
           'action', 'normal', 'open', ${owner.id}
    from generate_series(1, 50000) g`;
  await ctx.sql`
    with words(w) as (values ('budget'),('quarterly'),('hiring'),('supplier'),('预算'),('跨部门'),('季度计划'),('招聘'),('供应商'),('risk'),('launch'),('合规'))
    insert into decisions (organization_id, meeting_id, title, statement, rationale, decided_at, status)
    select ${ctx.organizationId}, ${meeting.id},
           'Decision ' || g || ' on ' || (select w from words offset (g % 12) limit 1),
           'We agree to adjust the ' || (select w from words offset ((g / 12) % 12) limit 1) || ' for next quarter (' || g || ')',
           'Because of ' || (select w from words offset ((g / 5) % 12) limit 1),
           now(), 'active'
    from generate_series(1, 50000) g`;
  // Vacuumed as autovacuum would have after a bulk load, so that it does not run during the measurement.
  await ctx.sql`vacuum analyze issues, decisions`;
  const rows: Row[] = [];
  for (const q of ['budget', 'quarterly plan', '预算', '跨部门', '季度计划']) {
    const m = await measure(`GET /v1/search?q=${q} (100k rows)`, {
      url: `${ctx.api}/v1/search?q=${encodeURIComponent(q)}&types=issue,decision&limit=20`,
      headers: ctx.headers,
      connections: 8,
      duration: 5,
    });
    rows.push({ ...m, target: 'p99 < 50 ms' });
  }
  return rows;
};
