import t from 'tap';
import { buildTestApp } from './helpers.js';
import { meetingRow, person } from './outcomes-helpers.js';

t.test('feedback: one rating per participant per meeting', async (t) => {
  const api = await buildTestApp(t);
  const db = api.database.db;
  const [ana, bo, outsider] = [await person(api, 'Ana'), await person(api, 'Bo'), await person(api, 'Outsider')];
  const m = await meetingRow(db, api.organizationId, { participantIds: [ana.id, bo.id], status: 'completed' });
  const upcoming = await meetingRow(db, api.organizationId, { participantIds: [ana.id], status: 'scheduled' });
  const theirs = await api.newOrganization();
  const theirMeeting = await meetingRow(db, theirs.organizationId, { status: 'completed' });
  const url = `/v1/meetings/${m.id}/feedback`;

  const given = await api.post(url, { personId: ana.id, rating: 5, comment: 'Clear agenda, good decisions.' });
  t.equal(given.status, 201, given.text);
  t.match(given.body, { meetingId: m.id, personId: ana.id, rating: 5, comment: 'Clear agenda, good decisions.', version: 1 });
  t.equal(given.headers.etag, '"v1"');
  t.equal((await api.post(url, { personId: bo.id, rating: 2 })).status, 201);

  const before = await api.count('feedback');
  const cases: [string, unknown, number, string?][] = [
    [url, { personId: ana.id, rating: 4 }, 409],
    [url, { personId: outsider.id, rating: 4 }, 400, 'body.personId'],
    [url, { personId: ana.id, rating: 0 }, 400, 'body.rating'],
    [url, { personId: ana.id, rating: 6 }, 400, 'body.rating'],
    [url, { personId: ana.id, rating: 3.5 }, 400, 'body.rating'],
    [url, { personId: ana.id, rating: 3, comment: 'x'.repeat(5001) }, 400, 'body.comment'],
    [url, { rating: 3 }, 400, 'body.personId'],
    [`/v1/meetings/${upcoming.id}/feedback`, { personId: ana.id, rating: 3 }, 409],
    [`/v1/meetings/${theirMeeting.id}/feedback`, { personId: ana.id, rating: 3 }, 404],
  ];
  for (const [u, body, status, path] of cases) {
    const res = await api.post(u, body);
    t.equal(res.status, status, `${u} ${JSON.stringify(body).slice(0, 80)}`);
    if (path) t.match(res.body.errors, [{ path }], path);
  }
  t.equal(await api.count('feedback'), before, 'nothing written');

  const list = await api.get(`${url}?limit=1`);
  t.match(list.body, { data: [{ personId: ana.id, rating: 5 }], nextCursor: String });
  t.match((await api.get(`${url}?cursor=${list.body.nextCursor}`)).body, { data: [{ personId: bo.id, rating: 2 }], nextCursor: null });
  t.equal((await api.get(`/v1/meetings/${theirMeeting.id}/feedback`)).status, 404);
  const audit = await api.get(`/v1/audit-events?entityType=feedback&entityId=${given.body.id}`);
  t.match(audit.body.data, [{ action: 'create', changes: { rating: { before: null, after: 5 } } }]);
});
