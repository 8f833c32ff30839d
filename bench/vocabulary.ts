import type postgres from 'postgres';

// Searchable rows for the search and soak scenarios: words drawn from a small vocabulary (English
// and Chinese), so that a query hits a realistic share of the rows.
const words = (sql: postgres.Sql) =>
  sql`with words(w) as (values ('budget'),('quarterly'),('hiring'),('supplier'),('预算'),('跨部门'),('季度计划'),('招聘'),('供应商'),('risk'),('launch'),('合规'))`;

/** `count` open issues titled `<prefix> <n> <word> <word>`, owned by `ownerId`. */
export async function insertWordIssues(sql: postgres.Sql, organizationId: string, ownerId: string, count: number, prefix: string) {
  await sql`
    ${words(sql)}
    insert into issues (organization_id, title, description, kind, priority, status, owner_id)
    select ${organizationId},
           ${prefix} || ' ' || g || ' ' || (select w from words offset (g % 12) limit 1) || ' ' || (select w from words offset ((g / 12) % 12) limit 1),
           'Follow up on the ' || (select w from words offset ((g / 7) % 12) limit 1) || ' discussion, item ' || g,
           'action', 'normal', 'open', ${ownerId}
    from generate_series(1, ${count}::int) g`;
}

/** `count` active decisions of the meeting, with a word in title, statement and rationale. */
export async function insertWordDecisions(sql: postgres.Sql, organizationId: string, meetingId: string, count: number) {
  await sql`
    ${words(sql)}
    insert into decisions (organization_id, meeting_id, title, statement, rationale, decided_at, status)
    select ${organizationId}, ${meetingId},
           'Decision ' || g || ' on ' || (select w from words offset (g % 12) limit 1),
           'We agree to adjust the ' || (select w from words offset ((g / 12) % 12) limit 1) || ' for next quarter (' || g || ')',
           'Because of ' || (select w from words offset ((g / 5) % 12) limit 1),
           now(), 'active'
    from generate_series(1, ${count}::int) g`;
}
