import t from 'tap';
import { eq } from 'drizzle-orm';
import { meetings } from '../db/schema/index.js';
import { buildTestApp, uniq } from './helpers.js';
import { insertAgendaItem, insertMeeting, materialCounts, pdfBytes, upload } from './materials-helpers.js';

t.test('refused materials write nothing', async (t) => {
  const api = await buildTestApp(t);
  const meeting = await insertMeeting(api);
  const otherMeeting = await insertMeeting(api);
  const foreignItem = await insertAgendaItem(api, otherMeeting.id);
  const base = `/v1/meetings/${meeting.id}/materials`;
  const before = await materialCounts(api);

  const wrongType = await api.request('POST', base, 'title=x', { 'content-type': 'text/plain' });
  t.equal(wrongType.status, 415);
  t.equal(wrongType.body.type, '/problems/unsupported-media-type');
  t.equal((await api.request('POST', base, 'a=b', { 'content-type': 'application/x-www-form-urlencoded' })).status, 415);

  const badItem = await api.post(base, { title: 'Deck', url: 'https://d.example.com', agendaItemId: foreignItem.id });
  t.equal(badItem.status, 400, 'an agenda item of another meeting');
  t.match(badItem.body.errors, [{ path: 'body.agendaItemId', message: /agenda item/ }]);
  const badItemFile = await upload(api, api, base, [{ fileName: 'a.pdf', data: pdfBytes() }, { field: 'agendaItemId', value: foreignItem.id }]);
  t.equal(badItemFile.status, 400);
  t.match(badItemFile.body.errors, [{ path: 'body.agendaItemId' }]);

  const unknown = await api.post(base, { title: 'Deck', url: 'https://d.example.com', color: 'red' });
  t.equal(unknown.status, 400);
  t.match(unknown.body.errors, [{ path: 'body.color', message: 'unknown field' }]);
  const unknownField = await upload(api, api, base, [{ field: 'color', value: 'red' }, { fileName: 'a.pdf', data: pdfBytes() }]);
  t.equal(unknownField.status, 400);
  t.match(unknownField.body.errors, [{ path: 'body.color', message: 'unknown field' }]);
  t.equal((await api.post(base, { title: 'Deck', url: 'javascript:alert(1)' })).status, 400, 'only http(s) links');
  t.equal((await api.request('POST', base, 'null', { 'content-type': 'application/json' })).status, 400);

  const empty = await upload(api, api, base, [{ fileName: 'empty.pdf', data: Buffer.alloc(0) }]);
  t.equal(empty.status, 400);
  t.match(empty.body, { detail: /empty/, errors: [{ path: 'body.file' }] });
  const noFile = await upload(api, api, base, [{ field: 'title', value: 'Nothing attached' }]);
  t.equal(noFile.status, 400);
  t.match(noFile.body.errors, [{ path: 'body.file', message: 'required' }]);
  const wrongPart = await upload(api, api, base, [{ name: 'attachment', fileName: 'a.pdf', data: pdfBytes() }]);
  t.equal(wrongPart.status, 400);
  const badRequired = await upload(api, api, base, [{ fileName: 'a.pdf', data: pdfBytes() }, { field: 'required', value: 'maybe' }]);
  t.equal(badRequired.status, 400);
  t.match(badRequired.body.errors, [{ path: 'body.required' }]);

  for (const status of ['cancelled', 'completed']) {
    const closed = await insertMeeting(api, { status });
    const link = await api.post(`/v1/meetings/${closed.id}/materials`, { title: 'Too late', url: 'https://d.example.com' });
    t.equal(link.status, 409, `a ${status} meeting takes no link`);
    t.match(link.body.detail, new RegExp(`meeting is ${status}`));
    const file = await upload(api, api, `/v1/meetings/${closed.id}/materials`, [{ fileName: 'a.pdf', data: pdfBytes() }]);
    t.equal(file.status, 409, `a ${status} meeting takes no file`);
  }

  const missing = `/v1/meetings/${'3f0e8e7e-58a4-4d4b-9d55-3a3c8c8a9b10'}/materials`;
  t.equal((await api.post(missing, { title: 'x', url: 'https://d.example.com' })).status, 404);
  t.equal((await upload(api, api, missing, [{ fileName: 'a.pdf', data: pdfBytes() }])).status, 404);
  t.equal((await api.get(missing)).status, 404);

  t.same(await materialCounts(api), before, 'nothing written by any refusal');
});

t.test('files over LIAISON_MATERIAL_MAX_BYTES are 413 and leave nothing behind', async (t) => {
  const api = await buildTestApp(t, { LIAISON_MATERIAL_MAX_BYTES: '1024' });
  const meeting = await insertMeeting(api);
  const before = await materialCounts(api);
  const exact = await upload(api, api, `/v1/meetings/${meeting.id}/materials`, [{ fileName: 'fits.pdf', data: pdfBytes(1024) }]);
  t.equal(exact.status, 201, 'exactly the limit is accepted');
  const after = await materialCounts(api);
  const big = await upload(api, api, `/v1/meetings/${meeting.id}/materials`, [{ fileName: 'big.pdf', data: pdfBytes(1025) }]);
  t.equal(big.status, 413);
  t.equal(big.body.type, '/problems/payload-too-large');
  const version = await upload(api, api, `/v1/materials/${exact.body.id}/versions`, [{ fileName: 'big.pdf', data: pdfBytes(5000) }]);
  t.equal(version.status, 413);
  t.same(await materialCounts(api), after, 'the refused uploads wrote nothing');
  t.not(after.materials, before.materials);
});

t.test("another organisation's materials are 404 everywhere", async (t) => {
  const api = await buildTestApp(t);
  const meeting = await insertMeeting(api);
  const material = await upload(api, api, `/v1/meetings/${meeting.id}/materials`, [{ fileName: 'a.pdf', data: pdfBytes() }]);
  const other = await api.newOrganization();
  const person = await other.post('/v1/people', { name: 'Other', email: `${uniq('o')}@example.com` });
  const before = await materialCounts(api);
  const id = material.body.id;
  t.equal((await other.get(`/v1/materials/${id}`)).status, 404);
  t.equal((await other.get(`/v1/materials/${id}/content`)).status, 404);
  t.equal((await other.get(`/v1/materials/${id}/versions`)).status, 404);
  t.equal((await other.patch(`/v1/materials/${id}`, { title: 'Mine now' })).status, 404);
  t.equal((await other.del(`/v1/materials/${id}`)).status, 404);
  t.equal((await other.post(`/v1/materials/${id}/versions`, { url: 'https://x.example.com' })).status, 404);
  t.equal((await upload(api, other, `/v1/materials/${id}/versions`, [{ fileName: 'b.pdf', data: pdfBytes() }])).status, 404);
  t.equal((await other.post(`/v1/materials/${id}/acknowledgements`, { personId: person.body.id })).status, 404);
  t.equal((await other.get(`/v1/meetings/${meeting.id}/materials`)).status, 404);
  t.equal((await other.post(`/v1/meetings/${meeting.id}/materials`, { title: 'x', url: 'https://x.example.com' })).status, 404);
  t.equal((await upload(api, other, `/v1/meetings/${meeting.id}/materials`, [{ fileName: 'b.pdf', data: pdfBytes() }])).status, 404);
  t.same(await materialCounts(api), before);
  t.equal((await api.get(`/v1/materials/${id}`)).body.title, 'a.pdf', 'unchanged');
});

t.test('Idempotency-Key on a multipart upload: a retry replays, another file is 422', async (t) => {
  const api = await buildTestApp(t);
  const meeting = await insertMeeting(api);
  const url = `/v1/meetings/${meeting.id}/materials`;
  const key = { 'idempotency-key': uniq('upload') };
  const first = await upload(api, api, url, [{ field: 'title', value: 'Deck' }, { fileName: 'deck.pdf', data: pdfBytes(700) }], key);
  t.equal(first.status, 201);
  const retry = await upload(api, api, url, [{ field: 'title', value: 'Deck' }, { fileName: 'deck.pdf', data: pdfBytes(700) }], key);
  t.equal(retry.status, 201);
  t.equal(retry.headers['idempotent-replayed'], 'true');
  t.same(retry.body, first.body);
  const counts = await materialCounts(api);
  t.equal(counts.materials, 1);
  t.equal(counts.material_files, 1, 'the retry stored no second copy');
  const otherBytes = pdfBytes(700);
  otherBytes[100] = 0x42;
  const changed = await upload(api, api, url, [{ field: 'title', value: 'Deck' }, { fileName: 'deck.pdf', data: otherBytes }], key);
  t.equal(changed.status, 422);
  const otherTitle = await upload(api, api, url, [{ field: 'title', value: 'Deck 2' }, { fileName: 'deck.pdf', data: pdfBytes(700) }], key);
  t.equal(otherTitle.status, 422);
  t.same(await materialCounts(api), counts);
});

t.test("a cancelled meeting's materials no longer change, but stay readable", async (t) => {
  const api = await buildTestApp(t);
  const meeting = await insertMeeting(api);
  const person = await api.post('/v1/people', { name: 'Reader', email: `${uniq('r')}@example.com` });
  const file = await upload(api, api, `/v1/meetings/${meeting.id}/materials`, [{ fileName: 'a.pdf', data: pdfBytes() }]);
  const link = await api.post(`/v1/meetings/${meeting.id}/materials`, { title: 'Wiki', url: 'https://wiki.example.com' });
  await api.database.db.update(meetings).set({ status: 'cancelled' }).where(eq(meetings.id, meeting.id));
  const before = await materialCounts(api);
  const patch = await api.patch(`/v1/materials/${link.body.id}`, { title: 'Changed' });
  t.equal(patch.status, 409);
  t.match(patch.body.detail, /meeting is cancelled/);
  t.equal((await api.del(`/v1/materials/${link.body.id}`)).status, 409);
  t.equal((await api.post(`/v1/materials/${link.body.id}/versions`, { url: 'https://wiki.example.com/2' })).status, 409);
  t.equal((await upload(api, api, `/v1/materials/${file.body.id}/versions`, [{ fileName: 'b.pdf', data: pdfBytes() }])).status, 409);
  t.same(await materialCounts(api), before, 'nothing changed');
  t.equal((await api.get(`/v1/materials/${file.body.id}/content`)).status, 200, 'still downloadable');
  t.equal((await api.post(`/v1/materials/${link.body.id}/acknowledgements`, { personId: person.body.id })).status, 201, 'and can still be acknowledged');
});
