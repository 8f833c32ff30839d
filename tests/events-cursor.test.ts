import t, { type Test } from 'tap';
import { buildTestApp, type Caller } from './helpers.js';
import { commitEvents } from './fixtures/webhook-workers.js';
import { encodeCursor } from '../src/platform/pagination.js';

/** Every event of a caller's log, page by page, with each page's `nextCursor`. */
async function walk(t: Test, caller: Caller, query: string) {
  const ids: string[] = [];
  const cursors: string[] = [];
  let url: string | null = `/v1/events?${query}`;
  while (url) {
    const res = await caller.get(url);
    t.equal(res.status, 200, url);
    ids.push(...res.body.data.map((e: { id: string }) => e.id));
    const next = res.body.nextCursor as string | null;
    if (next) {
      cursors.push(next);
      t.match(res.headers.link, `cursor=${next}`, 'Link names the next page');
    }
    url = next ? `/v1/events?${query}&cursor=${encodeURIComponent(next)}` : null;
  }
  return { ids, cursors };
}

t.test('event-log cursors reveal no database-wide counter and mean nothing in another organisation', async (t) => {
  const api = await buildTestApp(t);
  const other = await api.newOrganization();
  // A distinctive sequence value, so that finding it in a cursor cannot be a coincidence.
  await api.database.sql`select setval(pg_get_serial_sequence('events', 'seq'), 987654321000)`;
  const mine: string[] = [];
  for (let round = 0; round < 4; round++) {
    mine.push(...(await commitEvents(api, api.organizationId, round % 2 ? 'test.beta' : 'test.alpha', 2, 2)));
    await commitEvents(api, other.organizationId, 'test.alpha', 3, 1);
  }

  const { ids, cursors } = await walk(t, api, 'limit=3');
  t.same(ids, mine, 'pages in log order: no gap, no duplicate, none of the other organisation');
  t.equal(cursors.length, 2);
  const positions = await api.database.sql<{ txid: string; seq: string }[]>`select txid::text, seq::text from events`;
  t.ok(positions.every((p) => p.seq.startsWith('9876543210')), 'the sequence was moved');
  for (const cursor of cursors) {
    const decoded = Buffer.from(cursor, 'base64url').toString('latin1');
    for (const { txid, seq } of positions) {
      t.notOk(decoded.includes(seq) || cursor.includes(seq), `cursor ${cursor} does not carry seq ${seq}`);
      // A short txid could match a run of digits inside a random id by chance; the check below covers it.
      if (txid.length >= 8) t.notOk(decoded.includes(txid), `cursor ${cursor} does not carry txid ${txid}`);
    }
    // Whatever else it holds, a cursor holds no number but those inside an id of this organisation's own.
    const rest = mine.reduce((text, id) => text.replaceAll(id, ''), decoded);
    t.notMatch(rest, /[0-9]/, `cursor ${cursor} carries nothing but an event id of the organisation (${JSON.stringify(rest)})`);
  }

  const alphas = await walk(t, api, 'limit=1&type=test.alpha');
  t.same(alphas.ids, [mine[0], mine[1], mine[4], mine[5]], 'a type filter pages the same way');

  const first = cursors[0]!;
  t.equal((await api.get(`/v1/events?limit=3&cursor=${first}`)).status, 200);
  const foreign = await other.get(`/v1/events?limit=3&cursor=${first}`);
  t.equal(foreign.status, 400, "another organisation's cursor is refused");
  t.match(foreign.headers['content-type'], /^application\/problem\+json/);
  t.match(foreign.body, { status: 400, detail: /cursor/, errors: [{ path: 'querystring.cursor' }] });
  t.notOk(foreign.text.includes(mine[0]!), 'the refusal does not name the event');

  const [position] = await api.database.sql<{ txid: string; seq: string }[]>`select txid::text, seq::text from events where id = ${mine[2]!}`;
  const flipped = first.slice(0, 5) + (first[5] === 'A' ? 'B' : 'A') + first.slice(6);
  const tampered = [
    flipped,
    first.slice(0, -2),
    first + 'AA',
    'not-a-cursor',
    encodeCursor([position!.txid, position!.seq]),
    encodeCursor(['00000000-0000-4000-8000-000000000000']),
    encodeCursor([42]),
  ];
  for (const cursor of tampered) {
    const res = await api.get(`/v1/events?cursor=${encodeURIComponent(cursor)}`);
    t.equal(res.status, 400, `cursor ${cursor}`);
    t.match(res.body, { errors: [{ path: 'querystring.cursor' }] }, `cursor ${cursor}`);
  }

  const unknownAfter = await other.get(`/v1/events?after=${mine[0]}`);
  t.equal(unknownAfter.status, 400, "`after` naming another organisation's event is refused too");
  t.match(unknownAfter.body, { errors: [{ path: 'querystring.after', message: 'unknown event' }] });
  t.same((await api.get(`/v1/events?after=${mine[5]}`)).body.data.map((e: { id: string }) => e.id), mine.slice(6));
});
