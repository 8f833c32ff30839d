import t from 'tap';
import { and, DrizzleQueryError, eq, gt, sql } from 'drizzle-orm';
import { buildTestApp } from './helpers.js';
import { builtOnce, builtSql, insertReturning } from '../src/platform/built-once.js';
import { departments, issues } from '../db/schema/index.js';
import { clientOf } from '../src/platform/database.js';

// A statement built once runs on the pool and in transactions alike, maps values and rows as
// drizzle does (a Date to a timestamp, null staying null, timestamps back to Dates) and fails
// as drizzle fails, with PostgreSQL's error as the cause.

const insertIssue = insertReturning(issues);
const issuesDueAfter = builtOnce<{ title: string; dueAt: Date | null }>((db) =>
  db
    .select({ title: issues.title, dueAt: issues.dueAt })
    .from(issues)
    .where(and(eq(issues.organizationId, sql.placeholder('org')), gt(issues.dueAt, sql.placeholder('after')))),
);
const departmentCodes = builtSql<{ code: string }>(() => sql`select code from departments where organization_id = ${sql.placeholder('org')} order by code`);

t.test('built once: values and rows mapped as drizzle maps them, on the pool and in a transaction', async (t) => {
  const api = await buildTestApp(t);
  const { db } = api.database;
  const org = api.organizationId;
  const due = new Date('2031-05-01T09:30:00.000Z');

  const [withDue] = await insertIssue(db, { organizationId: org, title: 'Dated', dueAt: due, description: null });
  t.ok(withDue!.dueAt instanceof Date && withDue!.dueAt.getTime() === due.getTime(), 'a Date value goes in and comes back a Date');
  t.equal(withDue!.description, null, 'null stays null');
  t.equal(withDue!.status, 'open', 'a column not given takes its default');
  // The same columns with other values, in a transaction: the statement built above serves it.
  await db.transaction(async (tx) => {
    const [inTx] = await insertIssue(tx, { organizationId: org, title: 'Undated', dueAt: null, description: 'in a transaction' });
    t.equal(inTx!.dueAt, null);
    t.equal(inTx!.description, 'in a transaction');
  });

  // A Date in a condition has no column to map it: it is sent as a timestamp all the same.
  t.same((await issuesDueAfter(db, { org, after: new Date('2031-04-30T00:00:00Z') })).map((r) => r.title), ['Dated']);
  t.same(await issuesDueAfter(db, { org, after: new Date('2031-05-02T00:00:00Z') }), []);
  await db.transaction(async (tx) => {
    const [row] = await issuesDueAfter(tx, { org, after: new Date('2031-01-01T00:00:00Z') });
    t.ok(row?.dueAt instanceof Date && row.dueAt.getTime() === due.getTime(), 'rows are mapped by the columns, in a transaction too');
  });

  await api.post('/v1/departments', { name: 'Beta', code: 'B2' });
  await api.post('/v1/departments', { name: 'Alpha', code: 'A1' });
  t.same((await departmentCodes(db, { org })).map((r) => r.code), ['A1', 'B2'], 'builtSql answers its rows as they come');
});

t.test('built once: a failing statement fails as drizzle fails, and rolls its transaction back', async (t) => {
  const api = await buildTestApp(t);
  const { db } = api.database;
  const before = await api.count('issues');
  const failed = await db
    .transaction(async (tx) => {
      await insertIssue(tx, { organizationId: api.organizationId, title: 'Rolled back' });
      await insertReturning(departments)(tx, { organizationId: api.organizationId, name: 'No code' } as never);
    })
    .then(() => null, (err: unknown) => err);
  t.ok(failed instanceof DrizzleQueryError, 'a DrizzleQueryError');
  t.match(failed, { cause: { code: '23502' } }, 'a NOT NULL violation, with PostgreSQL error as the cause');
  t.equal(await api.count('issues'), before, 'the issue of the failed transaction is not there');
});

t.test('built once: a call hands its statement to the connection at once, so calls run in the order made', async (t) => {
  const api = await buildTestApp(t);
  const setting = builtSql<{ value: string }>(() => sql`select set_config('liaison.order_probe', ${sql.placeholder('value')}, true) as value`);
  const settingOf = builtOnce<{ value: string }>((db) => db.select({ value: sql<string>`current_setting('liaison.order_probe', true)` }).from(departments).limit(1));
  await api.post('/v1/departments', { name: 'Probe', code: 'PROBE' });
  await api.database.db.transaction(async (tx) => {
    // Neither is awaited before a raw statement is handed to the transaction's connection behind them.
    const set = setting(tx, { value: 'built' });
    const read = settingOf(tx, {});
    const raw = clientOf(tx).unsafe<{ value: string | null }[]>("select current_setting('liaison.order_probe', true) as value").execute();
    const [[first], [second], [third]] = await Promise.all([set, read, raw]);
    t.equal(first!.value, 'built');
    t.equal(second!.value, 'built', 'the second call ran after the first');
    t.equal(third!.value, 'built', 'a statement queued after the calls ran after them');
  });
});
