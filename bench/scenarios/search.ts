import { measure } from '../harness.js';
import type { Row, Scenario } from '../context.js';
import { insertWordDecisions, insertWordIssues } from '../vocabulary.js';

/** Search over 100,000 issues and decisions, English and Chinese queries (target p99 < 50 ms at 8 connections). */
export const search: Scenario = async (ctx) => {
  const owner = await ctx.post('/v1/people', { name: 'Search owner', email: `search-${Date.now()}@example.com` });
  const meeting = await ctx.post('/v1/meetings', { title: '跨部门协调会 bench', startsAt: '2027-01-05T09:00:00Z', endsAt: '2027-01-05T10:00:00Z', timeZone: 'Asia/Shanghai' });
  await insertWordIssues(ctx.sql, ctx.organizationId, owner.id, 50_000, 'Issue');
  await insertWordDecisions(ctx.sql, ctx.organizationId, meeting.id, 50_000);
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
